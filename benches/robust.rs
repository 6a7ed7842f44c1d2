//! trialstats-robust at the sizes of the shared peer benchmarks: OLS + CR1, OLS + CR3, logit +
//! CR1 and the wild cluster bootstrap (WCR, Rademacher, B = 9 999) on `clus_n{N}_k{k}` with
//! G = 24 and G = 1000 — the same data and the same calls as the statsmodels, pyfixest and
//! wildboottest cases, timed from the design matrix to the standard errors.
//!
//! Run: `cargo bench --bench robust` (all sizes, several minutes) or
//! `cargo bench --bench robust -- n1000/` for the small ones.

// A bench is a program on fixed data: a failure to set it up is a bug to stop at.
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "support/clus.rs"]
mod clus;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use trialstats::core::Clusters;
use trialstats::core::nalgebra::DMatrix;
use trialstats::robust::{CrType, Logit, Ols, Vcov, WildClusterBootstrap};

struct Case {
    name: String,
    x: DMatrix<f64>,
    y: Vec<f64>,
    ybin: Vec<f64>,
    clusters: Clusters,
    names: Vec<String>,
}

fn cases() -> Vec<Case> {
    clus::verify().expect("the generator reproduces the shared data sets");
    let mut out = Vec::new();
    for n in [1_000usize, 100_000, 1_000_000] {
        for k in [5usize, 20] {
            let d = clus::generate(n, k);
            let x = DMatrix::from_fn(n, k + 1, |i, j| if j == 0 { 1.0 } else { d.x[j - 1][i] });
            let mut names = vec!["(Intercept)".to_string()];
            names.extend((1..=k).map(|j| format!("x{j}")));
            for (g, ids) in [(24usize, &d.g24), (1000, &d.g1000)] {
                if n == 1_000 && g == 1000 {
                    continue; // near-singleton clusters: not a peer case
                }
                out.push(Case {
                    name: format!("n{n}/k{k}/G{g}"),
                    x: x.clone(),
                    y: d.y.clone(),
                    ybin: d.ybin.clone(),
                    clusters: Clusters::from_labels(&format!("g{g}"), ids).expect("non-empty"),
                    names: names.clone(),
                });
            }
        }
    }
    out
}

fn robust(c: &mut Criterion) {
    let all = cases();
    let mut group = c.benchmark_group("robust");
    for case in &all {
        let large = case.x.nrows() >= 1_000_000;
        group.sample_size(if large { 10 } else { 30 });
        group.measurement_time(Duration::from_secs(if large { 8 } else { 3 }));
        group.bench_with_input(BenchmarkId::new("ols_cr1", &case.name), case, |b, c| {
            b.iter(|| {
                let fit = Ols::new(&c.x, &c.y)
                    .unwrap()
                    .names(&c.names)
                    .unwrap()
                    .clusters(&c.clusters)
                    .unwrap()
                    .fit()
                    .unwrap();
                black_box(
                    fit.vcov(&Vcov::Cluster {
                        clusters: c.clusters.clone(),
                        kind: CrType::Cr1,
                    })
                    .unwrap(),
                )
            })
        });
        group.bench_with_input(BenchmarkId::new("ols_cr3", &case.name), case, |b, c| {
            b.iter(|| {
                let fit = Ols::new(&c.x, &c.y)
                    .unwrap()
                    .names(&c.names)
                    .unwrap()
                    .clusters(&c.clusters)
                    .unwrap()
                    .fit()
                    .unwrap();
                black_box(
                    fit.vcov(&Vcov::Cluster {
                        clusters: c.clusters.clone(),
                        kind: CrType::Cr3 { jackknife: true },
                    })
                    .unwrap(),
                )
            })
        });
        group.bench_with_input(BenchmarkId::new("logit_cr1", &case.name), case, |b, c| {
            b.iter(|| {
                let fit = Logit::new(&c.x, &c.ybin)
                    .unwrap()
                    .names(&c.names)
                    .unwrap()
                    .fit()
                    .unwrap();
                black_box(
                    fit.vcov(&Vcov::Cluster {
                        clusters: c.clusters.clone(),
                        kind: CrType::Cr1,
                    })
                    .unwrap(),
                )
            })
        });
        group.bench_with_input(
            BenchmarkId::new("wild_b9999_given_fit", &case.name),
            case,
            |b, c| {
                // As pyfixest's Feols.wildboottest: the fit is made once, outside the timer.
                let spec = WildClusterBootstrap {
                    reps: 9_999,
                    level: None,
                    ..WildClusterBootstrap::default()
                };
                let fit = Ols::new(&c.x, &c.y)
                    .unwrap()
                    .names(&c.names)
                    .unwrap()
                    .clusters(&c.clusters)
                    .unwrap()
                    .fit()
                    .unwrap();
                b.iter(|| black_box(spec.test(&fit, &c.clusters, "x1").unwrap()))
            },
        );
        group.bench_with_input(BenchmarkId::new("wild_b9999", &case.name), case, |b, c| {
            let spec = WildClusterBootstrap {
                reps: 9_999,
                level: None,
                ..WildClusterBootstrap::default()
            };
            b.iter(|| {
                let fit = Ols::new(&c.x, &c.y)
                    .unwrap()
                    .names(&c.names)
                    .unwrap()
                    .clusters(&c.clusters)
                    .unwrap()
                    .fit()
                    .unwrap();
                black_box(spec.test(&fit, &c.clusters, "x1").unwrap())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, robust);
criterion_main!(benches);
