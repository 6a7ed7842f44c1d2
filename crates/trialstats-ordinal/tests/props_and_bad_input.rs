//! Invariants of cumulative link models and bad input.

// Test code: a failed unwrap is a failed test, reported with its value.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use trialstats_core::Clusters;
use trialstats_core::nalgebra::DMatrix;
use trialstats_core::testing::max_rel_diff;
use trialstats_ordinal::{Clm, Clmm, Link, NestedClmm, OrdinalError};

/// An ordinal outcome generated from a latent logistic model with 4 categories.
fn case() -> impl Strategy<Value = (Vec<usize>, DMatrix<f64>)> {
    (60usize..200).prop_flat_map(|n| {
        (
            proptest::collection::vec(-2.0f64..2.0, n),
            proptest::collection::vec(0.0f64..1.0, n),
            proptest::collection::vec(0.001f64..0.999, n),
        )
            .prop_map(move |(x1, x2, u)| {
                let x = DMatrix::from_fn(n, 2, |i, j| {
                    if j == 0 {
                        x1[i]
                    } else {
                        (x2[i] > 0.5) as u8 as f64
                    }
                });
                let y = (0..n)
                    .map(|i| {
                        let ys = 0.8 * x1[i] - 0.5 * x[(i, 1)] + (u[i] / (1.0 - u[i])).ln();
                        [-1.0, 0.2, 1.2].iter().filter(|&&c| ys > c).count()
                    })
                    .collect();
                (y, x)
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn probabilities_sum_to_one_and_thresholds_increase((y, x) in case()) {
        prop_assume!((0..4).all(|c| y.iter().filter(|&&v| v == c).count() >= 3));
        for link in [Link::Logit, Link::Probit, Link::Cloglog] {
            let m = Clm::new(&y, 4, &x).unwrap().link(link).fit().unwrap();
            prop_assert!(m.thresholds().windows(2).all(|w| w[0] < w[1]));
            let p = m.predict(&x).unwrap();
            for i in 0..p.nrows() {
                prop_assert!((p.row(i).sum() - 1.0).abs() < 1e-12);
                prop_assert!(p.row(i).iter().all(|&v| (0.0..=1.0).contains(&v)));
            }
        }
    }

    #[test]
    fn reversing_categories_flips_beta((y, x) in case()) {
        prop_assume!((0..4).all(|c| y.iter().filter(|&&v| v == c).count() >= 3));
        let a = Clm::new(&y, 4, &x).unwrap().fit().unwrap();
        let rev: Vec<usize> = y.iter().map(|&c| 3 - c).collect();
        let b = Clm::new(&rev, 4, &x).unwrap().fit().unwrap();
        let neg: Vec<f64> = b.beta().iter().map(|v| -v).collect();
        prop_assert!(max_rel_diff(a.beta(), &neg) < 1e-7, "{:?} vs {:?}", a.beta(), neg);
        // Thresholds reverse and change sign (logit is symmetric).
        let th: Vec<f64> = b.thresholds().iter().rev().map(|v| -v).collect();
        prop_assert!(max_rel_diff(a.thresholds(), &th) < 1e-7);
        prop_assert!((a.loglik() - b.loglik()).abs() < 1e-9 * a.loglik().abs());
    }
}

#[test]
fn fewer_than_two_categories() {
    let x = DMatrix::from_element(5, 1, 0.5);
    let e = Clm::new(&[2, 2, 2, 2, 2], 4, &x).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the outcome has 1 observed category (3); an ordinal model needs at least two"
    );
}

#[test]
fn code_out_of_range() {
    let x = DMatrix::from_element(3, 1, 0.5);
    let e = Clm::new(&[0, 1, 5], 3, &x).unwrap_err();
    assert_eq!(
        e,
        OrdinalError::BadCode {
            row: 2,
            code: 5,
            n_categories: 3
        }
    );
    assert_eq!(
        e.to_string(),
        "row 3 has category code 5, but the outcome has 3 categories (codes 0 to 2)"
    );
}

#[test]
fn empty_middle_category_is_dropped_and_reported() {
    let x = DMatrix::from_column_slice(8, 1, &[0.1, 0.5, -0.3, 0.8, -1.0, 0.2, 0.9, -0.4]);
    let y = [0, 0, 3, 3, 0, 3, 1, 1];
    let m = Clm::with_levels(&y, &["none", "mild", "moderate", "severe"], &x)
        .unwrap()
        .fit()
        .unwrap();
    assert_eq!(m.levels(), ["none", "mild", "severe"]);
    assert_eq!(m.threshold_names(), ["none|mild", "mild|severe"]);
    assert_eq!(
        m.warnings()[0],
        "category `moderate` of the outcome has no observations and was dropped; the thresholds refer to the observed categories"
    );
}

#[test]
fn intercept_column_is_aliased_with_thresholds() {
    let x = DMatrix::from_fn(6, 2, |i, j| if j == 0 { 1.0 } else { i as f64 });
    let e = Clm::new(&[0, 1, 0, 1, 2, 2], 3, &x)
        .unwrap()
        .names(&["(Intercept)", "dose"])
        .unwrap()
        .fit()
        .unwrap_err();
    assert!(e.to_string().contains("`(Intercept)` is aliased"), "{e}");
}

#[test]
fn separation_is_an_error() {
    // y increases exactly with x: β runs off.
    let x = DMatrix::from_column_slice(9, 1, &[1., 2., 3., 4., 5., 6., 7., 8., 9.]);
    let y = [0, 0, 0, 1, 1, 1, 2, 2, 2];
    let e = Clm::new(&y, 3, &x)
        .unwrap()
        .names(&["dose"])
        .unwrap()
        .fit()
        .unwrap_err();
    assert!(matches!(&e, OrdinalError::Separation { .. }), "{e:?}");
    assert!(e.to_string().starts_with("separation:"), "{e}");
}

/// One category within every cluster (or participant): the variance diverges, a typed error
/// naming the factor, never a fit with σ in the hundreds.
#[test]
fn an_outcome_constant_within_every_group_is_an_error() {
    let n = 48;
    let x = DMatrix::from_fn(n, 1, |i, _| ((i * 7) % 5) as f64);
    let g: Vec<usize> = (0..n).map(|i| i / 8).collect();
    let pid: Vec<usize> = (0..n).map(|i| i / 2).collect();
    let groups = Clusters::from_labels("community", &g).unwrap();
    let inner = Clusters::from_labels("pid", &pid).unwrap();
    let by_community: Vec<usize> = g.iter().map(|c| c % 3).collect();
    let e = Clmm::new(&by_community, &["a", "b", "c"], &x, &groups).unwrap_err();
    assert!(
        matches!(&e, OrdinalError::ConstantWithinGroups { factor } if factor == "community"),
        "{e:?}"
    );
    // Constant within every participant but not within communities: the participant's.
    let by_pid: Vec<usize> = pid.iter().map(|p| p % 3).collect();
    let e = NestedClmm::new(&by_pid, &["a", "b", "c"], &x, &groups, &inner).unwrap_err();
    assert!(
        matches!(&e, OrdinalError::ConstantWithinGroups { factor } if factor == "pid"),
        "{e:?}"
    );
    assert!(e.to_string().contains("no finite estimate"), "{e}");
}

#[test]
fn non_finite_x() {
    let x = DMatrix::from_column_slice(3, 1, &[0.1, f64::NAN, 0.3]);
    assert!(matches!(
        Clm::new(&[0, 1, 1], 2, &x),
        Err(OrdinalError::Input(_))
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// Relabelling and reordering clusters changes nothing in a clmm.
    #[test]
    fn clmm_ignores_cluster_labels((y, x) in case(), perm in 0u64..1000) {
        prop_assume!((0..4).all(|c| y.iter().filter(|&&v| v == c).count() >= 3));
        use trialstats_core::Clusters;
        use trialstats_ordinal::{Clmm, Quadrature};
        let n = y.len();
        let labels: Vec<usize> = (0..n).map(|i| i % 6).collect();
        let renamed: Vec<usize> = labels.iter().map(|&g| (g * 7 + perm as usize) % 1000 + 10_000).collect();
        let a = Clusters::from_labels("g", &labels).unwrap();
        let b = Clusters::from_labels("g", &renamed).unwrap();
        let lv = ["1", "2", "3", "4"];
        let q = Quadrature::Adaptive { nodes: 7 };
        let fa = Clmm::new(&y, &lv, &x, &a).unwrap().quadrature(q).fit().unwrap();
        let fb = Clmm::new(&y, &lv, &x, &b).unwrap().quadrature(q).fit().unwrap();
        prop_assert!((fa.loglik() - fb.loglik()).abs() < 1e-9 * fa.loglik().abs());
        prop_assert!(max_rel_diff(fa.beta(), fb.beta()) < 1e-7);
    }
}
