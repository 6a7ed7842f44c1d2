//! The one error type of `trialstats-ordinal`.

use trialstats_core::{Convergence, InputError, LinalgError};
use trialstats_sandwich::SandwichError;

/// What can go wrong when fitting an ordinal model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum OrdinalError {
    /// Invalid input (lengths, non-finite values).
    #[error(transparent)]
    Input(#[from] InputError),
    /// A linear-algebra failure (an aliased column, a singular Hessian).
    #[error(transparent)]
    Linalg(#[from] LinalgError),
    /// A covariance could not be computed.
    #[error(transparent)]
    Sandwich(#[from] SandwichError),
    /// A category code is not in 0..J.
    #[error("row {} has category code {code}, but the outcome has {n_categories} categories (codes 0 to {})", row + 1, n_categories - 1)]
    BadCode {
        /// 0-based row.
        row: usize,
        /// The code.
        code: usize,
        /// Number of categories J.
        n_categories: usize,
    },
    /// Fewer than two categories are observed.
    #[error("the outcome has {observed} observed categor{} ({}); an ordinal model needs at least two", if *observed == 1 { "y" } else { "ies" }, labels.join(", "))]
    TooFewCategories {
        /// Number observed.
        observed: usize,
        /// Their labels.
        labels: Vec<String>,
    },
    /// The outcome separates: thresholds or coefficients run off to infinity.
    #[error("separation: {detail}; the maximum-likelihood estimate does not exist (merge sparse categories or drop {})", terms.iter().map(|t| format!("`{}`", trialstats_core::error::clip(t))).collect::<Vec<_>>().join(" or "))]
    Separation {
        /// The parameters that diverge.
        terms: Vec<String>,
        /// What was seen.
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
    /// The outcome takes one category within every level of a grouping factor (each with two or
    /// more rows): that factor's variance grows without bound (the likelihood rises as σ → ∞).
    #[error(
        "the outcome is constant within every level of `{factor}`: its random-intercept variance has no finite estimate (the likelihood rises without bound as it grows); drop the random intercept for `{factor}` (cluster-robust standard errors, or `{factor}` as fixed effects)"
    )]
    ConstantWithinGroups {
        /// The grouping factor.
        factor: String,
    },
    /// The inner grouping factor of a nested model is not nested in the outer one.
    #[error(transparent)]
    NotNested(Box<trialstats_core::NotNested>),
}
