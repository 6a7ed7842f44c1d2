//! The wild cluster bootstrap for one OLS coefficient, restricted (WCR) or unrestricted (WCU).
//!
//! # Algorithm
//! For H₀: β_j = β₀, WCR draws y* = ỹ + v_g ũ, where ỹ and ũ are the fitted values and residuals
//! of the regression under the null, and v_g is one weight per cluster; WCU draws y* = ŷ + v_g ê.
//! Each replicate's CR1 t statistic t* is compared with the observed t; the two-sided p-value is
//! the share of replicates with |t*| ≥ |t| (symmetric p-value, Stata `boottest`'s default).
//!
//! No replicate touches the n observations. With B = (XᵀX)⁻¹, a = Bⱼ (column j), s_g = X_gᵀũ_g,
//! η_g = aᵀs_g, r_g = B s_g and q_g = X_gᵀX_g a (computed once, O(nk)):
//! ```text
//! β*_j − β₀ = Σ_g v_g η_g
//! aᵀX_hᵀe*_h = v_h η_h − q_hᵀ (Σ_g v_g r_g)
//! t* = (β*_j − β₀) / √(c Σ_h (aᵀX_hᵀe*_h)²)
//! ```
//! so each replicate costs O(Gk) (Roodman, MacKinnon, Nielsen & Webb 2019). The small-sample
//! factor c cancels in the p-value. Because ũ is linear in β₀ (ũ = M_r y − β₀ M_r x_j), the
//! confidence interval by test inversion reuses the same one-pass quantities at every β₀.
//!
//! # Ties and enumeration
//! With Rademacher weights and 2^G ≤ B, all 2^G sign vectors are enumerated and the p-value is
//! exact and deterministic (`reps` reports 2^G). The all-ones vector reproduces the observed t
//! up to rounding, so |t*| ≥ |t| is decided with a relative tolerance of 1e−12.
//!
//! # References
//! Cameron, Gelbach & Miller (2008), REStat 90(3):414–427, doi:10.1162/rest.90.3.414.
//! MacKinnon & Webb (2017), J. Appl. Econometrics 32(2):233–254, doi:10.1002/jae.2508.
//! Webb (2023), Canadian J. Economics 56(3):839–858, doi:10.1111/caje.12661 (six-point weights).
//! Mammen (1993), Ann. Statist. 21(1):255–285, doi:10.1214/aos/1176349025.
//! Roodman, MacKinnon, Nielsen & Webb (2019), Stata J. 19(1):4–60, doi:10.1177/1536867X19830877.

use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use trialstats_core::linalg::Spd;
use trialstats_core::rng::{Rng, stream_seed};
use trialstats_core::{Clusters, InputError, Level};

use crate::error::RobustError;
use crate::ols::OlsFit;
use trialstats_sandwich::{EstimatingEquations, SandwichError};

/// Relative tolerance for |t*| ≥ |t| (see the module docs).
pub const TIE_TOLERANCE: f64 = 1e-12;

/// Bootstrap weight distributions (mean 0, variance 1).
///
/// # Examples
/// ```
/// use trialstats_core::{Clusters, nalgebra::DMatrix};
/// use trialstats_robust::{Ols, WildClusterBootstrap, WildWeights};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // Webb's six-point weights on the data of [`WildClusterBootstrap::test`]: drawn, not enumerated.
/// # // 6 sites of 3 participants, arms alternating by site (R: site <- rep(1:6, each = 3);
/// # // arm <- rep(c(0, 1, 0, 1, 0, 1), each = 3); fit <- lm(y ~ arm + base)).
/// # let base = [6.4, 7.0, 5.5, 5.6, 8.2, 6.1, 8.3, 7.6, 7.0, 6.0, 6.2, 6.7, 5.5, 6.7, 5.9, 7.0, 6.8, 7.9];
/// # let y = [6.3, 6.7, 5.6, 4.8, 6.9, 5.1, 7.2, 6.7, 7.0, 5.0, 5.4, 6.3, 5.6, 7.2, 5.8, 6.3, 5.6, 7.0];
/// # let x = DMatrix::from_fn(18, 3, |i, j| [1.0, ((i / 3) % 2) as f64, base[i]][j]);
/// # let fit = Ols::new(&x, &y)?.names(&["(Intercept)", "arm", "base"])?.fit()?;
/// # let site = Clusters::from_labels("site", &(0..18).map(|i| i / 3).collect::<Vec<_>>())?;
/// let webb = WildClusterBootstrap { reps: 999, weights: WildWeights::Webb, level: None, ..Default::default() };
/// let a = webb.test(&fit, &site, "arm")?;
/// assert!(!a.enumerated && a.reps == 999 && a.weights.name() == "webb");
/// // A share of the 999 replicates, and the same seed draws the same weights.
/// let count = a.p_value * 999.0;
/// assert!((count - count.round()).abs() < 1e-9);
/// assert_eq!(webb.test(&fit, &site, "arm")?.p_value, a.p_value);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum WildWeights {
    /// ±1 with probability ½ each.
    Rademacher,
    /// ±√½, ±1, ±√(3/2) with probability ⅙ each (Webb's six-point distribution).
    Webb,
    /// −(√5−1)/2 with probability (√5+1)/(2√5), (√5+1)/2 otherwise (Mammen 1993).
    Mammen,
}

