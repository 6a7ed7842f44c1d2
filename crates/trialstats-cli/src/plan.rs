//! `trialstats run PLAN` and `trialstats plan check PLAN`: an analysis plan (a TOML file) on a
//! trial's data.

use clap::{Args, Subcommand};
use serde_json::json;
use trialstats_core::Table;
use trialstats_core::table::Align;
use trialstats_plan::report::{files, markdown, text};
use trialstats_plan::{Plan, PlanResults, run as run_plan};

use crate::commands::read_table;
use crate::error::{CliError, OutputError};
use crate::output::{Format, render_json, render_table, write_files};
use crate::progress::Progress;

/// Options of `trialstats run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The plan: a TOML file (see docs/plan.md), or an embedded plan's name (riddell2016).
    pub plan: String,
    /// The trial's data file (CSV, Stata .dta, Parquet, Excel).
    #[arg(long)]
    pub data: String,
    /// Directory for results.json, report.md, effects.csv and Table 1 (as printed and numeric).
    #[arg(long, default_value = "target/run")]
    pub out: String,
    /// Change a key of the plan, e.g. --set design.cluster=community --set
    /// "design.arm.control=usual care" (repeatable; the value is read as TOML, else as text).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
}

/// `trialstats plan …`.
#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// What the plan can run on the data, and what it cannot (naming the missing columns).
    Check {
        /// The plan: a TOML file, or an embedded plan's name (riddell2016).
        plan: String,
        /// The trial's data file.
        #[arg(long)]
        data: String,
        /// Change a key of the plan (as for `run`).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
    },
}

/// A plan file, or an embedded plan's name when no such file exists, with the overrides.
fn read_plan(path: &str, sets: &[String]) -> Result<Plan, CliError> {
    let embedded = trialstats_plan::EMBEDDED
        .iter()
        .find(|(n, _)| *n == path)
        .filter(|_| !std::path::Path::new(path).exists());
    let text = match embedded {
        Some((_, text)) => (*text).to_owned(),
        None => std::fs::read_to_string(path).map_err(|e| CliError::Io {
            action: "read",
            path: path.to_owned(),
            message: e.to_string(),
        })?,
    };
    let text = Plan::with_overrides(path, &text, sets)?;
    Ok(Plan::parse(path, &text)?)
}

fn execute(plan: &str, data: &str, sets: &[String]) -> Result<PlanResults, CliError> {
    let plan = read_plan(plan, sets)?;
    let table = read_table(data)?;
    let mut bar = Progress::new("running the plan");
    let results = run_plan(&plan, &table, &mut |_, done, total| bar.update(done, total));
    bar.finish();
    Ok(results?)
}

/// Runs `trialstats run`.
pub fn run(args: &RunArgs, format: Format) -> Result<String, CliError> {
    if args.out.trim().is_empty() {
        return Err(CliError::Output(OutputError::Empty { option: "--out" }));
    }
    let results = execute(&args.plan, &args.data, &args.sets)?;
    let written = write_files(&args.out, files(&results))?;
    Ok(match format {
        Format::Json => written[0].1.clone(),
        Format::Markdown => markdown(&results),
        _ => format!(
            "{}\nWrote {} files to {} (open report.html in a browser).\n",
            text(&results),
            written.len(),
            args.out
        ),
    })
}

/// Runs `trialstats plan check`: every analysis of the plan, runnable or not, without fitting a
/// model (the columns and settings are checked; the run says whether each model converges).
pub fn check(command: &PlanCommand, format: Format) -> Result<String, CliError> {
    let PlanCommand::Check { plan, data, sets } = command;
    let plan = read_plan(plan, sets)?;
    let table = read_table(data)?;
    let c = trialstats_plan::check(&plan, &table)?;
    if let Format::Json = format {
        return Ok(render_json(&json!({
            "plan": c.plan,
            "data": c.data,
            "runs": c.runs,
            "skipped": c.skipped,
            "warnings": c.warnings,
        })));
    }
    let mut t = Table::new(&["analysis", "status"]);
    t.set_align(0, Align::Left);
    t.set_align(1, Align::Left);
    for a in &c.runs {
        t.push_row(vec![a.clone(), "runs".into()]);
    }
    for s in &c.skipped {
        t.push_row(vec![
            s.analysis.clone(),
            format!("cannot run: {}", s.reason),
        ]);
    }
    t.title = Some(format!(
        "Plan `{}` on {}: {} of {} analyses can run",
        c.plan,
        c.data,
        c.runs.len(),
        c.runs.len() + c.skipped.len()
    ));
    t.notes.extend(c.warnings.iter().cloned());
    Ok(render_table(&t, format))
}
