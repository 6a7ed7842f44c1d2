//! A columnar data table: numeric columns as `Option<f64>`, categorical columns as level codes.

use std::collections::{BTreeSet, HashMap};
use std::io::Read;

use serde::{Deserialize, Serialize};

use crate::error::DataError;
use crate::read::CsvDialect;
use crate::read::DecimalMark;
use crate::read::accumulate::Accumulator;
use crate::read::csv_dialect::{Cell, utf8_reader};

/// The values of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ColumnData {
    /// Numbers; `None` is missing. Never NaN or infinite.
    Numeric(Vec<Option<f64>>),
    /// Text categories as codes into `levels` (sorted); `None` is missing.
    Categorical {
        /// Code of each row into `levels`.
        codes: Vec<Option<u32>>,
        /// The distinct values, sorted.
        levels: Vec<String>,
    },
    /// A column that mixes numbers and text; reading it is not an error, using it in a model is.
    Mixed(Vec<Option<String>>),
}

impl ColumnData {
    /// Number of rows.
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::ColumnData;
    /// assert_eq!(ColumnData::Numeric(vec![Some(1.0), None]).len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        match self {
            ColumnData::Numeric(v) => v.len(),
            ColumnData::Categorical { codes, .. } => codes.len(),
            ColumnData::Mixed(v) => v.len(),
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether row `i` (0-based) is missing.
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::ColumnData;
    /// let c = ColumnData::Numeric(vec![Some(1.0), None]);
    /// assert_eq!((c.is_missing(0), c.is_missing(1)), (false, true));
    /// ```
    pub fn is_missing(&self, i: usize) -> bool {
        match self {
            ColumnData::Numeric(v) => v.get(i).is_none_or(Option::is_none),
            ColumnData::Categorical { codes, .. } => codes.get(i).is_none_or(Option::is_none),
            ColumnData::Mixed(v) => v.get(i).is_none_or(Option::is_none),
        }
    }

    /// Row `i` (0-based) as text, as it would be written to CSV (`None` when missing).
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::Column;
    /// let arm = Column::categorical("arm", &[Some("peer"), None, Some("control")]);
    /// assert_eq!(arm.data.text(0).as_deref(), Some("peer"));
    /// assert_eq!(arm.data.text(1), None);
    /// assert_eq!(Column::numeric("y", vec![Some(2.0)]).data.text(0).as_deref(), Some("2"));
    /// ```
    pub fn text(&self, i: usize) -> Option<String> {
        match self {
            ColumnData::Numeric(v) => v.get(i).copied().flatten().map(format_number),
            ColumnData::Categorical { codes, levels } => codes
                .get(i)
                .copied()
                .flatten()
                .and_then(|c| levels.get(c as usize).cloned()),
            ColumnData::Mixed(v) => v.get(i).cloned().flatten(),
        }
    }
}

