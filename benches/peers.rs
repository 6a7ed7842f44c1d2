//! The shared peer benchmark cases, run on trialstats: the same data (regenerated bit for bit
//! from the shared specification and checked against its manifest), the same estimation call,
//! the same timing protocol as the peers' `run_peers.py` (one untimed warm-up call, then up to
//! `--reps` timed calls within `--budget` seconds; the median is reported), written as the same
//! JSON lines so that one script can put both sides in one table.
//!
//! ```sh
//! cargo bench --bench peers -- --list                 # the cases
//! cargo bench --bench peers -- --only ols_crv1 --out results.jsonl
//! ```
//! Options: `--only SUBSTR` (case or data-set name; with `--exact`, exactly that case), `--reps N`
//! (default 5), `--budget S`
//! (default 20), `--quick` (N = 1e3 only), `--out FILE` (default: standard output), `--memory`
//! (record the resident memory before the case's first call and its peak during the calls),
//! `--threads N` (rayon's pool, default 1), `--unbound` (its workers not bound to CPUs; see
//! `trialstats_core::threads`). Timed is the
//! call from the prepared design matrix and response to the reported result, as the peers time
//! theirs; generating the data is outside the timer.

// A bench is a program on fixed data: a failure to set it up is a bug to stop at.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

#[path = "support/clus.rs"]
mod clus;

use std::hint::black_box;
use std::io::Write;
use std::time::Instant;
use trialstats::core::Level;
use trialstats::core::threads::{self, Placement};
use trialstats::twosample::{Continuity, Exact, Variances};

use trialstats::core::Clusters;
use trialstats::core::nalgebra::DMatrix;
use trialstats::mixed::{Ddf, Glmm, Lmm};
use trialstats::ordinal::{Clm, Clmm, NestedClmm, Quadrature};
use trialstats::robust::{CrType, Logit, Ols, Vcov, WildClusterBootstrap};
use trialstats::twosample::{t_test, wilcox_test};

struct Opts {
    only: Option<String>,
    reps: usize,
    budget: f64,
    quick: bool,
    list: bool,
    exact: bool,
    out: Option<String>,
    /// Threads of rayon's pool (`--threads N`, default 1: the peers run on one thread).
    threads: usize,
    /// The pool's workers left to the kernel (`--unbound`) rather than bound to CPUs.
    unbound: bool,
}

fn opts() -> Opts {
    let args: Vec<String> = std::env::args().collect();
    let val = |f: &str| {
        args.iter()
            .position(|a| a == f)
            .and_then(|i| args.get(i + 1).cloned())
    };
    Opts {
        only: val("--only"),
        reps: val("--reps").map_or(5, |v| v.parse().expect("--reps N")),
        budget: val("--budget").map_or(20.0, |v| v.parse().expect("--budget S")),
        quick: args.iter().any(|a| a == "--quick"),
        list: args.iter().any(|a| a == "--list"),
        exact: args.iter().any(|a| a == "--exact"),
        out: val("--out"),
        threads: val("--threads").map_or(1, |v| v.parse().expect("--threads N")),
        unbound: args.iter().any(|a| a == "--unbound"),
    }
}

/// Resident memory of this process in MiB: (now, peak since the last reset), from
/// /proc/self/status (Linux; None elsewhere).
fn resident() -> Option<(f64, f64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<f64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib / 1024.0)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// The memory of the last timed case: resident before its first call (the data) and the peak
/// during its calls, in MiB (`--memory` resets the peak before the case; Linux only).
static MEMORY: std::sync::Mutex<Option<(f64, f64)>> = std::sync::Mutex::new(None);

