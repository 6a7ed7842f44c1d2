//! The one error type of `trialstats-data`.
//!
//! Every message is one sentence that names the file (or table), the row, the column and the
//! value, so that the command line can print it as it is. Rows are 1-based data rows (the header
//! is not counted); `line` is the line of the file where the row starts.

use trialstats_core::error::{clip, clip_list};
use trialstats_core::{InputError, LinalgError};

/// What went wrong while reading a table or building a design matrix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The file holds nothing, not even a header.
    #[error("{file}: the file is empty (expected a header row and data rows)")]
    Empty {
        /// The file or table name.
        file: String,
    },
    /// The file has a header but no data rows.
    #[error("{file}: the file has a header row but no data rows")]
    NoRows {
        /// The file or table name.
        file: String,
    },
    /// A row has a different number of fields from the header.
    #[error("{file}: row {row} (line {line}) has {got} fields but the header has {expected}")]
    Ragged {
        /// The file or table name.
        file: String,
        /// 1-based data row.
        row: usize,
        /// Line of the file.
        line: u64,
        /// Fields in the row.
        got: usize,
        /// Fields in the header.
        expected: usize,
    },
    /// Two columns share a name.
    #[error(
        "{file}: column name `{}` appears twice (columns {first} and {second})",
        clip(name)
    )]
    DuplicateColumn {
        /// The file or table name.
        file: String,
        /// The repeated name.
        name: String,
        /// 1-based position of the first occurrence.
        first: usize,
        /// 1-based position of the second occurrence.
        second: usize,
    },
    /// A header cell is empty.
    #[error("{file}: column {position} has an empty name in the header")]
    EmptyColumnName {
        /// The file or table name.
        file: String,
        /// 1-based position.
        position: usize,
    },
    /// A numeric cell is NaN or infinite.
    #[error(
        "{file}: row {row}, column `{}`: \"{}\" is not a finite number (missing values are written as an empty cell or NA)",
        clip(column),
        clip(value)
    )]
    NonFinite {
        /// The file or table name.
        file: String,
        /// 1-based data row.
        row: usize,
        /// The column.
        column: String,
        /// The cell as written.
        value: String,
    },
    /// The CSV could not be parsed (for example invalid UTF-8 or an unterminated quote).
    #[error("{file}: line {line}: {message}")]
    Csv {
        /// The file or table name.
        file: String,
        /// Line of the file.
        line: u64,
        /// The parser's message.
        message: String,
    },
    /// A line of the file is longer than the reader accepts (a file without line ends).
    #[error("{file}: line {line} is longer than {limit} bytes; is this a CSV file with line ends?")]
    LineTooLong {
        /// The file or table name.
        file: String,
        /// Line of the file.
        line: u64,
        /// The limit in bytes.
        limit: usize,
    },
    /// Columns of different lengths were put in one table.
    #[error("{file}: column `{column}` has {got} rows but the table has {expected}")]
    ColumnLength {
        /// The table name.
        file: String,
        /// The column.
        column: String,
        /// Its length.
        got: usize,
        /// The table's row count.
        expected: usize,
    },
    /// A column named in a formula or an option does not exist.
    #[error("{file}: no column `{}`{}; the columns are {}", clip(column), suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default(), clip_list(available))]
    UnknownColumn {
        /// The table name.
        file: String,
        /// The name asked for.
        column: String,
        /// A close existing name, if any.
        suggestion: Option<String>,
        /// All column names.
        available: Vec<String>,
    },
    /// A column mixes numbers and text, and a model uses it.
    #[error(
        "{file}: column `{}` mixes numbers and text: row {row} has \"{}\" where {expected} are expected",
        clip(column),
        clip(value)
    )]
    MixedColumn {
        /// The table name.
        file: String,
        /// The column.
        column: String,
        /// 1-based data row of the first value that does not fit.
        row: usize,
        /// That value.
        value: String,
        /// What the rest of the column holds ("numbers" or "text").
        expected: String,
    },
    /// A column is used as numeric but is categorical.
    #[error(
        "{file}: column `{}` is used as a number but holds text (row {row}: \"{}\"); wrap it in factor() or recode it",
        clip(column),
        clip(value)
    )]
    NotNumeric {
        /// The table name.
        file: String,
        /// The column.
        column: String,
        /// 1-based data row of the first text value.
        row: usize,
        /// That value.
        value: String,
    },
    /// The formula could not be parsed.
    #[error(
        "formula syntax error at character {position} of `{}`: {message}",
        clip(formula)
    )]
    FormulaSyntax {
        /// The formula as given.
        formula: String,
        /// 1-based character position of the problem.
        position: usize,
        /// What was expected.
        message: String,
    },
    /// `factor(col, ref = "level")` names a level that does not occur.
    #[error(
        "{file}: `{}` is not a level of `{column}`; its levels are {}",
        clip(level),
        clip_list(levels)
    )]
    UnknownLevel {
        /// The table name.
        file: String,
        /// The column.
        column: String,
        /// The level asked for.
        level: String,
        /// The levels present.
        levels: Vec<String>,
    },
    /// A categorical predictor has fewer than two levels among the rows used.
    #[error(
        "{file}: `{column}` has {n_levels} level(s) among the {nobs} rows used; a categorical predictor needs at least two"
    )]
    TooFewLevels {
        /// The table name.
        file: String,
        /// The column.
        column: String,
        /// Levels present.
        n_levels: usize,
        /// Rows used.
        nobs: usize,
    },
    /// No row is left after listwise deletion.
    #[error(
        "{file}: no rows are left after dropping the {dropped} rows with missing values in {}",
        clip_list(variables)
    )]
    NoCompleteRows {
        /// The table name.
        file: String,
        /// Rows dropped.
        dropped: usize,
        /// The model variables.
        variables: Vec<String>,
    },
    /// A cluster column has a missing value where missing values are not allowed.
    #[error(
        "{file}: cluster column `{column}` is missing at row {row}; drop or impute that row first"
    )]
    MissingCluster {
        /// The table name.
        file: String,
        /// The column.
        column: String,
        /// 1-based data row.
        row: usize,
    },
    /// A linear-algebra failure, e.g. an aliased design column.
    #[error(transparent)]
    Linalg(#[from] LinalgError),
    /// Invalid input to a numerical routine.
    #[error(transparent)]
    Input(#[from] InputError),
    /// A file could not be opened or read.
    #[error("cannot read `{file}`: {message}")]
    Io {
        /// The file.
        file: String,
        /// The operating system's message.
        message: String,
    },
    /// The file's format needs a feature of trialstats-data that this build does not enable.
    #[error(
        "{file}: reading this format needs the `{feature}` feature of trialstats-data, which this build does not enable"
    )]
    FeatureDisabled {
        /// The file.
        file: String,
        /// The feature.
        feature: &'static str,
    },
    /// An encoding name that is not known.
    #[error("unknown encoding `{}`; use utf-8 or latin1", clip(name))]
    UnknownEncoding {
        /// The name given.
        name: String,
    },
    /// A decimal comma was asked for a comma-separated file.
    #[error(
        "{file}: a decimal comma needs another field delimiter (`;` or tab), but the fields are separated by commas"
    )]
    DecimalCommaWithCommas {
        /// The file.
        file: String,
    },
    /// A binary file (Stata, Parquet, Arrow, a spreadsheet) could not be read: truncated,
    /// corrupt, or not of the format its extension says.
    #[error("{file}: not a readable {format} file: {message}")]
    Format {
        /// The file.
        file: String,
        /// The format expected (`Stata .dta`, `Parquet`, …).
        format: &'static str,
        /// The reading library's message.
        message: String,
    },
    /// A column of a type that is not read (e.g. a nested list).
    #[error(
        "{file}: column `{}` has type {kind}, which is not read; drop or convert it",
        clip(column)
    )]
    UnsupportedColumn {
        /// The file.
        file: String,
        /// The column.
        column: String,
        /// Its type.
        kind: String,
    },
    /// A spreadsheet has no sheet of the name asked for.
    #[error(
        "{file}: no sheet `{}`; the sheets are {}",
        clip(sheet),
        clip_list(available)
    )]
    UnknownSheet {
        /// The file.
        file: String,
        /// The sheet asked for.
        sheet: String,
        /// The sheets.
        available: Vec<String>,
    },
    /// A transformation in a formula gives a value that is not finite (the log of 0, say).
    #[error(
        "{file}: `{}` is {value} at row {row} ({}); a model needs finite values (a log of 0 or of a negative value?)",
        clip(term),
        clip(inputs)
    )]
    NotFinite {
        /// The file.
        file: String,
        /// The transformation, as R names it.
        term: String,
        /// 1-based data row.
        row: usize,
        /// The value.
        value: f64,
        /// The inputs at that row (`y = 0`).
        inputs: String,
    },
    /// An output file whose extension names a format that is not written.
    #[error("{file}: tables are written as .csv, .dta or .parquet")]
    UnsupportedOutput {
        /// The file.
        file: String,
    },
}
