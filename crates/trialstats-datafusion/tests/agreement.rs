//! The DataFusion fits against the in-memory fits of the same data (`trialstats-models`, the
//! engine of `trialstats regress --engine memory`), on Parquet files in several partitions.

#![allow(clippy::expect_used)] // Test helpers: a failed set-up is a failed test.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use trialstats_core::Inference;
use trialstats_data::DataTable;
use trialstats_datafusion::{FitOptions, ScaleError, ScaleFit, Se, logit_table, ols_table};
use trialstats_sandwich::{CrType, HcType};

/// One row of the test trial: 40 clusters, two arms, five sites, a few missing values.
struct Row {
    y: f64,
    b: Option<i64>,
    x1: f64,
    x2: Option<f64>,
    arm: &'static str,
    site: i64,
    g: Option<i64>,
}

/// A deterministic pseudo-random trial (a 64-bit LCG; no dependence on a crate's generator).
fn trial(n: usize) -> Vec<Row> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 11) as f64) / (1u64 << 53) as f64
    };
    (0..n)
        .map(|i| {
            let g = (i % 40) as i64 + 1;
            let arm = if g % 2 == 0 { "peer" } else { "control" };
            let site = (g % 5) + 1;
            let x1 = 50.0 + 10.0 * (next() - 0.5) + 0.1 * g as f64;
            let x2 = 0.5 + 3.0 * next();
            let u = next() - 0.5;
            let y = 1.5
                + 0.04 * x1
                + 0.7 * x2.ln()
                + if arm == "peer" { -0.4 } else { 0.0 }
                + 0.05 * site as f64
                + 0.3 * ((g * 7919) % 13) as f64 / 13.0
                + u;
            let p = 1.0 / (1.0 + (-(-3.0 + 0.05 * x1 + 0.4 * u)).exp());
            let b = i64::from(next() < p);
            Row {
                y,
                b: (i % 97 != 5).then_some(b),
                x1,
                x2: (i % 53 != 7).then_some(x2),
                arm,
                site,
                g: (i % 211 != 3).then_some(g),
            }
        })
        .collect()
}

fn batch(rows: &[Row]) -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![
        Field::new("y", DataType::Float64, true),
        Field::new("b", DataType::Int64, true),
        Field::new("x1", DataType::Float64, true),
        Field::new("x2", DataType::Float64, true),
        Field::new("arm", DataType::Utf8, true),
        Field::new("site", DataType::Int64, true),
        Field::new("g", DataType::Int64, true),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.y))),
        Arc::new(Int64Array::from_iter(rows.iter().map(|r| r.b))),
        Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.x1))),
        Arc::new(Float64Array::from_iter(rows.iter().map(|r| r.x2))),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.arm))),
        Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.site))),
        Arc::new(Int64Array::from_iter(rows.iter().map(|r| r.g))),
    ];
    RecordBatch::try_new(schema, columns).expect("a valid batch")
}

/// The same rows as a CSV table for the in-memory engine (Rust prints each double so that it
/// reads back as the same bits; an empty cell is missing).
fn csv_table(rows: &[Row]) -> DataTable {
    let opt = |v: Option<String>| v.unwrap_or_default();
    let mut text = String::from("y,b,x1,x2,arm,site,g\n");
    for r in rows {
        text.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            r.y,
            opt(r.b.map(|v| v.to_string())),
            r.x1,
            opt(r.x2.map(|v| v.to_string())),
            r.arm,
            r.site,
            opt(r.g.map(|v| v.to_string()))
        ));
    }
    DataTable::from_csv_str("trial.csv", &text).expect("the CSV reads")
}

/// A fresh directory under the system's temporary directory.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trialstats-df-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

