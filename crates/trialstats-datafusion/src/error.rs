//! Errors of fits on DataFusion tables.

use trialstats_core::{InputError, LinalgError};
use trialstats_data::DataError;
use trialstats_robust::RobustError;
use trialstats_sandwich::SandwichError;

/// What can go wrong when a model is fitted on a DataFusion table.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScaleError {
    /// The formula, a column, a level or the data (the same errors as the in-memory frame).
    #[error(transparent)]
    Data(#[from] DataError),
    /// A column used as a number has a type that is not numeric.
    #[error(
        "{source_name}: column `{column}` is used as a number but is of type {data_type}; wrap it in factor() or recode it"
    )]
    NotNumericType {
        /// The table (its files).
        source_name: String,
        /// The column.
        column: String,
        /// Its Arrow type.
        data_type: String,
    },
    /// The query engine failed (a file that cannot be read, a value that is not finite, …).
    #[error("{source_name}: {message}")]
    Engine {
        /// The table (its files).
        source_name: String,
        /// DataFusion's message.
        message: String,
    },
    /// The design is singular or the bread cannot be formed.
    #[error("{source_name}: {error}")]
    Linalg {
        /// The table (its files).
        source_name: String,
        /// The failure.
        error: LinalgError,
    },
    /// The covariance could not be computed.
    #[error(transparent)]
    Sandwich(#[from] SandwichError),
    /// The model could not be fitted (no convergence, separation, too few rows).
    #[error(transparent)]
    Model(#[from] RobustError),
    /// Invalid input to a numerical routine.
    #[error(transparent)]
    Input(#[from] InputError),
    /// A logistic model's outcome is not binary.
    #[error(
        "{source_name}: a logistic regression needs an outcome coded 0/1 or with two levels; `{column}` {detail}"
    )]
    NotBinary {
        /// The table (its files).
        source_name: String,
        /// The outcome.
        column: String,
        /// What it holds instead (`has 3 levels: a, b, c`, `holds 2.5`).
        detail: String,
    },
    /// What was asked is not available on this engine.
    #[error("{what} is not available on the DataFusion engine: {reason}")]
    Unsupported {
        /// The option or model.
        what: String,
        /// Why, and what to use instead.
        reason: String,
    },
}

impl ScaleError {
    /// An engine error on the table `source_name`.
    pub(crate) fn engine(source_name: &str, e: impl std::fmt::Display) -> Self {
        ScaleError::Engine {
            source_name: source_name.to_owned(),
            message: e.to_string(),
        }
    }
}
