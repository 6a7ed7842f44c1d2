//! `trialstats mixed`: a linear mixed model with a random intercept per community (and per
//! participant within community), REML or ML, with Satterthwaite, Kenward–Roger or residual
//! degrees of freedom.

use clap::{Args, ValueEnum};
use serde::Serialize;
use trialstats_core::{Coef, Level, Table};
use trialstats_mixed::{Ddf, Method};
use trialstats_models::{Fitted, lmm};

use crate::commands::read_table;
use crate::error::CliError;
use crate::json::{ConvergenceJson, TestJson};
use crate::output::{Format, render_json, render_table};

/// Options of `trialstats mixed`.
#[derive(Debug, Args)]
pub struct MixedArgs {
    /// Data file (CSV, or any format `describe` reads).
    #[arg(long)]
    pub data: String,
    /// Fixed-effects formula, e.g. "y ~ arm * time + x1".
    #[arg(long)]
    pub formula: String,
    /// A random intercept per level of this column; give it twice for a second level nested
    /// in the first (community, then participant).
    #[arg(long, required = true)]
    pub random_intercept: Vec<String>,
    /// REML (lme4's default) or ML.
    #[arg(long, value_enum, default_value_t = MethodArg::Reml)]
    pub method: MethodArg,
    /// Denominator degrees of freedom of the t tests.
    #[arg(long, value_enum, default_value_t = DdfArg::Satterthwaite)]
    pub df: DdfArg,
    /// Confidence level of the intervals.
    #[arg(long, allow_negative_numbers = true, value_parser = crate::commands::parse_level, default_value = "0.95")]
    pub level: Level,
}

/// REML or ML.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    /// Restricted maximum likelihood.
    Reml,
    /// Maximum likelihood.
    Ml,
}

/// Denominator df.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DdfArg {
    /// Satterthwaite (lmerTest).
    Satterthwaite,
    /// Kenward–Roger (pbkrtest; REML only).
    KenwardRoger,
    /// n − p.
    Residual,
}

#[derive(Serialize)]
struct ComponentJson {
    group: String,
    variance: f64,
    sd: f64,
    levels: usize,
    boundary: bool,
    lr_test: Option<TestJson>,
}

#[derive(Serialize)]
struct IccJson {
    group: String,
    estimate: f64,
    ci_low: f64,
    ci_high: f64,
}

#[derive(Serialize)]
struct MixedJson<'a> {
    model: &'static str,
    formula: &'a str,
    method: &'static str,
    df_method: &'static str,
    nobs: usize,
    nobs_dropped: usize,
    n_clusters: usize,
    coefficients: Vec<Coef>,
    random_effects: Vec<ComponentJson>,
    residual_variance: f64,
    icc: IccJson,
    iccs: Vec<IccJson>,
    loglik: f64,
    deviance: f64,
    singular: bool,
    convergence: ConvergenceJson,
    warnings: Vec<String>,
}

