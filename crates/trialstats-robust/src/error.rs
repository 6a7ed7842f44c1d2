//! The one error type of `trialstats-robust`.

use trialstats_core::{Convergence, InputError, LinalgError};
use trialstats_sandwich::SandwichError;

/// What can go wrong when fitting a model or estimating its covariance.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RobustError {
    /// Invalid input (lengths, non-finite values, missing cluster ids).
    #[error(transparent)]
    Input(#[from] InputError),
    /// A linear-algebra failure: an aliased design column (named), a singular matrix.
    #[error(transparent)]
    Linalg(#[from] LinalgError),
    /// Cluster-robust covariance needs at least two clusters.
    #[error("cluster-robust covariance needs at least 2 clusters; `{name}` has {got}")]
    TooFewClusters {
        /// The clustering variable.
        name: String,
        /// Its number of clusters.
        got: usize,
    },
    /// More parameters than observations (or exactly as many: no residual degrees of freedom).
    #[error(
        "{nobs} observations cannot estimate {k} coefficients with residual degrees of freedom left"
    )]
    TooFewObservations {
        /// Observations.
        nobs: usize,
        /// Coefficients.
        k: usize,
    },
    /// A binary outcome has a value other than 0 or 1.
    #[error("the outcome must be coded 0/1, but row {} is {value}", row + 1)]
    NotBinary {
        /// 0-based row.
        row: usize,
        /// The value.
        value: f64,
    },
    /// A binary outcome takes one value only.
    #[error("the outcome is {value} in all {n} rows; a logistic regression needs both 0s and 1s")]
    ConstantOutcome {
        /// The one value.
        value: f64,
        /// Rows.
        n: usize,
    },
    /// A linear model's outcome takes one value only: there is nothing to explain, and every
    /// standard error would be zero.
    #[error(
        "the outcome is {value} in all {n} rows used; a linear model of a constant outcome has nothing to estimate (R: \"essentially perfect fit\")"
    )]
    ConstantResponse {
        /// The one value.
        value: f64,
        /// Rows.
        n: usize,
    },
    /// The maximum-likelihood estimate does not exist: the outcome is separated.
    #[error("separation: {detail}; the estimate of {} does not exist (drop or combine categories, or use a penalised fit)", terms.iter().map(|t| format!("`{}`", trialstats_core::error::clip(t))).collect::<Vec<_>>().join(" and "))]
    Separation {
        /// The terms involved.
        terms: Vec<String>,
        /// What separates.
        detail: String,
    },
    /// The optimiser did not converge.
    #[error("{model} did not converge: {} after {} iterations (max |gradient| {:.3e})", convergence.status.text(), convergence.iterations, convergence.max_abs_gradient)]
    NotConverged {
        /// The model.
        model: String,
        /// The optimiser's report.
        convergence: Convergence,
    },
    /// A term named in a test or a bootstrap is not a parameter of the model.
    #[error(
        "`{}` is not a term of the model; its terms are {}",
        trialstats_core::error::clip(term),
        trialstats_core::error::clip_list(available)
    )]
    UnknownTerm {
        /// The term asked for.
        term: String,
        /// The model's terms.
        available: Vec<String>,
    },
    /// A covariance could not be computed.
    #[error(transparent)]
    Sandwich(#[from] SandwichError),
}
