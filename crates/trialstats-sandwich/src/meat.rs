//! The meats: one function per covariance type, each from the model's scores.
//!
//! A meat is `M = Σ_g a_g a_gᵀ`, the cross-product of (adjusted) cluster sums of the scores ψᵢ;
//! with one observation per cluster it is the HC meat. As R sandwich's `meat`/`meatHC`/`meatCL`,
//! the meats here carry no small-sample factor: [`crate::vcov()`] applies the factor of each type.

use std::borrow::Cow;

use nalgebra::{DMatrix, DVector};
use trialstats_core::Clusters;
use trialstats_core::linalg::Spd;
use trialstats_core::linalg::{
    cluster_crossprods, cluster_sums, crossprod, sym_eigen, weighted_cluster_sums,
};

use crate::error::SandwichError;
use crate::model::{ClusterStatistics, EstimatingEquations, WorkingRegression};
use crate::types::{CrType, HcType};

/// Leverage at or above `1 − LEVERAGE_ONE_TOLERANCE` makes I − H singular for HC2/HC3 and
/// CR2/CR3 (the adjustment (1 − h)^(−p) would be infinite or meaningless).
pub const LEVERAGE_ONE_TOLERANCE: f64 = 1e-10;

/// Eigenvalues of X_gᵀX_g below `RANK_TOLERANCE × largest` count as zero in CR2's square root.
pub const RANK_TOLERANCE: f64 = 1e-12;

/// The HC0 meat `Σᵢ ψᵢψᵢᵀ` from the n × k score matrix (R sandwich `meat` × n).
///
/// # Examples
/// ```
/// use trialstats_sandwich::meat_hc0;
/// use trialstats_core::nalgebra::DMatrix;
/// let psi = DMatrix::from_row_slice(3, 1, &[1.0, -2.0, 1.0]);
/// assert_eq!(meat_hc0(&psi)[(0, 0)], 6.0);
/// ```
pub fn meat_hc0(psi: &DMatrix<f64>) -> DMatrix<f64> {
    crossprod(psi)
}

/// The cluster meat `Σ_g s_g s_gᵀ` from the G × k matrix of (adjusted) cluster score sums
/// (R sandwich `meatCL` with `type = "HC0"`, `cadjust = FALSE`, times n).
///
/// # Examples
/// ```
/// use trialstats_sandwich::meat_cluster;
/// use trialstats_core::nalgebra::DMatrix;
/// let sums = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 2.0, 1.0]);
/// let m = meat_cluster(&sums);
/// assert_eq!((m[(0, 0)], m[(0, 1)], m[(1, 1)]), (5.0, 2.0, 1.0));
/// ```
pub fn meat_cluster(sums: &DMatrix<f64>) -> DMatrix<f64> {
    crossprod(sums)
}

/// The CR2/CR3-adjusted cluster score sums of a single-index model, and for CR2 of a linear
/// model the Satterthwaite df of each coefficient.
#[derive(Debug, Clone, PartialEq)]
pub struct AdjustedScores {
    /// Row g is a_g = X̃_gᵀA_gẽ_g.
    pub sums: DMatrix<f64>,
    /// Satterthwaite df per coefficient (CR2 of a linear model only).
    pub satterthwaite_df: Option<Vec<f64>>,
}

