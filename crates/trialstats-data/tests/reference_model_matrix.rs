//! Design matrices checked against R's `model.matrix`.
//!
//! Reference: R 4.2.2, on the embedded `wine` data with `temp` and `contact` as factors:
//! ```r
//! w <- read.csv("wine.csv"); w$temp <- factor(w$temp); w$contact <- factor(w$contact)
//! m <- model.matrix(f, w); colnames(m); colSums(m)
//! ```
//! Column sums are exact integers (indicators) or sums of the integer `response`, so they are
//! compared exactly up to rounding of the summation (abs 1e-9).

// Test code: a failed unwrap is a failed test, reported with its value.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use trialstats_core::testing::Tol;
use trialstats_data::{DataError, Formula, FrameOptions, ModelFrame, datasets};

fn frame(formula: &str, check_rank: bool) -> ModelFrame {
    let wine = datasets::wine().unwrap();
    let f = Formula::parse(formula).unwrap();
    ModelFrame::new(
        &wine,
        &f,
        &FrameOptions {
            clusters: vec![],
            check_rank,
        },
    )
    .unwrap()
}

fn check(formula: &str, names: &[&str], sums: &[f64]) {
    // Rank-deficient designs (a full set of interaction indicators with an intercept) are built
    // with the rank check off, as model.matrix does.
    let mf = frame(formula, false);
    assert_eq!(mf.column_names, names, "{formula}");
    assert_eq!(mf.x.nrows(), 72, "{formula}");
    let got: Vec<f64> = mf.x.column_iter().map(|c| c.sum()).collect();
    Tol::abs(1e-9).check_slice(formula, &got, sums).unwrap();
}

#[test]
fn wine_designs_match_r_model_matrix() {
    check(
        "rating ~ temp + contact",
        &["(Intercept)", "tempwarm", "contactyes"],
        &[72.0, 36.0, 36.0],
    );
    check(
        "rating ~ temp*contact",
        &[
            "(Intercept)",
            "tempwarm",
            "contactyes",
            "tempwarm:contactyes",
        ],
        &[72.0, 36.0, 36.0, 18.0],
    );
    check(
        "response ~ temp:contact",
        &[
            "(Intercept)",
            "tempcold:contactno",
            "tempwarm:contactno",
            "tempcold:contactyes",
            "tempwarm:contactyes",
        ],
        &[72.0, 18.0, 18.0, 18.0, 18.0],
    );
    check(
        "response ~ temp:contact - 1",
        &[
            "tempcold:contactno",
            "tempwarm:contactno",
            "tempcold:contactyes",
            "tempwarm:contactyes",
        ],
        &[18.0; 4],
    );
    check(
        "response ~ contact + temp - 1",
        &["contactno", "contactyes", "tempwarm"],
        &[36.0; 3],
    );
    let mut judges = vec!["(Intercept)".to_string()];
    judges.extend((2..=9).map(|j| format!("factor(judge){j}")));
    judges.push("tempwarm".into());
    let names: Vec<&str> = judges.iter().map(String::as_str).collect();
    let mut sums = vec![72.0];
    sums.extend([8.0; 8]);
    sums.push(36.0);
    check("rating ~ factor(judge) + temp", &names, &sums);
    check(
        "rating ~ response:temp",
        &["(Intercept)", "response:tempcold", "response:tempwarm"],
        &[72.0, 1289.0, 2111.0],
    );
    check(
        "rating ~ response*temp + contact",
        &[
            "(Intercept)",
            "response",
            "tempwarm",
            "contactyes",
            "response:tempwarm",
        ],
        &[72.0, 3400.0, 36.0, 36.0, 2111.0],
    );
    check(
        "rating ~ temp + temp:contact",
        &[
            "(Intercept)",
            "tempwarm",
            "tempcold:contactyes",
            "tempwarm:contactyes",
        ],
        &[72.0, 36.0, 18.0, 18.0],
    );
    check(
        "rating ~ contact:temp + temp",
        &[
            "(Intercept)",
            "tempwarm",
            "contactyes:tempcold",
            "contactyes:tempwarm",
        ],
        &[72.0, 36.0, 18.0, 18.0],
    );
}

