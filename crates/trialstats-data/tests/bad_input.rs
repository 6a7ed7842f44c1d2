//! Bad input: every case is an error of one sentence naming the file, row, column and value.

// Test code: a failed unwrap is a failed test, reported with its value.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use trialstats_core::InputError;
use trialstats_data::{ColumnData, DataError, DataTable, Formula, FrameOptions, ModelFrame};

fn read(text: &str) -> DataTable {
    DataTable::from_csv_str("trial.csv", text).unwrap()
}

fn frame(t: &DataTable, formula: &str, clusters: &[&str]) -> Result<ModelFrame, DataError> {
    let f = Formula::parse(formula)?;
    ModelFrame::new(
        t,
        &f,
        &FrameOptions {
            clusters: clusters.iter().map(|s| s.to_string()).collect(),
            check_rank: true,
        },
    )
}

#[test]
fn unknown_column_in_formula() {
    let t = read("y,arm,site\n1,a,1\n2,b,2\n3,a,2\n");
    let e = frame(&t, "y ~ amr", &[]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "trial.csv: no column `amr` (did you mean `arm`?); the columns are y, arm, site"
    );
    let e = frame(&t, "y ~ arm", &["stie"]).unwrap_err();
    assert!(
        matches!(e, DataError::UnknownColumn { ref column, .. } if column == "stie"),
        "{e}"
    );
}

#[test]
fn text_in_a_numeric_column_used_by_a_model() {
    let t = read("y,x\n1,2.5\n2,3.5\n3,n/a\n4,1\n");
    let e = frame(&t, "y ~ x", &[]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "trial.csv: column `x` mixes numbers and text: row 3 has \"n/a\" where numbers are expected"
    );
    // The same column is fine while no model uses it.
    assert!(frame(&t, "x ~ 1", &[]).is_err());
    assert!(frame(&t, "y ~ 1", &[]).is_ok());
}

#[test]
fn aliased_design_column() {
    let t = read("y,x1,x2,z\n1,1,2,0.5\n2,2,4,0.1\n3,3,6,0.7\n5,4,8,0.2\n4,5,10,0.9\n");
    let e = frame(&t, "y ~ x1 + x2 + z", &[]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the design matrix is rank deficient (rank 3 of 4 columns): `x2` is aliased with earlier columns"
    );
}

#[test]
fn missing_cluster_ids_are_dropped_and_reported() {
    let t = read("y,x,site\n1,0.1,1\n2,0.5,\n3,0.2,2\n4,0.9,2\n5,0.4,1\n");
    let mf = frame(&t, "y ~ x", &["site"]).unwrap();
    assert_eq!(mf.nobs(), 4);
    assert_eq!(mf.dropped.rows, vec![1]);
    assert_eq!(mf.clusters[0].n_clusters(), 2);
    assert!(
        mf.warnings
            .iter()
            .any(|w| w == "1 rows with a missing cluster id (`site`) were dropped"),
        "{:?}",
        mf.warnings
    );
    // Mapping a cluster column on its own refuses missing ids.
    let site: Vec<Option<String>> = (0..t.nrows())
        .map(|i| t.column("site").unwrap().data.text(i))
        .collect();
    let e = trialstats_core::Clusters::from_optional_labels("site", &site).unwrap_err();
    assert_eq!(
        e,
        InputError::MissingCluster {
            field: "site".into(),
            row: 1
        }
    );
}

#[test]
fn single_level_factor_after_deletion() {
    let t = read("y,arm\n1,a\nNA,b\n3,a\n");
    let e = frame(&t, "y ~ arm", &[]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "trial.csv: `arm` has 1 level(s) among the 2 rows used; a categorical predictor needs at least two"
    );
}

#[test]
fn no_complete_rows() {
    let t = read("y,x\n1,NA\nNA,2\n");
    let e = frame(&t, "y ~ x", &[]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "trial.csv: no rows are left after dropping the 2 rows with missing values in y, x"
    );
}

#[test]
fn categorical_response_is_kept_as_codes() {
    let t = read("y,x\nno,1\nyes,2\nno,3\n");
    let mf = frame(&t, "y ~ x", &[]).unwrap();
    assert!(mf.y().is_err());
    match &mf.response {
        trialstats_data::Response::Categorical { codes, levels } => {
            assert_eq!(codes, &[0, 1, 0]);
            assert_eq!(levels, &["no", "yes"]);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        t.column("y").unwrap().data,
        ColumnData::Categorical { .. }
    ));
}
