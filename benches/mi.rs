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
use trialstats::data::{Column, DataTable, Formula, FrameOptions, ModelFrame};
use trialstats::mi::Mice;
use trialstats::robust::{Ols, Vcov};

fn mice(c: &mut Criterion) {
    clus::verify_mice().expect("regenerated mice_n1000 differs from the shared manifest");
    let mut group = c.benchmark_group("mice");
    group.sample_size(10);
    for n in [1_000usize, 10_000] {
        let cols = clus::generate_mice(n);
        // The peer case imputes and analyses y, treat, z1..z6 (not g).
        let table = DataTable::new(
            "mice",
            cols.into_iter()
                .filter(|(name, _)| *name != "g")
                .map(|(name, v)| Column::numeric(name, v))
                .collect(),
        )
        .unwrap();
        let f = Formula::parse("y ~ treat + z1 + z2 + z3 + z4 + z5 + z6").unwrap();
        group.bench_with_input(BenchmarkId::new("m5_25cycles_pool", n), &table, |b, t| {
            b.iter(|| {
                let imp = Mice::new(t)
                    .unwrap()
                    .m(5)
                    .maxit(5)
                    .seed(1)
                    .run(None)
                    .unwrap();
                let pooled = imp
                    .analyse((n - 8) as f64, 0.95, |d| {
                        let mf = ModelFrame::new(d, &f, &FrameOptions::default())
                            .map_err(|e| e.to_string())?;
                        Ols::new(&mf.x, mf.y().map_err(|e| e.to_string())?)
                            .and_then(|o| o.names(&mf.column_names))
                            .and_then(|o| o.fit())
                            .and_then(|fit| fit.infer(&Vcov::Iid, 0.95))
                            .map_err(|e| e.to_string())
                    })
                    .unwrap();
                black_box(pooled)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, mice);
criterion_main!(benches);
