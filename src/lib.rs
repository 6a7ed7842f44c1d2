//! trialstats: statistics for cluster randomised trials in chronic-disease care.
//!
//! Fit a model in one expression with the [`prelude`]:
//! ```
//! use trialstats::prelude::*;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Stata's `regress y x, vce(cluster firm)` on Petersen's data.
//! let petersen = datasets::petersen()?;
//! let fit = ols("y ~ x").cluster("firm").fit(&petersen)?;
//! let x = fit.coef("x").ok_or("x is in the model")?;
//! assert!((x.std_error - 0.0506).abs() < 5e-5);   // Petersen's published Stata SE
//! assert_eq!(x.df, Some(499.0));                   // t with G − 1 df
//! # Ok(()) }
//! ```
//!
//! This facade re-exports the workspace's crates:
//! - [`models`]: one call from a formula and a table to a fit with its inference: [`ols`],
//!   [`logit`], [`clm`], [`clmm`], and pooled multiple-imputation analyses
//!   (`trialstats-models`);
//! - [`core`]: shared numerics, inference types, the confidence [`Level`], tables
//!   (`trialstats-core`);
//! - [`data`]: data tables, CSV, formulas and embedded datasets (`trialstats-data`);
//! - [`sandwich`]: the covariance layer: bread, one meat per type, `sandwich(bread, meat)`
//!   (`trialstats-sandwich`);
//! - [`robust`]: OLS and logit with HC and cluster-robust covariances, the wild cluster
//!   bootstrap (`trialstats-robust`);
//! - [`ordinal`]: cumulative link models, with a random intercept (`trialstats-ordinal`);
//! - [`ukpds`]: the UKPDS 56/60 risk equations (`trialstats-ukpds`);
//! - [`twosample`]: t, Wilcoxon, chi-square, Fisher and k-group tests (`trialstats-twosample`);
//! - [`mi`]: multiple imputation by chained equations and Rubin's rules (`trialstats-mi`);
//! - [`mixed`]: linear mixed models with random intercepts (one factor or two nested), REML/ML,
//!   Satterthwaite and Kenward–Roger df, the ICC, BLUPs (`trialstats-mixed`);
//! - [`instruments`]: scoring of PHQ-9, DDS, EQ-5D, SDSCA and (feature `mmas8`) MMAS-8
//!   (`trialstats-instruments`);
//! - [`sim`]: the seeded trial simulator, its data schema and calibration report (`trialstats-sim`);
//! - [`plan`]: analysis plans as data — a TOML plan run on a trial's file, reported with its
//!   tables, figures, assumptions and published targets (`trialstats-plan`);
//! - [`paper`]: the paper — its embedded plan `riddell2016` on the simulated trial or your data
//!   (`trialstats-paper`).
//!
//! The MMAS-8 scoring rule is licensed: the `mmas8` feature is off unless the user enables it.
#![forbid(unsafe_code)]

pub use trialstats_core as core;
pub use trialstats_data as data;
pub use trialstats_instruments as instruments;
pub use trialstats_mi as mi;
pub use trialstats_mixed as mixed;
pub use trialstats_models as models;
pub use trialstats_ordinal as ordinal;
pub use trialstats_paper as paper;
pub use trialstats_plan as plan;
pub use trialstats_robust as robust;
pub use trialstats_sandwich as sandwich;
pub use trialstats_sim as sim;
pub use trialstats_twosample as twosample;
pub use trialstats_ukpds as ukpds;

/// The README's Rust example, compiled and run as a doctest (its shell commands are run by
/// `scripts/check-readme`).
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

pub use trialstats_core::Level;
pub use trialstats_models::{clm, clmm, logit, ols};

/// Everything a model fit needs, in one import (see [`trialstats_models::prelude`]).
pub mod prelude {
    pub use trialstats_models::prelude::*;
}