/// The CR2 or CR3 adjusted cluster sums a_g = X̃_gᵀA_gẽ_g of `m` (see [`adjusted_sums`] for the
/// formula), from the statistics the model cached during its fit or from its working regression.
///
/// # Errors
/// [`SandwichError::NotAvailable`] for a model without a working regression or a `cr` that is
/// not CR2/CR3; [`SandwichError::LeverageOne`] where I − H_gg is singular.
///
/// # Examples
/// ```
/// use trialstats_core::Clusters;
/// use trialstats_sandwich::{CrType, adjusted_cluster_scores, meat_cluster, sandwich};
/// # use std::borrow::Cow;
/// # use trialstats_core::nalgebra::{DMatrix, DVector};
/// # use trialstats_sandwich::{EstimatingEquations, ModelKind, WorkingRegression};
/// # struct Ols { x: DMatrix<f64>, beta: DVector<f64>, e: Vec<f64>, bread: DMatrix<f64>, names: Vec<String> }
/// # impl Ols {
/// #     fn fit(x: &[f64], y: &[f64]) -> Result<Self, &'static str> {
/// #         let x = DMatrix::from_fn(y.len(), 2, |i, j| if j == 0 { 1.0 } else { x[i] });
/// #         let y = DVector::from_column_slice(y);
/// #         let bread = (x.transpose() * &x).try_inverse().ok_or("singular X'X")?;
/// #         let beta = &bread * x.transpose() * &y;
/// #         let e = (y - &x * &beta).iter().copied().collect();
/// #         Ok(Ols { x, beta, e, bread, names: vec!["(Intercept)".into(), "x".into()] })
/// #     }
/// # }
/// # impl EstimatingEquations for Ols {
/// #     fn model_name(&self) -> &str { "OLS" }
/// #     fn param_names(&self) -> &[String] { &self.names }
/// #     fn estimates(&self) -> &DVector<f64> { &self.beta }
/// #     fn nobs(&self) -> usize { self.e.len() }
/// #     fn n_params(&self) -> usize { 2 }
/// #     fn estfun(&self) -> DMatrix<f64> { DMatrix::from_fn(self.e.len(), 2, |i, j| self.x[(i, j)] * self.e[i]) }
/// #     fn bread(&self) -> &DMatrix<f64> { &self.bread }
/// #     fn kind(&self) -> ModelKind { ModelKind::Linear { df_resid: self.e.len() - 2 } }
/// #     fn sigma2(&self) -> f64 { self.e.iter().map(|v| v * v).sum::<f64>() / (self.e.len() - 2) as f64 }
/// #     fn working_regression(&self) -> Option<WorkingRegression<'_>> {
/// #         Some(WorkingRegression { x: &self.x, sqrt_w: None, residuals: Cow::Borrowed(&self.e) })
/// #     }
/// # }
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // `Ols` (hidden): least squares of y on (1, x), implementing `EstimatingEquations`.
/// // R: d <- data.frame(x, y, g); fit <- lm(y ~ x, d)
/// let x = [1.2, 2.3, 0.7, 3.1, 2.8, 1.9, 0.4, 1.6, 2.2, 3.5, 2.9, 1.1];
/// let y = [2.1, 3.9, 1.5, 5.2, 4.1, 3.3, 1.8, 2.2, 3.9, 6.1, 4.4, 2.0];
/// let fit = Ols::fit(&x, &y)?;
/// let g = Clusters::from_labels("g", &[1, 1, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4])?;
/// let a = adjusted_cluster_scores(&fit, &g, CrType::Cr2, true)?;
/// let v = sandwich(fit.bread(), &meat_cluster(&a.sums), 1.0);
/// // R: clubSandwich::vcovCR(fit, cluster = d$g, type = "CR2")[2, 2] = 0.014789014339643339
/// assert!((v[(1, 1)] - 0.014789014339643339).abs() < 1e-14);
/// // R: clubSandwich::coef_test(fit, vcov = "CR2", cluster = d$g)$df_Satt
/// //    = 2.0519384718473526, 2.6257673515590425
/// let df = a.satterthwaite_df.ok_or("no df")?;
/// assert!((df[0] - 2.0519384718473526).abs() < 1e-10);
/// assert!((df[1] - 2.6257673515590425).abs() < 1e-10);
/// # Ok(()) }
/// ```
pub fn adjusted_cluster_scores<M: EstimatingEquations + ?Sized>(
    m: &M,
    clusters: &Clusters,
    cr: CrType,
    satterthwaite: bool,
) -> Result<AdjustedScores, SandwichError> {
    if !matches!(cr, CrType::Cr2 | CrType::Cr3 { .. }) {
        return Err(SandwichError::NotAvailable {
            vcov: cr.label(),
            model: m.model_name().to_owned(),
            reason: "only CR2 and CR3 adjust the cluster sums".into(),
        });
    }
    let stats = match m.cached_cluster_statistics(clusters) {
        Some(st) => st,
        None => {
            let wr = working(m, &cr.label())?;
            let xe_w = weighted_residuals(&wr);
            // X̃ = W^½X: the scale of the cross-products is √w.
            ClusterStatistics {
                xtx: Cow::Owned(cluster_crossprods(wr.x, wr.sqrt_w.as_deref(), clusters)?),
                scores: Cow::Owned(weighted_cluster_sums(wr.x, &xe_w, clusters)?),
            }
        }
    };
    let (sums, satterthwaite_df) = adjusted_sums(&stats, m.bread(), clusters, cr, satterthwaite)?;
    Ok(AdjustedScores {
        sums,
        satterthwaite_df,
    })
}

