//! `trialstats score`: one instrument scored for every row of a CSV; a row that cannot be scored
//! gets its error and the others are scored.

use clap::{Args, ValueEnum};
use serde_json::{Value, json};
use trialstats_core::Table;
use trialstats_core::table::{Align, csv_field};
use trialstats_data::DataTable;
use trialstats_instruments::eq5d::{Eq5dInput, Version};
use trialstats_instruments::mmas8::Item8Scoring;
use trialstats_instruments::{
    Cell, Dds, DdsVersion, Eq5d, Instrument, MissingPolicy, Mmas8, Phq9, ScoreError, Sdsca,
    value_set,
};

use crate::commands::read_table;
use crate::error::CliError;
use crate::output::{Format, render_json, render_table};

/// Options of `trialstats score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// The instrument.
    #[arg(value_enum)]
    pub instrument: InstrumentArg,
    /// CSV with one row per respondent. Columns: PHQ-9 phq1…phq9; DDS dds1…dds17 (2005 form
    /// order; dds2 reads dds14, dds6; dds4 reads dds14, dds6, dds16, dds3); EQ-5D mo, sc, ua, pd,
    /// ad or a five-digit state; MMAS-8 mmas1…mmas8; SDSCA sdsca1…sdsca12.
    #[arg(long)]
    pub data: String,
    /// EQ-5D value-set id (default eq5d3l_au_viney2011 for eq5d3l, eq5d5l_au_norman2023 for
    /// eq5d5l); `eq5d5l_cw_<country>` for the 5L→3L crosswalk.
    #[arg(long)]
    pub value_set: Option<String>,
    /// Prorate PHQ-9 when at most N items are missing (research convention: 2).
    #[arg(long, allow_negative_numbers = true)]
    pub prorate: Option<usize>,
    /// DDS: score a scale from the items answered when at least half are (the "half rule").
    #[arg(long)]
    pub half_rule: bool,
    /// MMAS-8: score item 8 as A = 1, B–E = 0 instead of the weights 1, .75, .5, .25, 0.
    #[arg(long)]
    pub dichotomise_item8: bool,
}

/// Instruments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InstrumentArg {
    /// PHQ-9 depression (with PHQ-8 and PHQ-2).
    Phq9,
    /// Diabetes Distress Scale, 17 items with subscales.
    Dds17,
    /// DDS-2 screener.
    Dds2,
    /// DDS-4 composite.
    Dds4,
    /// EQ-5D-3L index.
    Eq5d3l,
    /// EQ-5D-5L index (or the crosswalk to 3L).
    Eq5d5l,
    /// MMAS-8 (licensed instrument: you must hold a licence from its owner).
    Mmas8,
    /// Summary of Diabetes Self-Care Activities.
    Sdsca,
}

/// The licence notice printed (on standard error) whenever MMAS-8 is scored.
pub const MMAS8_NOTICE: &str = "note: the MMAS-8 is licensed by its owner (MMAS Research LLC); \
scoring it assumes you hold a licence. Only the published scoring rule is implemented.";

/// Runs `trialstats score`.
pub fn run(args: &ScoreArgs, format: Format) -> Result<String, CliError> {
    let table = read_table(&args.data)?;
    let policy = match (args.prorate, args.half_rule) {
        (Some(_), true) => {
            return Err(CliError::Usage(
                "--prorate and --half-rule are two policies; give one".into(),
            ));
        }
        (Some(n), false) => MissingPolicy::Prorate { max_missing: n },
        (None, true) => MissingPolicy::HalfRule,
        (None, false) => MissingPolicy::Reject,
    };
    let ctx = Context {
        table: &table,
        path: &args.data,
        format,
    };
    match args.instrument {
        InstrumentArg::Phq9 => {
            // Item 10 (difficulty) is not scored, but when the file has it, it is checked:
            // an answer outside 0–3 is the row's error, not passed over.
            let mut phq = Phq9::with_policy(policy);
            phq.with_item10 = table.column("phq10").is_ok();
            ctx.run(&phq)
        }
        InstrumentArg::Dds17 | InstrumentArg::Dds2 | InstrumentArg::Dds4 => {
            let version = match args.instrument {
                InstrumentArg::Dds2 => DdsVersion::Dds2,
                InstrumentArg::Dds4 => DdsVersion::Dds4,
                _ => DdsVersion::Dds17,
            };
            ctx.run(&Dds { version, policy })
        }
        InstrumentArg::Eq5d3l | InstrumentArg::Eq5d5l => {
            let five = args.instrument == InstrumentArg::Eq5d5l;
            let id = args.value_set.clone().unwrap_or_else(|| {
                if five {
                    "eq5d5l_au_norman2023".into()
                } else {
                    "eq5d3l_au_viney2011".into()
                }
            });
            let vs = value_set(&id)?;
            let want = if five {
                Version::FiveLevel
            } else {
                Version::ThreeLevel
            };
            if vs.version != want {
                return Err(CliError::Usage(format!(
                    "value set {id} scores {} states; use `score {}` for it",
                    vs.version.label(),
                    if five { "eq5d3l" } else { "eq5d5l" }
                )));
            }
            let mut scorer = Eq5d::new(&id)?;
            scorer.policy = policy;
            let has_dims = ["mo", "sc", "ua", "pd", "ad"]
                .iter()
                .any(|c| table.column(c).is_ok());
            if !has_dims && table.column("state").is_ok() {
                scorer.input = Eq5dInput::State;
            }
            ctx.run(&scorer)
        }
        InstrumentArg::Mmas8 => {
            eprintln!("{MMAS8_NOTICE}");
            ctx.run(&Mmas8 {
                item8_scoring: if args.dichotomise_item8 {
                    Item8Scoring::Dichotomised
                } else {
                    Item8Scoring::Weighted
                },
                policy,
            })
        }
        InstrumentArg::Sdsca => ctx.run(&Sdsca { policy }),
    }
}

