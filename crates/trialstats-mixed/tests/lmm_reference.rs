//! Linear mixed models against R: lme4 1.1.31 (bobyqa, rhoend = 1e−12), lmerTest 3.1.3 and
//! pbkrtest 0.5.2 on R 4.2.2. References made by `tests/data/make_lmm_ref.R` (run in that
//! directory) into `tests/data/reference.txt`.
//!
//! The reference's own inexactness: bobyqa stops with θ about 2e−8 from the optimum (a Newton
//! step on lme4's criterion, recorded in the reference), so estimates agree to about 1e−7; and
//! lmerTest's Satterthwaite df come from numerical derivatives with about 4e−8 relative noise.
//! Tolerances below are 1e−6 on estimates and 1e−5 relative on SEs and df.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use nalgebra::DMatrix;
use trialstats_core::{Clusters, Level};
use trialstats_data::DataTable;
use trialstats_mixed::{Ddf, Lmm, LmmFit, Method, MixedError};

mod common;
use common::get;

fn refs() -> HashMap<String, f64> {
    common::parse_refs(include_str!("data/reference.txt"))
}

fn close(what: &str, got: f64, want: f64, rel: f64) {
    let tol = rel * want.abs().max(1.0);
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, R {want} (difference {:.3e}, tolerance {tol:.1e})",
        got - want
    );
}

/// A data set: y, X with names, the grouping factors' labels (outer, inner).
struct Data {
    y: Vec<f64>,
    x: DMatrix<f64>,
    names: Vec<&'static str>,
    outer: Clusters,
    inner: Option<Clusters>,
}

fn text(t: &DataTable, col: &str, keep: &[usize]) -> Vec<String> {
    let c = t.column(col).unwrap();
    keep.iter()
        .map(|&i| c.data.text(i).map(|s| s.to_string()).unwrap())
        .collect()
}

fn trial(file: &str, csv: &str, nested: bool) -> Data {
    let t = DataTable::from_csv_str(file, csv).unwrap();
    let col = |c: &str| t.numeric(c).unwrap();
    let (y, time, arm, x1, x2) = (col("y"), col("time"), col("arm"), col("x1"), col("x2"));
    let keep: Vec<usize> = (0..t.nrows()).filter(|&i| y[i].is_some()).collect();
    let n = keep.len();
    let v = |c: &[Option<f64>], i: usize| c[keep[i]].unwrap();
    let x = DMatrix::from_fn(n, 6, |i, k| match k {
        0 => 1.0,
        1 => v(arm, i),
        2 => v(time, i),
        3 => v(x1, i),
        4 => v(x2, i),
        _ => v(arm, i) * v(time, i),
    });
    let community = text(&t, "community", &keep);
    // R's label of the nested level: community:pid.
    let pid: Vec<String> = text(&t, "pid", &keep)
        .iter()
        .zip(&community)
        .map(|(p, c)| format!("{c}:{p}"))
        .collect();
    Data {
        y: (0..n).map(|i| v(y, i)).collect(),
        x,
        names: vec!["(Intercept)", "arm", "time", "x1", "x2", "arm:time"],
        outer: Clusters::from_labels("community", &community).unwrap(),
        inner: nested.then(|| Clusters::from_labels("community:pid", &pid).unwrap()),
    }
}

/// An intercept-only data set: `y` by `outer` (and `inner` nested).
fn intercept_only(
    file: &str,
    csv: &str,
    y: &str,
    outer: &str,
    inner: Option<(&str, &str)>,
) -> Data {
    let t = DataTable::from_csv_str(file, csv).unwrap();
    let keep: Vec<usize> = (0..t.nrows()).collect();
    Data {
        y: t.numeric(y).unwrap().iter().map(|v| v.unwrap()).collect(),
        x: DMatrix::from_element(t.nrows(), 1, 1.0),
        names: vec!["(Intercept)"],
        outer: Clusters::from_labels(outer, &text(&t, outer, &keep)).unwrap(),
        inner: inner.map(|(name, col)| Clusters::from_labels(name, &text(&t, col, &keep)).unwrap()),
    }
}

fn dyestuff() -> Data {
    intercept_only(
        "dyestuff.csv",
        include_str!("data/dyestuff.csv"),
        "Yield",
        "Batch",
        None,
    )
}