/// √wᵢ ẽᵢ: the factor that turns a working-regression row x_i into its score.
fn weighted_residuals(wr: &WorkingRegression<'_>) -> Vec<f64> {
    match &wr.sqrt_w {
        None => wr.residuals.to_vec(),
        Some(s) => s
            .iter()
            .zip(wr.residuals.iter())
            .map(|(a, e)| a * e)
            .collect(),
    }
}

pub(crate) fn working<'a, M: EstimatingEquations + ?Sized>(
    m: &'a M,
    label: &str,
) -> Result<WorkingRegression<'a>, SandwichError> {
    m.working_regression()
        .ok_or_else(|| SandwichError::NotAvailable {
            vcov: label.to_owned(),
            model: m.model_name().to_owned(),
            reason: "it needs the hat matrix of a single-index model".into(),
        })
}

/// Cluster sums of the scores, `s_g = Σ_{i∈g} ψᵢ` (G × k), without forming ψ when the model has a
/// working regression or score factors (R sandwich's `estfun` summed by cluster).
///
/// # Errors
/// [`trialstats_core::InputError::Length`] if `clusters` does not cover the model's rows.
///
/// # Examples
/// ```
/// use trialstats_core::Clusters;
/// use trialstats_sandwich::cluster_scores;
/// # use std::borrow::Cow;
/// # use trialstats_core::nalgebra::{DMatrix, DVector};
/// # use trialstats_sandwich::{EstimatingEquations, ModelKind, WorkingRegression};
/// # struct Ols { x: DMatrix<f64>, beta: DVector<f64>, e: Vec<f64>, bread: DMatrix<f64>, names: Vec<String> }
/// # impl Ols {
/// #     fn fit(x: &[f64], y: &[f64]) -> Result<Self, &'static str> {
/// #         let x = DMatrix::from_fn(y.len(), 2, |i, j| if j == 0 { 1.0 } else { x[i] });
/// #         let y = DVector::from_column_slice(y);
/// #         let bread = (x.transpose() * &x).try_inverse().ok_or("singular X'X")?;
/// #         let beta = &bread * x.transpose() * &y;
/// #         let e = (y - &x * &beta).iter().copied().collect();
/// #         Ok(Ols { x, beta, e, bread, names: vec!["(Intercept)".into(), "x".into()] })
/// #     }
/// # }
/// # impl EstimatingEquations for Ols {
/// #     fn model_name(&self) -> &str { "OLS" }
/// #     fn param_names(&self) -> &[String] { &self.names }
/// #     fn estimates(&self) -> &DVector<f64> { &self.beta }
/// #     fn nobs(&self) -> usize { self.e.len() }
/// #     fn n_params(&self) -> usize { 2 }
/// #     fn estfun(&self) -> DMatrix<f64> { DMatrix::from_fn(self.e.len(), 2, |i, j| self.x[(i, j)] * self.e[i]) }
/// #     fn bread(&self) -> &DMatrix<f64> { &self.bread }
/// #     fn kind(&self) -> ModelKind { ModelKind::Linear { df_resid: self.e.len() - 2 } }
/// #     fn sigma2(&self) -> f64 { self.e.iter().map(|v| v * v).sum::<f64>() / (self.e.len() - 2) as f64 }
/// #     fn working_regression(&self) -> Option<WorkingRegression<'_>> {
/// #         Some(WorkingRegression { x: &self.x, sqrt_w: None, residuals: Cow::Borrowed(&self.e) })
/// #     }
/// # }
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // `Ols` (hidden): least squares of y on (1, x), implementing `EstimatingEquations`.
/// // R: d <- data.frame(x, y, g); fit <- lm(y ~ x, d)
/// let x = [1.2, 2.3, 0.7, 3.1, 2.8, 1.9, 0.4, 1.6, 2.2, 3.5, 2.9, 1.1];
/// let y = [2.1, 3.9, 1.5, 5.2, 4.1, 3.3, 1.8, 2.2, 3.9, 6.1, 4.4, 2.0];
/// let fit = Ols::fit(&x, &y)?;
/// let g = Clusters::from_labels("g", &[1, 1, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4])?;
/// let s = cluster_scores(&fit, &g)?;
/// assert_eq!(s.shape(), (4, 2));
/// // R: rowsum(sandwich::estfun(fit), d$g): intercept column -0.16427424902545101,
/// // -0.23168997936253177, 0.26771382710387365, 0.12825040128410894; x column
/// // -0.10150424214629508, -0.58267828479706563, -0.24573950928686289, 0.92992203623022252
/// assert!((s[(0, 0)] + 0.16427424902545101).abs() < 1e-13);
/// assert!((s[(1, 1)] + 0.58267828479706563).abs() < 1e-13);
/// assert!((s[(3, 1)] - 0.92992203623022252).abs() < 1e-13);
/// // The normal equations: least-squares scores sum to zero.
/// assert!(s.column(0).sum().abs() < 1e-12 && s.column(1).sum().abs() < 1e-12);
/// # Ok(()) }
/// ```
pub fn cluster_scores<M: EstimatingEquations + ?Sized>(
    m: &M,
    clusters: &Clusters,
) -> Result<DMatrix<f64>, SandwichError> {
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
            let w = weighted_residuals(&wr);
            Ok(weighted_cluster_sums(wr.x, &w, clusters)?)
        }
        None => Ok(cluster_sums(&m.estfun(), clusters)?),
    }
}