#[test]
fn wine_rows_and_indicator_values() {
    let mf = frame("rating ~ temp + contact", true);
    assert_eq!(mf.nobs(), 72);
    assert_eq!(mf.dropped.count(), 0);
    // wine.csv rows 1 and 5: (rating 2, cold, no) and (rating 4, warm, no).
    assert_eq!(
        mf.x.row(0).iter().copied().collect::<Vec<_>>(),
        vec![1.0, 0.0, 0.0]
    );
    assert_eq!(
        mf.x.row(4).iter().copied().collect::<Vec<_>>(),
        vec![1.0, 1.0, 0.0]
    );
    let y = mf.y().unwrap();
    Tol::abs(0.0)
        .check_slice("rating", &[y[0], y[4]], &[2.0, 4.0])
        .unwrap();
    assert_eq!(
        mf.terms
            .iter()
            .map(|t| t.label.as_str())
            .collect::<Vec<_>>(),
        ["(Intercept)", "temp", "contact"]
    );
}

#[test]
fn reference_level_moves_first() {
    let mf = frame("rating ~ factor(temp, ref = \"warm\") + contact", true);
    assert_eq!(
        mf.column_names,
        ["(Intercept)", "factor(temp)cold", "contactyes"]
    );
    let wine = datasets::wine().unwrap();
    let f = Formula::parse("rating ~ factor(temp, ref = \"hot\")").unwrap();
    let e = ModelFrame::new(&wine, &f, &FrameOptions::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "wine: `hot` is not a level of `temp`; its levels are cold, warm"
    );
}

#[test]
fn aliased_interaction_is_named_as_r_lm_does() {
    // R 4.2.2: coef(lm(response ~ temp:contact, wine)) is NA for tempwarm:contactyes only.
    let wine = datasets::wine().unwrap();
    let f = Formula::parse("response ~ temp:contact").unwrap();
    let e = ModelFrame::new(&wine, &f, &FrameOptions::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the design matrix is rank deficient (rank 4 of 5 columns): `tempwarm:contactyes` is aliased with earlier columns"
    );
    assert!(matches!(e, DataError::Linalg(_)));
}

#[test]
fn petersen_firm_and_year_clusters() {
    let p = datasets::petersen().unwrap();
    let f = Formula::parse("y ~ x").unwrap();
    let opts = FrameOptions {
        clusters: vec!["firm".into(), "year".into()],
        check_rank: true,
    };
    let mf = ModelFrame::new(&p, &f, &opts).unwrap();
    assert_eq!(mf.nobs(), 5000);
    assert_eq!(mf.column_names, ["(Intercept)", "x"]);
    assert_eq!(mf.clusters[0].n_clusters(), 500);
    assert_eq!(mf.clusters[1].n_clusters(), 10);
    assert!(mf.clusters[0].sizes().iter().all(|&s| s == 10));
    assert!(mf.warnings.is_empty());
}

#[test]
fn nhanes_listwise_deletion_is_counted() {
    // R 4.2.2 + mice: nrow(na.omit(nhanes[, c("chl", "age", "bmi")])) = 13 of 25;
    // colSums(is.na(nhanes)): bmi 9, chl 10.
    let t = datasets::nhanes().unwrap();
    let f = Formula::parse("chl ~ age + bmi").unwrap();
    let mf = ModelFrame::new(&t, &f, &FrameOptions::default()).unwrap();
    assert_eq!(mf.nobs(), 13);
    assert_eq!(mf.dropped.count(), 12);
    assert_eq!(
        mf.dropped.by_variable,
        vec![
            ("chl".to_string(), 10),
            ("age".to_string(), 0),
            ("bmi".to_string(), 9)
        ]
    );
    assert_eq!(
        mf.warnings[0],
        "12 of 25 rows dropped for missing values (missing per variable: chl: 10, bmi: 9)"
    );
}

#[test]
fn nhanes2_categorical_predictors() {
    // R 4.2.2: model.matrix(chl ~ age + hyp, nhanes2): (Intercept), age40-59, age60-99, hypyes; 14 rows.
    let t = datasets::nhanes2().unwrap();
    let f = Formula::parse("chl ~ age + hyp").unwrap();
    let mf = ModelFrame::new(&t, &f, &FrameOptions::default()).unwrap();
    assert_eq!(
        mf.column_names,
        ["(Intercept)", "age40-59", "age60-99", "hypyes"]
    );
    assert_eq!(mf.nobs(), 14);
}