fn pastes() -> Data {
    intercept_only(
        "pastes.csv",
        include_str!("data/pastes.csv"),
        "strength",
        "batch",
        Some(("batch:cask", "sample")),
    )
}

fn fit<'a>(d: &'a Data, method: Method) -> LmmFit<'a> {
    let mut m = Lmm::new(&d.y, &d.x, &d.outer)
        .unwrap()
        .names(&d.names)
        .method(method);
    if let Some(inner) = &d.inner {
        m = m.nested(inner).unwrap();
    }
    m.fit().unwrap()
}

/// Estimates, SEs, variance components, the criterion, the ICCs, the BLUPs of the first levels
/// and the df, for one model and method.
fn check(tag: &str, d: &Data, method: Method) {
    let r = refs();
    let m = match method {
        Method::Reml => "reml",
        Method::Ml => "ml",
    };
    let k = |s: &str| format!("{tag}.{m}.{s}");
    let f = fit(d, method);
    assert_eq!(f.nobs, get(&r, &k("nobs")) as usize);
    close(&k("crit"), f.deviance, get(&r, &k("crit")), 1e-8);
    close(&k("logLik"), f.log_likelihood, get(&r, &k("logLik")), 1e-8);
    for (c, name) in d.names.iter().enumerate() {
        close(
            &k(&format!("fixef.{name}")),
            f.beta[c],
            get(&r, &k(&format!("fixef.{name}"))),
            1e-6,
        );
        close(
            &k(&format!("se.{name}")),
            f.vcov[(c, c)].sqrt(),
            get(&r, &k(&format!("se.{name}"))),
            1e-5,
        );
    }
    for comp in &f.components {
        close(
            &k(&format!("var.{}", comp.group)),
            comp.variance,
            get(&r, &k(&format!("var.{}", comp.group))),
            1e-6,
        );
    }
    // ICCs.
    let icc = f.icc(Level::P95).unwrap();
    if let Some(inner) = &d.inner {
        let outer = d.outer.name();
        let inner = inner.name();
        close(
            &k(&format!("icc.{outer}")),
            icc[0].estimate,
            get(&r, &k(&format!("icc.{outer}"))),
            1e-6,
        );
        close(
            &k(&format!("icc.{inner}")),
            icc[1].estimate,
            get(&r, &k(&format!("icc.{inner}"))),
            1e-6,
        );
    } else {
        close(&k("icc"), icc[0].estimate, get(&r, &k("icc")), 1e-6);
    }
    // BLUPs and conditional SDs of the levels R lists (its first five, in sorted order).
    for b in f.blups() {
        let mut order: Vec<usize> = (0..b.labels.len()).collect();
        order.sort_by(|&i, &j| b.labels[i].cmp(&b.labels[j]));
        for &i in order.iter().take(5) {
            let key = k(&format!("ranef.{}.{}", b.group, b.labels[i]));
            close(
                &format!("{key}.blup"),
                b.estimate[i],
                get(&r, &format!("{key}.blup")),
                1e-5,
            );
            close(
                &format!("{key}.condsd"),
                b.cond_var[i].sqrt(),
                get(&r, &format!("{key}.condsd")),
                1e-5,
            );
        }
    }
    // Satterthwaite for both methods; Kenward–Roger for REML.
    let satt = f.inference(Ddf::Satterthwaite, Level::P95).unwrap();
    for (c, name) in d.names.iter().enumerate() {
        let key = k(&format!("satt.df.{name}"));
        if let Some(&want) = r.get(&key) {
            close(&key, satt.coefficients[c].df.unwrap(), want, 1e-5);
        }
    }
    if method == Method::Reml {
        let kr = f.inference(Ddf::KenwardRoger, Level::P95).unwrap();
        for (c, name) in d.names.iter().enumerate() {
            let key = k(&format!("kr.df.{name}"));
            close(&key, kr.coefficients[c].df.unwrap(), get(&r, &key), 1e-5);
            let key = k(&format!("kr.se.{name}"));
            if let Some(&want) = r.get(&key) {
                close(&key, kr.coefficients[c].std_error, want, 1e-5);
            }
        }
    } else {
        assert!(matches!(f.kenward_roger(), Err(MixedError::Ddf { .. })));
    }
}

#[test]
fn dyestuff_one_factor() {
    let d = dyestuff();
    check("A", &d, Method::Reml);
    check("A", &d, Method::Ml);
}

#[test]
fn pastes_nested() {
    let d = pastes();
    check("B", &d, Method::Reml);
    check("B", &d, Method::Ml);
}

