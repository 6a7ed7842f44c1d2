//! Covariance estimators for any model that supplies its estimating equations.
//!
//! Every covariance is a sandwich `V = c · B (Σ_g a_g a_gᵀ) B`, with the bread
//! `B = (Σᵢ −∂ψᵢ/∂θ)⁻¹` and the meat built from (adjusted) cluster sums of the scores ψᵢ. A model
//! supplies ψ and B through [`EstimatingEquations`]; single-index models (OLS, GLMs) also supply
//! their working regression (X̃ = W^½X and ẽ with ψᵢ = x̃ᵢẽᵢ), which the leverage-adjusted
//! estimators (HC2, HC3, CR2, CR3) need. Leverage-adjusted cluster estimators work from the
//! per-cluster k × k matrices X̃_gᵀX̃_g and k-vectors X̃_gᵀẽ_g only, never from n_g × n_g blocks.

use std::borrow::Cow;

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};
use trialstats_core::dist::chisq_sf;
use trialstats_core::linalg::Spd;
use trialstats_core::linalg::{
    cluster_crossprods, cluster_sums, crossprod, sym_eigen, weighted_cluster_sums,
};
use trialstats_core::{Clusters, Coef, CovarianceInfo, Inference, InputError, Reference};

use crate::error::RobustError;

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

/// What a fitted model supplies so that every covariance of [`Vcov`] can be computed for it
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
    /// [`crate::Ols::clusters`]), if any; the generic path computes what it needs otherwise.
    fn cached_cluster_statistics(&self, clusters: &Clusters) -> Option<ClusterStatistics<'_>> {
        let _ = clusters;
        None
    }
    /// The cluster sums of the scores `s_g = Σ_{i∈g} ψᵢ` (G × k, `clusters` already checked to
    /// cover the rows), when the model forms them more cheaply than from
    /// [`EstimatingEquations::score_factors`] (OLS: with its residuals, in the same pass over X);
    /// `None` otherwise.
    fn cluster_score_sums(&self, clusters: &Clusters) -> Option<Result<DMatrix<f64>, RobustError>> {
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

/// Heteroskedasticity-consistent covariance types (one observation per cluster).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum HcType {
    /// White (1980): no adjustment.
    Hc0,
    /// HC0 × N/(N−K) for linear models (Stata `vce(robust)`), N/(N−1) for ML models (Stata).
    Hc1,
    /// eᵢ/√(1−hᵢ) (MacKinnon & White 1985).
    Hc2,
    /// eᵢ/(1−hᵢ) (MacKinnon & White 1985; Davidson & MacKinnon 1993).
    Hc3,
}

/// Cluster-robust covariance types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum CrType {
    /// Liang & Zeger (1986): no adjustment.
    Cr0,
    /// CR0 × G/(G−1)·(N−1)/(N−K) for linear models (Stata `regress, vce(cluster)`), × G/(G−1) for
    /// ML models (Stata's ML commands).
    Cr1,
    /// Bell & McCaffrey (2002): ẽ_g = (I − H_gg)^(−1/2) e_g, with Satterthwaite df per coefficient
    /// (Pustejovsky & Tipton 2018; clubSandwich `CR2` + `Satterthwaite`).
    Cr2,
    /// ẽ_g = (I − H_gg)^(−1) e_g; with `jackknife` the result is multiplied by (G−1)/G (the cluster
    /// jackknife); without, it is clubSandwich's `CR3`.
    Cr3 {
        /// Multiply by (G−1)/G.
        jackknife: bool,
    },
}

