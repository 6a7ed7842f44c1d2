//! `trialstats regress`: OLS or logit with iid, HC or cluster-robust covariance, and the wild
//! cluster bootstrap.

use clap::{Args, ValueEnum};
use trialstats_core::{Inference, Level, Table};
use trialstats_data::Response;
use trialstats_models::{Fitted, Se, glmm, logit, ols};
use trialstats_robust::{WildClusterBootstrap, WildWeights, wild::BootTest};
use trialstats_sandwich::{CrType, HcType};

use crate::commands::read_table;
use crate::error::CliError;
use crate::json::{
    BootstrapJson, ConvergenceJson, CovarianceMatrixJson, LatentIccJson, ModelJson, OddsRatioJson,
    RandomEffectsJson, TestJson, VcovJson,
};
use crate::output::{Format, coefficient_rows, coefficient_table, render_json, render_table};
use crate::progress::Progress;

/// Options of `trialstats regress`.
#[derive(Debug, Args)]
pub struct RegressArgs {
    /// The data: a CSV, Stata, Parquet, Feather or Excel file (empty cell or NA = missing), or
    /// for the DataFusion engine a directory of Parquet files or a glob (`big/*.parquet`).
    #[arg(long)]
    pub data: String,
    /// Where the model is fitted: `memory` reads the whole table; `datafusion` streams Parquet
    /// files through Apache DataFusion's aggregates (OLS and logit with iid, HC or one-way
    /// cluster-robust standard errors); `auto` takes DataFusion for a directory, a glob or a
    /// Parquet file over 1 GiB, memory otherwise.
    #[arg(long, value_enum, default_value_t = Engine::Auto)]
    pub engine: Engine,
    /// Model formula, e.g. "y ~ arm + baseline".
    #[arg(long)]
    pub formula: String,
    /// gaussian (OLS) or binomial (logit; the outcome coded 0/1 or with two text levels).
    #[arg(long, value_enum, default_value_t = Family::Gaussian)]
    pub family: Family,
    /// Covariance: default iid, or cr1 when --cluster is given.
    #[arg(long, value_enum)]
    pub vcov: Option<VcovArg>,
    /// With --vcov cr3: multiply by (G−1)/G (the cluster jackknife).
    #[arg(long)]
    pub jackknife: bool,
    /// With two --cluster options: make the intersection term the observations' HC0 meat with no
    /// small-sample factor (R sandwich multi0 = TRUE).
    #[arg(long)]
    pub multi0: bool,
    /// Cluster column (twice for two-way clustering).
    #[arg(long)]
    pub cluster: Vec<String>,
    /// Confidence level of the intervals.
    #[arg(long, allow_negative_numbers = true, value_parser = crate::commands::parse_level, default_value = "0.95")]
    pub level: Level,
    /// Run the wild cluster bootstrap for the coefficient named by --test (OLS, one cluster).
    #[arg(long)]
    pub wild_bootstrap: bool,
    /// The coefficient to bootstrap (its term name, e.g. `arm` or `tempwarm`).
    #[arg(long)]
    pub test: Option<String>,
    /// Bootstrap replicates (all 2^G sign vectors are enumerated when 2^G ≤ reps and the weights
    /// are Rademacher).
    #[arg(long, allow_negative_numbers = true, default_value_t = 9999)]
    pub reps: usize,
    /// Bootstrap weights.
    #[arg(long, value_enum, default_value_t = WeightsArg::Rademacher)]
    pub weights: WeightsArg,
    /// Bootstrap seed.
    #[arg(long, allow_negative_numbers = true, default_value_t = 1)]
    pub seed: u64,
    /// Do not impose the null in the bootstrap (WCU instead of WCR).
    #[arg(long)]
    pub unrestricted: bool,
    /// Binomial: show odds ratios in the text output (the default, as Stata's `logistic`).
    #[arg(long, conflicts_with = "coef")]
    pub or: bool,
    /// Binomial: show the coefficients (log odds) in the text output instead, as Stata's `logit`.
    #[arg(long)]
    pub coef: bool,
    /// Binomial: a random intercept for each level of this column (R `glmer`, Stata `melogit`),
    /// with model-based standard errors.
    #[arg(long)]
    pub random_intercept: Vec<String>,
    /// With --random-intercept: 1 for the Laplace approximation (default, R nAGQ = 1), more for
    /// adaptive Gauss–Hermite quadrature with that many nodes.
    #[arg(long, default_value_t = 1)]
    pub nagq: usize,
}