/// Times `f` as the peers do: a warm-up call, then up to `reps` calls within `budget` seconds.
fn time<F: FnMut()>(mut f: F, reps: usize, budget: f64) -> (f64, Vec<f64>) {
    // The peak resident size restarts from the current one ("5" to clear_refs), so that the
    // peak read after the calls is theirs, not the data generation's.
    let base = if std::env::args().any(|a| a == "--memory")
        && std::fs::write("/proc/self/clear_refs", "5").is_ok()
    {
        resident().map(|r| r.0)
    } else {
        None
    };
    let t0 = Instant::now();
    f();
    let first = t0.elapsed().as_secs_f64();
    *MEMORY.lock().unwrap() = base.zip(resident().map(|r| r.1));
    let mut times = Vec::new();
    if first > budget {
        return (first, vec![first]);
    }
    let n = reps.min(((budget / first.max(1e-9)) as usize).max(1));
    for _ in 0..n {
        let t = Instant::now();
        f();
        times.push(t.elapsed().as_secs_f64());
    }
    *MEMORY.lock().unwrap() = base.zip(resident().map(|r| r.1));
    (first, times)
}

struct Writer {
    out: Box<dyn Write>,
}

impl Writer {
    fn record(
        &mut self,
        family: &str,
        case: &str,
        dataset: &str,
        params: &str,
        first: f64,
        times: &[f64],
    ) {
        let mut sorted = times.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        let ts: Vec<String> = times.iter().map(|t| format!("{t:.6}")).collect();
        let memory = match MEMORY.lock().unwrap().take() {
            Some((base, peak)) => {
                format!(", \"rss_before_mib\": {base:.1}, \"peak_rss_mib\": {peak:.1}")
            }
            None => String::new(),
        };
        writeln!(
            self.out,
            "{{\"peer\": \"trialstats (Rust)\", \"family\": \"{family}\", \"case\": \"{case}\", \"dataset\": \"{dataset}\", \"params\": {params}, \"threads\": \"{threads}\", \"bound\": {bound}, \"status\": \"ok\", \"median_s\": {median:.9}, \"min_s\": {:.9}, \"n_reps\": {n}, \"times_s\": [{}], \"first_call_s\": {first:.6}{memory}}}",
            sorted[0],
            ts.join(", "),
            threads = rayon::current_num_threads(),
            bound = BOUND.load(std::sync::atomic::Ordering::Relaxed),
        )
        .unwrap();
        self.out.flush().unwrap();
        eprintln!("{case:40} {median:>12.6} s");
    }
}

fn wanted(o: &Opts, case: &str, dataset: &str) -> bool {
    o.only.as_ref().is_none_or(|s| {
        if o.exact {
            case == s
        } else {
            case.contains(s.as_str()) || dataset.contains(s.as_str())
        }
    })
}

fn main() {
    let o = opts();
    if std::env::args().any(|a| a == "--bench") && o.only.is_none() && !o.list && o.out.is_none() {
        // `cargo bench` runs every bench target with `--bench`: keep this one out of that sweep.
        eprintln!("peers: run with `cargo bench --bench peers -- --only CASE` or `-- --list`");
        return;
    }
    // Every case runs inside the pool, on its workers, each bound to a CPU of its own unless
    // `--unbound` (trialstats_core::threads: on this machine an unbound worker woken from sleep
    // was often put on the busy CPU of the thread that woke it).
    let placement = if o.unbound {
        Placement::Free
    } else {
        Placement::Bound
    };
    let pool = threads::pool(o.threads, placement).expect("rayon's pool");
    BOUND.store(
        !pool.cpus().is_empty(),
        std::sync::atomic::Ordering::Relaxed,
    );
    pool.install(move || run(o));
}

