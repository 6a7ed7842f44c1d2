//! The linear mixed model with random intercepts: specification, profiled REML/ML fit, and the
//! fitted model's estimates.

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};
use trialstats_core::linalg::{check_data, check_full_rank};
use trialstats_core::{Clusters, Convergence, Termination};

use crate::error::MixedError;
use crate::numdiff;
use crate::structure::Structure;

/// The criterion a fit maximises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Restricted maximum likelihood (lme4's default; Stata `mixed, reml`).
    #[default]
    Reml,
    /// Maximum likelihood (lme4 `REML = FALSE`; Stata `mixed`'s default).
    Ml,
}

impl Method {
    /// `"REML"` or `"ML"`.
    pub fn label(self) -> &'static str {
        match self {
            Method::Reml => "REML",
            Method::Ml => "ML",
        }
    }
}

/// A linear mixed model y = Xβ + Z_a a + Z_b b + ε with a random intercept for each level of one
/// grouping factor (`groups`), or of two nested ones (`groups` ⊃ `nested`): a ~ N(0, σ_a²),
/// b ~ N(0, σ_b²), ε ~ N(0, σ²), all independent. R: `lmer(y ~ x + (1 | g))`,
/// `lmer(y ~ x + (1 | g/id))`; Stata: `mixed y x || g: || id:`.
///
/// The rows are complete cases (the caller drops incomplete rows and reports them); `x` holds
/// the fixed-effects columns, intercept included.
///
/// # Examples
/// ```
/// use nalgebra::DMatrix;
/// use trialstats_core::Clusters;
/// use trialstats_mixed::{Lmm, Method};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // lme4's Dyestuff: yield of dyestuff from 6 batches, 5 preparations each.
/// let y = [1545., 1440., 1440., 1520., 1580., 1540., 1555., 1490., 1560., 1495., 1595., 1550.,
///          1605., 1510., 1560., 1445., 1440., 1595., 1465., 1545., 1595., 1630., 1515., 1635.,
///          1625., 1520., 1455., 1450., 1480., 1445.];
/// let batch: Vec<usize> = (0..30).map(|i| i / 5).collect();
/// let groups = Clusters::from_labels("Batch", &batch)?;
/// let x = DMatrix::from_element(30, 1, 1.0);
/// let fit = Lmm::new(&y, &x, &groups)?.names(&["(Intercept)"]).fit()?;
/// // lme4: REML criterion 319.6543, batch variance 1764.05, residual 2451.25.
/// assert!((fit.deviance - 319.6543).abs() < 1e-4);
/// assert!((fit.components[0].variance - 1764.05).abs() < 0.01);
/// assert!((fit.sigma2 - 2451.25).abs() < 0.01);
/// assert_eq!(fit.method, Method::Reml);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Lmm<'a> {
    y: &'a [f64],
    x: &'a DMatrix<f64>,
    groups: &'a Clusters,
    nested: Option<&'a Clusters>,
    names: Option<Vec<String>>,
    method: Method,
}

/// One variance component of a fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VarianceComponent {
    /// The grouping factor (`"Residual"` for the residual).
    pub group: String,
    /// The variance.
    pub variance: f64,
    /// Its square root.
    pub sd: f64,
    /// Number of levels (observations for the residual).
    pub levels: usize,
}

/// A fitted linear mixed model.
#[derive(Debug, Clone)]
pub struct LmmFit<'a> {
    pub(crate) model: Lmm<'a>,
    pub(crate) structure: Structure,
    /// REML or ML.
    pub method: Method,
    /// Names of the fixed effects.
    pub terms: Vec<String>,
    /// Fixed effects β̂.
    pub beta: DVector<f64>,
    /// Their model-based covariance σ̂² (X'V₀⁻¹X)⁻¹ (lme4's `vcov`).
    pub vcov: DMatrix<f64>,
    /// Residual variance σ̂².
    pub sigma2: f64,
    /// Relative SDs θ (σ_group / σ): the outer factor's first, as `components`.
    pub theta: Vec<f64>,
    /// The grouping factors' variances (outer first), then the residual's.
    pub components: Vec<VarianceComponent>,
    /// The criterion at the optimum: −2 × the REML or ML log-likelihood (lme4's `REMLcrit` or
    /// `deviance`).
    pub deviance: f64,
    /// The log-likelihood (REML or ML), −deviance / 2 (lme4's `logLik`).
    pub log_likelihood: f64,
    /// Observations.
    pub nobs: usize,
    /// A variance estimated at its boundary, 0 (lme4's "singular fit").
    pub singular: bool,
    /// The optimiser's report (gradient of the criterion in θ).
    pub convergence: Convergence,
}

