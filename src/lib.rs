//! trialstats: statistics for cluster randomised trials in chronic-disease care.
//!
//! This facade only re-exports the workspace's crates:
//! - [`core`]: shared numerics, inference types, tables (`trialstats-core`);
//! - [`data`]: data tables, CSV, formulas and embedded datasets (`trialstats-data`).
//! - [`robust`]: OLS with HC and cluster-robust covariances (`trialstats-robust`).
#![forbid(unsafe_code)]

pub use trialstats_core as core;
pub use trialstats_data as data;
pub use trialstats_robust as robust;
