//! Spreadsheets (`.xlsx`, `.xlsm`, `.xlsb`, `.xls`, `.ods`) through `calamine`.
//!
//! The first row holds the column names; each column is typed as a CSV column is (numbers,
//! text, or both kept as a mixed column). Empty cells and `#N/A` are missing; another error cell
//! (`#DIV/0!`, `#VALUE!`, …) is an error naming the sheet, row and column. Dates are Excel's serial
//! numbers (days since 1899-12-30), noted in the column's description.

use std::path::Path;

use calamine::{CellErrorType, Data, Reader, open_workbook_auto};

use super::{CsvDialect, ReadOptions};
use crate::error::DataError;
use crate::table::{DataTable, format_number};

pub(super) fn read(
    path: &Path,
    source: &str,
    options: &ReadOptions,
) -> Result<DataTable, DataError> {
    let book = open_workbook_auto(path).map_err(|e| format_error(source, e.to_string()))?;
    read_book(book, source, options)
}

pub(super) fn read_from(
    bytes: &[u8],
    source: &str,
    options: &ReadOptions,
) -> Result<DataTable, DataError> {
    let book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e| format_error(source, e.to_string()))?;
    read_book(book, source, options)
}

fn format_error(source: &str, message: String) -> DataError {
    DataError::Format {
        file: source.to_owned(),
        format: "spreadsheet",
        message,
    }
}

fn read_book<RS: std::io::Read + std::io::Seek>(
    mut book: calamine::Sheets<RS>,
    source: &str,
    options: &ReadOptions,
) -> Result<DataTable, DataError> {
    let bad = |message: String| format_error(source, message);
    let sheets = book.sheet_names();
    let sheet = match &options.sheet {
        Some(s) if sheets.contains(s) => s.clone(),
        Some(s) => {
            return Err(DataError::UnknownSheet {
                file: source.to_owned(),
                sheet: s.clone(),
                available: sheets,
            });
        }
        None => sheets
            .first()
            .cloned()
            .ok_or_else(|| bad("it has no sheets".into()))?,
    };
    let range = book
        .worksheet_range(&sheet)
        .map_err(|e| bad(e.to_string()))?;
    let mut rows = range.rows();
    let header: Vec<String> = rows
        .next()
        .map(|r| r.iter().map(|c| text(c).unwrap_or_default()).collect())
        .unwrap_or_default();
    if header.iter().all(String::is_empty) {
        return Err(DataError::Empty {
            file: source.to_owned(),
        });
    }
    let ncols = header.len();
    let mut cells: Vec<Vec<Option<String>>> = vec![Vec::new(); ncols];
    let mut dates = vec![false; ncols];
    for (i, row) in rows.enumerate() {
        for (j, col) in cells.iter_mut().enumerate() {
            let cell = row.get(j).unwrap_or(&Data::Empty);
            if let Data::Error(e) = cell {
                if *e != CellErrorType::NA {
                    return Err(bad(format!(
                        "sheet `{sheet}`, row {} (line {}), column `{}` holds the error {e}",
                        i + 1,
                        i + 2,
                        header[j]
                    )));
                }
            }
            dates[j] |= matches!(cell, Data::DateTime(_));
            col.push(text(cell));
        }
    }
    if cells.first().is_none_or(Vec::is_empty) {
        return Err(DataError::NoRows {
            file: source.to_owned(),
        });
    }
    let dialect = CsvDialect {
        na: options.na.clone(),
        ..CsvDialect::default()
    };
    let mut columns = Vec::with_capacity(ncols);
    for ((name, values), date) in header.iter().zip(cells).zip(dates) {
        let mut column = DataTable::type_column(source, name, values, &dialect)?;
        if date {
            column.description =
                Some("an Excel date: days since 1899-12-30 (Excel's serial number)".into());
        }
        columns.push(column);
    }
    DataTable::new(source, columns)
}

/// A cell as the text a CSV would hold; `None` when empty or `#N/A`.
fn text(cell: &Data) -> Option<String> {
    match cell {
        Data::Empty | Data::Error(_) => None,
        Data::Int(i) => Some(i.to_string()),
        Data::Float(f) => Some(format_number(*f)),
        Data::Bool(b) => Some(if *b { "1".into() } else { "0".into() }),
        Data::DateTime(d) => Some(format_number(d.as_f64())),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => {
            let s = s.trim();
            (!s.is_empty()).then(|| s.to_owned())
        }
    }
}