/// Writes `rows` as `parts` Parquet files (row order kept, or reversed) and registers the
/// directory as table `trial`.
async fn register(rows: &[Row], dir: &Path, parts: usize, reverse: bool) -> SessionContext {
    let ctx = SessionContext::new();
    let n = rows.len();
    let mut order: Vec<usize> = (0..parts).collect();
    if reverse {
        order.reverse();
    }
    for (file, p) in order.into_iter().enumerate() {
        let (a, b) = (p * n / parts, (p + 1) * n / parts);
        let path = dir.join(format!("part-{file:02}.parquet"));
        ctx.read_batch(batch(&rows[a..b]))
            .expect("a frame")
            .write_parquet(
                path.to_str().expect("a UTF-8 path"),
                DataFrameWriteOptions::new(),
                None,
            )
            .await
            .expect("written");
    }
    ctx.register_parquet(
        "trial",
        dir.to_str().expect("a UTF-8 path"),
        ParquetReadOptions::default(),
    )
    .await
    .expect("registered");
    ctx
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-300)
}

/// Every coefficient, SE, df, p-value and interval agree to `rel`.
fn assert_agree(scale: &Inference, memory: &Inference, rel: f64, what: &str) {
    let worst = scale
        .coefficients
        .iter()
        .zip(&memory.coefficients)
        .flat_map(|(s, m)| {
            [(s.estimate, m.estimate), (s.std_error, m.std_error)]
                .map(|(a, b)| (a - b).abs() / b.abs().max(1e-300))
        })
        .fold(0.0_f64, f64::max);
    eprintln!("{what}: largest relative difference of estimates and SEs {worst:.1e}");
    assert_eq!(scale.nobs, memory.nobs, "{what}: nobs");
    assert_eq!(scale.n_clusters, memory.n_clusters, "{what}: clusters");
    assert_eq!(scale.covariance.label, memory.covariance.label, "{what}");
    assert_eq!(
        scale.covariance.description, memory.covariance.description,
        "{what}"
    );
    assert_eq!(
        scale.coefficients.len(),
        memory.coefficients.len(),
        "{what}"
    );
    for (s, m) in scale.coefficients.iter().zip(&memory.coefficients) {
        assert_eq!(s.term, m.term, "{what}");
        for (name, a, b) in [
            ("estimate", s.estimate, m.estimate),
            ("std_error", s.std_error, m.std_error),
            ("statistic", s.statistic, m.statistic),
        ] {
            assert!(
                close(a, b, rel),
                "{what}: {} {name}: {a:e} v. {b:e}",
                s.term
            );
        }
        // An interval's ends are θ̂ ± q·SE: their error is on the scale of |θ̂| + q·SE.
        let scale_of = m.estimate.abs() + (m.ci_high - m.ci_low).abs();
        for (name, a, b) in [
            ("ci_low", s.ci_low, m.ci_low),
            ("ci_high", s.ci_high, m.ci_high),
        ] {
            assert!(
                (a - b).abs() <= rel * scale_of,
                "{what}: {} {name}: {a:e} v. {b:e}",
                s.term
            );
        }
        // A p-value's relative error is its statistic's times |t|·f(t)/p (about 5 here).
        assert!(
            (s.p_value - m.p_value).abs() <= 10.0 * rel * m.p_value.max(1e-300) + 1e-15,
            "{what}: {} p: {:e} v. {:e}",
            s.term,
            s.p_value,
            m.p_value
        );
        match (s.df, m.df) {
            (Some(a), Some(b)) => assert!(close(a, b, rel), "{what}: df {a} v. {b}"),
            (a, b) => assert_eq!(a, b, "{what}: df"),
        }
    }
}

/// The DataFusion fit dropped, counted and warned as the in-memory fit of the same rows.
fn assert_same_deletion(scale: &ScaleFit, memory: &trialstats_models::Fit, what: &str) {
    assert_eq!(scale.dropped, memory.frame().dropped.count(), "{what}");
    assert_eq!(
        scale.missing_by_variable,
        memory.frame().dropped.by_variable,
        "{what}"
    );
    assert_eq!(scale.warnings, memory.warnings(), "{what}");
}

