//! The one error type of `trialstats-sandwich`.

use trialstats_core::{InputError, LinalgError};

/// What can go wrong when estimating a covariance.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SandwichError {
    /// Invalid input (the clusters do not cover the observations, an empty term list).
    #[error(transparent)]
    Input(#[from] InputError),
    /// A linear-algebra failure (a singular R V̂ Rᵀ in a Wald test).
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
    /// A term named in a test is not a parameter of the model.
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
}
