//! What a trial report takes from a fitted mixed model besides β: the ICC with its interval,
//! the BLUPs with their conditional variances, and the likelihood-ratio test against no random
//! effect.

use serde::{Deserialize, Serialize};
use trialstats_core::{Level, dist::chisq_sf};

use crate::error::MixedError;
use crate::lmm::LmmFit;

/// An intraclass correlation with its profile-likelihood interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Icc {
    /// What it correlates: the outer factor (two observations of one community) or, in a
    /// nested model, the inner factor (two observations of one participant).
    pub group: String,
    /// The estimate.
    pub estimate: f64,
    /// Lower limit.
    pub ci_low: f64,
    /// Upper limit.
    pub ci_high: f64,
    /// The confidence level.
    pub level: f64,
}

/// The best linear unbiased predictions of one grouping factor's intercepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Blups {
    /// The grouping factor.
    pub group: String,
    /// Its levels' labels, in the order of their codes.
    pub labels: Vec<String>,
    /// The conditional means (lme4's `ranef`).
    pub estimate: Vec<f64>,
    /// Their conditional variances given θ̂, σ̂ and β̂ (lme4's `condVar`).
    pub cond_var: Vec<f64>,
}

/// A likelihood-ratio test of one variance component against 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LrTest {
    /// The grouping factor whose variance is tested.
    pub group: String,
    /// 2 × (log-likelihood of the model − that of the model without the component), by the fit's
    /// criterion (REML or ML; the fixed effects are the same).
    pub statistic: f64,
    /// P(χ̄² ≥ statistic) for the 50:50 mixture of χ²₀ and χ²₁ (Self & Liang 1987): half the
    /// χ²₁ tail; 1 when the statistic is 0 (Stata's `chibar2(01)`).
    pub p_value: f64,
}

