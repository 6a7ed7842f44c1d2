//! Writing a table: CSV, and with the crate's features Stata `.dta` 118 and Parquet.

use std::path::Path;

use crate::error::DataError;
use crate::read::FileFormat;
#[cfg(any(feature = "dta", feature = "parquet"))]
use crate::table::ColumnData;
use crate::table::DataTable;

impl DataTable {
    /// Writes the table in the format of `path`'s extension: CSV (`NA` for missing), Stata
    /// `.dta` release 118 (feature `dta`: integral columns as `long`, others as `double`, text
    /// as `str#`, missing as Stata's `.`), or Parquet (feature `parquet`: numbers as doubles,
    /// text as UTF-8 strings, missing as null).
    ///
    /// # Errors
    /// [`DataError::Io`] when the file cannot be written; [`DataError::FeatureDisabled`];
    /// [`DataError::UnsupportedOutput`] for another format; [`DataError::Format`] when the
    /// writer refuses the table (a text longer than Stata's 2045 bytes, say).
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::{Column, DataTable};
    /// use trialstats_data::read::ReadOptions;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let t = DataTable::new("t", vec![Column::numeric("y", vec![Some(1.5), None])])?;
    /// let path = std::env::temp_dir().join("trialstats-write-doc.csv");
    /// t.write(&path)?;
    /// assert_eq!(DataTable::read(&path, &ReadOptions::default())?.numeric("y")?, &[Some(1.5), None]);
    /// # Ok(()) }
    /// ```
    pub fn write(&self, path: &Path) -> Result<(), DataError> {
        let target = path.display().to_string();
        match FileFormat::from_path(path) {
            FileFormat::Csv => {
                std::fs::write(path, self.to_csv()).map_err(|e| crate::read::io_error(&target, &e))
            }
            FileFormat::Dta => write_dta(self, path, &target),
            FileFormat::Parquet => write_parquet(self, path, &target),
            _ => Err(DataError::UnsupportedOutput { file: target }),
        }
    }
}

#[cfg(not(feature = "dta"))]
fn write_dta(_: &DataTable, _: &Path, target: &str) -> Result<(), DataError> {
    Err(DataError::FeatureDisabled {
        file: target.to_owned(),
        feature: "dta",
    })
}

