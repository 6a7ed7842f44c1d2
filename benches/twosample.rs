//! Tests of two and more groups at realistic and large sizes: the exact Wilcoxon test and
//! Hodges–Lehmann interval (R's `wilcox.test(exact = TRUE, conf.int = TRUE)` took 312 s at
//! n = 400 + 400 on this machine), Fisher's exact test on r × c tables by the network algorithm
//! (R's `fisher.test`: 0.06 s on the 10 × 2 table), Kruskal–Wallis and the ANOVAs.
//!
//! Run: `cargo bench --bench twosample`.

// A bench is a program on fixed data: a failure to set it up is a bug to stop at.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::hint::black_box;
use std::time::Duration;
use trialstats::core::Level;
use trialstats::twosample::{Continuity, Exact, Variances};

use criterion::{Criterion, criterion_group, criterion_main};
use trialstats::core::rng::Rng;
use trialstats::twosample::{
    MannWhitney, fisher_test, kruskal_wallis, oneway, wilcox_test_with_interval,
};

/// Seeded samples without ties (five decimals, shifted by `shift`).
fn sample(n: usize, seed: u64, shift: f64) -> Vec<f64> {
    let mut r = Rng::seed_from(seed);
    (0..n)
        .map(|i| shift + (r.normal() * 1e5).round() / 1e5 + i as f64 * 1e-9)
        .collect()
}

fn twosample(c: &mut Criterion) {
    let mut group = c.benchmark_group("twosample");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    for n in [50usize, 400] {
        let (x, y) = (sample(n, 1, 0.2), sample(n, 2, 0.0));
        group.bench_function(format!("wilcoxon_exact_ci_n{n}x{n}"), |b| {
            b.iter(|| {
                let t = wilcox_test_with_interval(
                    &x,
                    &y,
                    Level::P95,
                    Exact::Always,
                    Continuity::Corrected,
                )
                .unwrap();
                black_box((t.p_value, t.ci))
            });
        });
        group.bench_function(format!("mann_whitney_distribution_{n}x{n}"), |b| {
            b.iter(|| black_box(MannWhitney::new(n, n).unwrap().cdf(1.0)));
        });
    }
    let t3 = vec![
        vec![3.0, 1.0, 4.0],
        vec![1.0, 5.0, 9.0],
        vec![2.0, 6.0, 5.0],
    ];
    let t10: Vec<Vec<f64>> = [
        (5, 5),
        (7, 3),
        (2, 8),
        (6, 4),
        (4, 6),
        (9, 1),
        (3, 7),
        (5, 5),
        (8, 2),
        (1, 9),
    ]
    .iter()
    .map(|&(a, b)| vec![f64::from(a), f64::from(b)])
    .collect();
    group.bench_function("fisher_3x3_n41", |b| {
        b.iter(|| black_box(fisher_test(&t3, Level::P95).unwrap().p_value));
    });
    group.bench_function("fisher_10x2_n100", |b| {
        b.iter(|| black_box(fisher_test(&t10, Level::P95).unwrap().p_value));
    });
    for n in [1_000usize, 100_000] {
        let groups: Vec<Vec<f64>> = (0..4)
            .map(|g| sample(n / 4, 10 + g, 0.1 * g as f64))
            .collect();
        let slices: Vec<&[f64]> = groups.iter().map(Vec::as_slice).collect();
        group.bench_function(format!("kruskal_wallis_4_groups_n{n}"), |b| {
            b.iter(|| black_box(kruskal_wallis(&slices).unwrap().test.p_value));
        });
        group.bench_function(format!("welch_anova_4_groups_n{n}"), |b| {
            b.iter(|| black_box(oneway(&slices, Variances::Unequal).unwrap().p_value));
        });
    }
    group.finish();
}

criterion_group!(benches, twosample);
criterion_main!(benches);
