//! `trialstats ukpds`: UKPDS 56 (CHD) or 60 (stroke) risk for every row of a CSV.

use clap::{Args, ValueEnum};
use serde_json::{Value, json};
use trialstats_core::Table;
use trialstats_core::table::csv_field;
use trialstats_ukpds::{BatchInput, Equation, evaluate_batch};

use crate::commands::read_table;
use crate::error::CliError;
use crate::output::{Format, render_json, render_table};

/// Options of `trialstats ukpds`.
#[derive(Debug, Args)]
pub struct UkpdsArgs {
    /// CSV with columns age_at_diagnosis, duration, female, afro_caribbean, smoker, hba1c (%),
    /// sbp, tc_hdl, and af for the stroke equation.
    #[arg(long)]
    pub data: String,
    /// chd (UKPDS 56) or stroke (UKPDS 60).
    #[arg(long, value_enum, default_value_t = EquationArg::Chd)]
    pub equation: EquationArg,
    /// Horizon in years.
    #[arg(long, allow_negative_numbers = true, default_value_t = 5.0)]
    pub horizon: f64,
}

/// Equation choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EquationArg {
    /// UKPDS 56, first fatal or non-fatal CHD.
    Chd,
    /// UKPDS 60, first fatal or non-fatal stroke.
    Stroke,
}

/// Runs `trialstats ukpds`.
pub fn run(args: &UkpdsArgs, format: Format) -> Result<String, CliError> {
    if !(args.horizon > 0.0 && args.horizon <= 50.0) {
        return Err(CliError::Usage(format!(
            "--horizon must be in (0, 50] years, not {}",
            args.horizon
        )));
    }
    let table = read_table(&args.data)?;
    let equation = if args.equation == EquationArg::Chd {
        Equation::Chd
    } else {
        Equation::Stroke
    };
    let n = table.nrows();
    let missing = vec![None; n];
    let col = |name: &str, needed: bool| -> Result<Vec<Option<f64>>, CliError> {
        match table.column(name) {
            Ok(_) => Ok(table.numeric(name)?.to_vec()),
            Err(_) if !needed => Ok(missing.clone()),
            Err(e) => Err(e.into()),
        }
    };
    let chd = equation == Equation::Chd;
    let (age, dur, female, ac, smoker, hba1c, sbp, ratio, af) = (
        col("age_at_diagnosis", true)?,
        col("duration", true)?,
        col("female", true)?,
        col("afro_caribbean", chd)?,
        col("smoker", true)?,
        col("hba1c", chd)?,
        col("sbp", true)?,
        col("tc_hdl", true)?,
        col("af", !chd)?,
    );
    let input = BatchInput {
        age_at_diagnosis: &age,
        duration: &dur,
        female: &female,
        afro_caribbean: &ac,
        smoker: &smoker,
        hba1c: &hba1c,
        sbp: &sbp,
        tc_hdl: &ratio,
        af: &af,
    };
    let results = evaluate_batch(&input, equation, args.horizon)?;
    let names = table.names();
    Ok(match format {
        Format::Json => {
            let rows: Vec<Value> = results
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let mut o = crate::output::row_object(&table, i);
                    match r {
                        Ok(risk) => {
                            o.insert("risk".into(), json!(risk.risk));
                            o.insert("warning".into(), json!(risk.warnings.join("; ")));
                        }
                        Err(e) => {
                            o.insert("risk".into(), Value::Null);
                            o.insert("error".into(), json!(format!("row {}: {e}", i + 1)));
                        }
                    }
                    Value::Object(o)
                })
                .collect();
            render_json(&json!(rows))
        }
        Format::Csv => {
            let mut out = names
                .iter()
                .map(|n| csv_field(n))
                .collect::<Vec<_>>()
                .join(",");
            out.push_str(",risk,warning,error\n");
            for (i, r) in results.iter().enumerate() {
                let cells: Vec<String> = table
                    .columns()
                    .iter()
                    .map(|c| c.text(i).map_or_else(|| "NA".into(), |s| csv_field(&s)))
                    .collect();
                let (risk, warning, error) = match r {
                    Ok(k) => (
                        trialstats_core::table::fmt_display(k.risk),
                        k.warnings.join("; "),
                        String::new(),
                    ),
                    Err(e) => (String::new(), String::new(), e.to_string()),
                };
                out.push_str(&format!(
                    "{},{},{},{}\n",
                    cells.join(","),
                    risk,
                    csv_field(&warning),
                    csv_field(&error)
                ));
            }
            out
        }
        _ => {
            let mut t = Table::new(&["row", "risk", "warning / error"]);
            t.set_align(2, trialstats_core::Align::Left);
            for (i, r) in results.iter().enumerate() {
                t.push_row(match r {
                    Ok(k) => vec![
                        (i + 1).to_string(),
                        format!("{:.6}", k.risk),
                        k.warnings.join("; "),
                    ],
                    Err(e) => vec![(i + 1).to_string(), String::new(), e.to_string()],
                });
            }
            t.title = Some(format!(
                "{} {}-year risk for {} rows ({} could not be evaluated)",
                if chd {
                    "UKPDS 56 CHD"
                } else {
                    "UKPDS 60 stroke"
                },
                args.horizon,
                n,
                results.iter().filter(|r| r.is_err()).count()
            ));
            render_table(&t, format)
        }
    })
}
