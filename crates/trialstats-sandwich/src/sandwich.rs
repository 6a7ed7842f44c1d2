//! `V = c · B M B`: the bread, the meat and the small-sample factor of each covariance type.

use nalgebra::DMatrix;
use trialstats_core::linalg::weighted_crossprod;
use trialstats_core::{Clusters, CovarianceInfo, Reference};

use crate::error::SandwichError;
use crate::meat::{
    adjusted_cluster_scores, adjusted_sums, cluster_scores, meat_cluster, meat_hc_adjusted,
    meat_hc0, working,
};
use crate::model::{ClusterStatistics, EstimatingEquations, ModelKind};
use crate::types::{Covariance, CrType, HcType, Vcov};

/// The sandwich `c · B M B`, symmetrised (it is symmetric in exact arithmetic).
///
/// # Examples
/// ```
/// use trialstats_sandwich::sandwich;
/// use trialstats_core::nalgebra::DMatrix;
/// let bread = DMatrix::from_diagonal_element(2, 2, 0.5);
/// let meat = DMatrix::from_row_slice(2, 2, &[4.0, 2.0, 2.0, 8.0]);
/// let v = sandwich(&bread, &meat, 2.0);
/// assert_eq!((v[(0, 0)], v[(0, 1)], v[(1, 1)]), (2.0, 1.0, 4.0));
/// ```
pub fn sandwich(bread: &DMatrix<f64>, meat: &DMatrix<f64>, factor: f64) -> DMatrix<f64> {
    let v = bread * meat * bread * factor;
    (&v + v.transpose()) * 0.5
}

/// The small-sample factor of HC0–HC3: N/(N−K) for HC1 of a linear model (Stata `vce(robust)`),
/// N/(N−1) for HC1 of an ML model (Stata's ML commands), 1 otherwise.
///
/// # Examples
/// ```
/// use trialstats_sandwich::{HcType, ModelKind, hc_factor};
/// // A regression with 12 rows and 2 coefficients: N/(N − K) = 1.2 (R: the ratio
/// // sandwich::vcovHC(fit, type = "HC1") / vcovHC(fit, type = "HC0"), Stata's vce(robust)).
/// assert!((hc_factor(HcType::Hc1, 12, ModelKind::Linear { df_resid: 10 }) - 1.2).abs() < 1e-15);
/// // A likelihood model: N/(N − 1), as Stata's ML commands.
/// assert!((hc_factor(HcType::Hc1, 12, ModelKind::Likelihood) - 12.0 / 11.0).abs() < 1e-15);
/// // HC0, HC2 and HC3 have no factor.
/// assert_eq!(hc_factor(HcType::Hc3, 12, ModelKind::Linear { df_resid: 10 }), 1.0);
/// ```
pub fn hc_factor(t: HcType, n: usize, kind: ModelKind) -> f64 {
    match (t, kind) {
        (HcType::Hc1, ModelKind::Linear { df_resid }) => n as f64 / df_resid as f64,
        (HcType::Hc1, ModelKind::Likelihood) => n as f64 / (n as f64 - 1.0),
        _ => 1.0,
    }
}

/// The small-sample factor of a cluster-robust type with G clusters, N observations and K
/// parameters: CR1 G/(G−1)·(N−1)/(N−K) for linear models (Stata `regress, vce(cluster)`),
/// G/(G−1) for ML models; (G−1)/G for the CR3 jackknife; 1 for CR0, CR2 and CR3.
///
/// # Examples
/// ```
/// use trialstats_sandwich::{CrType, ModelKind, cluster_factor};
/// // 24 clusters, 240 rows, 3 coefficients, as the paper's trial with regress.
/// let c = cluster_factor(CrType::Cr1, 24, 240, 3, ModelKind::Linear { df_resid: 237 });
/// assert!((c - 24.0 / 23.0 * 239.0 / 237.0).abs() < 1e-15);
/// ```
pub fn cluster_factor(cr: CrType, g: usize, n: usize, k: usize, kind: ModelKind) -> f64 {
    let g = g as f64;
    match (cr, kind) {
        (CrType::Cr1, ModelKind::Linear { .. }) => {
            g / (g - 1.0) * ((n as f64 - 1.0) / (n as f64 - k as f64))
        }
        (CrType::Cr1, ModelKind::Likelihood) => g / (g - 1.0),
        (CrType::Cr3 { jackknife: true }, _) => (g - 1.0) / g,
        _ => 1.0,
    }
}

