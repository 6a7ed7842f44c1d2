//! A seeded simulator of the Australasian Peers for Progress diabetes trial (a cluster randomised
//! trial of lay peer support: 3 regions × 8 communities, about 240 participants, 12 months), the
//! participant-level schema it shares with the paper pipeline, the derivation of the analysis
//! variables, and a calibration report against every published number.
//!
//! - [`params::SimParams`]: every parameter, one serde struct with documented defaults.
//! - [`generate::simulate`]: one trial from a seed; the same seed gives the same data byte for
//!   byte (the generator is the workspace's portable xoshiro256**).
//! - [`schema`]: the columns; users with real trial data map their columns to these names.
//! - [`derive::derive`]: UKPDS risk, instrument scores and ratios from the raw columns.
//! - [`calibration::calibration`]: the simulated statistics next to the published ones.
//! - [`montecarlo::MonteCarlo`]: simulate → analyse R times in parallel; bias, SE, coverage and
//!   rejection rate of CR1, CR2, the wild cluster bootstrap, MI and complete cases.
//! - [`power`]: the paper's sample-size statement, analytically and by simulation.
//!
//! The trial's data are not public; the published numbers (Riddell et al. 2016, BMC Public Health,
//! doi:10.1186/s12889-016-3538-3) fix only some margins, so every other choice is documented as a
//! choice in [`params::SimParams`].
#![forbid(unsafe_code)]

pub mod calibration;
pub mod derive;
pub mod error;
pub mod generate;
pub mod montecarlo;
pub mod params;
pub mod power;
pub mod schema;

pub use calibration::{CalibrationRow, calibration, report_table};
pub use derive::{Derived, RowProblem, derive};
pub use error::SimError;
pub use generate::{Trial, simulate};
pub use montecarlo::{Estimator, McEstimate, McResult, MonteCarlo, Outcome, Summary, result_table};
pub use params::{DropoutMechanism, OutcomeIcc, SimParams};