/// Where a regression is fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Engine {
    /// DataFusion for a directory, a glob or a Parquet file over 1 GiB; memory otherwise.
    Auto,
    /// The whole table in memory (every option).
    Memory,
    /// Apache DataFusion over Parquet files, streaming.
    Datafusion,
}

/// Parquet files at least this large go to DataFusion under `--engine auto`.
pub const AUTO_DATAFUSION_BYTES: u64 = 1 << 30;

/// Model family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Family {
    /// Linear regression by least squares.
    Gaussian,
    /// Logistic regression.
    Binomial,
}

/// Covariance choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VcovArg {
    /// Classical.
    Iid,
    /// White.
    Hc0,
    /// Stata's vce(robust).
    Hc1,
    /// Leverage-adjusted 1/√(1−h).
    Hc2,
    /// Leverage-adjusted 1/(1−h).
    Hc3,
    /// Clustered, no factor.
    Cr0,
    /// Clustered, Stata's factor.
    Cr1,
    /// Bell–McCaffrey with Satterthwaite df.
    Cr2,
    /// Clustered, (I − H_gg)⁻¹ adjustment.
    Cr3,
}

/// Bootstrap weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WeightsArg {
    /// ±1.
    Rademacher,
    /// Six-point.
    Webb,
    /// Two-point asymmetric.
    Mammen,
}

/// Runs `trialstats regress`.
pub fn run(args: &RegressArgs, format: Format) -> Result<String, CliError> {
    if args.cluster.len() > 2 {
        return Err(CliError::Usage(format!(
            "--cluster may be given once or twice, not {} times",
            args.cluster.len()
        )));
    }
    let vcov_arg = args.vcov.unwrap_or(if args.cluster.is_empty() {
        VcovArg::Iid
    } else {
        VcovArg::Cr1
    });
    let clustered = matches!(
        vcov_arg,
        VcovArg::Cr0 | VcovArg::Cr1 | VcovArg::Cr2 | VcovArg::Cr3
    );
    if clustered && args.cluster.is_empty() {
        return Err(CliError::Usage(format!(
            "--vcov {} needs --cluster COL",
            label(vcov_arg)
        )));
    }
    if !clustered && !args.cluster.is_empty() {
        return Err(CliError::Usage(format!(
            "--vcov {} does not use --cluster; drop it or choose cr0–cr3",
            label(vcov_arg)
        )));
    }
    if args.cluster.len() == 2 && !matches!(vcov_arg, VcovArg::Cr0 | VcovArg::Cr1) {
        return Err(CliError::Usage(
            "two-way clustering is available for cr0 and cr1".into(),
        ));
    }
    if (args.or || args.coef) && args.family != Family::Binomial {
        return Err(CliError::Usage(
            "--or and --coef choose the scale of a logistic model (--family binomial)".into(),
        ));
    }
    if args.wild_bootstrap {
        if args.test.is_none() {
            return Err(CliError::Usage("--wild-bootstrap needs --test TERM".into()));
        }
        if args.family != Family::Gaussian || args.cluster.len() != 1 {
            return Err(CliError::Usage(
                "--wild-bootstrap needs --family gaussian and exactly one --cluster".into(),
            ));
        }
    }
    if !args.random_intercept.is_empty() {
        return random_intercept(args, format);
    }
    if args.nagq != 1 {
        return Err(CliError::Usage(
            "--nagq sets the quadrature of a random-intercept model (--random-intercept COL)"
                .into(),
        ));
    }
    if use_datafusion(args)? {
        return crate::scale::run(args, vcov_arg, format);
    }
    let table = read_table(&args.data)?;
    let mut model = match args.family {
        Family::Gaussian => ols(&args.formula),
        Family::Binomial => logit(&args.formula),
    }
    .se(se_of(vcov_arg, args))
    .level(args.level);
    for c in &args.cluster {
        model = model.cluster(c);
    }
    let fit = model
        .fit(&table)
        .map_err(|e| CliError::fit(&args.data, e))?;
    let boot = if args.wild_bootstrap {
        let spec = WildClusterBootstrap {
            reps: args.reps,
            weights: match args.weights {
                WeightsArg::Rademacher => WildWeights::Rademacher,
                WeightsArg::Webb => WildWeights::Webb,
                WeightsArg::Mammen => WildWeights::Mammen,
            },
            impose_null: !args.unrestricted,
            seed: args.seed,
            null: 0.0,
            level: Some(args.level),
        };
        let mut bar = Progress::new("wild bootstrap");
        let term = args.test.as_deref().unwrap_or_default();
        let b = fit.wild_bootstrap(term, &spec, Some(&mut |d, t| bar.update(d, t)));
        bar.finish();
        Some(b.map_err(|e| CliError::fit(&args.data, e))?)
    } else {
        None
    };
    let inference = fit.inference();
    let frame = fit.frame();
    let (header, loglik, r_squared) = match fit.fitted() {
        Fitted::Logit(f) => {
            let y: Vec<f64> = match &frame.response {
                Response::Numeric(v) => v.clone(),
                Response::Categorical { codes, .. } => codes.iter().map(|&c| c as f64).collect(),
            };
            (
                Header::Logistic {
                    loglik: f.loglik(),
                    null_loglik: null_loglik(&y),
                },
                Some(f.loglik()),
                None,
            )
        }
        Fitted::Ols(f) => (
            Header::Linear {
                r_squared: f.r_squared(),
                adj_r_squared: adjusted_r_squared(
                    f.r_squared(),
                    frame.nobs(),
                    f.coefficients().len(),
                    f.has_intercept(),
                ),
                root_mse: f.sigma2().sqrt(),
            },
            None,
            Some(f.r_squared()),
        ),
        _ => {
            return Err(CliError::Usage(
                "regress fits gaussian and binomial models".into(),
            ));
        }
    };
    let warnings = fit.warnings();
    Ok(match format {
        Format::Json => {
            let binomial = args.family == Family::Binomial;
            let mut vcov = VcovJson::of(label(vcov_arg), inference);
            if vcov_arg == VcovArg::Cr3 {
                vcov.jackknife = Some(args.jackknife);
            }
            if args.cluster.len() == 2 {
                vcov.multi0 = Some(args.multi0);
            }
            render_json(&ModelJson {
                model: if binomial { "logit" } else { "ols" },
                link: None,
                formula: &args.formula,
                nobs: frame.nobs(),
                nobs_dropped: frame.dropped.count(),
                n_clusters: inference.n_clusters,
                nagq: None,
                vcov,
                coefficients: inference.coefficients.clone(),
                thresholds: None,
                odds_ratios: binomial.then(|| {
                    inference
                        .coefficients
                        .iter()
                        .map(OddsRatioJson::from)
                        .collect()
                }),
                random_effects: None,
                loglik,
                r_squared,
                covariance_matrix: CovarianceMatrixJson::of(inference),
                bootstrap: boot.as_ref().map(BootstrapJson::from),
                nominal_test: None,
                convergence: inference.convergence.as_ref().map(ConvergenceJson::from),
                warnings,
            })
        }
        _ => stata_output(
            args,
            (frame.nobs(), frame.dropped.count()),
            inference,
            &header,
            boot.as_ref(),
            &warnings,
            format,
        ),
    })
}