/// A named column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// The column name (header cell).
    pub name: String,
    /// The values.
    pub data: ColumnData,
    /// How the cells of a numeric column were written in the file where the number does not
    /// print back the same (`007`, `1.50`, a 20-digit identifier), by 0-based row (only those
    /// cells: a large file with a few such cells keeps a few); `None` when every cell prints
    /// back as written. Output that passes columns through uses it ([`Column::text`]), so
    /// identifiers keep their spelling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written: Option<std::collections::BTreeMap<usize, String>>,
    /// Value labels of a numeric column (Stata's value labels): (value, label) pairs in the
    /// file's order. Used as the levels when a formula makes the column a factor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<(f64, String)>>,
    /// A description of the column (Stata's variable label, a date format noted), for reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Column {
    /// A numeric column.
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::{Column, ColumnData};
    /// let c = Column::numeric("hba1c", vec![Some(7.5), None]);
    /// assert_eq!(c.name, "hba1c");
    /// assert_eq!(c.data, ColumnData::Numeric(vec![Some(7.5), None]));
    /// ```
    pub fn numeric(name: &str, values: Vec<Option<f64>>) -> Self {
        Self {
            name: name.to_owned(),
            data: ColumnData::Numeric(values),
            written: None,
            labels: None,
            description: None,
        }
    }

    /// Row `i` (0-based) as text: as it was written in the file for a numeric cell whose number
    /// prints differently (see [`Column::written`]), otherwise as [`ColumnData::text`].
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::DataTable;
    /// let t = DataTable::from_csv_str("ids.csv", "id,y\n007,1.50\n12345678901234567890,2\n").unwrap();
    /// let id = t.column("id").unwrap();
    /// assert_eq!(id.text(0).as_deref(), Some("007"));
    /// assert_eq!(id.text(1).as_deref(), Some("12345678901234567890"));
    /// assert_eq!(id.data.text(1).as_deref(), Some("12345678901234567000")); // the f64
    /// assert_eq!(t.column("y").unwrap().text(0).as_deref(), Some("1.50"));
    /// ```
    pub fn text(&self, i: usize) -> Option<String> {
        self.written
            .as_ref()
            .and_then(|w| w.get(&i).cloned())
            .or_else(|| self.data.text(i))
    }

    /// The column as a factor: a level code per row (`None` for missing) and the level names.
    /// A categorical column's own levels; a numeric column's distinct values in numeric order,
    /// each named by its value label if it has one (a Stata file's, as haven's `as_factor`) and
    /// otherwise as R prints it (`factor(x)`); `None` for a column mixing numbers and text.
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::Column;
    /// let mut arm = Column::numeric("arm", vec![Some(1.0), Some(0.0), None, Some(2.0)]);
    /// arm.labels = Some(vec![(0.0, "usual care".into()), (1.0, "intervention".into())]);
    /// let (codes, levels) = arm.as_factor().unwrap();
    /// assert_eq!(levels, ["usual care", "intervention", "2"]);
    /// assert_eq!(codes, [Some(1), Some(0), None, Some(2)]);
    /// ```
    pub fn as_factor(&self) -> Option<(Vec<Option<usize>>, Vec<String>)> {
        match &self.data {
            ColumnData::Mixed(_) => None,
            ColumnData::Categorical { codes, levels } => Some((
                codes.iter().map(|c| c.map(|c| c as usize)).collect(),
                levels.clone(),
            )),
            ColumnData::Numeric(x) => {
                let mut distinct: Vec<f64> = x.iter().flatten().copied().collect();
                distinct.sort_by(f64::total_cmp);
                distinct.dedup_by(|a, b| a.total_cmp(b).is_eq());
                let label = |v: f64| {
                    self.labels.as_ref().and_then(|l| {
                        l.iter()
                            .find(|(code, _)| code.to_bits() == v.to_bits())
                            .map(|(_, text)| text.clone())
                    })
                };
                let levels = distinct
                    .iter()
                    .map(|v| label(*v).unwrap_or_else(|| format_number(*v)))
                    .collect();
                let codes = x
                    .iter()
                    .map(|v| v.and_then(|v| distinct.binary_search_by(|d| d.total_cmp(&v)).ok()))
                    .collect();
                Some((codes, levels))
            }
        }
    }

    /// A categorical column from text values; levels are the sorted distinct values.
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::{Column, ColumnData};
    /// let c = Column::categorical("arm", &[Some("peer"), Some("control"), None, Some("peer")]);
    /// let ColumnData::Categorical { codes, levels } = c.data else { unreachable!() };
    /// assert_eq!(levels, ["control", "peer"]);
    /// assert_eq!(codes, [Some(1), Some(0), None, Some(1)]);
    /// ```
    pub fn categorical<S: AsRef<str>>(name: &str, values: &[Option<S>]) -> Self {
        let levels: Vec<String> = values
            .iter()
            .flatten()
            .map(|s| s.as_ref().to_owned())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let index: HashMap<&str, u32> = levels
            .iter()
            .enumerate()
            .map(|(i, l)| (l.as_str(), i as u32))
            .collect();
        let codes = values
            .iter()
            .map(|v| v.as_ref().and_then(|s| index.get(s.as_ref()).copied()))
            .collect();
        Self {
            name: name.to_owned(),
            data: ColumnData::Categorical { codes, levels },
            written: None,
            labels: None,
            description: None,
        }
    }
}

/// A table of equally long named columns, with the name of the file (or dataset) it came from,
/// used in every error message.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "TableParts", into = "TableParts")]
pub struct DataTable {
    source: String,
    columns: Vec<Column>,
    nrows: usize,
    /// Column position by name, so that a lookup costs O(1) whatever the width of the file.
    index: HashMap<String, usize>,
    /// Warnings about columns found on reading (column, sentence).
    warnings: Vec<(String, String)>,
}

impl PartialEq for DataTable {
    fn eq(&self, other: &Self) -> bool {
        // The index follows from the columns.
        self.source == other.source && self.nrows == other.nrows && self.columns == other.columns
    }
}

/// What a [`DataTable`] serialises as (its index is rebuilt on reading).
#[derive(Serialize, Deserialize)]
struct TableParts {
    source: String,
    columns: Vec<Column>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<(String, String)>,
}

impl From<DataTable> for TableParts {
    fn from(t: DataTable) -> Self {
        Self {
            source: t.source,
            columns: t.columns,
            warnings: t.warnings,
        }
    }
}

impl TryFrom<TableParts> for DataTable {
    type Error = DataError;
    fn try_from(p: TableParts) -> Result<Self, DataError> {
        let mut t = DataTable::new(&p.source, p.columns)?;
        t.warnings = p.warnings;
        Ok(t)
    }
}

/// Longest line, in bytes, that the CSV reader accepts (64 MiB): a file without line ends
/// (a binary file, `/dev/zero`) is an error naming the line, not an unbounded read.
pub const MAX_LINE_BYTES: usize = 64 << 20;

/// The error a [`LineLimited`] reader raises, found again in the CSV reader's error.
#[derive(Debug)]
struct LineTooLong {
    line: u64,
}

