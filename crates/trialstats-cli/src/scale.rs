//! `trialstats regress --engine datafusion`: OLS and logit on Parquet files streamed through
//! Apache DataFusion (`trialstats-datafusion`), with the same output as the in-memory engine.

use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use trialstats_datafusion::{FitOptions, ScaleFit, Se, logit, ols};
use trialstats_sandwich::{CrType, HcType};

use crate::error::CliError;
use crate::json::{CovarianceMatrixJson, ModelJson, OddsRatioJson, VcovJson};
use crate::output::{Format, render_json};
use crate::regress::{
    Family, Header, RegressArgs, VcovArg, adjusted_r_squared, label, stata_output,
};

/// Fits the model of `args` on DataFusion and renders it as `regress` does.
pub fn run(args: &RegressArgs, vcov: VcovArg, format: Format) -> Result<String, CliError> {
    if !args.random_intercept.is_empty() {
        return Err(CliError::Usage(
            "--random-intercept is not available on the DataFusion engine; use --engine memory"
                .into(),
        ));
    }
    let cluster = || args.cluster.first().cloned().unwrap_or_default();
    let se = match vcov {
        VcovArg::Iid => Se::Iid,
        VcovArg::Hc0 => Se::Hc(HcType::Hc0),
        VcovArg::Hc1 => Se::Hc(HcType::Hc1),
        VcovArg::Hc2 => Se::Hc(HcType::Hc2),
        VcovArg::Hc3 => Se::Hc(HcType::Hc3),
        VcovArg::Cr0 | VcovArg::Cr1 | VcovArg::Cr2 | VcovArg::Cr3 => Se::Cluster {
            column: cluster(),
            kind: match vcov {
                VcovArg::Cr0 => CrType::Cr0,
                VcovArg::Cr1 => CrType::Cr1,
                VcovArg::Cr2 => CrType::Cr2,
                _ => CrType::Cr3 {
                    jackknife: args.jackknife,
                },
            },
        },
    };
    let bar = crate::progress::Progress::new("reading");
    let shared = bar.shared();
    let options = FitOptions {
        se,
        level: args.level,
        progress: Some(std::sync::Arc::new(
            move |p: trialstats_datafusion::Progress<'_>| {
                shared.update(
                    &format!("pass {} ({})", p.pass_number, p.pass),
                    p.rows_done,
                    p.rows_total,
                );
            },
        )),
        ..FitOptions::default()
    };
    // DataFusion's partitions run on as many threads as the rest of the command (--threads).
    let threads = rayon::current_num_threads().max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .map_err(|e| CliError::Io {
            action: "start the query engine for",
            path: args.data.clone(),
            message: e.to_string(),
        })?;
    let fit: ScaleFit = runtime
        .block_on(async {
            let ctx = SessionContext::new_with_config(
                SessionConfig::new().with_target_partitions(threads),
            );
            let engine = |e: datafusion::error::DataFusionError| CliError::Io {
                action: "read",
                path: args.data.clone(),
                message: e.to_string(),
            };
            ctx.register_parquet("data", &args.data, ParquetReadOptions::default())
                .await
                .map_err(engine)?;
            let df = ctx.table("data").await.map_err(engine)?;
            let fit = match args.family {
                Family::Gaussian => ols(&df, &args.data, &args.formula, &options).await,
                Family::Binomial => logit(&df, &args.data, &args.formula, &options).await,
            };
            fit.map_err(CliError::from)
        })
        .map_err(|e| name_the_file(&args.data, e))?;
    bar.finish();
    let inf = &fit.inference;
    let nobs = inf.nobs;
    let binomial = args.family == Family::Binomial;
    let mut warnings = fit.warnings.clone();
    warnings.push(format!(
        "fitted by the DataFusion engine on {threads} thread(s): sums in double-double, the in-memory fit to about 1e-12"
    ));
    Ok(match format {
        crate::output::Format::Json => {
            let mut vcov_json = VcovJson::of(label(vcov), inf);
            if vcov == VcovArg::Cr3 {
                vcov_json.jackknife = Some(args.jackknife);
            }
            render_json(&ModelJson {
                model: if binomial { "logit" } else { "ols" },
                link: None,
                formula: &args.formula,
                nobs,
                nobs_dropped: fit.dropped,
                n_clusters: inf.n_clusters,
                nagq: None,
                vcov: vcov_json,
                coefficients: inf.coefficients.clone(),
                thresholds: None,
                odds_ratios: binomial
                    .then(|| inf.coefficients.iter().map(OddsRatioJson::from).collect()),
                random_effects: None,
                loglik: fit.loglik,
                r_squared: fit.r_squared,
                covariance_matrix: CovarianceMatrixJson::of(inf),
                bootstrap: None,
                nominal_test: None,
                convergence: inf
                    .convergence
                    .as_ref()
                    .map(crate::json::ConvergenceJson::from),
                warnings,
            })
        }
        _ => {
            let header = match (fit.loglik, fit.r_squared, fit.sigma) {
                (Some(loglik), _, _) => Header::Logistic {
                    loglik,
                    null_loglik: fit.null_loglik,
                },
                (None, Some(r2), Some(sigma)) => Header::Linear {
                    r_squared: r2,
                    adj_r_squared: adjusted_r_squared(
                        r2,
                        nobs,
                        inf.coefficients.len(),
                        inf.coefficients.iter().any(|c| c.term == "(Intercept)"),
                    ),
                    root_mse: sigma,
                },
                _ => {
                    return Err(CliError::Usage(
                        "regress fits gaussian and binomial models".into(),
                    ));
                }
            };
            stata_output(
                args,
                (nobs, fit.dropped),
                inf,
                &header,
                None,
                &warnings,
                format,
            )
        }
    })
}

/// A query engine's error about a damaged Parquet file does not say which of a directory's files
/// it is: find it (the first whose footer does not read) and name it.
fn name_the_file(data: &str, e: CliError) -> CliError {
    let message = e.to_string();
    if !message.contains("Parquet") {
        return e;
    }
    let path = std::path::Path::new(data);
    let mut files: Vec<std::path::PathBuf> = if path.is_dir() {
        std::fs::read_dir(path)
            .map(|d| {
                d.filter_map(|f| f.ok().map(|f| f.path()))
                    .filter(|f| f.extension().is_some_and(|x| x == "parquet"))
                    .collect()
            })
            .unwrap_or_default()
    } else {
        vec![path.to_path_buf()]
    };
    files.sort();
    for f in files {
        let opened = std::fs::File::open(&f)
            .map_err(|e| e.to_string())
            .and_then(|file| {
                datafusion::parquet::file::reader::SerializedFileReader::new(file)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            });
        if let Err(why) = opened {
            return CliError::Io {
                action: "read",
                path: f.to_string_lossy().into_owned(),
                message: format!("not a readable Parquet file: {why}"),
            };
        }
    }
    e
}