/// `regress --family binomial --random-intercept COL`: the random-intercept logit.
fn random_intercept(args: &RegressArgs, format: Format) -> Result<String, CliError> {
    let group = match args.random_intercept.as_slice() {
        [one] => one,
        _ => {
            return Err(CliError::Usage(
                "regress takes one --random-intercept; nested random intercepts are fitted by `trialstats mixed` (linear) and `trialstats ordinal`".into(),
            ));
        }
    };
    if args.family != Family::Binomial {
        return Err(CliError::Usage(
            "--random-intercept on regress needs --family binomial; a linear mixed model is `trialstats mixed`".into(),
        ));
    }
    if !args.cluster.is_empty() || args.vcov.is_some_and(|v| v != VcovArg::Iid) {
        return Err(CliError::Usage(
            "--random-intercept reports model-based standard errors; drop --cluster and --vcov"
                .into(),
        ));
    }
    if args.wild_bootstrap {
        return Err(CliError::Usage(
            "--wild-bootstrap needs --family gaussian without --random-intercept".into(),
        ));
    }
    let quadrature = crate::commands::quadrature_of(args.nagq)?;
    let table = read_table(&args.data)?;
    let fit = glmm(&args.formula, group)
        .quadrature(quadrature)
        .level(args.level)
        .fit(&table)
        .map_err(|e| CliError::fit(&args.data, e))?;
    let Fitted::Glmm(m) = fit.fitted() else {
        return Err(CliError::Usage("not a random-intercept logit".into()));
    };
    let inf = fit.inference();
    let mf = fit.frame();
    let lr = m
        .lr_test()
        .map_err(|e| CliError::fit(&args.data, e.into()))?;
    let icc = m
        .icc(args.level)
        .map_err(|e| CliError::fit(&args.data, e.into()))?;
    // At the boundary the fit's notes say so (σ = 0, the logistic regression's estimates).
    let warnings = fit.warnings();
    Ok(match format {
        Format::Json => render_json(&ModelJson {
            model: "glmm",
            link: Some("logit"),
            formula: &args.formula,
            nobs: mf.nobs(),
            nobs_dropped: mf.dropped.count(),
            n_clusters: Some(m.n_groups),
            nagq: Some(args.nagq),
            vcov: VcovJson {
                kind: "oim".into(),
                clusters: Vec::new(),
                df: None,
                description: Some(inf.covariance.description.clone()),
                factor: None,
                jackknife: None,
                multi0: None,
                df_complete: None,
            },
            coefficients: inf.coefficients.clone(),
            thresholds: None,
            odds_ratios: Some(inf.coefficients.iter().map(OddsRatioJson::from).collect()),
            random_effects: Some(RandomEffectsJson {
                group: group.clone(),
                variance: m.variance(),
                sd: m.sigma,
                log_sd: (!m.singular).then(|| m.sigma.ln()),
                log_sd_std_error: m.se_log_sigma,
                boundary: m.singular,
                lr_test_vs_clm: None,
                lr_test_vs_glm: Some(TestJson {
                    statistic: lr.statistic,
                    p_value: lr.p_value,
                }),
                icc: Some(LatentIccJson {
                    estimate: icc.estimate,
                    ci_low: icc.ci_low,
                    ci_high: icc.ci_high,
                    level: icc.level,
                    scale: "latent",
                }),
            }),
            loglik: Some(m.log_likelihood),
            r_squared: None,
            covariance_matrix: CovarianceMatrixJson::of(inf),
            bootstrap: None,
            nominal_test: None,
            convergence: Some(ConvergenceJson::from(&m.convergence)),
            warnings,
        }),
        _ => {
            let mut t = coefficient_table(&inf.coefficients, !args.coef, 6);
            t.title = Some(format!(
                "Random-intercept logit ({}) {} + (1|{group}): {} rows, {} groups; log-likelihood {:.4}",
                if args.nagq == 1 {
                    "Laplace".to_string()
                } else {
                    format!("adaptive quadrature, {} nodes", args.nagq)
                },
                args.formula,
                mf.nobs(),
                m.n_groups,
                m.log_likelihood
            ));
            t.notes.push(format!(
                "Random intercept {group}: variance {:.6}, sd {:.6}; LR test against the logistic regression without it {:.4}, p = {} (boundary-corrected, chibar2(01))",
                m.variance(),
                m.sigma,
                lr.statistic,
                trialstats_core::table::fmt_p(lr.p_value)
            ));
            t.notes.push(format!(
                "ICC (latent scale, σ² / (σ² + π²/3)): {:.4}, {:.0}% CI {:.4} to {:.4}",
                icc.estimate,
                100.0 * icc.level,
                icc.ci_low,
                icc.ci_high
            ));
            t.notes.extend(warnings.iter().cloned());
            render_table(&t, format)
        }
    })
}