impl std::fmt::Display for LineTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {} is longer than {MAX_LINE_BYTES} bytes",
            self.line
        )
    }
}

impl std::error::Error for LineTooLong {}

/// A reader that fails once a line grows past [`MAX_LINE_BYTES`].
struct LineLimited<R> {
    inner: R,
    line: u64,
    run: usize,
}

impl<R: Read> Read for LineLimited<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // Never hand out more than the rest of the allowance in one call, so that the limit
        // is met exactly.
        let room = (MAX_LINE_BYTES + 1 - self.run).min(buf.len());
        let n = self.inner.read(&mut buf[..room])?;
        for &b in &buf[..n] {
            if b == b'\n' {
                self.line += 1;
                self.run = 0;
            } else {
                self.run += 1;
                if self.run > MAX_LINE_BYTES {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        LineTooLong { line: self.line },
                    ));
                }
            }
        }
        Ok(n)
    }
}

/// Formats a number as CSV text: the shortest form that reads back to the same `f64`.
///
/// # Examples
/// ```
/// use trialstats_data::table::format_number;
/// assert_eq!(format_number(2.0), "2");
/// assert_eq!(format_number(0.1 + 0.2), "0.30000000000000004");
/// assert_eq!(format_number(1.5e-7), "0.00000015");
/// ```
pub fn format_number(x: f64) -> String {
    format!("{x}")
}

/// Whether a number's text is certainly how it prints back (its shortest round-trip form): an
/// optional minus, an integer part without leading zeros, an optional fraction without trailing
/// zeros, no exponent, at most 15 significant digits (so no other text of as few digits names the
/// same double). The cheap test that spares formatting almost every cell of a file; a text that
/// fails it is compared with the printed number.
pub(crate) fn canonical(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s).as_bytes();
    let (int, frac) = match digits.iter().position(|&b| b == b'.') {
        Some(p) => (&digits[..p], Some(&digits[p + 1..])),
        None => (digits, None),
    };
    let int_ok = int == b"0" || (!int.is_empty() && int[0] != b'0');
    let all_digits = |d: &[u8]| d.iter().all(u8::is_ascii_digit);
    let frac_ok = frac.is_none_or(|f| !f.is_empty() && f.last() != Some(&b'0') && all_digits(f));
    let total = int.len() + frac.map_or(0, <[u8]>::len);
    let leading_zeros = int
        .iter()
        .chain(frac.unwrap_or(&[]))
        .take_while(|&&b| b == b'0')
        .count();
    let significant = total - leading_zeros;
    // Far below 1e−300 a text underflows and prints as 0: keep those to the full comparison.
    int_ok && all_digits(int) && frac_ok && significant <= 15 && total <= 300
}

#[cfg_attr(not(feature = "xlsx"), allow(dead_code))]
fn classify(s: &str, dialect: &CsvDialect) -> Cell {
    dialect.classify(s)
}

impl DataTable {
    /// Builds a table from columns.
    ///
    /// # Errors
    /// [`DataError::ColumnLength`] if the columns differ in length, [`DataError::DuplicateColumn`]
    /// if two share a name, [`DataError::EmptyColumnName`] for an empty name.
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::{Column, DataError, DataTable};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let y = Column::numeric("y", vec![Some(1.0), Some(2.0)]);
    /// let arm = Column::categorical("arm", &[Some("a"), Some("b")]);
    /// let t = DataTable::new("trial", vec![y.clone(), arm])?;
    /// assert_eq!((t.source(), t.nrows(), t.ncols()), ("trial", 2, 2));
    /// let short = Column::numeric("x", vec![Some(1.0)]);
    /// assert!(matches!(DataTable::new("trial", vec![y, short]), Err(DataError::ColumnLength { .. })));
    /// # Ok(()) }
    /// ```
    pub fn new(source: &str, columns: Vec<Column>) -> Result<Self, DataError> {
        let nrows = columns.first().map_or(0, |c| c.data.len());
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (j, c) in columns.iter().enumerate() {
            if c.name.is_empty() {
                return Err(DataError::EmptyColumnName {
                    file: source.to_owned(),
                    position: j + 1,
                });
            }
            if let Some(first) = seen.insert(c.name.as_str(), j) {
                return Err(DataError::DuplicateColumn {
                    file: source.to_owned(),
                    name: c.name.clone(),
                    first: first + 1,
                    second: j + 1,
                });
            }
            if c.data.len() != nrows {
                return Err(DataError::ColumnLength {
                    file: source.to_owned(),
                    column: c.name.clone(),
                    got: c.data.len(),
                    expected: nrows,
                });
            }
        }
        let index = seen.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        Ok(Self {
            source: source.to_owned(),
            columns,
            nrows,
            index,
            warnings: Vec::new(),
        })
    }

    /// Warnings about columns found when the table was read, as (column, sentence): a numeric
    /// column holding a common missing-value code, say. A model frame repeats those of the
    /// columns it uses.
    pub fn warnings(&self) -> &[(String, String)] {
        &self.warnings
    }

