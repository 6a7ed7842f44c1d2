//! Invariants of the estimators, on generated clustered data.

// Test code: a failed unwrap is a failed test, reported with its value.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use trialstats_core::Clusters;
use trialstats_core::nalgebra::DMatrix;
use trialstats_core::testing::max_rel_diff;
use trialstats_robust::{CrType, HcType, Ols, OnePass, Vcov, WildClusterBootstrap};

/// A clustered OLS case: n rows, G clusters (every cluster non-empty), X = [1, x1, x2].
#[derive(Debug, Clone)]
struct Case {
    x: DMatrix<f64>,
    y: Vec<f64>,
    cl: Vec<u32>,
}

fn case(n: std::ops::Range<usize>, g: std::ops::Range<u32>) -> impl Strategy<Value = Case> {
    (n, g).prop_flat_map(|(n, g)| {
        let n = n.max(3 * g as usize + 4);
        (
            proptest::collection::vec(-3.0f64..3.0, n),
            proptest::collection::vec(-3.0f64..3.0, n),
            proptest::collection::vec(-5.0f64..5.0, n),
            proptest::collection::vec(0..g, n),
        )
            .prop_map(move |(x1, x2, e, mut cl)| {
                // Make every cluster non-empty.
                for (i, c) in cl.iter_mut().enumerate().take(g as usize) {
                    *c = i as u32;
                }
                let x = DMatrix::from_fn(n, 3, |i, j| match j {
                    0 => 1.0,
                    1 => x1[i],
                    _ => x2[i],
                });
                let y = (0..n)
                    .map(|i| 1.0 + 0.5 * x1[i] - 0.25 * x2[i] + e[i])
                    .collect();
                Case { x, y, cl }
            })
    })
}

fn se(c: &Case, kind: CrType) -> Vec<f64> {
    let fit = Ols::new(&c.x, &c.y).unwrap().fit().unwrap();
    let cl = Clusters::from_labels("g", &c.cl).unwrap();
    let v = fit.vcov(&Vcov::Cluster { clusters: cl, kind }).unwrap();
    (0..3).map(|j| v.matrix[(j, j)].sqrt()).collect()
}