/// The standard errors a covariance option asks for.
pub(crate) fn se_of(v: VcovArg, args: &RegressArgs) -> Se {
    let cluster = |kind: CrType| {
        if args.multi0 && args.cluster.len() == 2 {
            Se::TwoWayMulti0(kind)
        } else {
            Se::Cluster(kind)
        }
    };
    match v {
        VcovArg::Iid => Se::Model,
        VcovArg::Hc0 => Se::Hc(HcType::Hc0),
        VcovArg::Hc1 => Se::Hc(HcType::Hc1),
        VcovArg::Hc2 => Se::Hc(HcType::Hc2),
        VcovArg::Hc3 => Se::Hc(HcType::Hc3),
        VcovArg::Cr0 => cluster(CrType::Cr0),
        VcovArg::Cr1 => cluster(CrType::Cr1),
        VcovArg::Cr2 => Se::Cluster(CrType::Cr2),
        VcovArg::Cr3 => Se::Cluster(CrType::Cr3 {
            jackknife: args.jackknife,
        }),
    }
}

/// Whether `--engine` (or `auto` on this data) takes DataFusion, with the options it cannot do
/// refused.
fn use_datafusion(args: &RegressArgs) -> Result<bool, CliError> {
    let path = std::path::Path::new(&args.data);
    let parquet = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet") || e.eq_ignore_ascii_case("parq"));
    let globbed = args.data.contains(['*', '?', '[']);
    let chosen = match args.engine {
        Engine::Memory => false,
        Engine::Datafusion => true,
        Engine::Auto => {
            path.is_dir()
                || globbed
                || (parquet
                    && std::fs::metadata(path).is_ok_and(|m| m.len() >= AUTO_DATAFUSION_BYTES))
        }
    };
    if !chosen {
        if path.is_dir() {
            return Err(CliError::Usage(format!(
                "`{}` is a directory: a directory of Parquet files is read by --engine datafusion",
                args.data
            )));
        }
        return Ok(false);
    }
    let refuse = |what: &str| {
        Err(CliError::Usage(format!(
            "{what} is not available on the DataFusion engine; use --engine memory"
        )))
    };
    if args.wild_bootstrap {
        return refuse("--wild-bootstrap");
    }
    if args.cluster.len() > 1 {
        return refuse("two-way clustering");
    }
    if args.multi0 {
        return refuse("--multi0");
    }
    Ok(true)
}