#[test]
fn unbalanced_trial_one_factor() {
    let d = trial("trial_lmm.csv", include_str!("data/trial_lmm.csv"), false);
    check("C1", &d, Method::Reml);
    check("C1", &d, Method::Ml);
}

#[test]
fn unbalanced_trial_nested() {
    let d = trial("trial_lmm.csv", include_str!("data/trial_lmm.csv"), true);
    check("C2", &d, Method::Reml);
    check("C2", &d, Method::Ml);
}

#[test]
fn a_variance_at_its_boundary_is_zero_with_the_test_at_its_boundary() {
    let r = refs();
    let d = trial(
        "trial_boundary.csv",
        include_str!("data/trial_boundary.csv"),
        false,
    );
    for method in [Method::Reml, Method::Ml] {
        let f = fit(&d, method);
        assert!(f.singular);
        assert_eq!(f.theta, vec![0.0]);
        assert_eq!(f.components[0].variance.to_bits(), 0f64.to_bits());
        let m = if method == Method::Reml { "reml" } else { "ml" };
        close("D crit", f.deviance, get(&r, &format!("D.{m}.crit")), 1e-8);
        let lrt = f.lr_tests().unwrap();
        assert_eq!((lrt[0].statistic, lrt[0].p_value), (0.0, 1.0));
        let inf = f.inference(Ddf::Satterthwaite, Level::P95).unwrap();
        // At θ = 0 the covariance of β does not move with θ, so only σ counts: Satterthwaite's
        // df is n − p = 483 for REML (lmerTest's, in the reference) and n = 489 for ML.
        let want = if method == Method::Reml { 483.0 } else { 489.0 };
        for c in &inf.coefficients {
            close("df at the boundary", c.df.unwrap(), want, 1e-6);
        }
        if method == Method::Reml {
            for (c, name) in d.names.iter().enumerate() {
                let key = format!("D.reml.satt.df.{name}");
                close(&key, inf.coefficients[c].df.unwrap(), get(&r, &key), 1e-6);
            }
        }
        assert!(inf.notes.iter().any(|n| n.contains("boundary")));
    }
    check_kr_only("D", &d);
}

fn check_kr_only(tag: &str, d: &Data) {
    let r = refs();
    let f = fit(d, Method::Reml);
    let kr = f.inference(Ddf::KenwardRoger, Level::P95).unwrap();
    for (c, name) in d.names.iter().enumerate() {
        let key = format!("{tag}.reml.kr.df.{name}");
        close(&key, kr.coefficients[c].df.unwrap(), get(&r, &key), 1e-5);
    }
}

#[test]
fn likelihood_ratio_tests_against_no_random_effect() {
    let r = refs();
    for (tag, d) in [
        ("A", dyestuff()),
        (
            "C1",
            trial("trial_lmm.csv", include_str!("data/trial_lmm.csv"), false),
        ),
    ] {
        for (m, method) in [("reml", Method::Reml), ("ml", Method::Ml)] {
            let f = fit(&d, method);
            let t = &f.lr_tests().unwrap()[0];
            let key = format!("{tag}.{m}.lrt.stat");
            close(&key, t.statistic, get(&r, &key), 1e-6);
            let key = format!("{tag}.{m}.lrt.p_boundary");
            close(&key, t.p_value, get(&r, &key), 1e-6);
        }
    }
}

