//! NIST Statistical Reference Datasets for linear least squares (StRD), certified values.
//!
//! Source: NIST/ITL StRD, "Linear Least Squares Regression" datasets Longley (higher difficulty),
//! Wampler1 and Wampler2 (higher difficulty), certified to 15 significant digits. The Longley data
//! (`data/nist_longley.csv`) are R's `datasets::longley` rescaled to NIST's units (Employed, GNP
//! and Population × 1000, Unemployed and Armed.Forces × 10); the Wampler data are generated from
//! their defining polynomials (x = 0, 1, …, 20), whose coefficients are the certified values.
//!
//! We require at least 10 correct significant digits (log relative error ≥ 10) on Longley, and on
//! Wampler1/2 (κ(X) ≈ 6.4·10⁶) the digits their conditioning allows a backward-stable solver:
//! 15 − log10 κ ≈ 8.2 (we obtain about 9).

// Test code: a failed unwrap is a failed test, reported with its value.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use trialstats_core::nalgebra::DMatrix;
use trialstats_core::testing::Tol;
use trialstats_data::{DataTable, Formula, FrameOptions, ModelFrame};
use trialstats_robust::{Ols, Vcov};

/// Log relative error: the number of correct significant digits.
fn lre(got: f64, want: f64) -> f64 {
    if want == 0.0 {
        -got.abs().log10()
    } else {
        -((got - want).abs() / want.abs()).log10()
    }
}

#[test]
fn longley() {
    let t =
        DataTable::from_csv_str("nist_longley", include_str!("../data/nist_longley.csv")).unwrap();
    let f = Formula::parse("y ~ x1 + x2 + x3 + x4 + x5 + x6").unwrap();
    let mf = ModelFrame::new(&t, &f, &FrameOptions::default()).unwrap();
    let y = mf.y().unwrap().to_vec();
    let fit = Ols::new(&mf.x, &y)
        .unwrap()
        .names(&mf.column_names)
        .unwrap()
        .fit()
        .unwrap();
    let beta = [
        -3482258.63459582,
        15.0618722713733,
        -0.358191792925910e-01,
        -2.02022980381683,
        -1.03322686717359,
        -0.511041056535807e-01,
        1829.15146461355,
    ];
    let se = [
        890420.383607373,
        84.9149257747669,
        0.334910077722432e-01,
        0.488399681651699,
        0.214274163161675,
        0.226073200069370,
        455.478499142212,
    ];
    let inf = fit.infer(&Vcov::Iid, 0.95).unwrap();
    for j in 0..7 {
        let b = lre(fit.coefficients()[j], beta[j]);
        let s = lre(inf.coefficients[j].std_error, se[j]);
        assert!(
            b >= 10.0,
            "β{j}: {} vs {} (LRE {b:.1})",
            fit.coefficients()[j],
            beta[j]
        );
        assert!(s >= 10.0, "SE{j}: LRE {s:.1}");
    }
    assert!(lre(fit.sigma2().sqrt(), 304.854073561965) >= 10.0);
    assert!(lre(fit.r_squared(), 0.995479004577296) >= 10.0);
}

fn wampler(coef: [f64; 6]) -> (DMatrix<f64>, Vec<f64>) {
    let x = DMatrix::from_fn(21, 6, |i, j| (i as f64).powi(j as i32));
    let y = (0..21)
        .map(|i| (0..6).map(|j| coef[j] * (i as f64).powi(j as i32)).sum())
        .collect();
    (x, y)
}

#[test]
fn wampler1_and_2() {
    for coef in [[1.0; 6], [1.0, 0.1, 0.01, 0.001, 0.0001, 0.00001]] {
        let (x, y) = wampler(coef);
        let fit = Ols::new(&x, &y).unwrap().fit().unwrap();
        // κ(X) ≈ 6.4e6: a backward-stable solver can promise about 16 − log10 κ ≈ 9 digits.
        // Require 15 − log10 κ (one digit of slack), and never fewer than 8.
        let want = (15.0 - fit.condition_number().log10()).max(8.0);
        for (j, (&got, &c)) in fit.coefficients().iter().zip(&coef).enumerate() {
            let d = lre(got, c);
            assert!(d >= want, "β{j}: {got} (LRE {d:.1} < {want:.1})");
        }
        // Certified residual SD is 0: the fit is exact up to rounding of y.
        Tol::abs(1e-6)
            .check("residual sd", fit.sigma2().sqrt(), 0.0)
            .unwrap();
    }
}