/// The HC2/HC3 meat of a working regression: Σᵢ x̃ᵢx̃ᵢᵀ ẽᵢ² / (1−hᵢ)^p with hᵢ = x̃ᵢᵀBx̃ᵢ, p = 1
/// (HC2) or 2 (HC3) (MacKinnon & White 1985); HC0 and HC1 get the unadjusted meat.
///
/// # Errors
/// [`SandwichError::LeverageOne`] naming the first row (1-based) with hᵢ = 1.
///
/// # Examples
/// ```
/// use trialstats_sandwich::{HcType, meat_hc_adjusted, sandwich};
/// # use std::borrow::Cow;
/// # use trialstats_core::nalgebra::{DMatrix, DVector};
/// # use trialstats_sandwich::{EstimatingEquations, ModelKind, WorkingRegression};
/// # struct Ols { x: DMatrix<f64>, beta: DVector<f64>, e: Vec<f64>, bread: DMatrix<f64>, names: Vec<String> }
/// # impl Ols {
/// #     fn fit(x: &[f64], y: &[f64]) -> Result<Self, &'static str> {
/// #         let x = DMatrix::from_fn(y.len(), 2, |i, j| if j == 0 { 1.0 } else { x[i] });
/// #         let y = DVector::from_column_slice(y);
/// #         let bread = (x.transpose() * &x).try_inverse().ok_or("singular X'X")?;
/// #         let beta = &bread * x.transpose() * &y;
/// #         let e = (y - &x * &beta).iter().copied().collect();
/// #         Ok(Ols { x, beta, e, bread, names: vec!["(Intercept)".into(), "x".into()] })
/// #     }
/// # }
/// # impl EstimatingEquations for Ols {
/// #     fn model_name(&self) -> &str { "OLS" }
/// #     fn param_names(&self) -> &[String] { &self.names }
/// #     fn estimates(&self) -> &DVector<f64> { &self.beta }
/// #     fn nobs(&self) -> usize { self.e.len() }
/// #     fn n_params(&self) -> usize { 2 }
/// #     fn estfun(&self) -> DMatrix<f64> { DMatrix::from_fn(self.e.len(), 2, |i, j| self.x[(i, j)] * self.e[i]) }
/// #     fn bread(&self) -> &DMatrix<f64> { &self.bread }
/// #     fn kind(&self) -> ModelKind { ModelKind::Linear { df_resid: self.e.len() - 2 } }
/// #     fn sigma2(&self) -> f64 { self.e.iter().map(|v| v * v).sum::<f64>() / (self.e.len() - 2) as f64 }
/// #     fn working_regression(&self) -> Option<WorkingRegression<'_>> {
/// #         Some(WorkingRegression { x: &self.x, sqrt_w: None, residuals: Cow::Borrowed(&self.e) })
/// #     }
/// # }
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // `Ols` (hidden): least squares of y on (1, x), implementing `EstimatingEquations`.
/// // R: d <- data.frame(x, y, g); fit <- lm(y ~ x, d)
/// let x = [1.2, 2.3, 0.7, 3.1, 2.8, 1.9, 0.4, 1.6, 2.2, 3.5, 2.9, 1.1];
/// let y = [2.1, 3.9, 1.5, 5.2, 4.1, 3.3, 1.8, 2.2, 3.9, 6.1, 4.4, 2.0];
/// let fit = Ols::fit(&x, &y)?;
/// let wr = fit.working_regression().ok_or("no working regression")?;
/// let meat = meat_hc_adjusted(&wr, fit.bread(), HcType::Hc3)?;
/// // R: 12 * sandwich::meatHC(fit, type = "HC3") = [2.6635170545539864, 4.893243850722568;
/// //    4.893243850722568, 13.230315577401463]
/// assert!((meat[(0, 0)] - 2.6635170545539864).abs() < 1e-12);
/// assert!((meat[(0, 1)] - 4.893243850722568).abs() < 1e-12);
/// assert!((meat[(1, 1)] - 13.230315577401463).abs() < 1e-12);
/// // R: sandwich::vcovHC(fit, type = "HC3")[2, 2] = 0.036103154031037421
/// let v = sandwich(fit.bread(), &meat, 1.0);
/// assert!((v[(1, 1)] - 0.036103154031037421).abs() < 1e-14);
/// # Ok(()) }
/// ```
pub fn meat_hc_adjusted(
    wr: &WorkingRegression<'_>,
    b: &DMatrix<f64>,
    t: HcType,
) -> Result<DMatrix<f64>, SandwichError> {
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
        if one_minus <= LEVERAGE_ONE_TOLERANCE {
            return Err(SandwichError::LeverageOne {
                what: "observation".into(),
                label: format!("row {}", i + 1),
                vcov: format!("{t:?}").to_uppercase(),
            });
        }
        let adj = match t {
            HcType::Hc3 => 1.0 / one_minus,
            HcType::Hc2 => 1.0 / one_minus.sqrt(),
            _ => 1.0,
        };
        let e = wr.residuals[i] * adj;
        for j in 0..k {
            scaled[(i, j)] *= e;
        }
    }
    Ok(crossprod(&scaled))
}

