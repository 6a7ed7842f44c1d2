//! Random-intercept logistic regression (R `lme4::glmer(family = binomial)`, Stata `melogit`), by
//! the Laplace approximation or adaptive Gauss–Hermite quadrature.
//!
//! A binary outcome is an ordinal outcome with two categories, so the marginal likelihood, its
//! per-cluster conditional modes, quadrature and derivatives are those of
//! [`trialstats_ordinal::Clmm`]: coding y = 1 as the lower category, P(y = 1 | u) = F(θ − xᵀβ_c −
//! u) = F(β₀ + xᵀβ + u') with β₀ = θ, β = −β_c and u' = −u (the normal random intercept is
//! symmetric). This module does the coding, the mapping of estimates and covariance, and the
//! reporting (σ, the boundary, the LR test, the latent-scale ICC).

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};
use trialstats_core::linalg::{check_data, check_full_rank};
use trialstats_core::stats::{is_binary_value, is_one};
use trialstats_core::{
    Clusters, Coef, Convergence, CovarianceInfo, Inference, Level, Reference, dist::chisq_sf,
};
use trialstats_ordinal::{Clmm, Link, OrdinalError, Quadrature};

use crate::error::MixedError;
use crate::extras::{Icc, LrTest};

/// A logistic (or probit, complementary log-log) regression with a normal random intercept per
/// cluster.
///
/// # Formula
/// ```text
/// P(y_ij = 1 | u_j) = F(x_ijᵀβ + u_j),   u_j ~ N(0, σ²)
/// ℓ(β, σ) = Σ_j ln ∫ Π_i p_ij(u) φ(u; 0, σ²) du
/// ```
/// the integral by the Laplace approximation at each cluster's conditional mode (R `nAGQ = 1`,
/// the default) or by adaptive Gauss–Hermite quadrature centred there and scaled by the
/// curvature (`nAGQ = nodes`; Pinheiro & Bates 1995). Standard errors are the inverse observed
/// information of the approximated likelihood in (β, ln σ) (R `vcov(glmer)` inverts a
/// finite-difference Hessian in (σ, β); the β block is the same). The fit starts from the
/// logistic regression without the random intercept, and a random intercept whose likelihood
/// slope in σ² at 0 is not positive is reported at its boundary: σ = 0, the glm's estimates,
/// LR = 0, p = 1.
///
/// For the logit link the curvature of the conditional log-likelihood is its expected
/// information, so Laplace and quadrature are glmer's exactly. For probit and cloglog glmer
/// scales the nodes by the expected information (its penalised IRLS weights) where this fit
/// uses the observed curvature; the estimates then differ from glmer's by the small
/// difference between the two approximations.
///
/// # References
/// Pinheiro & Bates (1995), "Approximations to the log-likelihood function in the nonlinear
/// mixed-effects model", JCGS 4(1):12–35, doi:10.1080/10618600.1995.10474663.
/// Bates, Mächler, Bolker & Walker (2015), J Stat Softw 67(1), doi:10.18637/jss.v067.i01.
///
/// # Examples
/// ```
/// use nalgebra::DMatrix;
/// use trialstats_core::Clusters;
/// use trialstats_mixed::{Glmm, Quadrature};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // lme4's cbpp: new cases of contagious bovine pleuropneumonia (incidence of size) in 15
/// // herds over 4 periods, one row per animal.
/// let incidence = [2, 3, 4, 0, 3, 1, 1, 8, 2, 0, 2, 2, 0, 2, 0, 5, 0, 0, 1, 3, 0, 0, 1, 8, 1,
///     3, 0, 12, 2, 0, 0, 0, 1, 1, 0, 2, 0, 5, 3, 1, 2, 1, 0, 0, 1, 2, 0, 0, 11, 0, 0, 0, 1, 1, 1, 0];
/// let size = [14, 12, 9, 5, 22, 18, 21, 22, 16, 16, 20, 10, 10, 9, 6, 18, 25, 24, 4, 17, 17, 18,
///     20, 16, 10, 9, 5, 34, 9, 6, 8, 6, 22, 22, 18, 22, 25, 27, 22, 22, 10, 8, 6, 5, 21, 24, 19,
///     23, 19, 2, 3, 2, 19, 15, 15, 15];
/// let period = [1, 2, 3, 4, 1, 2, 3, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4,
///     1, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4];
/// let herd = [1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7,
///     8, 9, 9, 9, 9, 10, 10, 10, 10, 11, 11, 11, 11, 12, 12, 12, 12, 13, 13, 13, 13, 14, 14, 14,
///     14, 15, 15, 15, 15];
/// let (mut y, mut rows, mut h) = (Vec::new(), Vec::new(), Vec::new());
/// for r in 0..56 {
///     for a in 0..size[r] {
///         y.push(if a < incidence[r] { 1.0 } else { 0.0 });
///         rows.push(period[r]);
///         h.push(herd[r]);
///     }
/// }
/// let x = DMatrix::from_fn(y.len(), 4, |i, j| if j == 0 || rows[i] == j + 1 { 1.0 } else { 0.0 });
/// let herds = Clusters::from_labels("herd", &h)?;
/// let fit = Glmm::new(&y, &x, &herds)?
///     .names(&["(Intercept)", "period2", "period3", "period4"])
///     .fit()?;
/// // glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, binomial):
/// // (Intercept) −1.3985, period2 −0.9923, σ 0.6423 (Laplace).
/// assert!((fit.beta[0] + 1.3985).abs() < 1e-4 && (fit.beta[1] + 0.9923).abs() < 1e-4);
/// assert!((fit.sigma - 0.6423).abs() < 1e-4);
/// // With 10-node adaptive quadrature (nAGQ = 10): σ 0.6475.
/// let agq = Glmm::new(&y, &x, &herds)?.quadrature(Quadrature::Adaptive { nodes: 10 }).fit()?;
/// assert!((agq.sigma - 0.6475).abs() < 1e-4 && agq.lr_test()?.p_value < 1e-3);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Glmm<'a> {
    x: &'a DMatrix<f64>,
    groups: &'a Clusters,
    names: Option<Vec<String>>,
    link: Link,
    quadrature: Quadrature,
    /// Category codes for the ordinal fit: y = 1 → 0, y = 0 → 1.
    codes: Vec<usize>,
    intercept: usize,
    /// X without the intercept column.
    slopes: DMatrix<f64>,
}