/// Which covariance to estimate. A closed set; each variant carries what it needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Vcov {
    /// Classical: σ̂²(XᵀX)⁻¹ for OLS, the inverse information for ML models.
    Iid,
    /// Heteroskedasticity-consistent.
    Hc(HcType),
    /// One-way cluster-robust.
    Cluster {
        /// Cluster membership of the observations used.
        clusters: Clusters,
        /// Which estimator.
        kind: CrType,
    },
    /// Two-way cluster-robust (Cameron, Gelbach & Miller 2011): `V = V_A + V_B − V_{A∩B}`, each
    /// term with its own factor (CR1: G_x/(G_x−1)·(N−1)/(N−K) with G_x the clusters of that term,
    /// as Stata's `cluster2`/`cgmreg` and R sandwich `multi0 = FALSE`); with `intersection_hc0` the
    /// A∩B term is plain HC0-type, with no factor at all (R sandwich `multi0 = TRUE`). Inference t(min(G_A, G_B) − 1) for linear models. CR0 and CR1
    /// only.
    TwoWay {
        /// First clustering.
        first: Clusters,
        /// Second clustering.
        second: Clusters,
        /// CR0 or CR1.
        kind: CrType,
        /// Use no factor on the intersection term (sandwich's `multi0 = TRUE`).
        intersection_hc0: bool,
    },
}

impl Vcov {
    /// A short label: `iid`, `hc1`, `cr2`, `cr1 (two-way)`, …
    pub fn label(&self) -> String {
        match self {
            Vcov::Iid => "iid".into(),
            Vcov::Hc(t) => format!("{t:?}").to_lowercase(),
            Vcov::Cluster { kind, .. } => cr_label(*kind),
            Vcov::TwoWay { kind, .. } => format!("{} (two-way)", cr_label(*kind)),
        }
    }
}

fn cr_label(kind: CrType) -> String {
    match kind {
        CrType::Cr0 => "cr0".into(),
        CrType::Cr1 => "cr1".into(),
        CrType::Cr2 => "cr2".into(),
        CrType::Cr3 { jackknife: false } => "cr3".into(),
        CrType::Cr3 { jackknife: true } => "cr3 (jackknife)".into(),
    }
}

/// An estimated covariance matrix with what is needed to use it for inference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Covariance {
    /// V̂ (k × k).
    pub matrix: DMatrix<f64>,
    /// Which estimator, its factor and reference distribution.
    pub info: CovarianceInfo,
    /// Degrees of freedom per coefficient (`None` for z inference); CR2 gives each coefficient its
    /// own Satterthwaite df.
    pub df: Vec<Option<f64>>,
}

