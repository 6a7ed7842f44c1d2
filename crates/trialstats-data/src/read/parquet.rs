//! Apache Parquet and Arrow IPC (`.arrow`, `.feather`) through the Apache `parquet` and `arrow`
//! crates, one record batch at a time.
//!
//! Integer, floating-point and boolean columns are numeric (a NaN, as pandas writes a missing
//! float, is missing; an infinity is an error); string and dictionary-of-string columns are
//! categorical; dates are numbers (days since 1970-01-01) with a note. Other types (lists,
//! structs, binary) are an error naming the column.

use std::fs::File;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::{Array, RecordBatch};
use arrow_schema::{ArrowError, DataType, SchemaRef};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::{ReadOptions, io_error};
use crate::error::DataError;
use crate::table::{Column, DataTable};

/// One column's values while the batches are read.
enum Cells {
    Numbers(Vec<Option<f64>>),
    Texts(Vec<Option<String>>),
}

pub(super) fn read_parquet(
    path: &Path,
    source: &str,
    options: &ReadOptions,
) -> Result<DataTable, DataError> {
    let file = File::open(path).map_err(|e| io_error(source, &e))?;
    parquet_from(file, source, options)
}

pub(super) fn parquet_from<T: parquet::file::reader::ChunkReader + 'static>(
    data: T,
    source: &str,
    options: &ReadOptions,
) -> Result<DataTable, DataError> {
    let bad = |message: String| DataError::Format {
        file: source.to_owned(),
        format: "Parquet",
        message,
    };
    let size = parquet::file::reader::Length::len(&data);
    let builder = ParquetRecordBatchReaderBuilder::try_new(data).map_err(|e| bad(e.to_string()))?;
    // parquet 60 asserts (panics) on a column chunk with a negative offset or length, which a
    // damaged file can have (found by the `data_file` fuzz target): check them first.
    for (g, group) in builder.metadata().row_groups().iter().enumerate() {
        for column in group.columns() {
            let start = column
                .dictionary_page_offset()
                .unwrap_or_else(|| column.data_page_offset());
            let len = column.compressed_size();
            let fits = start >= 0
                && len >= 0
                && start.checked_add(len).is_some_and(|end| end as u64 <= size);
            if !fits {
                return Err(bad(format!(
                    "row group {} has a column chunk outside the file (offset {start}, length {len})",
                    g + 1
                )));
            }
        }
    }
    let schema = builder.schema().clone();
    let reader = builder.build().map_err(|e| bad(e.to_string()))?;
    collect(
        source,
        options,
        schema,
        reader.map(|b| b.map_err(|e| bad(e.to_string()))),
    )
}

pub(super) fn read_ipc(
    path: &Path,
    source: &str,
    options: &ReadOptions,
) -> Result<DataTable, DataError> {
    let bad = |e: ArrowError| DataError::Format {
        file: source.to_owned(),
        format: "Arrow IPC (Feather)",
        message: e.to_string(),
    };
    let file = File::open(path).map_err(|e| io_error(source, &e))?;
    ipc_from(file, source, options).map_err(|e| match e {
        IpcError::Arrow(e) => bad(e),
        IpcError::Data(e) => e,
    })
}

enum IpcError {
    Arrow(ArrowError),
    Data(DataError),
}

pub(super) fn read_ipc_bytes(
    bytes: &[u8],
    source: &str,
    options: &ReadOptions,
) -> Result<DataTable, DataError> {
    let bad = |e: ArrowError| DataError::Format {
        file: source.to_owned(),
        format: "Arrow IPC (Feather)",
        message: e.to_string(),
    };
    ipc_from(std::io::Cursor::new(bytes), source, options).map_err(|e| match e {
        IpcError::Arrow(e) => bad(e),
        IpcError::Data(e) => e,
    })
}

fn ipc_from<R: std::io::Read + std::io::Seek>(
    mut data: R,
    source: &str,
    options: &ReadOptions,
) -> Result<DataTable, IpcError> {
    check_ipc_blocks(&mut data).map_err(IpcError::Arrow)?;
    let reader = arrow_ipc::reader::FileReader::try_new(data, None).map_err(IpcError::Arrow)?;
    let schema = reader.schema();
    let bad = |e: ArrowError| DataError::Format {
        file: source.to_owned(),
        format: "Arrow IPC (Feather)",
        message: e.to_string(),
    };
    collect(source, options, schema, reader.map(|b| b.map_err(bad))).map_err(IpcError::Data)
}

/// Checks the blocks the IPC footer points at (offsets and lengths not negative, inside the
/// file) before arrow reads them: arrow-ipc 60 unwraps a negative length and panics on such a
/// damaged file (found by the `data_file` fuzz target).
fn check_ipc_blocks<R: std::io::Read + std::io::Seek>(data: &mut R) -> Result<(), ArrowError> {
    use std::io::SeekFrom;
    let size = data.seek(SeekFrom::End(0))?;
    let mut tail = [0u8; 10];
    if size < 10 {
        return Err(ArrowError::ParseError(
            "the file is too short for Arrow IPC".into(),
        ));
    }
    data.seek(SeekFrom::End(-10))?;
    data.read_exact(&mut tail)?;
    let footer_len = arrow_ipc::reader::read_footer_length(tail)? as u64;
    if footer_len + 10 > size {
        return Err(ArrowError::ParseError(
            "the footer is longer than the file".into(),
        ));
    }
    data.seek(SeekFrom::Start(size - 10 - footer_len))?;
    let mut footer = vec![0u8; footer_len as usize];
    data.read_exact(&mut footer)?;
    let footer = arrow_ipc::root_as_footer(&footer)
        .map_err(|e| ArrowError::ParseError(format!("the footer does not parse: {e}")))?;
    let blocks = footer
        .recordBatches()
        .into_iter()
        .flatten()
        .chain(footer.dictionaries().into_iter().flatten());
    for b in blocks {
        let (offset, meta, body) = (b.offset(), i64::from(b.metaDataLength()), b.bodyLength());
        let fits = offset >= 0
            && meta >= 0
            && body >= 0
            && offset
                .checked_add(meta)
                .and_then(|e| e.checked_add(body))
                .is_some_and(|end| end as u64 <= size);
        if !fits {
            return Err(ArrowError::ParseError(format!(
                "a block points outside the file (offset {offset}, lengths {meta} and {body})"
            )));
        }
    }
    data.seek(SeekFrom::Start(0))?;
    Ok(())
}