/// CR2/CR3 adjusted cluster sums a_g = X̃_gᵀA_gẽ_g (G × k) from per-cluster statistics and, for
/// CR2 with `satterthwaite`, the Satterthwaite df of each coefficient.
///
/// # Errors
/// [`SandwichError::LeverageOne`] naming the cluster where I − H_gg is singular.
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
pub fn adjusted_sums(
    stats: &ClusterStatistics<'_>,
    b: &DMatrix<f64>,
    clusters: &Clusters,
    cr: CrType,
    satterthwaite: bool,
) -> Result<(DMatrix<f64>, Option<Vec<f64>>), SandwichError> {
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
                Spd::new(&total - sg, "X_(-g)'X_(-g)").map_err(|_| SandwichError::LeverageOne {
                    what: "cluster".into(),
                    label: clusters.labels().get(gi).cloned().unwrap_or_default(),
                    vcov: cr.label().to_uppercase(),
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
            .filter(|&&v| v > smax * RANK_TOLERANCE && v > 0.0)
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
        if lambda.iter().any(|&l| 1.0 - l <= LEVERAGE_ONE_TOLERANCE) {
            return Err(SandwichError::LeverageOne {
                what: "cluster".into(),
                label: clusters.labels().get(gi).cloned().unwrap_or_default(),
                vcov: cr.label().to_uppercase(),
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
