//! The subcommands. Each reads its input, makes one library call and renders the result.

use clap::{Subcommand, ValueEnum};
use serde_json::json;
use trialstats_core::Table;
use trialstats_core::table::{Align, fmt_display, fmt_num};
use trialstats_data::{
    ColumnData, DataError, DataTable, DecimalMark, Formula, FrameOptions, ModelFrame, ReadOptions,
    TextEncoding, datasets,
};

use crate::error::CliError;
use crate::output::{Format, render_json, render_table};

/// The subcommands of `trialstats`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Linear or logistic regression with iid, HC or cluster-robust standard errors, and the wild
    /// cluster bootstrap.
    Regress(crate::regress::RegressArgs),
    /// A two-sample test of one variable between the two levels of a grouping column.
    Test(crate::twosample::TestArgs),
    /// Table 1: baseline characteristics by group, with tests.
    Table1(crate::twosample::Table1Args),
    /// Pool completed-data results by Rubin's rules (long CSV: imputation, term, estimate, std_error).
    Pool(crate::pool::PoolArgs),
    /// Multiple imputation by chained equations; completed data sets and a pooled linear model.
    Impute(crate::impute::ImputeArgs),
    /// A seeded synthetic trial in the pipeline's schema, with its calibration report.
    Simulate(crate::simulate::SimulateArgs),
    /// The paper's whole analysis plan, with the report files (Markdown, HTML, CSV, JSON).
    Reproduce(crate::reproduce::ReproduceArgs),
    /// Run an analysis plan (a TOML file: design, Table 1, outcomes, inference, assumptions) on
    /// a trial's data, writing results.json, report.md and the tables.
    Run(crate::plan::RunArgs),
    /// Check an analysis plan against a trial's data.
    #[command(subcommand)]
    Plan(crate::plan::PlanCommand),
    /// UKPDS 56 (CHD) or 60 (stroke) risk for every row.
    Ukpds(crate::ukpds::UkpdsArgs),
    /// Score a survey instrument for every row (PHQ-9, DDS, EQ-5D, MMAS-8, SDSCA).
    Score(crate::score::ScoreArgs),
    /// Ordered logistic (probit, cloglog) regression: a cumulative link model.
    Ordinal(crate::ordinal::OrdinalArgs),
    /// Linear mixed model: a random intercept per community (and per participant within it),
    /// REML or ML, Satterthwaite or Kenward–Roger df, the ICC (R lme4 + lmerTest, Stata mixed).
    Mixed(crate::mixed::MixedArgs),
    /// Show the design matrix a formula makes: term names, rows used and dropped, clusters.
    Design {
        /// CSV file with a header row (empty cell or NA = missing).
        #[arg(long)]
        data: String,
        /// Model formula, e.g. "y ~ x + factor(site)".
        #[arg(long)]
        formula: String,
        /// Cluster column (repeat for two-way clustering).
        #[arg(long)]
        cluster: Vec<String>,
        /// Print the first N rows of the design matrix (text and Markdown formats).
        #[arg(long, default_value_t = 0)]
        head: usize,
    },
    /// What a data file holds, as read: each column's type, missing count, range or levels,
    /// variable label and value labels, and any missing-value codes used as values (Stata's
    /// `describe` and `codebook`, R's `str`).
    Describe {
        /// Data file (CSV/TSV, Stata .dta, Parquet, Feather, Excel).
        #[arg(long)]
        data: String,
    },
    /// Write an embedded public dataset as CSV (to try the other subcommands on).
    Dataset {
        /// Which dataset.
        #[arg(value_enum)]
        name: DatasetName,
        /// Write it to this file instead, in the format its extension names (.csv, .dta,
        /// .parquet, .feather).
        #[arg(long)]
        out: Option<String>,
        /// Overwrite an existing --out file.
        #[arg(long)]
        replace: bool,
    },
}

/// The embedded datasets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DatasetName {
    /// Petersen (2009) clustered-SE test data: 5000 rows, 500 firms × 10 years.
    Petersen,
    /// Randall (1989) wine bitterness ratings (R ordinal): 72 rows, 9 judges.
    Wine,
    /// NHANES example of R mice: 25 rows with missing values.
    Nhanes,
    /// nhanes2 of R mice: age group and hypertension as text.
    Nhanes2,
}