impl WildWeights {
    /// The weight's support; codes index into it.
    fn support(&self) -> Vec<f64> {
        let s5 = 5f64.sqrt();
        match self {
            WildWeights::Rademacher => vec![-1.0, 1.0],
            WildWeights::Webb => vec![
                -(1.5f64.sqrt()),
                -1.0,
                -(0.5f64.sqrt()),
                0.5f64.sqrt(),
                1.0,
                1.5f64.sqrt(),
            ],
            WildWeights::Mammen => vec![-(s5 - 1.0) / 2.0, (s5 + 1.0) / 2.0],
        }
    }

    fn draw(&self, rng: &mut Rng) -> u8 {
        match self {
            WildWeights::Rademacher => u8::from(rng.coin()),
            WildWeights::Webb => rng.below(6) as u8,
            WildWeights::Mammen => {
                let s5 = 5f64.sqrt();
                u8::from(rng.uniform() >= (s5 + 1.0) / (2.0 * s5))
            }
        }
    }

    /// Lower-case name (`rademacher`, `webb`, `mammen`).
    pub fn name(&self) -> &'static str {
        match self {
            WildWeights::Rademacher => "rademacher",
            WildWeights::Webb => "webb",
            WildWeights::Mammen => "mammen",
        }
    }
}

/// Settings of the wild cluster bootstrap. Defaults: 9 999 replicates, Rademacher weights, the
/// null imposed (WCR), seed 1, H₀: β = 0, a 95 % confidence interval.
///
/// # Examples
/// ```
/// use trialstats_core::{Clusters, nalgebra::DMatrix};
/// use trialstats_robust::{Ols, WildClusterBootstrap, WildWeights};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // H₀: β_arm = −1 on the data of [`WildClusterBootstrap::test`], the other settings the defaults.
/// # // 6 sites of 3 participants, arms alternating by site (R: site <- rep(1:6, each = 3);
/// # // arm <- rep(c(0, 1, 0, 1, 0, 1), each = 3); fit <- lm(y ~ arm + base)).
/// # let base = [6.4, 7.0, 5.5, 5.6, 8.2, 6.1, 8.3, 7.6, 7.0, 6.0, 6.2, 6.7, 5.5, 6.7, 5.9, 7.0, 6.8, 7.9];
/// # let y = [6.3, 6.7, 5.6, 4.8, 6.9, 5.1, 7.2, 6.7, 7.0, 5.0, 5.4, 6.3, 5.6, 7.2, 5.8, 6.3, 5.6, 7.0];
/// # let x = DMatrix::from_fn(18, 3, |i, j| [1.0, ((i / 3) % 2) as f64, base[i]][j]);
/// # let fit = Ols::new(&x, &y)?.names(&["(Intercept)", "arm", "base"])?.fit()?;
/// # let site = Clusters::from_labels("site", &(0..18).map(|i| i / 3).collect::<Vec<_>>())?;
/// let d = WildClusterBootstrap::default();
/// assert_eq!((d.reps, d.weights, d.impose_null, d.seed), (9_999, WildWeights::Rademacher, true, 1));
/// let r = WildClusterBootstrap { null: -1.0, level: None, ..d }.test(&fit, &site, "arm")?;
/// // R, by brute force (restricted fits with β_arm = −1 imposed): 10 of 64 |t*| ≥ |t|
/// assert_eq!(r.p_value, 10.0 / 64.0);
/// assert!(r.ci.is_none());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WildClusterBootstrap {
    /// Number of replicates B (≥ 1). With Rademacher weights and 2^G ≤ B all 2^G sign vectors are
    /// enumerated instead.
    pub reps: usize,
    /// The weight distribution.
    pub weights: WildWeights,
    /// Impose the null (WCR, recommended) or not (WCU).
    pub impose_null: bool,
    /// Seed of the generator (recorded in the result).
    pub seed: u64,
    /// The null value β₀.
    pub null: f64,
    /// Confidence level of the interval by test inversion; `None` for no interval.
    pub level: Option<Level>,
}

impl Default for WildClusterBootstrap {
    fn default() -> Self {
        Self {
            reps: 9_999,
            weights: WildWeights::Rademacher,
            impose_null: true,
            seed: 1,
            null: 0.0,
            level: Some(Level::P95),
        }
    }
}