/// Estimates the covariance of a fitted model's parameters (see the module docs and [`Vcov`]).
///
/// # Errors
/// [`RobustError::TooFewClusters`] if G < 2; [`InputError::Length`] if the clusters do not cover
/// the model's observations; [`RobustError::NotAvailable`] for a leverage-adjusted estimator on a
/// model without a working regression, or CR2/CR3 two-way; [`RobustError::LeverageOne`] where
/// I − H_gg is singular.
pub fn vcov<M: EstimatingEquations + ?Sized>(m: &M, how: &Vcov) -> Result<Covariance, RobustError> {
    let n = m.nobs();
    let k = m.n_params();
    let kind = m.kind();
    let b = m.bread();
    let linear_t = |df: usize| Reference::StudentT { df: df as f64 };
    match how {
        Vcov::Iid => {
            let (matrix, reference, description) = match kind {
                ModelKind::Linear { df_resid } => (
                    b * m.sigma2(),
                    linear_t(df_resid),
                    "Classical standard errors: homoskedastic, independent errors.".to_string(),
                ),
                ModelKind::Likelihood => (
                    b.clone(),
                    Reference::Normal,
                    "Standard errors from the inverse observed information (model-based)."
                        .to_string(),
                ),
            };
            Ok(finish(
                matrix,
                info("iid", description, None, &[], reference),
                k,
            ))
        }
        Vcov::Hc(t) => {
            let (meat, factor) = match t {
                HcType::Hc0 | HcType::Hc1 => {
                    let psi = m.estfun();
                    let factor = match (t, kind) {
                        (HcType::Hc0, _) => 1.0,
                        (_, ModelKind::Linear { df_resid, .. }) => n as f64 / df_resid as f64,
                        (_, ModelKind::Likelihood) => n as f64 / (n as f64 - 1.0),
                    };
                    (crossprod(&psi), factor)
                }
                HcType::Hc2 | HcType::Hc3 => {
                    let wr = working(m, &how.label())?;
                    (hc_adjusted_meat(&wr, b, *t)?, 1.0)
                }
            };
            let reference = match kind {
                ModelKind::Linear { df_resid, .. } => linear_t(df_resid),
                ModelKind::Likelihood => Reference::Normal,
            };
            let description = format!(
                "Heteroskedasticity-robust standard errors ({}).",
                match t {
                    HcType::Hc0 => "HC0, White 1980",
                    HcType::Hc1 => "HC1, Stata's vce(robust)",
                    HcType::Hc2 => "HC2, residuals scaled by 1/√(1−h)",
                    HcType::Hc3 => "HC3, residuals scaled by 1/(1−h)",
                }
            );
            let matrix = b * meat * b * factor;
            Ok(finish(
                matrix,
                info(&how.label(), description, Some(factor), &[], reference),
                k,
            ))
        }
        Vcov::Cluster { clusters, kind: cr } => {
            check_clusters(clusters, n)?;
            let g = clusters.n_clusters();
            let (sums, df) = match cr {
                CrType::Cr0 | CrType::Cr1 => (score_sums(m, clusters)?, None),
                CrType::Cr2 | CrType::Cr3 { .. } => {
                    let stats = match m.cached_cluster_statistics(clusters) {
                        Some(st) => st,
                        None => {
                            let wr = working(m, &how.label())?;
                            let xe_w: Vec<f64> = match &wr.sqrt_w {
                                None => wr.residuals.to_vec(),
                                Some(s) => s
                                    .iter()
                                    .zip(wr.residuals.iter())
                                    .map(|(a, e)| a * e)
                                    .collect(),
                            };
                            // X̃ = W^½X: the scale of the cross-products is √w.
                            ClusterStatistics {
                                xtx: Cow::Owned(cluster_crossprods(
                                    wr.x,
                                    wr.sqrt_w.as_deref(),
                                    clusters,
                                )?),
                                scores: Cow::Owned(weighted_cluster_sums(wr.x, &xe_w, clusters)?),
                            }
                        }
                    };
                    adjusted_sums(
                        &stats,
                        b,
                        clusters,
                        *cr,
                        matches!(kind, ModelKind::Linear { .. }),
                    )?
                }
            };
            let factor = match (cr, kind) {
                (CrType::Cr0 | CrType::Cr2 | CrType::Cr3 { jackknife: false }, _) => 1.0,
                (CrType::Cr3 { jackknife: true }, _) => (g as f64 - 1.0) / g as f64,
                (CrType::Cr1, _) => cr1_factor(g, n, k, kind),
            };
            let meat = crossprod(&sums);
            let matrix = b * meat * b * factor;
            let reference = match kind {
                ModelKind::Linear { .. } => linear_t(g - 1),
                ModelKind::Likelihood => Reference::Normal,
            };
            let description = cluster_description(*cr, clusters.name(), g, kind);
            let mut cov = finish(
                matrix,
                info(
                    &how.label(),
                    description,
                    Some(factor),
                    &[clusters],
                    reference,
                ),
                k,
            );
            if let Some(df) = df {
                cov.df = df.into_iter().map(Some).collect();
            }
            Ok(cov)
        }
        Vcov::TwoWay {
            first,
            second,
            kind: cr,
            intersection_hc0,
        } => {
            if !matches!(cr, CrType::Cr0 | CrType::Cr1) {
                return Err(RobustError::NotAvailable {
                    vcov: how.label(),
                    model: m.model_name().to_owned(),
                    reason: "two-way clustering is implemented for CR0 and CR1".into(),
                });
            }
            check_clusters(first, n)?;
            check_clusters(second, n)?;
            let both = first.intersect(second)?;
            let term =
                |c: &Clusters, no_cluster_factor: bool| -> Result<DMatrix<f64>, RobustError> {
                    let s = score_sums(m, c)?;
                    let g = c.n_clusters();
                    let f = match cr {
                        CrType::Cr1 if no_cluster_factor => 1.0,
                        CrType::Cr1 => cr1_factor(g, n, k, kind),
                        _ => 1.0,
                    };
                    Ok(crossprod(&s) * f)
                };
            let meat = term(first, false)? + term(second, false)? - term(&both, *intersection_hc0)?;
            let matrix = b * meat * b;
            let gmin = first.n_clusters().min(second.n_clusters());
            let reference = match kind {
                ModelKind::Linear { .. } => linear_t(gmin - 1),
                ModelKind::Likelihood => Reference::Normal,
            };
            let description = format!(
                "Standard errors clustered two-way by {} (G = {}) and {} (G = {}), V = V_A + V_B − V_AB (Cameron, Gelbach & Miller 2011), {}{}.",
                first.name(),
                first.n_clusters(),
                second.name(),
                second.n_clusters(),
                cr_label(*cr).to_uppercase(),
                if *intersection_hc0 {
                    "; intersection term without small-sample factor"
                } else {
                    ""
                }
            );
            Ok(finish(
                matrix,
                info(&how.label(), description, None, &[first, second], reference),
                k,
            ))
        }
    }
}

