//! Output formats shared by every subcommand.

use std::path::{Path, PathBuf};

use clap::ValueEnum;
use trialstats_core::Table;

use crate::error::{CliError, OutputError};

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
    /// An HTML table (tables only; other output as text).
    Html,
}

/// Renders a table in a tabular format (text, Markdown or CSV).
pub fn render_table(table: &Table, format: Format) -> String {
    match format {
        Format::Text | Format::Json => table.to_text(),
        Format::Markdown => table.to_markdown(),
        Format::Csv => table.to_csv(),
        Format::Html => table.to_html(),
    }
}

/// Serialises a JSON value with a trailing newline.
/// A table of `coefs` with the columns term, estimate (or odds ratio), std. error, z, p, CI low
/// and CI high (see [`coefficient_rows`]).
pub fn coefficient_table(coefs: &[trialstats_core::Coef], odds: bool, digits: usize) -> Table {
    let mut t = Table::new(&[
        "term",
        if odds { "odds ratio" } else { "estimate" },
        "std. error",
        "z",
        "p",
        "CI low",
        "CI high",
    ]);
    t.set_align(0, trialstats_core::Align::Left);
    coefficient_rows(&mut t, coefs, odds, digits);
    t
}

/// One row per coefficient into `t` (term, estimate, SE, statistic, p, CI), the numbers to
/// `digits` significant digits; with `odds`, exponentiated as Stata's `or` and `logistic` print
/// them (the odds ratio, its delta-method SE OR·SE(β), the exponentiated interval).
pub fn coefficient_rows(t: &mut Table, coefs: &[trialstats_core::Coef], odds: bool, digits: usize) {
    use trialstats_core::table::{fmt_num, fmt_p};
    for c in coefs {
        let (est, se, lo, hi) = if odds {
            let e = c.estimate.exp();
            (e, e * c.std_error, c.ci_low.exp(), c.ci_high.exp())
        } else {
            (c.estimate, c.std_error, c.ci_low, c.ci_high)
        };
        t.push_row(vec![
            c.term.clone(),
            fmt_num(est, digits),
            fmt_num(se, digits),
            fmt_num(c.statistic, 4),
            fmt_p(c.p_value),
            fmt_num(lo, digits),
            fmt_num(hi, digits),
        ]);
    }
}

pub fn render_json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    let mut s =
        serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

/// Row `i` of `table` as a JSON object, to which a command appends its result columns: numbers
/// as JSON numbers, text as strings, missing as null. A numeric column some of whose cells do
/// not print back as written (`007`, a 20-digit identifier) is passed through as the strings of
/// the file, every row alike, so that no digit is lost.
pub fn row_object(
    table: &trialstats_data::DataTable,
    i: usize,
) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::Value;
    let mut o = serde_json::Map::new();
    for c in table.columns() {
        let value = match (&c.data, &c.written) {
            (trialstats_data::ColumnData::Numeric(v), None) => v
                .get(i)
                .copied()
                .flatten()
                .and_then(serde_json::Number::from_f64)
                .map_or(Value::Null, Value::Number),
            _ => c.text(i).map_or(Value::Null, Value::String),
        };
        o.insert(c.name.clone(), value);
    }
    o
}

/// Checks an output path before any work is done: not empty, not one of the inputs, and not an
/// existing file unless `replace` (Stata's `save, replace`).
///
/// # Errors
/// [`OutputError`] as a [`CliError::Output`].
pub fn check_output(
    option: &'static str,
    path: &str,
    inputs: &[&str],
    replace: bool,
) -> Result<(), CliError> {
    if path.trim().is_empty() {
        return Err(CliError::Output(OutputError::Empty { option }));
    }
    let out = Path::new(path);
    if inputs.iter().any(|i| same_file(Path::new(i), out)) {
        return Err(CliError::Output(OutputError::IsInput {
            option,
            path: path.to_owned(),
        }));
    }
    if out.exists() && !replace {
        return Err(CliError::Output(OutputError::Exists {
            option,
            path: path.to_owned(),
        }));
    }
    Ok(())
}

/// Whether two paths name the same file (after resolving links and `..`); a path that does not
/// exist yet is compared through its resolved directory.
fn same_file(a: &Path, b: &Path) -> bool {
    let resolve = |p: &Path| -> Option<PathBuf> {
        std::fs::canonicalize(p).ok().or_else(|| {
            let parent = match p.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            Some(std::fs::canonicalize(parent).ok()?.join(p.file_name()?))
        })
    };
    match (resolve(a), resolve(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// Writes a report's files into `dir` (created if need be), each through [`write_file`].
///
/// # Errors
/// [`CliError::Io`] naming the directory or the file.
pub fn write_files(
    dir: &str,
    files: Result<Vec<(String, String)>, serde_json::Error>,
) -> Result<Vec<(String, String)>, CliError> {
    let io = |message: String| CliError::Io {
        action: "write",
        path: dir.to_owned(),
        message,
    };
    let files = files.map_err(|e| io(e.to_string()))?;
    std::fs::create_dir_all(dir).map_err(|e| io(e.to_string()))?;
    for (name, contents) in &files {
        write_file(&Path::new(dir).join(name), contents.as_bytes())?;
    }
    Ok(files)
}

/// Writes `contents` to `path` through a temporary file in the same directory, renamed into
/// place: a failure leaves no partial file, and never a half-written one under the final name.
///
/// # Errors
/// [`CliError::Io`] naming the path.
pub fn write_file(path: &Path, contents: &[u8]) -> Result<(), CliError> {
    let io = |e: std::io::Error| CliError::Io {
        action: "write",
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io(std::io::Error::other("not a file name")))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let result = std::fs::write(&tmp, contents).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}
