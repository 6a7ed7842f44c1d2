//! A plain table of text cells that renders to aligned text, Markdown and CSV.
//!
//! Every summary in the workspace is a [`Table`], so one renderer serves the terminal, reports
//! and spreadsheets.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Horizontal alignment of a column in text and Markdown output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Align {
    /// Left-aligned (labels).
    Left,
    /// Right-aligned (numbers; the default).
    Right,
}

/// A table: optional title, a header row, body rows of text cells, and notes printed below.
///
/// # Examples
/// ```
/// use trialstats_core::{Align, Table};
/// let mut t = Table::new(&["term", "estimate"]);
/// t.set_align(0, Align::Left);
/// t.push_row(vec!["arm".into(), "0.52".into()]);
/// t.notes.push("CR2 standard errors".into());
/// assert_eq!(
///     t.to_text(),
///     "term  estimate\n--------------\narm       0.52\nNote: CR2 standard errors\n"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// Title printed above the table (text and Markdown; not in CSV).
    pub title: Option<String>,
    /// Column headers.
    pub header: Vec<String>,
    /// Alignment of each column.
    pub align: Vec<Align>,
    /// Body rows; a row shorter than the header is padded with empty cells.
    pub rows: Vec<Vec<String>>,
    /// Notes printed below the table (text and Markdown; not in CSV).
    pub notes: Vec<String>,
    /// The same results for analysis software: one number per cell at full precision
    /// ([`num_cell`]), estimates, interval ends and counts in their own columns, where this table
    /// writes `0.12 (−0.03 to 0.27)`. Reports write it beside the formatted table
    /// (`table1.csv` and `table1_numeric.csv`). Not serialised: JSON output carries the
    /// results as typed numbers already.
    #[serde(skip)]
    pub numeric: Option<Box<Table>>,
}

impl Table {
    /// A table with the given headers, all columns right-aligned.
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::{Align, Table};
    /// let t = Table::new(&["a", "b"]);
    /// assert_eq!(t.header, ["a", "b"]);
    /// assert_eq!(t.align, [Align::Right, Align::Right]);
    /// assert!(t.rows.is_empty() && t.title.is_none());
    /// ```
    pub fn new(header: &[&str]) -> Self {
        Self {
            title: None,
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            align: vec![Align::Right; header.len()],
            rows: Vec::new(),
            notes: Vec::new(),
            numeric: None,
        }
    }

    /// Sets the alignment of column `col` (ignored if there is no such column).
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::{Align, Table};
    /// let mut t = Table::new(&["a", "b"]);
    /// t.set_align(0, Align::Left);
    /// t.set_align(5, Align::Left); // no column 5: nothing happens
    /// assert_eq!(t.align, [Align::Left, Align::Right]);
    /// ```
    pub fn set_align(&mut self, col: usize, align: Align) {
        if let Some(a) = self.align.get_mut(col) {
            *a = align;
        }
    }