/// A fitted random-intercept binary regression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GlmmFit {
    /// Names of the fixed effects, in the columns' order.
    pub terms: Vec<String>,
    /// Fixed effects β̂ (log odds for the logit link).
    pub beta: DVector<f64>,
    /// Their covariance: the β block of the inverse observed information.
    pub vcov: DMatrix<f64>,
    /// σ̂, the standard deviation of the random intercept (0 at the boundary).
    pub sigma: f64,
    /// The standard error of ln σ̂ (`None` at the boundary).
    pub se_log_sigma: Option<f64>,
    /// The grouping factor.
    pub group: String,
    /// Its number of levels.
    pub n_groups: usize,
    /// The (approximate) log-likelihood at the optimum.
    pub log_likelihood: f64,
    /// −2 × the log-likelihood (glmer's `deviance` for a binary outcome).
    pub deviance: f64,
    /// The log-likelihood of the model without the random intercept (the glm).
    pub glm_log_likelihood: f64,
    /// Observations.
    pub nobs: usize,
    /// σ̂ at its boundary 0 (glmer's "singular fit").
    pub singular: bool,
    /// The link.
    pub link: Link,
    /// Laplace or adaptive quadrature.
    pub quadrature: Quadrature,
    /// Labels of the groups, in the order of `modes`.
    pub labels: Vec<String>,
    /// The conditional modes of the random intercepts, û_j (glmer's `ranef`).
    pub modes: Vec<f64>,
    /// The optimiser's report.
    pub convergence: Convergence,
}

impl<'a> Glmm<'a> {
    /// A random-intercept logit of `y` (0 or 1) on `x` (with an intercept column) by `groups`.
    /// The rows are complete cases (the caller drops incomplete rows and reports them).
    ///
    /// # Errors
    /// [`MixedError::Input`] for lengths that differ or non-finite values;
    /// [`MixedError::NotBinary`] naming the first value that is not 0 or 1;
    /// [`MixedError::ConstantOutcome`]; [`MixedError::OneLevel`]; [`MixedError::NoIntercept`].
    pub fn new(y: &[f64], x: &'a DMatrix<f64>, groups: &'a Clusters) -> Result<Self, MixedError> {
        let n = y.len();
        check_data("y", n, y.iter().copied(), x)?;
        groups.check_covers(n, "y")?;
        if let Some((row, &value)) = y.iter().enumerate().find(|(_, v)| !is_binary_value(**v)) {
            return Err(MixedError::NotBinary { row, value });
        }
        if let Some(&first) = y.first() {
            if y.iter().all(|&v| is_one(v) == is_one(first)) {
                return Err(MixedError::ConstantOutcome { value: first });
            }
        }
        if groups.n_clusters() < 2 {
            return Err(MixedError::OneLevel {
                factor: groups.name().to_owned(),
                level: groups.labels().first().cloned().unwrap_or_default(),
            });
        }
        let intercept = (0..x.ncols())
            .find(|&j| x.column(j).iter().all(|&v| is_one(v)))
            .ok_or(MixedError::NoIntercept)?;
        let keep: Vec<usize> = (0..x.ncols()).filter(|&j| j != intercept).collect();
        let slopes = x.select_columns(&keep);
        Ok(Self {
            x,
            groups,
            names: None,
            link: Link::Logit,
            quadrature: Quadrature::Laplace,
            codes: y.iter().map(|&v| usize::from(!is_one(v))).collect(),
            intercept,
            slopes,
        })
    }

