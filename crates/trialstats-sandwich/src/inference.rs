//! Wald inference from a covariance: the coefficient table and joint tests.

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};
use trialstats_core::dist::chisq_sf;
use trialstats_core::linalg::Spd;
use trialstats_core::{Coef, Inference, InputError, Level, Reference};

use crate::error::SandwichError;
use crate::model::EstimatingEquations;
use crate::sandwich::vcov;
use crate::types::{Covariance, Vcov};

/// Wald tests and `level` confidence intervals for every parameter of a model under covariance
/// `how`: the coefficient table of an [`Inference`]. Each coefficient uses its own reference
/// distribution (t with the covariance's df, per coefficient for CR2; z for ML models).
///
/// # Errors
/// As [`vcov()`](crate::vcov()); [`InputError::OutOfRange`] for a zero SE.
///
/// # Examples
/// ```
/// use trialstats_core::{Clusters, Level};
/// use trialstats_sandwich::{Vcov, inference};
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
/// let g = Clusters::from_labels("g", &[1, 1, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4])?;
/// let inf = inference(&fit, &Vcov::cr1(g), Level::P95)?;
/// let b = &inf.coefficients[1];
/// // R: se <- sqrt(diag(sandwich::vcovCL(fit, cluster = ~g, type = "HC1")))[2] = 0.11771353286507935;
/// // 2 * pt(-abs(coef(fit)[2] / se), df = 3) = 0.0012094353357075911 (t on G − 1 = 3 df);
/// // coef(fit)[2] + c(-1, 1) * qt(0.975, 3) * se = 1.0518906839760107, 1.8011246794727387
/// assert_eq!((b.df, inf.n_clusters), (Some(3.0), Some(4)));
/// assert!((b.std_error - 0.11771353286507935).abs() < 1e-14);
/// assert!((b.p_value - 0.0012094353357075911).abs() < 1e-14);
/// assert!((b.ci_low - 1.0518906839760107).abs() < 1e-12 && (b.ci_high - 1.8011246794727387).abs() < 1e-12);
/// # Ok(()) }
/// ```
pub fn inference<M: EstimatingEquations + ?Sized>(
    m: &M,
    how: &Vcov,
    level: Level,
) -> Result<Inference, SandwichError> {
    let cov = vcov(m, how)?;
    inference_from_covariance(m.param_names(), m.estimates(), m.nobs(), cov, level)
}

/// The coefficient table of estimates θ̂ (named `names`, from `nobs` observations) under a
/// covariance computed elsewhere (by [`vcov_cluster_from`](crate::vcov_cluster_from) from
/// sufficient statistics, say): as [`inference()`], which calls it.
///
/// # Errors
/// [`InputError::OutOfRange`] for a zero SE; [`InputError::NonFinite`] for an estimate or SE
/// that is not finite; [`InputError::Length`] if the names, estimates and covariance disagree.
///
/// # Examples
/// ```
/// use trialstats_core::Level;
/// use trialstats_core::nalgebra::{DMatrix, DVector};
/// use trialstats_sandwich::{ModelKind, inference_from_covariance, vcov_iid_from};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let cov = vcov_iid_from(&DMatrix::from_element(1, 1, 0.25), ModelKind::Likelihood, 1.0);
/// let inf = inference_from_covariance(&["x".to_string()], &DVector::from_element(1, 1.0), 40, cov, Level::P95)?;
/// assert_eq!(inf.coefficients[0].std_error, 0.5);
/// assert_eq!(inf.coefficients[0].statistic, 2.0);
/// # Ok(()) }
/// ```
pub fn inference_from_covariance(
    names: &[String],
    estimates: &DVector<f64>,
    nobs: usize,
    cov: Covariance,
    level: Level,
) -> Result<Inference, SandwichError> {
    let k = names.len();
    if estimates.len() != k || cov.matrix.nrows() != k {
        return Err(InputError::Length {
            field: "estimates and covariance".into(),
            got: estimates.len().max(cov.matrix.nrows()),
            reference: "names".into(),
            expected: k,
        }
        .into());
    }
    let mut coefficients = Vec::with_capacity(k);
    for (j, name) in names.iter().enumerate() {
        let reference = match cov.df.get(j).copied().flatten() {
            Some(df) => Reference::StudentT { df },
            None => Reference::Normal,
        };
        let se = cov.matrix[(j, j)].max(0.0).sqrt();
        coefficients.push(Coef::wald(name, estimates[j], se, reference, level)?);
    }
    Ok(Inference {
        nobs,
        n_clusters: cov.info.n_clusters.first().copied(),
        covariance: cov.info,
        coefficients,
        vcov: cov.matrix,
        convergence: None,
        notes: Vec::new(),
    })
}

/// The result of a Wald test of linear restrictions Rθ = r.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaldTest {
    /// The restrictions, as text (`x1 = 0, x2 = 0`).
    pub hypothesis: String,
    /// F = W/q with a t-based covariance, W itself (χ²) with a normal one.
    pub statistic: f64,
    /// Numerator df q (number of restrictions).
    pub df1: usize,
    /// Denominator df (the covariance's t df: N−K, or G−1 when clustered); `None` for χ².
    pub df2: Option<f64>,
    /// p-value.
    pub p_value: f64,
}