/// What the header of the text output shows beside N and the model test.
pub(crate) enum Header {
    /// OLS.
    Linear {
        r_squared: f64,
        adj_r_squared: f64,
        root_mse: f64,
    },
    /// Logit.
    Logistic {
        loglik: f64,
        null_loglik: Option<f64>,
    },
}

/// Adjusted R² = 1 − (1 − R²)(N − i)/(N − K), i = 1 with an intercept, 0 without (as R).
pub(crate) fn adjusted_r_squared(r2: f64, n: usize, k: usize, intercept: bool) -> f64 {
    let i = usize::from(intercept) as f64;
    1.0 - (1.0 - r2) * (n as f64 - i) / (n - k) as f64
}

/// The log-likelihood of the intercept-only logit (for McFadden's pseudo R²); `None` when the
/// outcome is constant.
fn null_loglik(y: &[f64]) -> Option<f64> {
    let n = y.len() as f64;
    let p = y.iter().sum::<f64>() / n;
    (p > 0.0 && p < 1.0).then(|| n * (p * p.ln() + (1.0 - p) * (1.0 - p).ln()))
}

/// Text, Markdown, CSV or HTML output as Stata and R users read it: a header with N, the
/// clusters, the model test (F, or Wald χ² for the logit) and its df, R², adjusted R² and root
/// MSE (or the log-likelihood and McFadden's pseudo R²), then the coefficient table (odds ratios
/// for a logit unless --coef), then the notes.
pub(crate) fn stata_output(
    args: &RegressArgs,
    (nobs, dropped): (usize, usize),
    inf: &Inference,
    header: &Header,
    boot: Option<&BootTest>,
    warnings: &[String],
    format: Format,
) -> String {
    use trialstats_core::table::{fmt_num, fmt_p};
    let f4 = |v: f64| fmt_num(v, 4);
    let mut lines: Vec<(String, String)> = vec![("Number of obs".into(), nobs.to_string())];
    if dropped > 0 {
        lines.push(("Rows dropped (missing)".into(), dropped.to_string()));
    }
    if let (Some(g), Some(c)) = (inf.n_clusters, inf.covariance.cluster_vars.first()) {
        lines.push((format!("Clusters ({c})"), g.to_string()));
    }
    // The model test: every coefficient but the intercept is zero, with the covariance used.
    let terms: Vec<&str> = inf
        .coefficients
        .iter()
        .map(|c| c.term.as_str())
        .filter(|t| *t != "(Intercept)")
        .collect();
    if !terms.is_empty() {
        match trialstats_sandwich::wald_test_inference(inf, &terms) {
            Ok(w) => match w.df2 {
                Some(d2) => {
                    lines.push((format!("F({}, {})", w.df1, plain(d2)), f4(w.statistic)));
                    lines.push(("Prob > F".into(), fmt_p(w.p_value)));
                }
                None => {
                    lines.push((format!("Wald chi2({})", w.df1), f4(w.statistic)));
                    lines.push(("Prob > chi2".into(), fmt_p(w.p_value)));
                }
            },
            Err(_) => lines.push(("Model test".into(), "not available".into())),
        }
    }
    match header {
        Header::Linear {
            r_squared,
            adj_r_squared,
            root_mse,
        } => {
            lines.push(("R-squared".into(), f4(*r_squared)));
            lines.push(("Adj R-squared".into(), f4(*adj_r_squared)));
            lines.push(("Root MSE".into(), fmt_num(*root_mse, 5)));
        }
        Header::Logistic {
            loglik,
            null_loglik,
        } => {
            lines.push(("Log likelihood".into(), fmt_num(*loglik, 8)));
            if let Some(l0) = null_loglik {
                lines.push(("Pseudo R2 (McFadden)".into(), f4(1.0 - loglik / l0)));
            }
        }
    }
    let odds = matches!(header, Header::Logistic { .. }) && !args.coef;
    let z = inf.coefficients.first().is_some_and(|c| c.df.is_none());
    let level = plain(100.0 * args.level.value());
    let mut t = Table::new(&[
        "",
        if odds { "Odds ratio" } else { "Coefficient" },
        "Std. err.",
        if z { "z" } else { "t" },
        if z { "P>|z|" } else { "P>|t|" },
        &format!("[{level}% conf."),
        "interval]",
    ]);
    t.set_align(0, trialstats_core::Align::Left);
    coefficient_rows(&mut t, &inf.coefficients, odds, 7);
    let model = match header {
        Header::Linear { .. } => "Linear regression",
        Header::Logistic { .. } if odds => "Logistic regression (odds ratios)",
        Header::Logistic { .. } => "Logistic regression (log odds)",
    };
    t.title = Some(format!("{model}: {}", args.formula));
    t.notes.push(inf.covariance.description.clone());
    if let Some(b) = boot {
        t.notes.push(boot_note(b));
    }
    t.notes.extend(warnings.iter().cloned());
    let width = lines
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let value_width = lines
        .iter()
        .map(|(_, v)| v.chars().count())
        .max()
        .unwrap_or(0);
    let head: String = lines
        .iter()
        .map(|(k, v)| format!("{k:<width$} = {v:>value_width$}\n"))
        .collect();
    match format {
        Format::Text | Format::Json => format!("{head}\n{}", render_table(&t, format)),
        Format::Markdown => {
            let rows: String = lines
                .iter()
                .map(|(k, v)| format!("| {k} | {v} |\n"))
                .collect();
            format!("| | |\n|---|---:|\n{rows}\n{}", render_table(&t, format))
        }
        Format::Csv | Format::Html => render_table(&t, format),
    }
}