#[cfg(feature = "dta")]
fn write_dta(table: &DataTable, path: &Path, target: &str) -> Result<(), DataError> {
    use dta::stata::dta::byte_order::ByteOrder;
    use dta::stata::dta::dta_writer::DtaWriter;
    use dta::stata::dta::header::Header;
    use dta::stata::dta::release::Release;
    use dta::stata::dta::schema::Schema;
    use dta::stata::dta::value::Value;
    use dta::stata::dta::variable::Variable;
    use dta::stata::dta::variable_type::VariableType;
    use dta::stata::missing_value::MissingValue;
    use dta::stata::stata_double::StataDouble;
    use dta::stata::stata_long::StataLong;

    let bad = |e: dta::stata::dta::dta_error::DtaError| DataError::Format {
        file: target.to_owned(),
        format: "Stata .dta",
        message: e.to_string(),
    };
    /// How a column is stored.
    enum Kind {
        Long,
        Double,
        Text(u16),
    }
    let mut kinds = Vec::with_capacity(table.ncols());
    let mut schema = Schema::builder();
    for col in table.columns() {
        let kind = match &col.data {
            ColumnData::Numeric(v) => {
                let integral = v
                    .iter()
                    .flatten()
                    .all(|x| x.fract() == 0.0 && *x >= -2_147_483_647.0 && *x <= 2_147_483_620.0);
                if integral { Kind::Long } else { Kind::Double }
            }
            _ => {
                let longest = (0..table.nrows())
                    .filter_map(|i| col.text(i).map(|s| s.len()))
                    .max()
                    .unwrap_or(1)
                    .max(1);
                match u16::try_from(longest).ok().filter(|&l| l <= 2045) {
                    Some(l) => Kind::Text(l),
                    None => {
                        return Err(DataError::Format {
                            file: target.to_owned(),
                            format: "Stata .dta",
                            message: format!(
                                "column `{}` holds a text of {longest} bytes, more than a Stata str# (2045)",
                                col.name
                            ),
                        });
                    }
                }
            }
        };
        let (vtype, format) = match kind {
            Kind::Long => (VariableType::Long, "%12.0g".to_string()),
            Kind::Double => (VariableType::Double, "%10.0g".to_string()),
            Kind::Text(l) => (VariableType::FixedString(l), format!("%{}s", l.min(244))),
        };
        let mut var = Variable::builder(vtype, col.name.clone()).format(format);
        if let Some(d) = &col.description {
            var = var.label(d.chars().take(80).collect::<String>());
        }
        schema = schema.add_variable(var);
        kinds.push(kind);
    }
    let schema = schema.build().map_err(bad)?;
    let header = Header::builder(Release::V118, ByteOrder::LittleEndian)
        .dataset_label(table.source().chars().take(80).collect::<String>())
        .build();
    let mut records = DtaWriter::new()
        .from_path(path)
        .map_err(bad)?
        .write_header(header)
        .map_err(bad)?
        .write_schema(schema)
        .map_err(bad)?
        .into_record_writer()
        .map_err(bad)?;
    let texts: Vec<Vec<Option<String>>> = table
        .columns()
        .iter()
        .map(|c| match c.data {
            ColumnData::Numeric(_) => Vec::new(),
            _ => (0..table.nrows()).map(|i| c.text(i)).collect(),
        })
        .collect();
    for i in 0..table.nrows() {
        let row: Vec<Value<'_>> = table
            .columns()
            .iter()
            .zip(&kinds)
            .zip(&texts)
            .map(|((col, kind), text)| {
                let number = match &col.data {
                    ColumnData::Numeric(v) => v[i],
                    _ => None,
                };
                match kind {
                    Kind::Long => Value::Long(match number {
                        Some(x) => StataLong::Present(x as i32),
                        None => StataLong::Missing(MissingValue::System),
                    }),
                    Kind::Double => Value::Double(match number {
                        Some(x) => StataDouble::Present(x),
                        None => StataDouble::Missing(MissingValue::System),
                    }),
                    Kind::Text(_) => Value::string(text[i].as_deref().unwrap_or("")),
                }
            })
            .collect();
        records.write_record(&row).map_err(bad)?;
    }
    records
        .into_long_string_writer()
        .map_err(bad)?
        .into_value_label_writer()
        .map_err(bad)?
        .finish()
        .map_err(bad)?;
    Ok(())
}

#[cfg(not(feature = "parquet"))]
fn write_parquet(_: &DataTable, _: &Path, target: &str) -> Result<(), DataError> {
    Err(DataError::FeatureDisabled {
        file: target.to_owned(),
        feature: "parquet",
    })
}

#[cfg(feature = "parquet")]
fn write_parquet(table: &DataTable, path: &Path, target: &str) -> Result<(), DataError> {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    use parquet::arrow::ArrowWriter;

    let bad = |message: String| DataError::Format {
        file: target.to_owned(),
        format: "Parquet",
        message,
    };
    let mut fields = Vec::with_capacity(table.ncols());
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(table.ncols());
    for col in table.columns() {
        match &col.data {
            ColumnData::Numeric(v) => {
                fields.push(Field::new(&col.name, DataType::Float64, true));
                arrays.push(Arc::new(Float64Array::from(v.clone())));
            }
            _ => {
                fields.push(Field::new(&col.name, DataType::Utf8, true));
                let texts: Vec<Option<String>> = (0..table.nrows()).map(|i| col.text(i)).collect();
                arrays.push(Arc::new(StringArray::from(texts)));
            }
        }
    }
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(|e| bad(e.to_string()))?;
    let file = std::fs::File::create(path).map_err(|e| crate::read::io_error(target, &e))?;
    let mut writer = ArrowWriter::try_new(file, schema, None).map_err(|e| bad(e.to_string()))?;
    writer.write(&batch).map_err(|e| bad(e.to_string()))?;
    writer.close().map_err(|e| bad(e.to_string()))?;
    Ok(())
}