fn info(
    label: &str,
    description: String,
    factor: Option<f64>,
    clusters: &[&Clusters],
    reference: Reference,
) -> CovarianceInfo {
    CovarianceInfo {
        label: label.to_owned(),
        description,
        factor,
        cluster_vars: clusters.iter().map(|c| c.name().to_owned()).collect(),
        n_clusters: clusters.iter().map(|c| c.n_clusters()).collect(),
        reference,
    }
}

fn finish(matrix: DMatrix<f64>, info: CovarianceInfo, k: usize) -> Covariance {
    // Symmetrise: the sandwich is symmetric in exact arithmetic.
    let matrix = (&matrix + matrix.transpose()) * 0.5;
    let df = vec![info.reference.df(); k];
    Covariance { matrix, info, df }
}

fn cluster_description(cr: CrType, name: &str, g: usize, kind: ModelKind) -> String {
    let what = match (cr, kind) {
        (CrType::Cr0, _) => "CR0, no small-sample factor".to_string(),
        (CrType::Cr1, ModelKind::Linear { .. }) => {
            "CR1, factor G/(G−1)·(N−1)/(N−K) as Stata's regress".to_string()
        }
        (CrType::Cr1, ModelKind::Likelihood) => {
            "CR1, factor G/(G−1) as Stata's ML commands".to_string()
        }
        (CrType::Cr2, ModelKind::Linear { .. }) => {
            "CR2 (Bell–McCaffrey), t with Satterthwaite degrees of freedom per coefficient"
                .to_string()
        }
        (CrType::Cr2, ModelKind::Likelihood) => {
            "CR2 (Bell–McCaffrey) on the working regression W^½X; clubSandwich's glm CR2 targets the working covariance instead and differs".to_string()
        }
        (CrType::Cr3 { jackknife: false }, _) => {
            "CR3, residuals adjusted by (I − H_gg)⁻¹".to_string()
        }
        (CrType::Cr3 { jackknife: true }, _) => {
            "CR3 with the (G−1)/G factor: the cluster jackknife".to_string()
        }
    };
    format!("Standard errors clustered by {name} (G = {g}), {what}.")
}

/// CR1's factor: (G/(G−1), (N−1)/(N−K)) for linear models, (G/(G−1), 1) for ML models.
fn cr1_factor_parts(g: usize, n: usize, k: usize, kind: ModelKind) -> (f64, f64) {
    let gf = g as f64 / (g as f64 - 1.0);
    match kind {
        ModelKind::Linear { .. } => (gf, (n as f64 - 1.0) / (n as f64 - k as f64)),
        ModelKind::Likelihood => (gf, 1.0),
    }
}

fn cr1_factor(g: usize, n: usize, k: usize, kind: ModelKind) -> f64 {
    let (a, b) = cr1_factor_parts(g, n, k, kind);
    a * b
}

fn check_clusters(c: &Clusters, n: usize) -> Result<(), RobustError> {
    if c.len() != n {
        return Err(InputError::Length {
            field: format!("clusters `{}`", c.name()),
            got: c.len(),
            reference: "observations".into(),
            expected: n,
        }
        .into());
    }
    if c.n_clusters() < 2 {
        return Err(RobustError::TooFewClusters {
            name: c.name().to_owned(),
            got: c.n_clusters(),
        });
    }
    Ok(())
}

