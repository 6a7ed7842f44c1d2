//! `trialstats ordinal`: cumulative link models with observed-information or cluster-robust
//! standard errors.

use clap::{Args, ValueEnum};
use serde_json::{Value, json};
use trialstats_data::{Formula, FrameOptions, ModelFrame, Response};
use trialstats_ordinal::{Clm, Clmm, ClmmFit, Link, Quadrature};
use trialstats_robust::{CrType, Vcov};

use crate::commands::read_table;
use crate::error::CliError;
use crate::output::{Format, render_json, render_table};

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
    /// Fit a random intercept per level of this column (R clmm, Stata meologit).
    #[arg(long)]
    pub random_intercept: Option<String>,
    /// Quadrature nodes for the random intercept: 1 = Laplace (default), ≥ 2 adaptive
    /// Gauss–Hermite.
    #[arg(long, allow_negative_numbers = true, default_value_t = 1)]
    pub nagq: usize,
    /// Confidence level of the intervals.
    #[arg(long, allow_negative_numbers = true, value_parser = crate::commands::parse_level, default_value_t = 0.95)]
    pub level: f64,
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
    if args.random_intercept.is_some() && args.cluster.is_some() {
        return Err(CliError::Usage("--random-intercept and --cluster cannot be combined (the clmm uses model-based standard errors)".into()));
    }
    if args.nagq == 0 || args.nagq > trialstats_ordinal::clmm::MAX_NODES {
        return Err(CliError::Usage(format!(
            "--nagq must be from 1 (Laplace) to {} nodes, not {}",
            trialstats_ordinal::clmm::MAX_NODES,
            args.nagq
        )));
    }
    let table = read_table(&args.data)?;
    let formula = Formula::parse(&args.formula)?;
    let clusters: Vec<String> = args
        .cluster
        .iter()
        .chain(&args.random_intercept)
        .cloned()
        .collect();
    let mf = ModelFrame::new(
        &table,
        &formula,
        &FrameOptions {
            clusters,
            check_rank: false,
        },
    )?;
    let values = match &mf.response {
        Response::Numeric(v) => v.clone(),
        Response::Categorical { levels, .. } => {
            return Err(CliError::OrdinalText {
                path: args.data.clone(),
                column: mf.response_name.clone(),
                levels: levels.clone(),
            });
        }
    };
    let (y, levels) = category_codes(&values).map_err(|i| CliError::OrdinalCode {
        path: args.data.clone(),
        column: mf.response_name.clone(),
        row: mf.rows.get(i).map_or(i + 1, |r| r + 1),
        value: values[i],
    })?;
    // clm has no intercept: drop the design's intercept column if present.
    let (x, names) = if mf.column_names.first().map(String::as_str) == Some("(Intercept)") {
        (
            mf.x.columns(1, mf.x.ncols() - 1).into_owned(),
            mf.column_names[1..].to_vec(),
        )
    } else {
        (mf.x.clone(), mf.column_names.clone())
    };
    let link = match args.link {
        LinkArg::Logit => Link::Logit,
        LinkArg::Probit => Link::Probit,
        LinkArg::Cloglog => Link::Cloglog,
    };
    if let (Some(group), Some(cl)) = (&args.random_intercept, mf.clusters.first()) {
        let q = if args.nagq == 1 {
            Quadrature::Laplace
        } else {
            Quadrature::Adaptive { nodes: args.nagq }
        };
        let fit = Clmm::new(&y, &levels, &x, cl)?
            .names(&names)?
            .link(link)
            .quadrature(q)
            .fit()?;
        return clmm_output(args, format, &mf, &fit, group, link);
    }
    let fit = Clm::with_levels(&y, &levels, &x)?
        .names(&names)?
        .link(link)
        .fit()?;
    let how = match (vcov_arg, mf.clusters.first()) {
        (OrdVcov::Cr1, Some(c)) => Vcov::Cluster {
            clusters: c.clone(),
            kind: CrType::Cr1,
        },
        _ => Vcov::Iid,
    };
    let inf = fit.infer(&how, args.level)?;
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
        fit.nominal_test(&terms)?
    } else {
        Vec::new()
    };
    let mut warnings = mf.warnings.clone();
    warnings.extend(fit.warnings().iter().cloned());
    let nt = fit.thresholds().len();
    Ok(match format {
        Format::Json => {
            let coefficients: Vec<Value> = inf.coefficients[nt..]
                .iter()
                .map(|c| json!({"term": c.term, "estimate": c.estimate, "std_error": c.std_error, "statistic": c.statistic,
                                "df": c.df, "p_value": c.p_value, "ci_low": c.ci_low, "ci_high": c.ci_high}))
                .collect();
            let thresholds: Vec<Value> = inf.coefficients[..nt]
                .iter()
                .map(|c| json!({"term": c.term, "estimate": c.estimate, "std_error": c.std_error}))
                .collect();
            let odds_ratios: Vec<Value> = inf.coefficients[nt..]
                .iter()
                .map(|c| {
                    let or = c.exponentiated();
                    json!({"term": or.term, "odds_ratio": or.estimate, "ci_low": or.ci_low, "ci_high": or.ci_high})
                })
                .collect();
            let terms: Vec<&str> = inf.coefficients.iter().map(|c| c.term.as_str()).collect();
            let matrix: Vec<Vec<f64>> = inf
                .vcov
                .row_iter()
                .map(|r| r.iter().copied().collect())
                .collect();
            let conv = fit.convergence();
            render_json(&json!({
                "model": "clm",
                "link": link.name(),
                "formula": args.formula,
                "nobs": mf.nobs(),
                "nobs_dropped": mf.dropped.count(),
                "n_clusters": inf.n_clusters,
                "vcov": {"type": if vcov_arg == OrdVcov::Cr1 { "cr1" } else { "oim" }, "clusters": inf.covariance.cluster_vars,
                         "df": null, "description": inf.covariance.description, "factor": inf.covariance.factor},
                "coefficients": coefficients,
                "thresholds": thresholds,
                "odds_ratios": if link == Link::Logit { json!(odds_ratios) } else { Value::Null },
                "loglik": fit.loglik(),
                "covariance_matrix": {"terms": terms, "matrix": matrix},
                "convergence": {"iterations": conv.iterations, "max_abs_gradient": conv.max_abs_gradient, "converged": conv.converged()},
                "nominal_test": if args.nominal_test {
                    json!(nominal.iter().map(|t| json!({"term": t.term, "df": t.df, "loglik": t.loglik, "statistic": t.statistic, "p_value": t.p_value})).collect::<Vec<_>>())
                } else { Value::Null },
                "warnings": warnings,
            }))
        }
        _ => {
            let mut t = inf.summary();
            t.title = Some(format!(
                "CLM ({}) {}: {} rows used ({} dropped); log-likelihood {:.4}{}",
                link.name(),
                args.formula,
                mf.nobs(),
                mf.dropped.count(),
                fit.loglik(),
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
    mf: &ModelFrame,
    fit: &ClmmFit,
    group: &str,
    link: Link,
) -> Result<String, CliError> {
    let coefs = fit.coefficients(args.level)?;
    let nt = fit.thresholds().len();
    let nb = fit.beta().len();
    let (lr, lr_p) = fit.lr_test()?;
    let conv = fit.convergence();
    let mut warnings = mf.warnings.clone();
    if fit.at_boundary() {
        warnings.push(format!(
            "The random-intercept variance of {group} is at its boundary, 0: the estimates are those of the model without it (LR test 0, p = 1)."
        ));
    }
    Ok(match format {
        Format::Json => {
            let row = |c: &trialstats_core::Coef| {
                json!({"term": c.term, "estimate": c.estimate, "std_error": c.std_error, "statistic": c.statistic,
                       "df": c.df, "p_value": c.p_value, "ci_low": c.ci_low, "ci_high": c.ci_high})
            };
            let matrix: Vec<Vec<f64>> = fit
                .vcov()
                .row_iter()
                .map(|r| r.iter().copied().collect())
                .collect();
            render_json(&json!({
                "model": "clmm",
                "link": link.name(),
                "formula": args.formula,
                "nobs": mf.nobs(),
                "nobs_dropped": mf.dropped.count(),
                "n_clusters": fit.cluster_labels().len(),
                "nagq": args.nagq,
                "vcov": {"type": "oim", "clusters": [], "df": null},
                "coefficients": coefs[nt..nt + nb].iter().map(row).collect::<Vec<_>>(),
                "thresholds": coefs[..nt].iter().map(|c| json!({"term": c.term, "estimate": c.estimate, "std_error": c.std_error})).collect::<Vec<_>>(),
                "random_effects": {"group": group, "variance": fit.variance(), "sd": fit.sigma(),
                                   "log_sd": coefs.get(nt + nb).map(|c| c.estimate),
                                   "log_sd_std_error": coefs.get(nt + nb).map(|c| c.std_error),
                                   "boundary": fit.at_boundary(),
                                   "lr_test_vs_clm": {"statistic": lr, "p_value": lr_p}},
                "loglik": fit.loglik(),
                "covariance_matrix": {"terms": fit.names(), "matrix": matrix},
                "convergence": {"iterations": conv.iterations, "max_abs_gradient": conv.max_abs_gradient, "converged": conv.converged()},
                "warnings": warnings,
            }))
        }
        _ => {
            let mut t = trialstats_core::Table::new(&[
                "term",
                "estimate",
                "std. error",
                "z",
                "p",
                "CI low",
                "CI high",
            ]);
            t.set_align(0, trialstats_core::Align::Left);
            for c in &coefs {
                t.push_row(vec![
                    c.term.clone(),
                    trialstats_core::table::fmt_num(c.estimate, 6),
                    trialstats_core::table::fmt_num(c.std_error, 6),
                    trialstats_core::table::fmt_num(c.statistic, 4),
                    trialstats_core::table::fmt_p(c.p_value),
                    trialstats_core::table::fmt_num(c.ci_low, 6),
                    trialstats_core::table::fmt_num(c.ci_high, 6),
                ]);
            }
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
                fit.cluster_labels().len(),
                fit.loglik()
            ));
            t.notes.push(format!(
                "Random intercept {group}: variance {:.6}, sd {:.6}; LR test against the model without it {:.4}, p = {} (boundary-corrected)",
                fit.variance(),
                fit.sigma(),
                lr,
                trialstats_core::table::fmt_p(lr_p)
            ));
            t.notes.extend(warnings.iter().cloned());
            render_table(&t, format)
        }
    })
}

/// The categories of an ordinal outcome: its distinct integer codes in increasing order (as R's
/// `factor()` of the codes: a code that does not occur makes no category), and each value's
/// position among them. `Err(i)` names the first value that is not an integer.
fn category_codes(values: &[f64]) -> Result<(Vec<usize>, Vec<String>), usize> {
    if let Some(i) = values.iter().position(|v| v.fract() != 0.0) {
        return Err(i);
    }
    // -0 and 0 are one category (adding +0 turns -0 into +0).
    let mut distinct: Vec<f64> = values.iter().map(|v| v + 0.0).collect();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup_by(|a, b| a.total_cmp(b).is_eq());
    let y = values
        .iter()
        .map(|v| distinct.partition_point(|d| d < v))
        .collect();
    let levels = distinct
        .iter()
        .map(|&d| {
            if d.abs() < 1e15 {
                format!("{}", d as i64)
            } else {
                format!("{d:e}")
            }
        })
        .collect();
    Ok((y, levels))
}

#[cfg(test)]
mod tests {
    use super::category_codes;

    #[test]
    fn categories_are_the_distinct_codes() {
        // Found by the CLI fault campaign: a code of 1e308 panicked ("capacity overflow") and
        // 1e9 allocated 24 GB, one level per integer between the extremes.
        let (y, levels) = category_codes(&[3.0, 1e9, -2.0, 3.0, 1e300]).unwrap();
        assert_eq!(y, [1, 2, 0, 1, 3]);
        assert_eq!(levels, ["-2", "3", "1000000000", "1e300"]);
        assert_eq!(category_codes(&[1.0, 2.5, 3.0]), Err(1));
        let (y, levels) = category_codes(&[-0.0, 0.0, 1.0]).unwrap();
        assert_eq!((y, levels.len()), (vec![0, 0, 1], 2));
    }
}