    /// Adds warnings about columns (see [`DataTable::warnings`]).
    pub fn add_warnings(&mut self, warnings: impl IntoIterator<Item = (String, String)>) {
        self.warnings.extend(warnings);
    }

    /// Reads CSV text (see [`DataTable::from_csv_reader`]).
    ///
    /// # Errors
    /// As [`DataTable::from_csv_reader`].
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::{ColumnData, DataTable};
    /// let t = DataTable::from_csv_str("demo.csv", "y,arm\n1.5,control\nNA,peer\n2,peer\n").unwrap();
    /// assert_eq!(t.nrows(), 3);
    /// assert_eq!(t.column("y").unwrap().data, ColumnData::Numeric(vec![Some(1.5), None, Some(2.0)]));
    /// ```
    pub fn from_csv_str(source: &str, text: &str) -> Result<Self, DataError> {
        Self::from_csv_reader(source, text.as_bytes())
    }

    /// Reads CSV with a header row from any reader; `source` names the input in errors.
    ///
    /// Cells are trimmed of surrounding spaces. An empty cell or `NA` is missing. A column whose
    /// every non-missing cell parses as a number is numeric; one with no numeric cell is
    /// categorical (levels sorted by their UTF-8 bytes); one that mixes the two is kept as
    /// [`ColumnData::Mixed`], an error only when a model uses it. A column with no value at all is
    /// numeric.
    ///
    /// # Errors
    /// [`DataError::Empty`], [`DataError::NoRows`], [`DataError::Ragged`],
    /// [`DataError::DuplicateColumn`], [`DataError::EmptyColumnName`], [`DataError::Csv`], and
    /// [`DataError::NonFinite`] for `NaN`, `Inf` or `-Inf` cells, which are rejected rather than
    /// read as floating-point specials.
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::{ColumnData, DataError, DataTable};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let t = DataTable::from_csv_reader("visits.csv", " id , bp\n1, 140\n2,NA\n".as_bytes())?;
    /// assert_eq!(t.names(), ["id", "bp"]); // cells are trimmed
    /// assert_eq!(t.numeric("bp")?, &[Some(140.0), None]);
    /// let e = DataTable::from_csv_reader("bad.csv", "a,b\n1\n".as_bytes()).unwrap_err();
    /// assert!(matches!(e, DataError::Ragged { row: 1, got: 1, expected: 2, .. }));
    /// # Ok(()) }
    /// ```
    pub fn from_csv_reader<R: Read>(source: &str, reader: R) -> Result<Self, DataError> {
        Self::from_csv_reader_with(source, reader, &CsvDialect::default())
    }

    /// Reads delimited text in a [`CsvDialect`]: the delimiter (detected when not given), the
    /// decimal mark, the encoding (a UTF-8 byte-order mark is skipped, Latin-1 transcoded) and
    /// the extra missing tokens. Otherwise as [`DataTable::from_csv_reader`].
    ///
    /// # Errors
    /// As [`DataTable::from_csv_reader`]; [`DataError::DecimalCommaWithCommas`] for a decimal
    /// comma in a comma-separated file.
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::DataTable;
    /// use trialstats_data::read::{CsvDialect, DecimalMark, TextEncoding};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // European Excel: semicolons, decimal commas, Latin-1 (é is the byte 0xE9).
    /// let bytes = b"site;hba1c\nCr\xe9teil;7,2\nLyon;8,1\n";
    /// let d = CsvDialect { decimal: DecimalMark::Comma, encoding: TextEncoding::Latin1, ..CsvDialect::default() };
    /// let t = DataTable::from_csv_reader_with("eu.csv", &bytes[..], &d)?;
    /// assert_eq!(t.numeric("hba1c")?, &[Some(7.2), Some(8.1)]);
    /// assert_eq!(t.column("site")?.text(0).as_deref(), Some("Créteil"));
    /// # Ok(()) }
    /// ```
    pub fn from_csv_reader_with<R: Read>(
        source: &str,
        reader: R,
        dialect: &CsvDialect,
    ) -> Result<Self, DataError> {
        let (text, delimiter) = utf8_reader(reader, dialect.encoding, dialect.delimiter)
            .map_err(|e| crate::read::io_error(source, &e))?;
        if delimiter == b',' && dialect.decimal == DecimalMark::Comma {
            return Err(DataError::DecimalCommaWithCommas {
                file: source.to_owned(),
            });
        }
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .delimiter(delimiter)
            // Fields are trimmed as they are read (trimming the record copies it).
            .trim(csv::Trim::Headers)
            .from_reader(LineLimited {
                inner: text,
                line: 1,
                run: 0,
            });
        let csv_err = |e: csv::Error| {
            if let csv::ErrorKind::Io(io) = e.kind() {
                if let Some(long) = io.get_ref().and_then(|i| i.downcast_ref::<LineTooLong>()) {
                    return DataError::LineTooLong {
                        file: source.to_owned(),
                        line: long.line,
                        limit: MAX_LINE_BYTES,
                    };
                }
            }
            DataError::Csv {
                file: source.to_owned(),
                line: e.position().map_or(1, csv::Position::line),
                message: e.to_string(),
            }
        };
        let header: Vec<String> = rdr
            .headers()
            .map_err(csv_err)?
            .iter()
            .map(str::to_owned)
            .collect();
        if header.is_empty() || (header.len() == 1 && header[0].is_empty()) {
            return Err(DataError::Empty {
                file: source.to_owned(),
            });
        }
        let ncols = header.len();
        let mut columns_so_far: Vec<Accumulator> =
            (0..ncols).map(|_| Accumulator::default()).collect();
        let mut record = csv::StringRecord::new();
        let mut row = 0usize;
        while rdr.read_record(&mut record).map_err(csv_err)? {
            row += 1;
            let line = record.position().map_or(0, csv::Position::line);
            if record.len() != ncols {
                // A blank line at the end of a one-column file reads as a single empty field.
                if record.len() == 1 && record.get(0).map(str::trim) == Some("") && ncols > 1 {
                    return Err(DataError::Ragged {
                        file: source.to_owned(),
                        row,
                        line,
                        got: 0,
                        expected: ncols,
                    });
                }
                return Err(DataError::Ragged {
                    file: source.to_owned(),
                    row,
                    line,
                    got: record.len(),
                    expected: ncols,
                });
            }
            for ((acc, field), name) in columns_so_far.iter_mut().zip(record.iter()).zip(&header) {
                acc.push(field.trim(), dialect, (source, name, row))?;
            }
        }
        if row == 0 {
            return Err(DataError::NoRows {
                file: source.to_owned(),
            });
        }
        let columns = header
            .iter()
            .zip(columns_so_far)
            .map(|(name, acc)| acc.finish(name))
            .collect();
        Self::new(source, columns)
    }

