//! `trialstats reproduce`: the paper's whole analysis plan (the same pipeline as
//! `cargo run --release --example reproduce_paper`), on the simulated trial or `--data`.

use clap::Args;
use trialstats_paper::render::{files, text};
use trialstats_paper::{Options, analyse};
use trialstats_sim::{SimParams, simulate};

use crate::commands::read_table;
use crate::error::{CliError, OutputError};
use crate::output::{Format, write_files};
use crate::progress::Progress;

/// Options of `trialstats reproduce`.
#[derive(Debug, Args)]
pub struct ReproduceArgs {
    /// Trial data in the schema of trialstats-sim (default: the seeded simulated trial).
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
        None => simulate(&SimParams::default(), args.seed)?.table,
    };
    let opts = Options {
        seed: args.seed,
        wild_reps: if args.quick { 999 } else { 9_999 },
        mi_m: if args.quick { 5 } else { 20 },
        ..Options::default()
    };
    let mut bar = Progress::new("reproducing the analysis");
    let report = analyse(&table, &opts, &mut |_, done, total| bar.update(done, total));
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
