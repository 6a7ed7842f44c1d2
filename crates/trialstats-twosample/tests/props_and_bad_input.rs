//! Invariants and bad input.

// Test code: a failed unwrap is a failed test, reported with its value.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use trialstats_core::Level;
use trialstats_twosample::{Continuity, Exact, Variances};
use trialstats_twosample::{TwoSampleError, chisq_test, fisher_test, t_test, wilcox_test};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn swapping_groups_negates_the_statistic(
        x in proptest::collection::vec(-10.0f64..10.0, 3..30),
        y in proptest::collection::vec(-10.0f64..10.0, 3..30),
    ) {
        for variances in [Variances::Unequal, Variances::Equal] {
            let a = t_test(&x, &y, variances, Level::P95).unwrap();
            let b = t_test(&y, &x, variances, Level::P95).unwrap();
            prop_assert!((a.statistic.unwrap() + b.statistic.unwrap()).abs() < 1e-9);
            prop_assert!((a.p_value - b.p_value).abs() < 1e-12);
            prop_assert!((0.0..=1.0).contains(&a.p_value));
        }
        let a = wilcox_test(&x, &y, Exact::Auto, Continuity::Corrected).unwrap();
        let b = wilcox_test(&y, &x, Exact::Auto, Continuity::Corrected).unwrap();
        // W_x + W_y = n_x n_y; the two-sided p is symmetric.
        prop_assert!((a.statistic.unwrap() + b.statistic.unwrap() - (x.len() * y.len()) as f64).abs() < 1e-9);
        prop_assert!((a.p_value - b.p_value).abs() < 1e-12);
        prop_assert!((0.0..=1.0).contains(&a.p_value));
    }
}

#[test]
fn exact_and_normal_wilcoxon_converge() {
    // Untied samples of growing size: |p_exact − p_normal| becomes small.
    let mut last = f64::INFINITY;
    for n in [6usize, 12, 24, 45] {
        let x: Vec<f64> = (0..n)
            .map(|i| (i as f64 * 1.37).sin() * 10.0 + 0.3)
            .collect();
        let y: Vec<f64> = (0..n)
            .map(|i| (i as f64 * 2.11).cos() * 10.0 + 1.1)
            .collect();
        let e = wilcox_test(&x, &y, Exact::Always, Continuity::Corrected)
            .unwrap()
            .p_value;
        let a = wilcox_test(&x, &y, Exact::Never, Continuity::Corrected)
            .unwrap()
            .p_value;
        let d = (e - a).abs();
        assert!(d < 0.05, "n = {n}: {d}");
        last = d;
    }
    assert!(last < 0.01, "{last}");
}

#[test]
fn bad_input_is_typed() {
    assert_eq!(
        t_test(&[1.0], &[1.0, 2.0], Variances::Unequal, Level::P95).unwrap_err(),
        TwoSampleError::TooFew {
            group: "x",
            n: 1,
            needed: 2
        }
    );
    assert_eq!(
        t_test(
            &[2.0, 2.0],
            &[2.0, 2.0, 2.0],
            Variances::Unequal,
            Level::P95
        )
        .unwrap_err(),
        TwoSampleError::ZeroVariance
    );
    assert!(
        t_test(
            &[1.0, f64::NAN],
            &[1.0, 2.0],
            Variances::Unequal,
            Level::P95
        )
        .is_err()
    );
    let e = chisq_test(&[vec![0.0, 0.0], vec![3.0, 4.0]], Continuity::Corrected).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the table's row 1 sums to zero; drop it before testing"
    );
    let e = fisher_test(&[vec![1.0, -2.0], vec![3.0, 4.0]], Level::P95).unwrap_err();
    assert_eq!(
        e.to_string(),
        "cell (1, 2) = -2 is not a non-negative whole count"
    );
    assert!(matches!(
        chisq_test(&[vec![1.0, 0.0], vec![3.0, 0.0]], Continuity::Corrected),
        Err(TwoSampleError::EmptyMargin {
            what: "column",
            index: 2
        })
    ));
    let big = vec![
        vec![1.0, 2.0, 3.0],
        vec![2.0, 1.0, 2.0],
        vec![3.0, 1.0, 1.0],
    ];
    // A 3 × 3 table is computed now (network algorithm); with no workspace and no fallback it
    // is a typed error.
    assert!(fisher_test(&big, Level::P95).is_ok());
    let none = trialstats_twosample::FisherControl {
        workspace: 0,
        fallback: None,
    };
    assert!(matches!(
        trialstats_twosample::fisher_test_with(&big, Level::P95, &none),
        Err(TwoSampleError::NotFeasible { rows: 3, cols: 3 })
    ));
    assert!(wilcox_test(&[], &[1.0], Exact::Auto, Continuity::Corrected).is_err());
    // A forced exact test on 1100 × 1000 pairs is refused (min(m, n)·mn/2 = 5.5e8 beyond
    // MAX_EXACT_WORK), not run for seconds.
    let x: Vec<f64> = (0..1100).map(|i| i as f64 * 0.5).collect();
    let y: Vec<f64> = (0..1000).map(|i| i as f64 * 0.5 + 0.25).collect();
    assert!(
        wilcox_test(&x, &y, Exact::Always, Continuity::Corrected)
            .unwrap_err()
            .to_string()
            .contains("exact Wilcoxon")
    );
}

