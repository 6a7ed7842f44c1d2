//! The one error type of `trialstats-models`.

use trialstats_core::error::{clip, clip_list};
use trialstats_data::DataError;
use trialstats_mi::MiError;
use trialstats_mixed::MixedError;
use trialstats_ordinal::OrdinalError;
use trialstats_robust::RobustError;
use trialstats_sandwich::SandwichError;

/// What can go wrong between a formula and a fitted model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The formula, a column, or the model frame (a missing column, text where numbers are
    /// needed, an aliased design column).
    #[error(transparent)]
    Data(#[from] DataError),
    /// OLS or logit could not be fitted (separation, a constant outcome, non-convergence).
    #[error(transparent)]
    Robust(#[from] RobustError),
    /// An ordinal model could not be fitted.
    #[error(transparent)]
    Ordinal(#[from] OrdinalError),
    /// The linear mixed model failed (boxed: its messages carry the levels they name).
    #[error(transparent)]
    Mixed(Box<MixedError>),
    /// The covariance asked for could not be computed.
    #[error(transparent)]
    Sandwich(#[from] SandwichError),
    /// Imputation or pooling failed.
    #[error(transparent)]
    Mi(#[from] MiError),
    /// The specification asks for something the model cannot do; the message says what to change.
    #[error("{0}")]
    Spec(SpecError),
    /// A logistic model's outcome does not have exactly two values.
    #[error(
        "a logistic regression needs an outcome with two levels; `{}` has {}: {}",
        clip(column),
        levels.len(),
        clip_list(levels)
    )]
    NotBinary {
        /// The outcome column.
        column: String,
        /// Its levels.
        levels: Vec<String>,
    },
    /// An ordinal outcome holds a value that is not an integer category code.
    #[error(
        "the ordinal outcome `{}` must hold integer category codes in their order, but row {row} of the data has {value}",
        clip(column)
    )]
    OrdinalCode {
        /// The outcome column.
        column: String,
        /// 1-based data row.
        row: usize,
        /// The value.
        value: f64,
    },
    /// An ordinal outcome holds text, whose order is unknown.
    #[error(
        "the ordinal outcome `{}` holds text ({}); code its categories as integers in their order (1, 2, …)",
        clip(column),
        clip_list(levels)
    )]
    OrdinalText {
        /// The outcome column.
        column: String,
        /// Its text values.
        levels: Vec<String>,
    },
}

/// A specification that cannot be fitted as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    /// A cluster-robust covariance without a cluster column.
    #[error("a cluster-robust covariance needs a cluster column (`.cluster(\"column\")`)")]
    ClusterNeeded,
    /// A covariance that does not use clusters, with a cluster column given.
    #[error(
        "this covariance does not use the cluster column; drop `.cluster()` or choose a cluster-robust covariance"
    )]
    ClusterUnused,
    /// More than two cluster columns.
    #[error("one or two cluster columns may be given, not more")]
    TooManyClusters,
    /// The two-way intersection option with one cluster column.
    #[error(
        "`Se::TwoWayMulti0` is about the intersection term of two-way clustering; give two cluster columns or use `Se::Cluster`"
    )]
    Multi0OneWay,
    /// Two-way clustering with CR2 or CR3.
    #[error("two-way clustering is available for CR0 and CR1")]
    TwoWayType,
    /// A leverage-adjusted covariance (HC2, HC3, CR2, CR3) for an ordinal model.
    #[error(
        "HC2, HC3, CR2 and CR3 need the hat matrix of a single-index model; an ordinal model has CR0, CR1, HC0 and HC1"
    )]
    LeverageForOrdinal,
    /// A random-intercept model with a robust covariance.
    #[error(
        "a random-intercept model reports model-based standard errors; drop `.cluster()` and `.se()`"
    )]
    RandomInterceptSe,
    /// A nested random intercept on a model other than the linear mixed model.
    #[error(
        "a second (nested) random intercept is available for linear mixed models (lmm) and ordinal models (clmm)"
    )]
    NestedFamily,
    /// Quadrature nodes out of range.
    #[error(
        "quadrature needs 1 (Laplace) to {} nodes",
        trialstats_ordinal::clmm::MAX_NODES
    )]
    Nodes,
    /// The wild cluster bootstrap outside OLS with one cluster column.
    #[error("the wild cluster bootstrap needs a linear model with exactly one cluster column")]
    WildBootstrap,
}

impl From<SpecError> for ModelError {
    fn from(e: SpecError) -> Self {
        ModelError::Spec(e)
    }
}

impl From<MixedError> for ModelError {
    fn from(e: MixedError) -> Self {
        ModelError::Mixed(Box::new(e))
    }
}
