//! The published value tables embedded in the crate, read once on first use.

use std::sync::OnceLock;

use crate::error::ScoreError;

const AUSTRALIA_FILE: &str = "eq5d3l_australia_viney2011_tto.csv";
const AUSTRALIA_CSV: &str = include_str!("../../data/eq5d3l_australia_viney2011_tto.csv");
const CROSSWALK_FILE: &str = "eq5d5l_crosswalk_vanhout2012.csv";
const CROSSWALK_CSV: &str = include_str!("../../data/eq5d5l_crosswalk_vanhout2012.csv");

/// Columns of the crosswalk table after `state`, in file order.
pub(crate) const CROSSWALK_COLUMNS: [&str; 13] = [
    "Bermuda",
    "Denmark",
    "France",
    "Germany",
    "Japan",
    "Jordan",
    "Netherlands",
    "Russia",
    "Spain",
    "Thailand",
    "UK",
    "USA",
    "Zimbabwe",
];

/// Reads a `state,value…` table whose rows are every state of a version in lexicographic order.
fn read(
    file: &'static str,
    text: &str,
    base: u32,
    ncols: usize,
) -> Result<Vec<Vec<f64>>, ScoreError> {
    let bad = |line: usize| ScoreError::EmbeddedTable { table: file, line };
    let mut rows = Vec::with_capacity(base.pow(5) as usize);
    for (i, line) in text.lines().enumerate().skip(1) {
        if line.is_empty() {
            continue;
        }
        let mut fields = line.split(',');
        let state = fields.next().ok_or_else(|| bad(i + 1))?;
        // The row's state must be the next state in order: this pins every value to its state.
        let k = rows.len();
        let expected: String = (0..5)
            .rev()
            .map(|p| char::from(b'1' + ((k as u32 / base.pow(p)) % base) as u8))
            .collect();
        if state != expected {
            return Err(bad(i + 1));
        }
        let values: Vec<f64> = fields
            .map(|f| f.parse::<f64>().map_err(|_| bad(i + 1)))
            .collect::<Result<_, _>>()?;
        if values.len() != ncols {
            return Err(bad(i + 1));
        }
        rows.push(values);
    }
    if rows.len() != base.pow(5) as usize {
        return Err(bad(text.lines().count()));
    }
    Ok(rows)
}

/// Australia (Viney 2011), 243 values by state ordinal.
pub(crate) fn australia() -> Result<&'static [Vec<f64>], ScoreError> {
    static TABLE: OnceLock<Result<Vec<Vec<f64>>, ScoreError>> = OnceLock::new();
    TABLE
        .get_or_init(|| read(AUSTRALIA_FILE, AUSTRALIA_CSV, 3, 1))
        .as_ref()
        .map(Vec::as_slice)
        .map_err(Clone::clone)
}

/// The crosswalk, 3125 rows by 5L state ordinal, columns as [`CROSSWALK_COLUMNS`].
pub(crate) fn crosswalk() -> Result<&'static [Vec<f64>], ScoreError> {
    static TABLE: OnceLock<Result<Vec<Vec<f64>>, ScoreError>> = OnceLock::new();
    TABLE
        .get_or_init(|| read(CROSSWALK_FILE, CROSSWALK_CSV, 5, CROSSWALK_COLUMNS.len()))
        .as_ref()
        .map(Vec::as_slice)
        .map_err(Clone::clone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_tables_read_completely_and_in_state_order() {
        assert_eq!(australia().map(<[_]>::len), Ok(243));
        assert_eq!(crosswalk().map(<[_]>::len), Ok(3125));
    }

    #[test]
    fn a_table_out_of_order_is_refused_with_its_line() {
        let text = "state,x\n11111,1\n11113,0.5\n";
        assert_eq!(
            read("t.csv", text, 3, 1),
            Err(ScoreError::EmbeddedTable {
                table: "t.csv",
                line: 3
            })
        );
    }
}
