//! `trialstats ordinal`: cumulative link models with observed-information or cluster-robust
//! standard errors.

use clap::{Args, ValueEnum};
use trialstats_core::Level;
use trialstats_models::{Fit, Fitted, Se, clm};
use trialstats_ordinal::{ClmFit, ClmmFit, Link, NestedClmmFit};

use crate::commands::read_table;
use crate::error::CliError;
use crate::json::{
    ConvergenceJson, CovarianceMatrixJson, ModelJson, NominalJson, OddsRatioJson,
    RandomEffectsJson, TestJson, ThresholdJson, VcovJson,
};
use crate::output::{Format, coefficient_table, render_json, render_table};

/// Options of `trialstats ordinal`.
#[derive(Debug, Args)]
pub struct OrdinalArgs {
    /// CSV file with a header row (empty cell or NA = missing).
    #[arg(long)]
    pub data: String,
    /// Model formula; the outcome holds integer category codes in their order (e.g. 1–5).
    #[arg(long)]
    pub formula: String,
    /// Link function.
    #[arg(long, value_enum, default_value_t = LinkArg::Logit)]
    pub link: LinkArg,
    /// Covariance: observed information (oim), or cr1 clustered (Stata's G/(G−1), z inference).
    #[arg(long, value_enum)]
    pub vcov: Option<OrdVcov>,
    /// Cluster column (implies --vcov cr1).
    #[arg(long)]
    pub cluster: Option<String>,
    /// Fit a random intercept per level of this column (R clmm, Stata meologit); given twice,
    /// the second is nested in the first (participants within communities).
    #[arg(long)]
    pub random_intercept: Vec<String>,
    /// Quadrature nodes for the random intercept: 1 = Laplace (default), ≥ 2 adaptive
    /// Gauss–Hermite.
    #[arg(long, allow_negative_numbers = true, default_value_t = 1)]
    pub nagq: usize,
    /// Confidence level of the intervals.
    #[arg(long, allow_negative_numbers = true, value_parser = crate::commands::parse_level, default_value = "0.95")]
    pub level: Level,
    /// Add the likelihood-ratio test of proportional odds for each term (R `nominal_test`).
    #[arg(long)]
    pub nominal_test: bool,
}

/// Link choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LinkArg {
    /// Proportional odds.
    Logit,
    /// Normal latent errors.
    Probit,
    /// Complementary log-log.
    Cloglog,
}

/// Covariance choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OrdVcov {
    /// Inverse observed information.
    Oim,
    /// Cluster-robust, Stata's G/(G−1).
    Cr1,
}

/// Runs `trialstats ordinal`.
pub fn run(args: &OrdinalArgs, format: Format) -> Result<String, CliError> {
    let vcov_arg = args.vcov.unwrap_or(if args.cluster.is_some() {
        OrdVcov::Cr1
    } else {
        OrdVcov::Oim
    });
    if vcov_arg == OrdVcov::Cr1 && args.cluster.is_none() {
        return Err(CliError::Usage("--vcov cr1 needs --cluster COL".into()));
    }
    if vcov_arg == OrdVcov::Oim && args.cluster.is_some() {
        return Err(CliError::Usage(
            "--vcov oim does not use --cluster; drop it or use --vcov cr1".into(),
        ));
    }
    if args.random_intercept.len() > 2 {
        return Err(CliError::Usage(
            "--random-intercept may be given once, or twice for nested intercepts".into(),
        ));
    }
    if !args.random_intercept.is_empty() && args.cluster.is_some() {
        return Err(CliError::Usage("--random-intercept and --cluster cannot be combined (the clmm uses model-based standard errors)".into()));
    }
    let quadrature = crate::commands::quadrature_of(args.nagq)?;
    let table = read_table(&args.data)?;
    let link = match args.link {
        LinkArg::Logit => Link::Logit,
        LinkArg::Probit => Link::Probit,
        LinkArg::Cloglog => Link::Cloglog,
    };
    let mut model = clm(&args.formula).link(link).level(args.level);
    if let Some(c) = &args.cluster {
        model = model.cluster(c).se(Se::CR1);
    }
    for group in &args.random_intercept {
        model = model.random_intercept(group).quadrature(quadrature);
    }
    let fit = model
        .fit(&table)
        .map_err(|e| CliError::fit(&args.data, e))?;
    match fit.fitted() {
        Fitted::Clmm(m) => clmm_output(args, format, &fit, m, link),
        Fitted::NestedClmm(m) => nested_output(args, format, &fit, m, link),
        Fitted::Clm(m) => clm_output(args, format, &fit, m, vcov_arg, link),
        _ => Err(CliError::Usage(
            "ordinal fits cumulative link models".into(),
        )),
    }
}