/// The criterion and the estimates it profiles out, at one θ.
pub(crate) struct Profile {
    pub deviance: f64,
    pub beta: DVector<f64>,
    /// Lower Cholesky factor of X'V₀⁻¹X.
    pub l_xx: DMatrix<f64>,
    pub r2: f64,
    pub logdet_v: f64,
    pub logdet_xx: f64,
}

impl<'a> Lmm<'a> {
    /// A model with a random intercept for each level of `groups`.
    ///
    /// # Errors
    /// [`MixedError::Input`] for lengths that differ or non-finite values;
    /// [`MixedError::OneLevel`] if `groups` has one level; [`MixedError::TooFewObservations`].
    pub fn new(
        y: &'a [f64],
        x: &'a DMatrix<f64>,
        groups: &'a Clusters,
    ) -> Result<Self, MixedError> {
        let n = y.len();
        check_data("y", n, y.iter().copied(), x)?;
        groups.check_covers(n, "y")?;
        if groups.n_clusters() < 2 {
            return Err(MixedError::OneLevel {
                factor: groups.name().to_owned(),
                level: groups.labels().first().cloned().unwrap_or_default(),
            });
        }
        if n <= x.ncols() {
            return Err(MixedError::TooFewObservations {
                nobs: n,
                p: x.ncols(),
            });
        }
        Ok(Self {
            y,
            x,
            groups,
            nested: None,
            names: None,
            method: Method::Reml,
        })
    }

    /// A second random intercept for each level of `inner`, nested in the first factor's levels.
    ///
    /// # Errors
    /// [`MixedError::NotNested`] naming an inner level that appears in two outer levels;
    /// [`MixedError::OneLevel`].
    pub fn nested(mut self, inner: &'a Clusters) -> Result<Self, MixedError> {
        inner.check_covers(self.y.len(), "y")?;
        let mut outer_of: Vec<Option<usize>> = vec![None; inner.n_clusters()];
        for (&j, &g) in inner.codes().iter().zip(self.groups.codes()) {
            match outer_of[j] {
                None => outer_of[j] = Some(g),
                Some(h) if h != g => {
                    let first = self.groups.labels()[h].clone();
                    let second = self.groups.labels()[g].clone();
                    return Err(MixedError::NotNested(Box::new(
                        trialstats_core::NotNested {
                            inner: inner.name().to_owned(),
                            outer: self.groups.name().to_owned(),
                            id: inner.labels()[j].clone(),
                            first,
                            second,
                        },
                    )));
                }
                Some(_) => {}
            }
        }
        if inner.n_clusters() < 2 {
            return Err(MixedError::OneLevel {
                factor: inner.name().to_owned(),
                level: inner.labels().first().cloned().unwrap_or_default(),
            });
        }
        self.nested = Some(inner);
        Ok(self)
    }

    /// REML (default) or ML.
    #[must_use]
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// Names of the fixed effects (default `x1`, `x2`, …; ignored unless one per column).
    #[must_use]
    pub fn names<S: AsRef<str>>(mut self, names: &[S]) -> Self {
        self.names = Some(names.iter().map(|s| s.as_ref().to_owned()).collect());
        self
    }

    fn n_theta(&self) -> usize {
        if self.nested.is_some() { 2 } else { 1 }
    }

