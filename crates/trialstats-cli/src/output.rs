//! Output formats shared by every subcommand.

use clap::ValueEnum;
use trialstats_core::Table;

/// How results are written to standard output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned text for the terminal.
    Text,
    /// JSON, numbers at full precision (the contract of `cli.md`).
    Json,
    /// A Markdown table.
    Markdown,
    /// CSV.
    Csv,
}

/// Renders a table in a tabular format (text, Markdown or CSV).
pub fn render_table(table: &Table, format: Format) -> String {
    match format {
        Format::Text | Format::Json => table.to_text(),
        Format::Markdown => table.to_markdown(),
        Format::Csv => table.to_csv(),
    }
}

/// Serialises a JSON value with a trailing newline.
pub fn render_json(value: &serde_json::Value) -> String {
    let mut s =
        serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

/// Row `i` of `table` as a JSON object of its text cells (missing = null), to which a command
/// appends its result columns.
pub fn row_object(
    table: &trialstats_data::DataTable,
    i: usize,
) -> serde_json::Map<String, serde_json::Value> {
    let mut o = serde_json::Map::new();
    for c in table.columns() {
        o.insert(
            c.name.clone(),
            c.data
                .text(i)
                .map_or(serde_json::Value::Null, serde_json::Value::String),
        );
    }
    o
}
