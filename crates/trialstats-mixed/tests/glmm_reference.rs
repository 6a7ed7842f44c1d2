//! Random-intercept logistic regression against R: lme4 1.1.31 `glmer(family = binomial)` with
//! `nAGQ = 1` (Laplace) and `nAGQ = 10`, on R 4.2.2. References made by
//! `tests/data/make_glmm_ref.R` (run in that directory) into `tests/data/reference_glmm.txt`.
//!
//! The reference's own inexactness: glmer's bobyqa (rhoend 1e−12, inner penalised IRLS to
//! 1e−13) stops up to 2e−7 from the optimum of its own deviance function; the script then takes
//! Newton steps on that function with numDeriv's Richardson derivatives (the polished optimum,
//! |gradient| ≤ 2e−7 for Laplace and 1e−8 for quadrature: the limit of numerical derivatives of
//! a function evaluated through an inner iteration) and takes the standard errors from
//! numDeriv's Hessian there. glmer's own `vcov` (a Hessian by differences with step 1e−4)
//! differs from that by up to 2e−5 relative, and is checked only to 1e−4. lme4's Laplace deviance
//! itself is up to 7e−9 (in the log-likelihood) from the Laplace approximation computed directly
//! (each cluster's mode by Newton's method to convergence; also in the script), which ours
//! matches to 1e−10. Tolerances: 1e−6 on estimates, 1e−5 relative on SEs, 1e−8 on
//! log-likelihoods against glmer's.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use nalgebra::DMatrix;
use trialstats_core::{Clusters, Level};
use trialstats_data::DataTable;
use trialstats_mixed::{Glmm, GlmmFit, MixedError, Quadrature};

mod common;
use common::get;

fn refs() -> HashMap<String, f64> {
    common::parse_refs(include_str!("data/reference_glmm.txt"))
}

/// `got` within `tol` (absolute) of R's `want` (core's comparison).
fn close(what: &str, got: f64, want: f64, tol: f64) {
    if let Err(e) = trialstats_core::testing::Tol::abs(tol).check(what, got, want) {
        panic!("{e}");
    }
}

struct Data {
    y: Vec<f64>,
    x: DMatrix<f64>,
    names: Vec<String>,
    groups: Clusters,
}

fn text(t: &DataTable, col: &str, keep: &[usize]) -> Vec<String> {
    let c = t.column(col).unwrap();
    keep.iter()
        .map(|&i| c.data.text(i).map(|s| s.to_string()).unwrap())
        .collect()
}

/// `y` on the numeric `covariates` (an intercept first) and `factor`'s dummies (R's treatment
/// coding, first level dropped), by `group`; rows with a missing `y` dropped.
fn load(file: &str, csv: &str, covariates: &[&str], factor: Option<&str>, group: &str) -> Data {
    let t = DataTable::from_csv_str(file, csv).unwrap();
    let y = t.numeric("y").unwrap();
    let keep: Vec<usize> = (0..t.nrows()).filter(|&i| y[i].is_some()).collect();
    let n = keep.len();
    let mut cols: Vec<Vec<f64>> = vec![vec![1.0; n]];
    let mut names = vec!["(Intercept)".to_owned()];
    if let Some(f) = factor {
        let v: Vec<f64> = t.numeric(f).unwrap().iter().map(|v| v.unwrap()).collect();
        let mut levels: Vec<i64> = v.iter().map(|&v| v as i64).collect();
        levels.sort_unstable();
        levels.dedup();
        for l in &levels[1..] {
            cols.push(
                keep.iter()
                    .map(|&i| f64::from(u8::from(v[i] as i64 == *l)))
                    .collect(),
            );
            names.push(format!("{f}{l}"));
        }
    }
    for c in covariates {
        let v = t.numeric(c).unwrap();
        cols.push(keep.iter().map(|&i| v[i].unwrap()).collect());
        names.push((*c).to_owned());
    }
    Data {
        y: keep.iter().map(|&i| y[i].unwrap()).collect(),
        x: DMatrix::from_fn(n, cols.len(), |i, j| cols[j][i]),
        names,
        groups: Clusters::from_labels(group, &text(&t, group, &keep)).unwrap(),
    }
}

