//! Typing a text column while it is read: numbers go straight to `f64`, text to level codes, so
//! that reading a file holds its parsed columns, not its cells as strings.

use std::collections::HashMap;

use super::CsvDialect;
use super::csv_dialect::Cell;
use crate::error::DataError;
use crate::table::{Column, ColumnData, format_number};

/// One column so far: numbers (with the spelling of cells that do not print back as written),
/// text as codes into levels in order of first appearance, or both kept as text.
pub(crate) enum Accumulator {
    Numbers {
        values: Vec<Option<f64>>,
        /// Created at the first cell whose spelling differs from its number's; by row.
        written: Option<std::collections::BTreeMap<usize, String>>,
    },
    Texts {
        codes: Vec<Option<u32>>,
        index: HashMap<String, u32>,
        levels: Vec<String>,
    },
    Mixed(Vec<Option<String>>),
}

impl Default for Accumulator {
    fn default() -> Self {
        Accumulator::Numbers {
            values: Vec::new(),
            written: None,
        }
    }
}

impl Accumulator {
    /// Adds row `row` (1-based, for errors) of column `name`.
    pub(crate) fn push(
        &mut self,
        cell: &str,
        dialect: &CsvDialect,
        (source, name, row): (&str, &str, usize),
    ) -> Result<(), DataError> {
        let number = match dialect.classify(cell) {
            Cell::Missing => {
                match self {
                    Accumulator::Numbers { values, .. } => values.push(None),
                    Accumulator::Texts { codes, .. } => codes.push(None),
                    Accumulator::Mixed(v) => v.push(None),
                }
                return Ok(());
            }
            Cell::Number(x) => Some(x),
            Cell::Text => None,
        };
        if let Some(x) = number {
            if !x.is_finite() {
                return Err(DataError::NonFinite {
                    file: source.to_owned(),
                    row,
                    column: name.to_owned(),
                    value: cell.to_owned(),
                });
            }
        }
        match (&mut *self, number) {
            (Accumulator::Numbers { values, written }, Some(x)) => {
                if !crate::table::canonical(cell) && cell != format_number(x) {
                    written
                        .get_or_insert_with(Default::default)
                        .insert(values.len(), cell.to_owned());
                }
                values.push(Some(x));
            }
            (Accumulator::Numbers { values, .. }, None) if values.iter().all(Option::is_none) => {
                let mut texts = Accumulator::Texts {
                    codes: vec![None; values.len()],
                    index: HashMap::new(),
                    levels: Vec::new(),
                };
                texts.push_text(cell);
                *self = texts;
            }
            (Accumulator::Texts { .. }, None) => self.push_text(cell),
            (Accumulator::Mixed(v), _) => v.push(Some(cell.to_owned())),
            _ => {
                let mut cells = self.texts();
                cells.push(Some(cell.to_owned()));
                *self = Accumulator::Mixed(cells);
            }
        }
        Ok(())
    }

    fn push_text(&mut self, cell: &str) {
        if let Accumulator::Texts {
            codes,
            index,
            levels,
        } = self
        {
            let code = match index.get(cell) {
                Some(&c) => c,
                None => {
                    let c = levels.len() as u32;
                    index.insert(cell.to_owned(), c);
                    levels.push(cell.to_owned());
                    c
                }
            };
            codes.push(Some(code));
        }
    }

    /// The cells so far as the text they were written as.
    fn texts(&self) -> Vec<Option<String>> {
        match self {
            Accumulator::Numbers { values, written } => values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let spelled = written.as_ref().and_then(|w| w.get(&i).cloned());
                    spelled.or_else(|| v.map(format_number))
                })
                .collect(),
            Accumulator::Texts { codes, levels, .. } => codes
                .iter()
                .map(|c| c.map(|c| levels[c as usize].clone()))
                .collect(),
            Accumulator::Mixed(v) => v.clone(),
        }
    }

    /// The column: numeric, categorical (levels sorted by their UTF-8 bytes, as
    /// [`Column::categorical`]) or mixed.
    pub(crate) fn finish(self, name: &str) -> Column {
        match self {
            Accumulator::Numbers { values, written } => Column {
                written,
                ..Column::numeric(name, values)
            },
            Accumulator::Texts { codes, levels, .. } => {
                let mut order: Vec<u32> = (0..levels.len() as u32).collect();
                order.sort_by(|&a, &b| levels[a as usize].cmp(&levels[b as usize]));
                let mut rank = vec![0u32; levels.len()];
                for (r, &c) in order.iter().enumerate() {
                    rank[c as usize] = r as u32;
                }
                let sorted: Vec<String> =
                    order.iter().map(|&c| levels[c as usize].clone()).collect();
                Column {
                    data: ColumnData::Categorical {
                        codes: codes.iter().map(|c| c.map(|c| rank[c as usize])).collect(),
                        levels: sorted,
                    },
                    ..Column::numeric(name, Vec::new())
                }
            }
            Accumulator::Mixed(v) => Column {
                data: ColumnData::Mixed(v),
                ..Column::numeric(name, Vec::new())
            },
        }
    }
}