/// Wald test that the parameters named in `terms` are jointly zero.
///
/// # Formula
/// ```text
/// W = (Rθ̂)ᵀ (R V̂ Rᵀ)⁻¹ (Rθ̂);   F = W/q ~ F(q, ν) with ν the covariance's df, else W ~ χ²_q
/// ```
/// As Stata's `test` after `regress, vce(cluster)` (F with G−1 denominator df) and after ML
/// commands (χ²). With CR2 the denominator df is G−1 (not clubSandwich's Hotelling-T²
/// approximation).
///
/// # Errors
/// [`SandwichError::UnknownTerm`] naming a term not in the model; [`trialstats_core::LinalgError`]
/// if R V̂ Rᵀ is singular.
///
/// # Examples
/// ```
/// use trialstats_core::Clusters;
/// use trialstats_sandwich::{Vcov, vcov, wald_test};
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
/// let g = Clusters::from_labels("g", &[1, 1, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4])?;
/// let cov = vcov(&fit, &Vcov::cr1(g))?;
/// let w = wald_test(fit.param_names(), fit.estimates(), &cov, &["(Intercept)", "x"])?;
/// // R: V <- sandwich::vcovCL(fit, cluster = ~g, type = "HC1"); b <- coef(fit)
/// // F <- t(b) %*% solve(V) %*% b / 2 = 4025.9384254481133 on 2 and G − 1 = 3 df;
/// // pf(F, 2, 3, lower.tail = FALSE) = 7.1877592893956415e-06
/// assert_eq!((w.df1, w.df2), (2, Some(3.0)));
/// assert!((w.statistic / 4025.9384254481133 - 1.0).abs() < 1e-10);
/// assert!((w.p_value / 7.1877592893956415e-06 - 1.0).abs() < 1e-8);
/// assert_eq!(w.hypothesis, "(Intercept) = 0, x = 0");
/// # Ok(()) }
/// ```
pub fn wald_test(
    names: &[String],
    estimates: &DVector<f64>,
    cov: &Covariance,
    terms: &[&str],
) -> Result<WaldTest, SandwichError> {
    let mut idx = Vec::with_capacity(terms.len());
    for t in terms {
        let j = names
            .iter()
            .position(|n| n == t)
            .ok_or_else(|| SandwichError::UnknownTerm {
                term: (*t).to_owned(),
                available: names.to_vec(),
            })?;
        idx.push(j);
    }
    let q = idx.len();
    if q == 0 {
        return Err(InputError::Empty {
            field: "terms".into(),
        }
        .into());
    }
    let theta = DVector::from_iterator(q, idx.iter().map(|&j| estimates[j]));
    let v = DMatrix::from_fn(q, q, |a, b| cov.matrix[(idx[a], idx[b])]);
    let w = theta.dot(&Spd::new(v, "R V Rᵀ")?.solve(&theta)?);
    let hypothesis = terms
        .iter()
        .map(|t| format!("{t} = 0"))
        .collect::<Vec<_>>()
        .join(", ");
    // The covariance's reference df: N−K, G−1 (CR2 included), or None for z.
    let df2 = cov.info.reference.df();
    Ok(match df2 {
        Some(d2) => {
            let f = w / q as f64;
            WaldTest {
                hypothesis,
                statistic: f,
                df1: q,
                df2: Some(d2),
                p_value: trialstats_core::dist::f_sf(f, q as f64, d2)?,
            }
        }
        None => WaldTest {
            hypothesis,
            statistic: w,
            df1: q,
            df2: None,
            p_value: chisq_sf(w, q as f64)?,
        },
    })
}

/// [`wald_test`] on a fitted model's [`Inference`]: its coefficients, covariance and per-term df.
///
/// # Examples
/// ```
/// use trialstats_core::nalgebra::DMatrix;
/// use trialstats_core::{Coef, CovarianceInfo, Inference, Level, Reference};
/// use trialstats_sandwich::wald_test_inference;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // Two independent estimates with normal reference: W = 1.2²/0.16 + 0.6²/0.09 = 13, χ²(2).
/// let coefs = vec![
///     Coef::wald("a", 1.2, 0.4, Reference::Normal, Level::P95)?,
///     Coef::wald("b", 0.6, 0.3, Reference::Normal, Level::P95)?,
/// ];
/// let inf = Inference {
///     nobs: 100,
///     n_clusters: None,
///     covariance: CovarianceInfo {
///         label: "oim".into(),
///         description: String::new(),
///         factor: None,
///         cluster_vars: Vec::new(),
///         n_clusters: Vec::new(),
///         reference: Reference::Normal,
///     },
///     coefficients: coefs,
///     vcov: DMatrix::from_row_slice(2, 2, &[0.16, 0.0, 0.0, 0.09]),
///     convergence: None,
///     notes: Vec::new(),
/// };
/// let w = wald_test_inference(&inf, &["a", "b"])?;
/// assert!((w.statistic - 13.0).abs() < 1e-12);
/// assert_eq!((w.df1, w.df2), (2, None));
/// assert!((w.p_value - (-6.5f64).exp()).abs() < 1e-12); // χ²(2) tail = exp(−W/2)
/// # Ok(()) }
/// ```
///
/// # Errors
/// As [`wald_test`].
pub fn wald_test_inference(inf: &Inference, terms: &[&str]) -> Result<WaldTest, SandwichError> {
    let names: Vec<String> = inf.coefficients.iter().map(|c| c.term.clone()).collect();
    let estimates =
        DVector::from_iterator(names.len(), inf.coefficients.iter().map(|c| c.estimate));
    let cov = Covariance {
        matrix: inf.vcov.clone(),
        info: inf.covariance.clone(),
        df: inf.coefficients.iter().map(|c| c.df).collect(),
    };
    wald_test(&names, &estimates, &cov, terms)
}
