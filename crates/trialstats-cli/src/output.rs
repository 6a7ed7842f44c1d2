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