fn cbpp() -> Data {
    load(
        "cbpp_long.csv",
        include_str!("data/cbpp_long.csv"),
        &[],
        Some("period"),
        "herd",
    )
}

fn trial() -> Data {
    load(
        "trial_glmm.csv",
        include_str!("data/trial_glmm.csv"),
        &["arm", "x1", "x2"],
        None,
        "community",
    )
}

fn boundary() -> Data {
    load(
        "glmm_boundary.csv",
        include_str!("data/glmm_boundary.csv"),
        &["x"],
        None,
        "community",
    )
}

fn fit(d: &Data, q: Quadrature) -> GlmmFit {
    Glmm::new(&d.y, &d.x, &d.groups)
        .unwrap()
        .names(&d.names)
        .quadrature(q)
        .fit()
        .unwrap()
}

fn check(tag: &str, d: &Data) {
    let r = refs();
    assert_eq!(d.y.len(), get(&r, &format!("{tag}.nobs")) as usize);
    for (q, quad) in [
        (1, Quadrature::Laplace),
        (10, Quadrature::Adaptive { nodes: 10 }),
    ] {
        let key = |s: &str| format!("{tag}.agq{q}.{s}");
        let f = fit(d, quad);
        let what = |s: &str| format!("{tag} nAGQ = {q}: {s}");
        close(&what("sigma"), f.sigma, get(&r, &key("sigma")), 1e-6);
        close(
            &what("log-likelihood"),
            f.log_likelihood,
            get(&r, &key("loglik")),
            1e-8,
        );
        close(
            &what("glm log-likelihood"),
            f.glm_log_likelihood,
            get(&r, &key("glm_loglik")),
            1e-8,
        );
        let lr = f.lr_test().unwrap();
        close(&what("LR"), lr.statistic, get(&r, &key("lr")), 1e-7);
        close(&what("LR p"), lr.p_value, get(&r, &key("lr_p")), 1e-8);
        for (c, name) in d.names.iter().enumerate() {
            close(
                &what(name),
                f.beta[c],
                get(&r, &key(&format!("beta.{name}"))),
                1e-6,
            );
            let se = f.vcov[(c, c)].sqrt();
            let want = get(&r, &key(&format!("se.{name}")));
            close(&what(&format!("se {name}")), se, want, 1e-5 * want);
            let lme4 = get(&r, &key(&format!("se_lme4.{name}")));
            close(
                &what(&format!("se {name} (lme4's vcov)")),
                se,
                lme4,
                1e-4 * lme4,
            );
        }
        if f.singular {
            assert!(
                get(&r, &key("sigma")).abs() == 0.0,
                "{tag}: singular only where glmer is"
            );
            continue;
        }
        // SE of σ from that of ln σ (delta method).
        let se_sigma = f.sigma * f.se_log_sigma.unwrap();
        let want = get(&r, &key("se_sigma"));
        close(&what("se sigma"), se_sigma, want, 1e-5 * want);
        for (label, m) in f.labels.iter().zip(&f.modes) {
            close(
                &what(&format!("mode {label}")),
                *m,
                get(&r, &key(&format!("mode.{label}"))),
                1e-5,
            );
        }
        assert!(f.convergence.max_abs_gradient < 1e-6, "{:?}", f.convergence);
    }
}

#[test]
fn cbpp_matches_glmer() {
    check("cbpp", &cbpp());
}

#[test]
fn unbalanced_trial_matches_glmer() {
    check("trial", &trial());
}

