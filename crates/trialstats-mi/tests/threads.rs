//! MICE gives the same bits whatever the number of threads.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rayon::prelude::*;
use trialstats_core::rng::Rng;
use trialstats_data::{Column, DataTable};
use trialstats_mi::{ClusterTerm, Imputed, Method, Mice, Progress};

/// 600 rows: a numeric column with 25 % missing (pmm), one with 20 % (norm), a three-level
/// categorical one with 15 % (polr), a complete predictor and a cluster of 12.
fn table() -> DataTable {
    let mut rng = Rng::seed_from(5);
    let (mut x, mut y, mut z, mut c, mut g) = (vec![], vec![], vec![], vec![], vec![]);
    for i in 0..600 {
        let zi = rng.normal();
        let xi = 0.5 * zi + rng.normal();
        let yi = 1.0 + xi - zi + rng.normal();
        let ci = ["low", "mid", "high"][usize::from(xi > -0.5) + usize::from(xi > 0.5)];
        x.push((rng.uniform() >= 0.25).then_some(xi));
        y.push((rng.uniform() >= 0.2).then_some(yi));
        z.push(Some(zi));
        c.push((rng.uniform() >= 0.15).then_some(ci));
        g.push(Some((i % 12) as f64));
    }
    DataTable::new(
        "threads",
        vec![
            Column::numeric("x", x),
            Column::numeric("y", y),
            Column::numeric("z", z),
            Column::categorical("c", &c),
            Column::numeric("g", g),
        ],
    )
    .unwrap()
}

/// Every imputed value and the whole trace, as bits.
fn bits(imp: &Imputed) -> Vec<u64> {
    let mut out = Vec::new();
    for i in 0..imp.m {
        for col in ["x", "y", "c"] {
            out.extend(
                imp.imputed_values(col, i)
                    .unwrap()
                    .iter()
                    .map(|v| v.to_bits()),
            );
        }
    }
    for t in &imp.trace {
        out.extend([t.chain as u64, t.iteration as u64, t.mean.to_bits()]);
        out.push(t.sd.map_or(0, f64::to_bits));
    }
    out
}

fn on_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

/// The chains advance in turn on however many threads there are; each draws from its own
/// generator, so the completed data and the trace are identical on 1, 2 and 3 threads (and
/// the progress callback still sees every count once, in order).
#[test]
fn mice_is_the_same_on_any_number_of_threads() {
    let t = table();
    let spec = Mice::new(&t)
        .unwrap()
        .method("y", Method::Norm)
        .unwrap()
        .cluster("g", ClusterTerm::Means)
        .unwrap()
        .m(5)
        .maxit(4)
        .seed(17);
    let run = |threads: usize| {
        on_threads(threads, || {
            let mut seen = Vec::new();
            let imp = spec
                .run(Some(&mut |p: Progress| seen.push((p.done, p.total))))
                .unwrap();
            (bits(&imp), seen)
        })
    };
    let (one, seen) = run(1);
    assert_eq!(seen, (1..=20).map(|d| (d, 20)).collect::<Vec<_>>());
    for threads in [2, 3] {
        let (other, seen_other) = run(threads);
        assert!(one == other, "{threads} threads changed the imputations");
        assert_eq!(seen_other, seen, "{threads} threads");
    }
}

/// Imputation inside a parallel loop (as the Monte Carlo study runs it, one imputation per
/// replication) finishes and gives each replication the values it gets alone.
#[test]
fn mice_inside_a_parallel_loop_matches_its_serial_runs() {
    let t = table();
    let spec = |seed: u64| Mice::new(&t).unwrap().m(3).maxit(3).seed(seed);
    let serial: Vec<Vec<u64>> = (0..4)
        .map(|s| on_threads(1, || bits(&spec(s).run(None).unwrap())))
        .collect();
    let nested: Vec<Vec<u64>> = on_threads(2, || {
        (0..4u64)
            .into_par_iter()
            .map(|s| bits(&spec(s).run(None).unwrap()))
            .collect()
    });
    assert!(serial == nested);
}
