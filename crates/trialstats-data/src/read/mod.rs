//! One reader behind every data file: CSV and its dialects, Stata `.dta`, Parquet, Arrow IPC
//! (Feather) and spreadsheets, chosen by the file's extension.
//!
//! The formats other than CSV come from well-kept crates behind features of this crate, so that
//! a user who reads CSV only compiles none of them: `dta` (the `dta` crate), `parquet` (Apache
//! `parquet` and `arrow`, also for `.arrow`/`.feather`), `xlsx` (`calamine`, also for `.xls` and
//! `.ods`). A file whose format needs a feature that is off is an error naming the feature.

pub(crate) mod accumulate;
pub(crate) mod csv_dialect;
#[cfg(feature = "dta")]
mod dta;
#[cfg(feature = "xlsx")]
mod excel;
#[cfg(feature = "parquet")]
mod parquet;
pub(crate) mod sentinel;

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::DataError;
use crate::table::DataTable;

pub use csv_dialect::CsvDialect;

/// A data file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum FileFormat {
    /// Delimited text: `.csv`, `.tsv`, `.txt` (and any other extension).
    Csv,
    /// Stata `.dta`, every released version (102–119).
    Dta,
    /// Apache Parquet.
    Parquet,
    /// Arrow IPC file (`.arrow`, `.feather`, Feather v2).
    ArrowIpc,
    /// A spreadsheet: `.xlsx`, `.xlsm`, `.xls`, `.ods`.
    Spreadsheet,
}

impl FileFormat {
    /// The format a file's extension names (case-insensitive); CSV for any other.
    ///
    /// ```
    /// use trialstats_data::read::FileFormat;
    /// assert_eq!(FileFormat::from_path("trial.DTA".as_ref()), FileFormat::Dta);
    /// assert_eq!(FileFormat::from_path("trial.feather".as_ref()), FileFormat::ArrowIpc);
    /// assert_eq!(FileFormat::from_path("trial.tsv".as_ref()), FileFormat::Csv);
    /// ```
    pub fn from_path(path: &Path) -> Self {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        match ext.as_str() {
            "dta" => FileFormat::Dta,
            "parquet" | "pq" => FileFormat::Parquet,
            "arrow" | "feather" | "ipc" => FileFormat::ArrowIpc,
            "xlsx" | "xlsm" | "xlsb" | "xls" | "ods" => FileFormat::Spreadsheet,
            _ => FileFormat::Csv,
        }
    }
}

/// The decimal mark of numbers in a text file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum DecimalMark {
    /// `1.5` (the default).
    #[default]
    Point,
    /// `1,5`, as European spreadsheets write CSV (with `;` between fields).
    Comma,
}

/// The character encoding of a text file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum TextEncoding {
    /// UTF-8 (the default); a byte-order mark is skipped.
    #[default]
    Utf8,
    /// ISO-8859-1, read as Windows-1252 (its superset, as the WHATWG encoding standard does).
    Latin1,
}

impl TextEncoding {
    /// The encoding an option names: `utf-8`/`utf8`, `latin1`/`latin-1`/`iso-8859-1`,
    /// `windows-1252`/`cp1252`.
    ///
    /// # Errors
    /// [`DataError::UnknownEncoding`] for any other name.
    ///
    /// ```
    /// use trialstats_data::read::TextEncoding;
    /// assert_eq!(TextEncoding::parse("Latin1").ok(), Some(TextEncoding::Latin1));
    /// assert!(TextEncoding::parse("ebcdic").is_err());
    /// ```
    pub fn parse(name: &str) -> Result<Self, DataError> {
        match name.to_ascii_lowercase().replace('_', "-").as_str() {
            "utf-8" | "utf8" => Ok(TextEncoding::Utf8),
            "latin1" | "latin-1" | "iso-8859-1" | "iso8859-1" | "windows-1252" | "cp1252" => {
                Ok(TextEncoding::Latin1)
            }
            _ => Err(DataError::UnknownEncoding {
                name: name.to_owned(),
            }),
        }
    }
}

/// How to read a data file. The default reads a UTF-8 CSV with the delimiter detected, `NA`,
/// an empty cell or a lone `.` as missing.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ReadOptions {
    /// The format; `None` takes it from the file's extension.
    pub format: Option<FileFormat>,
    /// The field delimiter of a text file; `None` detects it (`,`, `;`, tab or `|`).
    pub delimiter: Option<u8>,
    /// The decimal mark of a text file.
    pub decimal: DecimalMark,
    /// The encoding of a text file.
    pub encoding: TextEncoding,
    /// Further cell values that mean missing (e.g. `-999`), in every format; numeric tokens
    /// match numeric cells by value.
    pub na: Vec<String>,
    /// The sheet of a spreadsheet (the first when `None`).
    pub sheet: Option<String>,
}

