//! Data for trialstats: tables, CSV, formulas, design matrices and the embedded public datasets.
//!
//! - [`DataTable`]: columns of `Option<f64>` or categorical codes, read from CSV with errors that
//!   name the file, row, column and value;
//! - [`Formula`]: the R/Wilkinson subset `y ~ a + factor(b, ref = "x") + a:c + d*e - 1`;
//! - [`ModelFrame`]: the design matrix with R's column names and treatment contrasts, listwise
//!   deletion that reports what it dropped, cluster membership, and a rank check naming aliased
//!   columns;
//! - [`datasets`]: Petersen's clustered-SE data, `wine`, `nhanes` and `nhanes2`.
//!
//! ```
//! use trialstats_data::{datasets, Formula, FrameOptions, ModelFrame};
//! let petersen = datasets::petersen().unwrap();
//! let f = Formula::parse("y ~ x").unwrap();
//! let opts = FrameOptions { clusters: vec!["firm".into()], ..FrameOptions::default() };
//! let mf = ModelFrame::new(&petersen, &f, &opts).unwrap();
//! assert_eq!((mf.nobs(), mf.clusters[0].n_clusters()), (5000, 500));
//! ```
#![forbid(unsafe_code)]

pub mod datasets;
pub mod design;
pub mod error;
pub mod expr;
pub mod formula;
pub mod read;
pub mod table;
mod write;

pub use design::{
    DesignPlan, Dropped, FrameOptions, ModelFrame, Part, PlannedColumn, Response, TermColumns,
};
pub use error::DataError;
pub use formula::{Formula, Term, Variable};
pub use read::{DecimalMark, FileFormat, ReadOptions, TextEncoding};
pub use table::{Column, ColumnData, DataTable};
