//! The one error type of `trialstats-robust`.

use trialstats_core::{Convergence, InputError, LinalgError};
use trialstats_sandwich::SandwichError;

/// What can go wrong when fitting a model or estimating its covariance.
///
/// # Examples
/// ```
/// use trialstats_core::{Clusters, nalgebra::DMatrix};
/// use trialstats_robust::{Ols, RobustError, SandwichError, WildClusterBootstrap};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // A regression of y on arm and base (18 rows, 6 sites; see [`crate::WildClusterBootstrap::test`]).
/// # // 6 sites of 3 participants, arms alternating by site (R: site <- rep(1:6, each = 3);
/// # // arm <- rep(c(0, 1, 0, 1, 0, 1), each = 3); fit <- lm(y ~ arm + base)).
/// # let base = [6.4, 7.0, 5.5, 5.6, 8.2, 6.1, 8.3, 7.6, 7.0, 6.0, 6.2, 6.7, 5.5, 6.7, 5.9, 7.0, 6.8, 7.9];
/// # let y = [6.3, 6.7, 5.6, 4.8, 6.9, 5.1, 7.2, 6.7, 7.0, 5.0, 5.4, 6.3, 5.6, 7.2, 5.8, 6.3, 5.6, 7.0];
/// # let x = DMatrix::from_fn(18, 3, |i, j| [1.0, ((i / 3) % 2) as f64, base[i]][j]);
/// # let fit = Ols::new(&x, &y)?.names(&["(Intercept)", "arm", "base"])?.fit()?;
/// # let site = Clusters::from_labels("site", &(0..18).map(|i| i / 3).collect::<Vec<_>>())?;
/// let boot = WildClusterBootstrap::default();
/// let e = boot.test(&fit, &site, "age");
/// assert!(matches!(e, Err(RobustError::Sandwich(SandwichError::UnknownTerm { ref term, .. })) if term == "age"));
/// let one = Clusters::from_labels("site", &[0; 18])?;
/// let e = boot.test(&fit, &one, "arm");
/// assert!(matches!(e, Err(RobustError::Sandwich(SandwichError::TooFewClusters { got: 1, .. }))));
/// // A constant outcome is refused before fitting.
/// assert!(matches!(Ols::new(&x, &[1.0; 18])?.fit(), Err(RobustError::ConstantResponse { n: 18, .. })));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RobustError {
    /// Invalid input (lengths, non-finite values, missing cluster ids).
    #[error(transparent)]
    Input(#[from] InputError),
    /// A linear-algebra failure: an aliased design column (named), a singular matrix.
    #[error(transparent)]
    Linalg(#[from] LinalgError),
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
    /// A covariance could not be computed.
    #[error(transparent)]
    Sandwich(#[from] SandwichError),
}