    #[cfg_attr(not(feature = "xlsx"), allow(dead_code))]
    pub(crate) fn type_column(
        source: &str,
        name: &str,
        values: Vec<Option<String>>,
        dialect: &CsvDialect,
    ) -> Result<Column, DataError> {
        let mut numbers = 0usize;
        let mut texts = 0usize;
        for (i, v) in values.iter().enumerate() {
            if let Some(s) = v {
                match classify(s, dialect) {
                    Cell::Number(x) if !x.is_finite() => {
                        return Err(DataError::NonFinite {
                            file: source.to_owned(),
                            row: i + 1,
                            column: name.to_owned(),
                            value: s.clone(),
                        });
                    }
                    Cell::Number(_) => numbers += 1,
                    Cell::Text => texts += 1,
                    Cell::Missing => {}
                }
            }
        }
        Ok(if texts == 0 {
            let nums: Vec<Option<f64>> = values
                .iter()
                .map(|v| v.as_deref().and_then(|s| dialect.number(s)))
                .collect();
            // Keep the spelling of cells that do not print back as written.
            let differs = |(v, x): (&Option<String>, &Option<f64>)| match (v, x) {
                (Some(s), Some(x)) => !canonical(s) && *s != format_number(*x),
                _ => false,
            };
            let written = values.iter().zip(&nums).any(differs).then(|| {
                values
                    .iter()
                    .zip(&nums)
                    .enumerate()
                    .filter(|(_, (v, x))| differs((v, x)))
                    .filter_map(|(i, (v, _))| v.clone().map(|s| (i, s)))
                    .collect()
            });
            Column {
                written,
                ..Column::numeric(name, nums)
            }
        } else if numbers == 0 {
            Column::categorical(name, &values)
        } else {
            Column {
                data: ColumnData::Mixed(values),
                ..Column::numeric(name, Vec::new())
            }
        })
    }

