//! MICE on the shared `mice_n{N}` data sets (N = 1e3, 1e4): y, treat, z1…z6 with ~20 % MAR
//! missingness in five columns; m = 5, maxit = 5, pmm for every incomplete column (25 cycles),
//! then `y ~ treat + z1 + … + z6` on each completed set, pooled — exactly the peer case
//! `mice_m5_25cycles_n{N}` of the shared benchmark (R mice, statsmodels, scikit-learn).

// A bench is a program on fixed data: a failure to set it up is a bug to stop at.
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "support/clus.rs"]
mod clus;

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

fn mice(c: &mut Criterion) {
    clus::verify_mice().expect("regenerated mice_n1000 differs from the shared manifest");
    let mut group = c.benchmark_group("mice");
    group.sample_size(10);
    for n in [1_000usize, 10_000] {
        let table = clus::mice_table(n);
        group.bench_with_input(BenchmarkId::new("m5_25cycles_pool", n), &table, |b, t| {
            b.iter(|| black_box(clus::mice_case(t)))
        });
    }
    group.finish();
}

criterion_group!(benches, mice);
criterion_main!(benches);