/// The result of a wild cluster bootstrap test.
///
/// # Examples
/// ```
/// use trialstats_core::{Clusters, nalgebra::DMatrix};
/// use trialstats_robust::{Ols, WildClusterBootstrap};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // The unrestricted bootstrap (WCU) of arm, on the data of [`WildClusterBootstrap::test`].
/// # // 6 sites of 3 participants, arms alternating by site (R: site <- rep(1:6, each = 3);
/// # // arm <- rep(c(0, 1, 0, 1, 0, 1), each = 3); fit <- lm(y ~ arm + base)).
/// # let base = [6.4, 7.0, 5.5, 5.6, 8.2, 6.1, 8.3, 7.6, 7.0, 6.0, 6.2, 6.7, 5.5, 6.7, 5.9, 7.0, 6.8, 7.9];
/// # let y = [6.3, 6.7, 5.6, 4.8, 6.9, 5.1, 7.2, 6.7, 7.0, 5.0, 5.4, 6.3, 5.6, 7.2, 5.8, 6.3, 5.6, 7.0];
/// # let x = DMatrix::from_fn(18, 3, |i, j| [1.0, ((i / 3) % 2) as f64, base[i]][j]);
/// # let fit = Ols::new(&x, &y)?.names(&["(Intercept)", "arm", "base"])?.fit()?;
/// # let site = Clusters::from_labels("site", &(0..18).map(|i| i / 3).collect::<Vec<_>>())?;
/// let wcu = WildClusterBootstrap { impose_null: false, ..WildClusterBootstrap::default() };
/// let r = wcu.test(&fit, &site, "arm")?;
/// // R, by brute force over the 64 sign vectors (y* = ŷ + v ê): no |t*| reaches |t|, so p = 0;
/// // the interval β̂ ± q*·SE_CR0, q* the ceiling(0.95 · 64)-th smallest |t*|:
/// // -1.1433282271840091 to -0.22172129438725086
/// assert_eq!((r.p_value, r.reps, r.impose_null, r.n_clusters), (0.0, 64, false, 6));
/// let (lo, hi) = r.ci.ok_or("no interval")?;
/// assert!((lo + 1.1433282271840091).abs() < 1e-10 && (hi + 0.22172129438725086).abs() < 1e-10);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BootTest {
    /// The coefficient tested.
    pub term: String,
    /// β̂_j.
    pub estimate: f64,
    /// β₀.
    pub null: f64,
    /// The observed CR1 t statistic (β̂_j − β₀)/SE_CR1.
    pub statistic: f64,
    /// Symmetric two-sided bootstrap p-value.
    pub p_value: f64,
    /// Replicates actually used (2^G when enumerated).
    pub reps: usize,
    /// Whether all 2^G sign vectors were enumerated.
    pub enumerated: bool,
    /// The weights.
    pub weights: WildWeights,
    /// WCR (true) or WCU (false).
    pub impose_null: bool,
    /// The seed.
    pub seed: u64,
    /// Number of clusters G.
    pub n_clusters: usize,
    /// The confidence interval by test inversion, if asked for.
    pub ci: Option<(f64, f64)>,
    /// Its level.
    pub level: Option<Level>,
}

/// The per-cluster quantities of one null hypothesis (linear in β₀ for WCR).
struct Setup {
    eta: Vec<f64>,
    r: DMatrix<f64>,
}

impl WildClusterBootstrap {
    /// Tests H₀: β_term = `null` for a fitted OLS model with clusters `clusters`.
    ///
    /// # Errors
    /// [`SandwichError::UnknownTerm`]; [`InputError::OutOfRange`] if `reps` < 1 or beyond
    /// [`MAX_REPS`] (or [`MAX_DRAWS`] draws) when drawn; [`SandwichError::TooFewClusters`]; [`InputError::Length`] if the clusters do
    /// not match the fit.
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::{Clusters, nalgebra::DMatrix};
    /// use trialstats_robust::{Ols, WildClusterBootstrap};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // 6 sites of 3 participants, arms alternating by site (R: site <- rep(1:6, each = 3);
    /// // arm <- rep(c(0, 1, 0, 1, 0, 1), each = 3); fit <- lm(y ~ arm + base)).
    /// let base = [6.4, 7.0, 5.5, 5.6, 8.2, 6.1, 8.3, 7.6, 7.0, 6.0, 6.2, 6.7, 5.5, 6.7, 5.9, 7.0, 6.8, 7.9];
    /// let y = [6.3, 6.7, 5.6, 4.8, 6.9, 5.1, 7.2, 6.7, 7.0, 5.0, 5.4, 6.3, 5.6, 7.2, 5.8, 6.3, 5.6, 7.0];
    /// let x = DMatrix::from_fn(18, 3, |i, j| [1.0, ((i / 3) % 2) as f64, base[i]][j]);
    /// let fit = Ols::new(&x, &y)?.names(&["(Intercept)", "arm", "base"])?.fit()?;
    /// let site = Clusters::from_labels("site", &(0..18).map(|i| i / 3).collect::<Vec<_>>())?;
    /// let r = WildClusterBootstrap::default().test(&fit, &site, "arm")?;
    /// assert!(r.enumerated && r.reps == 64); // 2^6 ≤ 9999: every sign vector
    /// // R, by brute force (64 restricted-residual bootstraps of lm(y ~ arm + base), CR0 t*):
    /// // mean(abs(t*) >= abs(t)) = 2/64; t = -4.8394894562539017 with vcovCL(type = "HC1").
    /// assert_eq!(r.p_value, 2.0 / 64.0);
    /// assert!((r.statistic + 4.8394894562539017).abs() < 1e-10);
    /// // The same bisection in R: p(β₀) ≥ 0.05 from -1.1932883585925171 to -0.34257659184134731.
    /// let (lo, hi) = r.ci.ok_or("no interval")?;
    /// assert!((lo + 1.1932883585925171).abs() < 1e-9 && (hi + 0.34257659184134731).abs() < 1e-9);
    /// # Ok(()) }
    /// ```
    pub fn test(
        &self,
        fit: &OlsFit,
        clusters: &Clusters,
        term: &str,
    ) -> Result<BootTest, RobustError> {
        self.test_with_progress(fit, clusters, term, &mut |_, _| {})
    }