    /// Writes the table as CSV: a header, numbers in shortest round-trip form, missing as `NA`.
    /// Reading the output back gives an equal table (for categorical levels that do not look like
    /// numbers or `NA` and have no surrounding spaces).
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::DataTable;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let t = DataTable::from_csv_str("in.csv", "y,arm\n1.0,peer\n,control\n2.5,peer\n")?;
    /// // Missing as NA; a number keeps the spelling it had in the file (see [`Column::written`]).
    /// assert_eq!(t.to_csv(), "y,arm\n1.0,peer\nNA,control\n2.5,peer\n");
    /// assert_eq!(DataTable::from_csv_str("in.csv", &t.to_csv())?, t); // round trip
    /// # Ok(()) }
    /// ```
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        let header: Vec<String> = self
            .columns
            .iter()
            .map(|c| trialstats_core::table::csv_field(&c.name))
            .collect();
        out.push_str(&header.join(","));
        out.push('\n');
        for i in 0..self.nrows {
            let row: Vec<String> = self
                .columns
                .iter()
                .map(|c| {
                    c.text(i).map_or_else(
                        || String::from("NA"),
                        |s| trialstats_core::table::csv_field(&s),
                    )
                })
                .collect();
            out.push_str(&row.join(","));
            out.push('\n');
        }
        out
    }

    /// The name of the file or dataset, as used in error messages.
    pub fn source(&self) -> &str {
        &self.source
    }
    /// Number of rows.
    pub fn nrows(&self) -> usize {
        self.nrows
    }
    /// Number of columns.
    pub fn ncols(&self) -> usize {
        self.columns.len()
    }
    /// The rows where `keep` is true, every column with its labels and description (a
    /// categorical column keeps all its levels, as R's `subset` keeps a factor's). The table
    /// keeps its source name and warnings.
    ///
    /// # Errors
    /// [`DataError::ColumnLength`] when `keep` is not one flag per row.
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::DataTable;
    /// let t = DataTable::from_csv_str("t.csv", "arm,y\na,1\nb,2\na,3\n").unwrap();
    /// let a = t.filter_rows(&[true, false, true]).unwrap();
    /// assert_eq!(a.numeric("y").unwrap(), [Some(1.0), Some(3.0)]);
    /// assert_eq!(a.nrows(), 2);
    /// assert!(t.filter_rows(&[true]).is_err());
    /// ```
    pub fn filter_rows(&self, keep: &[bool]) -> Result<DataTable, DataError> {
        if keep.len() != self.nrows() {
            return Err(DataError::ColumnLength {
                file: self.source.clone(),
                column: "(row filter)".into(),
                got: keep.len(),
                expected: self.nrows(),
            });
        }
        fn pick<T: Clone>(v: &[T], keep: &[bool]) -> Vec<T> {
            v.iter()
                .zip(keep)
                .filter(|(_, k)| **k)
                .map(|(x, _)| x.clone())
                .collect()
        }
        // Old row → new row, for the sparse spellings of `written`.
        let mut new_index = vec![None; keep.len()];
        let mut next = 0;
        for (i, k) in keep.iter().enumerate() {
            if *k {
                new_index[i] = Some(next);
                next += 1;
            }
        }
        let columns = self
            .columns
            .iter()
            .map(|c| {
                let data = match &c.data {
                    ColumnData::Numeric(v) => ColumnData::Numeric(pick(v, keep)),
                    ColumnData::Categorical { codes, levels } => ColumnData::Categorical {
                        codes: pick(codes, keep),
                        levels: levels.clone(),
                    },
                    ColumnData::Mixed(v) => ColumnData::Mixed(pick(v, keep)),
                };
                let written = c.written.as_ref().map(|w| {
                    w.iter()
                        .filter_map(|(i, s)| new_index[*i].map(|j| (j, s.clone())))
                        .collect()
                });
                Column {
                    name: c.name.clone(),
                    data,
                    written,
                    labels: c.labels.clone(),
                    description: c.description.clone(),
                }
            })
            .collect();
        let mut t = DataTable::new(&self.source, columns)?;
        t.add_warnings(self.warnings.iter().cloned());
        Ok(t)
    }

    /// All columns, in file order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }
    /// Column names, in file order.
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::DataTable;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let t = DataTable::from_csv_str("demo.csv", "b,a,c\n1,2,3\n")?;
    /// assert_eq!(t.names(), ["b", "a", "c"]);
    /// assert_eq!(t.columns()[1].name, "a");
    /// # Ok(()) }
    /// ```
    pub fn names(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.name.clone()).collect()
    }

    /// The column called `name`.
    ///
    /// # Errors
    /// [`DataError::UnknownColumn`], with a suggestion when a name is close.
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::{DataError, DataTable};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let t = DataTable::from_csv_str("demo.csv", "hba1c,sbp\n7.5,140\n")?;
    /// assert_eq!(t.column("sbp")?.text(0).as_deref(), Some("140"));
    /// let e = t.column("hbA1c").unwrap_err();
    /// assert!(matches!(e, DataError::UnknownColumn { suggestion: Some(ref s), .. } if s == "hba1c"));
    /// # Ok(()) }
    /// ```
    pub fn column(&self, name: &str) -> Result<&Column, DataError> {
        self.index
            .get(name)
            .map(|&j| &self.columns[j])
            .ok_or_else(|| DataError::UnknownColumn {
                file: self.source.clone(),
                column: name.to_owned(),
                suggestion: closest(name, self.columns.iter().map(|c| c.name.as_str())),
                available: self.names(),
            })
    }

    /// The numeric values of column `name`.
    ///
    /// # Errors
    /// [`DataError::UnknownColumn`]; [`DataError::NotNumeric`] for a categorical column;
    /// [`DataError::MixedColumn`] for a mixed one.
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::{DataError, DataTable};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let t = DataTable::from_csv_str("demo.csv", "y,arm,z\n1.5,peer,1\nNA,control,x\n")?;
    /// assert_eq!(t.numeric("y")?, &[Some(1.5), None]);
    /// assert!(matches!(t.numeric("arm"), Err(DataError::NotNumeric { row: 1, .. })));
    /// assert!(matches!(t.numeric("z"), Err(DataError::MixedColumn { row: 2, .. })));
    /// # Ok(()) }
    /// ```
    pub fn numeric(&self, name: &str) -> Result<&[Option<f64>], DataError> {
        let col = self.column(name)?;
        match &col.data {
            ColumnData::Numeric(v) => Ok(v),
            ColumnData::Categorical { codes, levels } => {
                let (row, value) = codes
                    .iter()
                    .enumerate()
                    .find_map(|(i, c)| {
                        c.and_then(|c| levels.get(c as usize))
                            .map(|l| (i + 1, l.clone()))
                    })
                    .unwrap_or((0, String::new()));
                Err(DataError::NotNumeric {
                    file: self.source.clone(),
                    column: name.to_owned(),
                    row,
                    value,
                })
            }
            ColumnData::Mixed(values) => Err(self.mixed_error(name, values)),
        }
    }

    /// The error for a model's use of a mixed column: names the first value of the minority kind.
    pub(crate) fn mixed_error(&self, name: &str, values: &[Option<String>]) -> DataError {
        let is_number = |s: &str| matches!(classify(s, &CsvDialect::default()), Cell::Number(_));
        let numbers = values.iter().flatten().filter(|s| is_number(s)).count();
        let texts = values.iter().flatten().count() - numbers;
        let want_number = numbers >= texts;
        let (row, value) = values
            .iter()
            .enumerate()
            .find_map(|(i, v)| {
                v.as_ref()
                    .filter(|s| is_number(s) != want_number)
                    .map(|s| (i + 1, s.clone()))
            })
            .unwrap_or((0, String::new()));
        DataError::MixedColumn {
            file: self.source.clone(),
            column: name.to_owned(),
            row,
            value,
            expected: if want_number {
                "numbers".into()
            } else {
                "text values".into()
            },
        }
    }
}