/// The same case with rows permuted by `seed` and cluster labels renamed.
fn shuffled(c: &Case, seed: u64) -> Case {
    let n = c.y.len();
    let mut rng = trialstats_core::rng::Rng::seed_from(seed);
    let mut perm: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        perm.swap(i, rng.below(i as u64 + 1) as usize);
    }
    Case {
        x: DMatrix::from_fn(n, 3, |i, j| c.x[(perm[i], j)]),
        y: perm.iter().map(|&i| c.y[i]).collect(),
        cl: perm.iter().map(|&i| 1000 - c.cl[i]).collect(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn cluster_se_ignores_row_order_and_labels(c in case(20..120, 2..10), seed in any::<u64>()) {
        let s = shuffled(&c, seed);
        for kind in [CrType::Cr1, CrType::Cr2, CrType::Cr3 { jackknife: false }] {
            prop_assert!(max_rel_diff(&se(&c, kind), &se(&s, kind)) < 1e-9);
        }
    }

    #[test]
    fn scaling_y_scales_beta_and_se(c in case(20..100, 2..8), k in prop_oneof![-1e3f64..-1e-3, 1e-3f64..1e3]) {
        let scaled = Case { y: c.y.iter().map(|v| v * k).collect(), ..c.clone() };
        let f0 = Ols::new(&c.x, &c.y).unwrap().fit().unwrap();
        let f1 = Ols::new(&scaled.x, &scaled.y).unwrap().fit().unwrap();
        let b0: Vec<f64> = f0.coefficients().iter().map(|b| b * k).collect();
        prop_assert!(max_rel_diff(f1.coefficients().as_slice(), &b0) < 1e-9);
        let s0: Vec<f64> = se(&c, CrType::Cr2).iter().map(|s| s * k.abs()).collect();
        prop_assert!(max_rel_diff(&se(&scaled, CrType::Cr2), &s0) < 1e-9);
    }

    #[test]
    fn singleton_clusters_reduce_to_hc(c in case(10..60, 2..3)) {
        let fit = Ols::new(&c.x, &c.y).unwrap().fit().unwrap();
        let ids: Vec<usize> = (0..c.y.len()).collect();
        let single = Clusters::from_labels("row", &ids).unwrap();
        for (cr, hc) in [(CrType::Cr0, HcType::Hc0), (CrType::Cr2, HcType::Hc2), (CrType::Cr3 { jackknife: false }, HcType::Hc3)] {
            let a = fit.vcov(&Vcov::Cluster { clusters: single.clone(), kind: cr }).unwrap().matrix;
            let b = fit.vcov(&Vcov::Hc(hc)).unwrap().matrix;
            prop_assert!(max_rel_diff(a.as_slice(), b.as_slice()) < 1e-9, "{cr:?} vs {hc:?}");
            prop_assert!(max_rel_diff(a.as_slice(), a.transpose().as_slice()) < 1e-12, "symmetric");
        }
    }

    #[test]
    fn enumerated_bootstrap_p_is_exactly_reproducible(c in case(30..80, 4..9), s1 in any::<u64>(), s2 in any::<u64>()) {
        let fit = Ols::new(&c.x, &c.y).unwrap().names(&["(Intercept)", "x1", "x2"]).unwrap().fit().unwrap();
        let cl = Clusters::from_labels("g", &c.cl).unwrap();
        let spec = |seed| WildClusterBootstrap { seed, level: None, ..WildClusterBootstrap::default() };
        let a = spec(s1).test(&fit, &cl, "x1").unwrap();
        let b = spec(s2).test(&fit, &cl, "x1").unwrap();
        prop_assert!(a.enumerated);
        prop_assert_eq!(a.p_value.to_bits(), b.p_value.to_bits());
        prop_assert!(a.p_value * a.reps as f64 >= 2.0 - 1e-9, "the two exact-tie vectors always count");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// The one-pass fit with clusters (sufficient statistics, forced: these designs are below
    /// the automatic choice's thresholds) and the plain fit agree.
    #[test]
    fn cluster_statistics_path_agrees(c in case(20..150, 2..12)) {
        let cl = Clusters::from_labels("g", &c.cl).unwrap();
        let plain = Ols::new(&c.x, &c.y).unwrap().fit().unwrap();
        let fast = Ols::new(&c.x, &c.y).unwrap().clusters(&cl).unwrap().one_pass(OnePass::Always).fit().unwrap();
        prop_assert!(max_rel_diff(fast.coefficients().as_slice(), plain.coefficients().as_slice()) < 1e-10);
        for kind in [CrType::Cr0, CrType::Cr1, CrType::Cr2, CrType::Cr3 { jackknife: true }] {
            let how = Vcov::Cluster { clusters: cl.clone(), kind };
            let a = fast.vcov(&how).unwrap();
            let b = plain.vcov(&how).unwrap();
            let scale = b.matrix.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let diff = a.matrix.iter().zip(b.matrix.iter()).fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
            prop_assert!(diff <= 1e-9 * scale, "{kind:?}: {diff} vs {scale}");
        }
        let spec = WildClusterBootstrap { reps: 199, level: None, ..WildClusterBootstrap::default() };
        let names = ["x1", "x2", "x3"];
        let fast = Ols::new(&c.x, &c.y).unwrap().names(&names).unwrap().clusters(&cl).unwrap().one_pass(OnePass::Always).fit().unwrap();
        let plain = Ols::new(&c.x, &c.y).unwrap().names(&names).unwrap().fit().unwrap();
        let a = spec.test(&fast, &cl, "x2").unwrap();
        let b = spec.test(&plain, &cl, "x2").unwrap();
        prop_assert!((a.statistic - b.statistic).abs() <= 1e-9 * b.statistic.abs().max(1.0));
        // The two sign vectors that reproduce ±t exactly (all +1, all −1) are counted or not as
        // rounding falls (see the `wild` module docs): the two fits' statistics agree to about
        // 1e−11 when t is large, beyond the tie tolerance, so the p-values may differ by those two
        // replicates out of the B used (2^G when enumerated, as with G ≤ 7 here), and no more.
        prop_assert_eq!(a.reps, b.reps);
        prop_assert!((a.p_value - b.p_value).abs() <= 2.0 / a.reps as f64 + 1e-12, "{} vs {}", a.p_value, b.p_value);
    }
}
