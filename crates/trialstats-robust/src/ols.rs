//! Ordinary least squares by Householder QR.

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};
use trialstats_core::linalg::{Qr, condition_number};
use trialstats_core::{Inference, InputError};

use crate::error::RobustError;
use crate::vcov::{
    Covariance, EstimatingEquations, ModelKind, Vcov, WorkingRegression, inference, vcov,
};

/// Condition number of X above which a fit carries a warning (statsmodels warns at 1e3 on the
/// scaled design; this threshold flags designs that lose more than half the digits).
pub const CONDITION_WARNING: f64 = 1e8;

/// An OLS specification: the design X (n × k, with the intercept column if wanted) and the
/// response y.
///
/// # Formula
/// ```text
/// β̂ = argmin ‖y − Xβ‖² = R⁻¹Qᵀy   (X = QR, Householder; never (XᵀX)⁻¹Xᵀy)
/// ```
///
/// # Examples
/// ```
/// use trialstats_core::nalgebra::DMatrix;
/// use trialstats_robust::{Ols, Vcov};
/// let x = DMatrix::from_row_slice(5, 2, &[1.0, 1.0, 1.0, 2.0, 1.0, 3.0, 1.0, 4.0, 1.0, 5.0]);
/// let y = [1.1, 1.9, 3.2, 3.9, 5.1];
/// let fit = Ols::new(&x, &y).unwrap().names(&["(Intercept)", "x"]).unwrap().fit().unwrap();
/// assert!((fit.coefficients()[1] - 1.0).abs() < 1e-12);
/// let inf = fit.infer(&Vcov::Iid, 0.95).unwrap();
/// assert_eq!(inf.coefficients[1].df, Some(3.0));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Ols<'a> {
    x: &'a DMatrix<f64>,
    y: &'a [f64],
    names: Vec<String>,
}

impl<'a> Ols<'a> {
    /// A specification; checks the shapes and that every value is finite.
    ///
    /// # Errors
    /// [`InputError::Length`] if `y` does not have one value per row of `x`;
    /// [`InputError::NonFinite`] naming the first NaN or infinite value of `y` or `x`.
    pub fn new(x: &'a DMatrix<f64>, y: &'a [f64]) -> Result<Self, RobustError> {
        if y.len() != x.nrows() {
            return Err(InputError::Length {
                field: "y".into(),
                got: y.len(),
                reference: "X".into(),
                expected: x.nrows(),
            }
            .into());
        }
        if let Some(row) = y.iter().position(|v| !v.is_finite()) {
            return Err(InputError::NonFinite {
                field: "y".into(),
                row,
                value: y[row],
            }
            .into());
        }
        let n = x.nrows().max(1);
        if let Some(pos) = x.as_slice().iter().position(|v| !v.is_finite()) {
            return Err(InputError::NonFinite {
                field: format!("X column {}", pos / n + 1),
                row: pos % n,
                value: x.as_slice()[pos],
            }
            .into());
        }
        let names = (1..=x.ncols()).map(|j| format!("x{j}")).collect();
        Ok(Self { x, y, names })
    }

    /// Names the coefficients (default `x1`, `x2`, …).
    ///
    /// # Errors
    /// [`InputError::Length`] if there is not one name per column of X.
    pub fn names<S: AsRef<str>>(mut self, names: &[S]) -> Result<Self, RobustError> {
        if names.len() != self.x.ncols() {
            return Err(InputError::Length {
                field: "names".into(),
                got: names.len(),
                reference: "columns of X".into(),
                expected: self.x.ncols(),
            }
            .into());
        }
        self.names = names.iter().map(|s| s.as_ref().to_owned()).collect();
        Ok(self)
    }

    /// Fits by Householder QR.
    ///
    /// # Errors
    /// [`RobustError::TooFewObservations`] if n ≤ k; [`trialstats_core::LinalgError::Aliased`]
    /// naming the aliased columns of a rank-deficient design (R's tolerance 1e−7).
    pub fn fit(&self) -> Result<OlsFit, RobustError> {
        let (n, k) = self.x.shape();
        if n <= k {
            return Err(RobustError::TooFewObservations { nobs: n, k });
        }
        let qr = Qr::new(self.x)?;
        qr.require_full_rank(&self.names)?;
        let y = DVector::from_column_slice(self.y);
        let ls = qr.least_squares(&y)?;
        let coefficients =
            DVector::from_iterator(k, ls.coefficients.iter().map(|b| b.unwrap_or(0.0)));
        let bread = qr.xtx_inverse();
        let has_intercept = self
            .x
            .column_iter()
            .any(|c| c.iter().all(|v| (v - 1.0).abs() == 0.0));
        let tss = if has_intercept {
            let mean = y.mean();
            y.iter().map(|v| (v - mean) * (v - mean)).sum()
        } else {
            y.dot(&y)
        };
        let condition = condition_number(&qr.r());
        Ok(OlsFit {
            names: self.names.clone(),
            coefficients,
            residuals: ls.residuals,
            x: self.x.clone(),
            bread,
            rss: ls.rss,
            tss,
            has_intercept,
            condition,
        })
    }
}

