//! Logistic regression by Newton–Raphson (core's optimiser), with separation detection.

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

use trialstats_core::linalg::{
    Spd, check_full_rank, check_len, class_ranges, equilibrated, glm_pass, matvec, non_finite_error,
};
use trialstats_core::optim::{Evaluation, Objective, newton_from};
use trialstats_core::stats::{is_binary_value, is_one};
use trialstats_core::{Control, Convergence, Inference, InputError, Level, vmath};

use crate::error::RobustError;
use trialstats_sandwich::{
    Covariance, EstimatingEquations, ModelKind, Vcov, WorkingRegression, inference, vcov,
};

/// |η| beyond which a fitted probability is numerically 0 or 1 (p < 1e−15): the sign of
/// separation when coefficients diverge.
pub const ETA_SEPARATION: f64 = 35.0;

/// A logistic regression specification: `logit P(yᵢ = 1) = xᵢᵀβ`, y coded 0/1.
///
/// # Formula
/// ```text
/// ℓ(β) = Σᵢ [yᵢηᵢ − ln(1 + e^ηᵢ)],  ∇ℓ = Xᵀ(y − p),  −∇²ℓ = XᵀWX,  W = diag(pᵢ(1 − pᵢ))
/// ```
/// maximised by Newton's method with step-halving from β = 0 (core's [`newton`](trialstats_core::optim::newton)).
///
/// # Separation
/// Before fitting, each non-constant column is checked for (quasi-)complete separation on its
/// own: if the largest value of x among y = 0 does not exceed the smallest among y = 1 (or the
/// reverse), the MLE does not exist and [`RobustError::Separation`] names the term (Stata's
/// "x predicts failure perfectly"). After fitting, fitted probabilities numerically 0 or 1
/// (|η| > 35) reveal separation by a combination of terms; the error names the terms with
/// the largest standardized coefficients. Albert & Anderson (1984), Biometrika 71(1):1–10,
/// doi:10.1093/biomet/71.1.1.
///
/// # Examples
/// ```
/// use trialstats_core::{Level, nalgebra::DMatrix};
/// use trialstats_robust::{Logit, Vcov};
/// let x = DMatrix::from_row_slice(6, 2, &[1.0, 0.5, 1.0, 1.0, 1.0, 1.5, 1.0, 2.0, 1.0, 2.5, 1.0, 3.0]);
/// let y = [0.0, 1.0, 0.0, 1.0, 0.0, 1.0];
/// let fit = Logit::new(&x, &y).unwrap().names(&["(Intercept)", "x"]).unwrap().fit().unwrap();
/// let inf = fit.infer(&Vcov::Iid, Level::P95).unwrap();
/// assert!(inf.coefficients[1].df.is_none()); // z inference
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Logit<'a> {
    x: &'a DMatrix<f64>,
    y: &'a [f64],
    names: Vec<String>,
    control: Control,
}

impl<'a> Logit<'a> {
    /// A specification; checks shapes, that y is finite, 0/1 and not constant. The values of X
    /// are checked by [`Logit::fit`] in its first pass over the data.
    ///
    /// # Errors
    /// [`trialstats_core::InputError::Length`], [`trialstats_core::InputError::NonFinite`] (y),
    /// [`RobustError::NotBinary`] naming the first value that is not 0 or 1,
    /// [`RobustError::ConstantOutcome`].
    pub fn new(x: &'a DMatrix<f64>, y: &'a [f64]) -> Result<Self, RobustError> {
        check_len("y", y.len(), "X", x.nrows())?;
        if let Some(row) = y.iter().position(|v| !v.is_finite()) {
            return Err(InputError::NonFinite {
                field: "y".into(),
                row,
                value: y[row],
            }
            .into());
        }
        if let Some(row) = y.iter().position(|&v| !is_binary_value(v)) {
            return Err(RobustError::NotBinary { row, value: y[row] });
        }
        let ones = y.iter().filter(|&&v| is_one(v)).count();
        if ones == 0 || ones == y.len() {
            return Err(RobustError::ConstantOutcome {
                value: if ones == 0 { 0.0 } else { 1.0 },
                n: y.len(),
            });
        }
        let names = (1..=x.ncols()).map(|j| format!("x{j}")).collect();
        Ok(Self {
            x,
            y,
            names,
            control: Control::default(),
        })
    }