impl LmmFit<'_> {
    /// The fit's criterion (−2 × REML or ML log-likelihood) at the relative SDs θ (outer factor
    /// first), profiled over β and σ², +∞ where undefined: lme4's deviance function
    /// (`devFunOnly = TRUE`), for profiles and likelihood-ratio tests of one's own.
    pub fn criterion(&self, theta: &[f64]) -> f64 {
        self.model
            .profile(&self.structure, theta)
            .map_or(f64::INFINITY, |p| p.deviance)
    }

    /// The ICCs: σ_a² / (σ_a² + σ²) for one factor; σ_a² / (σ_a² + σ_b² + σ²) (same community) and
    /// (σ_a² + σ_b²) / (σ_a² + σ_b² + σ²) (same participant) for two nested ones. Each depends on
    /// θ only, so its interval is the profile-likelihood interval of the fit's criterion: the
    /// values whose profiled criterion is within the χ²₁ quantile of the minimum (for a nested
    /// model the other θ is minimised over at each value), as lme4's `profile` does for θ.
    ///
    /// # Errors
    /// [`MixedError::Input`] for a level out of (0, 1).
    pub fn icc(&self, level: Level) -> Result<Vec<Icc>, MixedError> {
        let crit = trialstats_core::Reference::Normal
            .quantile(level.upper_tail_probability())?
            .powi(2);
        let base = self.deviance;
        let names: Vec<String> = self.components.iter().map(|c| c.group.clone()).collect();
        let out = match self.theta.as_slice() {
            [t] => {
                let rho = t * t / (1.0 + t * t);
                // θ from ρ: θ² = ρ / (1 − ρ).
                let prof = |r: f64| self.criterion(&[(r / (1.0 - r)).sqrt()]) - base - crit;
                let (lo, hi) = profile_interval(&prof, rho);
                vec![Icc {
                    group: names[0].clone(),
                    estimate: rho,
                    ci_low: lo,
                    ci_high: hi,
                    level: level.value(),
                }]
            }
            [ta, tb] => {
                let (a2, b2) = (ta * ta, tb * tb);
                let total = a2 + b2 + 1.0;
                let rho_a = a2 / total;
                let rho_ab = (a2 + b2) / total;
                // Same community: θ_a² = ρ (1 + θ_b²) / (1 − ρ), θ_b free.
                let prof_a = |r: f64| {
                    let f = |tb: f64| {
                        let ta = (r * (1.0 + tb * tb) / (1.0 - r)).sqrt();
                        self.criterion(&[ta, tb])
                    };
                    min_over(&f, 0.0, 10.0 * (1.0 + tb)) - base - crit
                };
                // Same participant: θ_b² = ρ / (1 − ρ) − θ_a², θ_a ∈ [0, √(ρ/(1−ρ))].
                let prof_ab = |r: f64| {
                    let s = r / (1.0 - r);
                    let f = |ta: f64| {
                        let tb = (s - ta * ta).max(0.0).sqrt();
                        self.criterion(&[ta, tb])
                    };
                    min_over(&f, 0.0, s.sqrt()) - base - crit
                };
                let (lo_a, hi_a) = profile_interval(&prof_a, rho_a);
                let (lo_ab, hi_ab) = profile_interval(&prof_ab, rho_ab);
                vec![
                    Icc {
                        group: names[0].clone(),
                        estimate: rho_a,
                        ci_low: lo_a,
                        ci_high: hi_a,
                        level: level.value(),
                    },
                    Icc {
                        group: names[1].clone(),
                        estimate: rho_ab,
                        ci_low: lo_ab,
                        ci_high: hi_ab,
                        level: level.value(),
                    },
                ]
            }
            _ => Vec::new(),
        };
        Ok(out)
    }

    /// The BLUPs of each grouping factor's intercepts and their conditional variances (given
    /// θ̂, σ̂ and β̂, as lme4's `ranef(condVar = TRUE)`). With e = y − Xβ̂, E_j the sum of e over
    /// participant j (n_j rows), w_j = 1/(1 + n_j θ_b²), τ_g = Σ_j w_j E_j, m_g = Σ_j n_j w_j:
    ///
    /// ```text
    /// â_g = θ_a² τ_g / (1 + θ_a² m_g)           Var(a_g | y) = σ² θ_a² / (1 + θ_a² m_g)
    /// b̂_j = θ_b² w_j (E_j − n_j d_g τ_g)        Var(b_j | y) = σ² θ_b² (1 − θ_b² (u_j − d_g u_j²))
    /// ```
    /// with d_g = θ_a² / (1 + θ_a² m_g) and u_j = n_j w_j; for one factor d_g = 0, so
    /// b̂_j = θ² w_j E_j and Var(b_j | y) = σ² θ² w_j.
    pub fn blups(&self) -> Vec<Blups> {
        let y = self.model.y();
        let x = self.model.x();
        let e: Vec<f64> = (0..y.len())
            .map(|i| y[i] - x.row(i).transpose().dot(&self.beta))
            .collect();
        let outer = self.model.groups();
        let s2 = self.sigma2;
        match (self.model.inner(), self.theta.as_slice()) {
            (None, [t]) => {
                let t2 = t * t;
                let mut sum = vec![0.0; outer.n_clusters()];
                for (&g, ei) in outer.codes().iter().zip(&e) {
                    sum[g] += ei;
                }
                let sizes = outer.sizes();
                let w: Vec<f64> = sizes.iter().map(|&n| 1.0 / (1.0 + n as f64 * t2)).collect();
                vec![Blups {
                    group: outer.name().to_owned(),
                    labels: outer.labels().to_vec(),
                    estimate: sum.iter().zip(&w).map(|(s, w)| t2 * w * s).collect(),
                    cond_var: w.iter().map(|w| s2 * t2 * w).collect(),
                }]
            }
            (Some(inner), [ta, tb]) => {
                let (a2, b2) = (ta * ta, tb * tb);
                let nj: Vec<f64> = inner.sizes().iter().map(|&n| n as f64).collect();
                let mut ej = vec![0.0; inner.n_clusters()];
                let mut of = vec![0usize; inner.n_clusters()];
                for ((&j, &g), ei) in inner.codes().iter().zip(outer.codes()).zip(&e) {
                    ej[j] += ei;
                    of[j] = g;
                }
                let w: Vec<f64> = nj.iter().map(|n| 1.0 / (1.0 + n * b2)).collect();
                let mut tau = vec![0.0; outer.n_clusters()];
                let mut mg = vec![0.0; outer.n_clusters()];
                for j in 0..nj.len() {
                    tau[of[j]] += w[j] * ej[j];
                    mg[of[j]] += nj[j] * w[j];
                }
                let d: Vec<f64> = mg.iter().map(|m| a2 / (1.0 + a2 * m)).collect();
                let a_hat: Vec<f64> = tau
                    .iter()
                    .zip(&mg)
                    .map(|(t, m)| a2 * t / (1.0 + a2 * m))
                    .collect();
                let a_var: Vec<f64> = mg.iter().map(|m| s2 * a2 / (1.0 + a2 * m)).collect();
                let b_hat: Vec<f64> = (0..nj.len())
                    .map(|j| b2 * w[j] * (ej[j] - nj[j] * d[of[j]] * tau[of[j]]))
                    .collect();
                let b_var: Vec<f64> = (0..nj.len())
                    .map(|j| {
                        let u = nj[j] * w[j];
                        s2 * b2 * (1.0 - b2 * (u - d[of[j]] * u * u))
                    })
                    .collect();
                vec![
                    Blups {
                        group: outer.name().to_owned(),
                        labels: outer.labels().to_vec(),
                        estimate: a_hat,
                        cond_var: a_var,
                    },
                    Blups {
                        group: inner.name().to_owned(),
                        labels: inner.labels().to_vec(),
                        estimate: b_hat,
                        cond_var: b_var,
                    },
                ]
            }
            _ => Vec::new(),
        }
    }

    /// The likelihood-ratio test of each variance component against 0 (the model refitted
    /// without it, by the same criterion), with the boundary p-value.
    ///
    /// # Errors
    /// As [`crate::Lmm::fit`] for the refit of a nested model without one of its factors.
    pub fn lr_tests(&self) -> Result<Vec<LrTest>, MixedError> {
        let names: Vec<String> = self.components.iter().map(|c| c.group.clone()).collect();
        let stat = |reduced: f64| (reduced - self.deviance).max(0.0);
        let p = |s: f64| {
            if s <= 0.0 {
                Ok(1.0)
            } else {
                chisq_sf(s, 1.0).map(|q| 0.5 * q)
            }
        };
        let mut out = Vec::new();
        match self.theta.as_slice() {
            [_] => {
                let s = stat(self.criterion(&[0.0]));
                out.push(LrTest {
                    group: names[0].clone(),
                    statistic: s,
                    p_value: p(s)?,
                });
            }
            [ta, tb] => {
                // Without the outer factor: minimise over θ_b with θ_a = 0; without the inner:
                // over θ_a with θ_b = 0.
                let no_outer = min_over(&|t| self.criterion(&[0.0, t]), 0.0, 10.0 * (1.0 + tb));
                let no_inner = min_over(&|t| self.criterion(&[t, 0.0]), 0.0, 10.0 * (1.0 + ta));
                for (name, reduced) in [(&names[0], no_outer), (&names[1], no_inner)] {
                    let s = stat(reduced);
                    out.push(LrTest {
                        group: name.clone(),
                        statistic: s,
                        p_value: p(s)?,
                    });
                }
            }
            _ => {}
        }
        Ok(out)
    }
}

