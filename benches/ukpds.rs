//! UKPDS 56 and 60 over 1e6 seeded profiles (validation and risk), with throughput.

// A bench is a program on fixed data: a failure to set it up is a bug to stop at.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use trialstats::core::rng::Rng;
use trialstats::ukpds::{Equation, ProfileBuilder};

fn profiles(n: usize) -> Vec<ProfileBuilder> {
    let mut r = Rng::seed_from(2016);
    (0..n)
        .map(|_| ProfileBuilder {
            age_at_diagnosis: 35.0 + 30.0 * r.uniform(),
            duration: 20.0 * r.uniform(),
            female: f64::from(u8::from(r.coin())),
            afro_caribbean: f64::from(u8::from(r.uniform() < 0.1)),
            smoker: f64::from(u8::from(r.uniform() < 0.2)),
            hba1c: 5.5 + 5.0 * r.uniform(),
            sbp: 110.0 + 60.0 * r.uniform(),
            tc_hdl: 2.5 + 4.0 * r.uniform(),
            atrial_fibrillation: f64::from(u8::from(r.uniform() < 0.05)),
        })
        .collect()
}

fn ukpds(c: &mut Criterion) {
    let n = 1_000_000;
    let ps = profiles(n);
    let mut group = c.benchmark_group("ukpds");
    group.throughput(Throughput::Elements(n as u64));
    group.sample_size(10);
    for (label, eq) in [("chd_5y", Equation::Chd), ("stroke_5y", Equation::Stroke)] {
        group.bench_function(format!("{label}_1e6_profiles"), |b| {
            b.iter(|| {
                let mut sum = 0.0;
                for p in &ps {
                    sum += eq.risk(&p.build().unwrap(), 5.0).unwrap().risk;
                }
                black_box(sum)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, ukpds);
criterion_main!(benches);
