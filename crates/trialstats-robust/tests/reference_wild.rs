//! The wild cluster bootstrap under full enumeration, against Python wildboottest.
//!
//! Reference: wildboottest 0.3.2 with statsmodels 0.15.0 (Python 3.11), B = 9999, Rademacher
//! weights; with 2^G ≤ B it enumerates all sign vectors, so the p-values are exact fractions:
//! ```python
//! m = smf.ols("y ~ arm + base + female", data=t12)        # trial24.csv, sites 1..12
//! wildboottest(m, param="arm", cluster=t12.site, B=9999, weights_type="rademacher",
//!              impose_null=True / False, seed=1)
//! ```
//! wildboottest counts |t*| > |t| strictly, so the two sign vectors that reproduce ±t exactly
//! (all +1, all −1 under WCR) are counted or not as rounding falls; we count |t*| ≥ |t| with a
//! relative tolerance of 1e−12 (module docs of `wild`). Where they differ it is by those 2/2^G.

// Test code: a failed unwrap is a failed test, reported with its value.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use trialstats_core::Clusters;
use trialstats_core::Level;
use trialstats_core::testing::Tol;
use trialstats_data::{DataTable, Formula, FrameOptions, ModelFrame, datasets};
use trialstats_robust::{CrType, Ols, OlsFit, Vcov, WildClusterBootstrap, WildWeights};

const TRIAL24: &str = include_str!("../data/trial24.csv");

fn trial12() -> (OlsFit<'static>, Clusters) {
    // Sites 1..12 of trial24.csv.
    let mut text = String::new();
    for (i, line) in TRIAL24.lines().enumerate() {
        let site: Option<u32> = line.split(',').next().and_then(|s| s.parse().ok());
        if i == 0 || site.is_some_and(|s| s <= 12) {
            text.push_str(line);
            text.push('\n');
        }
    }
    assert!(TRIAL24.lines().count() > text.lines().count());
    fit_rows(&text)
}

fn boot(impose_null: bool) -> WildClusterBootstrap {
    WildClusterBootstrap {
        reps: 9999,
        weights: WildWeights::Rademacher,
        impose_null,
        seed: 1,
        null: 0.0,
        level: None,
    }
}

#[test]
fn enumerated_p_values_match_wildboottest() {
    let (fit, site) = trial12();
    assert_eq!(site.n_clusters(), 12);
    let r = boot(true).test(&fit, &site, "arm").unwrap();
    assert!(r.enumerated);
    assert_eq!(r.reps, 4096);
    Tol::rel(1e-12)
        .check("t", r.statistic, -2.1963527658472617)
        .unwrap();
    // wildboottest: 298/4096 with strict >, which here drops the two exact ties: 298 + 2.
    // Checked independently by brute force (numpy 2.x, 4096 explicit restricted regressions and
    // CR0 t statistics): 298 with |t*| > |t|(1 + 1e−9), 300 with |t*| ≥ |t|(1 − 1e−12).
    assert_eq!(
        (r.p_value * 4096.0).round() as i64,
        300,
        "WCR arm p = {}",
        r.p_value
    );
    let r = boot(false).test(&fit, &site, "arm").unwrap();
    assert_eq!(
        (r.p_value * 4096.0).round() as i64,
        268,
        "WCU arm p = {}",
        r.p_value
    );
    // `base`: only the two exact-tie vectors reach |t| under WCR (wildboottest: 2/4096).
    let r = boot(true).test(&fit, &site, "base").unwrap();
    Tol::rel(1e-12)
        .check("t", r.statistic, 12.108128294530365)
        .unwrap();
    assert_eq!(
        (r.p_value * 4096.0).round() as i64,
        2,
        "WCR base p = {}",
        r.p_value
    );
    // WCU: every t* is centred at β̂, the all-ones vector gives t* = 0: p = 0.
    let r = boot(false).test(&fit, &site, "base").unwrap();
    assert_eq!(
        (r.p_value * 4096.0).round() as i64,
        0,
        "WCU base p = {}",
        r.p_value
    );
}

#[test]
fn observed_t_is_the_cr1_t() {
    let (fit, site) = trial12();
    let inf = fit
        .infer(
            &Vcov::Cluster {
                clusters: site.clone(),
                kind: CrType::Cr1,
            },
            Level::P95,
        )
        .unwrap();
    let r = boot(true).test(&fit, &site, "arm").unwrap();
    Tol::rel(1e-12)
        .check("t", r.statistic, inf.coef("arm").unwrap().statistic)
        .unwrap();
}

#[test]
fn petersen_by_year_counts_the_exact_ties() {
    // wildboottest prints p = 0.0 here (strict >); the all-±1 vectors reproduce |t| = 30.99 exactly.
    let d = datasets::petersen().unwrap();
    let f = Formula::parse("y ~ x").unwrap();
    let mf = ModelFrame::new(
        &d,
        &f,
        &FrameOptions {
            clusters: vec!["year".into()],
            check_rank: true,
        },
    )
    .unwrap();
    let y = mf.y().unwrap().to_vec();
    let fit = Ols::new(&mf.x, &y)
        .unwrap()
        .names(&mf.column_names)
        .unwrap()
        .fit()
        .unwrap();
    let r = boot(true).test(&fit, &mf.clusters[0], "x").unwrap();
    Tol::rel(1e-12)
        .check("t", r.statistic, 30.993324840935212)
        .unwrap();
    assert_eq!(r.reps, 1024);
    assert_eq!((r.p_value * 1024.0).round() as i64, 2, "p = {}", r.p_value);
}

