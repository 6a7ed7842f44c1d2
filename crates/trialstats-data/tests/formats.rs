//! One trial in every format a statistician receives it in, read to the same table.
//!
//! The files in `tests/data/formats` were written by the tools users have (commands in
//! `make_base.py`, `make_files.R` and `make_files.py` there): `trial.csv` (UTF-8, the reference)
//! from trialstats-robust's trial24 data (252 participants, 24 centres with accented names, the arm
//! as text, five outcomes missing); Stata `.dta` 118 by R haven 2.5.1, 114 and 118 by pandas 3.1.1,
//! 118 by pyreadstat 1.3.8 (the arm a labelled 0/1 variable); Parquet and Feather by pyarrow
//! 26.0.1; XLSX by pandas + openpyxl 3.1.5; and three CSV dialects by pandas: missing as −999,
//! semicolons with decimal commas, Latin-1 with CRLF line ends.
#![cfg(all(feature = "dta", feature = "parquet", feature = "xlsx"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use trialstats_data::read::{DecimalMark, ReadOptions, TextEncoding};
use trialstats_data::{ColumnData, DataTable};

fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/formats")
        .join(name)
}

fn read(name: &str, options: &ReadOptions) -> DataTable {
    DataTable::read(&path(name), options).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The numbers of a column, by bits.
fn bits(t: &DataTable, col: &str) -> Vec<Option<u64>> {
    t.numeric(col)
        .unwrap_or_else(|e| panic!("{e}"))
        .iter()
        .map(|v| v.map(f64::to_bits))
        .collect()
}

fn texts(t: &DataTable, col: &str) -> Vec<Option<String>> {
    let c = t.column(col).unwrap();
    (0..t.nrows()).map(|i| c.text(i)).collect()
}

/// The arm as its labels: text columns as they are, labelled codes through their labels.
fn arm(t: &DataTable) -> Vec<Option<String>> {
    let c = t.column("arm").unwrap();
    match (&c.data, &c.labels) {
        (ColumnData::Numeric(v), Some(labels)) => v
            .iter()
            .map(|x| {
                let x = (*x)?;
                labels
                    .iter()
                    .find(|(v, _)| v.to_bits() == x.to_bits())
                    .map(|(_, l)| l.clone())
            })
            .collect(),
        _ => texts(t, "arm"),
    }
}

#[test]
fn every_format_reads_to_the_same_values() {
    let default = ReadOptions::default();
    let reference = read("trial.csv", &default);
    assert_eq!(reference.nrows(), 252);
    assert_eq!(
        reference
            .numeric("y")
            .unwrap()
            .iter()
            .filter(|v| v.is_none())
            .count(),
        5
    );
    let cases: Vec<(&str, ReadOptions)> = vec![
        ("trial_haven_118.dta", default.clone()),
        ("trial_pandas_114.dta", default.clone()),
        ("trial_pandas_118.dta", default.clone()),
        ("trial_pyreadstat_118.dta", default.clone()),
        ("trial.parquet", default.clone()),
        ("trial.feather", default.clone()),
        ("trial.xlsx", default.clone()),
        (
            "trial_minus999.csv",
            ReadOptions {
                na: vec!["-999".into()],
                ..default.clone()
            },
        ),
        (
            "trial_semicolon.csv",
            ReadOptions {
                decimal: DecimalMark::Comma,
                ..default.clone()
            },
        ),
        (
            "trial_latin1.csv",
            ReadOptions {
                encoding: TextEncoding::Latin1,
                ..default.clone()
            },
        ),
    ];
    for (name, options) in cases {
        let t = read(name, &options);
        assert_eq!(t.nrows(), 252, "{name}");
        for col in ["id", "female", "base", "y"] {
            assert_eq!(bits(&t, col), bits(&reference, col), "{name}: {col}");
        }
        assert_eq!(
            texts(&t, "centre"),
            texts(&reference, "centre"),
            "{name}: centre"
        );
        assert_eq!(arm(&t), arm(&reference), "{name}: arm");
    }
}

#[test]
fn stata_value_and_variable_labels_are_kept() {
    let t = read("trial_haven_118.dta", &ReadOptions::default());
    let arm = t.column("arm").unwrap();
    assert!(matches!(arm.data, ColumnData::Numeric(_)));
    assert_eq!(
        arm.labels.as_deref(),
        Some(
            &[
                (0.0, "usual care".to_string()),
                (1.0, "intervention".to_string())
            ][..]
        )
    );
    assert_eq!(arm.description.as_deref(), Some("Randomised arm"));
    assert_eq!(
        t.column("y").unwrap().description.as_deref(),
        Some("HbA1c at 12 months (%)")
    );
}

#[test]
fn a_missing_value_code_read_as_a_value_is_warned_about() {
    let t = read("trial_minus999.csv", &ReadOptions::default());
    let w = t.warnings();
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].0, "y");
    assert!(
        w[0].1.contains("-999 in 5 row(s)") && w[0].1.contains("--na -999"),
        "{}",
        w[0].1
    );
    // Read with --na -999: no warning.
    let fixed = read(
        "trial_minus999.csv",
        &ReadOptions {
            na: vec!["-999".into()],
            ..ReadOptions::default()
        },
    );
    assert!(fixed.warnings().is_empty());
}

#[test]
fn tables_written_as_dta_and_parquet_read_back_the_same() {
    let reference = read("trial.csv", &ReadOptions::default());
    let dir = std::env::temp_dir().join(format!("trialstats-write-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for ext in ["dta", "parquet", "csv"] {
        let path = dir.join(format!("trial.{ext}"));
        reference.write(&path).unwrap();
        let back = DataTable::read(&path, &ReadOptions::default()).unwrap();
        for col in ["id", "female", "base", "y"] {
            assert_eq!(bits(&back, col), bits(&reference, col), "{ext}: {col}");
        }
        for col in ["centre", "arm"] {
            assert_eq!(texts(&back, col), texts(&reference, col), "{ext}: {col}");
        }
    }
    // Another extension is refused, naming the formats written.
    let e = reference.write(&dir.join("trial.xlsx")).unwrap_err();
    assert!(e.to_string().contains(".csv, .dta or .parquet"), "{e}");
}
