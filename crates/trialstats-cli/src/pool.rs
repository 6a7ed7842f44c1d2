//! `trialstats pool`: Rubin's rules over completed-data results in a long CSV.

use clap::Args;
use serde_json::json;
use trialstats_core::Table;
use trialstats_mi::{PooledTerm, pool_scalar};

use crate::commands::read_table;
use crate::error::CliError;
use crate::output::{Format, render_json, render_table};

/// Options of `trialstats pool`.
#[derive(Debug, Args)]
pub struct PoolArgs {
    /// Long CSV with columns imputation, term, estimate, std_error.
    #[arg(long)]
    pub data: String,
    /// Complete-data degrees of freedom (residual df of the analysis model); omit for
    /// large-sample models.
    #[arg(long, allow_negative_numbers = true)]
    pub df_complete: Option<f64>,
    /// Confidence level.
    #[arg(long, allow_negative_numbers = true, value_parser = crate::commands::parse_level, default_value = "0.95")]
    pub level: trialstats_core::Level,
}

/// One completed-data result: (estimate, variance).
type Completed = (f64, f64);

/// Runs `trialstats pool`.
pub fn run(args: &PoolArgs, format: Format) -> Result<String, CliError> {
    let table = read_table(&args.data)?;
    let imp = table.numeric("imputation")?;
    let est = table.numeric("estimate")?;
    let se = table.numeric("std_error")?;
    let term_col = table.column("term")?;
    // Terms in order of first appearance, each with its (estimate, variance) per imputation.
    let mut terms: Vec<(String, Vec<Completed>)> = Vec::new();
    for i in 0..table.nrows() {
        let cells = [
            ("imputation", imp[i].is_some()),
            ("term", !term_col.data.is_missing(i)),
            ("estimate", est[i].is_some()),
            ("std_error", se[i].is_some()),
        ];
        if let Some((column, _)) = cells.iter().find(|(_, present)| !present) {
            return Err(CliError::MissingCell {
                path: args.data.clone(),
                row: i + 1,
                column: (*column).to_owned(),
                need: "every row needs imputation, term, estimate and std_error",
            });
        }
        let (q, s, t) = (
            est[i].unwrap_or_default(),
            se[i].unwrap_or_default(),
            term_col.text(i).unwrap_or_default(),
        );
        match terms.iter_mut().find(|(n, _)| *n == t) {
            Some((_, v)) => v.push((q, s * s)),
            None => terms.push((t, vec![(q, s * s)])),
        }
    }
    let df_complete = args.df_complete.unwrap_or(f64::INFINITY);
    let mut pooled = Vec::with_capacity(terms.len());
    let mut m = 0;
    for (name, rows) in &terms {
        let q: Vec<f64> = rows.iter().map(|r| r.0).collect();
        let u: Vec<f64> = rows.iter().map(|r| r.1).collect();
        m = q.len();
        pooled.push(pool_scalar(name, &q, &u, df_complete, args.level)?);
    }
    Ok(match format {
        // `terms` is the contract's name (docs/cli.md); `coefficients`, the name every other
        // model result uses, holds the same rows.
        Format::Json => render_json(&json!({
            "coefficients": crate::json::pooled(&pooled),
            "terms": crate::json::pooled(&pooled),
            "m": m,
        })),
        _ => {
            let t = pooled_table(
                &pooled,
                format!("Pooled over m = {m} imputations (Rubin's rules; Barnard–Rubin df)"),
            );
            render_table(&t, format)
        }
    })
}

/// Pooled terms as a table: estimate, SE, df, p, interval and fmi.
pub fn pooled_table(terms: &[PooledTerm], title: String) -> Table {
    let mut t = Table::new(&[
        "term",
        "estimate",
        "std. error",
        "df",
        "p",
        "CI low",
        "CI high",
        "fmi",
    ]);
    t.set_align(0, trialstats_core::Align::Left);
    let f = |v: f64| trialstats_core::table::fmt_num(v, 6);
    for p in terms {
        t.push_row(vec![
            p.term.clone(),
            f(p.estimate),
            f(p.std_error),
            f(p.df),
            trialstats_core::table::fmt_p(p.p_value),
            f(p.ci_low),
            f(p.ci_high),
            f(p.fmi),
        ]);
    }
    t.title = Some(title);
    t
}
