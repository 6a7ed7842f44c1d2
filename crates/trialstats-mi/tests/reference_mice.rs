//! Rubin's rules against R mice 3.15.0 (R 4.2.2) on its `nhanes` example:
//! ```r
//! imp <- mice(nhanes, m = 5, seed = 2016, printFlag = FALSE)
//! fit <- with(imp, lm(chl ~ age + bmi)); p <- pool(fit)   # dfcom = 22
//! ```
//! The five completed-data estimates and SEs are in `nhanes_mice_fits.csv` (written by R with 15
//! significant digits); the pooled values below are R's, printed with 17. Tolerance 1e−11 relative
//! (the inputs carry 15 digits).

// Test code: a failed unwrap is a failed test, reported with its value.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use trialstats_core::testing::Tol;
use trialstats_mi::{MiError, pool_scalar};

fn fits() -> Vec<(String, Vec<f64>, Vec<f64>)> {
    let mut out: Vec<(String, Vec<f64>, Vec<f64>)> = Vec::new();
    for line in include_str!("nhanes_mice_fits.csv").lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (term, est, se): (&str, f64, f64) =
            (f[1], f[2].parse().unwrap(), f[3].parse().unwrap());
        match out.iter_mut().find(|(t, _, _)| t == term) {
            Some((_, q, u)) => {
                q.push(est);
                u.push(se * se);
            }
            None => out.push((term.to_string(), vec![est], vec![se * se])),
        }
    }
    out
}

#[test]
fn pooled_values_match_mice() {
    let want = [
        // estimate, ubar, b, t, df, riv, lambda, fmi, std.error, p, ci low, ci high
        [
            -34.5799244662102936,
            3099.3341157779336754,
            442.78050766977418107,
            3630.6707249816627154,
            15.814878080817767,
            0.17143573082322019,
            0.14634668066915174,
            0.23708905121910168,
            60.2550472988086128,
            0.5741125025546398586,
            -162.436546019416113,
            93.276697086995512,
        ],
        [
            34.3968029374965241,
            76.2305432189187258,
            7.25177392544541721,
            84.9326719294532211,
            17.339535168233692,
            0.11415540730890168,
            0.10245914219868961,
            0.19071493077768237,
            9.2158923566550630,
            0.0016098408301647661,
            14.981932648753855,
            53.811673226239193,
        ],
        [
            6.3367620784203682,
            3.1069108999760626,
            0.40403507388116244,
            3.5917529886334574,
            16.214644316700195,
            0.15605278177147933,
            0.13498759246299430,
            0.22502437828943705,
            1.8951920716997148,
            0.0040603476152280332,
            2.323452445317125,
            10.350071711523611,
        ],
    ];
    for ((term, q, u), w) in fits().iter().zip(want) {
        let p = pool_scalar(term, q, u, 22.0, 0.95).unwrap();
        let got = [
            p.estimate,
            p.ubar,
            p.b,
            p.t,
            p.df,
            p.riv,
            p.lambda,
            p.fmi,
            p.std_error,
            p.p_value,
            p.ci_low,
            p.ci_high,
        ];
        Tol::rel(1e-11).check_slice(term, &got, &w).unwrap();
    }
}

#[test]
fn identical_imputations_give_b_zero_without_nan() {
    let p = pool_scalar("x", &[1.5; 5], &[0.04; 5], f64::INFINITY, 0.95).unwrap();
    assert_eq!(p.b.to_bits(), 0.0f64.to_bits());
    Tol::rel(1e-15).check("t = ubar", p.t, p.ubar).unwrap();
    assert!(p.df.is_finite() && p.fmi.is_finite() && p.p_value.is_finite());
    let p = pool_scalar("x", &[1.5; 5], &[0.04; 5], 30.0, 0.95).unwrap();
    assert!(p.df > 0.0 && p.df < 30.0, "{}", p.df);
}

#[test]
fn bad_input() {
    assert_eq!(
        pool_scalar("x", &[1.0], &[1.0], 10.0, 0.95).unwrap_err(),
        MiError::TooFewImputations(1)
    );
    assert!(pool_scalar("x", &[1.0, 2.0], &[1.0], 10.0, 0.95).is_err());
    assert!(pool_scalar("x", &[1.0, f64::NAN], &[1.0, 1.0], 10.0, 0.95).is_err());
    assert!(pool_scalar("x", &[1.0, 2.0], &[1.0, -1.0], 10.0, 0.95).is_err());
}
