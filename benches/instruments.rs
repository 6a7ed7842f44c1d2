//! Scoring throughput: 1e6 EQ-5D states (an additive 3L set, the Australian lookup, a 5L set and
//! the crosswalk; from text, as read from a table) and 1e6 PHQ-9 response sets (typed).

// A bench is a program on fixed data: a failure to set it up is a bug to stop at.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use trialstats::core::rng::Rng;
use trialstats::instruments::eq5d::{HealthState, value_set};
use trialstats::instruments::{Frequency, Phq9, Phq9Response};

const N: usize = 1_000_000;

fn states(levels: u64, r: &mut Rng) -> Vec<String> {
    (0..N)
        .map(|_| {
            (0..5)
                .map(|_| char::from(b'1' + r.below(levels) as u8))
                .collect()
        })
        .collect()
}

fn eq5d(c: &mut Criterion) {
    let mut r = Rng::seed_from(2012);
    let s3 = states(3, &mut r);
    let s5 = states(5, &mut r);
    let mut group = c.benchmark_group("eq5d");
    group.throughput(Throughput::Elements(N as u64));
    group.sample_size(10);
    for (id, states) in [
        ("eq5d3l_uk_dolan1997", &s3),
        ("eq5d3l_au_viney2011", &s3),
        ("eq5d5l_en_devlin2018", &s5),
        ("eq5d5l_cw_uk", &s5),
    ] {
        let vs = value_set(id).unwrap();
        group.bench_function(format!("{id}_1e6_states_from_text"), |b| {
            b.iter(|| {
                let mut sum = 0.0;
                for s in states {
                    let st = HealthState::parse(s, vs.version, vs.id).unwrap().unwrap();
                    sum += vs.index(&st).unwrap();
                }
                black_box(sum)
            })
        });
    }
    group.finish();
}

fn phq9(c: &mut Criterion) {
    let mut r = Rng::seed_from(2001);
    let responses: Vec<Phq9Response> = (0..N)
        .map(|_| Phq9Response {
            items: std::array::from_fn(|_| Frequency::from_code(r.below(4) as u8)),
            difficulty: None,
        })
        .collect();
    let scorer = Phq9::default();
    let mut group = c.benchmark_group("phq9");
    group.throughput(Throughput::Elements(N as u64));
    group.sample_size(10);
    group.bench_function("phq9_1e6_response_sets", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            for resp in &responses {
                sum += scorer.score_response(resp).total.unwrap();
            }
            black_box(sum)
        })
    });
    group.finish();
}

criterion_group!(benches, eq5d, phq9);
criterion_main!(benches);