    /// Names of the fixed effects (default `x1`, `x2`, …; ignored unless one per column).
    #[must_use]
    pub fn names<S: AsRef<str>>(mut self, names: &[S]) -> Self {
        self.names = Some(names.iter().map(|s| s.as_ref().to_owned()).collect());
        self
    }

    /// The link (default logit).
    #[must_use]
    pub fn link(mut self, link: Link) -> Self {
        self.link = link;
        self
    }

    /// Laplace (default; R `nAGQ = 1`) or adaptive quadrature (`nAGQ = nodes`).
    #[must_use]
    pub fn quadrature(mut self, q: Quadrature) -> Self {
        self.quadrature = q;
        self
    }

    fn term_names(&self) -> Vec<String> {
        match &self.names {
            Some(n) if n.len() == self.x.ncols() => n.clone(),
            _ => (1..=self.x.ncols()).map(|k| format!("x{k}")).collect(),
        }
    }

    /// Fits by maximum (approximate) likelihood.
    ///
    /// # Errors
    /// [`MixedError::Linalg`] naming aliased columns; [`MixedError::Separation`];
    /// [`MixedError::NotConverged`] with the last gradient; [`MixedError::Input`] for a number
    /// of nodes outside 2 to [`trialstats_ordinal::clmm::MAX_NODES`].
    pub fn fit(&self) -> Result<GlmmFit, MixedError> {
        let terms = self.term_names();
        check_full_rank(self.x, &terms)?;
        let slope_names: Vec<&String> = terms
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != self.intercept)
            .map(|(_, t)| t)
            .collect();
        let fit = Clmm::new(&self.codes, &["1", "0"], &self.slopes, self.groups)
            .and_then(|m| m.names(&slope_names))
            .map(|m| m.link(self.link).quadrature(self.quadrature))
            .and_then(|m| m.fit())
            .map_err(from_ordinal)?;
        // (θ, β_c, ln σ) → (β in the columns' order, ln σ): β₀ = θ, β = −β_c.
        let p = self.x.ncols();
        let mut jac = DMatrix::<f64>::zeros(p + 1, p + 1);
        jac[(self.intercept, 0)] = 1.0;
        for (c, j) in (1..).zip((0..p).filter(|&j| j != self.intercept)) {
            jac[(j, c)] = -1.0;
        }
        jac[(p, p)] = 1.0;
        let estimates: Vec<f64> = fit
            .thresholds()
            .iter()
            .chain(fit.beta())
            .copied()
            .chain(std::iter::once(0.0))
            .collect();
        let beta_all = &jac * DVector::from_vec(estimates);
        let vcov_all = &jac * fit.vcov() * jac.transpose();
        let singular = fit.at_boundary();
        let loglik = fit.loglik();
        Ok(GlmmFit {
            terms,
            beta: beta_all.rows(0, p).into_owned(),
            vcov: vcov_all.view((0, 0), (p, p)).into_owned(),
            sigma: fit.sigma(),
            se_log_sigma: (!singular).then(|| vcov_all[(p, p)].max(0.0).sqrt()),
            group: self.groups.name().to_owned(),
            n_groups: self.groups.n_clusters(),
            log_likelihood: loglik,
            deviance: -2.0 * loglik,
            glm_log_likelihood: fit.clm_loglik(),
            nobs: self.codes.len(),
            singular,
            link: self.link,
            quadrature: self.quadrature,
            labels: fit.cluster_labels().to_vec(),
            modes: fit.random_effects().iter().map(|u| -u).collect(),
            convergence: fit.convergence().clone(),
        })
    }
}

/// The ordinal fit's errors in this crate's terms (the outcome is binary here).
fn from_ordinal(e: OrdinalError) -> MixedError {
    match e {
        OrdinalError::Input(e) => MixedError::Input(e),
        OrdinalError::Linalg(e) => MixedError::Linalg(e),
        OrdinalError::NotConverged { convergence, .. } => MixedError::NotConverged { convergence },
        OrdinalError::Separation { terms, detail } => MixedError::Separation { terms, detail },
        other => MixedError::Ordinal(Box::new(other)),
    }
}

