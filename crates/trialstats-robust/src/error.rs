//! The one error type of `trialstats-robust`.

use trialstats_core::{InputError, LinalgError};

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
    /// A cluster (or observation) has leverage 1, so CR2/CR3 (HC2/HC3) are undefined.
    #[error(
        "{what} `{label}` has leverage 1 (I − H is singular there), so {vcov} is undefined; use CR1 or drop that {what}"
    )]
    LeverageOne {
        /// `cluster` or `observation`.
        what: String,
        /// Its label.
        label: String,
        /// The covariance asked for.
        vcov: String,
    },
    /// The covariance asked for needs more than the model provides.
    #[error("{vcov} is not available for {model}: {reason}")]
    NotAvailable {
        /// The covariance asked for.
        vcov: String,
        /// The model.
        model: String,
        /// Why not.
        reason: String,
    },
}
