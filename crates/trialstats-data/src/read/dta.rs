//! Stata `.dta` files (every released version, 102–119) through the `dta` crate.
//!
//! Numeric variables are numeric columns; Stata's missing values (`.` and the extended `.a`–`.z`)
//! are missing. A variable with a value-label set keeps the labels ([`Column::labels`]): a
//! formula's `factor()` makes them its levels, in the order of their values (as R's
//! `haven::as_factor`), and the variable is its codes otherwise. String variables (`str#` and
//! `strL`) are categorical. The variable label becomes the column's description, with a date or
//! time display format noted there (the values stay Stata's numbers: days or milliseconds since
//! 1960-01-01).

use std::path::Path;

use dta::stata::dta::dta_reader::DtaReader;
use dta::stata::dta::long_string_table::LongStringTable;
use dta::stata::dta::value::Value;
use dta::stata::dta::value_label_table::ValueLabelTable;
use dta::stata::dta::variable_type::VariableType;

use super::ReadOptions;
use crate::error::DataError;
use crate::table::{Column, DataTable};

/// The values of one variable while the records are read.
enum Cells {
    Numbers(Vec<Option<f64>>),
    Texts(Vec<Option<String>>),
    /// strL references (observation, variable) resolved after the strL section is read.
    LongStrings(Vec<Option<(u64, u32)>>),
}

pub(super) fn read(
    path: &Path,
    source: &str,
    options: &ReadOptions,
) -> Result<DataTable, DataError> {
    let file = std::fs::File::open(path).map_err(|e| super::io_error(source, &e))?;
    read_from(std::io::BufReader::new(file), source, options)
}

pub(super) fn read_from<R: std::io::Read>(
    reader: R,
    source: &str,
    options: &ReadOptions,
) -> Result<DataTable, DataError> {
    let bad = |e: dta::stata::dta::dta_error::DtaError| DataError::Format {
        file: source.to_owned(),
        format: "Stata .dta",
        message: e.to_string(),
    };
    let mut characteristics = DtaReader::new()
        .from_reader(reader)
        .read_header()
        .map_err(bad)?
        .read_schema()
        .map_err(bad)?;
    characteristics.skip_to_end().map_err(bad)?;
    let mut records = characteristics.into_record_reader().map_err(bad)?;
    let schema = records.schema().clone();
    let vars = schema.variables();
    let mut cells: Vec<Cells> = vars
        .iter()
        .map(|v| match v.variable_type() {
            VariableType::FixedString(_) => Cells::Texts(Vec::new()),
            VariableType::LongString => Cells::LongStrings(Vec::new()),
            _ => Cells::Numbers(Vec::new()),
        })
        .collect();
    while let Some(record) = records.read_record().map_err(bad)? {
        for (cell, value) in cells.iter_mut().zip(record.values()) {
            push(cell, value, options);
        }
    }
    let mut long_strings = records.into_long_string_reader().map_err(bad)?;
    let mut strls = LongStringTable::for_reading();
    long_strings.read_remaining_into(&mut strls).map_err(bad)?;
    let encoding = long_strings.encoding();
    let strl_text: std::collections::HashMap<(u64, u32), String> = strls
        .iter()
        .filter_map(|s| {
            let text = s.data_str(encoding)?.into_owned();
            Some(((s.observation(), s.variable()), text))
        })
        .collect();
    let mut label_reader = long_strings.into_value_label_reader().map_err(bad)?;
    let mut labels = ValueLabelTable::new();
    label_reader.read_remaining_into(&mut labels).map_err(bad)?;
    let mut columns = Vec::with_capacity(vars.len());
    for (var, cell) in vars.iter().zip(cells) {
        let mut column = match cell {
            Cells::Numbers(v) => Column::numeric(var.name(), v),
            Cells::Texts(v) => Column::categorical(var.name(), &v),
            Cells::LongStrings(refs) => {
                let texts: Vec<Option<String>> = refs
                    .iter()
                    .map(|r| {
                        strl_text
                            .get(&(*r)?)
                            .map(|t| t.trim().to_owned())
                            .filter(|t| !na_text(t, options))
                    })
                    .collect();
                Column::categorical(var.name(), &texts)
            }
        };
        if let Some(set) = labels.get(var.value_label_name()) {
            column.labels = Some(
                set.entries()
                    .iter()
                    .map(|e| (f64::from(e.value()), e.label().to_owned()))
                    .collect(),
            );
        }
        column.description = description(var.label(), var.format());
        columns.push(column);
    }
    DataTable::new(source, columns)
}

/// Appends one value to its column, Stata's missing values and the `na` tokens as missing.
fn push(cell: &mut Cells, value: &Value<'_>, options: &ReadOptions) {
    let number = match value {
        Value::Byte(v) => v.present().map(f64::from),
        Value::Int(v) => v.present().map(f64::from),
        Value::Long(v) => v.present().map(f64::from),
        Value::Float(v) => v.present().map(f64::from),
        Value::Double(v) => v.present(),
        Value::String(s) => {
            if let Cells::Texts(t) = cell {
                let s = s.trim();
                t.push((!na_text(s, options)).then(|| s.to_owned()));
            }
            return;
        }
        Value::LongStringRef(r) => {
            if let Cells::LongStrings(t) = cell {
                let none = r.observation() == 0 && r.variable() == 0;
                t.push((!none).then_some((r.observation(), r.variable())));
            }
            return;
        }
    };
    if let Cells::Numbers(v) = cell {
        v.push(number.filter(|x| x.is_finite() && !super::na_number(&options.na, *x)));
    }
}

fn na_text(s: &str, options: &ReadOptions) -> bool {
    s.is_empty() || options.na.iter().any(|t| t.trim() == s)
}

/// The variable label, with a date or time display format noted.
fn description(label: &str, format: &str) -> Option<String> {
    let kind = if format.starts_with("%td") || format.starts_with("%d") {
        Some("a Stata date: days since 1960-01-01")
    } else if format.starts_with("%tc") || format.starts_with("%tC") {
        Some("a Stata date-time: milliseconds since 1960-01-01 00:00")
    } else if format.starts_with("%t") {
        Some("a Stata time series date (weeks, months, quarters or years since 1960)")
    } else {
        None
    };
    match (label.trim(), kind) {
        ("", None) => None,
        (l, None) => Some(l.to_owned()),
        ("", Some(k)) => Some(format!("{k} (format {format})")),
        (l, Some(k)) => Some(format!("{l}; {k} (format {format})")),
    }
}