impl DataTable {
    /// Reads a data file: CSV or its dialects, `.dta`, `.parquet`, `.arrow`/`.feather`,
    /// `.xlsx`/`.xls`/`.ods` by extension (or `options.format`). Numeric columns whose values
    /// include a common missing-value code at the extreme of their values (−999, 9999, …) get a
    /// warning ([`DataTable::warnings`]).
    ///
    /// # Errors
    /// [`DataError::Io`] when the file cannot be opened; [`DataError::FeatureDisabled`] for a
    /// format whose feature is off; the reader's errors, each naming the file.
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::DataTable;
    /// use trialstats_data::read::{DecimalMark, ReadOptions};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let path = std::env::temp_dir().join("trialstats-read-doc.csv");
    /// std::fs::write(&path, "id;hba1c\n1;7,5\n2;-999\n3;.\n")?;
    /// let opts = ReadOptions { decimal: DecimalMark::Comma, na: vec!["-999".into()], ..ReadOptions::default() };
    /// let t = DataTable::read(&path, &opts)?;
    /// assert_eq!(t.numeric("hba1c")?, &[Some(7.5), None, None]);
    /// # Ok(()) }
    /// ```
    pub fn read(path: &Path, options: &ReadOptions) -> Result<DataTable, DataError> {
        let source = path.display().to_string();
        let format = options
            .format
            .unwrap_or_else(|| FileFormat::from_path(path));
        let table = match format {
            FileFormat::Csv => {
                let file = std::fs::File::open(path).map_err(|e| io_error(&source, &e))?;
                let dialect = CsvDialect::for_path(path, options);
                DataTable::from_csv_reader_with(&source, file, &dialect)?
            }
            FileFormat::Dta => guard(&source, "Stata .dta", || read_dta(path, &source, options))?,
            FileFormat::Parquet => {
                guard(&source, "Parquet", || read_parquet(path, &source, options))?
            }
            FileFormat::ArrowIpc => guard(&source, "Arrow IPC (Feather)", || {
                read_arrow(path, &source, options)
            })?,
            FileFormat::Spreadsheet => guard(&source, "spreadsheet", || {
                read_spreadsheet(path, &source, options)
            })?,
        };
        Ok(sentinel::with_warnings(table))
    }
}

impl DataTable {
    /// Reads a file's contents already in memory (an upload, a test, a fuzzer's input) in
    /// `format`; `source` names it in errors. Otherwise as [`DataTable::read`].
    ///
    /// # Errors
    /// As [`DataTable::read`].
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::DataTable;
    /// use trialstats_data::read::{FileFormat, ReadOptions};
    /// let t = DataTable::read_bytes("upload.csv", b"y,x\n1,2\n", FileFormat::Csv, &ReadOptions::default()).unwrap();
    /// assert_eq!(t.nrows(), 1);
    /// // Bytes that are not a Stata file are an error, not a panic.
    /// assert!(DataTable::read_bytes("x.dta", b"not stata", trialstats_data::read::FileFormat::Dta, &ReadOptions::default()).is_err());
    /// ```
    pub fn read_bytes(
        source: &str,
        bytes: &[u8],
        format: FileFormat,
        options: &ReadOptions,
    ) -> Result<DataTable, DataError> {
        let table = match format {
            FileFormat::Csv => {
                let dialect = CsvDialect::for_path(Path::new(source), options);
                DataTable::from_csv_reader_with(source, bytes, &dialect)?
            }
            FileFormat::Dta => guard(source, "Stata .dta", || dta_bytes(bytes, source, options))?,
            FileFormat::Parquet => {
                guard(source, "Parquet", || parquet_bytes(bytes, source, options))?
            }
            FileFormat::ArrowIpc => guard(source, "Arrow IPC (Feather)", || {
                ipc_bytes(bytes, source, options)
            })?,
            FileFormat::Spreadsheet => guard(source, "spreadsheet", || {
                spreadsheet_bytes(bytes, source, options)
            })?,
        };
        Ok(sentinel::with_warnings(table))
    }
}

#[cfg(feature = "dta")]
fn dta_bytes(bytes: &[u8], source: &str, o: &ReadOptions) -> Result<DataTable, DataError> {
    dta::read_from(bytes, source, o)
}

#[cfg(not(feature = "dta"))]
fn dta_bytes(_: &[u8], source: &str, _: &ReadOptions) -> Result<DataTable, DataError> {
    Err(disabled(source, "dta"))
}

#[cfg(feature = "parquet")]
fn parquet_bytes(bytes: &[u8], source: &str, o: &ReadOptions) -> Result<DataTable, DataError> {
    parquet::parquet_from(::bytes::Bytes::copy_from_slice(bytes), source, o)
}