    /// Appends a body row.
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::Table;
    /// let mut t = Table::new(&["a", "b"]);
    /// t.push_row(vec!["1".into()]); // a short row is padded when rendered
    /// assert_eq!(t.rows.len(), 1);
    /// assert_eq!(t.to_csv(), "a,b\n1,\n");
    /// ```
    pub fn push_row(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    fn ncols(&self) -> usize {
        self.rows
            .iter()
            .map(Vec::len)
            .chain(std::iter::once(self.header.len()))
            .max()
            .unwrap_or(0)
    }

    fn cell(row: &[String], j: usize) -> &str {
        row.get(j).map_or("", String::as_str)
    }

    fn align_of(&self, j: usize) -> Align {
        self.align.get(j).copied().unwrap_or(Align::Right)
    }

    /// Renders as aligned plain text with a rule under the header.
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::Table;
    /// let mut t = Table::new(&["n", "mean"]);
    /// t.push_row(vec!["120".into(), "4.5".into()]);
    /// t.title = Some("Baseline".into());
    /// assert_eq!(t.to_text(), "Baseline\n  n  mean\n---------\n120   4.5\n");
    /// ```
    pub fn to_text(&self) -> String {
        let ncols = self.ncols();
        let width: Vec<usize> = (0..ncols)
            .map(|j| {
                std::iter::once(&self.header)
                    .chain(&self.rows)
                    .map(|r| Self::cell(r, j).chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |row: &[String]| -> String {
            let cells: Vec<String> = (0..ncols)
                .map(|j| {
                    let c = Self::cell(row, j);
                    let pad = width[j].saturating_sub(c.chars().count());
                    match self.align_of(j) {
                        Align::Left => format!("{c}{}", " ".repeat(pad)),
                        Align::Right => format!("{}{c}", " ".repeat(pad)),
                    }
                })
                .collect();
            cells.join("  ").trim_end().to_owned()
        };
        let mut out = String::new();
        if let Some(t) = &self.title {
            out.push_str(t);
            out.push('\n');
        }
        out.push_str(&line(&self.header));
        out.push('\n');
        let total: usize = width.iter().sum::<usize>() + 2 * ncols.saturating_sub(1);
        out.push_str(&"-".repeat(total));
        out.push('\n');
        for r in &self.rows {
            out.push_str(&line(r));
            out.push('\n');
        }
        for n in &self.notes {
            out.push_str("Note: ");
            out.push_str(n);
            out.push('\n');
        }
        out
    }

    /// Renders as a GitHub-flavoured Markdown table (`|` in cells escaped).
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::{Align, Table};
    /// let mut t = Table::new(&["term", "p"]);
    /// t.set_align(0, Align::Left);
    /// t.push_row(vec!["a|b".into(), "0.03".into()]);
    /// assert_eq!(t.to_markdown(), "| term | p |\n| :--- | ---: |\n| a\\|b | 0.03 |\n");
    /// ```
    pub fn to_markdown(&self) -> String {
        let ncols = self.ncols();
        let esc = |s: &str| s.replace('|', "\\|");
        let line = |row: &[String]| -> String {
            let cells: Vec<String> = (0..ncols).map(|j| esc(Self::cell(row, j))).collect();
            format!("| {} |", cells.join(" | "))
        };
        let mut out = String::new();
        if let Some(t) = &self.title {
            out.push_str(&format!("**{}**\n\n", esc(t)));
        }
        out.push_str(&line(&self.header));
        out.push('\n');
        let rule: Vec<&str> = (0..ncols)
            .map(|j| match self.align_of(j) {
                Align::Left => ":---",
                Align::Right => "---:",
            })
            .collect();
        out.push_str(&format!("| {} |\n", rule.join(" | ")));
        for r in &self.rows {
            out.push_str(&line(r));
            out.push('\n');
        }
        if !self.notes.is_empty() {
            out.push('\n');
            for n in &self.notes {
                out.push_str(&format!("*Note:* {}\n", esc(n)));
            }
        }
        out
    }

    /// Renders as an HTML `<table>` (title as `<caption>`, notes in a `<tfoot>`), every cell
    /// escaped; numbers right-aligned by the column's alignment.
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::Table;
    /// let mut t = Table::new(&["x"]);
    /// t.push_row(vec!["a<b".into()]);
    /// let html = t.to_html();
    /// assert!(html.starts_with("<table>\n<thead><tr><th class=\"r\">x</th></tr></thead>"));
    /// assert!(html.contains("<td class=\"r\">a&lt;b</td>"));
    /// ```
    pub fn to_html(&self) -> String {
        let ncols = self.ncols();
        let mut out = String::from("<table>\n");
        if let Some(t) = &self.title {
            out.push_str(&format!("<caption>{}</caption>\n", html_escape(t)));
        }
        let cell = |tag: &str, j: usize, text: &str| {
            let class = match self.align_of(j) {
                Align::Left => "l",
                Align::Right => "r",
            };
            // Leading spaces indent (level rows of Table 1): keep them visible.
            let indent = text.len() - text.trim_start_matches(' ').len();
            let body = html_escape(text.trim_start_matches(' '));
            format!(
                "<{tag} class=\"{class}\">{}{body}</{tag}>",
                "&nbsp;".repeat(indent)
            )
        };
        out.push_str("<thead><tr>");
        for j in 0..ncols {
            out.push_str(&cell("th", j, Self::cell(&self.header, j)));
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for r in &self.rows {
            out.push_str("<tr>");
            for j in 0..ncols {
                out.push_str(&cell("td", j, Self::cell(r, j)));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody>\n");
        if !self.notes.is_empty() {
            out.push_str(&format!("<tfoot><tr><td colspan=\"{ncols}\">"));
            let notes: Vec<String> = self.notes.iter().map(|n| html_escape(n)).collect();
            out.push_str(&notes.join("<br>"));
            out.push_str("</td></tr></tfoot>\n");
        }
        out.push_str("</table>\n");
        out
    }

    /// Renders as CSV (RFC 4180 quoting): the header and body rows only.
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::Table;
    /// let mut t = Table::new(&["term", "estimate"]);
    /// t.push_row(vec!["x, \"y\"".into(), "1.5".into()]);
    /// t.title = Some("not in CSV".into());
    /// assert_eq!(t.to_csv(), "term,estimate\n\"x, \"\"y\"\"\",1.5\n");
    /// ```
    pub fn to_csv(&self) -> String {
        let ncols = self.ncols();
        let mut out = String::new();
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let cells: Vec<String> = (0..ncols).map(|j| csv_field(Self::cell(row, j))).collect();
            out.push_str(&cells.join(","));
            out.push('\n');
        }
        out
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// Escapes `&`, `<`, `>`, `"` and `'` for HTML text and attribute values.
///
/// # Examples
/// ```
/// use trialstats_core::table::html_escape;
/// assert_eq!(html_escape("a < b & \"c\""), "a &lt; b &amp; &quot;c&quot;");
/// ```
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Quotes a CSV field when it contains a comma, quote, or line break (RFC 4180).
///
/// # Examples
/// ```
/// use trialstats_core::table::csv_field;
/// assert_eq!(csv_field("plain"), "plain");
/// assert_eq!(csv_field("a,b"), "\"a,b\"");
/// assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
/// assert_eq!(csv_field(" padded"), "\" padded\"");
/// ```
pub fn csv_field(s: &str) -> String {
    // A leading U+FEFF is quoted too: at the start of a file it would read as a byte-order mark;
    // and the other delimiters a reader may detect (`;`, tab, `|`), so that a one-column file
    // whose values hold them is not read back split.
    if s.contains([',', '"', '\n', '\r', ';', '\t', '|'])
        || s.starts_with([' ', '\u{feff}'])
        || s.ends_with(' ')
    {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// Formats `x` with `sig` significant digits: fixed notation for 1e−4 ≤ |x| < 1e7, scientific
/// otherwise; `NaN`, `Inf`, `-Inf` as R prints them.
///
/// # Examples
/// ```
/// use trialstats_core::table::fmt_num;
/// assert_eq!(fmt_num(1.0348375, 5), "1.0348");
/// assert_eq!(fmt_num(0.029675, 3), "0.0297");
/// assert_eq!(fmt_num(1.5e-7, 3), "1.50e-7");
/// assert_eq!(fmt_num(f64::NEG_INFINITY, 3), "-Inf");
/// // Rounding that reaches the next power of ten keeps `sig` digits.
/// assert_eq!(fmt_num(9.99996, 5), "10.000");
/// assert_eq!(fmt_num(9_999_999.6, 3), "1.00e7");
/// ```
pub fn fmt_num(x: f64, sig: usize) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Inf".into() } else { "-Inf".into() };
    }
    if x == 0.0 {
        return "0".into();
    }
    let sig = sig.max(1);
    // The exponent after rounding to `sig` digits (9.99996 to 5 digits is 10.000, exponent 1).
    let sci = format!("{x:.*e}", sig - 1);
    let e: i32 = sci
        .rsplit_once('e')
        .and_then(|(_, e)| e.parse().ok())
        .unwrap_or_else(|| x.abs().log10().floor() as i32);
    if (-4..7).contains(&e) {
        let decimals = (sig as i32 - 1 - e).max(0) as usize;
        format!("{x:.decimals$}")
    } else {
        format!("{x:.*e}", sig - 1)
    }
}

/// A number for display: rounded to 12 significant digits, then written in its shortest form, so
/// that floating-point noise does not show (0.124, not 0.12399999999999996). Data formats that
/// must round-trip (JSON) keep the full value.
///
/// # Examples
/// ```
/// use trialstats_core::table::fmt_display;
/// assert_eq!(fmt_display(0.12399999999999996), "0.124");
/// assert_eq!(fmt_display(1.0 / 3.0), "0.333333333333");
/// assert_eq!(fmt_display(12.0), "12");
/// ```
pub fn fmt_display(x: f64) -> String {
    if !x.is_finite() {
        return fmt_num(x, 12);
    }
    let rounded: f64 = format!("{x:.11e}").parse().unwrap_or(x);
    format!("{rounded}")
}

/// A number as a numeric CSV cell: its shortest text that reads back as the same double
/// (Rust's `{}`, R's `format(x, digits = 17)` without the excess digits), empty for NaN (a
/// missing value to R's `read.csv`, pandas and Stata's `import delimited`), `Inf`/`-Inf`
/// (as R writes them) for infinities.
///
/// # Examples
/// ```
/// use trialstats_core::table::num_cell;
/// assert_eq!(num_cell(0.1 + 0.2), "0.30000000000000004");
/// assert_eq!(num_cell(-0.0018), "-0.0018");
/// assert_eq!(num_cell(240.0), "240");
/// assert_eq!(num_cell(f64::NAN), "");
/// assert_eq!(num_cell(f64::NEG_INFINITY), "-Inf");
/// let x = 2.0_f64.sqrt();
/// assert_eq!(num_cell(x).parse::<f64>().unwrap().to_bits(), x.to_bits());
/// ```
pub fn num_cell(x: f64) -> String {
    if x.is_nan() {
        String::new()
    } else if x.is_infinite() {
        if x > 0.0 { "Inf" } else { "-Inf" }.to_owned()
    } else {
        format!("{x}")
    }
}

/// A numeric CSV cell of an optional number: empty for `None` (see [`num_cell`]).
///
/// # Examples
/// ```
/// use trialstats_core::table::opt_cell;
/// assert_eq!(opt_cell(Some(1.5)), "1.5");
/// assert_eq!(opt_cell(None), "");
/// ```
pub fn opt_cell(x: Option<f64>) -> String {
    x.map_or_else(String::new, num_cell)
}

/// Formats a p-value: 4 significant digits down to 1e−4, then scientific with 2 digits.
///
/// # Examples
/// ```
/// use trialstats_core::table::fmt_p;
/// assert_eq!(fmt_p(0.04550026), "0.04550");
/// assert_eq!(fmt_p(3.2e-70), "3.2e-70");
/// assert_eq!(fmt_p(0.0), "0");
/// ```
pub fn fmt_p(p: f64) -> String {
    if p.is_nan() {
        "NaN".into()
    } else if p >= 1e-4 {
        fmt_num(p, 4)
    } else if p > 0.0 {
        format!("{p:.1e}")
    } else {
        "0".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let mut t = Table::new(&["term", "estimate"]);
        t.set_align(0, Align::Left);
        t.push_row(vec!["(Intercept)".into(), "0.02968".into()]);
        t.push_row(vec!["x|y, \"z\"".into(), "1.035".into()]);
        t.title = Some("OLS".into());
        t.notes.push("CR1".into());
        t
    }

    #[test]
    fn renders_html_escaped() {
        let mut t = sample();
        t.push_row(vec!["<script>&".into(), "2".into()]);
        let html = t.to_html();
        assert!(
            html.starts_with(
                "<table>\n<caption>OLS</caption>\n<thead><tr><th class=\"l\">term</th>"
            )
        );
        assert!(html.contains("<td class=\"l\">x|y, &quot;z&quot;</td><td class=\"r\">1.035</td>"));
        assert!(html.contains("&lt;script&gt;&amp;"));
        assert!(!html.contains("<script>"));
        assert!(html.contains("<tfoot><tr><td colspan=\"2\">CR1</td></tr></tfoot>"));
    }

    #[test]
    fn renders_text() {
        let text = sample().to_text();
        let expected = "OLS\nterm         estimate\n---------------------\n(Intercept)   0.02968\nx|y, \"z\"        1.035\nNote: CR1\n";
        assert_eq!(text, expected);
    }

    #[test]
    fn renders_markdown_and_csv_with_escaping() {
        let t = sample();
        let md = t.to_markdown();
        assert!(
            md.contains("| term | estimate |\n| :--- | ---: |\n"),
            "{md}"
        );
        assert!(md.contains("| x\\|y, \"z\" | 1.035 |"), "{md}");
        assert_eq!(
            t.to_csv(),
            "term,estimate\n(Intercept),0.02968\n\"x|y, \"\"z\"\"\",1.035\n"
        );
    }

    #[test]
    fn ragged_rows_are_padded() {
        let mut t = Table::new(&["a", "b"]);
        t.push_row(vec!["1".into()]);
        assert_eq!(t.to_csv(), "a,b\n1,\n");
    }

    #[test]
    fn number_formats() {
        assert_eq!(fmt_num(1.034_837_5, 5), "1.0348");
        assert_eq!(fmt_num(0.029_675, 3), "0.0297");
        assert_eq!(fmt_num(-123_456.7, 4), "-123457");
        assert_eq!(fmt_num(1.5e-7, 3), "1.50e-7");
        assert_eq!(fmt_num(0.0, 3), "0");
        assert_eq!(fmt_num(f64::NEG_INFINITY, 3), "-Inf");
        assert_eq!(fmt_p(0.04550026), "0.04550");
        assert_eq!(fmt_p(3.2e-70), "3.2e-70");
    }
}