/// Whether the pool's workers are bound to CPUs (recorded with each result).
static BOUND: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The cases selected by `o`, timed on the installed pool.
fn run(o: Opts) {
    clus::verify().expect("clus data sets reproduce the manifest");
    clus::verify_ord().expect("ord data sets reproduce the manifest");
    clus::verify_mice().expect("mice data sets reproduce the manifest");
    let mut w = Writer {
        out: match &o.out {
            Some(p) => Box::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .expect("--out file"),
            ),
            None => Box::new(std::io::stdout()),
        },
    };
    let ns: &[usize] = if o.quick {
        &[1_000]
    } else {
        &[1_000, 100_000, 1_000_000]
    };
    for &n in ns {
        for k in [5usize, 20] {
            let ds = format!("clus_n{n}_k{k}");
            let gcols: &[&str] = if n < 10_000 {
                &["g24", "gn10"]
            } else {
                &["g24", "g1000", "gn10"]
            };
            let any = gcols.iter().any(|g| {
                let gg = match *g {
                    "g24" => 24,
                    "g1000" => 1000,
                    _ => n / 10,
                };
                ["ols_crv1", "ols_crv3", "ols_wcb", "logit_crv1"]
                    .iter()
                    .any(|f| {
                        wanted(&o, &format!("{f}_n{n}_k{k}_G{gg}"), &ds)
                            || wanted(&o, &format!("{f}_B9999_n{n}_k{k}_G{gg}"), &ds)
                    })
            });
            if o.list {
                for g in gcols {
                    let gg = match *g {
                        "g24" => 24,
                        "g1000" => 1000,
                        _ => n / 10,
                    };
                    println!("ols_crv1_n{n}_k{k}_G{gg}");
                    if gg <= 1000 && n * gg.min(1000) <= 100_000_000 {
                        println!("ols_crv3_n{n}_k{k}_G{gg}");
                    }
                    if gg <= 1000 {
                        println!("ols_wcb_B9999_n{n}_k{k}_G{gg}");
                    }
                    if *g != "g1000" {
                        println!("logit_crv1_n{n}_k{k}_G{gg}");
                    }
                }
                continue;
            }
            if !any {
                continue;
            }
            let clus::Clus {
                y,
                ybin,
                x: columns,
                g24,
                g1000,
                gn10,
            } = clus::generate(n, k);
            let x = DMatrix::from_fn(
                n,
                k + 1,
                |i, j| if j == 0 { 1.0 } else { columns[j - 1][i] },
            );
            // Keep one copy of the data, as a peer holding a numpy matrix does.
            drop(columns);
            let mut names = vec!["(Intercept)".to_string()];
            names.extend((1..=k).map(|j| format!("x{j}")));
            for g in gcols {
                let (ids, gg) = match *g {
                    "g24" => (&g24, 24),
                    "g1000" => (&g1000, 1000),
                    _ => (&gn10, n / 10),
                };
                let cl = Clusters::from_labels(g, ids).unwrap();
                let params = format!("{{\"k\": {k}, \"gcol\": \"{g}\"}}");
                let fit_ols = || {
                    Ols::new(&x, &y)
                        .unwrap()
                        .names(&names)
                        .unwrap()
                        .clusters(&cl)
                        .unwrap()
                        .fit()
                        .unwrap()
                };
                let infer = |kind: CrType| {
                    let fit = fit_ols();
                    black_box(
                        fit.infer(
                            &Vcov::Cluster {
                                clusters: cl.clone(),
                                kind,
                            },
                            Level::P95,
                        )
                        .unwrap(),
                    );
                };
                let case = format!("ols_crv1_n{n}_k{k}_G{gg}");
                if wanted(&o, &case, &ds) {
                    let (first, t) = time(|| infer(CrType::Cr1), o.reps, o.budget);
                    w.record("ols_crv", &case, &ds, &params, first, &t);
                }
                let case = format!("ols_crv3_n{n}_k{k}_G{gg}");
                if gg <= 1000 && n * gg.min(1000) <= 100_000_000 && wanted(&o, &case, &ds) {
                    let (first, t) =
                        time(|| infer(CrType::Cr3 { jackknife: true }), o.reps, o.budget);
                    w.record("ols_crv3", &case, &ds, &params, first, &t);
                }
                let case = format!("ols_wcb_B9999_n{n}_k{k}_G{gg}");
                if gg <= 1000 && wanted(&o, &case, &ds) {
                    let boot = WildClusterBootstrap {
                        reps: 9_999,
                        level: None,
                        ..WildClusterBootstrap::default()
                    };
                    // The peers time different things: wildboottest fits the model inside the
                    // timer, pyfixest bootstraps a model fitted outside it (with its CRV1
                    // covariance). Both are timed here, each against the peer that does the same.
                    let (first, t) = time(
                        || {
                            let fit = fit_ols();
                            black_box(boot.test(&fit, &cl, "x1").unwrap());
                        },
                        o.reps,
                        o.budget,
                    );
                    let p = format!(
                        "{{\"k\": {k}, \"gcol\": \"{g}\", \"B\": 9999, \"timed\": \"fit and bootstrap\"}}"
                    );
                    w.record("ols_wcb", &case, &ds, &p, first, &t);
                    let fit = fit_ols();
                    let (first, t) = time(
                        || {
                            black_box(boot.test(&fit, &cl, "x1").unwrap());
                        },
                        o.reps,
                        o.budget,
                    );
                    let p = format!(
                        "{{\"k\": {k}, \"gcol\": \"{g}\", \"B\": 9999, \"timed\": \"bootstrap of a fitted model\"}}"
                    );
                    w.record("ols_wcb", &case, &ds, &p, first, &t);
                }
                let case = format!("logit_crv1_n{n}_k{k}_G{gg}");
                if *g != "g1000" && wanted(&o, &case, &ds) {
                    let (first, t) = time(
                        || {
                            let fit = Logit::new(&x, &ybin)
                                .unwrap()
                                .names(&names)
                                .unwrap()
                                .fit()
                                .unwrap();
                            black_box(
                                fit.infer(
                                    &Vcov::Cluster {
                                        clusters: cl.clone(),
                                        kind: CrType::Cr1,
                                    },
                                    Level::P95,
                                )
                                .unwrap(),
                            );
                        },
                        o.reps,
                        o.budget,
                    );
                    w.record("logit_crv", &case, &ds, &params, first, &t);
                }
            }
        }
        // Two-sample tests of y by arm (x1) on clus_n{n}_k5.
        let ds = format!("clus_n{n}_k5");
        for case in [format!("ttest_welch_n{n}"), format!("mannwhitney_n{n}")] {
            if o.list {
                println!("{case}");
                continue;
            }
            if !wanted(&o, &case, &ds) {
                continue;
            }
            let d = clus::generate(n, 5);
            let (a, b): (Vec<f64>, Vec<f64>) = {
                let a = (0..n)
                    .filter(|&i| d.x[0][i] > 0.5)
                    .map(|i| d.y[i])
                    .collect();
                let b = (0..n)
                    .filter(|&i| d.x[0][i] < 0.5)
                    .map(|i| d.y[i])
                    .collect();
                (a, b)
            };
            let welch = case.starts_with("ttest");
            let (first, t) = time(
                || {
                    if welch {
                        black_box(t_test(&a, &b, Variances::Unequal, Level::P95).unwrap());
                    } else {
                        black_box(
                            wilcox_test(&a, &b, Exact::Never, Continuity::Corrected).unwrap(),
                        );
                    }
                },
                o.reps,
                o.budget,
            );
            w.record("tests", &case, &ds, "{}", first, &t);
        }
    }
    // Ordered logit and its random-intercept version.
    let ords: &[(usize, usize)] = if o.quick {
        &[(1000, 24), (1000, 100)]
    } else {
        &[(1000, 24), (1000, 100), (100_000, 24), (100_000, 1000)]
    };
    for &(n, g) in ords {
        let ds = format!("ord_n{n}_g{g}");
        let cases = [
            format!("ordlogit_n{n}_G{g}"),
            format!("clmm_laplace_n{n}_G{g}"),
            format!("clmm_aghq10_n{n}_G{g}"),
        ];
        if o.list {
            cases.iter().for_each(|c| println!("{c}"));
            continue;
        }
        if !cases.iter().any(|c| wanted(&o, c, &ds)) {
            continue;
        }
        let d = clus::generate_ord(n, g);
        let x = DMatrix::from_fn(n, 5, |i, j| d.x[j][i]);
        let cl = Clusters::from_labels("g", &d.g).unwrap();
        if wanted(&o, &cases[0], &ds) {
            let (first, t) = time(
                || {
                    black_box(Clm::new(&d.y, 5, &x).unwrap().fit().unwrap());
                },
                o.reps,
                o.budget,
            );
            w.record("ordlogit", &cases[0], &ds, "{}", first, &t);
        }
        for (case, q) in [
            (&cases[1], Quadrature::Laplace),
            (&cases[2], Quadrature::Adaptive { nodes: 10 }),
        ] {
            if wanted(&o, case, &ds) {
                let levels: Vec<String> = (1..=5).map(|c| c.to_string()).collect();
                let (first, t) = time(
                    || {
                        black_box(
                            Clmm::new(&d.y, &levels, &x, &cl)
                                .unwrap()
                                .quadrature(q)
                                .fit()
                                .unwrap(),
                        );
                    },
                    o.reps,
                    o.budget,
                );
                w.record("clmm", case, &ds, "{}", first, &t);
            }
        }
    }
    // Linear mixed models on the nest family: y ~ arm * time + x1 + x2 + (1 | g) by REML (the
    // fit; with the Satterthwaite or Kenward–Roger table), and + (1 | g/pid).
    let nests: &[(usize, usize)] = if o.quick {
        &[(2000, 100)]
    } else {
        &[(2000, 100), (10_000, 1000)]
    };
    for &(n, g) in nests {
        let ds = format!("nest_n{n}_g{g}");
        let cases = [
            format!("lmm_reml_n{n}_G{g}"),
            format!("lmm_satterthwaite_n{n}_G{g}"),
            format!("lmm_kenward_roger_n{n}_G{g}"),
            format!("lmm_nested_reml_n{n}_G{g}"),
            format!("glmm_aghq10_n{n}_G{g}"),
            format!("clmm_nested_laplace_n{n}_G{g}"),
        ];
        if o.list {
            cases.iter().for_each(|c| println!("{c}"));
            continue;
        }
        if !cases.iter().any(|c| wanted(&o, c, &ds)) {
            continue;
        }
        clus::verify_nest().expect("nest data sets reproduce the generator");
        let d = clus::generate_nest(n, g);
        let x = clus::nest_design(&d);
        let gg = Clusters::from_labels("g", &d.g).unwrap();
        let pid = Clusters::from_labels("pid", &d.pid).unwrap();
        for (k, case) in cases.iter().enumerate() {
            if !wanted(&o, case, &ds) {
                continue;
            }
            let (first, t) = time(
                || {
                    let m = Lmm::new(&d.y, &x, &gg).unwrap();
                    match k {
                        0 => {
                            black_box(m.fit().unwrap().beta[0]);
                        }
                        1 | 2 => {
                            let ddf = if k == 1 {
                                Ddf::Satterthwaite
                            } else {
                                Ddf::KenwardRoger
                            };
                            black_box(m.fit().unwrap().inference(ddf, Level::P95).unwrap());
                        }
                        3 => {
                            black_box(m.nested(&pid).unwrap().fit().unwrap().beta[0]);
                        }
                        5 => {
                            // ycat ~ arm * time + x1 + x2 + (1 | g) + (1 | g:pid): the design
                            // without its intercept column (the thresholds take its place).
                            let xo = x.columns(1, x.ncols() - 1).into_owned();
                            let codes: Vec<usize> = d.ycat.iter().map(|c| c - 1).collect();
                            black_box(
                                NestedClmm::new(&codes, &["1", "2", "3", "4"], &xo, &gg, &pid)
                                    .unwrap()
                                    .fit()
                                    .unwrap()
                                    .loglik(),
                            );
                        }
                        _ => {
                            black_box(
                                Glmm::new(&d.ybin, &x, &gg)
                                    .unwrap()
                                    .quadrature(Quadrature::Adaptive { nodes: 10 })
                                    .fit()
                                    .unwrap()
                                    .beta[0],
                            );
                        }
                    }
                },
                o.reps,
                o.budget,
            );
            let family = match k {
                4 => "glmm",
                5 => "clmm_nested",
                _ => "lmm",
            };
            w.record(family, case, &ds, "{}", first, &t);
        }
    }
    // MICE: m = 5, 25 cycles, then OLS and Rubin's rules.
    for n in if o.quick {
        vec![1_000usize]
    } else {
        vec![1_000, 10_000]
    } {
        let ds = format!("mice_n{n}");
        let case = format!("mice_m5_25cycles_n{n}");
        if o.list {
            println!("{case}");
            continue;
        }
        if !wanted(&o, &case, &ds) {
            continue;
        }
        let table = clus::mice_table(n);
        let (first, t) = time(
            || {
                black_box(clus::mice_case(&table));
            },
            o.reps,
            o.budget,
        );
        w.record("mice", &case, &ds, "{}", first, &t);
    }
}