fn clm_output(
    args: &OrdinalArgs,
    format: Format,
    fit: &Fit,
    clm_fit: &ClmFit<'_>,
    vcov_arg: OrdVcov,
    link: Link,
) -> Result<String, CliError> {
    let inf = fit.inference();
    let mf = fit.frame();
    let nominal = if args.nominal_test {
        // Design columns of each term, without the dropped intercept column.
        let shift = usize::from(mf.column_names.first().map(String::as_str) == Some("(Intercept)"));
        let terms: Vec<(String, Vec<usize>)> = mf
            .terms
            .iter()
            .filter(|t| t.label != "(Intercept)")
            .map(|t| {
                (
                    t.label.clone(),
                    (t.start - shift..t.start - shift + t.len).collect(),
                )
            })
            .collect();
        clm_fit
            .nominal_test(&terms)
            .map_err(|e| CliError::fit(&args.data, e.into()))?
    } else {
        Vec::new()
    };
    let warnings = fit.warnings();
    let nt = clm_fit.thresholds().len();
    Ok(match format {
        Format::Json => {
            let mut vcov = VcovJson::of(
                if vcov_arg == OrdVcov::Cr1 {
                    "cr1"
                } else {
                    "oim"
                },
                inf,
            );
            vcov.df = None;
            render_json(&ModelJson {
                model: "clm",
                link: Some(link.name()),
                formula: &args.formula,
                nobs: mf.nobs(),
                nobs_dropped: mf.dropped.count(),
                n_clusters: inf.n_clusters,
                nagq: None,
                vcov,
                coefficients: inf.coefficients[nt..].to_vec(),
                thresholds: Some(
                    inf.coefficients[..nt]
                        .iter()
                        .map(ThresholdJson::from)
                        .collect(),
                ),
                odds_ratios: (link == Link::Logit).then(|| {
                    inf.coefficients[nt..]
                        .iter()
                        .map(OddsRatioJson::from)
                        .collect()
                }),
                random_effects: None,
                loglik: Some(clm_fit.loglik()),
                r_squared: None,
                covariance_matrix: CovarianceMatrixJson::of(inf),
                bootstrap: None,
                nominal_test: args.nominal_test.then(|| {
                    nominal
                        .iter()
                        .map(|t| NominalJson {
                            term: t.term.clone(),
                            df: t.df,
                            loglik: t.loglik,
                            statistic: t.statistic,
                            p_value: t.p_value,
                        })
                        .collect()
                }),
                convergence: inf.convergence.as_ref().map(ConvergenceJson::from),
                warnings,
            })
        }
        _ => {
            let mut t = inf.summary();
            t.title = Some(format!(
                "CLM ({}) {}: {} rows used ({} dropped); log-likelihood {:.4}{}",
                link.name(),
                args.formula,
                mf.nobs(),
                mf.dropped.count(),
                clm_fit.loglik(),
                t.title
                    .as_deref()
                    .map(|s| format!("; {s}"))
                    .unwrap_or_default()
            ));
            t.notes.extend(mf.warnings.iter().cloned());
            for n in &nominal {
                t.notes.push(format!(
                    "Proportional odds for {}: LR {:.4} on {} df, p = {} (nominal effect log-likelihood {:.4})",
                    n.term,
                    n.statistic,
                    n.df,
                    trialstats_core::table::fmt_p(n.p_value),
                    n.loglik
                ));
            }
            render_table(&t, format)
        }
    })
}

