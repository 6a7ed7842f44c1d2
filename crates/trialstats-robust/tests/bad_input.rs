//! Bad input: each a typed error with a message that names the problem.

// Test code: a failed unwrap is a failed test, reported with its value.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use trialstats_core::Level;
use trialstats_core::nalgebra::DMatrix;
use trialstats_core::{Clusters, InputError, LinalgError};
use trialstats_robust::{CrType, Logit, Ols, RobustError, SandwichError, Vcov};

fn design(n: usize) -> (DMatrix<f64>, Vec<f64>) {
    let x = DMatrix::from_fn(n, 2, |i, j| {
        if j == 0 {
            1.0
        } else {
            (i as f64 * 0.37).sin() * 3.0
        }
    });
    let y = (0..n).map(|i| 1.0 + (i as f64 * 1.3).cos()).collect();
    (x, y)
}

#[test]
fn too_few_clusters() {
    let (x, y) = design(10);
    let fit = Ols::new(&x, &y).unwrap().fit().unwrap();
    let one = Clusters::from_labels("site", &[7; 10]).unwrap();
    let e = fit
        .vcov(&Vcov::Cluster {
            clusters: one,
            kind: CrType::Cr1,
        })
        .unwrap_err();
    assert_eq!(
        e,
        RobustError::Sandwich(SandwichError::TooFewClusters {
            name: "site".into(),
            got: 1
        })
    );
    assert_eq!(
        e.to_string(),
        "cluster-robust covariance needs at least 2 clusters; `site` has 1"
    );
}

#[test]
fn cluster_vector_of_the_wrong_length() {
    let (x, y) = design(10);
    let fit = Ols::new(&x, &y).unwrap().fit().unwrap();
    let short = Clusters::from_labels("site", &[1, 2, 1, 2, 1, 2, 1, 2, 1]).unwrap();
    let e = fit
        .vcov(&Vcov::Cluster {
            clusters: short,
            kind: CrType::Cr2,
        })
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "`clusters `site`` has 9 rows but `observations` has 10"
    );
}

#[test]
fn missing_cluster_id() {
    let e = Clusters::from_optional_labels("site", &[Some(1), None, Some(2)]).unwrap_err();
    assert_eq!(
        e,
        InputError::MissingCluster {
            field: "site".into(),
            row: 1
        }
    );
}

#[test]
fn aliased_design_names_the_column() {
    let (x, y) = design(10);
    let mut x3 = DMatrix::zeros(10, 3);
    x3.columns_mut(0, 2).copy_from(&x);
    let twice = x.column(1) * 2.0;
    x3.column_mut(2).copy_from(&twice);
    let e = Ols::new(&x3, &y)
        .unwrap()
        .names(&["(Intercept)", "dose", "dose2"])
        .unwrap()
        .fit()
        .unwrap_err();
    assert_eq!(
        e,
        RobustError::Linalg(LinalgError::Aliased {
            columns: vec!["dose2".into()],
            rank: 2,
            ncol: 3
        })
    );
    let b: Vec<f64> = y.iter().map(|v| if *v > 1.0 { 1.0 } else { 0.0 }).collect();
    assert!(matches!(
        Logit::new(&x3, &b).unwrap().fit(),
        Err(RobustError::Linalg(LinalgError::Aliased { .. }))
    ));
}

#[test]
fn non_finite_values() {
    let (x, mut y) = design(10);
    y[3] = f64::NAN;
    let e = Ols::new(&x, &y).unwrap().fit().unwrap_err();
    // Rows are 1-based in messages: y[3] is the 4th row.
    assert_eq!(e.to_string(), "`y` row 4 is not finite (NaN)");
    let (mut x, y) = design(10);
    x[(4, 1)] = f64::INFINITY;
    let e = Ols::new(&x, &y).unwrap().fit().unwrap_err();
    assert_eq!(e.to_string(), "`X column 2` row 5 is not finite (inf)");
    // The same through the per-cluster pass.
    let cl = Clusters::from_labels("g", &(0..10).map(|i| i % 3).collect::<Vec<_>>()).unwrap();
    let e = Ols::new(&x, &y)
        .unwrap()
        .clusters(&cl)
        .unwrap()
        .fit()
        .unwrap_err();
    assert_eq!(e.to_string(), "`X column 2` row 5 is not finite (inf)");
    // Finite values whose squares overflow.
    let (mut x, y) = design(10);
    x[(2, 1)] = 1e200;
    let e = Ols::new(&x, &y).unwrap().fit().unwrap_err();
    assert!(
        e.to_string().starts_with("`X'X` = inf is out of range"),
        "{e}"
    );
}

#[test]
fn too_few_observations() {
    let (x, y) = design(2);
    assert_eq!(
        Ols::new(&x, &y).unwrap().fit().unwrap_err(),
        RobustError::TooFewObservations { nobs: 2, k: 2 }
    );
}

#[test]
fn binary_outcome_checks() {
    let (x, _) = design(6);
    let e = Logit::new(&x, &[0.0, 1.0, 2.0, 0.0, 1.0, 0.0]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the outcome must be coded 0/1, but row 3 is 2"
    );
    let e = Logit::new(&x, &[1.0; 6]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the outcome is 1 in all 6 rows; a logistic regression needs both 0s and 1s"
    );
}