/// A fitted OLS model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OlsFit {
    names: Vec<String>,
    coefficients: DVector<f64>,
    residuals: DVector<f64>,
    x: DMatrix<f64>,
    bread: DMatrix<f64>,
    rss: f64,
    tss: f64,
    has_intercept: bool,
    condition: f64,
}

impl OlsFit {
    /// β̂, in the order of the design's columns.
    pub fn coefficients(&self) -> &DVector<f64> {
        &self.coefficients
    }
    /// Coefficient names.
    pub fn names(&self) -> &[String] {
        &self.names
    }
    /// The design X.
    pub fn design(&self) -> &DMatrix<f64> {
        &self.x
    }
    /// Residuals e = y − Xβ̂.
    pub fn residuals(&self) -> &DVector<f64> {
        &self.residuals
    }
    /// Residual sum of squares.
    pub fn rss(&self) -> f64 {
        self.rss
    }
    /// Residual degrees of freedom N − K.
    pub fn df_resid(&self) -> usize {
        self.x.nrows() - self.x.ncols()
    }
    /// σ̂² = RSS/(N − K).
    pub fn sigma2(&self) -> f64 {
        self.rss / self.df_resid() as f64
    }
    /// R² = 1 − RSS/TSS (TSS about the mean when X has a column of ones, about 0 otherwise, as R).
    pub fn r_squared(&self) -> f64 {
        1.0 - self.rss / self.tss
    }
    /// Whether X has a column of ones.
    pub fn has_intercept(&self) -> bool {
        self.has_intercept
    }
    /// 2-norm condition number of X.
    pub fn condition_number(&self) -> f64 {
        self.condition
    }

    /// The covariance of β̂ (see [`vcov()`]).
    ///
    /// # Errors
    /// As [`vcov()`].
    pub fn vcov(&self, how: &Vcov) -> Result<Covariance, RobustError> {
        vcov(self, how)
    }

    /// Wald tests and `level` confidence intervals for every coefficient under covariance `how`
    /// (see [`crate::vcov::inference`]), with a note when X is ill-conditioned.
    ///
    /// # Errors
    /// As [`vcov()`]; [`InputError::OutOfRange`] for a `level` outside (0, 1) or a zero SE.
    pub fn infer(&self, how: &Vcov, level: f64) -> Result<Inference, RobustError> {
        let mut inf = inference(self, how, level)?;
        if self.condition > CONDITION_WARNING {
            inf.notes.push(format!(
                "The condition number of X is {:.3e}: the design is ill-conditioned and the estimates may have lost digits.",
                self.condition
            ));
        }
        Ok(inf)
    }
}

impl EstimatingEquations for OlsFit {
    fn model_name(&self) -> &str {
        "OLS"
    }
    fn param_names(&self) -> &[String] {
        &self.names
    }
    fn estimates(&self) -> &DVector<f64> {
        &self.coefficients
    }
    fn nobs(&self) -> usize {
        self.x.nrows()
    }
    fn n_params(&self) -> usize {
        self.x.ncols()
    }
    /// ψᵢ = xᵢ eᵢ.
    fn estfun(&self) -> DMatrix<f64> {
        let mut psi = self.x.clone();
        for mut col in psi.column_iter_mut() {
            col.component_mul_assign(&self.residuals);
        }
        psi
    }
    /// B = (XᵀX)⁻¹ = R⁻¹R⁻ᵀ.
    fn bread(&self) -> &DMatrix<f64> {
        &self.bread
    }
    fn kind(&self) -> ModelKind {
        ModelKind::Linear {
            df_resid: self.df_resid(),
            sigma2: self.sigma2(),
        }
    }
    fn working_regression(&self) -> Option<WorkingRegression<'_>> {
        Some(WorkingRegression {
            x: &self.x,
            sqrt_w: None,
            residuals: self.residuals.iter().copied().collect(),
        })
    }
}