fn collect(
    source: &str,
    options: &ReadOptions,
    schema: SchemaRef,
    batches: impl Iterator<Item = Result<RecordBatch, DataError>>,
) -> Result<DataTable, DataError> {
    let mut cells: Vec<Cells> = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        cells.push(match kind(field.data_type()) {
            Some(true) => Cells::Numbers(Vec::new()),
            Some(false) => Cells::Texts(Vec::new()),
            None => {
                return Err(DataError::UnsupportedColumn {
                    file: source.to_owned(),
                    column: field.name().clone(),
                    kind: field.data_type().to_string(),
                });
            }
        });
    }
    let mut offset = 0usize;
    for batch in batches {
        let batch = batch?;
        for ((cell, field), array) in cells.iter_mut().zip(schema.fields()).zip(batch.columns()) {
            append(cell, array.as_ref(), field.name(), source, options, offset)?;
        }
        offset += batch.num_rows();
    }
    let mut columns = Vec::with_capacity(cells.len());
    for (field, cell) in schema.fields().iter().zip(cells) {
        let mut column = match cell {
            Cells::Numbers(v) => Column::numeric(field.name(), v),
            Cells::Texts(v) => Column::categorical(field.name(), &v),
        };
        if matches!(field.data_type(), DataType::Date32 | DataType::Date64) {
            column.description = Some("a date: days since 1970-01-01".into());
        }
        columns.push(column);
    }
    DataTable::new(source, columns)
}

/// `Some(true)` for a type read as numbers, `Some(false)` as text, `None` when not read.
fn kind(t: &DataType) -> Option<bool> {
    match t {
        DataType::Null
        | DataType::Boolean
        | DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64
        | DataType::Float16
        | DataType::Float32
        | DataType::Float64
        | DataType::Decimal128(_, _)
        | DataType::Decimal256(_, _) => Some(true),
        DataType::Date32 | DataType::Date64 => Some(true),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Some(false),
        DataType::Dictionary(_, v) => kind(v).filter(|numeric| !numeric).map(|_| false),
        _ => None,
    }
}

fn append(
    cell: &mut Cells,
    array: &dyn Array,
    name: &str,
    source: &str,
    options: &ReadOptions,
    offset: usize,
) -> Result<(), DataError> {
    let cast_error = |e: ArrowError| DataError::UnsupportedColumn {
        file: source.to_owned(),
        column: name.to_owned(),
        kind: format!("{} ({e})", array.data_type()),
    };
    match cell {
        Cells::Numbers(out) => {
            let target = match array.data_type() {
                // Days, not arrow's milliseconds.
                DataType::Date64 | DataType::Date32 => &DataType::Int32,
                _ => &DataType::Float64,
            };
            let days = arrow_cast::cast(array, target).map_err(cast_error)?;
            let numbers =
                arrow_cast::cast(days.as_ref(), &DataType::Float64).map_err(cast_error)?;
            let values = numbers.as_primitive::<Float64Type>();
            if let Some(i) = values.values().iter().position(|v| v.is_infinite()) {
                // A null slot's value is unspecified: only a present infinity is an error.
                if !values.is_null(i) {
                    return Err(DataError::NonFinite {
                        file: source.to_owned(),
                        row: offset + i + 1,
                        column: name.to_owned(),
                        value: values.value(i).to_string(),
                    });
                }
            }
            let na: Vec<f64> = options
                .na
                .iter()
                .filter_map(|t| t.trim().parse::<f64>().ok())
                .collect();
            let keep = |v: f64| {
                !v.is_nan()
                    && !na
                        .iter()
                        .any(|t| (t + 0.0).to_bits() == (v + 0.0).to_bits())
            };
            out.reserve(values.len());
            if values.null_count() == 0 {
                out.extend(values.values().iter().map(|&v| keep(v).then_some(v)));
            } else {
                for i in 0..values.len() {
                    let v = values.value(i);
                    if !values.is_null(i) && v.is_infinite() {
                        return Err(DataError::NonFinite {
                            file: source.to_owned(),
                            row: offset + i + 1,
                            column: name.to_owned(),
                            value: v.to_string(),
                        });
                    }
                    out.push((!values.is_null(i) && keep(v)).then_some(v));
                }
            }
        }
        Cells::Texts(out) => {
            let strings = arrow_cast::cast(array, &DataType::Utf8).map_err(cast_error)?;
            let values = strings.as_string::<i32>();
            for i in 0..values.len() {
                let s = (!values.is_null(i)).then(|| values.value(i).trim());
                out.push(
                    s.filter(|s| !s.is_empty() && !options.na.iter().any(|t| t.trim() == *s))
                        .map(str::to_owned),
                );
            }
        }
    }
    Ok(())
}