    /// As [`WildClusterBootstrap::test`], calling `progress(done, total)` as the p-value and each
    /// bisection step of the interval are computed.
    ///
    /// # Errors
    /// As [`WildClusterBootstrap::test`].
    pub fn test_with_progress(
        &self,
        fit: &OlsFit,
        clusters: &Clusters,
        term: &str,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<BootTest, RobustError> {
        let (j, g) = self.check(fit, clusters, term)?;
        let n = fit.nobs();
        let k = fit.coefficients().len();
        let b = fit.bread();
        let a: DVector<f64> = b.column(j).into_owned();
        let beta_j = fit.coefficients()[j];
        // Everything below comes from the per-cluster statistics M_g = X_gᵀX_g and X_gᵀê_g
        // (kept by the fit, or computed in one pass): O(Gk²) after that pass.
        let stats = fit.cluster_statistics(clusters)?;
        let m_g: &[DMatrix<f64>] = &stats.xtx;
        let s_hat: &DMatrix<f64> = &stats.scores;
        // q_h = X_hᵀX_h a.
        let mut q = DMatrix::zeros(g, k);
        for (h, m) in m_g.iter().enumerate() {
            q.row_mut(h).copy_from(&(m * &a).transpose());
        }
        // The observed SE on the CR0 scale (the scale of every t*; the factor c cancels in the
        // p-value), and the reported CR1 SE with Stata's regress factor.
        let c = (g as f64 / (g as f64 - 1.0)) * ((n as f64 - 1.0) / (n as f64 - k as f64));
        let se0 = (s_hat * &a).iter().map(|v| v * v).sum::<f64>().sqrt();
        let se = c.sqrt() * se0;
        let draws = Draws::new(self, &clusters.label_ranks());
        // Under H₀ the scores are linear in β₀ (see `restricted_scores`).
        let (s0, sm) = if self.impose_null {
            let (s0, sm) = restricted_scores(fit, m_g, s_hat, j)?;
            (s0, Some(sm))
        } else {
            (s_hat.clone(), None)
        };
        // η and R are linear in β₀ (through s = s0 − β₀·sm), so every replicate's t*(β₀) is a
        // ratio of a linear and the square root of a quadratic function of δ = β₀ − null: one
        // pass over the replicates gives their coefficients, and every β₀ of the test inversion
        // then costs O(B) (Roodman et al. 2019, §3.3).
        let setup = |s: DMatrix<f64>| -> Setup {
            let eta: Vec<f64> = (&s * &a).iter().copied().collect();
            let r = b * s.transpose(); // k × G
            Setup { eta, r }
        };
        let (centre, slope) = match &sm {
            Some(sm) => (setup(&s0 - sm * self.null), Some(setup(sm.clone()))),
            None => (setup(s0.clone()), None),
        };
        // The slope terms are needed only to move β₀, i.e. for the interval.
        let slope = slope.filter(|_| self.level.is_some());
        let reps = draws.replicates(&centre, slope.as_ref(), &q);
        let p_at = |beta0: f64| -> f64 {
            let t = (beta_j - beta0) / se0;
            let delta = if self.impose_null {
                beta0 - self.null
            } else {
                0.0
            };
            reps.p_value(delta, t)
        };
        let total = 1 + usize::from(self.level.is_some()) * 2 * BISECTION_STEPS;
        let p_value = p_at(self.null);
        progress(1, total);
        let ci = match self.level {
            None => None,
            Some(level) => {
                let alpha = level.alpha();
                if self.impose_null {
                    let mut done = 1;
                    let mut step = |done_now: &mut usize| {
                        *done_now += 1;
                        progress(*done_now, total);
                    };
                    let lo = invert(&p_at, beta_j, -se, alpha, &mut || step(&mut done));
                    let hi = invert(&p_at, beta_j, se, alpha, &mut || step(&mut done));
                    Some((lo, hi))
                } else {
                    // WCU: t* does not depend on β₀; the interval is β̂ ± q*·SE with q* the
                    // (1 − α) quantile of |t*|.
                    let mut abs_t: Vec<f64> =
                        (0..reps.len()).map(|i| reps.t(i, 0.0).abs()).collect();
                    abs_t.sort_by(f64::total_cmp);
                    let idx = ((1.0 - alpha) * abs_t.len() as f64).ceil() as usize;
                    let qstar = abs_t[idx.clamp(1, abs_t.len()) - 1];
                    progress(total, total);
                    Some((beta_j - qstar * se0, beta_j + qstar * se0))
                }
            }
        };
        Ok(BootTest {
            term: term.to_owned(),
            estimate: beta_j,
            null: self.null,
            statistic: (beta_j - self.null) / se,
            p_value,
            reps: draws.reps,
            enumerated: draws.enumerated,
            weights: self.weights,
            impose_null: self.impose_null,
            seed: self.seed,
            n_clusters: g,
            ci,
            level: self.level,
        })
    }

    /// Checks the request against the fit: the term (its column j), the replicates and the
    /// clusters (G ≥ 2, one per row); returns (j, G).
    fn check(
        &self,
        fit: &OlsFit,
        clusters: &Clusters,
        term: &str,
    ) -> Result<(usize, usize), RobustError> {
        let j = fit.names().iter().position(|n| n == term).ok_or_else(|| {
            SandwichError::UnknownTerm {
                term: term.to_owned(),
                available: fit.names().to_vec(),
            }
        })?;
        if self.reps < 1 {
            return Err(InputError::OutOfRange {
                field: "reps".into(),
                value: self.reps as f64,
                expected: "≥ 1".into(),
            }
            .into());
        }
        let n = fit.nobs();
        clusters.check_covers(n, "observations")?;
        let g = clusters.n_clusters();
        // A few numbers are kept per replicate, and every replicate draws a weight per cluster:
        // bounded so that a mistyped --reps is an error, not an allocation failure or hours of
        // work.
        let enumerable =
            self.weights == WildWeights::Rademacher && g < 63 && (1usize << g) <= self.reps;
        if !enumerable && (self.reps > MAX_REPS || self.reps.saturating_mul(g) > MAX_DRAWS) {
            return Err(InputError::OutOfRange {
                field: "reps".into(),
                value: self.reps as f64,
                expected: format!(
                    "at most {MAX_REPS} replicates and {MAX_DRAWS} draws (replicates × {g} clusters)"
                ),
            }
            .into());
        }
        if g < 2 {
            return Err(SandwichError::TooFewClusters {
                name: clusters.name().to_owned(),
                got: g,
            }
            .into());
        }
        Ok((j, g))
    }
}

/// The cluster score sums under H₀: β_j = β₀ with the other coefficients re-estimated. The
/// residuals are ũ(β₀) = y − X_rγ(β₀) − β₀x_j with γ(β₀) = γ₀ − β₀γ_m, so
/// X_gᵀũ_g = s0_g − β₀ sm_g with s0_g = X_gᵀy_g − M_g[:, r]γ₀ and sm_g = M_g[:, j] − M_g[:, r]γ_m;
/// returns (s0, sm), each G × k.
fn restricted_scores(
    fit: &OlsFit,
    m_g: &[DMatrix<f64>],
    s_hat: &DMatrix<f64>,
    j: usize,
) -> Result<(DMatrix<f64>, DMatrix<f64>), RobustError> {
    let (g, k) = (m_g.len(), fit.coefficients().len());
    let rest: Vec<usize> = (0..k).filter(|&jj| jj != j).collect();
    let beta = fit.coefficients();
    let xty_g: Vec<DVector<f64>> = m_g
        .iter()
        .enumerate()
        .map(|(h, m)| s_hat.row(h).transpose() + m * beta)
        .collect();
    let mut m_sum = DMatrix::zeros(k, k);
    let mut xty = DVector::zeros(k);
    for (m, v) in m_g.iter().zip(&xty_g) {
        m_sum += m;
        xty += v;
    }
    let (gamma0, gamma_m) = if rest.is_empty() {
        (DVector::zeros(0), DVector::zeros(0))
    } else {
        let mrr = m_sum.select_rows(&rest).select_columns(&rest);
        let spd = Spd::new(mrr, "X_r'X_r")?;
        (
            spd.solve(&xty.select_rows(&rest))?,
            spd.solve(&m_sum.column(j).select_rows(&rest))?,
        )
    };
    let mut s0 = DMatrix::zeros(g, k);
    let mut sm = DMatrix::zeros(g, k);
    for (h, (m, v)) in m_g.iter().zip(&xty_g).enumerate() {
        let mr = m.select_columns(&rest);
        s0.row_mut(h).copy_from(&(v - &mr * &gamma0).transpose());
        sm.row_mut(h)
            .copy_from(&(m.column(j) - &mr * &gamma_m).transpose());
    }
    Ok((s0, sm))
}

/// How [`Draws::replicates`] forms D from the weights V: (diag(η) − QR)V, or diag(η)V − Q(RV).
enum Operator<'a> {
    Square {
        eta: DVector<f64>,
        m: DMatrix<f64>,
    },
    Thin {
        eta: DVector<f64>,
        r: &'a DMatrix<f64>,
    },
}