#[test]
fn the_icc_interval_is_the_profile_likelihood_interval() {
    // R: the lme4 criterion (devFunOnly) profiled in ρ = θ²/(1 + θ²), roots of
    // criterion − min − χ²₁(0.95) by uniroot (icc_ci.R).
    let r = refs();
    let d = trial("trial_lmm.csv", include_str!("data/trial_lmm.csv"), false);
    for (m, method) in [("reml", Method::Reml), ("ml", Method::Ml)] {
        let f = fit(&d, method);
        let icc = &f.icc(Level::P95).unwrap()[0];
        close(
            "lower",
            icc.ci_low,
            get(&r, &format!("C1.{m}.icc_profile_ci.lower")),
            1e-6,
        );
        close(
            "upper",
            icc.ci_high,
            get(&r, &format!("C1.{m}.icc_profile_ci.upper")),
            1e-6,
        );
    }
    // Nested: each limit is where the criterion, minimised over the other θ, is the minimum
    // + 3.8415, and the estimates lie inside.
    let d = trial("trial_lmm.csv", include_str!("data/trial_lmm.csv"), true);
    let f = fit(&d, Method::Reml);
    let crit = 1.959963984540054f64.powi(2);
    for icc in f.icc(Level::P95).unwrap() {
        assert!(
            icc.ci_low < icc.estimate && icc.estimate < icc.ci_high,
            "{icc:?}"
        );
    }
    let icc = &f.icc(Level::P95).unwrap()[0];
    for rho in [icc.ci_low, icc.ci_high] {
        // min over θ_b of the criterion at θ_a² = ρ (1 + θ_b²) / (1 − ρ), on a fine grid.
        let best = (0..=20000)
            .map(|k| {
                let tb = 3.0 * f64::from(k) / 20000.0;
                let ta = (rho * (1.0 + tb * tb) / (1.0 - rho)).sqrt();
                f.criterion(&[ta, tb])
            })
            .fold(f64::INFINITY, f64::min);
        close("nested profile at the limit", best - f.deviance, crit, 1e-4);
    }
}

#[test]
fn bad_input_gets_typed_errors() {
    let d = trial("trial_lmm.csv", include_str!("data/trial_lmm.csv"), false);
    // One community.
    let one = Clusters::from_labels("community", &vec!["c"; d.y.len()]).unwrap();
    assert!(matches!(
        Lmm::new(&d.y, &d.x, &one),
        Err(MixedError::OneLevel { .. })
    ));
    // Participant ids reused across communities.
    let reused: Vec<String> = (0..d.y.len()).map(|i| format!("p{}", i % 7)).collect();
    let inner = Clusters::from_labels("pid", &reused).unwrap();
    let err = Lmm::new(&d.y, &d.x, &d.outer)
        .unwrap()
        .nested(&inner)
        .unwrap_err();
    assert!(err.to_string().contains("not nested"), "{err}");
    // An outcome constant within every community.
    let y: Vec<f64> = d.outer.codes().iter().map(|&g| g as f64).collect();
    let err = Lmm::new(&y, &d.x, &d.outer).unwrap().fit().unwrap_err();
    assert!(
        matches!(err, MixedError::ConstantWithinGroups { .. }),
        "{err}"
    );
    // No fixed effects at all (lme4's y ~ 0 + (1 | g)): a fit, or a clear error, never a panic.
    let none = DMatrix::<f64>::zeros(d.y.len(), 0);
    if let Ok(f) = Lmm::new(&d.y, &none, &d.outer).and_then(|m| m.fit()) {
        assert!(f.components[0].variance > 0.0);
        assert!(
            f.inference(Ddf::Satterthwaite, Level::P95)
                .unwrap()
                .coefficients
                .is_empty()
        );
    }
    // An aliased column.
    let mut x = d.x.clone();
    let c = x.column(1).into_owned();
    x.set_column(5, &c);
    let err = Lmm::new(&d.y, &x, &d.outer)
        .unwrap()
        .names(&d.names)
        .fit()
        .unwrap_err();
    assert!(matches!(err, MixedError::Linalg(_)), "{err}");
    assert!(err.to_string().contains("arm:time"), "{err}");
}

#[test]
fn the_optimum_is_the_exact_one_not_just_the_references() {
    // bobyqa stops about 2e−8 from the optimum in θ. A Newton iteration with the analytic
    // gradient and Hessian of lme4's criterion (gradient about 1e−13; tests/data/exact_optimum_pastes.R, R 4.2.2, lme4 1.1.31)
    // puts the Pastes REML optimum at θ = (batch 1.563460273404, batch:cask 3.526901810586);
    // the fit lands there to 1e−9, and its criterion is no higher than at the reference's θ.
    let r = refs();
    let d = pastes();
    let f = fit(&d, Method::Reml);
    close("θ batch", f.theta[0], 1.563460273404, 1e-9);
    close("θ batch:cask", f.theta[1], 3.526901810586, 1e-9);
    let at_r = f.criterion(&[
        get(&r, "B.reml.theta.batch.(Intercept)"),
        get(&r, "B.reml.theta.batch:cask.(Intercept)"),
    ]);
    assert!(f.deviance <= at_r, "{} v. {at_r}", f.deviance);
    println!(
        "θ {:?}; criterion {} (at R's θ {at_r})",
        f.theta, f.deviance
    );
}