/// The candidate closest to `name` by edit distance, if within 2 edits (or a case-insensitive match).
fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    candidates
        .map(|c| {
            let d = if c.eq_ignore_ascii_case(name) {
                0
            } else {
                edit_distance(name, c)
            };
            (d, c)
        })
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_owned())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<DataTable, DataError> {
        DataTable::from_csv_str("t.csv", text)
    }

    #[test]
    fn types_columns() {
        let t = read("a,b,c,d\n1,x,1,\nNA,y,z,\n3,,2,\n").unwrap();
        assert_eq!(
            t.column("a").unwrap().data,
            ColumnData::Numeric(vec![Some(1.0), None, Some(3.0)])
        );
        assert_eq!(
            t.column("b").unwrap().data,
            ColumnData::Categorical {
                codes: vec![Some(0), Some(1), None],
                levels: vec!["x".into(), "y".into()]
            }
        );
        assert!(matches!(t.column("c").unwrap().data, ColumnData::Mixed(_)));
        assert_eq!(
            t.column("d").unwrap().data,
            ColumnData::Numeric(vec![None, None, None])
        );
    }

    #[test]
    fn ragged_row_is_named() {
        let e = read("a,b\n1,2\n3\n").unwrap_err();
        assert_eq!(
            e,
            DataError::Ragged {
                file: "t.csv".into(),
                row: 2,
                line: 3,
                got: 1,
                expected: 2
            }
        );
        assert_eq!(
            e.to_string(),
            "t.csv: row 2 (line 3) has 1 fields but the header has 2"
        );
    }

    #[test]
    fn empty_and_header_only() {
        assert_eq!(
            read("").unwrap_err(),
            DataError::Empty {
                file: "t.csv".into()
            }
        );
        assert_eq!(
            read("a,b\n").unwrap_err(),
            DataError::NoRows {
                file: "t.csv".into()
            }
        );
    }

    #[test]
    fn duplicate_names() {
        let e = read("a,b,a\n1,2,3\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.csv: column name `a` appears twice (columns 1 and 3)"
        );
        let e = read("a,,c\n1,2,3\n").unwrap_err();
        assert_eq!(
            e,
            DataError::EmptyColumnName {
                file: "t.csv".into(),
                position: 2
            }
        );
    }

    #[test]
    fn non_finite_values_are_rejected() {
        for bad in ["NaN", "inf", "-Inf", "infinity"] {
            let e = read(&format!("a,b\n1,2\n3,{bad}\n")).unwrap_err();
            assert_eq!(
                e,
                DataError::NonFinite {
                    file: "t.csv".into(),
                    row: 2,
                    column: "b".into(),
                    value: bad.into()
                },
                "{bad}"
            );
            assert!(
                e.to_string().starts_with("t.csv: row 2, column `b`: \""),
                "{e}"
            );
        }
    }

    #[test]
    fn text_in_numeric_use_names_row_and_value() {
        let t = read("x,g\n1,a\n2,b\nabc,c\n4,d\n").unwrap();
        let e = t.numeric("x").unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.csv: column `x` mixes numbers and text: row 3 has \"abc\" where numbers are expected"
        );
        let e = t.numeric("g").unwrap_err();
        assert!(matches!(e, DataError::NotNumeric { row: 1, .. }), "{e}");
    }

    #[test]
    fn unknown_column_suggests() {
        let t = read("temp,contact\n1,2\n").unwrap();
        let e = t.column("tmp").unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.csv: no column `tmp` (did you mean `temp`?); the columns are temp, contact"
        );
    }

    #[test]
    fn quoted_fields_and_csv_out() {
        let t = read("\"name, full\",v\n\"a \"\"b\"\"\",1.5\nc,\n").unwrap();
        assert_eq!(t.names(), vec!["name, full".to_string(), "v".to_string()]);
        let out = t.to_csv();
        assert_eq!(out, "\"name, full\",v\n\"a \"\"b\"\"\",1.5\nc,NA\n");
        assert_eq!(read(&out).unwrap(), t);
    }

    #[test]
    fn a_file_without_line_ends_is_refused_at_the_limit() {
        // Found by the CLI fault campaign: `--data /dev/zero` read without bound. An endless
        // line is now an error naming the line, after MAX_LINE_BYTES bytes.
        let endless = std::io::repeat(b'7');
        let e = DataTable::from_csv_reader("zero.csv", endless).unwrap_err();
        assert_eq!(
            e,
            DataError::LineTooLong {
                file: "zero.csv".into(),
                line: 1,
                limit: MAX_LINE_BYTES
            }
        );
        // The line is counted: a header and one good row, then the endless line.
        let text = std::io::Cursor::new(b"a,b\n1,2\n".to_vec()).chain(std::io::repeat(0));
        let e = DataTable::from_csv_reader("zero.csv", text).unwrap_err();
        assert!(matches!(e, DataError::LineTooLong { line: 3, .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            format!(
                "zero.csv: line 3 is longer than {MAX_LINE_BYTES} bytes; is this a CSV file with line ends?"
            )
        );
    }

    #[test]
    fn canonical_number_texts_are_recognised() {
        for yes in ["0", "-0", "12", "-3.25", "0.001", "123456789012345", "0.5"] {
            assert!(canonical(yes), "{yes}");
            assert_eq!(format_number(yes.parse().unwrap()), yes);
        }
        for no in [
            "007",
            "1.50",
            "1e3",
            "+5",
            ".5",
            "5.",
            "1234567890123456",
            "1.0",
            "00",
        ] {
            assert!(!canonical(no), "{no}");
        }
    }

    #[test]
    fn numeric_cells_keep_their_spelling_for_output() {
        // Found by the CLI fault campaign: pass-through output re-rendered ids through f64
        // (`007` → `7`, 20 digits → 17, `1.50` → `1.5`).
        let t = read("id,x,z\n007,1.50,1\n12345678901234567890,2,2\n8,-0,3\n").unwrap();
        let id = t.column("id").unwrap();
        assert_eq!(
            id.data,
            ColumnData::Numeric(vec![Some(7.0), Some(1.234_567_890_123_456_8e19), Some(8.0)])
        );
        assert_eq!(
            (0..3).map(|i| id.text(i).unwrap()).collect::<Vec<_>>(),
            ["007", "12345678901234567890", "8"]
        );
        assert_eq!(t.column("x").unwrap().text(0).as_deref(), Some("1.50"));
        assert_eq!(t.column("x").unwrap().text(2).as_deref(), Some("-0"));
        // A column that prints back as written keeps nothing extra.
        assert_eq!(t.column("z").unwrap().written, None);
        assert_eq!(
            t.to_csv(),
            "id,x,z\n007,1.50,1\n12345678901234567890,2,2\n8,-0,3\n"
        );
    }

    #[test]
    fn wide_tables_look_columns_up_by_name() {
        let names: Vec<String> = (0..2000).map(|j| format!("v{j}")).collect();
        let text = format!(
            "{}\n{}\n",
            names.join(","),
            (0..2000)
                .map(|j| j.to_string())
                .collect::<Vec<_>>()
                .join(",")
        );
        let t = read(&text).unwrap();
        for (j, n) in names.iter().enumerate() {
            assert_eq!(t.numeric(n).unwrap(), &[Some(j as f64)]);
        }
        // The unknown-column error lists the first names only.
        let e = t.column("nope").unwrap_err().to_string();
        assert!(e.ends_with("v18, v19, … and 1980 more"), "{e}");
        // The index survives serialisation.
        let back: DataTable = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        assert_eq!(back, t);
        assert_eq!(back.numeric("v1999").unwrap(), &[Some(1999.0)]);
    }

    #[test]
    fn invalid_utf8_is_a_csv_error() {
        let bytes: &[u8] = b"a,b\n1,\xff\xfe\n";
        let e = DataTable::from_csv_reader("t.csv", bytes).unwrap_err();
        assert!(matches!(e, DataError::Csv { .. }), "{e:?}");
    }
}
