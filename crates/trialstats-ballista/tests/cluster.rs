//! A Ballista scheduler and two executors in this process, on loopback: the regressions of
//! `trialstats-datafusion` on a partitioned Parquet dataset give the same numbers as DataFusion
//! on one machine.
#![allow(clippy::expect_used)] // Test set-up: a failed step is a failed test.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use trialstats_datafusion::{FitOptions, ScaleFit, Se, logit, ols};
use trialstats_sandwich::{CrType, HcType};

/// 4000 rows, 30 clusters, two arms, a transformation's input and some missing values, in six
/// Parquet files.
async fn write_dataset(dir: &std::path::Path) {
    let n = 4000;
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut y = Vec::new();
    let mut b = Vec::new();
    let mut x = Vec::new();
    let mut w = Vec::new();
    let mut arm = Vec::new();
    let mut g = Vec::new();
    for i in 0..n {
        let gi = (i % 30) as i64;
        let xi = 10.0 * next();
        let wi = 0.5 + next();
        let peer = gi % 2 == 1;
        let e = next() - 0.5;
        y.push(
            2.0 + 0.3 * xi + 0.8 * wi.ln() - if peer { 0.5 } else { 0.0 }
                + 0.2 * (gi % 7) as f64
                + e,
        );
        b.push(i64::from(next() < 1.0 / (1.0 + (2.0 - 0.3 * xi).exp())));
        x.push((i % 41 != 3).then_some(xi));
        w.push(wi);
        arm.push(if peer { "peer" } else { "control" });
        g.push((i % 173 != 9).then_some(gi));
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new("y", DataType::Float64, true),
        Field::new("b", DataType::Int64, true),
        Field::new("x", DataType::Float64, true),
        Field::new("w", DataType::Float64, true),
        Field::new("arm", DataType::Utf8, true),
        Field::new("g", DataType::Int64, true),
    ]));
    let ctx = SessionContext::new();
    let parts = 6;
    for p in 0..parts {
        let (a, z) = (p * n / parts, (p + 1) * n / parts);
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Float64Array::from(y[a..z].to_vec())),
            Arc::new(Int64Array::from(b[a..z].to_vec())),
            Arc::new(Float64Array::from(x[a..z].to_vec())),
            Arc::new(Float64Array::from(w[a..z].to_vec())),
            Arc::new(StringArray::from(arm[a..z].to_vec())),
            Arc::new(Int64Array::from(g[a..z].to_vec())),
        ];
        let batch = RecordBatch::try_new(Arc::clone(&schema), columns).expect("a batch");
        let path = dir.join(format!("part-{p}.parquet"));
        ctx.read_batch(batch)
            .expect("a frame")
            .write_parquet(
                path.to_str().expect("UTF-8"),
                DataFrameWriteOptions::new(),
                None,
            )
            .await
            .expect("written");
    }
}

async fn fits(ctx: &SessionContext, dir: &str) -> Vec<ScaleFit> {
    ctx.register_parquet("trial", dir, ParquetReadOptions::default())
        .await
        .expect("registered");
    let df = ctx.table("trial").await.expect("the table");
    let cr = |kind| FitOptions {
        se: Se::Cluster {
            column: "g".into(),
            kind,
        },
        ..FitOptions::default()
    };
    let formula = "y ~ x + log(w) + arm";
    vec![
        ols(&df, dir, formula, &cr(CrType::Cr1))
            .await
            .expect("OLS CR1"),
        ols(&df, dir, formula, &cr(CrType::Cr3 { jackknife: false }))
            .await
            .expect("OLS CR3"),
        ols(
            &df,
            dir,
            formula,
            &FitOptions {
                se: Se::Hc(HcType::Hc2),
                ..FitOptions::default()
            },
        )
        .await
        .expect("OLS HC2"),
        logit(&df, dir, "b ~ x + arm", &cr(CrType::Cr1))
            .await
            .expect("logit CR1"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_ballista_cluster_gives_the_numbers_of_one_machine() {
    let dir = std::env::temp_dir().join(format!("trialstats-ballista-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a directory");
    write_dataset(&dir).await;
    let path = dir.to_str().expect("UTF-8").to_owned();
    let local = fits(&SessionContext::new(), &path).await;
    let (cluster, _addr) = trialstats_ballista::start_local_cluster(2, 2)
        .await
        .expect("a scheduler and two executors");
    let remote = fits(&cluster, &path).await;
    // The queries ran on the cluster: the client's plan is Ballista's distributed query.
    let df = cluster.table("trial").await.expect("the table");
    let plan = df
        .aggregate(
            vec![],
            vec![
                trialstats_datafusion::aggregate::moments(1)
                    .call(vec![datafusion::prelude::col("y")]),
            ],
        )
        .expect("a query")
        .create_physical_plan()
        .await
        .expect("a plan");
    let shown = datafusion::physical_plan::displayable(plan.as_ref())
        .indent(true)
        .to_string();
    assert!(shown.contains("DistributedQueryExec"), "{shown}");
    for (l, r) in local.iter().zip(&remote) {
        let what = format!("{} {}", l.model, l.inference.covariance.label);
        assert_eq!(l.inference.nobs, r.inference.nobs, "{what}");
        assert_eq!(l.dropped, r.dropped, "{what}");
        assert_eq!(l.n_clusters, r.n_clusters, "{what}");
        assert_eq!(l.warnings, r.warnings, "{what}");
        for (a, b) in l
            .inference
            .coefficients
            .iter()
            .zip(&r.inference.coefficients)
        {
            assert_eq!(a.term, b.term, "{what}");
            // Products rounded once and summed in double-double: however the executors split
            // the files, the same bits (a tie at a rounding boundary could move the last one).
            for (x, y) in [(a.estimate, b.estimate), (a.std_error, b.std_error)] {
                assert!(
                    (x - y).abs() <= 4.0 * f64::EPSILON * x.abs(),
                    "{what} {}: {x} v. {y}",
                    a.term
                );
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
