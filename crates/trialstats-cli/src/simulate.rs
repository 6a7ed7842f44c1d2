//! `trialstats simulate`: a seeded synthetic trial in the pipeline's schema, and its calibration
//! report against the published numbers.

use clap::Args;
use serde_json::json;
use trialstats_sim::{SimParams, calibration, report_table, simulate};

use crate::error::CliError;
use std::path::Path;

use crate::output::{Format, check_output, render_json, render_table, write_file};

/// Options of `trialstats simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Seed; the same seed gives the same file byte for byte.
    #[arg(long, allow_negative_numbers = true, default_value_t = 2016)]
    pub seed: u64,
    /// Write the trial (one row per participant) to this CSV.
    #[arg(long)]
    pub out: Option<String>,
    /// Overwrite the --out file if it exists.
    #[arg(long)]
    pub replace: bool,
    /// JSON file of parameters (any subset of the fields of SimParams; the rest default).
    #[arg(long)]
    pub params: Option<String>,
    /// Calibrate: simulate --seeds trials (from --seed on), analyse each with the paper's plan,
    /// and print every published number beside the median and 10th–90th percentiles of its
    /// simulated values.
    #[arg(long, conflicts_with = "out")]
    pub calibrate: bool,
    /// Trials of --calibrate.
    #[arg(long, default_value_t = 200, requires = "calibrate")]
    pub seeds: usize,
}

/// Runs `trialstats simulate`.
pub fn run(args: &SimulateArgs, format: Format) -> Result<String, CliError> {
    if let Some(out) = &args.out {
        let inputs: Vec<&str> = args.params.iter().map(String::as_str).collect();
        check_output("--out", out, &inputs, args.replace)?;
    }
    let params: SimParams = match &args.params {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| CliError::Io {
                action: "read",
                path: path.clone(),
                message: e.to_string(),
            })?;
            serde_json::from_str(&text).map_err(|e| CliError::ParamsFile {
                path: path.clone(),
                message: e.to_string(),
            })?
        }
        None => SimParams::default(),
    };
    if args.calibrate {
        let bar = std::sync::Mutex::new(crate::progress::Progress::new("calibrating"));
        let report = |done: usize, total: usize| {
            if let Ok(mut b) = bar.lock() {
                b.update(done, total);
            }
        };
        let c = trialstats_paper::calibrate(&params, args.seed, args.seeds, Some(&report));
        if let Ok(b) = bar.into_inner() {
            b.finish();
        }
        let c = c.map_err(|e| CliError::Calibration(e.to_string()))?;
        return Ok(match format {
            Format::Json => render_json(&json!(c)),
            _ => render_table(&trialstats_paper::calibration_table(&c), format),
        });
    }
    let trial = simulate(&params, args.seed)?;
    let rows = calibration(&trial.table)?;
    if let Some(out) = &args.out {
        write_file(Path::new(out), trial.table.to_csv().as_bytes())?;
    }
    Ok(match format {
        Format::Json => render_json(&json!({
            "seed": args.seed,
            "params": params,
            "participants": trial.table.nrows(),
            "merged": trial.merged.iter().map(|(c, into)| json!({"community": c, "joined": into})).collect::<Vec<_>>(),
            "non_implemented": trial.non_implemented,
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
            for (c, into) in &trial.merged {
                t.notes.push(format!(
                    "community {c} joined community {into}'s peer group (merged_clusters); it keeps its own id"
                ));
            }
            if !trial.non_implemented.is_empty() {
                let ids: Vec<String> = trial
                    .non_implemented
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                t.notes.push(format!(
                    "no peer group ran in intervention communities {} (non_implemented_clusters): analysed as randomised",
                    ids.join(", ")
                ));
            }
            render_table(&t, format)
        }
    })
}
