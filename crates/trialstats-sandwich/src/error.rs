//! The one error type of `trialstats-sandwich`.

use trialstats_core::{InputError, LinalgError};

/// What can go wrong when estimating a covariance.
///
/// # Examples
/// ```
/// use trialstats_core::Clusters;
/// use trialstats_sandwich::{SandwichError, Vcov, vcov};
/// # use std::borrow::Cow;
/// # use trialstats_core::nalgebra::{DMatrix, DVector};
/// # use trialstats_sandwich::{EstimatingEquations, ModelKind, WorkingRegression};
/// # struct Ols { x: DMatrix<f64>, beta: DVector<f64>, e: Vec<f64>, bread: DMatrix<f64>, names: Vec<String> }
/// # impl Ols {
/// #     fn fit(x: &[f64], y: &[f64]) -> Result<Self, &'static str> {
/// #         let x = DMatrix::from_fn(y.len(), 2, |i, j| if j == 0 { 1.0 } else { x[i] });
/// #         let y = DVector::from_column_slice(y);
/// #         let bread = (x.transpose() * &x).try_inverse().ok_or("singular X'X")?;
/// #         let beta = &bread * x.transpose() * &y;
/// #         let e = (y - &x * &beta).iter().copied().collect();
/// #         Ok(Ols { x, beta, e, bread, names: vec!["(Intercept)".into(), "x".into()] })
/// #     }
/// # }
/// # impl EstimatingEquations for Ols {
/// #     fn model_name(&self) -> &str { "OLS" }
/// #     fn param_names(&self) -> &[String] { &self.names }
/// #     fn estimates(&self) -> &DVector<f64> { &self.beta }
/// #     fn nobs(&self) -> usize { self.e.len() }
/// #     fn n_params(&self) -> usize { 2 }
/// #     fn estfun(&self) -> DMatrix<f64> { DMatrix::from_fn(self.e.len(), 2, |i, j| self.x[(i, j)] * self.e[i]) }
/// #     fn bread(&self) -> &DMatrix<f64> { &self.bread }
/// #     fn kind(&self) -> ModelKind { ModelKind::Linear { df_resid: self.e.len() - 2 } }
/// #     fn sigma2(&self) -> f64 { self.e.iter().map(|v| v * v).sum::<f64>() / (self.e.len() - 2) as f64 }
/// #     fn working_regression(&self) -> Option<WorkingRegression<'_>> {
/// #         Some(WorkingRegression { x: &self.x, sqrt_w: None, residuals: Cow::Borrowed(&self.e) })
/// #     }
/// # }
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // `Ols` (hidden): least squares of y on (1, x), implementing `EstimatingEquations`.
/// // R: d <- data.frame(x, y, g); fit <- lm(y ~ x, d)
/// let x = [1.2, 2.3, 0.7, 3.1, 2.8, 1.9, 0.4, 1.6, 2.2, 3.5, 2.9, 1.1];
/// let y = [2.1, 3.9, 1.5, 5.2, 4.1, 3.3, 1.8, 2.2, 3.9, 6.1, 4.4, 2.0];
/// let fit = Ols::fit(&x, &y)?;
/// let one = Clusters::from_labels("site", &[1; 12])?;
/// let e = vcov(&fit, &Vcov::cr1(one));
/// assert!(matches!(e, Err(SandwichError::TooFewClusters { got: 1, .. })));
/// let short = Clusters::from_labels("site", &[1, 2, 3])?; // 3 labels for 12 rows
/// assert!(matches!(vcov(&fit, &Vcov::cr1(short)), Err(SandwichError::Input(_))));
/// # Ok(()) }
/// ```
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
