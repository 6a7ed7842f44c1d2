//! trialstats-ordinal on the shared `ord` data sets: `clm(y ~ x1 + … + x5)` at N = 1e5 (G = 24),
//! and `clmm(y ~ x1 + … + x5 + (1|g))` by Laplace and AGQ with 10 nodes on 100 clusters × 10 and
//! 1000 clusters × 100 — the data and models of the R ordinal and statsmodels peer cases.
//!
//! Run: `cargo bench --bench ordinal`.

// A bench is a program on fixed data: a failure to set it up is a bug to stop at.
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "support/clus.rs"]
mod clus;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use trialstats::core::Clusters;
use trialstats::core::nalgebra::DMatrix;
use trialstats::ordinal::{Clm, Clmm, Quadrature};

const LEVELS: [&str; 5] = ["1", "2", "3", "4", "5"];

fn design(d: &clus::Ord) -> DMatrix<f64> {
    DMatrix::from_fn(d.y.len(), 5, |i, j| d.x[j][i])
}

fn ordinal(c: &mut Criterion) {
    clus::verify_ord().expect("the generator reproduces the shared data sets");
    let mut group = c.benchmark_group("ordinal");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    for (n, g) in [(1_000usize, 24usize), (100_000, 24)] {
        let d = clus::generate_ord(n, g);
        let x = design(&d);
        group.bench_with_input(
            BenchmarkId::new("clm", format!("n{n}/G{g}")),
            &(),
            |b, ()| {
                b.iter(|| black_box(Clm::with_levels(&d.y, &LEVELS, &x).unwrap().fit().unwrap()))
            },
        );
    }
    for (n, g) in [(1_000usize, 100usize), (100_000, 1000)] {
        let d = clus::generate_ord(n, g);
        let x = design(&d);
        let cl = Clusters::from_labels("g", &d.g).unwrap();
        for (label, q) in [
            ("laplace", Quadrature::Laplace),
            ("agq10", Quadrature::Adaptive { nodes: 10 }),
        ] {
            group.bench_with_input(
                BenchmarkId::new(format!("clmm_{label}"), format!("n{n}/G{g}")),
                &(),
                |b, ()| {
                    b.iter(|| {
                        black_box(
                            Clmm::new(&d.y, &LEVELS, &x, &cl)
                                .unwrap()
                                .quadrature(q)
                                .fit()
                                .unwrap(),
                        )
                    })
                },
            );
        }
    }
    group.finish();
}

criterion_group!(benches, ordinal);
criterion_main!(benches);