struct Context<'a> {
    table: &'a DataTable,
    path: &'a str,
    format: Format,
}

impl Context<'_> {
    fn run<I: Instrument>(&self, inst: &I) -> Result<String, CliError> {
        let cols = inst.columns();
        let missing: Vec<&str> = cols
            .iter()
            .filter(|c| self.table.column(c).is_err())
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(CliError::MissingColumns {
                path: self.path.to_string(),
                missing: missing.join(", "),
                hint: format!("{} reads {}", inst.name(), cols.join(", ")),
            });
        }
        let columns: Vec<_> = cols
            .iter()
            .map(|c| self.table.column(c).map(|col| &col.data))
            .collect::<Result<_, _>>()?;
        let n = self.table.nrows();
        let results: Vec<Result<Vec<Option<Cell>>, ScoreError>> = (0..n)
            .map(|i| {
                let texts: Vec<Option<String>> = columns.iter().map(|c| c.text(i)).collect();
                let answers: Vec<Option<&str>> = texts.iter().map(|t| t.as_deref()).collect();
                inst.score_answers(&answers).map(|s| inst.output(&s))
            })
            .collect();
        let out_cols = inst.output_columns();
        // A policy the instrument has no convention for fails on every row: say so once.
        if let Some(Err(e @ ScoreError::UnsupportedPolicy { .. })) = results.first() {
            return Err(CliError::Usage(e.to_string()));
        }
        Ok(self.render(inst.name(), &out_cols, &results))
    }

    fn render(
        &self,
        name: &str,
        out_cols: &[&str],
        results: &[Result<Vec<Option<Cell>>, ScoreError>],
    ) -> String {
        let t = self.table;
        let failed = results.iter().filter(|r| r.is_err()).count();
        match self.format {
            Format::Json => {
                let rows: Vec<Value> = results
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let mut o = crate::output::row_object(t, i);
                        match r {
                            Ok(cells) => {
                                for (name, cell) in out_cols.iter().zip(cells) {
                                    o.insert((*name).into(), json!(cell));
                                }
                            }
                            Err(e) => {
                                for name in out_cols {
                                    o.insert((*name).into(), Value::Null);
                                }
                                o.insert("error".into(), json!(format!("row {}: {e}", i + 1)));
                            }
                        }
                        Value::Object(o)
                    })
                    .collect();
                render_json(&json!(rows))
            }
            Format::Csv => {
                let mut head: Vec<String> = t.names().iter().map(|n| csv_field(n)).collect();
                head.extend(out_cols.iter().map(|c| (*c).to_string()));
                head.push("error".into());
                let mut out = head.join(",");
                out.push('\n');
                for (i, r) in results.iter().enumerate() {
                    let mut cells: Vec<String> = t
                        .columns()
                        .iter()
                        .map(|c| c.text(i).map_or_else(String::new, |s| csv_field(&s)))
                        .collect();
                    match r {
                        Ok(vals) => {
                            cells.extend(vals.iter().map(cell_text));
                            cells.push(String::new());
                        }
                        Err(e) => {
                            cells.extend(out_cols.iter().map(|_| String::new()));
                            cells.push(csv_field(&e.to_string()));
                        }
                    }
                    out.push_str(&cells.join(","));
                    out.push('\n');
                }
                out
            }
            _ => {
                let mut head = vec!["row"];
                head.extend_from_slice(out_cols);
                head.push("error");
                let mut tab = Table::new(&head);
                tab.set_align(head.len() - 1, Align::Left);
                for (i, r) in results.iter().enumerate() {
                    let mut row = vec![(i + 1).to_string()];
                    match r {
                        Ok(vals) => {
                            row.extend(vals.iter().map(cell_text));
                            row.push(String::new());
                        }
                        Err(e) => {
                            row.extend(out_cols.iter().map(|_| String::new()));
                            row.push(e.to_string());
                        }
                    }
                    tab.push_row(row);
                }
                tab.title = Some(format!(
                    "{name} scores for {} rows ({failed} could not be scored)",
                    results.len()
                ));
                render_table(&tab, self.format)
            }
        }
    }
}

fn cell_text(c: &Option<Cell>) -> String {
    match c {
        None => String::new(),
        Some(Cell::Number(x)) => trialstats_core::table::fmt_display(*x),
        Some(Cell::Text(s)) => csv_field(s),
        Some(Cell::Bool(b)) => b.to_string(),
    }
}
