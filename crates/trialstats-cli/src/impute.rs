//! `trialstats impute`: multiple imputation by chained equations; writes the completed data sets
//! (long CSV) and, with `--formula`, fits OLS on each and pools by Rubin's rules.

use clap::{Args, ValueEnum};
use serde_json::json;
use trialstats_core::table::csv_field;
use trialstats_core::{Level, Table};
use trialstats_data::{Column, ColumnData, DataTable, FileFormat, Formula};
use trialstats_mi::{ClusterTerm, Imputed, Method, Mice, Pooled};
use trialstats_models::{Se, ols};
use trialstats_sandwich::{CrType, HcType};

use crate::commands::read_table;
use crate::error::CliError;
use crate::output::{Format, check_output, render_json, render_table, write_file};
use crate::progress::Progress;
use crate::regress::VcovArg;

/// Options of `trialstats impute`.
#[derive(Debug, Args)]
pub struct ImputeArgs {
    /// CSV with missing values (empty cell or NA).
    #[arg(long)]
    pub data: String,
    /// Number of imputations.
    #[arg(long, allow_negative_numbers = true, default_value_t = 5)]
    pub m: usize,
    /// Iterations per chain.
    #[arg(long, allow_negative_numbers = true, default_value_t = 5)]
    pub maxit: usize,
    /// Seed (recorded in the output).
    #[arg(long, allow_negative_numbers = true, default_value_t = 1)]
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
    /// Write the completed data here: a .csv stacks the m completed data sets with an
    /// `imputation` column (1..m); a .dta or .parquet holds Stata's mi flong layout (the
    /// original data as _mi_m = 0, then each imputation, with _mi_id and _mi_miss), which Stata
    /// reads with `mi import flong, m(_mi_m) id(_mi_id) imputed(...)`.
    #[arg(long)]
    pub out: Option<String>,
    /// Overwrite the --out file if it exists.
    #[arg(long)]
    pub replace: bool,
    /// Fit this linear model on every completed data set and pool (Rubin's rules).
    #[arg(long)]
    pub formula: Option<String>,
    /// Covariance of the pooled model, as `regress`: default iid, or cr1 on --cluster when it
    /// is given. The complete-data df of Rubin's rules follow it: N − K, or G − 1 when clustered.
    /// (Not cr2: its df differ by coefficient and imputation, and Rubin's rules take one.)
    #[arg(long, value_enum)]
    pub vcov: Option<VcovArg>,
    /// Confidence level of the pooled intervals.
    #[arg(long, allow_negative_numbers = true, value_parser = crate::commands::parse_level, default_value = "0.95")]
    pub level: Level,
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
    let vcov = args.vcov.unwrap_or(if args.cluster.is_some() {
        VcovArg::Cr1
    } else {
        VcovArg::Iid
    });
    let clustered = matches!(vcov, VcovArg::Cr0 | VcovArg::Cr1 | VcovArg::Cr3);
    if vcov == VcovArg::Cr2 {
        return Err(CliError::Usage(
            "--vcov cr2 cannot be pooled: its df differ by coefficient and imputation, and Rubin's rules take one complete-data df; use cr1 or cr3".into(),
        ));
    }
    if args.formula.is_none() && args.vcov.is_some() {
        return Err(CliError::Usage(
            "--vcov chooses the covariance of the pooled model: give --formula too".into(),
        ));
    }
    if clustered && args.cluster.is_none() {
        return Err(CliError::Usage(
            "a clustered --vcov needs --cluster COL".into(),
        ));
    }
    // Everything is checked before the imputations run and before anything is written.
    if let Some(out) = &args.out {
        check_output("--out", out, &[&args.data], args.replace)?;
    }
    // Parsed before the imputation, so that a typo costs no imputation time.
    let formula = args.formula.as_deref().map(Formula::parse).transpose()?;
    let table = read_table(&args.data)?;
    if let Some(f) = &formula {
        // The model's columns must exist before hours of imputation.
        for name in f.columns() {
            table.column(name)?;
        }
    }
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
    bar.finish();
    let pooled = match &args.formula {
        Some(f) => Some(analyse(args, &imputed, f, vcov)?),
        None => None,
    };
    if let Some(out) = &args.out {
        match FileFormat::from_path(std::path::Path::new(out)) {
            FileFormat::Dta | FileFormat::Parquet => write_flong(&table, &imputed, out)?,
            _ => write_long(&imputed, out)?,
        }
    }
    Ok(render(args, vcov, &imputed, pooled.as_ref(), format))
}