#[cfg(not(feature = "parquet"))]
fn parquet_bytes(_: &[u8], source: &str, _: &ReadOptions) -> Result<DataTable, DataError> {
    Err(disabled(source, "parquet"))
}

#[cfg(feature = "parquet")]
fn ipc_bytes(bytes: &[u8], source: &str, o: &ReadOptions) -> Result<DataTable, DataError> {
    parquet::read_ipc_bytes(bytes, source, o)
}

#[cfg(not(feature = "parquet"))]
fn ipc_bytes(_: &[u8], source: &str, _: &ReadOptions) -> Result<DataTable, DataError> {
    Err(disabled(source, "parquet"))
}

#[cfg(feature = "xlsx")]
fn spreadsheet_bytes(bytes: &[u8], source: &str, o: &ReadOptions) -> Result<DataTable, DataError> {
    excel::read_from(bytes, source, o)
}

#[cfg(not(feature = "xlsx"))]
fn spreadsheet_bytes(_: &[u8], source: &str, _: &ReadOptions) -> Result<DataTable, DataError> {
    Err(disabled(source, "xlsx"))
}

thread_local! {
    static DECODING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this thread is inside a binary-format decoder, whose panics [`DataTable::read`] turns
/// into errors: a program's panic hook may stay quiet about those (the CLI's does).
pub fn is_decoding() -> bool {
    DECODING.with(std::cell::Cell::get)
}

/// Runs a third-party decoder of a binary format, turning a panic inside it into an error naming
/// the file. The decoders check their input, but not all of it: fuzzing found damaged Parquet
/// files on which parquet 60 panics deep in page decoding (`decoder.rs`: a dictionary-encoded
/// page without a dictionary). A damaged file is bad input, so it gets an error, never a crash;
/// the panic's message is in the error.
fn guard<T>(
    source: &str,
    format: &'static str,
    read: impl FnOnce() -> Result<T, DataError>,
) -> Result<T, DataError> {
    DECODING.with(|d| d.set(true));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(read));
    DECODING.with(|d| d.set(false));
    outcome.unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "the decoder failed".into());
        Err(DataError::Format {
            file: source.to_owned(),
            format,
            message: format!("the file is damaged ({message})"),
        })
    })
}

pub(crate) fn io_error(source: &str, e: &std::io::Error) -> DataError {
    DataError::Io {
        file: source.to_owned(),
        message: e.to_string(),
    }
}

#[cfg_attr(
    all(feature = "dta", feature = "parquet", feature = "xlsx"),
    allow(dead_code)
)]
fn disabled(source: &str, feature: &'static str) -> DataError {
    DataError::FeatureDisabled {
        file: source.to_owned(),
        feature,
    }
}

#[cfg(feature = "dta")]
fn read_dta(path: &Path, source: &str, o: &ReadOptions) -> Result<DataTable, DataError> {
    dta::read(path, source, o)
}

#[cfg(not(feature = "dta"))]
fn read_dta(_: &Path, source: &str, _: &ReadOptions) -> Result<DataTable, DataError> {
    Err(disabled(source, "dta"))
}

#[cfg(feature = "parquet")]
fn read_parquet(path: &Path, source: &str, o: &ReadOptions) -> Result<DataTable, DataError> {
    parquet::read_parquet(path, source, o)
}

#[cfg(not(feature = "parquet"))]
fn read_parquet(_: &Path, source: &str, _: &ReadOptions) -> Result<DataTable, DataError> {
    Err(disabled(source, "parquet"))
}

#[cfg(feature = "parquet")]
fn read_arrow(path: &Path, source: &str, o: &ReadOptions) -> Result<DataTable, DataError> {
    parquet::read_ipc(path, source, o)
}

#[cfg(not(feature = "parquet"))]
fn read_arrow(_: &Path, source: &str, _: &ReadOptions) -> Result<DataTable, DataError> {
    Err(disabled(source, "parquet"))
}

#[cfg(feature = "xlsx")]
fn read_spreadsheet(path: &Path, source: &str, o: &ReadOptions) -> Result<DataTable, DataError> {
    excel::read(path, source, o)
}

#[cfg(not(feature = "xlsx"))]
fn read_spreadsheet(_: &Path, source: &str, _: &ReadOptions) -> Result<DataTable, DataError> {
    Err(disabled(source, "xlsx"))
}

/// Whether `value` (a cell's number) is one of the extra missing tokens `na` (matched by value,
/// so `-999` also matches `-999.0`).
pub(crate) fn na_number(na: &[String], value: f64) -> bool {
    na.iter()
        .filter_map(|t| t.trim().parse::<f64>().ok())
        .any(|t| (t + 0.0).to_bits() == (value + 0.0).to_bits())
}