/// Runs a subcommand and returns what it writes to standard output.
pub fn run(command: &Command, format: Format) -> Result<String, CliError> {
    match command {
        Command::Regress(args) => crate::regress::run(args, format),
        Command::Ordinal(args) => crate::ordinal::run(args, format),
        Command::Mixed(args) => crate::mixed::run(args, format),
        Command::Ukpds(args) => crate::ukpds::run(args, format),
        Command::Score(args) => crate::score::run(args, format),
        Command::Pool(args) => crate::pool::run(args, format),
        Command::Impute(args) => crate::impute::run(args, format),
        Command::Simulate(args) => crate::simulate::run(args, format),
        Command::Reproduce(args) => crate::reproduce::run(args, format),
        Command::Run(args) => crate::plan::run(args, format),
        Command::Plan(command) => crate::plan::check(command, format),
        Command::Test(args) => crate::twosample::run_test(args, format),
        Command::Table1(args) => crate::twosample::run_table1(args, format),
        Command::Design {
            data,
            formula,
            cluster,
            head,
        } => design(data, formula, cluster, *head, format),
        Command::Dataset { name, out, replace } => match out {
            Some(path) => dataset_to_file(*name, path, *replace),
            None => dataset(*name, format),
        },
        Command::Describe { data } => describe(data, format),
    }
}

/// One column of `describe`: name, type, missing, the range or the levels, and the labels.
fn describe_column(c: &trialstats_data::Column) -> serde_json::Value {
    let missing = match &c.data {
        ColumnData::Numeric(v) => v.iter().filter(|x| x.is_none()).count(),
        _ => (0..c.data.len()).filter(|&i| c.data.is_missing(i)).count(),
    };
    let (kind, range, levels) = match &c.data {
        ColumnData::Numeric(v) => {
            let (lo, hi) = v
                .iter()
                .flatten()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
                    (lo.min(*x), hi.max(*x))
                });
            let range = (lo <= hi).then(|| json!([lo, hi]));
            ("numeric", range, None)
        }
        ColumnData::Categorical { levels, .. } => ("categorical", None, Some(levels.clone())),
        _ => ("mixed (numbers and text)", None, None),
    };
    json!({
        "name": c.name,
        "type": kind,
        "missing": missing,
        "range": range,
        "levels": levels,
        "label": c.description,
        "value_labels": c.labels.as_ref().map(|l| l.iter().map(|(v, t)| json!({"value": v, "label": t})).collect::<Vec<_>>()),
    })
}

/// `describe`: the columns of a data file as read, with the reader's warnings.
fn describe(path: &str, format: Format) -> Result<String, CliError> {
    let table = read_table(path)?;
    let columns: Vec<serde_json::Value> = table.columns().iter().map(describe_column).collect();
    let warnings: Vec<&str> = table.warnings().iter().map(|(_, w)| w.as_str()).collect();
    if let Format::Json = format {
        return Ok(render_json(&json!({
            "data": path,
            "nrows": table.nrows(),
            "columns": columns,
            "warnings": warnings,
        })));
    }
    let mut t = Table::new(&["column", "type", "missing", "range or levels", "label"]);
    for j in [0, 1, 3, 4] {
        t.set_align(j, Align::Left);
    }
    for (c, v) in table.columns().iter().zip(&columns) {
        let shown = match (&v["range"], &c.labels) {
            (_, Some(labels)) => labels
                .iter()
                .map(|(v, l)| format!("{} = {l}", fmt_display(*v)))
                .collect::<Vec<_>>()
                .join(", "),
            (serde_json::Value::Array(r), None) => format!(
                "{} to {}",
                fmt_display(r[0].as_f64().unwrap_or(f64::NAN)),
                fmt_display(r[1].as_f64().unwrap_or(f64::NAN))
            ),
            _ => v["levels"].as_array().map_or_else(String::new, |l| {
                let names: Vec<&str> = l.iter().filter_map(|x| x.as_str()).collect();
                if names.len() > 8 {
                    format!("{} levels: {}, …", names.len(), names[..8].join(", "))
                } else {
                    names.join(", ")
                }
            }),
        };
        t.push_row(vec![
            c.name.clone(),
            v["type"].as_str().unwrap_or_default().to_owned(),
            v["missing"].to_string(),
            shown,
            c.description.clone().unwrap_or_default(),
        ]);
    }
    t.title = Some(format!(
        "{path}: {} rows, {} columns",
        table.nrows(),
        columns.len()
    ));
    t.notes.extend(warnings.iter().map(|w| (*w).to_owned()));
    Ok(render_table(&t, format))
}

/// An embedded dataset: CSV by default (and with `--format csv` or `text`), records with
/// `--format json`, a table with `--format markdown` or `html`.
/// The label and CSV text of an embedded dataset.
fn dataset_csv(name: DatasetName) -> (&'static str, &'static str) {
    match name {
        DatasetName::Petersen => ("petersen", datasets::PETERSEN_CSV),
        DatasetName::Wine => ("wine", datasets::WINE_CSV),
        DatasetName::Nhanes => ("nhanes", datasets::NHANES_CSV),
        DatasetName::Nhanes2 => ("nhanes2", datasets::NHANES2_CSV),
    }
}

