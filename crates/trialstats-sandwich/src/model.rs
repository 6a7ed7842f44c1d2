//! What a model supplies to the sandwich: its estimating equations and bread.

use std::borrow::Cow;

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};
use trialstats_core::Clusters;

use crate::error::SandwichError;

/// How the bread relates to the model, which fixes the iid covariance and the small-sample rules.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ModelKind {
    /// Least squares: iid covariance σ̂²B with σ̂² = RSS/(N−K) (see
    /// [`EstimatingEquations::sigma2`]); t inference; Stata's `regress` factors.
    Linear {
        /// Residual degrees of freedom N − K.
        df_resid: usize,
    },
    /// Maximum likelihood: B is the inverse observed information; z inference; Stata's ML factors.
    Likelihood,
}

/// The working regression of a single-index model: ψᵢ = x̃ᵢ ẽᵢ with x̃ᵢ = √wᵢ xᵢ.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkingRegression<'a> {
    /// The design X (n × k).
    pub x: &'a DMatrix<f64>,
    /// √wᵢ, the square roots of the working weights (`None`: all 1, as OLS).
    pub sqrt_w: Option<Vec<f64>>,
    /// Working residuals ẽᵢ (OLS: the residuals; logit: (yᵢ − pᵢ)/√wᵢ).
    pub residuals: Cow<'a, [f64]>,
}

/// What a fitted model supplies so that every covariance of [`Vcov`](crate::Vcov) can be computed for it
/// (Zeileis 2006, "Object-oriented computation of sandwich estimators", JSS 16(9),
/// doi:10.18637/jss.v016.i09).
pub trait EstimatingEquations {
    /// The model's name in messages (`OLS`, `logit`).
    fn model_name(&self) -> &str;
    /// Parameter names, in the order of [`EstimatingEquations::estimates`].
    fn param_names(&self) -> &[String];
    /// The estimates θ̂.
    fn estimates(&self) -> &DVector<f64>;
    /// Number of observations n.
    fn nobs(&self) -> usize;
    /// Number of parameters k.
    fn n_params(&self) -> usize;
    /// The scores ψᵢ(θ̂): an n × k matrix.
    fn estfun(&self) -> DMatrix<f64>;
    /// The unscaled bread `B = (Σᵢ −∂ψᵢ/∂θ)⁻¹` (k × k): (XᵀX)⁻¹ for OLS, (XᵀWX)⁻¹ for a GLM.
    fn bread(&self) -> &DMatrix<f64>;
    /// Linear or likelihood model.
    fn kind(&self) -> ModelKind;
    /// The working regression, for single-index models; `None` otherwise (then HC2, HC3, CR2 and
    /// CR3 are not available).
    fn working_regression(&self) -> Option<WorkingRegression<'_>> {
        None
    }
    /// For models whose scores are ψᵢ = xᵢwᵢ (a design row times a scalar: OLS with wᵢ = eᵢ,
    /// logit with wᵢ = yᵢ − pᵢ), the design and the wᵢ, so that cluster score sums need no
    /// working regression; `None` otherwise.
    fn score_factors(&self) -> Option<(&DMatrix<f64>, Cow<'_, [f64]>)> {
        None
    }
    /// σ̂² of a linear model's iid covariance (RSS/(N−K)); 1 for likelihood models.
    fn sigma2(&self) -> f64 {
        1.0
    }
    /// Per-cluster statistics already computed for `clusters` during the fit (see
    /// `trialstats_robust::Ols::clusters`), if any; the generic path computes what it needs otherwise.
    fn cached_cluster_statistics(&self, clusters: &Clusters) -> Option<ClusterStatistics<'_>> {
        let _ = clusters;
        None
    }
    /// The cluster sums of the scores `s_g = Σ_{i∈g} ψᵢ` (G × k, `clusters` already checked to
    /// cover the rows), when the model forms them more cheaply than from
    /// [`EstimatingEquations::score_factors`] (OLS: with its residuals, in the same pass over X);
    /// `None` otherwise.
    fn cluster_score_sums(
        &self,
        clusters: &Clusters,
    ) -> Option<Result<DMatrix<f64>, SandwichError>> {
        let _ = clusters;
        None
    }
}

/// Per-cluster statistics of a single-index model: X̃_gᵀX̃_g (k × k each) and the score sums
/// X̃_gᵀẽ_g (a G × k matrix).
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterStatistics<'a> {
    /// X̃_gᵀX̃_g, one per cluster.
    pub xtx: Cow<'a, [DMatrix<f64>]>,
    /// Row g is X̃_gᵀẽ_g.
    pub scores: Cow<'a, DMatrix<f64>>,
}
