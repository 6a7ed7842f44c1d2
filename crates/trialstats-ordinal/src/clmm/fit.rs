//! The fitted model: estimates, σ, conditional modes, inference and the boundary LR test.

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};
use trialstats_core::{Convergence, Inference, Level};

use crate::error::OrdinalError;

use super::*;

/// A fitted random-intercept cumulative link model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClmmFit {
    pub(super) names: Vec<String>,
    pub(super) nt: usize,
    pub(super) estimates: DVector<f64>,
    pub(super) vcov: DMatrix<f64>,
    pub(super) loglik: f64,
    pub(super) sigma: f64,
    pub(super) modes: Vec<f64>,
    pub(super) cluster_labels: Vec<String>,
    pub(super) group: String,
    pub(super) quadrature: Quadrature,
    pub(super) convergence: Convergence,
    pub(super) clm_loglik: f64,
    pub(super) boundary: bool,
    pub(super) nobs: usize,
}

impl ClmmFit {
    /// Whether σ̂ is at its boundary 0: the random effect adds nothing, the estimates are the
    /// clm's, ln σ is −∞ and has no standard error, and the LR test is 0 with p = 1.
    pub fn at_boundary(&self) -> bool {
        self.boundary
    }
    /// Thresholds θ.
    pub fn thresholds(&self) -> &[f64] {
        &self.estimates.as_slice()[..self.nt]
    }
    /// Regression coefficients β.
    pub fn beta(&self) -> &[f64] {
        &self.estimates.as_slice()[self.nt..self.estimates.len() - 1]
    }
    /// σ, the standard deviation of the random intercept.
    pub fn sigma(&self) -> f64 {
        self.sigma
    }
    /// σ².
    pub fn variance(&self) -> f64 {
        self.sigma * self.sigma
    }
    /// The (approximate) log-likelihood at the optimum.
    pub fn loglik(&self) -> f64 {
        self.loglik
    }
    /// Conditional modes û_j = σ b̂_j, in the order of the clusters' labels.
    pub fn random_effects(&self) -> &[f64] {
        &self.modes
    }
    /// Labels of the clusters, in the order of [`ClmmFit::random_effects`].
    pub fn cluster_labels(&self) -> &[String] {
        &self.cluster_labels
    }
    /// Parameter names: thresholds, coefficients, `log sd(group)`.
    pub fn names(&self) -> &[String] {
        &self.names
    }
    /// The covariance of (θ, β, ln σ): the inverse observed information.
    pub fn vcov(&self) -> &DMatrix<f64> {
        &self.vcov
    }
    /// The optimiser's report (for Laplace, `max_abs_gradient` is that of the refined exact
    /// Laplace likelihood).
    pub fn convergence(&self) -> &Convergence {
        &self.convergence
    }
    /// The log-likelihood of the model without the random intercept (the clm).
    pub fn clm_loglik(&self) -> f64 {
        self.clm_loglik
    }
    /// The quadrature used.
    pub fn quadrature(&self) -> Quadrature {
        self.quadrature
    }

    /// Wald tests (z) and `level` intervals for every parameter from the inverse observed
    /// information (the model-based covariance, as R `summary(clmm)` and Stata `meologit`): the
    /// thresholds, β and ln σ last; at the boundary, where ln σ = −∞, the thresholds and β only,
    /// with a note.
    ///
    /// # Errors
    /// [`InputError::OutOfRange`] for a zero SE.
    pub fn infer(&self, level: Level) -> Result<Inference, OrdinalError> {
        let k = if self.boundary {
            self.names.len() - 1
        } else {
            self.names.len()
        };
        let method = match self.quadrature {
            Quadrature::Laplace => "the Laplace approximation".to_string(),
            Quadrature::Adaptive { nodes } => {
                format!("adaptive Gauss–Hermite quadrature with {nodes} nodes")
            }
        };
        let mut notes = Vec::new();
        if self.boundary {
            notes.push(format!(
                "The variance of the random intercept for {} is at its boundary 0: the estimates are those of the model without it, and log sd({}) has no standard error.",
                self.group, self.group
            ));
        }
        super::model_based_inference(
            &self.names,
            &self.estimates,
            &self.vcov,
            &(0..k).collect::<Vec<_>>(),
            self.nobs,
            (vec![self.group.clone()], vec![self.cluster_labels.len()]),
            format!(
                "Standard errors from the inverse observed information of the likelihood integrated over a random intercept for {} by {method}.",
                self.group
            ),
            &self.convergence,
            level,
            notes,
        )
    }

    /// Likelihood-ratio test of σ = 0 against the model without the random effect: statistic
    /// 2(ℓ_clmm − ℓ_clm) and the boundary-corrected p-value ½ P(χ²₁ > LR) (Self & Liang 1987),
    /// 1 when LR = 0.
    ///
    /// # Errors
    /// None in practice (a χ² tail).
    pub fn lr_test(&self) -> Result<(f64, f64), OrdinalError> {
        let lr = (2.0 * (self.loglik - self.clm_loglik)).max(0.0);
        // The null distribution is ½χ²₀ + ½χ²₁: P(LR ≥ 0) = 1 (Stata prints Prob ≥ chibar2 =
        // 1.0000 there), ½P(χ²₁ > LR) above 0.
        if lr <= 0.0 {
            return Ok((0.0, 1.0));
        }
        Ok((lr, 0.5 * trialstats_core::dist::chisq_sf(lr, 1.0)?))
    }
}
