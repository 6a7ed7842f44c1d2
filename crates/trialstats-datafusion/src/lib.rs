//! Cluster-robust least squares and logit on Apache DataFusion tables: the models of
//! `trialstats-robust` for data that does not fit in memory (a directory of Parquet files, a
//! partitioned table), with the same [`trialstats_core::Inference`].
//!
//! Least squares with iid, HC0–HC3 and CR0–CR3 standard errors needs only sums over rows:
//! XᵀX, Xᵀy and yᵀy, and per cluster X_gᵀX_g and X_gᵀy_g. The logit needs one such sum per Newton
//! step (the information, the score and the log-likelihood at the current β). These are
//! [aggregate functions](aggregate) whose partial states merge across partitions, so DataFusion
//! scans, partitions, groups by the cluster column and spills as it does for any `GROUP BY`;
//! nothing here reads a file itself.
//!
//! - [`ols`] and [`logit`] fit a formula on a [`datafusion::dataframe::DataFrame`] (and
//!   [`ols_table`], [`logit_table`] on a table registered in a
//!   [`datafusion::prelude::SessionContext`]);
//! - the formula's design columns are DataFusion expressions built from
//!   [`trialstats_data::DesignPlan`], so `factor()`, interactions and transformations give the
//!   columns (and names) of the in-memory frame; rows with a missing value in any model column
//!   are dropped and counted, as in memory;
//! - each product is rounded once and summed in double-double (Ogita, Rump & Oishi 2005), so
//!   neither the order of the rows nor how partitions split and merge changes a sum beyond its
//!   last bit, and the fit equals the in-memory fit to about 10⁻¹² relative on
//!   well-conditioned designs (the difference is the in-memory fit's own rounding).
//!
//! # Examples
//! A directory of Parquet files (here two, written by DataFusion itself), read as one table:
//! ```
//! use std::sync::Arc;
//! use datafusion::arrow::array::{Float64Array, Int64Array, RecordBatch};
//! use datafusion::arrow::datatypes::{DataType, Field, Schema};
//! use datafusion::dataframe::DataFrameWriteOptions;
//! use datafusion::prelude::{ParquetReadOptions, SessionContext};
//! use trialstats_datafusion::{FitOptions, ols_table};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = std::env::temp_dir().join(format!("trialstats-df-doc-{}", std::process::id()));
//! let schema = Arc::new(Schema::new(vec![
//!     Field::new("y", DataType::Float64, true),
//!     Field::new("x", DataType::Float64, true),
//!     Field::new("g", DataType::Int64, true),
//! ]));
//! let ctx = SessionContext::new();
//! let parts = [
//!     (vec![2.1, 3.9, 1.5, 5.2, 4.1, 3.3], vec![1.2, 2.3, 0.7, 3.1, 2.8, 1.9], vec![1, 1, 1, 2, 2, 3]),
//!     (vec![1.8, 2.2, 3.9, 6.1, 4.4, 2.0], vec![0.4, 1.6, 2.2, 3.5, 2.9, 1.1], vec![3, 3, 3, 4, 4, 4]),
//! ];
//! for (i, (y, x, g)) in parts.into_iter().enumerate() {
//!     let batch = RecordBatch::try_new(Arc::clone(&schema), vec![
//!         Arc::new(Float64Array::from(y)), Arc::new(Float64Array::from(x)), Arc::new(Int64Array::from(g)),
//!     ])?;
//!     let file = dir.join(format!("part-{i}.parquet"));
//!     ctx.read_batch(batch)?
//!         .write_parquet(file.to_str().ok_or("path")?, DataFrameWriteOptions::new(), None)
//!         .await?;
//! }
//! ctx.register_parquet("trial", dir.to_str().ok_or("path")?, ParquetReadOptions::default()).await?;
//! let fit = ols_table(&ctx, "trial", "y ~ x", &FitOptions::cr1("g")).await?;
//! // R: sqrt(diag(sandwich::vcovCL(lm(y ~ x, d), cluster = ~g, type = "HC1")))[2]
//! assert!((fit.inference.coefficients[1].std_error - 0.11771353286507935).abs() < 1e-14);
//! assert_eq!(fit.n_clusters, Some(4));
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(()) }
//! ```
//!
//! # References
//! Ogita, Rump & Oishi (2005), "Accurate sum and dot product", SIAM J. Sci. Comput.
//! 26(6):1955–1988, doi:10.1137/030601818.
//! Liang & Zeger (1986), Biometrika 73(1):13–22, doi:10.1093/biomet/73.1.13.
//! Lamb et al. (2024), "Apache Arrow DataFusion: a fast, embeddable, modular analytic query
//! engine", SIGMOD '24, doi:10.1145/3626246.3653368.
#![forbid(unsafe_code)]

pub mod aggregate;
pub mod codec;
mod design;
pub mod error;
mod fit;

pub use error::ScaleError;
pub use fit::{FitOptions, Progress, ProgressFn, ScaleFit, Se, logit, logit_table, ols, ols_table};