fn working<'a, M: EstimatingEquations + ?Sized>(
    m: &'a M,
    label: &str,
) -> Result<WorkingRegression<'a>, RobustError> {
    m.working_regression()
        .ok_or_else(|| RobustError::NotAvailable {
            vcov: label.to_owned(),
            model: m.model_name().to_owned(),
            reason: "it needs the hat matrix of a single-index model".into(),
        })
}

/// Cluster sums of the scores, `s_g = Σ_{i∈g} ψᵢ` (G × k), without forming ψ when the model has a
/// working regression.
fn score_sums<M: EstimatingEquations + ?Sized>(
    m: &M,
    clusters: &Clusters,
) -> Result<DMatrix<f64>, RobustError> {
    if let Some(st) = m.cached_cluster_statistics(clusters) {
        return Ok(st.scores.into_owned());
    }
    if let Some(sums) = m.cluster_score_sums(clusters) {
        return sums;
    }
    if let Some((x, w)) = m.score_factors() {
        return Ok(weighted_cluster_sums(x, &w, clusters)?);
    }
    match m.working_regression() {
        Some(wr) => {
            let w: Vec<f64> = match &wr.sqrt_w {
                None => wr.residuals.to_vec(),
                Some(s) => s
                    .iter()
                    .zip(wr.residuals.iter())
                    .map(|(a, e)| a * e)
                    .collect(),
            };
            Ok(weighted_cluster_sums(wr.x, &w, clusters)?)
        }
        None => Ok(cluster_sums(&m.estfun(), clusters)?),
    }
}

/// HC2/HC3 meat: Σᵢ x̃ᵢx̃ᵢᵀ ẽᵢ² / (1−hᵢ)^p with hᵢ = x̃ᵢᵀBx̃ᵢ, p = 1 (HC2) or 2 (HC3).
fn hc_adjusted_meat(
    wr: &WorkingRegression<'_>,
    b: &DMatrix<f64>,
    t: HcType,
) -> Result<DMatrix<f64>, RobustError> {
    let (n, k) = wr.x.shape();
    let mut xt = wr.x.clone();
    if let Some(s) = &wr.sqrt_w {
        for mut col in xt.column_iter_mut() {
            col.iter_mut().zip(s).for_each(|(v, si)| *v *= si);
        }
    }
    // h = rowSums((X̃B) ∘ X̃)
    let xb = &xt * b;
    let mut scaled = xt.clone();
    for i in 0..n {
        let h: f64 = (0..k).map(|j| xb[(i, j)] * xt[(i, j)]).sum();
        let one_minus = 1.0 - h;
        if one_minus <= 1e-10 {
            return Err(RobustError::LeverageOne {
                what: "observation".into(),
                label: format!("row {}", i + 1),
                vcov: format!("{t:?}").to_uppercase(),
            });
        }
        let adj = match t {
            HcType::Hc3 => 1.0 / one_minus,
            _ => 1.0 / one_minus.sqrt(),
        };
        let e = wr.residuals[i] * adj;
        for j in 0..k {
            scaled[(i, j)] *= e;
        }
    }
    Ok(crossprod(&scaled))
}