/// `dataset NAME --out FILE`: the dataset written in the format of the file's extension.
fn dataset_to_file(name: DatasetName, path: &str, replace: bool) -> Result<String, CliError> {
    crate::output::check_output("--out", path, &[], replace)?;
    let (label, csv) = dataset_csv(name);
    DataTable::from_csv_str(label, csv)?.write(std::path::Path::new(path))?;
    Ok(String::new())
}

fn dataset(name: DatasetName, format: Format) -> Result<String, CliError> {
    let (label, csv) = dataset_csv(name);
    if matches!(format, Format::Text | Format::Csv) {
        return Ok(csv.to_owned());
    }
    let t = DataTable::from_csv_str(label, csv)?;
    Ok(match format {
        Format::Json => render_json(&serde_json::Value::Array(
            (0..t.nrows())
                .map(|i| serde_json::Value::Object(crate::output::row_object(&t, i)))
                .collect(),
        )),
        _ => {
            let names = t.names();
            let mut out = Table::new(&names.iter().map(String::as_str).collect::<Vec<_>>());
            for i in 0..t.nrows() {
                out.push_row(
                    t.columns()
                        .iter()
                        .map(|c| c.text(i).unwrap_or_else(|| "NA".into()))
                        .collect(),
                );
            }
            render_table(&out, format)
        }
    })
}

/// Reads a CSV file into a table named after the path.
pub fn read_table(path: &str) -> Result<DataTable, CliError> {
    let options = READ_OPTIONS.get().cloned().unwrap_or_default();
    match DataTable::read(std::path::Path::new(path), &options) {
        Ok(t) => Ok(t),
        // The file's own name in the message, as given.
        Err(DataError::Io { message, .. }) => Err(CliError::Io {
            action: "read",
            path: path.to_owned(),
            message,
        }),
        Err(e) => Err(e.into()),
    }
}

/// How every `--data` file is read (set once from the global options).
static READ_OPTIONS: std::sync::OnceLock<ReadOptions> = std::sync::OnceLock::new();

/// Options of every subcommand for reading `--data`: missing-value codes, CSV dialects and the
/// sheet of a spreadsheet.
#[derive(Debug, clap::Args)]
pub struct ReadArgs {
    /// Further values that mean missing in --data, comma-separated (e.g. --na -999,-99); an
    /// empty cell, NA and a lone . are always missing.
    #[arg(long, global = true, value_delimiter = ',', allow_hyphen_values = true)]
    pub na: Vec<String>,
    /// The decimal mark of a text --data file: point (1.5) or comma (1,5; fields then separated
    /// by ; or tab).
    #[arg(long, global = true, value_enum, default_value_t = DecimalArg::Point)]
    pub decimal: DecimalArg,
    /// The encoding of a text --data file: utf-8 (default) or latin1.
    #[arg(long, global = true, default_value = "utf-8")]
    pub encoding: String,
    /// The field delimiter of a text --data file (detected when not given): a character, or tab.
    #[arg(long, global = true)]
    pub delimiter: Option<String>,
    /// The sheet of a spreadsheet --data file (the first when not given).
    #[arg(long, global = true)]
    pub sheet: Option<String>,
}

/// The decimal mark option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DecimalArg {
    /// 1.5
    Point,
    /// 1,5
    Comma,
}

/// Checks the reading options and keeps them for every `--data` file.
///
/// # Errors
/// [`CliError::Usage`] for a delimiter that is not one character; [`CliError::Data`] for an
/// unknown encoding.
pub fn set_read_options(args: &ReadArgs) -> Result<(), CliError> {
    let delimiter = match args.delimiter.as_deref() {
        None => None,
        Some("tab" | "\\t") => Some(b'\t'),
        Some(d) if d.len() == 1 => d.bytes().next(),
        Some(d) => {
            return Err(CliError::Usage(format!(
                "--delimiter takes one character (or tab), not `{d}`"
            )));
        }
    };
    let options = ReadOptions {
        format: None,
        delimiter,
        decimal: match args.decimal {
            DecimalArg::Point => DecimalMark::Point,
            DecimalArg::Comma => DecimalMark::Comma,
        },
        encoding: TextEncoding::parse(&args.encoding)?,
        na: args.na.clone(),
        sheet: args.sheet.clone(),
    };
    let _ = READ_OPTIONS.set(options);
    Ok(())
}