    /// The innermost grouping factor.
    fn innermost(&self) -> &'a Clusters {
        self.nested.unwrap_or(self.groups)
    }

    fn term_names(&self) -> Vec<String> {
        match &self.names {
            Some(n) if n.len() == self.x.ncols() => n.clone(),
            _ => (1..=self.x.ncols()).map(|k| format!("x{k}")).collect(),
        }
    }

    pub(crate) fn structure(&self) -> Structure {
        let n = self.y.len();
        let p = self.x.ncols();
        let mut a = DMatrix::<f64>::zeros(n, p + 1);
        a.columns_mut(0, p).copy_from(self.x);
        a.column_mut(p).copy_from_slice(self.y);
        let inner = self.innermost();
        let outer_of: Option<Vec<usize>> = self.nested.map(|inn| {
            let mut of = vec![0usize; inn.n_clusters()];
            for (&j, &g) in inn.codes().iter().zip(self.groups.codes()) {
                of[j] = g;
            }
            of
        });
        Structure::new(
            &a,
            inner.codes(),
            inner.n_clusters(),
            outer_of.as_deref().map(|o| (o, self.groups.n_clusters())),
        )
    }

    /// θ as (outer, inner) for the structure's evaluation.
    pub(crate) fn split(&self, theta: &[f64]) -> (f64, f64) {
        match theta {
            [t] => (0.0, *t),
            [a, b] => (*a, *b),
            _ => (0.0, 0.0),
        }
    }

    /// The profiled criterion at θ; `None` where X'V₀⁻¹X is not positive definite.
    pub(crate) fn profile(&self, s: &Structure, theta: &[f64]) -> Option<Profile> {
        let (ta, tb) = self.split(theta);
        let e = s.evaluate(ta, tb);
        let q = e.m.nrows();
        let p = q - 1;
        let chol = e.m.cholesky()?;
        let l = chol.l();
        let l_xx = l.view((0, 0), (p, p)).into_owned();
        let ly: DVector<f64> = l.view((p, 0), (1, p)).transpose().column(0).into_owned();
        let lam = l[(p, p)];
        let r2 = lam * lam;
        let beta = l_xx.transpose().solve_upper_triangular(&ly)?;
        let logdet_xx = 2.0 * (0..p).map(|k| l_xx[(k, k)].ln()).sum::<f64>();
        let n = self.y.len() as f64;
        let two_pi = 2.0 * std::f64::consts::PI;
        let deviance = match self.method {
            Method::Reml => {
                let df = n - p as f64;
                e.logdet_v + logdet_xx + df * (1.0 + (two_pi * r2 / df).ln())
            }
            Method::Ml => e.logdet_v + n * (1.0 + (two_pi * r2 / n).ln()),
        };
        deviance.is_finite().then_some(Profile {
            deviance,
            beta,
            l_xx,
            r2,
            logdet_v: e.logdet_v,
            logdet_xx,
        })
    }

    /// Fits the model.
    ///
    /// # Errors
    /// [`MixedError::Linalg`] naming the aliased columns of a rank-deficient X; [`MixedError::ConstantWithinGroups`] when
    /// the outcome does not vary within any innermost group; [`MixedError::NotConverged`] with
    /// the last gradient.
    pub fn fit(&self) -> Result<LmmFit<'a>, MixedError> {
        let terms = self.term_names();
        check_full_rank(self.x, &terms)?;
        self.check_within_variation()?;
        let s = self.structure();
        let f = |t: &[f64]| self.profile(&s, t).map_or(f64::INFINITY, |p| p.deviance);
        let (theta, convergence) = minimise_even(&f, self.n_theta())?;
        let prof = self
            .profile(&s, &theta)
            .ok_or_else(|| MixedError::NotConverged {
                convergence: convergence.clone(),
            })?;
        let n = self.y.len();
        let p = self.x.ncols();
        let sigma2 = match self.method {
            Method::Reml => prof.r2 / (n - p) as f64,
            Method::Ml => prof.r2 / n as f64,
        };
        let xtvx_inv = crate::lmm::inverse_from_lower(&prof.l_xx);
        let vcov = xtvx_inv * sigma2;
        let mut components = Vec::new();
        let factors: Vec<&Clusters> = match self.nested {
            Some(inner) => vec![self.groups, inner],
            None => vec![self.groups],
        };
        for (t, g) in theta.iter().zip(&factors) {
            let v = sigma2 * t * t;
            components.push(VarianceComponent {
                group: g.name().to_owned(),
                variance: v,
                sd: v.sqrt(),
                levels: g.n_clusters(),
            });
        }
        components.push(VarianceComponent {
            group: "Residual".into(),
            variance: sigma2,
            sd: sigma2.sqrt(),
            levels: n,
        });
        let singular = theta.contains(&0.0);
        Ok(LmmFit {
            model: self.clone(),
            structure: s,
            method: self.method,
            terms,
            beta: prof.beta,
            vcov,
            sigma2,
            theta,
            components,
            deviance: prof.deviance,
            log_likelihood: -prof.deviance / 2.0,
            nobs: n,
            singular,
            convergence,
        })
    }

    fn check_within_variation(&self) -> Result<(), MixedError> {
        let inner = self.innermost();
        let mut first: Vec<Option<f64>> = vec![None; inner.n_clusters()];
        for (&j, &y) in inner.codes().iter().zip(self.y) {
            match first[j] {
                None => first[j] = Some(y),
                Some(v) if v.total_cmp(&y).is_ne() => return Ok(()),
                Some(_) => {}
            }
        }
        Err(MixedError::ConstantWithinGroups {
            factor: inner.name().to_owned(),
        })
    }

    pub(crate) fn y(&self) -> &'a [f64] {
        self.y
    }

    pub(crate) fn x(&self) -> &'a DMatrix<f64> {
        self.x
    }

    pub(crate) fn groups(&self) -> &'a Clusters {
        self.groups
    }

    pub(crate) fn inner(&self) -> Option<&'a Clusters> {
        self.nested
    }
}

