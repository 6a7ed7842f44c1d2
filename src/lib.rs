//! trialstats: statistics for cluster randomised trials in chronic-disease care.
//!
//! This facade only re-exports the workspace's crates:
//! - [`core`]: shared numerics, inference types, tables (`trialstats-core`);
//! - [`data`]: data tables, CSV, formulas and embedded datasets (`trialstats-data`);
//! - [`robust`]: OLS and logit with HC and cluster-robust covariances, the wild cluster
//!   bootstrap (`trialstats-robust`);
//! - [`ordinal`]: cumulative link models (`trialstats-ordinal`);
//! - [`ukpds`]: the UKPDS 56/60 risk equations (`trialstats-ukpds`);
//! - [`twosample`]: t, Wilcoxon, chi-square and Fisher tests (`trialstats-twosample`);
//! - [`mi`]: pooling by Rubin's rules (`trialstats-mi`).
//! - [`instruments`]: scoring of PHQ-9, DDS, EQ-5D, SDSCA and (feature `mmas8`) MMAS-8
//!   (`trialstats-instruments`);
//! - [`sim`]: the seeded trial simulator, its data schema and calibration report (`trialstats-sim`);
//! - [`paper`]: the paper pipeline — the trial's whole analysis plan and its report (`trialstats-paper`).
//!
//! # Example: Stata's `regress y x, vce(cluster firm)` on Petersen's data
//! ```
//! use trialstats::data::{datasets, Formula, FrameOptions, ModelFrame};
//! use trialstats::robust::{CrType, Ols, Vcov};
//!
//! let petersen = datasets::petersen()?;
//! let f = Formula::parse("y ~ x")?;
//! let opts = FrameOptions { clusters: vec!["firm".into()], ..FrameOptions::default() };
//! let mf = ModelFrame::new(&petersen, &f, &opts)?;
//! let firm = &mf.clusters[0];
//! let fit = Ols::new(&mf.x, mf.y()?)?.names(&mf.column_names)?.clusters(firm)?.fit()?;
//! let inf = fit.infer(&Vcov::Cluster { clusters: firm.clone(), kind: CrType::Cr1 }, 0.95)?;
//! let x = inf.coef("x").expect("x is in the model");
//! assert!((x.std_error - 0.0506).abs() < 5e-5);   // Petersen's published Stata SE
//! assert_eq!(x.df, Some(499.0));                   // t with G − 1 df
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

pub use trialstats_core as core;
pub use trialstats_data as data;
pub use trialstats_instruments as instruments;
pub use trialstats_mi as mi;
pub use trialstats_ordinal as ordinal;
pub use trialstats_paper as paper;
pub use trialstats_robust as robust;
pub use trialstats_sim as sim;
pub use trialstats_twosample as twosample;
pub use trialstats_ukpds as ukpds;

/// The README's Rust example, compiled and run as a doctest (its shell commands are run by
/// `scripts/check-readme`).
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