    /// Names the coefficients (default `x1`, `x2`, …).
    ///
    /// # Errors
    /// [`trialstats_core::InputError::Length`] if there is not one name per column of X.
    pub fn names<S: AsRef<str>>(mut self, names: &[S]) -> Result<Self, RobustError> {
        self.names = trialstats_core::linalg::column_names(names, self.x)?;
        Ok(self)
    }

    /// Sets the optimiser's tolerances (default [`Control::default`]).
    pub fn control(mut self, control: Control) -> Self {
        self.control = control;
        self
    }

    /// Fits by Newton–Raphson.
    ///
    /// # Errors
    /// [`RobustError::TooFewObservations`], [`trialstats_core::InputError::NonFinite`] naming the
    /// first NaN or infinite value of X, [`trialstats_core::LinalgError::Aliased`] (R's rule, as
    /// OLS),
    /// [`RobustError::Separation`], [`RobustError::NotConverged`].
    pub fn fit(&self) -> Result<LogitFit<'a>, RobustError> {
        let (n, k) = self.x.shape();
        if n <= k {
            return Err(RobustError::TooFewObservations { nobs: n, k });
        }
        self.check_univariate_separation()?;
        let objective = NegLogLik {
            x: self.x,
            y: self.y,
        };
        // Start at β = 0 with the intercept (if any) at logit(ȳ): the fitted probabilities are
        // then constant, so the first Hessian is p(1 − p)·XᵀX and its conditioning is that of X:
        // a near-singular one sends the rank check to QR, which names the aliased columns.
        let mut start = DVector::zeros(k);
        if let Some(j) = (0..k).find(|&j| self.x.column(j).iter().all(|v| (v - 1.0).abs() == 0.0)) {
            let ybar = self.y.iter().sum::<f64>() / n as f64;
            start[j] = (ybar / (1.0 - ybar)).ln();
        }
        let start_eval = objective.evaluate(&start)?;
        if !well_conditioned(&start_eval.hessian) {
            check_full_rank(self.x, &self.names)?;
        }
        let min = newton_from(&objective, start, start_eval, &self.control)?;
        let beta = min.theta;
        let eta = matvec(self.x, &beta)?;
        if let Some(row) = eta.iter().position(|e| e.abs() > ETA_SEPARATION) {
            // Standardised coefficients |β_j|·sd(x_j) show which terms run off.
            let mut culprits: Vec<(f64, String)> = (0..k)
                .filter(|&j| !is_constant(self.x.column(j).as_slice()))
                .map(|j| {
                    let c = self.x.column(j);
                    let mean = c.mean();
                    let sd = (c.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
                    ((beta[j] * sd).abs(), self.names[j].clone())
                })
                .collect();
            culprits.sort_by(|a, b| b.0.total_cmp(&a.0));
            return Err(RobustError::Separation {
                terms: culprits.into_iter().take(2).map(|c| c.1).collect(),
                detail: format!(
                    "fitted probabilities are numerically 0 or 1 (row {}, linear predictor {:.1}): a combination of terms separates the outcome",
                    row + 1,
                    eta[row]
                ),
            });
        }
        if !min.convergence.converged() {
            return Err(RobustError::NotConverged {
                model: "logit".into(),
                convergence: min.convergence,
            });
        }
        let p = sigmoid_all(&eta);
        // The Hessian at β̂ is XᵀWX: the bread, without another pass.
        let bread = Spd::new(min.hessian, "X'WX")?.inverse();
        let loglik = -min.value;
        Ok(LogitFit {
            names: self.names.clone(),
            coefficients: beta,
            x: Cow::Borrowed(self.x),
            y: Cow::Borrowed(self.y),
            p,
            bread,
            loglik,
            convergence: min.convergence,
        })
    }