/// (L L')⁻¹ from the lower Cholesky factor L.
pub(crate) fn inverse_from_lower(l: &DMatrix<f64>) -> DMatrix<f64> {
    let p = l.nrows();
    let linv = l
        .solve_lower_triangular(&DMatrix::identity(p, p))
        .unwrap_or_else(|| DMatrix::from_element(p, p, f64::NAN));
    linv.tr_mul(&linv)
}

/// Minimises a function of θ that is even in each coordinate (the criterion depends on θ²), so
/// the bound θ ≥ 0 needs no special handling: damped Newton steps with numerical derivatives
/// from the best point of a small grid; the result is |θ|, with coordinates below 1e−7 set to
/// the boundary 0 (lme4's bobyqa lands on the bound there).
fn minimise_even(
    f: &dyn Fn(&[f64]) -> f64,
    k: usize,
) -> Result<(Vec<f64>, Convergence), MixedError> {
    let grid = [0.05, 0.2, 0.5, 1.0, 2.0, 5.0];
    let mut best = (vec![1.0; k], f64::INFINITY);
    let mut idx = vec![0usize; k];
    loop {
        let t: Vec<f64> = idx.iter().map(|&i| grid[i]).collect();
        let v = f(&t);
        if v < best.1 {
            best = (t, v);
        }
        let mut d = 0;
        while d < k {
            idx[d] += 1;
            if idx[d] < grid.len() {
                break;
            }
            idx[d] = 0;
            d += 1;
        }
        if d == k {
            break;
        }
    }
    let (mut x, mut fx) = best;
    let mut iterations = 0usize;
    let mut status = Termination::MaxIterations;
    let mut g = numdiff::gradient(f, &x);
    let mut condition = f64::NAN;
    while iterations < 100 {
        iterations += 1;
        let h = numdiff::hessian(f, &x);
        // A descent direction from the Hessian with its eigenvalues made positive.
        let eig = nalgebra::SymmetricEigen::new(h);
        let (lo, hi) = eig
            .eigenvalues
            .iter()
            .fold((f64::INFINITY, 0.0f64), |(l, h), v| {
                (l.min(v.abs()), h.max(v.abs()))
            });
        condition = hi / lo;
        let scale = eig
            .eigenvalues
            .iter()
            .fold(0.0f64, |m, v| m.max(v.abs()))
            .max(1e-12);
        let mut dir = DVector::<f64>::zeros(k);
        for (i, lam) in eig.eigenvalues.iter().enumerate() {
            let v = eig.eigenvectors.column(i);
            let lam = lam.abs().max(1e-10 * scale);
            dir -= v * (v.dot(&g) / lam);
        }
        // Backtracking until the criterion decreases.
        let mut t = 1.0;
        let mut accepted = false;
        for _ in 0..60 {
            let xn: Vec<f64> = x.iter().zip(dir.iter()).map(|(a, d)| a + t * d).collect();
            let fnew = f(&xn);
            if fnew <= fx {
                let moved = xn
                    .iter()
                    .zip(&x)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f64::max);
                let fdrop = fx - fnew;
                x = xn;
                fx = fnew;
                accepted = true;
                g = numdiff::gradient(f, &x);
                let small_g = g.amax() < 1e-8 * (1.0 + fx.abs());
                if (moved < 1e-10 * (1.0 + x.iter().fold(0.0f64, |m, v| m.max(v.abs())))
                    || fdrop < 1e-14 * (1.0 + fx.abs()))
                    && small_g
                {
                    status = Termination::Converged;
                }
                break;
            }
            t /= 2.0;
        }
        if status == Termination::Converged {
            break;
        }
        if !accepted {
            // No decrease along the direction: at the optimum to working precision when the
            // gradient is small.
            status = if g.amax() < 1e-5 * (1.0 + fx.abs()) {
                Termination::Converged
            } else {
                Termination::StepHalvingFailed
            };
            break;
        }
    }
    let theta: Vec<f64> = x
        .iter()
        .map(|t| if t.abs() < 1e-7 { 0.0 } else { t.abs() })
        .collect();
    let convergence = Convergence {
        iterations: iterations as u32,
        max_abs_gradient: g.amax(),
        hessian_condition: condition,
        status,
    };
    if status != Termination::Converged {
        return Err(MixedError::NotConverged { convergence });
    }
    Ok((theta, convergence))
}
