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

use trialstats_core::Level;
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
        let p = pool_scalar(term, q, u, 22.0, Level::P95).unwrap();
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

/// b = 0 (identical imputations) against mice 3.15.0 (R 4.2.2), `mice::pool.scalar(Q = rep(1.5,
/// 5), U = rep(0.04, 5), n, k)` and `mice:::barnard.rubin`, printed with 17 digits:
/// - n = 25, k = 3 (ν_com = 22): df 20.237974976060872, fmi 0.086066019180257552, r 0;
/// - n = Inf (large sample): df 4e8 (λ floored at 1e−4: (m − 1)/1e−8), fmi 4.9999999625e−09;
/// - one estimate 1.5000001 (b = 2.0000000023354686e−15): df 20.237974976060872, r
///   6.000000007006406e−14, fmi 0.086066019180312384.
///
/// Ours agree to 1e−10 with mice's conventions (λ floored at 1e−4 in the Barnard–Rubin df, fmi
/// following that df), except the large-sample fmi with b = 0, which is exactly 0: the limit of
/// Rubin's formula, where mice evaluates it at the floored df.
#[test]
fn b_zero_follows_mice_conventions() {
    let p = pool_scalar("x", &[1.5; 5], &[0.04; 5], 22.0, Level::P95).unwrap();
    assert_eq!(p.b.to_bits(), 0.0f64.to_bits());
    Tol::rel(1e-15).check("t = ubar", p.t, p.ubar).unwrap();
    Tol::rel(1e-10)
        .check("df", p.df, 20.237974976060872)
        .unwrap();
    Tol::rel(1e-10)
        .check("fmi", p.fmi, 0.086066019180257552)
        .unwrap();
    assert_eq!(p.riv.to_bits(), 0.0f64.to_bits());
    let p = pool_scalar("x", &[1.5; 5], &[0.04; 5], f64::INFINITY, Level::P95).unwrap();
    Tol::rel(1e-10).check("large-sample df", p.df, 4e8).unwrap();
    assert_eq!(
        p.fmi.to_bits(),
        0.0f64.to_bits(),
        "large-sample fmi {}",
        p.fmi
    );
    assert!(p.p_value.is_finite() && p.ci_low.is_finite());
    let q = [1.5, 1.5, 1.5, 1.5, 1.500_000_1];
    let p = pool_scalar("x", &q, &[0.04; 5], 22.0, Level::P95).unwrap();
    Tol::rel(1e-10)
        .check("b", p.b, 2.0000000023354686e-15)
        .unwrap();
    Tol::rel(1e-10)
        .check("df", p.df, 20.237974976060872)
        .unwrap();
    Tol::rel(1e-10)
        .check("riv", p.riv, 6.000000007006406e-14)
        .unwrap();
    Tol::rel(1e-10)
        .check("fmi", p.fmi, 0.086066019180312384)
        .unwrap();
}

#[test]
fn zero_within_imputation_variance_is_an_error() {
    // Found by the CLI fault campaign: `pool` with every SE 0 gave riv and fmi NaN, exit 0.
    let e = pool_scalar("arm", &[1.0, 1.2, 0.9], &[0.0; 3], 22.0, Level::P95).unwrap_err();
    assert_eq!(e, MiError::ZeroVariance { term: "arm".into() });
    assert!(e.to_string().contains("variance of zero for `arm`"), "{e}");
}

#[test]
fn bad_input() {
    assert_eq!(
        pool_scalar("x", &[1.0], &[1.0], 10.0, Level::P95).unwrap_err(),
        MiError::TooFewImputations(1)
    );
    assert!(pool_scalar("x", &[1.0, 2.0], &[1.0], 10.0, Level::P95).is_err());
    assert!(pool_scalar("x", &[1.0, f64::NAN], &[1.0, 1.0], 10.0, Level::P95).is_err());
    assert!(pool_scalar("x", &[1.0, 2.0], &[1.0, -1.0], 10.0, Level::P95).is_err());
}

#[test]
fn estimates_too_far_apart_to_pool_are_an_error() {
    // Found by the CLI fault campaign: an estimate of −1e308 made b and t overflow, and the
    // pooled SE, interval, riv and fmi came out null (NaN), exit 0.
    let e = pool_scalar("x", &[1.0, -1e308, 0.9], &[0.04; 3], 20.0, Level::P95).unwrap_err();
    assert!(e.to_string().contains("too large to pool"), "{e}");
}