const FORMULA: &str = "y ~ x1 + log(x2) + arm * x1 + factor(site)";

#[tokio::test]
async fn least_squares_matches_the_in_memory_fit_for_every_covariance() {
    let rows = trial(3000);
    let dir = scratch("ols");
    let ctx = register(&rows, &dir, 4, false).await;
    let table = csv_table(&rows);
    let cases: Vec<(Se, trialstats_models::Se, bool)> = vec![
        (Se::Iid, trialstats_models::Se::Model, false),
        (
            Se::Hc(HcType::Hc0),
            trialstats_models::Se::Hc(HcType::Hc0),
            false,
        ),
        (
            Se::Hc(HcType::Hc1),
            trialstats_models::Se::Hc(HcType::Hc1),
            false,
        ),
        (
            Se::Hc(HcType::Hc2),
            trialstats_models::Se::Hc(HcType::Hc2),
            false,
        ),
        (
            Se::Hc(HcType::Hc3),
            trialstats_models::Se::Hc(HcType::Hc3),
            false,
        ),
        (
            cluster(CrType::Cr0),
            trialstats_models::Se::Cluster(CrType::Cr0),
            true,
        ),
        (cluster(CrType::Cr1), trialstats_models::Se::CR1, true),
        (cluster(CrType::Cr2), trialstats_models::Se::CR2, true),
        (
            cluster(CrType::Cr3 { jackknife: false }),
            trialstats_models::Se::Cluster(CrType::Cr3 { jackknife: false }),
            true,
        ),
        (
            cluster(CrType::Cr3 { jackknife: true }),
            trialstats_models::Se::Cluster(CrType::Cr3 { jackknife: true }),
            true,
        ),
    ];
    for (se, memory_se, clustered) in cases {
        let options = FitOptions {
            se: se.clone(),
            ..FitOptions::default()
        };
        let scale = ols_table(&ctx, "trial", FORMULA, &options)
            .await
            .expect("the DataFusion fit");
        let mut model = trialstats_models::ols(FORMULA).se(memory_se);
        if clustered {
            model = model.cluster("g");
        }
        let memory = model.fit(&table).expect("the in-memory fit");
        let what = format!("OLS {se:?}");
        assert_agree(&scale.inference, memory.inference(), 1e-12, &what);
        assert_same_deletion(&scale, &memory, &what);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A formula of numeric columns only: the fit reads the table once, counting listwise deletion
/// in the moments' query (the rows missing `x2` or `g`, and a cluster none of whose rows is
/// complete, left out as in memory).
#[tokio::test]
async fn the_one_pass_fit_counts_deletion_as_the_in_memory_frame() {
    let mut rows = trial(2400);
    for r in rows.iter_mut().filter(|r| r.g == Some(17)) {
        r.x2 = None;
    }
    let dir = scratch("one-pass");
    let ctx = register(&rows, &dir, 3, false).await;
    let table = csv_table(&rows);
    for (formula, logit) in [("y ~ x1 + log(x2)", false), ("b ~ x1 + x2", true)] {
        for (se, memory_se) in [
            (Se::Iid, trialstats_models::Se::Model),
            (cluster(CrType::Cr1), trialstats_models::Se::CR1),
        ] {
            let options = FitOptions {
                se: se.clone(),
                ..FitOptions::default()
            };
            let (scale, model) = if logit {
                (
                    logit_table(&ctx, "trial", formula, &options).await,
                    trialstats_models::logit(formula),
                )
            } else {
                (
                    ols_table(&ctx, "trial", formula, &options).await,
                    trialstats_models::ols(formula),
                )
            };
            let scale = scale.expect("the DataFusion fit");
            let mut model = model.se(memory_se);
            if matches!(se, Se::Cluster { .. }) {
                model = model.cluster("g");
            }
            let memory = model.fit(&table).expect("the in-memory fit");
            let what = format!("{formula} {se:?}");
            assert_agree(&scale.inference, memory.inference(), 1e-12, &what);
            assert!(scale.dropped > 0, "{what}");
            assert_eq!(scale.nobs_total, rows.len(), "{what}");
            assert_same_deletion(&scale, &memory, &what);
            assert_eq!(scale.n_clusters, memory.inference().n_clusters, "{what}");
            if matches!(se, Se::Cluster { .. }) {
                assert_eq!(scale.n_clusters, Some(39), "{what}: cluster 17 has no row");
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn cluster(kind: CrType) -> Se {
    Se::Cluster {
        column: "g".into(),
        kind,
    }
}

#[tokio::test]
async fn the_order_of_the_partitions_does_not_change_the_fit() {
    let rows = trial(2000);
    let (d1, d2) = (scratch("order-1"), scratch("order-7"));
    let one = register(&rows, &d1, 1, false).await;
    let seven = register(&rows, &d2, 7, true).await;
    let options = FitOptions::cr1("g");
    let a: ScaleFit = ols_table(&one, "trial", FORMULA, &options)
        .await
        .expect("fit");
    let b: ScaleFit = ols_table(&seven, "trial", FORMULA, &options)
        .await
        .expect("fit");
    // Block boundaries move with the files, so the double-double sums may differ in their
    // last bits; the results agree to a few units in the last place.
    assert_agree(
        &a.inference,
        &b.inference,
        1e-14,
        "one file v. seven reversed",
    );
    let _ = std::fs::remove_dir_all(&d1);
    let _ = std::fs::remove_dir_all(&d2);
}

#[tokio::test]
async fn logit_matches_the_in_memory_fit() {
    let rows = trial(3000);
    let dir = scratch("logit");
    let ctx = register(&rows, &dir, 3, false).await;
    let table = csv_table(&rows);
    let formula = "b ~ x1 + arm + factor(site)";
    for (se, memory_se, clustered) in [
        (Se::Iid, trialstats_models::Se::Model, false),
        (cluster(CrType::Cr1), trialstats_models::Se::CR1, true),
        (
            cluster(CrType::Cr3 { jackknife: false }),
            trialstats_models::Se::Cluster(CrType::Cr3 { jackknife: false }),
            true,
        ),
    ] {
        let options = FitOptions {
            se: se.clone(),
            ..FitOptions::default()
        };
        let scale = logit_table(&ctx, "trial", formula, &options)
            .await
            .expect("the DataFusion fit");
        let mut model = trialstats_models::logit(formula).se(memory_se);
        if clustered {
            model = model.cluster("g");
        }
        let memory = model.fit(&table).expect("the in-memory fit");
        let what = format!("logit {se:?}");
        // Both Newton iterations run to the maximum's last bits: measured 2e-13 relative.
        assert_agree(&scale.inference, memory.inference(), 1e-12, &what);
        let ll = match memory.fitted() {
            trialstats_models::Fitted::Logit(f) => f.loglik(),
            _ => f64::NAN,
        };
        assert!(
            close(scale.loglik.unwrap_or(f64::NAN), ll, 1e-13),
            "{what}: loglik"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn bad_input_gets_a_clear_error() {
    let rows = trial(200);
    let dir = scratch("bad");
    let ctx = register(&rows, &dir, 2, false).await;
    let fit = |f: &'static str| {
        let ctx = ctx.clone();
        async move { ols_table(&ctx, "trial", f, &FitOptions::default()).await }
    };
    // An unknown column: named, with the columns there are.
    let e = fit("y ~ x3").await.expect_err("no column x3");
    assert!(
        e.to_string().contains("no column `x3`") && e.to_string().contains("x1"),
        "{e}"
    );
    // Text used as a number.
    let e = fit("y ~ log(arm)").await.expect_err("text");
    assert!(matches!(e, ScaleError::NotNumericType { .. }), "{e}");
    assert!(e.to_string().contains("`arm`"), "{e}");
    // A transformation that is not finite: the term and the inputs are named.
    let e = fit("y ~ log(x1 - 50)")
        .await
        .expect_err("log of a negative");
    assert!(e.to_string().contains("log(x1 - 50)"), "{e}");
    // Aliased columns are named as R names them.
    let e = fit("y ~ x1 + I(2 * x1)").await.expect_err("aliased");
    assert!(e.to_string().contains("I(2 * x1)"), "{e}");
    // A logit of an outcome that is not binary names the outcome and a value.
    let e = logit_table(&ctx, "trial", "y ~ x1", &FitOptions::default())
        .await
        .expect_err("not binary");
    assert!(matches!(e, ScaleError::NotBinary { .. }), "{e}");
    assert!(e.to_string().contains("`y` holds"), "{e}");
    // Two clusters are enough for CR1.
    let e = ols_table(&ctx, "trial", "y ~ x1", &FitOptions::cr1("arm")).await;
    assert!(e.is_ok(), "two clusters are enough for CR1");
    // A corrupt Parquet file: the error names it.
    std::fs::write(dir.join("part-99.parquet"), b"not parquet at all").expect("written");
    let ctx2 = SessionContext::new();
    let registered = ctx2
        .register_parquet(
            "trial",
            dir.to_str().expect("a UTF-8 path"),
            ParquetReadOptions::default(),
        )
        .await;
    let message = match registered {
        Err(e) => e.to_string(),
        Ok(()) => ols_table(&ctx2, "trial", "y ~ x1", &FitOptions::default())
            .await
            .expect_err("a corrupt file")
            .to_string(),
    };
    assert!(message.to_lowercase().contains("parquet"), "{message}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn an_empty_partition_changes_nothing() {
    let rows = trial(500);
    let dir = scratch("empty");
    let ctx = register(&rows, &dir, 2, false).await;
    let before = ols_table(&ctx, "trial", FORMULA, &FitOptions::cr1("g"))
        .await
        .expect("fit");
    ctx.read_batch(batch(&[]))
        .expect("a frame")
        .write_parquet(
            dir.join("part-50.parquet").to_str().expect("a UTF-8 path"),
            DataFrameWriteOptions::new(),
            None,
        )
        .await
        .expect("written");
    let ctx2 = SessionContext::new();
    ctx2.register_parquet(
        "trial",
        dir.to_str().expect("a UTF-8 path"),
        ParquetReadOptions::default(),
    )
    .await
    .expect("registered");
    let after = ols_table(&ctx2, "trial", FORMULA, &FitOptions::cr1("g"))
        .await
        .expect("fit");
    assert_agree(
        &before.inference,
        &after.inference,
        1e-15,
        "with an empty file",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn progress_reports_every_row_of_each_pass() {
    use std::sync::Mutex;
    let rows = trial(1500);
    let dir = scratch("progress");
    let ctx = register(&rows, &dir, 3, false).await;
    /// (pass, its number, rows done, rows in all).
    type Report = (String, usize, u64, u64);
    let seen: Arc<Mutex<Vec<Report>>> = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let options = FitOptions {
        se: Se::Hc(HcType::Hc1),
        progress: Some(Arc::new(move |p: trialstats_datafusion::Progress<'_>| {
            if let Ok(mut v) = sink.lock() {
                v.push((p.pass.to_string(), p.pass_number, p.rows_done, p.rows_total));
            }
        })),
        ..FitOptions::default()
    };
    let fit = ols_table(&ctx, "trial", "y ~ x1", &options)
        .await
        .expect("fit");
    let seen = seen.lock().expect("the reports");
    // Two passes (the moments, then the HC scores), each read to its last complete row.
    for (number, name) in [(1, "moments"), (2, "scores")] {
        let last = seen
            .iter()
            .filter(|r| r.1 == number)
            .map(|r| (r.0.as_str(), r.2, r.3))
            .max_by_key(|r| r.1);
        let n = fit.inference.nobs as u64;
        assert_eq!(last, Some((name, n, n)), "pass {number}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