    /// Checks every column for complete or quasi-complete separation by its own (comparing its
    /// range among y = 1 with its range among y = 0), and that X is finite: one vectorised pass
    /// per column.
    fn check_univariate_separation(&self) -> Result<(), RobustError> {
        for (j, col) in self.x.column_iter().enumerate() {
            let c = col.as_slice();
            let [max1, min1, max0, min0, sum] = class_ranges(c, self.y);
            if !sum.is_finite() {
                return Err(non_finite_error("y", self.y, self.x).into());
            }
            if is_constant(c) {
                continue;
            }
            let name = trialstats_core::error::clip(&self.names[j]);
            let detail = if max0 < min1 {
                Some(format!(
                    "`{name}` > {max0} predicts y = 1 perfectly and `{name}` ≤ {max0} predicts y = 0 (complete separation)"
                ))
            } else if max1 < min0 {
                Some(format!(
                    "`{name}` > {max1} predicts y = 0 perfectly and `{name}` ≤ {max1} predicts y = 1 (complete separation)"
                ))
            } else if max0 <= min1 {
                Some(format!(
                    "every observation with `{name}` > {max0} has y = 1 and every one with `{name}` < {max0} has y = 0 (quasi-complete separation)"
                ))
            } else if max1 <= min0 {
                Some(format!(
                    "every observation with `{name}` > {max1} has y = 0 and every one with `{name}` < {max1} has y = 1 (quasi-complete separation)"
                ))
            } else {
                None
            };
            if let Some(detail) = detail {
                return Err(RobustError::Separation {
                    terms: vec![name.to_string()],
                    detail,
                });
            }
        }
        Ok(())
    }
}

/// Whether the column-equilibrated matrix has condition number below 10¹² (see
/// [`trialstats_core::linalg::check_full_rank`]).
fn well_conditioned(h: &DMatrix<f64>) -> bool {
    matches!(equilibrated(h), Some((_, _, kappa)) if kappa < 1e12)
}

fn is_constant(c: &[f64]) -> bool {
    c.iter().all(|v| v.to_bits() == c[0].to_bits())
}

/// The logistic function of every η, vectorised: with t = e^−|η|, 1/(1 + t) for η ≥ 0 and
/// t/(1 + t) otherwise (as [`sigmoid`]).
fn sigmoid_all(eta: &[f64]) -> Vec<f64> {
    let mut p: Vec<f64> = eta.iter().map(|e| -e.abs()).collect();
    vmath::exp_in_place(&mut p);
    for (pi, &e) in p.iter_mut().zip(eta) {
        *pi = if e >= 0.0 { 1.0 } else { *pi } / (1.0 + *pi);
    }
    p
}

/// The logistic function 1/(1 + e^−η), evaluated without overflow.
pub fn sigmoid(eta: f64) -> f64 {
    if eta >= 0.0 {
        1.0 / (1.0 + (-eta).exp())
    } else {
        let e = eta.exp();
        e / (1.0 + e)
    }
}

struct NegLogLik<'a> {
    x: &'a DMatrix<f64>,
    y: &'a [f64],
}

impl NegLogLik<'_> {
    /// −ℓ, its gradient Xᵀ(p − y) and (when `hessian`) XᵀWX, in one blocked pass over X.
    fn pass(
        &self,
        beta: &DVector<f64>,
        hessian: bool,
    ) -> Result<(f64, DVector<f64>, DMatrix<f64>), RobustError> {
        let y = self.y;
        Ok(glm_pass(self.x, beta, hessian, |i0, eta, w, r| {
            // One exponential and one logarithm per row, both vectorised over the block: with
            // t = e^−|η|, p = 1/(1 + t) or t/(1 + t) and ln(1 + e^η) = max(η, 0) + ln(1 + t).
            for (wi, &e) in w.iter_mut().zip(eta.iter()) {
                *wi = -e.abs();
            }
            vmath::exp_in_place(w);
            vmath::ln_1p_into(r, w);
            let mut value = 0.0;
            for (((&e, wi), ri), &yi) in
                eta.iter().zip(w.iter_mut()).zip(r.iter_mut()).zip(&y[i0..])
            {
                let t = *wi;
                value += e.max(0.0) + *ri - yi * e;
                let p = if e >= 0.0 { 1.0 } else { t } / (1.0 + t);
                *wi = p * (1.0 - p);
                *ri = p - yi;
            }
            value
        })?)
    }
}