impl<'a> Operator<'a> {
    fn new(st: &'a Setup, q: &DMatrix<f64>, g_by_g: bool) -> Self {
        let eta = DVector::from_column_slice(&st.eta);
        if g_by_g {
            let mut m = -(q * &st.r);
            for (h, e) in eta.iter().enumerate() {
                m[(h, h)] += e;
            }
            Operator::Square { eta, m }
        } else {
            Operator::Thin { eta, r: &st.r }
        }
    }
}

/// Replicates per block of [`Draws::replicates`]: the unit of work on rayon's pool, each from
/// its own stream of draws.
const REPLICATE_BLOCK: usize = 256;

/// Replicates per part of a block, computed together (G × 64 weights: 512 KB at G = 1000).
const REPLICATE_PART: usize = 64;

/// Every replicate's t* as a function of δ = β₀ − null, on the CR0 scale:
/// ```text
/// t*_b(δ) = (num0_b − δ·num1_b) / √(a_b − 2δ·b_b + δ²·c_b)
/// ```
/// (from d_b(δ) = d0_b − δ·d1_b with a = ‖d0‖², b = d0·d1, c = ‖d1‖²). At δ = 0 (the reported
/// p-value) this is the direct formula, with no expansion.
struct Replicates {
    num0: Vec<f64>,
    num1: Vec<f64>,
    a: Vec<f64>,
    b: Vec<f64>,
    c: Vec<f64>,
}

