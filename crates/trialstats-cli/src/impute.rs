//! `trialstats impute`: multiple imputation by chained equations; writes the completed data sets
//! (long CSV) and, with `--formula`, fits OLS on each and pools by Rubin's rules.

use clap::{Args, ValueEnum};
use serde_json::json;
use trialstats_core::Table;
use trialstats_core::table::csv_field;
use trialstats_data::{Formula, FrameOptions, ModelFrame};
use trialstats_mi::{ClusterTerm, Imputed, Method, Mice, Pooled};
use trialstats_robust::{Ols, Vcov};

use crate::commands::read_table;
use crate::error::CliError;
use crate::output::{Format, render_json, render_table};
use crate::progress::Progress;

/// Options of `trialstats impute`.
#[derive(Debug, Args)]
pub struct ImputeArgs {
    /// CSV with missing values (empty cell or NA).
    #[arg(long)]
    pub data: String,
    /// Number of imputations.
    #[arg(long, default_value_t = 5)]
    pub m: usize,
    /// Iterations per chain.
    #[arg(long, default_value_t = 5)]
    pub maxit: usize,
    /// Seed (recorded in the output).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Method for a column, as COL=pmm|norm|logreg|polr|none (repeatable; defaults: pmm for
    /// numeric, logreg for two-level and polr for ordered text columns).
    #[arg(long = "method")]
    pub methods: Vec<String>,
    /// Cluster column used in every imputation model (not imputed).
    #[arg(long)]
    pub cluster: Option<String>,
    /// How the cluster enters the imputation models.
    #[arg(long, value_enum, default_value_t = ClusterArg::Indicators)]
    pub cluster_term: ClusterArg,
    /// Write the m completed data sets here, stacked, with an `imputation` column (1..m).
    #[arg(long)]
    pub out: Option<String>,
    /// Fit this linear model on every completed data set and pool (Rubin's rules).
    #[arg(long)]
    pub formula: Option<String>,
    /// Confidence level of the pooled intervals.
    #[arg(long, default_value_t = 0.95)]
    pub level: f64,
}

/// Cluster terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClusterArg {
    /// Cluster indicators (fixed effects).
    Indicators,
    /// Cluster means of the numeric predictors.
    Means,
}

fn parse_method(spec: &str) -> Result<(String, Method), CliError> {
    let usage = || {
        CliError::Usage(format!(
            "--method takes COL=pmm|norm|logreg|polr|none, not `{spec}`"
        ))
    };
    let (col, m) = spec.split_once('=').ok_or_else(usage)?;
    let method = match m {
        "pmm" => Method::Pmm { donors: 5 },
        "norm" => Method::Norm,
        "logreg" => Method::LogReg,
        "polr" => Method::Polr,
        "none" => Method::None,
        _ => return Err(usage()),
    };
    Ok((col.to_string(), method))
}

/// Runs `trialstats impute`.
pub fn run(args: &ImputeArgs, format: Format) -> Result<String, CliError> {
    if args.out.is_none() && args.formula.is_none() {
        return Err(CliError::Usage(
            "give --out FILE (the completed data sets) and/or --formula (pooled analysis)".into(),
        ));
    }
    let table = read_table(&args.data)?;
    let mut spec = Mice::new(&table)?
        .m(args.m)
        .maxit(args.maxit)
        .seed(args.seed);
    for m in &args.methods {
        let (col, method) = parse_method(m)?;
        spec = spec.method(&col, method)?;
    }
    if let Some(c) = &args.cluster {
        let term = match args.cluster_term {
            ClusterArg::Indicators => ClusterTerm::Indicators,
            ClusterArg::Means => ClusterTerm::Means,
        };
        spec = spec.cluster(c, term)?;
    }
    let mut bar = Progress::new("imputing");
    let imputed = spec.run(Some(&mut |p: trialstats_mi::Progress| {
        bar.update(p.done, p.total)
    }))?;
    if let Some(out) = &args.out {
        write_long(&imputed, out)?;
    }
    let pooled = match &args.formula {
        Some(f) => Some(analyse(&imputed, f, args.level)?),
        None => None,
    };
    Ok(render(args, &imputed, pooled.as_ref(), format))
}