impl Objective for NegLogLik<'_> {
    type Error = RobustError;
    fn evaluate(&self, beta: &DVector<f64>) -> Result<Evaluation, RobustError> {
        let (value, gradient, hessian) = self.pass(beta, true)?;
        Ok(Evaluation {
            value,
            gradient,
            hessian,
        })
    }
    fn value(&self, beta: &DVector<f64>) -> Result<f64, RobustError> {
        Ok(self.pass(beta, false)?.0)
    }
}

/// A fitted logistic regression. It borrows the data it was fitted on (no copy); see
/// [`LogitFit::into_owned`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogitFit<'a> {
    names: Vec<String>,
    coefficients: DVector<f64>,
    x: Cow<'a, DMatrix<f64>>,
    y: Cow<'a, [f64]>,
    p: Vec<f64>,
    bread: DMatrix<f64>,
    loglik: f64,
    convergence: Convergence,
}

impl LogitFit<'_> {
    /// The fit with its own copy of the data.
    pub fn into_owned(self) -> LogitFit<'static> {
        LogitFit {
            x: Cow::Owned(self.x.into_owned()),
            y: Cow::Owned(self.y.into_owned()),
            ..self
        }
    }
    /// β̂ (log odds ratios).
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::nalgebra::DMatrix;
    /// use trialstats_robust::Logit;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // R: x <- c(...); y <- c(...); g <- rep(1:5, each = 4)
    /// //    fit <- glm(y ~ x, family = binomial, control = glm.control(epsilon = 1e-15, maxit = 100))
    /// let xv = [0.5, 1.1, 1.9, 2.4, 0.8, 1.6, 3.0, 2.2, 1.3, 0.9, 2.7, 1.8, 1.4, 2.9, 0.6, 2.0, 1.2, 3.3, 2.5, 0.3];
    /// let y = [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0];
    /// let x = DMatrix::from_fn(20, 2, |i, j| if j == 0 { 1.0 } else { xv[i] });
    /// let fit = Logit::new(&x, &y)?.names(&["(Intercept)", "x"])?.fit()?;
    /// let b = fit.coefficients();
    /// // R: coef(fit) = -3.0710668372299059, 1.8016323388159496
    /// assert!((b[0] + 3.0710668372299059).abs() < 1e-9);
    /// assert!((b[1] - 1.8016323388159496).abs() < 1e-9);
    /// assert_eq!(fit.names(), ["(Intercept)", "x"]);
    /// # Ok(()) }
    /// ```
    pub fn coefficients(&self) -> &DVector<f64> {
        &self.coefficients
    }
    /// Coefficient names.
    pub fn names(&self) -> &[String] {
        &self.names
    }
    /// Fitted probabilities pᵢ.
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::nalgebra::DMatrix;
    /// use trialstats_robust::Logit;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // `fit`: glm(y ~ x, family = binomial) on the 20 rows of [`LogitFit::coefficients`]'s example.
    /// # // R: x <- c(...); y <- c(...); g <- rep(1:5, each = 4)
    /// # //    fit <- glm(y ~ x, family = binomial, control = glm.control(epsilon = 1e-15, maxit = 100))
    /// # let xv = [0.5, 1.1, 1.9, 2.4, 0.8, 1.6, 3.0, 2.2, 1.3, 0.9, 2.7, 1.8, 1.4, 2.9, 0.6, 2.0, 1.2, 3.3, 2.5, 0.3];
    /// # let y = [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0];
    /// # let x = DMatrix::from_fn(20, 2, |i, j| if j == 0 { 1.0 } else { xv[i] });
    /// # let fit = Logit::new(&x, &y)?.names(&["(Intercept)", "x"])?.fit()?;
    /// // R: fitted(fit)[1:2] = 0.10245398044534694, 0.25175552887000774
    /// assert!((fit.fitted()[0] - 0.10245398044534694).abs() < 1e-10);
    /// assert!((fit.fitted()[1] - 0.25175552887000774).abs() < 1e-10);
    /// assert_eq!(fit.fitted().len(), 20);
    /// # Ok(()) }
    /// ```
    pub fn fitted(&self) -> &[f64] {
        &self.p
    }
    /// The maximised log-likelihood.
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::nalgebra::DMatrix;
    /// use trialstats_robust::Logit;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // `fit`: glm(y ~ x, family = binomial) on the 20 rows of [`LogitFit::coefficients`]'s example.
    /// # // R: x <- c(...); y <- c(...); g <- rep(1:5, each = 4)
    /// # //    fit <- glm(y ~ x, family = binomial, control = glm.control(epsilon = 1e-15, maxit = 100))
    /// # let xv = [0.5, 1.1, 1.9, 2.4, 0.8, 1.6, 3.0, 2.2, 1.3, 0.9, 2.7, 1.8, 1.4, 2.9, 0.6, 2.0, 1.2, 3.3, 2.5, 0.3];
    /// # let y = [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0];
    /// # let x = DMatrix::from_fn(20, 2, |i, j| if j == 0 { 1.0 } else { xv[i] });
    /// # let fit = Logit::new(&x, &y)?.names(&["(Intercept)", "x"])?.fit()?;
    /// // R: logLik(fit) = -9.9332362242451602
    /// assert!((fit.loglik() + 9.9332362242451602).abs() < 1e-12);
    /// # Ok(()) }
    /// ```
    pub fn loglik(&self) -> f64 {
        self.loglik
    }
    /// The optimiser's report.
    pub fn convergence(&self) -> &Convergence {
        &self.convergence
    }
    /// The covariance of β̂ (see [`vcov()`]); CR1 uses Stata's ML factor G/(G−1).
    ///
    /// # Errors
    /// As [`vcov()`].
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::{Clusters, nalgebra::DMatrix};
    /// use trialstats_robust::{HcType, Logit, Vcov};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // `fit`: glm(y ~ x, family = binomial) on the 20 rows of [`LogitFit::coefficients`]'s example.
    /// # // R: x <- c(...); y <- c(...); g <- rep(1:5, each = 4)
    /// # //    fit <- glm(y ~ x, family = binomial, control = glm.control(epsilon = 1e-15, maxit = 100))
    /// # let xv = [0.5, 1.1, 1.9, 2.4, 0.8, 1.6, 3.0, 2.2, 1.3, 0.9, 2.7, 1.8, 1.4, 2.9, 0.6, 2.0, 1.2, 3.3, 2.5, 0.3];
    /// # let y = [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0];
    /// # let x = DMatrix::from_fn(20, 2, |i, j| if j == 0 { 1.0 } else { xv[i] });
    /// # let fit = Logit::new(&x, &y)?.names(&["(Intercept)", "x"])?.fit()?;
    /// // R: vcov(fit)[2, 2] = 0.79773724132007207^2; sandwich::vcovHC(fit, type = "HC0")[2, 2]
    /// // = 0.67336530475847867; vcovCL(fit, cluster = ~g, type = "HC0", cadjust = TRUE)[2, 2]
    /// // = 0.47913959631751735 (the factor G/(G − 1) = 5/4, as Stata's ML commands)
    /// assert!((fit.vcov(&Vcov::Iid)?.matrix[(1, 1)].sqrt() - 0.79773724132007207).abs() < 1e-8);
    /// assert!((fit.vcov(&Vcov::Hc(HcType::Hc0))?.matrix[(1, 1)] - 0.67336530475847867).abs() < 1e-8);
    /// let g = Clusters::from_labels("g", &(0..20).map(|i| i / 4).collect::<Vec<_>>())?;
    /// assert!((fit.vcov(&Vcov::cr1(g))?.matrix[(1, 1)] - 0.47913959631751735).abs() < 1e-8);
    /// # Ok(()) }
    /// ```
    pub fn vcov(&self, how: &Vcov) -> Result<Covariance, RobustError> {
        Ok(vcov(self, how)?)
    }
    /// Wald tests (z) and confidence intervals on the log-odds scale; use
    /// [`trialstats_core::Coef::exponentiated`] for odds ratios.
    ///
    /// # Errors
    /// As [`vcov()`].
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::{Level, nalgebra::DMatrix};
    /// use trialstats_robust::{Logit, Vcov};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // `fit`: glm(y ~ x, family = binomial) on the 20 rows of [`LogitFit::coefficients`]'s example.
    /// # // R: x <- c(...); y <- c(...); g <- rep(1:5, each = 4)
    /// # //    fit <- glm(y ~ x, family = binomial, control = glm.control(epsilon = 1e-15, maxit = 100))
    /// # let xv = [0.5, 1.1, 1.9, 2.4, 0.8, 1.6, 3.0, 2.2, 1.3, 0.9, 2.7, 1.8, 1.4, 2.9, 0.6, 2.0, 1.2, 3.3, 2.5, 0.3];
    /// # let y = [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0];
    /// # let x = DMatrix::from_fn(20, 2, |i, j| if j == 0 { 1.0 } else { xv[i] });
    /// # let fit = Logit::new(&x, &y)?.names(&["(Intercept)", "x"])?.fit()?;
    /// let b = fit.infer(&Vcov::Iid, Level::P95)?.coefficients[1].clone();
    /// // R: summary(fit)$coefficients[2, 4] = 0.023918971812688629 (z); confint.default(fit)[2, ]
    /// // = 0.23809607670227084, 3.3651686009296284; exp(coef(fit)[2]) = 6.0595306029127238
    /// assert!(b.df.is_none() && (b.p_value - 0.023918971812688629).abs() < 1e-9);
    /// assert!((b.ci_low - 0.23809607670227084).abs() < 1e-8 && (b.ci_high - 3.3651686009296284).abs() < 1e-8);
    /// assert!((b.exponentiated().estimate - 6.0595306029127238).abs() < 1e-8);
    /// # Ok(()) }
    /// ```
    pub fn infer(&self, how: &Vcov, level: Level) -> Result<Inference, RobustError> {
        let mut inf = inference(self, how, level)?;
        inf.convergence = Some(self.convergence.clone());
        Ok(inf)
    }
}

