//! `trialstats simulate`: a seeded synthetic trial in the pipeline's schema, and its calibration
//! report against the published numbers.

use clap::Args;
use serde_json::json;
use trialstats_sim::{SimParams, calibration, report_table, simulate};

use crate::error::CliError;
use crate::output::{Format, render_json, render_table};

/// Options of `trialstats simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Seed; the same seed gives the same file byte for byte.
    #[arg(long, default_value_t = 2016)]
    pub seed: u64,
    /// Write the trial (one row per participant) to this CSV.
    #[arg(long)]
    pub out: Option<String>,
    /// JSON file of parameters (any subset of the fields of SimParams; the rest default).
    #[arg(long)]
    pub params: Option<String>,
}

/// Runs `trialstats simulate`.
pub fn run(args: &SimulateArgs, format: Format) -> Result<String, CliError> {
    let params: SimParams = match &args.params {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| CliError::Io {
                action: "read",
                path: path.clone(),
                message: e.to_string(),
            })?;
            serde_json::from_str(&text)
                .map_err(|e| CliError::Usage(format!("{path}: not a parameter file: {e}")))?
        }
        None => SimParams::default(),
    };
    let trial = simulate(&params, args.seed).map_err(CliError::Usage)?;
    if let Some(out) = &args.out {
        std::fs::write(out, trial.table.to_csv()).map_err(|e| CliError::Io {
            action: "write",
            path: out.clone(),
            message: e.to_string(),
        })?;
    }
    let rows = calibration(&trial.table).map_err(CliError::Usage)?;
    Ok(match format {
        Format::Json => render_json(&json!({
            "seed": args.seed,
            "params": params,
            "participants": trial.table.nrows(),
            "out": args.out,
            "calibration": rows,
        })),
        _ => {
            let mut t = report_table(&rows);
            t.title = Some(format!(
                "Simulated trial (seed {}): {} participants{} — calibration against the published numbers",
                args.seed,
                trial.table.nrows(),
                args.out
                    .as_ref()
                    .map_or(String::new(), |o| format!(", written to {o}"))
            ));
            render_table(&t, format)
        }
    })
}