/// CR2/CR3 adjusted cluster sums a_g = X̃_gᵀA_gẽ_g (G × k) and, for CR2 of a linear model, the
/// Satterthwaite df of each coefficient.
///
/// # Formula
/// With S_g = X̃_gᵀX̃_g = UΣUᵀ (rank r), Z = Σ^½UᵀBUΣ^½ = VΛVᵀ (the non-zero spectrum of H_gg),
/// T = UΣ^½V and T⁻ = VᵀΣ^(−½)Uᵀ:
/// ```text
/// A_g = (I − H_gg)^(−p)  ⇒  X̃_gᵀA_gẽ_g = X̃_gᵀẽ_g + T f(Λ) T⁻ X̃_gᵀẽ_g,  f(λ) = (1−λ)^(−p) − 1
/// ```
/// (p = ½ for CR2, 1 for CR3). Satterthwaite (Bell & McCaffrey 2002, Pustejovsky & Tipton 2018)
/// for coefficient j with b = Bⱼ (column j of B), under the working model ε ~ N(0, σ²I):
/// ```text
/// w_g = (S_g + T f(Λ) Tᵀ) b,   d_g = bᵀ(S_g + T [λ/(1−λ)] Tᵀ) b,   Ω = diag(d) − WᵀBW
/// ν_j = (tr Ω)² / ‖Ω‖²_F,   ‖Ω‖²_F = Σd_g² − 2Σd_g w_gᵀBw_g + tr(BCBC),   C = WWᵀ
/// ```
fn adjusted_sums(
    stats: &ClusterStatistics<'_>,
    b: &DMatrix<f64>,
    clusters: &Clusters,
    cr: CrType,
    satterthwaite: bool,
) -> Result<(DMatrix<f64>, Option<Vec<f64>>), RobustError> {
    let k = b.nrows();
    let g = clusters.n_clusters();
    let s_g: &[DMatrix<f64>] = &stats.xtx;
    let xe: &DMatrix<f64> = &stats.scores;
    let want_df = satterthwaite && cr == CrType::Cr2;
    let mut sums = DMatrix::zeros(g, k);
    if matches!(cr, CrType::Cr3 { .. }) {
        // CR3 by Woodbury: (I − X_gBX_gᵀ)⁻¹ = I + X_g(B⁻¹ − S_g)⁻¹X_gᵀ, and B⁻¹ − S_g is the
        // leave-cluster-out X₍₋g₎ᵀX₍₋g₎: one Cholesky solve per cluster (the cluster jackknife),
        // singular exactly when I − H_gg is.
        let mut total = DMatrix::zeros(k, k);
        for m in s_g {
            total += m;
        }
        for (gi, sg) in s_g.iter().enumerate() {
            let xeg: DVector<f64> = xe.row(gi).transpose();
            let loo =
                Spd::new(&total - sg, "X_(-g)'X_(-g)").map_err(|_| RobustError::LeverageOne {
                    what: "cluster".into(),
                    label: clusters.labels().get(gi).cloned().unwrap_or_default(),
                    vcov: cr_label(cr).to_uppercase(),
                })?;
            let a = &xeg + sg * loo.solve(&xeg)?;
            sums.row_mut(gi).copy_from(&a.transpose());
        }
        return Ok((sums, None));
    }
    // For the df: M1_g = S_g + T f Tᵀ and M2_g = S_g + T [λ/(1−λ)] Tᵀ.
    let mut m1: Vec<DMatrix<f64>> = Vec::new();
    let mut m2: Vec<DMatrix<f64>> = Vec::new();
    for (gi, s) in s_g.iter().enumerate() {
        let xeg: DVector<f64> = xe.row(gi).transpose();
        let (sigma, u) = sym_eigen(s, "X_g'X_g")?;
        let smax = sigma.iter().copied().fold(0.0_f64, f64::max);
        let r = sigma
            .iter()
            .filter(|&&v| v > smax * 1e-12 && v > 0.0)
            .count();
        if r == 0 {
            sums.row_mut(gi).copy_from(&xeg.transpose());
            if want_df {
                m1.push(s.clone());
                m2.push(s.clone());
            }
            continue;
        }
        let ur = u.columns(0, r);
        let sq: Vec<f64> = sigma.iter().take(r).map(|v| v.sqrt()).collect();
        let mut us = ur.clone_owned(); // U Σ^½
        for (j, mut col) in us.column_iter_mut().enumerate() {
            col *= sq[j];
        }
        let z = us.transpose() * b * &us;
        let (lambda, v) = sym_eigen(&z, "Z_g")?;
        if lambda.iter().any(|&l| 1.0 - l <= 1e-10) {
            return Err(RobustError::LeverageOne {
                what: "cluster".into(),
                label: clusters.labels().get(gi).cloned().unwrap_or_default(),
                vcov: cr_label(cr).to_uppercase(),
            });
        }
        let t = &us * &v; // k × r
        let mut tinv = ur.clone_owned(); // U Σ^(−½), then T⁻ = Vᵀ (UΣ^(−½))ᵀ
        for (j, mut col) in tinv.column_iter_mut().enumerate() {
            col /= sq[j];
        }
        let tinv = v.transpose() * tinv.transpose(); // r × k
        let f: Vec<f64> = lambda
            .iter()
            .map(|&l| {
                let l = l.max(0.0);
                match cr {
                    CrType::Cr2 => 1.0 / (1.0 - l).sqrt() - 1.0,
                    _ => l / (1.0 - l),
                }
            })
            .collect();
        let proj = &tinv * &xeg; // r
        let adj = DVector::from_iterator(proj.len(), proj.iter().zip(&f).map(|(p, fi)| p * fi));
        let a = &xeg + &t * adj;
        sums.row_mut(gi).copy_from(&a.transpose());
        if want_df {
            let tf = scale_columns(&t, &f);
            m1.push(s + &tf * t.transpose());
            let g2: Vec<f64> = lambda
                .iter()
                .map(|&l| l.max(0.0) / (1.0 - l.max(0.0)))
                .collect();
            let tg = scale_columns(&t, &g2);
            m2.push(s + &tg * t.transpose());
        }
    }
    if !want_df {
        return Ok((sums, None));
    }
    let mut df = Vec::with_capacity(k);
    for j in 0..k {
        let bj: DVector<f64> = b.column(j).into_owned();
        let mut wmat = DMatrix::zeros(k, g);
        let mut d = Vec::with_capacity(g);
        for gi in 0..g {
            let w = &m1[gi] * &bj;
            d.push(bj.dot(&(&m2[gi] * &bj)));
            wmat.column_mut(gi).copy_from(&w);
        }
        let bw = b * &wmat; // k × G
        let wbw_diag: Vec<f64> = (0..g)
            .map(|gi| wmat.column(gi).dot(&bw.column(gi)))
            .collect();
        let c = &wmat * wmat.transpose();
        let bc = b * c;
        let tr_bc: f64 = bc.diagonal().sum();
        let tr_bcbc: f64 = (&bc * &bc).diagonal().sum();
        let sum_d: f64 = d.iter().sum();
        let trace = sum_d - tr_bc;
        let frob = d.iter().map(|x| x * x).sum::<f64>()
            - 2.0 * d.iter().zip(&wbw_diag).map(|(a, b)| a * b).sum::<f64>()
            + tr_bcbc;
        df.push(trace * trace / frob);
    }
    Ok((sums, Some(df)))
}

