//! Property tests: tables round-trip through CSV losslessly.

// Test code: a failed unwrap is a failed test, reported with its value.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use trialstats_data::{Column, ColumnData, DataTable};

/// A categorical level that reads back as text: not empty, not `NA`, not a number, no
/// surrounding spaces.
fn level() -> impl Strategy<Value = String> {
    "[a-zA-Z][a-zA-Z0-9 ,\"'|_-]{0,8}[a-zA-Z0-9_]?".prop_filter("reads back as text", |s| {
        s != "NA" && s.parse::<f64>().is_err() && s.trim() == s
    })
}

fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |x| x.is_finite()),
        -1e6f64..1e6,
        (-1000i32..1000).prop_map(f64::from),
    ]
}

fn column(nrows: usize, j: usize) -> impl Strategy<Value = Column> {
    let numeric = proptest::collection::vec(proptest::option::weighted(0.85, number()), nrows)
        .prop_map(move |v| Column::numeric(&format!("num{j}"), v));
    let categorical = proptest::collection::vec(proptest::option::weighted(0.85, level()), nrows)
        .prop_filter("at least one value", |v| v.iter().any(Option::is_some))
        .prop_map(move |v| Column::categorical(&format!("cat {j}"), &v));
    prop_oneof![numeric, categorical]
}

fn table() -> impl Strategy<Value = DataTable> {
    (1usize..30, 1usize..6).prop_flat_map(|(nrows, ncols)| {
        let cols: Vec<_> = (0..ncols).map(|j| column(nrows, j)).collect();
        cols.prop_map(|c| DataTable::new("generated", c).unwrap())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn csv_round_trip_is_lossless(t in table()) {
        let text = t.to_csv();
        let back = DataTable::from_csv_str("generated", &text).unwrap();
        prop_assert_eq!(back.nrows(), t.nrows());
        for (a, b) in t.columns().iter().zip(back.columns()) {
            prop_assert_eq!(&a.name, &b.name);
            match (&a.data, &b.data) {
                (ColumnData::Numeric(x), ColumnData::Numeric(y)) => {
                    // Bit-for-bit equality of every number (shortest round-trip formatting).
                    let bits = |v: &Vec<Option<f64>>| v.iter().map(|o| o.map(f64::to_bits)).collect::<Vec<_>>();
                    prop_assert_eq!(bits(x), bits(y));
                }
                (a, b) => prop_assert_eq!(a, b),
            }
        }
    }
}
