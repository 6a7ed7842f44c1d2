//! `trialstats reproduce`: the paper's analysis plan (`run riddell2016`, the same run as
//! `cargo run --release --example reproduce_paper`), on the simulated trial or `--data`.

use clap::Args;
use trialstats_paper::{Options, default_data, reproduce};
use trialstats_plan::report::{files, text};

use crate::commands::read_table;
use crate::error::{CliError, OutputError};
use crate::output::{Format, write_files};
use crate::progress::Progress;

/// Options of `trialstats reproduce`.
#[derive(Debug, Args)]
pub struct ReproduceArgs {
    /// Trial data with the columns the paper's plan names (`trialstats plan check riddell2016
    /// --data F` lists them; default: the seeded simulated trial).
    #[arg(long)]
    pub data: Option<String>,
    /// Directory for report.md, report.html, the SVG figures, the CSV tables and results.json.
    #[arg(long, default_value = "target/reproduce")]
    pub out: String,
    /// Seed of the simulated trial, the bootstrap and the imputations.
    #[arg(long, allow_negative_numbers = true, default_value_t = 2016)]
    pub seed: u64,
    /// Fewer bootstrap draws (999) and imputations (5), for a quick look.
    #[arg(long)]
    pub quick: bool,
}

/// Runs `trialstats reproduce`.
pub fn run(args: &ReproduceArgs, format: Format) -> Result<String, CliError> {
    if args.out.trim().is_empty() {
        return Err(CliError::Output(OutputError::Empty { option: "--out" }));
    }
    let table = match &args.data {
        Some(path) => read_table(path)?,
        None => default_data(args.seed).map_err(CliError::Simulation)?,
    };
    let opts = Options {
        seed: args.seed,
        quick: args.quick,
    };
    let mut bar = Progress::new("reproducing the analysis");
    let report = reproduce(&table, &opts, &mut |_, done, total| bar.update(done, total));
    bar.finish();
    let report = report?;
    let written = write_files(&args.out, files(&report))?;
    Ok(match format {
        Format::Json => written
            .iter()
            .find(|(n, _)| n == "results.json")
            .map(|(_, c)| c.clone())
            .unwrap_or_default(),
        Format::Markdown => written
            .iter()
            .find(|(n, _)| n == "report.md")
            .map(|(_, c)| c.clone())
            .unwrap_or_default(),
        _ => format!(
            "{}\nWrote {} files to {} (open report.html in a browser).\n",
            text(&report),
            written.len(),
            args.out
        ),
    })
}