fn analyse(imputed: &Imputed, formula: &str, level: f64) -> Result<Pooled, CliError> {
    let f = Formula::parse(formula)?;
    let first = imputed.complete(0)?;
    let mf = ModelFrame::new(&first, &f, &FrameOptions::default())?;
    let df_complete = (mf.x.nrows() - mf.x.ncols()) as f64;
    Ok(imputed.analyse(df_complete, level, |t| {
        let mf = ModelFrame::new(t, &f, &FrameOptions::default()).map_err(|e| e.to_string())?;
        let y = mf.y().map_err(|e| e.to_string())?;
        Ols::new(&mf.x, y)
            .and_then(|o| o.names(&mf.column_names))
            .and_then(|o| o.fit())
            .and_then(|fit| fit.infer(&Vcov::Iid, level))
            .map_err(|e| e.to_string())
    })?)
}

fn write_long(imputed: &Imputed, path: &str) -> Result<(), CliError> {
    let mut out = String::new();
    for i in 0..imputed.m {
        let t = imputed.complete(i)?;
        if i == 0 {
            let head: Vec<String> = t.names().iter().map(|n| csv_field(n)).collect();
            out.push_str(&format!("imputation,{}\n", head.join(",")));
        }
        for r in 0..t.nrows() {
            let cells: Vec<String> = t
                .columns()
                .iter()
                .map(|c| c.data.text(r).map_or_else(String::new, |s| csv_field(&s)))
                .collect();
            out.push_str(&format!("{},{}\n", i + 1, cells.join(",")));
        }
    }
    std::fs::write(path, out).map_err(|e| CliError::Io {
        action: "write",
        path: path.to_string(),
        message: e.to_string(),
    })
}

fn render(args: &ImputeArgs, imp: &Imputed, pooled: Option<&Pooled>, format: Format) -> String {
    let methods: Vec<_> = imp
        .methods
        .iter()
        .map(|(c, m)| json!({"column": c, "method": m.name()}))
        .collect();
    match format {
        Format::Json => {
            let mut o = json!({
                "imputation": {"m": imp.m, "maxit": imp.maxit, "seed": imp.seed,
                               "methods": methods, "out": args.out},
                "trace": imp.trace,
            });
            if let Some(p) = pooled {
                o["model"] = json!("ols");
                o["formula"] = json!(args.formula);
                o["terms"] = crate::pool::terms_json(&p.terms);
            }
            render_json(&o)
        }
        _ => {
            let mut out = String::new();
            let mut t = Table::new(&["column", "method", "missing"]);
            t.set_align(0, trialstats_core::Align::Left);
            t.set_align(1, trialstats_core::Align::Left);
            for (c, m) in &imp.methods {
                let n = imp.imputed_values(c, 0).map_or(0, |v| v.len());
                t.push_row(vec![c.clone(), m.name().to_string(), n.to_string()]);
            }
            t.title = Some(format!(
                "MICE: m = {}, maxit = {}, seed = {}{}",
                imp.m,
                imp.maxit,
                imp.seed,
                args.out
                    .as_ref()
                    .map_or(String::new(), |o| format!("; completed data in {o}"))
            ));
            out.push_str(&render_table(&t, format));
            if let Some(p) = pooled {
                let t = crate::pool::pooled_table(
                    &p.terms,
                    format!(
                        "{} pooled over m = {} imputations (Rubin's rules; Barnard–Rubin df)",
                        args.formula.as_deref().unwrap_or(""),
                        imp.m
                    ),
                );
                out.push('\n');
                out.push_str(&render_table(&t, format));
            }
            out
        }
    }
}