fn scale_columns(m: &DMatrix<f64>, f: &[f64]) -> DMatrix<f64> {
    let mut out = m.clone();
    for (j, mut col) in out.column_iter_mut().enumerate() {
        col *= f[j];
    }
    out
}

/// Wald tests and `level` confidence intervals for every parameter of a model under covariance
/// `how`: the coefficient table of an [`Inference`]. Each coefficient uses its own reference
/// distribution (t with the covariance's df, per coefficient for CR2; z for ML models).
///
/// # Errors
/// As [`vcov()`]; [`InputError::OutOfRange`] for a `level` outside (0, 1) or a zero SE.
pub fn inference<M: EstimatingEquations + ?Sized>(
    m: &M,
    how: &Vcov,
    level: f64,
) -> Result<Inference, RobustError> {
    let cov = vcov(m, how)?;
    let mut coefficients = Vec::with_capacity(m.n_params());
    for (j, name) in m.param_names().iter().enumerate() {
        let reference = match cov.df.get(j).copied().flatten() {
            Some(df) => Reference::StudentT { df },
            None => Reference::Normal,
        };
        let se = cov.matrix[(j, j)].max(0.0).sqrt();
        coefficients.push(Coef::wald(name, m.estimates()[j], se, reference, level)?);
    }
    Ok(Inference {
        nobs: m.nobs(),
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
/// [`RobustError::NotAvailable`] naming a term not in the model; [`trialstats_core::LinalgError`]
/// if R V̂ Rᵀ is singular.
pub fn wald_test(
    names: &[String],
    estimates: &DVector<f64>,
    cov: &Covariance,
    terms: &[&str],
) -> Result<WaldTest, RobustError> {
    let mut idx = Vec::with_capacity(terms.len());
    for t in terms {
        let j = names
            .iter()
            .position(|n| n == t)
            .ok_or_else(|| RobustError::UnknownTerm {
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