/// The minimum of `f` over [lo, hi] by golden-section search refined to 1e−12 of the width.
pub(crate) fn min_over(f: &dyn Fn(f64) -> f64, lo: f64, hi: f64) -> f64 {
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let (mut a, mut b) = (lo, hi);
    let mut c = b - g * (b - a);
    let mut d = a + g * (b - a);
    let (mut fc, mut fd) = (f(c), f(d));
    while (b - a) > 1e-12 * (1.0 + hi - lo) {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = f(d);
        }
    }
    f(lo).min(f(hi)).min(fc.min(fd))
}

/// The interval {r ∈ [0, 1) : prof(r) ≤ 0} around `est`, by Brent's root finder on each side;
/// 0 as the lower limit when prof(0) ≤ 0.
fn profile_interval(prof: &dyn Fn(f64) -> f64, est: f64) -> (f64, f64) {
    use trialstats_core::optim::uniroot;
    let f_est = prof(est);
    let lo = {
        let f0 = prof(0.0);
        if f0 <= 0.0 || est <= 0.0 {
            0.0
        } else {
            uniroot(prof, 0.0, est, f0, f_est, 1e-12, 1000)
        }
    };
    let hi = {
        // Bracket above: r = 1 − (1 − est) / 2^k.
        let mut r = est;
        let mut fr = f_est;
        let mut k = 0;
        while fr <= 0.0 && k < 60 {
            r = 1.0 - (1.0 - r) / 2.0;
            fr = prof(r);
            k += 1;
        }
        if fr <= 0.0 {
            1.0
        } else {
            let lower = if k == 0 { est } else { 1.0 - 2.0 * (1.0 - r) };
            let fl = prof(lower);
            uniroot(prof, lower, r, fl, fr, 1e-12, 1000)
        }
    };
    (lo, hi)
}