fn clmm_output(
    args: &OrdinalArgs,
    format: Format,
    fit: &Fit,
    m: &ClmmFit,
    link: Link,
) -> Result<String, CliError> {
    let inf = fit.inference();
    let mf = fit.frame();
    let group = args
        .random_intercept
        .first()
        .map(String::as_str)
        .unwrap_or_default();
    let coefs = &inf.coefficients;
    let nt = m.thresholds().len();
    let nb = m.beta().len();
    let (lr, lr_p) = m
        .lr_test()
        .map_err(|e| CliError::fit(&args.data, e.into()))?;
    let mut warnings = mf.warnings.clone();
    if m.at_boundary() {
        warnings.push(format!(
            "The random-intercept variance of {group} is at its boundary, 0: the estimates are those of the model without it (LR test 0, p = 1)."
        ));
    }
    Ok(match format {
        Format::Json => render_json(&ModelJson {
            model: "clmm",
            link: Some(link.name()),
            formula: &args.formula,
            nobs: mf.nobs(),
            nobs_dropped: mf.dropped.count(),
            n_clusters: Some(m.cluster_labels().len()),
            nagq: Some(args.nagq),
            vcov: VcovJson {
                kind: "oim".into(),
                clusters: Vec::new(),
                df: None,
                description: None,
                factor: None,
                jackknife: None,
                multi0: None,
                df_complete: None,
            },
            coefficients: coefs[nt..nt + nb].to_vec(),
            thresholds: Some(coefs[..nt].iter().map(ThresholdJson::from).collect()),
            odds_ratios: None,
            random_effects: Some(RandomEffectsJson {
                group: group.to_owned(),
                variance: m.variance(),
                sd: m.sigma(),
                log_sd: coefs.get(nt + nb).map(|c| c.estimate),
                log_sd_std_error: coefs.get(nt + nb).map(|c| c.std_error),
                boundary: m.at_boundary(),
                lr_test_vs_clm: Some(TestJson {
                    statistic: lr,
                    p_value: lr_p,
                }),
                lr_test_vs_glm: None,
                icc: None,
            }),
            loglik: Some(m.loglik()),
            r_squared: None,
            covariance_matrix: CovarianceMatrixJson::new(m.names(), m.vcov()),
            bootstrap: None,
            nominal_test: None,
            convergence: Some(ConvergenceJson::from(m.convergence())),
            warnings,
        }),
        _ => {
            let mut t = coefficient_table(coefs, false, 6);
            t.title = Some(format!(
                "CLMM ({}, {}) {} + (1|{group}): {} rows, {} clusters; log-likelihood {:.4}",
                link.name(),
                if args.nagq == 1 {
                    "Laplace".to_string()
                } else {
                    format!("AGQ {}", args.nagq)
                },
                args.formula,
                mf.nobs(),
                m.cluster_labels().len(),
                m.loglik()
            ));
            t.notes.push(format!(
                "Random intercept {group}: variance {:.6}, sd {:.6}; LR test against the model without it {:.4}, p = {} (boundary-corrected)",
                m.variance(),
                m.sigma(),
                lr,
                trialstats_core::table::fmt_p(lr_p)
            ));
            t.notes.extend(warnings.iter().cloned());
            render_table(&t, format)
        }
    })
}