/// Estimates the covariance of a fitted model's parameters: `vcov = sandwich(bread, meat)` with
/// the meat and factor of `how` (see the crate docs for the table of conventions).
///
/// # Errors
/// [`SandwichError::TooFewClusters`] if G < 2; [`trialstats_core::InputError::Length`] if the clusters do not
/// cover the model's observations; [`SandwichError::NotAvailable`] for a leverage-adjusted
/// estimator on a model without a working regression, or CR2/CR3 two-way;
/// [`SandwichError::LeverageOne`] where I − H_gg is singular.
///
/// # Examples
/// ```
/// use trialstats_sandwich::{HcType, Vcov, vcov};
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
/// let iid = vcov(&fit, &Vcov::Iid)?;
/// // R: vcov(fit)[2, 2] = 0.014645625131682213, with t on N − K = 10 df
/// assert!((iid.matrix[(1, 1)] - 0.014645625131682213).abs() < 1e-14);
/// assert_eq!(iid.df, [Some(10.0), Some(10.0)]);
/// // R: sandwich::vcovHC(fit, type = t)[2, 2] for t = "HC0", "HC1", "HC2", "HC3"
/// for (t, want) in [(HcType::Hc0, 0.018434064479432515), (HcType::Hc1, 0.022120877375318985),
///                   (HcType::Hc2, 0.025731849998081105), (HcType::Hc3, 0.036103154031037421)] {
///     assert!((vcov(&fit, &Vcov::Hc(t))?.matrix[(1, 1)] - want).abs() < 1e-14);
/// }
/// # Ok(()) }
/// ```
pub fn vcov<M: EstimatingEquations + ?Sized>(
    m: &M,
    how: &Vcov,
) -> Result<Covariance, SandwichError> {
    match how {
        Vcov::Iid => Ok(vcov_iid(m)),
        Vcov::Hc(t) => vcov_hc(m, *t),
        Vcov::Cluster { clusters, kind } => vcov_cluster(m, clusters, *kind),
        Vcov::TwoWay {
            first,
            second,
            kind,
            intersection_hc0,
        } => vcov_two_way(m, first, second, *kind, *intersection_hc0),
    }
}

/// The reference distribution of a model's Wald tests: t(df) for linear models, z otherwise.
fn reference(kind: ModelKind, df: usize) -> Reference {
    match kind {
        ModelKind::Linear { .. } => Reference::StudentT { df: df as f64 },
        ModelKind::Likelihood => Reference::Normal,
    }
}

fn vcov_iid<M: EstimatingEquations + ?Sized>(m: &M) -> Covariance {
    vcov_iid_from(m.bread(), m.kind(), m.sigma2())
}