fn design(
    path: &str,
    formula: &str,
    cluster: &[String],
    head: usize,
    format: Format,
) -> Result<String, CliError> {
    if cluster.len() > 2 {
        return Err(CliError::Usage(format!(
            "--cluster may be given once or twice, not {} times",
            cluster.len()
        )));
    }
    let table = read_table(path)?;
    let f = Formula::parse(formula)?;
    let mf = ModelFrame::new(
        &table,
        &f,
        &FrameOptions {
            clusters: cluster.to_vec(),
            check_rank: true,
        },
    )?;
    Ok(match format {
        Format::Json => render_json(&json!({
            "formula": mf.formula,
            "response": mf.response_name,
            "nobs": mf.nobs(),
            "nobs_dropped": mf.dropped.count(),
            "dropped_rows": mf.dropped.rows.iter().map(|r| r + 1).collect::<Vec<_>>(),
            "columns": mf.column_names,
            "terms": mf.terms.iter().map(|t| json!({"term": t.label, "columns": mf.column_names[t.start..t.start + t.len]})).collect::<Vec<_>>(),
            "clusters": mf.clusters.iter().map(|c| json!({"name": c.name(), "n_clusters": c.n_clusters()})).collect::<Vec<_>>(),
            "warnings": mf.warnings,
        })),
        Format::Csv => {
            let mut t = Table::new(
                &mf.column_names
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
            );
            for row in mf.x.row_iter() {
                t.push_row(row.iter().map(|v| format!("{v}")).collect());
            }
            t.to_csv()
        }
        Format::Text | Format::Markdown | Format::Html => {
            let mut t = Table::new(&["column", "term", "mean", "min", "max"]);
            t.set_align(0, Align::Left);
            t.set_align(1, Align::Left);
            for term in &mf.terms {
                for j in term.start..term.start + term.len {
                    let col = mf.x.column(j);
                    t.push_row(vec![
                        mf.column_names[j].clone(),
                        term.label.clone(),
                        fmt_num(col.mean(), 5),
                        fmt_num(col.min(), 5),
                        fmt_num(col.max(), 5),
                    ]);
                }
            }
            let clusters: Vec<String> = mf
                .clusters
                .iter()
                .map(|c| format!("{} ({} clusters)", c.name(), c.n_clusters()))
                .collect();
            t.title = Some(format!(
                "{}: {} rows used, {} dropped{}",
                mf.formula,
                mf.nobs(),
                mf.dropped.count(),
                if clusters.is_empty() {
                    String::new()
                } else {
                    format!("; clustered by {}", clusters.join(" and "))
                }
            ));
            t.notes.extend(mf.warnings.iter().cloned());
            let mut out = render_table(&t, format);
            if head > 0 {
                let mut h = Table::new(
                    &mf.column_names
                        .iter()
                        .map(String::as_str)
                        .collect::<Vec<_>>(),
                );
                for row in mf.x.row_iter().take(head) {
                    h.push_row(row.iter().map(|v| fmt_num(*v, 6)).collect());
                }
                out.push('\n');
                out.push_str(&render_table(&h, format));
            }
            out
        }
    })
}

/// The quadrature of `--nagq`: 1 for the Laplace approximation, 2 to
/// [`trialstats_ordinal::clmm::MAX_NODES`] for adaptive Gauss–Hermite quadrature.
///
/// # Errors
/// [`CliError::Usage`] (exit code 2) for other values.
pub fn quadrature_of(nagq: usize) -> Result<trialstats_ordinal::Quadrature, CliError> {
    match nagq {
        1 => Ok(trialstats_ordinal::Quadrature::Laplace),
        n if (2..=trialstats_ordinal::clmm::MAX_NODES).contains(&n) => {
            Ok(trialstats_ordinal::Quadrature::Adaptive { nodes: n })
        }
        n => Err(CliError::Usage(format!(
            "--nagq must be from 1 (Laplace) to {} nodes, not {n}",
            trialstats_ordinal::clmm::MAX_NODES
        ))),
    }
}

/// Parses `--level`: a confidence level strictly between 0 and 1 (clap reports the error with
/// the option's name, exit code 2).
pub fn parse_level(s: &str) -> Result<trialstats_core::Level, LevelArgError> {
    let v: f64 = s
        .parse()
        .map_err(|_| LevelArgError::NotANumber(s.to_owned()))?;
    trialstats_core::Level::new(v).map_err(|_| LevelArgError::OutOfRange(s.to_owned()))
}

/// Why a `--level` value was refused.
#[derive(Debug, thiserror::Error)]
pub enum LevelArgError {
    /// Not a number.
    #[error("`{0}` is not a number")]
    NotANumber(String),
    /// Not strictly between 0 and 1.
    #[error("the confidence level must be between 0 and 1 (e.g. 0.95), not {0}")]
    OutOfRange(String),
}
