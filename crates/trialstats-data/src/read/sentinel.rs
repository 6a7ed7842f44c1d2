//! Common missing-value codes used as values: a warning naming the column, the code and count.

use crate::table::{ColumnData, DataTable};

/// The magnitudes of [`CODES`].
const MAGNITUDES: [f64; 5] = [9.0, 99.0, 999.0, 9999.0, 99999.0];

/// Codes that data managers use for "missing" in numeric columns.
const CODES: [f64; 9] = [
    -999.0, -99.0, -9.0, 99.0, 999.0, 9999.0, -9999.0, 99999.0, -99999.0,
];

/// The table with a warning for each numeric column that holds a code of [`CODES`] at the
/// extreme of its values: a negative code in a column whose other values are not negative, or a
/// code at least twice as far from 0 as every other value.
pub(crate) fn with_warnings(mut table: DataTable) -> DataTable {
    let mut found = Vec::new();
    for col in table.columns() {
        let ColumnData::Numeric(v) = &col.data else {
            continue;
        };
        // One pass counts every code (a file rarely holds any); only a code found costs more.
        let mut counts = [0usize; CODES.len()];
        for &x in v.iter().flatten() {
            // The codes' magnitudes, matched exactly (bit patterns).
            let a = x.abs().to_bits();
            if MAGNITUDES.iter().any(|m| m.to_bits() == a) {
                if let Some(k) = CODES.iter().position(|&c| same(x, c)) {
                    counts[k] += 1;
                }
            }
        }
        for (code, count) in CODES.into_iter().zip(counts) {
            if count == 0 {
                continue;
            }
            let others = v.iter().flatten().filter(|&&x| !same(x, code));
            let (min, max_abs) = others.fold((f64::INFINITY, 0.0_f64), |(lo, m), &x| {
                (lo.min(x), m.max(x.abs()))
            });
            let extreme = (code < 0.0 && min >= 0.0) || code.abs() >= 2.0 * max_abs;
            if extreme && min.is_finite() {
                found.push((
                    col.name.clone(),
                    format!(
                        "`{}` holds {code} in {count} row(s), a common missing-value code at the extreme of its values; if it means missing, read the file with --na {code} (ReadOptions::na)",
                        col.name
                    ),
                ));
            }
        }
    }
    table.add_warnings(found);
    table
}

fn same(x: f64, code: f64) -> bool {
    x.to_bits() == code.to_bits()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::Column;

    #[test]
    fn codes_at_the_extreme_are_flagged_and_plausible_values_are_not() {
        let t = DataTable::new(
            "t",
            vec![
                Column::numeric("y", vec![Some(1.0), Some(2.0), Some(-999.0)]),
                Column::numeric("age", vec![Some(60.0), Some(99.0), Some(88.0)]),
                Column::numeric("phq", vec![Some(1.0), Some(3.0), Some(99.0)]),
                Column::numeric("code", vec![Some(-9.0), Some(-9.0), Some(-9.0)]),
            ],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let t = with_warnings(t);
        let cols: Vec<&str> = t.warnings().iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(cols, ["y", "phq"]);
        assert!(t.warnings()[0].1.contains("-999 in 1 row(s)"));
    }
}
