//! The likelihood-ratio test of proportional odds (R ordinal's `nominal_test`).
//!
//! For each term, the model is refitted with that term's effect allowed to differ between the
//! thresholds ("nominal effects": P(Y ≤ j) = F(θ_j + wᵀδ_j − xᵀβ)) and compared with the
//! proportional-odds fit by LR = 2(ℓ_nominal − ℓ), on (J − 2)·(columns of the term) degrees of
//! freedom.
//!
//! # References
//! Christensen (2019), R package `ordinal`, `nominal_test`; Peterson & Harrell (1990), "Partial
//! proportional odds models for ordinal response variables", Applied Statistics 39(2):205–217,
//! doi:10.2307/2347760.

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};
use trialstats_core::Control;
use trialstats_core::dist::chisq_sf;
use trialstats_core::optim::{Evaluation, Objective, newton};

use crate::clm::ClmFit;
use crate::error::OrdinalError;
use crate::link::Link;

/// One row of the proportional-odds test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NominalTest {
    /// The term whose effect was allowed to vary between thresholds.
    pub term: String,
    /// Degrees of freedom (J − 2)·(its columns).
    pub df: usize,
    /// Log-likelihood of the model with the nominal effect.
    pub loglik: f64,
    /// LR = 2(ℓ_nominal − ℓ).
    pub statistic: f64,
    /// P(χ²_df > LR).
    pub p_value: f64,
}

/// −ℓ of the partial proportional-odds model; parameters [θ (nt), δ (nt × m, threshold-major),
/// β (k − m)].
struct Nominal<'b> {
    y: &'b [usize],
    w: DMatrix<f64>,
    x: DMatrix<f64>,
    nt: usize,
    link: Link,
}

impl Nominal<'_> {
    fn np(&self) -> usize {
        self.nt * (1 + self.w.ncols()) + self.x.ncols()
    }

    /// The threshold t's linear part a_{i,t} − η_i and its gradient in the parameters.
    fn z(&self, psi: &DVector<f64>, i: usize, t: usize, grad: &mut DVector<f64>) -> f64 {
        let (m, nt) = (self.w.ncols(), self.nt);
        grad.fill(0.0);
        let mut z = psi[t];
        grad[t] = 1.0;
        for l in 0..m {
            let idx = nt + t * m + l;
            z += self.w[(i, l)] * psi[idx];
            grad[idx] = self.w[(i, l)];
        }
        let off = nt * (1 + m);
        for j in 0..self.x.ncols() {
            z -= self.x[(i, j)] * psi[off + j];
            grad[off + j] = -self.x[(i, j)];
        }
        z
    }
}

impl Objective for Nominal<'_> {
    type Error = OrdinalError;
    fn evaluate(&self, psi: &DVector<f64>) -> Result<Evaluation, OrdinalError> {
        let np = self.np();
        let mut value = 0.0;
        let mut gradient = DVector::zeros(np);
        let mut hessian = DMatrix::zeros(np, np);
        let (mut g1, mut g0) = (DVector::zeros(np), DVector::zeros(np));
        for (i, &c) in self.y.iter().enumerate() {
            let z1 = if c < self.nt {
                self.z(psi, i, c, &mut g1)
            } else {
                f64::INFINITY
            };
            let z0 = if c > 0 {
                self.z(psi, i, c - 1, &mut g0)
            } else {
                f64::NEG_INFINITY
            };
            if z1 <= z0 {
                return Ok(Evaluation {
                    value: f64::INFINITY,
                    gradient,
                    hessian,
                });
            }
            let (e1, e0) = (self.link.eval(z1), self.link.eval(z0));
            let p = e0.interval_to(&e1);
            if p <= 0.0 {
                return Ok(Evaluation {
                    value: f64::INFINITY,
                    gradient,
                    hessian,
                });
            }
            value -= p.ln();
            // dp = f1 ∇z1 − f0 ∇z0;  ∇²p = f1′ ∇z1∇z1ᵀ − f0′ ∇z0∇z0ᵀ (z is linear in ψ).
            let mut dp = DVector::zeros(np);
            if c < self.nt {
                dp.axpy(e1.pdf, &g1, 1.0);
            }
            if c > 0 {
                dp.axpy(-e0.pdf, &g0, 1.0);
            }
            gradient.axpy(-1.0 / p, &dp, 1.0);
            hessian.ger(1.0 / (p * p), &dp, &dp, 1.0);
            if c < self.nt {
                hessian.ger(-e1.dpdf / p, &g1, &g1, 1.0);
            }
            if c > 0 {
                hessian.ger(e0.dpdf / p, &g0, &g0, 1.0);
            }
        }
        Ok(Evaluation {
            value,
            gradient,
            hessian,
        })
    }
}

impl ClmFit<'_> {
    /// The LR test of proportional odds for each term, given as (name, column indices of X).
    ///
    /// # Errors
    /// [`OrdinalError::NotConverged`] if a nominal model does not converge (as happens when a
    /// category is empty at some level of the term: R reports NA there).
    pub fn nominal_test(
        &self,
        terms: &[(String, Vec<usize>)],
    ) -> Result<Vec<NominalTest>, OrdinalError> {
        let (x, y, link, nt) = (
            self.design(),
            self.codes(),
            self.link(),
            self.thresholds().len(),
        );
        let mut out = Vec::with_capacity(terms.len());
        for (term, cols) in terms {
            let rest: Vec<usize> = (0..x.ncols()).filter(|j| !cols.contains(j)).collect();
            let obj = Nominal {
                y,
                w: x.select_columns(cols),
                x: x.select_columns(&rest),
                nt,
                link,
            };
            let mut start = DVector::zeros(obj.np());
            for t in 0..nt {
                start[t] = self.thresholds()[t];
            }
            let off = nt * (1 + cols.len());
            for (pos, &j) in rest.iter().enumerate() {
                start[off + pos] = self.beta()[j];
            }
            // Start the nominal effects at the proportional-odds estimate: δ_t = −β (same sign
            // convention as θ_j − xᵀβ).
            for t in 0..nt {
                for (l, &j) in cols.iter().enumerate() {
                    start[nt + t * cols.len() + l] = -self.beta()[j];
                }
            }
            let min = newton(&obj, start, &Control::default())?;
            if !min.convergence.converged() {
                return Err(OrdinalError::NotConverged {
                    model: format!("clm with nominal {term}"),
                    convergence: min.convergence,
                });
            }
            let loglik = -min.value;
            let df = (nt - 1) * cols.len();
            let statistic = (2.0 * (loglik - self.loglik())).max(0.0);
            out.push(NominalTest {
                term: term.clone(),
                df,
                loglik,
                statistic,
                p_value: chisq_sf(statistic, df as f64)?,
            });
        }
        Ok(out)
    }
}