/// Fits the model on every completed data set with the chosen covariance and pools by Rubin's
/// rules, with the complete-data df of that covariance: N − K, or G − 1 when clustered (as the
/// t reference of `regress`).
fn analyse(
    args: &ImputeArgs,
    imputed: &Imputed,
    formula: &str,
    vcov: VcovArg,
) -> Result<Pooled, CliError> {
    let se = match vcov {
        VcovArg::Hc0 => Se::Hc(HcType::Hc0),
        VcovArg::Hc1 => Se::Hc(HcType::Hc1),
        VcovArg::Hc2 => Se::Hc(HcType::Hc2),
        VcovArg::Hc3 => Se::Hc(HcType::Hc3),
        VcovArg::Cr0 => Se::Cluster(CrType::Cr0),
        VcovArg::Cr1 => Se::Cluster(CrType::Cr1),
        VcovArg::Cr3 => Se::Cluster(CrType::Cr3 { jackknife: false }),
        VcovArg::Iid | VcovArg::Cr2 => Se::Model,
    };
    let mut model = ols(formula).se(se).level(args.level);
    if let (Se::Cluster(_), Some(c)) = (se, &args.cluster) {
        model = model.cluster(c);
    }
    model
        .pool(imputed)
        .map_err(|e| CliError::fit(&args.data, e))
}

/// Stata's mi flong layout: `_mi_m` (0 for the original data, 1..M), `_mi_id` (the row, 1..N),
/// `_mi_miss` (in the original rows, whether the row had a missing value in an imputed column;
/// missing in the imputed rows, as Stata has it), then the data columns. Written whole or not at
/// all.
fn write_flong(original: &DataTable, imputed: &Imputed, path: &str) -> Result<(), CliError> {
    let n = original.nrows();
    let imputed_columns: Vec<&str> = imputed
        .methods
        .iter()
        .filter(|(_, m)| *m != trialstats_mi::Method::None)
        .map(|(c, _)| c.as_str())
        .collect();
    let incomplete: Vec<bool> = (0..n)
        .map(|i| {
            imputed_columns
                .iter()
                .any(|c| original.column(c).is_ok_and(|col| col.data.is_missing(i)))
        })
        .collect();
    let mut stacked: Vec<DataTable> = Vec::with_capacity(imputed.m + 1);
    stacked.push(original.clone());
    for i in 0..imputed.m {
        stacked.push(imputed.complete(i)?);
    }
    let total = n * stacked.len();
    let mut mi_m = Vec::with_capacity(total);
    let mut mi_id = Vec::with_capacity(total);
    let mut mi_miss = Vec::with_capacity(total);
    for m in 0..stacked.len() {
        for (i, &inc) in incomplete.iter().enumerate() {
            mi_m.push(Some(m as f64));
            mi_id.push(Some((i + 1) as f64));
            mi_miss.push((m == 0).then_some(f64::from(u8::from(inc))));
        }
    }
    let mut columns = vec![
        Column::numeric("_mi_m", mi_m),
        Column::numeric("_mi_id", mi_id),
        Column::numeric("_mi_miss", mi_miss),
    ];
    for (j, col) in original.columns().iter().enumerate() {
        let values: Vec<Option<String>> = stacked
            .iter()
            .flat_map(|t| (0..n).map(move |i| t.columns()[j].text(i)))
            .collect();
        columns.push(match &col.data {
            ColumnData::Numeric(_) => Column::numeric(
                &col.name,
                stacked
                    .iter()
                    .flat_map(|t| match &t.columns()[j].data {
                        ColumnData::Numeric(v) => v.clone(),
                        _ => vec![None; n],
                    })
                    .collect(),
            ),
            _ => Column::categorical(&col.name, &values),
        });
    }
    let table = DataTable::new(original.source(), columns)?;
    let target = std::path::Path::new(path);
    let partial = target.with_file_name(format!(
        ".{}.partial.{}",
        target.file_stem().and_then(|s| s.to_str()).unwrap_or("out"),
        target.extension().and_then(|s| s.to_str()).unwrap_or("")
    ));
    table.write(&partial)?;
    std::fs::rename(&partial, target).map_err(|e| CliError::Io {
        action: "write",
        path: path.to_owned(),
        message: e.to_string(),
    })
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
                .map(|c| c.text(r).map_or_else(String::new, |s| csv_field(&s)))
                .collect();
            out.push_str(&format!("{},{}\n", i + 1, cells.join(",")));
        }
    }
    write_file(std::path::Path::new(path), out.as_bytes())
}

fn render(
    args: &ImputeArgs,
    vcov: VcovArg,
    imp: &Imputed,
    pooled: Option<&Pooled>,
    format: Format,
) -> String {
    let vcov_name = crate::regress::label(vcov);
    let clusters: Vec<&str> = match vcov {
        VcovArg::Cr0 | VcovArg::Cr1 | VcovArg::Cr3 => args.cluster.as_deref().into_iter().collect(),
        _ => Vec::new(),
    };
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
                o["vcov"] =
                    json!({"type": vcov_name, "clusters": clusters, "df_complete": p.df_complete});
                o["coefficients"] = json!(crate::json::pooled(&p.terms));
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
                        "{} pooled over m = {} imputations (Rubin's rules; Barnard–Rubin df with complete-data df {}); {} covariance{}",
                        args.formula.as_deref().unwrap_or(""),
                        imp.m,
                        trialstats_core::table::fmt_num(p.df_complete, 6),
                        vcov_name.to_uppercase(),
                        clusters
                            .first()
                            .map_or(String::new(), |c| format!(" clustered by {c}"))
                    ),
                );
                out.push('\n');
                out.push_str(&render_table(&t, format));
            }
            out
        }
    }
}