impl GlmmFit {
    /// The variance of the random intercept, σ̂².
    pub fn variance(&self) -> f64 {
        self.sigma * self.sigma
    }

    /// The variance of the latent residual: π²/3 for the logit link, 1 for probit, π²/6 for the
    /// complementary log-log.
    pub fn latent_residual_variance(&self) -> f64 {
        let pi2 = std::f64::consts::PI * std::f64::consts::PI;
        match self.link {
            Link::Probit => 1.0,
            Link::Cloglog => pi2 / 6.0,
            _ => pi2 / 3.0,
        }
    }

    /// Likelihood-ratio test of σ = 0 against the model without the random intercept:
    /// 2(ℓ − ℓ_glm), p = ½ P(χ²₁ > LR) (χ̄²₀₁, Self & Liang 1987; Stata's `LR test vs. logistic
    /// model: chibar2(01)`), 1 when the statistic is 0.
    ///
    /// # Errors
    /// [`MixedError::Input`] for a statistic the χ² tail cannot take (not finite).
    pub fn lr_test(&self) -> Result<LrTest, MixedError> {
        let statistic = (2.0 * (self.log_likelihood - self.glm_log_likelihood)).max(0.0);
        let p_value = if statistic > 0.0 {
            0.5 * chisq_sf(statistic, 1.0)?
        } else {
            1.0
        };
        Ok(LrTest {
            group: self.group.clone(),
            statistic,
            p_value,
        })
    }

    /// The intraclass correlation on the latent scale, ρ = σ² / (σ² + σ²_e) with σ²_e
    /// [`GlmmFit::latent_residual_variance`] (Stata `estat icc` after `melogit`), and the interval
    /// from the Wald interval of ln σ (logit ρ is linear in ln σ, so this is Stata's
    /// logit-scale delta-method interval); at the boundary 0 with the interval (0, 0).
    ///
    /// # Formula
    /// ```text
    /// ρ = σ² / (σ² + π²/3),  logit ρ = 2 ln σ − ln(π²/3),  CI: ρ at ln σ̂ ∓ z se(ln σ̂)
    /// ```
    /// Reference: Snijders & Bosker (2012), Multilevel Analysis, 2nd ed., §17.3.
    ///
    /// # Errors
    /// None in practice (a normal quantile).
    pub fn icc(&self, level: Level) -> Result<Icc, MixedError> {
        let e = self.latent_residual_variance();
        let rho = |s: f64| s * s / (s * s + e);
        let (lo, hi) = match self.se_log_sigma {
            Some(se) if self.sigma > 0.0 => {
                let z = Reference::Normal.quantile(level.upper_tail_probability())?;
                let l = self.sigma.ln();
                (rho((l - z * se).exp()), rho((l + z * se).exp()))
            }
            _ => (0.0, 0.0),
        };
        Ok(Icc {
            group: self.group.clone(),
            estimate: rho(self.sigma),
            ci_low: lo,
            ci_high: hi,
            level: level.value(),
        })
    }

    /// Wald z tests and `level` intervals for the fixed effects from the inverse observed
    /// information (R `summary(glmer)`, Stata `melogit`).
    ///
    /// # Errors
    /// [`MixedError::Input`] for a zero standard error.
    pub fn inference(&self, level: Level) -> Result<Inference, MixedError> {
        let coefficients = self
            .terms
            .iter()
            .enumerate()
            .map(|(c, name)| {
                Coef::wald(
                    name,
                    self.beta[c],
                    self.vcov[(c, c)].max(0.0).sqrt(),
                    Reference::Normal,
                    level,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let method = match self.quadrature {
            Quadrature::Adaptive { nodes } => {
                format!("adaptive Gauss–Hermite quadrature with {nodes} nodes")
            }
            _ => "the Laplace approximation".to_string(),
        };
        let mut notes = Vec::new();
        if self.singular {
            notes.push(format!(
                "boundary (singular) fit: the {} variance estimated at 0; the estimates are those of the model without the random intercept",
                self.group
            ));
        }
        Ok(Inference {
            nobs: self.nobs,
            n_clusters: Some(self.n_groups),
            covariance: CovarianceInfo {
                label: "model-based".into(),
                description: format!(
                    "inverse observed information of the likelihood integrated over a random intercept for {} by {method}",
                    self.group
                ),
                factor: None,
                cluster_vars: vec![self.group.clone()],
                n_clusters: vec![self.n_groups],
                reference: Reference::Normal,
            },
            coefficients,
            vcov: self.vcov.clone(),
            convergence: Some(self.convergence.clone()),
            notes,
        })
    }
}