/// Runs `trialstats mixed`.
pub fn run(args: &MixedArgs, format: Format) -> Result<String, CliError> {
    if args.random_intercept.len() > 2 {
        return Err(CliError::Usage(
            "--random-intercept takes one column, or two (the second nested in the first)".into(),
        ));
    }
    let method = match args.method {
        MethodArg::Reml => Method::Reml,
        MethodArg::Ml => Method::Ml,
    };
    let ddf = match args.df {
        DdfArg::Satterthwaite => Ddf::Satterthwaite,
        DdfArg::KenwardRoger => Ddf::KenwardRoger,
        DdfArg::Residual => Ddf::Residual,
    };
    if ddf == Ddf::KenwardRoger && method == Method::Ml {
        return Err(CliError::Usage(
            "--df kenward-roger is defined for REML fits; drop --method ml".into(),
        ));
    }
    let table = read_table(&args.data)?;
    let mut model = lmm(&args.formula, &args.random_intercept[0])
        .method(method)
        .ddf(ddf)
        .level(args.level);
    if let Some(inner) = args.random_intercept.get(1) {
        model = model.random_intercept(inner);
    }
    let fit = model
        .fit(&table)
        .map_err(|e| CliError::fit(&args.data, e))?;
    let Fitted::Lmm(m) = fit.fitted() else {
        return Err(CliError::Usage("mixed fits linear mixed models".into()));
    };
    let fail = |e: trialstats_mixed::MixedError| CliError::fit(&args.data, e.into());
    let iccs = m.icc(args.level).map_err(fail)?;
    let lrts = m.lr_tests().map_err(fail)?;
    let inf = fit.inference();
    let mf = fit.frame();
    let mut warnings = fit.warnings();
    warnings.dedup();
    let factors = m.components.len() - 1;
    let random_effects: Vec<ComponentJson> = m.components[..factors]
        .iter()
        .zip(&m.theta)
        .map(|(c, t)| ComponentJson {
            group: c.group.clone(),
            variance: c.variance,
            sd: c.sd,
            levels: c.levels,
            boundary: *t == 0.0,
            lr_test: lrts.iter().find(|l| l.group == c.group).map(|l| TestJson {
                statistic: l.statistic,
                p_value: l.p_value,
            }),
        })
        .collect();
    let icc_json = |i: &trialstats_mixed::Icc| IccJson {
        group: i.group.clone(),
        estimate: i.estimate,
        ci_low: i.ci_low,
        ci_high: i.ci_high,
    };
    Ok(match format {
        Format::Json => render_json(&MixedJson {
            model: "lmm",
            formula: &args.formula,
            method: match method {
                Method::Reml => "reml",
                Method::Ml => "ml",
            },
            df_method: label(ddf),
            nobs: mf.nobs(),
            nobs_dropped: mf.dropped.count(),
            n_clusters: m.components[0].levels,
            coefficients: inf.coefficients.clone(),
            random_effects,
            residual_variance: m.sigma2,
            icc: icc_json(&iccs[0]),
            iccs: iccs.iter().map(icc_json).collect(),
            loglik: m.log_likelihood,
            deviance: m.deviance,
            singular: m.singular,
            convergence: ConvergenceJson::from(&m.convergence),
            warnings,
        }),
        _ => {
            let mut t = fit.summary();
            t.title = Some(format!(
                "Linear mixed model ({}), {}: {} observations, {}",
                method.label(),
                args.formula,
                mf.nobs(),
                m.components[..factors]
                    .iter()
                    .map(|c| format!("{} {} levels", c.levels, c.group))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            let mut re = Table::new(&["group", "variance", "SD", "LR test vs none", "p (χ̄²₀₁)"]);
            re.set_align(0, trialstats_core::Align::Left);
            for c in &m.components {
                let lr = lrts.iter().find(|l| l.group == c.group);
                re.push_row(vec![
                    c.group.clone(),
                    format!("{:.6}", c.variance),
                    format!("{:.6}", c.sd),
                    lr.map_or_else(String::new, |l| format!("{:.4}", l.statistic)),
                    lr.map_or_else(String::new, |l| format!("{:.4}", l.p_value)),
                ]);
            }
            re.title = Some(format!(
                "Variance components ({} log-likelihood {:.4})",
                method.label(),
                m.log_likelihood
            ));
            for i in &iccs {
                re.notes.push(format!(
                    "ICC ({}): {:.4}, {:.0} % profile-likelihood interval {:.4} to {:.4}",
                    i.group,
                    i.estimate,
                    100.0 * args.level.value(),
                    i.ci_low,
                    i.ci_high
                ));
            }
            format!(
                "{}\n{}",
                render_table(&t, format),
                render_table(&re, format)
            )
        }
    })
}

fn label(d: Ddf) -> &'static str {
    match d {
        Ddf::Satterthwaite => "satterthwaite",
        Ddf::KenwardRoger => "kenward-roger",
        Ddf::Residual => "residual",
    }
}