/// The iid covariance of a model known by its bread and σ̂² alone (as [`vcov()`] with
/// [`Vcov::Iid`]): σ̂²B with t(N − K) for a linear model, B with z for a likelihood model
/// (`sigma2` unused).
///
/// # Examples
/// ```
/// use trialstats_sandwich::{ModelKind, vcov_iid_from};
/// # use trialstats_core::nalgebra::DMatrix;
/// let b = DMatrix::from_diagonal_element(2, 2, 0.5);
/// let v = vcov_iid_from(&b, ModelKind::Linear { df_resid: 10 }, 4.0);
/// assert_eq!(v.matrix[(1, 1)], 2.0);
/// assert_eq!(v.df, [Some(10.0), Some(10.0)]);
/// ```
pub fn vcov_iid_from(bread: &DMatrix<f64>, kind: ModelKind, sigma2: f64) -> Covariance {
    let (matrix, reference, description) = match kind {
        ModelKind::Linear { df_resid } => (
            bread * sigma2,
            Reference::StudentT {
                df: df_resid as f64,
            },
            "Classical standard errors: homoskedastic, independent errors.",
        ),
        ModelKind::Likelihood => (
            bread.clone(),
            Reference::Normal,
            "Standard errors from the inverse observed information (model-based).",
        ),
    };
    finish(
        matrix,
        info("iid", description.into(), None, &[], reference),
        bread.nrows(),
    )
}

fn vcov_hc<M: EstimatingEquations + ?Sized>(m: &M, t: HcType) -> Result<Covariance, SandwichError> {
    let label = Vcov::Hc(t).label();
    let meat = match t {
        HcType::Hc0 | HcType::Hc1 => meat_hc0(&m.estfun()),
        HcType::Hc2 | HcType::Hc3 => meat_hc_adjusted(&working(m, &label)?, m.bread(), t)?,
    };
    Ok(vcov_hc_from(m.bread(), &meat, t, m.nobs(), m.kind()))
}