/// Mann–Whitney finds a value that is not finite from its sorted keys, then names it as a check
/// first would have: the group and the row, small samples and large ones (the radix sort's), any
/// place, and the same error first when both groups have one or a group is empty.
#[test]
fn wilcoxon_names_the_first_value_that_is_not_finite() {
    use trialstats_core::InputError;
    let named = |x: &[f64], y: &[f64]| match wilcox_test(x, y, Exact::Auto, Continuity::Corrected) {
        Err(TwoSampleError::Input(InputError::NonFinite { field, row, .. })) => Some((field, row)),
        _ => None,
    };
    for n in [5, 10_000] {
        let x: Vec<f64> = (0..n).map(|i| (i as f64 * 0.7).sin()).collect();
        let y: Vec<f64> = (0..n).map(|i| (i as f64 * 1.3).cos() + 0.1).collect();
        assert!(wilcox_test(&x, &y, Exact::Auto, Continuity::Corrected).is_ok());
        for bad in [f64::NAN, -f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            for row in [0, n / 2, n - 1] {
                let mut bx = x.clone();
                bx[row] = bad;
                assert_eq!(named(&bx, &y), Some(("x".into(), row)), "{n} {bad} {row}");
                let mut by = y.clone();
                by[row] = bad;
                assert_eq!(named(&x, &by), Some(("y".into(), row)), "{n} {bad} {row}");
                // Both: x's is named, as a check of x then y would.
                assert_eq!(named(&bx, &by), Some(("x".into(), row)));
            }
        }
        let mut by = y.clone();
        by[1] = f64::NAN;
        assert!(matches!(
            wilcox_test(&[], &by, Exact::Auto, Continuity::Corrected),
            Err(TwoSampleError::TooFew { group: "x", .. })
        ));
    }
}

#[test]
fn describe_matches_r_quantiles() {
    // R 4.2.2: quantile(c(2, 3, 3, 5, 7, 7, 8, 9, 10, 3)) -> 2, 3, 6, 7.75, 10; sd 2.8693785622209790
    let d = trialstats_twosample::describe(&[
        Some(2.),
        Some(3.),
        Some(3.),
        Some(5.),
        Some(7.),
        None,
        Some(7.),
        Some(8.),
        Some(9.),
        Some(10.),
        Some(3.),
    ])
    .unwrap();
    assert_eq!((d.n, d.missing), (10, 1));
    let t = trialstats_core::testing::Tol::rel(1e-14);
    t.check("q1", d.q1, 3.0).unwrap();
    t.check("median", d.median, 6.0).unwrap();
    t.check("q3", d.q3, 7.75).unwrap();
    t.check("mean", d.mean, 5.7).unwrap();
    t.check("sd", d.sd.unwrap(), 2.8693785622209790).unwrap();
    assert_eq!(
        trialstats_twosample::describe(&[Some(4.0), None])
            .unwrap()
            .sd,
        None
    );
    assert_eq!(trialstats_twosample::quantile7(&[], 0.5), None);
}

#[test]
fn fisher_on_a_huge_total_is_refused_not_allocated() {
    // A 3 × 3 table of 1e9 counts asked for 8 GB of log-factorials.
    let t = vec![
        vec![1e9, 2.0, 3.0],
        vec![1.0, 5.0, 9.0],
        vec![2.0, 6.0, 5.0],
    ];
    let e = trialstats_twosample::fisher_test(&t, Level::P95).unwrap_err();
    assert!(matches!(e, TwoSampleError::TotalTooLarge { .. }), "{e:?}");
    assert!(e.to_string().contains("use the chi-square test"), "{e}");
    // The 2 × 2 support is as long: bounded too.
    let two = vec![vec![1e9, 2.0], vec![1e9, 9.0]];
    assert!(matches!(
        trialstats_twosample::fisher_test(&two, Level::P95),
        Err(TwoSampleError::TotalTooLarge { .. })
    ));
}