impl EstimatingEquations for LogitFit<'_> {
    fn model_name(&self) -> &str {
        "logit"
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
    /// ψᵢ = xᵢ(yᵢ − pᵢ).
    fn estfun(&self) -> DMatrix<f64> {
        let mut psi = self.x.clone().into_owned();
        for mut col in psi.column_iter_mut() {
            col.iter_mut()
                .zip(self.y.iter().zip(&self.p))
                .for_each(|(v, (yi, pi))| *v *= yi - pi);
        }
        psi
    }
    /// B = (XᵀWX)⁻¹ at β̂.
    fn bread(&self) -> &DMatrix<f64> {
        &self.bread
    }
    fn kind(&self) -> ModelKind {
        ModelKind::Likelihood
    }
    /// ψᵢ = xᵢ(yᵢ − pᵢ).
    fn score_factors(&self) -> Option<(&DMatrix<f64>, Cow<'_, [f64]>)> {
        Some((
            self.x.as_ref(),
            Cow::Owned(self.y.iter().zip(&self.p).map(|(y, p)| y - p).collect()),
        ))
    }
    /// X̃ = W^½X, ẽᵢ = (yᵢ − pᵢ)/√wᵢ.
    fn working_regression(&self) -> Option<WorkingRegression<'_>> {
        let sqrt_w: Vec<f64> = self.p.iter().map(|&p| (p * (1.0 - p)).sqrt()).collect();
        let residuals: Vec<f64> = self
            .y
            .iter()
            .zip(&self.p)
            .zip(&sqrt_w)
            .map(|((y, p), s)| (y - p) / s)
            .collect();
        Some(WorkingRegression {
            x: self.x.as_ref(),
            sqrt_w: Some(sqrt_w),
            residuals: Cow::Owned(residuals),
        })
    }
}
