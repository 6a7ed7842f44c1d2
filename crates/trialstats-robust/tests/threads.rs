//! The parallel parts give the same bits whatever the number of threads.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use nalgebra::{DMatrix, DVector};
use trialstats_core::Clusters;
use trialstats_robust::{BootTest, Ols, WildClusterBootstrap, WildWeights};

/// The wild bootstrap on 1, 2 and 3 threads: its replicate blocks run in parallel at fixed
/// boundaries and are put back in order, so the p-value and the interval's ends are identical
/// (300 clusters, 2999 Webb draws: 12 blocks; the slope terms of the interval included; the
/// arm's effect, 0.3, tested against 0.3).
#[test]
fn the_wild_bootstrap_is_the_same_on_any_number_of_threads() {
    let n = 3000;
    let g = 300;
    let x = DMatrix::from_fn(n, 3, |i, j| match j {
        0 => 1.0,
        1 => ((i / 10) % 2) as f64,
        _ => ((i * 7919) % 1013) as f64 / 500.0 - 1.0,
    });
    let y = DVector::from_fn(n, |i, _| {
        0.3 * x[(i, 1)]
            + 0.5 * x[(i, 2)]
            + ((i / 10) * 37 % 17) as f64 / 17.0
            + ((i * 104_729) % 997) as f64 / 997.0
    });
    let clusters =
        Clusters::from_labels("g", &(0..n).map(|i| i / (n / g)).collect::<Vec<_>>()).unwrap();
    let fit = Ols::new(&x, y.as_slice())
        .unwrap()
        .names(&["(Intercept)", "x1", "x2"])
        .unwrap()
        .fit()
        .unwrap();
    let spec = WildClusterBootstrap {
        reps: 2999,
        weights: WildWeights::Webb,
        seed: 11,
        // Near the estimate: a p-value inside (0, 1) whose bits mean something.
        null: 0.3,
        ..WildClusterBootstrap::default()
    };
    let on = |threads: usize| -> BootTest {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| spec.test(&fit, &clusters, "x1").unwrap())
    };
    let one = on(1);
    let (lo, hi) = one.ci.unwrap();
    assert!(lo < hi && one.p_value > 0.0 && one.p_value < 1.0);
    for threads in [2, 3] {
        let other = on(threads);
        assert_eq!(
            other.p_value.to_bits(),
            one.p_value.to_bits(),
            "{threads} threads"
        );
        let (l, h) = other.ci.unwrap();
        assert_eq!((l.to_bits(), h.to_bits()), (lo.to_bits(), hi.to_bits()));
    }
}
