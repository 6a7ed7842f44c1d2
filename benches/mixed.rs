//! Linear mixed models on the shared `nest` data sets (2 rows per participant, participants in
//! communities): `y ~ arm * time + x1 + x2 + (1 | g)` by REML, with Satterthwaite and
//! Kenward–Roger summaries, and `+ (1 | g/pid)` (nested), at N = 2000 (G = 100) and N = 10 000
//! (G = 1000); the random-intercept logit of `ybin` (Laplace and 10-node quadrature). Peers: R
//! lme4/lmerTest/pbkrtest (`glmer` for the logit) and statsmodels MixedLM
//! (`scripts/bench-vs-peers`).

// A bench is a program on fixed data: a failure to set it up is a bug to stop at.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use trialstats::core::{Clusters, Level};
use trialstats::mixed::{Ddf, Glmm, Lmm, Quadrature};

#[path = "support/clus.rs"]
mod clus;

fn lmm(c: &mut Criterion) {
    clus::verify_nest().expect("nest data sets reproduce the generator");
    let mut group = c.benchmark_group("lmm");
    group.sample_size(20);
    for (n, g) in [(2000usize, 100usize), (10_000, 1000)] {
        let d = clus::generate_nest(n, g);
        let x = clus::nest_design(&d);
        let gg = Clusters::from_labels("g", &d.g).unwrap();
        let pid = Clusters::from_labels("pid", &d.pid).unwrap();
        group.bench_function(format!("lmm_reml_n{n}_G{g}"), |b| {
            b.iter(|| black_box(Lmm::new(&d.y, &x, &gg).unwrap().fit().unwrap().beta[0]));
        });
        group.bench_function(format!("lmm_satterthwaite_n{n}_G{g}"), |b| {
            b.iter(|| {
                let f = Lmm::new(&d.y, &x, &gg).unwrap().fit().unwrap();
                black_box(f.inference(Ddf::Satterthwaite, Level::P95).unwrap())
            });
        });
        group.bench_function(format!("lmm_kenward_roger_n{n}_G{g}"), |b| {
            b.iter(|| {
                let f = Lmm::new(&d.y, &x, &gg).unwrap().fit().unwrap();
                black_box(f.inference(Ddf::KenwardRoger, Level::P95).unwrap())
            });
        });
        group.bench_function(format!("lmm_nested_reml_n{n}_G{g}"), |b| {
            b.iter(|| {
                black_box(
                    Lmm::new(&d.y, &x, &gg)
                        .unwrap()
                        .nested(&pid)
                        .unwrap()
                        .fit()
                        .unwrap()
                        .beta[0],
                )
            });
        });
    }
    group.finish();
}

/// The random-intercept logit `ybin ~ arm * time + x1 + x2 + (1 | g)`, Laplace and 10-node
/// adaptive quadrature (peer: lme4 `glmer(nAGQ = 10)`).
fn glmm(c: &mut Criterion) {
    let mut group = c.benchmark_group("glmm");
    group.sample_size(10);
    for (n, g) in [(2000usize, 100usize), (10_000, 1000)] {
        let d = clus::generate_nest(n, g);
        let x = clus::nest_design(&d);
        let gg = Clusters::from_labels("g", &d.g).unwrap();
        for (label, q) in [
            ("laplace", Quadrature::Laplace),
            ("aghq10", Quadrature::Adaptive { nodes: 10 }),
        ] {
            group.bench_function(format!("glmm_{label}_n{n}_G{g}"), |b| {
                b.iter(|| {
                    black_box(
                        Glmm::new(&d.ybin, &x, &gg)
                            .unwrap()
                            .quadrature(q)
                            .fit()
                            .unwrap()
                            .beta[0],
                    )
                });
            });
        }
    }
    group.finish();
}

criterion_group!(benches, lmm, glmm);
criterion_main!(benches);