/// An HC covariance from the bread and the meat Σ ψ̃ᵢψ̃ᵢᵀ (the scores adjusted for leverage for
/// HC2/HC3), with the factor and reference of [`vcov()`] with [`Vcov::Hc`]: for a model whose
/// meat was summed elsewhere (a query engine's aggregate, say).
///
/// # Examples
/// ```
/// use trialstats_sandwich::{HcType, ModelKind, vcov_hc_from};
/// # use trialstats_core::nalgebra::DMatrix;
/// let b = DMatrix::from_diagonal_element(1, 1, 0.5);
/// let meat = DMatrix::from_element(1, 1, 8.0);
/// // HC1 of a linear model with 12 rows and 1 coefficient: 12/11 · 0.5 · 8 · 0.5.
/// let v = vcov_hc_from(&b, &meat, HcType::Hc1, 12, ModelKind::Linear { df_resid: 11 });
/// assert!((v.matrix[(0, 0)] - 24.0 / 11.0).abs() < 1e-15);
/// ```
pub fn vcov_hc_from(
    bread: &DMatrix<f64>,
    meat: &DMatrix<f64>,
    t: HcType,
    nobs: usize,
    kind: ModelKind,
) -> Covariance {
    let label = Vcov::Hc(t).label();
    let factor = hc_factor(t, nobs, kind);
    let df = match kind {
        ModelKind::Linear { df_resid } => df_resid,
        ModelKind::Likelihood => 0,
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
    finish(
        sandwich(bread, meat, factor),
        info(&label, description, Some(factor), &[], reference(kind, df)),
        bread.nrows(),
    )
}

/// A one-way cluster-robust covariance of a single-index model from its per-cluster statistics
/// alone (X̃_gᵀX̃_g and the score sums X̃_gᵀẽ_g; see [`ClusterStatistics`]), with the factors,
/// adjustments and references of [`vcov()`] with [`Vcov::Cluster`]: for a model whose
/// statistics were summed elsewhere (a query engine's grouped aggregate, say). `clusters` has
/// one entry per cluster, in the order of the statistics' rows (its labels name a cluster in
/// messages); `nobs` is the number of observations.
///
/// # Errors
/// [`SandwichError::TooFewClusters`] if G < 2; [`SandwichError::LeverageOne`] where I − H_gg is
/// singular (CR2, CR3).
///
/// # Examples
/// ```
/// use std::borrow::Cow;
/// use trialstats_core::Clusters;
/// use trialstats_core::nalgebra::DMatrix;
/// use trialstats_sandwich::{ClusterStatistics, CrType, ModelKind, vcov_cluster_from};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // The mean of y = (1, 2, 3, 6) in clusters {1, 2} and {3, 6}: score sums −3 and 3.
/// let stats = ClusterStatistics {
///     xtx: Cow::Owned(vec![DMatrix::from_element(1, 1, 2.0); 2]),
///     scores: Cow::Owned(DMatrix::from_column_slice(2, 1, &[-3.0, 3.0])),
/// };
/// let b = DMatrix::from_element(1, 1, 0.25);
/// let g = Clusters::from_labels("g", &["a", "b"])?;
/// let v = vcov_cluster_from(&b, &stats, &g, CrType::Cr0, 4, ModelKind::Linear { df_resid: 3 })?;
/// assert!((v.matrix[(0, 0)] - 18.0 / 16.0).abs() < 1e-15);
/// # Ok(()) }
/// ```
pub fn vcov_cluster_from(
    bread: &DMatrix<f64>,
    stats: &ClusterStatistics<'_>,
    clusters: &Clusters,
    cr: CrType,
    nobs: usize,
    kind: ModelKind,
) -> Result<Covariance, SandwichError> {
    check_clusters(clusters, stats.scores.nrows())?;
    let (sums, df) = match cr {
        CrType::Cr0 | CrType::Cr1 => (stats.scores.clone().into_owned(), None),
        CrType::Cr2 | CrType::Cr3 { .. } => adjusted_sums(stats, bread, clusters, cr, true)?,
    };
    Ok(cluster_covariance(
        bread, &sums, df, clusters, cr, nobs, kind,
    ))
}

fn vcov_cluster<M: EstimatingEquations + ?Sized>(
    m: &M,
    clusters: &Clusters,
    cr: CrType,
) -> Result<Covariance, SandwichError> {
    let (n, kind) = (m.nobs(), m.kind());
    check_clusters(clusters, n)?;
    let (sums, df) = match cr {
        CrType::Cr0 | CrType::Cr1 => (cluster_scores(m, clusters)?, None),
        CrType::Cr2 | CrType::Cr3 { .. } => {
            let linear = matches!(kind, ModelKind::Linear { .. });
            let a = adjusted_cluster_scores(m, clusters, cr, linear)?;
            (a.sums, a.satterthwaite_df)
        }
    };
    Ok(cluster_covariance(
        m.bread(),
        &sums,
        df,
        clusters,
        cr,
        n,
        kind,
    ))
}

/// `c · B (Σ_g s_g s_gᵀ) B` for the (adjusted) cluster sums s_g, with its description and
/// reference (t(G − 1), or the Satterthwaite df per coefficient when given).
fn cluster_covariance(
    bread: &DMatrix<f64>,
    sums: &DMatrix<f64>,
    df: Option<Vec<f64>>,
    clusters: &Clusters,
    cr: CrType,
    n: usize,
    kind: ModelKind,
) -> Covariance {
    let (g, k) = (clusters.n_clusters(), bread.nrows());
    let factor = cluster_factor(cr, g, n, k, kind);
    let label = cr.label();
    let description = cluster_description(cr, clusters.name(), g, kind);
    let mut cov = finish(
        sandwich(bread, &meat_cluster(sums), factor),
        info(
            &label,
            description,
            Some(factor),
            &[clusters],
            reference(kind, g - 1),
        ),
        k,
    );
    if let Some(df) = df {
        cov.df = df.into_iter().map(Some).collect();
    }
    cov
}

fn vcov_two_way<M: EstimatingEquations + ?Sized>(
    m: &M,
    first: &Clusters,
    second: &Clusters,
    cr: CrType,
    intersection_hc0: bool,
) -> Result<Covariance, SandwichError> {
    let (n, k, kind) = (m.nobs(), m.n_params(), m.kind());
    let label = format!("{} (two-way)", cr.label());
    if !matches!(cr, CrType::Cr0 | CrType::Cr1) {
        return Err(SandwichError::NotAvailable {
            vcov: label,
            model: m.model_name().to_owned(),
            reason: "two-way clustering is implemented for CR0 and CR1".into(),
        });
    }
    check_clusters(first, n)?;
    check_clusters(second, n)?;
    let term = |c: &Clusters| -> Result<DMatrix<f64>, SandwichError> {
        let f = cluster_factor(cr, c.n_clusters(), n, k, kind);
        Ok(meat_cluster(&cluster_scores(m, c)?) * f)
    };
    // The intersection term: clustered by the A∩B cells with their own factor, or (R sandwich's
    // multi0 = TRUE) the observations' HC0 meat with no factor: each observation its own
    // cluster, whatever the cells hold.
    let intersection = if intersection_hc0 {
        meat_hc0_of(m)
    } else {
        term(&first.intersect(second)?)?
    };
    let meat = term(first)? + term(second)? - intersection;
    let gmin = first.n_clusters().min(second.n_clusters());
    let description = format!(
        "Standard errors clustered two-way by {} (G = {}) and {} (G = {}), V = V_A + V_B − V_AB (Cameron, Gelbach & Miller 2011), {}{}.",
        first.name(),
        first.n_clusters(),
        second.name(),
        second.n_clusters(),
        cr.label().to_uppercase(),
        if intersection_hc0 {
            "; intersection term the observations' HC0 meat (R sandwich multi0 = TRUE)"
        } else {
            ""
        }
    );
    Ok(finish(
        sandwich(m.bread(), &meat, 1.0),
        info(
            &label,
            description,
            None,
            &[first, second],
            reference(kind, gmin - 1),
        ),
        k,
    ))
}

/// Σᵢ ψᵢψᵢᵀ, from the score factors when the model has them (no n × k score matrix).
fn meat_hc0_of<M: EstimatingEquations + ?Sized>(m: &M) -> DMatrix<f64> {
    match m.score_factors() {
        Some((x, w)) => {
            let w2: Vec<f64> = w.iter().map(|v| v * v).collect();
            weighted_crossprod(x, &w2).unwrap_or_else(|_| meat_hc0(&m.estfun()))
        }
        None => meat_hc0(&m.estfun()),
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
    let matrix = (&matrix + matrix.transpose()) * 0.5;
    let df = vec![info.reference.df(); k];
    Covariance { matrix, info, df }
}

fn cluster_description(cr: CrType, name: &str, g: usize, kind: ModelKind) -> String {
    let what = match (cr, kind) {
        (CrType::Cr0, _) => "CR0, no small-sample factor",
        (CrType::Cr1, ModelKind::Linear { .. }) => {
            "CR1, factor G/(G−1)·(N−1)/(N−K) as Stata's regress"
        }
        (CrType::Cr1, ModelKind::Likelihood) => "CR1, factor G/(G−1) as Stata's ML commands",
        (CrType::Cr2, ModelKind::Linear { .. }) => {
            "CR2 (Bell–McCaffrey), t with Satterthwaite degrees of freedom per coefficient"
        }
        (CrType::Cr2, ModelKind::Likelihood) => {
            "CR2 (Bell–McCaffrey) on the working regression W^½X; clubSandwich's glm CR2 targets the working covariance instead and differs"
        }
        (CrType::Cr3 { jackknife: false }, _) => "CR3, residuals adjusted by (I − H_gg)⁻¹",
        (CrType::Cr3 { jackknife: true }, _) => {
            "CR3 with the (G−1)/G factor: the cluster jackknife"
        }
    };
    format!("Standard errors clustered by {name} (G = {g}), {what}.")
}

fn check_clusters(c: &Clusters, n: usize) -> Result<(), SandwichError> {
    c.check_covers(n, "observations")?;
    if c.n_clusters() < 2 {
        return Err(SandwichError::TooFewClusters {
            name: c.name().to_owned(),
            got: c.n_clusters(),
        });
    }
    Ok(())
}