#[test]
fn confidence_interval_inverts_the_test() {
    let (fit, site) = trial12();
    let spec = WildClusterBootstrap {
        level: Some(Level::P90),
        ..boot(true)
    };
    let r = spec.test(&fit, &site, "arm").unwrap();
    let (lo, hi) = r.ci.unwrap();
    assert!(lo < r.estimate && r.estimate < hi);
    // Just inside the interval p ≥ α; just outside p < α.
    let width = hi - lo;
    for (b0, inside) in [
        (lo + 1e-6 * width, true),
        (lo - 1e-6 * width, false),
        (hi - 1e-6 * width, true),
        (hi + 1e-6 * width, false),
    ] {
        let t = WildClusterBootstrap {
            null: b0,
            level: None,
            ..spec.clone()
        }
        .test(&fit, &site, "arm")
        .unwrap();
        assert_eq!(t.p_value >= 0.10, inside, "β₀ = {b0}: p = {}", t.p_value);
    }
}

#[test]
fn random_rademacher_draws_estimate_the_enumerated_p() {
    let (fit, site) = trial12();
    // B = 4000 < 2^12: drawn, not enumerated. The enumerated p is 300/4096 = 0.0732; a Monte Carlo
    // estimate from 4000 draws has sd √(0.073·0.927/4000) ≈ 0.0041: allow 5 sd.
    let spec = WildClusterBootstrap {
        reps: 4000,
        ..boot(true)
    };
    let a = spec.test(&fit, &site, "arm").unwrap();
    assert!(!a.enumerated);
    assert!((a.p_value - 300.0 / 4096.0).abs() < 0.021, "{}", a.p_value);
}

#[test]
fn draws_are_reproducible_from_the_seed() {
    let (fit, site) = trial12();
    for weights in [
        WildWeights::Rademacher,
        WildWeights::Webb,
        WildWeights::Mammen,
    ] {
        let spec = WildClusterBootstrap {
            reps: 999,
            weights,
            ..boot(true)
        };
        let a = spec.test(&fit, &site, "arm").unwrap();
        let b = spec.test(&fit, &site, "arm").unwrap();
        assert_eq!(a, b, "same seed, same result");
        assert_eq!((a.reps, a.seed, a.weights), (999, 1, weights));
        assert!((0.0..=1.0).contains(&a.p_value));
        let c = WildClusterBootstrap { seed: 2, ..spec }
            .test(&fit, &site, "arm")
            .unwrap();
        assert_eq!(c.seed, 2);
    }
}

/// Fits y ~ arm + base + female clustered by site on the rows of `text` (a CSV with a header).
fn fit_rows(text: &str) -> (OlsFit<'static>, Clusters) {
    let t = DataTable::from_csv_str("rows", text).unwrap();
    let f = Formula::parse("y ~ arm + base + female").unwrap();
    let opts = FrameOptions {
        clusters: vec!["site".into()],
        check_rank: true,
    };
    let mf = ModelFrame::new(&t, &f, &opts).unwrap();
    let y = mf.y().unwrap().to_vec();
    let fit = Ols::new(&mf.x, &y)
        .unwrap()
        .names(&mf.column_names)
        .unwrap()
        .fit()
        .unwrap()
        .into_owned();
    (fit, mf.clusters[0].clone())
}

#[test]
fn drawn_weights_do_not_depend_on_the_order_of_the_rows() {
    // Found by the CLI fault campaign: the p-value and interval changed when the rows were
    // shuffled (same seed), because the weights were drawn in the clusters' order of
    // appearance. They are now drawn in the order of the cluster labels.
    let mut lines = TRIAL24.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    // A fixed permutation that moves the sites' first appearances: reversed, then every third.
    let mut shuffled: Vec<&str> = rows.iter().rev().copied().collect();
    shuffled.rotate_left(rows.len() / 3);
    let join = |r: &[&str]| format!("{header}\n{}\n", r.join("\n"));
    let (fit_a, site_a) = fit_rows(&join(&rows));
    let (fit_b, site_b) = fit_rows(&join(&shuffled));
    assert_ne!(site_a.labels(), site_b.labels(), "the codes must differ");
    for weights in [
        WildWeights::Webb,
        WildWeights::Rademacher,
        WildWeights::Mammen,
    ] {
        let spec = WildClusterBootstrap {
            reps: 999,
            weights,
            level: Some(Level::P95),
            ..boot(true)
        };
        let a = spec.test(&fit_a, &site_a, "arm").unwrap();
        let b = spec.test(&fit_b, &site_b, "arm").unwrap();
        assert!(!a.enumerated);
        // The same draws per site: the same count of |t*| ≥ |t|, so the same p; the interval's
        // root search sees statistics equal to rounding.
        assert_eq!(a.p_value.to_bits(), b.p_value.to_bits(), "{weights:?}");
        let (ca, cb) = (a.ci.unwrap(), b.ci.unwrap());
        Tol::rel(1e-9).check("ci low", cb.0, ca.0).unwrap();
        Tol::rel(1e-9).check("ci high", cb.1, ca.1).unwrap();
    }
}

#[test]
fn bad_requests_are_errors() {
    let (fit, site) = trial12();
    let e = boot(true).test(&fit, &site, "arms").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("`arms` is not a term of the model"),
        "{e}"
    );
    let e = WildClusterBootstrap {
        reps: 0,
        ..boot(true)
    }
    .test(&fit, &site, "arm")
    .unwrap_err();
    assert!(e.to_string().contains("`reps` = 0 is out of range"), "{e}");
    let one = Clusters::from_labels("site", &vec![1; fit.residuals().len()]).unwrap();
    let e = boot(true).test(&fit, &one, "arm").unwrap_err();
    assert_eq!(
        e.to_string(),
        "cluster-robust covariance needs at least 2 clusters; `site` has 1"
    );
    let short = Clusters::from_labels("site", &[1, 2, 3]).unwrap();
    assert!(boot(true).test(&fit, &short, "arm").is_err());
}