/// The output of the model with nested random intercepts: the model JSON with
/// `random_effects` an array (community first) and the LR test of both against the clm.
fn nested_output(
    args: &OrdinalArgs,
    format: Format,
    fit: &Fit,
    m: &NestedClmmFit,
    link: Link,
) -> Result<String, CliError> {
    let inf = fit.inference();
    let mf = fit.frame();
    let coefs = &inf.coefficients;
    let nt = m.thresholds().len();
    let nb = m.beta().len();
    let groups = m.groups();
    let sigma = m.sigma();
    let levels = m.levels();
    let warnings = fit.warnings();
    // Both variances against 0: χ²₂, conservative at the boundary (as Stata's note says).
    let lr = (2.0 * (m.loglik() - m.clm_loglik())).max(0.0);
    let lr_p = trialstats_core::dist::chisq_sf(lr, 2.0)
        .map_err(|e| CliError::fit(&args.data, trialstats_ordinal::OrdinalError::from(e).into()))?;
    let method = if args.nagq == 1 {
        "joint Laplace".to_string()
    } else {
        format!("nested adaptive quadrature, {} nodes per level", args.nagq)
    };
    Ok(match format {
        Format::Json => {
            let boundary = m.at_boundary();
            let random_effects: Vec<NestedEffectJson> = (0..2)
                .map(|l| {
                    let j = nt + nb + l;
                    NestedEffectJson {
                        group: groups[l].clone(),
                        variance: sigma[l] * sigma[l],
                        sd: sigma[l],
                        levels: levels[l],
                        boundary: boundary[l],
                        log_sd: (!boundary[l]).then(|| m.estimates()[j]),
                        log_sd_std_error: (!boundary[l]).then(|| m.vcov()[(j, j)].sqrt()),
                    }
                })
                .collect();
            render_json(&NestedJson {
                model: "clmm",
                link: link.name(),
                formula: &args.formula,
                nobs: mf.nobs(),
                nobs_dropped: mf.dropped.count(),
                n_clusters: levels[0],
                nagq: args.nagq,
                method,
                coefficients: coefs[nt..nt + nb].to_vec(),
                thresholds: coefs[..nt].iter().map(ThresholdJson::from).collect(),
                random_effects,
                loglik: m.loglik(),
                lr_test_vs_clm: TestJson {
                    statistic: lr,
                    p_value: lr_p,
                },
                covariance_matrix: CovarianceMatrixJson::new(m.names(), m.vcov()),
                convergence: ConvergenceJson::from(m.convergence()),
                warnings,
            })
        }
        _ => {
            let mut t = coefficient_table(coefs, false, 6);
            t.title = Some(format!(
                "CLMM ({}, {method}) {} + (1|{}) + (1|{}): {} rows, {} and {} levels; log-likelihood {:.4}",
                link.name(),
                args.formula,
                groups[0],
                groups[1],
                mf.nobs(),
                levels[0],
                levels[1],
                m.loglik()
            ));
            for l in 0..2 {
                t.notes.push(format!(
                    "Random intercept {}: variance {:.6}, sd {:.6} ({} levels)",
                    groups[l],
                    sigma[l] * sigma[l],
                    sigma[l],
                    levels[l]
                ));
            }
            t.notes.push(format!(
                "LR test of both variances against the model without them {lr:.4}, p = {} (chi2(2), conservative at the boundary)",
                trialstats_core::table::fmt_p(lr_p)
            ));
            t.notes.extend(warnings.iter().cloned());
            render_table(&t, format)
        }
    })
}

/// One level of a nested model's random intercepts.
#[derive(Debug, serde::Serialize)]
struct NestedEffectJson {
    group: String,
    variance: f64,
    sd: f64,
    levels: usize,
    boundary: bool,
    log_sd: Option<f64>,
    log_sd_std_error: Option<f64>,
}

/// `ordinal` with two `--random-intercept`s.
#[derive(Debug, serde::Serialize)]
struct NestedJson<'a> {
    model: &'static str,
    link: &'static str,
    formula: &'a str,
    nobs: usize,
    nobs_dropped: usize,
    n_clusters: usize,
    nagq: usize,
    method: String,
    coefficients: Vec<trialstats_core::Coef>,
    thresholds: Vec<ThresholdJson>,
    random_effects: Vec<NestedEffectJson>,
    loglik: f64,
    lr_test_vs_clm: TestJson,
    covariance_matrix: CovarianceMatrixJson,
    convergence: ConvergenceJson,
    warnings: Vec<String>,
}
