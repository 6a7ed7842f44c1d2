//! The one error type of `trialstats-mixed`.

use trialstats_core::{Convergence, InputError, LinalgError};
use trialstats_ordinal::OrdinalError;

/// What can go wrong when fitting a linear mixed model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MixedError {
    /// Invalid input (lengths, non-finite values).
    #[error(transparent)]
    Input(#[from] InputError),
    /// A linear-algebra failure: an aliased fixed-effects column (named), a non-finite entry.
    #[error(transparent)]
    Linalg(#[from] LinalgError),
    /// A grouping factor has a single level: its variance is not identified.
    #[error(
        "grouping factor `{factor}` has one level ({level}); a random intercept needs at least two groups"
    )]
    OneLevel {
        /// The grouping factor.
        factor: String,
        /// Its only level.
        level: String,
    },
    /// The inner grouping factor is not nested in the outer one.
    #[error(transparent)]
    NotNested(Box<trialstats_core::NotNested>),
    /// The outcome does not vary within any group of the innermost level.
    #[error(
        "the outcome is constant within every level of `{factor}`: there is no within-{factor} variation to separate the residual variance from the {factor} variance"
    )]
    ConstantWithinGroups {
        /// The innermost grouping factor.
        factor: String,
    },
    /// Too few observations for the fixed effects and the variance parameters.
    #[error("{nobs} observations cannot estimate {p} fixed effects and a residual variance")]
    TooFewObservations {
        /// Observations.
        nobs: usize,
        /// Fixed effects.
        p: usize,
    },
    /// The optimiser did not converge.
    #[error("the linear mixed model did not converge: {} after {} iterations (max |gradient| {:.3e})", convergence.status.text(), convergence.iterations, convergence.max_abs_gradient)]
    NotConverged {
        /// The optimiser's report, with the last gradient.
        convergence: Convergence,
    },
    /// A contrast does not match the fixed effects.
    #[error("the contrast has {got} weights but the model has {p} fixed effects")]
    Contrast {
        /// Weights given.
        got: usize,
        /// Fixed effects.
        p: usize,
    },
    /// A denominator-df method cannot be computed for this fit.
    #[error("{method} degrees of freedom are not available: {reason}")]
    Ddf {
        /// The method.
        method: &'static str,
        /// Why.
        reason: String,
    },
    /// A binary outcome's value is neither 0 nor 1.
    #[error("the outcome at row {} is {value}; a random-intercept logit needs 0 or 1", row + 1)]
    NotBinary {
        /// The row (0-based).
        row: usize,
        /// Its value.
        value: f64,
    },
    /// A binary outcome takes one value in every row.
    #[error("the outcome is {value} in every row; there is nothing to model")]
    ConstantOutcome {
        /// The value.
        value: f64,
    },
    /// The design has no intercept column (a column of ones).
    #[error(
        "the random-intercept logit needs an intercept in the fixed effects (a column of ones; glmer's default), and the design has none"
    )]
    NoIntercept,
    /// Complete or quasi-complete separation: the maximum-likelihood estimate does not exist.
    #[error("separation: {detail}; the maximum-likelihood estimate does not exist (drop or merge {})", terms.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(" or "))]
    Separation {
        /// The terms involved.
        terms: Vec<String>,
        /// What separates.
        detail: String,
    },
    /// Another failure of the underlying cumulative link mixed model.
    #[error(transparent)]
    Ordinal(Box<OrdinalError>),
}
