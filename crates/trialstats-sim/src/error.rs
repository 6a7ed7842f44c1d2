//! The one error type of `trialstats-sim`.

use trialstats_core::InputError;
use trialstats_data::DataError;
use trialstats_instruments::ScoreError;
use trialstats_mi::MiError;
use trialstats_models::ModelError;

/// What can go wrong when simulating, deriving or analysing a trial.
///
/// # Examples
/// ```
/// use trialstats_sim::{MonteCarlo, Outcome, SimError, SimParams, simulate};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // A truth the Monte Carlo harness cannot know: UKPDS risk under a clinical effect.
/// let p = SimParams { arm_effect_clinical: (-0.3, 0.0, 0.0, 0.0), ..SimParams::default() };
/// assert_eq!(MonteCarlo::new(p, 2, 1, Outcome::Risk).run(None).err(), Some(SimError::UndefinedTruth));
/// // A parameter out of its range is named.
/// let bad = SimParams { icc: 1.5, ..SimParams::default() };
/// assert!(matches!(simulate(&bad, 1), Err(SimError::Parameter { ref parameter, .. }) if parameter == "icc"));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A parameter of [`crate::SimParams`] (or of a study) is out of its range.
    #[error("{parameter}: {reason}")]
    Parameter {
        /// The parameter, as named in `SimParams` (`icc`, `cluster_size_range`, …).
        parameter: String,
        /// What is wrong, with the value.
        reason: String,
    },
    /// A schema column is missing or of the wrong type.
    #[error(transparent)]
    Data(#[from] DataError),
    /// Invalid numbers.
    #[error(transparent)]
    Input(#[from] InputError),
    /// An instrument's scoring rule could not be set up.
    #[error(transparent)]
    Score(#[from] ScoreError),
    /// The trial's model could not be fitted.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// Imputation failed.
    #[error(transparent)]
    Mi(#[from] MiError),
    /// The true effect of a Monte Carlo study is not defined in closed form.
    #[error(
        "the true effect on UKPDS risk has no closed form when clinical arm effects are non-zero; analyse hba1c"
    )]
    UndefinedTruth,
    /// Too few replications of a Monte Carlo study could be analysed to summarise.
    #[error(
        "{estimator}: only {analysed} of {reps} replications could be analysed ({failed} failed); nothing to summarise"
    )]
    TooFewAnalysed {
        /// The estimator.
        estimator: String,
        /// Replications analysed.
        analysed: usize,
        /// Replications run.
        reps: usize,
        /// Replications that failed.
        failed: usize,
    },
}

impl SimError {
    pub(crate) fn parameter(parameter: &str, reason: impl Into<String>) -> Self {
        SimError::Parameter {
            parameter: parameter.to_owned(),
            reason: reason.into(),
        }
    }
}