impl Replicates {
    fn with_capacity(n: usize) -> Self {
        Replicates {
            num0: Vec::with_capacity(n),
            num1: Vec::with_capacity(n),
            a: Vec::with_capacity(n),
            b: Vec::with_capacity(n),
            c: Vec::with_capacity(n),
        }
    }

    fn len(&self) -> usize {
        self.num0.len()
    }

    /// t* of replicate `i` at δ.
    fn t(&self, i: usize, delta: f64) -> f64 {
        let num = self.num0[i] - delta * self.num1[i];
        let ss = if delta == 0.0 {
            self.a[i]
        } else {
            self.a[i] - 2.0 * delta * self.b[i] + delta * delta * self.c[i]
        };
        if ss > 0.0 {
            num / ss.sqrt()
        } else if num == 0.0 {
            0.0
        } else {
            num.signum() * f64::INFINITY
        }
    }

    /// Share of replicates with |t*(δ)| ≥ |t| (relative tie tolerance [`TIE_TOLERANCE`]).
    fn p_value(&self, delta: f64, t: f64) -> f64 {
        let threshold = t.abs() * (1.0 - TIE_TOLERANCE);
        let count = (0..self.len())
            .filter(|&i| self.t(i, delta).abs() >= threshold)
            .count();
        count as f64 / self.len() as f64
    }
}

/// Bisection steps per interval end.
const BISECTION_STEPS: usize = 60;

/// Finds the β₀ on the side of `center` given by `dir` where p(β₀) crosses α: first doubles the
/// distance until p < α (up to 60 times), then bisects.
fn invert(
    p_at: &dyn Fn(f64) -> f64,
    center: f64,
    dir: f64,
    alpha: f64,
    tick: &mut dyn FnMut(),
) -> f64 {
    let mut inside = center;
    let mut dist = dir * 2.0;
    let mut outside = center + dist;
    let mut tries = 0;
    while p_at(outside) >= alpha && tries < 60 {
        inside = outside;
        dist *= 2.0;
        outside = center + dist;
        tries += 1;
    }
    for _ in 0..BISECTION_STEPS {
        let mid = 0.5 * (inside + outside);
        if p_at(mid) >= alpha {
            inside = mid;
        } else {
            outside = mid;
        }
        tick();
        if (outside - inside).abs() <= 1e-12 * (1.0 + center.abs()) {
            break;
        }
    }
    0.5 * (inside + outside)
}

/// Most bootstrap replicates drawn (enumeration of 2^G sign vectors is not bounded by it, only
/// by G < 63 and the request).
pub const MAX_REPS: usize = 10_000_000;

/// Most weight draws, replicates × clusters (10⁹: minutes of work).
pub const MAX_DRAWS: usize = 1_000_000_000;

/// The weight draws: every sign vector of the 2^G (enumerated), or draws made block by block,
/// each block of [`REPLICATE_BLOCK`] replicates from its own stream ([`stream_seed`] of the seed
/// and the block's index), so that blocks can be drawn in parallel and the draws do not depend
/// on the number of threads.
struct Draws {
    support: Vec<f64>,
    weights: WildWeights,
    seed: u64,
    /// The cluster (code) drawn in each position: clusters in the order of their labels.
    code_of_rank: Vec<usize>,
    g: usize,
    reps: usize,
    enumerated: bool,
}

impl Draws {
    /// The draws for clusters whose labels have ranks `rank` (by code): each replicate's weights
    /// are drawn cluster by cluster in the order of the labels, so that the draws, and the
    /// p-value and interval, do not depend on the order of the rows.
    fn new(spec: &WildClusterBootstrap, rank: &[usize]) -> Self {
        let g = rank.len();
        let enumerated =
            spec.weights == WildWeights::Rademacher && g < 63 && (1usize << g) <= spec.reps;
        let mut code_of_rank = vec![0; g];
        for (code, &r) in rank.iter().enumerate() {
            code_of_rank[r] = code;
        }
        Self {
            support: spec.weights.support(),
            weights: spec.weights,
            seed: spec.seed,
            code_of_rank,
            g,
            reps: if enumerated { 1usize << g } else { spec.reps },
            enumerated,
        }
    }

    /// The stream of the block of replicates from `start` (a multiple of [`REPLICATE_BLOCK`]);
    /// none when the signs are enumerated.
    fn block_stream(&self, start: usize) -> Option<Rng> {
        (!self.enumerated)
            .then(|| Rng::seed_from(stream_seed(self.seed, (start / REPLICATE_BLOCK) as u64)))
    }