#[test]
fn separation_is_detected_and_named() {
    // Quasi-complete: every treated row has y = 1.
    let x = DMatrix::from_row_slice(
        8,
        3,
        &[
            1.0, 0.0, 0.3, 1.0, 0.0, 1.2, 1.0, 1.0, 0.5, 1.0, 1.0, 2.0, 1.0, 0.0, 0.7, 1.0, 1.0,
            0.1, 1.0, 0.0, 1.5, 1.0, 0.0, 0.9,
        ],
    );
    let y = [0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0];
    let e = Logit::new(&x, &y)
        .unwrap()
        .names(&["(Intercept)", "treated", "age"])
        .unwrap()
        .fit()
        .unwrap_err();
    match &e {
        RobustError::Separation { terms, detail } => {
            assert_eq!(terms, &["treated".to_string()]);
            assert!(detail.contains("quasi-complete"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
    // Multivariate: y = 1 exactly when a + b > 1, neither alone separates.
    let pts = [
        (0.1, 0.2),
        (0.9, 0.05),
        (0.3, 0.5),
        (0.6, 0.6),
        (0.2, 0.95),
        (0.95, 0.3),
        (0.5, 0.4),
        (0.4, 0.8),
    ];
    let x = DMatrix::from_fn(8, 3, |i, j| match j {
        0 => 1.0,
        1 => pts[i].0,
        _ => pts[i].1,
    });
    let y: Vec<f64> = pts
        .iter()
        .map(|(a, b)| if a + b > 1.0 { 1.0 } else { 0.0 })
        .collect();
    let e = Logit::new(&x, &y)
        .unwrap()
        .names(&["(Intercept)", "a", "b"])
        .unwrap()
        .fit()
        .unwrap_err();
    assert!(
        matches!(&e, RobustError::Separation { terms, .. } if terms.len() == 2),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .starts_with("separation: fitted probabilities are numerically 0 or 1"),
        "{e}"
    );
}

#[test]
fn leverage_one_makes_cr2_undefined() {
    // A cluster of one row with its own indicator column has leverage 1.
    let (x, y) = design(9);
    let mut x3 = DMatrix::zeros(9, 3);
    x3.columns_mut(0, 2).copy_from(&x);
    x3[(8, 2)] = 1.0;
    let fit = Ols::new(&x3, &y).unwrap().fit().unwrap();
    let cl = Clusters::from_labels("site", &[1, 1, 1, 2, 2, 2, 3, 3, 4]).unwrap();
    let e = fit
        .vcov(&Vcov::Cluster {
            clusters: cl.clone(),
            kind: CrType::Cr2,
        })
        .unwrap_err();
    assert!(
        matches!(&e, RobustError::Sandwich(SandwichError::LeverageOne { label, .. }) if label == "4"),
        "{e:?}"
    );
    assert!(
        fit.vcov(&Vcov::Cluster {
            clusters: cl,
            kind: CrType::Cr1
        })
        .is_ok()
    );
}

#[test]
fn constant_outcome_is_refused_and_a_perfect_fit_is_flagged() {
    // Found by the CLI fault campaign: a constant outcome gave r_squared null and an intercept
    // with t = 3e14, p = 2e−15, with no warning.
    let (x, _) = design(12);
    let y = vec![4.25; 12];
    let e = Ols::new(&x, &y).unwrap().fit().unwrap_err();
    assert_eq!(e, RobustError::ConstantResponse { value: 4.25, n: 12 });
    assert!(
        e.to_string()
            .starts_with("the outcome is 4.25 in all 12 rows used"),
        "{e}"
    );
    // An exactly linear outcome: fitted, with R's "essentially perfect fit" note.
    let y: Vec<f64> = x.column(1).iter().map(|v| 1.0 + 2.0 * v).collect();
    let fit = Ols::new(&x, &y).unwrap().fit().unwrap();
    let inf = fit.infer(&Vcov::Iid, Level::P95).unwrap();
    assert!(
        inf.notes
            .iter()
            .any(|n| n.starts_with("Essentially perfect fit")),
        "{:?}",
        inf.notes
    );
    // An ordinary fit has no such note.
    let (x, y) = design(12);
    let fit = Ols::new(&x, &y).unwrap().fit().unwrap();
    let inf = fit.infer(&Vcov::Iid, Level::P95).unwrap();
    assert!(inf.notes.iter().all(|n| !n.starts_with("Essentially")));
}

#[test]
fn a_huge_bootstrap_is_refused_before_allocating() {
    // Found while looking for the campaign's patterns elsewhere: --reps 1e11 at 500 clusters
    // asked for 50 TB of draws and aborted.
    use trialstats_robust::{WildClusterBootstrap, WildWeights};
    let (x, y) = design(40);
    let cl = Clusters::from_labels("g", &(0..40).map(|i| i % 20).collect::<Vec<_>>()).unwrap();
    let fit = Ols::new(&x, &y).unwrap().fit().unwrap();
    let spec = WildClusterBootstrap {
        reps: 100_000_000_000,
        weights: WildWeights::Webb,
        ..WildClusterBootstrap::default()
    };
    let e = spec.test(&fit, &cl, "x2").unwrap_err();
    assert!(e.to_string().contains("at most 10000000 replicates"), "{e}");
    // Rademacher with 2^G ≤ reps enumerates instead: no bound reached.
    let few = Clusters::from_labels("g", &(0..40).map(|i| i % 4).collect::<Vec<_>>()).unwrap();
    let spec = WildClusterBootstrap {
        reps: 100_000_000_000,
        ..WildClusterBootstrap::default()
    };
    assert_eq!(spec.test(&fit, &few, "x2").unwrap().reps, 16);
}