#[test]
fn a_variance_at_its_boundary_is_zero_with_the_glm_estimates() {
    let d = boundary();
    check("boundary", &d);
    for q in [Quadrature::Laplace, Quadrature::Adaptive { nodes: 10 }] {
        let f = fit(&d, q);
        assert!(f.singular && f.sigma == 0.0 && f.se_log_sigma.is_none());
        let lr = f.lr_test().unwrap();
        assert_eq!((lr.statistic, lr.p_value), (0.0, 1.0));
        let inf = f.inference(Level::P95).unwrap();
        assert!(inf.notes[0].contains("boundary"), "{:?}", inf.notes);
        assert!(inf.coefficients.iter().all(|c| c.std_error.is_finite()));
        let icc = f.icc(Level::P95).unwrap();
        assert_eq!((icc.estimate, icc.ci_low, icc.ci_high), (0.0, 0.0, 0.0));
    }
}

#[test]
fn the_latent_icc_and_its_interval_follow_from_sigma() {
    let d = trial();
    let f = fit(&d, Quadrature::Adaptive { nodes: 10 });
    let icc = f.icc(Level::P95).unwrap();
    let e = std::f64::consts::PI.powi(2) / 3.0;
    let s2 = f.sigma * f.sigma;
    close("icc", icc.estimate, s2 / (s2 + e), 1e-15);
    // logit ρ is linear in ln σ: the interval is symmetric on the logit scale about logit ρ̂,
    // with half-width 2 z se(ln σ).
    let logit = |p: f64| (p / (1.0 - p)).ln();
    let half = 2.0 * 1.959_963_984_540_054 * f.se_log_sigma.unwrap();
    close(
        "lower",
        logit(icc.ci_low),
        logit(icc.estimate) - half,
        1e-12,
    );
    close(
        "upper",
        logit(icc.ci_high),
        logit(icc.estimate) + half,
        1e-12,
    );
}

#[test]
fn bad_input_gets_typed_errors() {
    let d = trial();
    let mut y = d.y.clone();
    y[5] = 2.0;
    let err = Glmm::new(&y, &d.x, &d.groups).unwrap_err();
    assert!(matches!(err, MixedError::NotBinary { row: 5, .. }), "{err}");
    assert!(err.to_string().contains("row 6"), "{err}");
    let zeros = vec![0.0; d.y.len()];
    assert!(matches!(
        Glmm::new(&zeros, &d.x, &d.groups),
        Err(MixedError::ConstantOutcome { .. })
    ));
    // Constant within every community (some all 0, some all 1): σ has no finite estimate.
    let by_group: Vec<f64> = d.groups.codes().iter().map(|&g| (g % 2) as f64).collect();
    let err = Glmm::new(&by_group, &d.x, &d.groups)
        .unwrap()
        .fit()
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("constant within every level of `community`"),
        "{err}"
    );
    let one = Clusters::from_labels("community", &vec!["c"; d.y.len()]).unwrap();
    assert!(matches!(
        Glmm::new(&d.y, &d.x, &one),
        Err(MixedError::OneLevel { .. })
    ));
    let no_intercept = d.x.columns(1, 3).into_owned();
    assert!(matches!(
        Glmm::new(&d.y, &no_intercept, &d.groups),
        Err(MixedError::NoIntercept)
    ));
    // An aliased column is named.
    let mut x = d.x.clone();
    let c = x.column(1).into_owned();
    x.set_column(3, &c);
    let err = Glmm::new(&d.y, &x, &d.groups)
        .unwrap()
        .names(&d.names)
        .fit()
        .unwrap_err();
    assert!(err.to_string().contains("x2"), "{err}");
    // Complete separation by a covariate: a typed error, not a fit.
    let sep: Vec<f64> = (0..d.y.len())
        .map(|i| f64::from(u8::from(d.x[(i, 2)] > 0.0)))
        .collect();
    let err = Glmm::new(&sep, &d.x, &d.groups)
        .unwrap()
        .names(&d.names)
        .fit()
        .unwrap_err();
    assert!(matches!(err, MixedError::Separation { .. }), "{err}");
}