    /// The G × `nb` weights of replicates `first`…, drawn from `stream`, the block's stream
    /// advanced past the replicates of the block before `first` (the draws are column by
    /// column, so a block's replicates may be drawn a part at a time).
    fn weights(&self, stream: Option<&mut Rng>, first: usize, nb: usize) -> DMatrix<f64> {
        let g = self.g;
        let Some(rng) = stream else {
            // Replicate b's sign for cluster h: bit h of b, 0 → +1.
            return DMatrix::from_fn(g, nb, |h, col| {
                self.support[usize::from(((first + col) >> h) & 1 == 0)]
            });
        };
        let mut v = DMatrix::zeros(g, nb);
        for mut col in v.column_iter_mut() {
            for &code in &self.code_of_rank {
                col[code] = self.support[usize::from(self.weights.draw(rng))];
            }
        }
        v
    }

    /// The coefficients of every replicate's t*(δ) (see [`Replicates`]), for the statistics at
    /// the centre β₀ = null (`centre`) and their rate of change in β₀ (`slope`, WCR only).
    ///
    /// Replicates are processed in blocks of [`REPLICATE_BLOCK`]: with V the G × b matrix of
    /// their weights, the numerators are ηᵀV and D = diag(η)V − Q(RV) (G × b), whose column sums
    /// of squares are the replicates' Σ_h (aᵀX_hᵀe*_h)². With few clusters (G ≤ 2k) D is
    /// (diag(η) − QR)V, the G × G operator formed once (O(BG²) in all); otherwise two thin
    /// products per block (O(BGk)). Either way at the speed of the BLAS-3 kernel.
    fn replicates(&self, centre: &Setup, slope: Option<&Setup>, q: &DMatrix<f64>) -> Replicates {
        self.replicates_by(centre, slope, q, self.g <= 2 * q.ncols())
    }

