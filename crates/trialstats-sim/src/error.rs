//! The one error type of `trialstats-sim`.

use trialstats_core::InputError;
use trialstats_data::DataError;
use trialstats_instruments::ScoreError;
use trialstats_mi::MiError;
use trialstats_models::ModelError;

/// What can go wrong when simulating, deriving or analysing a trial.
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