/// The name of a covariance choice, as the option spells it.
pub fn label(v: VcovArg) -> &'static str {
    match v {
        VcovArg::Iid => "iid",
        VcovArg::Hc0 => "hc0",
        VcovArg::Hc1 => "hc1",
        VcovArg::Hc2 => "hc2",
        VcovArg::Hc3 => "hc3",
        VcovArg::Cr0 => "cr0",
        VcovArg::Cr1 => "cr1",
        VcovArg::Cr2 => "cr2",
        VcovArg::Cr3 => "cr3",
    }
}

fn boot_note(b: &BootTest) -> String {
    let ci =
        b.ci.map(|(lo, hi)| {
            format!(
                ", {}% CI [{}, {}]",
                plain(100.0 * b.level.unwrap_or_default().value()),
                trialstats_core::table::fmt_num(lo, 6),
                trialstats_core::table::fmt_num(hi, 6)
            )
        })
        .unwrap_or_default();
    format!(
        "Wild cluster bootstrap ({}, {} weights, {} {}, seed {}): t = {}, {}{ci}",
        if b.impose_null { "WCR" } else { "WCU" },
        b.weights.name(),
        b.reps,
        if b.enumerated {
            "sign vectors enumerated"
        } else {
            "replicates"
        },
        b.seed,
        trialstats_core::table::fmt_num(b.statistic, 4),
        boot_p(b.p_value, b.reps)
    )
}

/// A number as a reader writes it: whole numbers without decimals (a df of 499, a 95 % level),
/// others to 6 significant digits.
fn plain(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        trialstats_core::table::fmt_num(x, 6)
    }
}

/// A bootstrap p-value with its resolution: the count of draws at least as extreme out of the
/// draws (p = count/B), and "p < 1/B" when none is.
fn boot_p(p: f64, reps: usize) -> String {
    let count = (p * reps as f64).round() as usize;
    if count == 0 {
        format!(
            "p < {} (0 of {reps} draws as extreme)",
            trialstats_core::table::fmt_num(1.0 / reps as f64, 2)
        )
    } else {
        format!(
            "p = {} ({count} of {reps} draws as extreme)",
            trialstats_core::table::fmt_p(p)
        )
    }
}