    /// [`Draws::replicates`] with the form of D chosen by the caller (`g_by_g`: the G × G
    /// operator), so that tests can hold the two forms against each other.
    fn replicates_by(
        &self,
        centre: &Setup,
        slope: Option<&Setup>,
        q: &DMatrix<f64>,
        g_by_g: bool,
    ) -> Replicates {
        // D = diag(η)V − Q(RV). With G ≤ 2k the G × G operator diag(η) − QR is formed once and
        // each block costs one product (G² per replicate instead of 2Gk); otherwise the two thin
        // products.
        let centre_op = Operator::new(centre, q, g_by_g);
        let slope_op = slope.map(|st| Operator::new(st, q, g_by_g));
        let parts = |op: &Operator, v: &DMatrix<f64>| -> (DVector<f64>, DMatrix<f64>) {
            match op {
                Operator::Square { eta, m } => (v.tr_mul(eta), m * v),
                Operator::Thin { eta, r } => {
                    let w = *r * v;
                    let mut d = v.clone();
                    for mut col in d.column_iter_mut() {
                        col.component_mul_assign(eta);
                    }
                    d.gemm(-1.0, q, &w, 1.0);
                    (v.tr_mul(eta), d)
                }
            }
        };
        // The blocks at fixed boundaries, in parallel (rayon's pool; one thread runs them in
        // order), each computed alone and put back in order: the same bits whatever the number
        // of threads.
        // A block's replicates in parts of REPLICATE_PART, whose G × part matrices stay in L2;
        // each replicate's statistics come from its own column, so the parts give the same bits
        // as the whole block would.
        let block = |start: usize| -> Replicates {
            let nb = REPLICATE_BLOCK.min(self.reps - start);
            let mut stream = self.block_stream(start);
            let mut out = Replicates::with_capacity(nb);
            for first in (start..start + nb).step_by(REPLICATE_PART) {
                let np = REPLICATE_PART.min(start + nb - first);
                let v = self.weights(stream.as_mut(), first, np);
                let (num0, d0) = parts(&centre_op, &v);
                out.num0.extend(num0.iter());
                out.a.extend(d0.column_iter().map(|c| c.norm_squared()));
                match &slope_op {
                    Some(sl) => {
                        let (num1, d1) = parts(sl, &v);
                        out.num1.extend(num1.iter());
                        out.b.extend(
                            d0.column_iter()
                                .zip(d1.column_iter())
                                .map(|(x, y)| x.dot(&y)),
                        );
                        out.c.extend(d1.column_iter().map(|c| c.norm_squared()));
                    }
                    None => {
                        for z in [&mut out.num1, &mut out.b, &mut out.c] {
                            z.resize(z.len() + np, 0.0);
                        }
                    }
                }
            }
            out
        };
        let blocks: Vec<Replicates> = (0..self.reps)
            .step_by(REPLICATE_BLOCK)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(block)
            .collect();
        let mut out = Replicates::with_capacity(self.reps);
        for r in blocks {
            out.num0.extend(r.num0);
            out.num1.extend(r.num1);
            out.a.extend(r.a);
            out.b.extend(r.b);
            out.c.extend(r.c);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    // Test code: a failed unwrap is a failed test, reported with its value.
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    /// The G × G operator (diag(η) − QR)V and the two thin products diag(η)V − Q(RV) give the
    /// same replicates (to rounding), for Rademacher enumeration and for drawn Webb weights, with
    /// and without the slope terms. The reference tests reach only the thin form (their G > 2k).
    #[test]
    fn both_forms_of_the_replicate_operator_agree() {
        for (g, k, weights, reps) in [
            (6, 4, WildWeights::Rademacher, 999),
            (24, 21, WildWeights::Webb, 700),
            (5, 3, WildWeights::Mammen, 300),
        ] {
            let val =
                |i: usize, j: usize, s: usize| ((i * 7 + j * 13 + s * 5) % 11) as f64 / 3.0 - 1.5;
            let q = DMatrix::from_fn(g, k, |i, j| val(i, j, 1));
            let setup = |s: usize| Setup {
                eta: (0..g).map(|i| val(i, 0, s + 3) + 0.25).collect(),
                r: DMatrix::from_fn(k, g, |i, j| val(i, j, s)),
            };
            let (centre, slope) = (setup(2), setup(4));
            let spec = WildClusterBootstrap {
                reps,
                weights,
                ..WildClusterBootstrap::default()
            };
            let draws = Draws::new(&spec, &(0..g).collect::<Vec<_>>());
            let square = draws.replicates_by(&centre, Some(&slope), &q, true);
            let thin = draws.replicates_by(&centre, Some(&slope), &q, false);
            let parts = |r: &Replicates| {
                [
                    r.num0.clone(),
                    r.num1.clone(),
                    r.a.clone(),
                    r.b.clone(),
                    r.c.clone(),
                ]
            };
            for (x, y) in parts(&square).iter().zip(parts(&thin).iter()) {
                assert_eq!(x.len(), draws.reps);
                // Entries of D cancel (sums of G·k products of either sign): the rounding is
                // relative to the largest value of each part, not to each value.
                let scale = y.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                for (u, v) in x.iter().zip(y) {
                    assert!((u - v).abs() <= 1e-12 * scale, "g={g} k={k}: {u} v {v}");
                }
            }
            let no_slope = draws.replicates_by(&centre, None, &q, true);
            assert_eq!(no_slope.a.len(), draws.reps);
        }
    }

    /// A block's replicates computed a part at a time are the same bits as the whole block at
    /// once: the weights drawn in parts continue the block's stream, and each replicate's
    /// numerator and sums of squares come from its own column (thin form, drawn weights, a last
    /// block shorter than a part).
    #[test]
    fn a_block_in_parts_is_the_same_bits_as_at_once() {
        let (g, k, reps) = (50, 3, 2 * REPLICATE_BLOCK + 40);
        const { assert!(REPLICATE_PART < REPLICATE_BLOCK && 40 < REPLICATE_PART) };
        let val = |i: usize, j: usize, s: usize| ((i * 7 + j * 13 + s * 5) % 11) as f64 / 3.0 - 1.5;
        let q = DMatrix::from_fn(g, k, |i, j| val(i, j, 1));
        let setup = |s: usize| Setup {
            eta: (0..g).map(|i| val(i, 0, s + 3) + 0.25).collect(),
            r: DMatrix::from_fn(k, g, |i, j| val(i, j, s)),
        };
        let (centre, slope) = (setup(2), setup(4));
        let spec = WildClusterBootstrap {
            reps,
            weights: WildWeights::Webb,
            ..WildClusterBootstrap::default()
        };
        let draws = Draws::new(&spec, &(0..g).rev().collect::<Vec<_>>());
        let parted = draws.replicates_by(&centre, Some(&slope), &q, false);
        // The thin form on a whole block: ηᵀV and diag(η)V − Q(RV).
        let whole = |st: &Setup, v: &DMatrix<f64>| {
            let eta = DVector::from_column_slice(&st.eta);
            let mut d = v.clone();
            for mut col in d.column_iter_mut() {
                col.component_mul_assign(&eta);
            }
            d.gemm(-1.0, &q, &(&st.r * v), 1.0);
            (v.tr_mul(&eta), d)
        };
        for start in (0..reps).step_by(REPLICATE_BLOCK) {
            let nb = REPLICATE_BLOCK.min(reps - start);
            let v = draws.weights(draws.block_stream(start).as_mut(), start, nb);
            // The same block drawn in two pieces.
            let mut stream = draws.block_stream(start);
            let head = draws.weights(stream.as_mut(), start, 7);
            let tail = draws.weights(stream.as_mut(), start + 7, nb - 7);
            assert_eq!(v.columns(0, 7), head);
            assert_eq!(v.columns(7, nb - 7), tail);
            let ((num0, d0), (num1, d1)) = (whole(&centre, &v), whole(&slope, &v));
            for (b, (c0, c1)) in d0.column_iter().zip(d1.column_iter()).enumerate() {
                let r = start + b;
                let expected = [
                    num0[b],
                    num1[b],
                    c0.norm_squared(),
                    c0.dot(&c1),
                    c1.norm_squared(),
                ];
                let got = [
                    parted.num0[r],
                    parted.num1[r],
                    parted.a[r],
                    parted.b[r],
                    parted.c[r],
                ];
                for (x, y) in got.iter().zip(&expected) {
                    assert_eq!(
                        x.to_bits(),
                        y.to_bits(),
                        "replicate {r}: {got:?} v {expected:?}"
                    );
                }
            }
        }
        assert_eq!(parted.len(), reps);
    }
}
