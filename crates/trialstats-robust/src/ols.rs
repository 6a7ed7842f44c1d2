//! Ordinary least squares: normal equations on well-conditioned designs, Householder QR
//! otherwise; with clusters, every cluster-robust covariance from one pass over the data.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};
use trialstats_core::linalg::{
    Centre, Qr, Spd, check_len, cluster_crossprods_with, condition_number, crossprod_with,
    equilibrate, extreme_eigenvalues, non_finite_error, residuals_and_cluster_scores, residuals_of,
    scale_symmetric, total_sum_of_squares, weighted_cluster_sums,
};
use trialstats_core::{Clusters, Inference, Level};

use crate::error::RobustError;
use trialstats_sandwich::{
    ClusterStatistics, Covariance, EstimatingEquations, ModelKind, SandwichError, Vcov,
    WorkingRegression, inference, vcov,
};

/// Condition number of X above which a fit carries a warning (the estimates may have lost more
/// than half their digits).
pub const CONDITION_WARNING: f64 = 1e8;

/// Largest condition number of the column-equilibrated design for which the normal equations
/// are used; above it, Householder QR.
pub const NORMAL_EQUATIONS_MAX_CONDITION: f64 = 1e3;

/// The relative column norm (after projecting out the earlier columns) below which a column is
/// aliased when R's tolerance (10⁻⁷, [`trialstats_core::linalg::QR_TOLERANCE`]) would alias it
/// but the design may still be estimable: about 500ε, where the projection's own rounding ends.
/// Between the two, the fit proceeds and notes that R's `lm` would report `NA`.
pub const FULL_RANK_TOLERANCE: f64 = 1e-13;

/// Average rows per cluster from which [`Ols::fit`] keeps the per-cluster statistics from its
/// one pass (below it, they are formed when a covariance needs them). At about 100 rows per
/// cluster the one pass saves CR3 a quarter at most and the wild bootstrap nothing, and it costs
/// CR1 2.5 to 3 times (measurements in [`OnePass`]).
pub const ONE_PASS_MIN_CLUSTER_ROWS: usize = 128;

/// How β̂ was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum LsMethod {
    /// Cholesky of the column-equilibrated XᵀX, formed in one BLAS-3 pass (well-conditioned X).
    NormalEquations,
    /// Householder QR of X (ill-conditioned or rank-deficient X).
    Householder,
}

/// An OLS specification: the design X (n × k, with the intercept column if wanted) and the
/// response y.
///
/// # Formula
/// ```text
/// β̂ = argmin ‖y − Xβ‖²
/// ```
/// When the column-equilibrated design has condition number κ ≤ 10³, β̂ solves the normal
/// equations by Cholesky (XᵀX formed in one BLAS-3 pass; error ≈ κ²ε ≤ 10⁻¹⁰); otherwise, and for
/// rank-deficient designs, β̂ = R⁻¹Qᵀy by Householder QR with R's aliasing rule (Golub & Van Loan
/// 2013, §5.3: the normal equations lose κ² where QR loses κ).
///
/// With [`Ols::clusters`], the fit reads X once, keeping per cluster the sufficient statistics
/// X_gᵀX_g, X_gᵀy_g and y_gᵀy_g: β̂, the score sums X_gᵀe_g = X_gᵀy_g − X_gᵀX_gβ̂ of CR0/CR1 and
/// the blocks of CR2/CR3 and of the wild bootstrap then cost O(Gk³), not another pass.
///
/// # Examples
/// ```
/// use trialstats_core::{Level, nalgebra::DMatrix};
/// use trialstats_robust::{Ols, Vcov};
/// let x = DMatrix::from_row_slice(5, 2, &[1.0, 1.0, 1.0, 2.0, 1.0, 3.0, 1.0, 4.0, 1.0, 5.0]);
/// let y = [1.1, 1.9, 3.2, 3.9, 5.1];
/// let fit = Ols::new(&x, &y).unwrap().names(&["(Intercept)", "x"]).unwrap().fit().unwrap();
/// assert!((fit.coefficients()[1] - 1.0).abs() < 1e-12);
/// let inf = fit.infer(&Vcov::Iid, Level::P95).unwrap();
/// assert_eq!(inf.coefficients[1].df, Some(3.0));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Ols<'a> {
    x: &'a DMatrix<f64>,
    y: &'a [f64],
    /// Shared with the fit (no copy per fit); the defaults are made by [`Ols::fit`] when none
    /// were given.
    names: Option<Arc<[String]>>,
    clusters: Option<&'a Clusters>,
    one_pass: OnePass,
}

/// Whether [`Ols::fit`] forms the per-cluster statistics of its clusters in its one pass.
///
/// The one pass gathers the rows by cluster through a cached block (128 rows per cluster on
/// average), which costs more than reading the data; in exchange CR2, CR3 and the wild bootstrap
/// need no further pass. For CR0/CR1 alone with many clusters, the global cross-products and a
/// score pass are faster. Fit and covariance, `Always → Never`, measured on one machine (medians
/// of 9 calls, the two choices alternating in one process):
///
/// | N × columns, G (rows per cluster) | CR1 | CR3 | wild bootstrap, B = 9999 |
/// |---|---|---|---|
/// | 1e6 × 21, 24 (41 667) | 31.7 → 47.5 ms | 32.9 → 98.8 ms | 32.8 → 80.3 ms |
/// | 1e6 × 6, 24 (41 667) | 15.9 → 15.9 ms | 16.6 → 31.7 ms | 17.8 → 30.5 ms |
/// | 5e5 × 21, 1000 (500) | 81.5 → 39.0 ms | 79.5 → 134.7 ms | 182 → 222 ms |
/// | 2.5e5 × 21, 1000 (250) | 39.1 → 16.3 ms | 40.9 → 57.3 ms | 130 → 139 ms |
/// | 1e5 × 21, 1000 (100) | 18.1 → 6.3 ms | 20.5 → 21.9 ms | 122 → 125 ms |
///
/// In the peer harness (`benches/peers.rs`, two builds alternating, 4 rounds of 10 calls), at
/// 1e5 rows and G = 1000: CR1 9.5 → 3.9 ms and CR3 12.3 → 13.8 ms with 21 columns; CR1 2.2 →
/// 0.9 ms and CR3 2.7 → 3.4 ms with 6.
///
/// So [`OnePass::Auto`] keeps the one pass from [`ONE_PASS_MIN_CLUSTER_ROWS`] rows per cluster,
/// where it pays for CR3 and the bootstrap, and a caller who needs only CR0/CR1 with many
/// clusters can choose [`OnePass::Never`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OnePass {
    /// When the clusters average at least [`ONE_PASS_MIN_CLUSTER_ROWS`] rows.
    #[default]
    Auto,
    /// Always: then CR2, CR3 and the wild bootstrap need no further pass over the data.
    Always,
    /// Never: the global cross-products only (CR2, CR3 and the bootstrap form the per-cluster
    /// statistics when asked).
    Never,
}

impl<'a> Ols<'a> {
    /// A specification; checks the shapes. Values are checked by [`Ols::fit`] during its one
    /// pass over the data.
    ///
    /// # Errors
    /// [`trialstats_core::InputError::Length`] if `y` does not have one value per row of `x`.
    pub fn new(x: &'a DMatrix<f64>, y: &'a [f64]) -> Result<Self, RobustError> {
        check_len("y", y.len(), "X", x.nrows())?;
        Ok(Self {
            x,
            y,
            names: None,
            clusters: None,
            one_pass: OnePass::Auto,
        })
    }

    /// Names the coefficients (default `x1`, `x2`, …).
    ///
    /// # Errors
    /// [`trialstats_core::InputError::Length`] if there is not one name per column of X.
    pub fn names<S: AsRef<str>>(mut self, names: &[S]) -> Result<Self, RobustError> {
        self.names = Some(trialstats_core::linalg::column_names(names, self.x)?.into());
        Ok(self)
    }

    /// Overrides the choice of [`Ols::clusters`] between the one pass with per-cluster statistics
    /// and the global cross-products (the estimates and every covariance are the same either
    /// way, to rounding).
    pub fn one_pass(mut self, how: OnePass) -> Self {
        self.one_pass = how;
        self
    }

    /// The coefficient names: given, or `x1`, `x2`, ….
    fn names_or_default(&self) -> Arc<[String]> {
        match &self.names {
            Some(n) => Arc::clone(n),
            None => (1..=self.x.ncols()).map(|j| format!("x{j}")).collect(),
        }
    }

    /// Keeps the per-cluster sufficient statistics for `clusters` (see the type's docs), so that
    /// every cluster-robust covariance and the wild bootstrap for these clusters cost no further
    /// pass over the data. When the clusters average fewer than [`ONE_PASS_MIN_CLUSTER_ROWS`]
    /// rows, the fit keeps only the global cross-products (the per-cluster products would cost
    /// more than they save; see [`OnePass`]) and a covariance forms what it needs in one more
    /// pass; [`Ols::one_pass`] overrides the choice.
    ///
    /// # Errors
    /// [`trialstats_core::InputError::Length`] if `clusters` does not have one entry per row.
    pub fn clusters(mut self, clusters: &'a Clusters) -> Result<Self, RobustError> {
        clusters.check_covers(self.x.nrows(), "X")?;
        self.clusters = Some(clusters);
        Ok(self)
    }

    /// Fits by the normal equations or Householder QR (see the type's documentation).
    ///
    /// # Errors
    /// [`RobustError::TooFewObservations`] if n ≤ k; [`trialstats_core::InputError::NonFinite`] naming the first
    /// NaN or infinite value of `y` or `x` (or [`trialstats_core::InputError::OutOfRange`] if values are so large
    /// that their squares overflow); [`trialstats_core::LinalgError::Aliased`] naming the aliased
    /// columns of a rank-deficient design (R's tolerance 1e−7).
    pub fn fit(&self) -> Result<OlsFit<'a>, RobustError> {
        let (n, k) = self.x.shape();
        if n <= k {
            return Err(RobustError::TooFewObservations { nobs: n, k });
        }
        // A constant outcome: every residual is zero, so is every standard error, and the t
        // statistics are rounding noise (R warns "essentially perfect fit"). Refused; a NaN is
        // left to the finiteness check below.
        if let Some(&first) = self.y.first() {
            if first.is_finite() && self.y.iter().all(|v| v.to_bits() == first.to_bits()) {
                return Err(RobustError::ConstantResponse { value: first, n });
            }
        }
        // One pass: either the per-cluster augmented cross-products or the global ones.
        // With clusters of at least ONE_PASS_MIN_CLUSTER_ROWS rows on average (or as the caller
        // chose), the per-cluster statistics come from the fit's one pass; with smaller clusters
        // CR0/CR1 are cheaper from the global cross-products and the score sums of a residual
        // pass, and CR2/CR3 and the bootstrap cost about the same either way (they form the
        // blocks when asked; CR3 up to a quarter more at 100 rows per cluster).
        let per_cluster = match self.clusters {
            Some(c) if self.use_one_pass(c) => {
                Some(cluster_crossprods_with(self.x, Some(self.y), None, c)?)
            }
            _ => None,
        };
        let (xtx, xty) = match &per_cluster {
            Some(blocks) => {
                let mut a = DMatrix::zeros(k + 1, k + 1);
                for b in blocks {
                    a += b;
                }
                (
                    a.view((0, 0), (k, k)).into_owned(),
                    a.view((0, k), (k, 1)).column(0).into_owned(),
                )
            }
            None => crossprod_with(self.x, self.y)?,
        };
        // The residuals, known now after a QR fit (refined), else computed on first use.
        let mut residuals = OnceLock::new();
        let mut r_aliased = Vec::new();
        // A NaN or an infinity anywhere in X or y reaches a diagonal entry of XᵀX or Xᵀy.
        if !(xtx.diagonal().iter().all(|v| v.is_finite()) && xty.iter().all(|v| v.is_finite())) {
            return Err(non_finite_error("y", self.y, self.x).into());
        }
        let (coefficients, bread, condition, column_scale, method) =
            match normal_equations(&xtx, &xty)? {
                Some((mut ne, kappa1)) => {
                    // Refine where a coefficient may have fewer than ~12 correct digits: the
                    // normal equations' error is about κ₁(A)ε relative to the largest scaled
                    // coefficient |β_j|/d_j, so a coefficient far smaller than the largest
                    // (Pontius's intercept) keeps fewer. Refinement costs one pass in
                    // double-double; ordinary designs never need it.
                    let scaled = ne.0.iter().zip(&ne.3).map(|(b, d)| (b / d).abs());
                    let (small, large) = scaled.fold((f64::INFINITY, 0.0f64), |(lo, hi), z| {
                        (lo.min(z), hi.max(z))
                    });
                    if kappa1 * f64::EPSILON * large > REFINE_BELOW * small {
                        let (beta, e, rss) = refine_normal_equations(self.x, self.y, ne.0, &ne.1);
                        ne.0 = beta;
                        residuals = OnceLock::from((e, rss));
                    }
                    ne
                }
                None => {
                    let (solution, refined, aliased) = self.householder()?;
                    residuals = OnceLock::from(refined);
                    r_aliased = aliased;
                    solution
                }
            };
        // Score sums from the sufficient statistics are accurate when the normal equations were
        // (κ ≤ 10³); after a QR fit they are left to the residual pass.
        let cluster_stats = match (self.clusters, per_cluster) {
            (Some(c), Some(blocks)) if method == LsMethod::NormalEquations => {
                let g = blocks.len();
                let mut scores = DMatrix::zeros(g, k);
                let mut xtx_g = Vec::with_capacity(g);
                for (gi, b) in blocks.into_iter().enumerate() {
                    // s_g = X_gᵀy_g − X_gᵀX_g β̂, then the block without its y row and column
                    // (moved in place, not copied element by element).
                    let s =
                        b.view((0, k), (k, 1)).column(0) - b.view((0, 0), (k, k)) * &coefficients;
                    scores.row_mut(gi).copy_from(&s.transpose());
                    xtx_g.push(b.remove_column(k).remove_row(k));
                }
                Some(CachedClusters {
                    clusters: Cow::Borrowed(c),
                    xtx: xtx_g,
                    scores,
                })
            }
            _ => None,
        };
        Ok(OlsFit {
            names: self.names_or_default(),
            coefficients,
            x: Cow::Borrowed(self.x),
            y: Cow::Borrowed(self.y),
            bread,
            centring: OnceLock::new(),
            condition: condition.map(OnceLock::from).unwrap_or_default(),
            column_scale,
            method,
            residuals,
            cluster_stats,
            r_aliased,
        })
    }

    /// Whether the fit forms the per-cluster statistics of `c` (see [`Ols::clusters`]).
    fn use_one_pass(&self, c: &Clusters) -> bool {
        let n = self.x.nrows();
        match self.one_pass {
            OnePass::Always => true,
            OnePass::Never => false,
            OnePass::Auto => n >= ONE_PASS_MIN_CLUSTER_ROWS * c.n_clusters(),
        }
    }

    /// β̂ by Householder QR with R's aliasing rule, refined to full precision
    /// ([`Qr::refined_least_squares`]); also its residuals and their sum of squares.
    fn householder(&self) -> Result<QrSolution, RobustError> {
        let k = self.x.ncols();
        let names = self.names_or_default();
        let mut qr = Qr::new(self.x)?;
        let mut r_aliased = Vec::new();
        if qr.rank() < k {
            // R's tolerance (10⁻⁷) is a convention, not the limit of what can be estimated: a
            // design full rank at 10⁻¹³ (Filip's degree-10 polynomial) is fitted, with the
            // refinement below, and the fit says which columns R's lm would drop.
            let tight = Qr::with_tolerance(self.x, FULL_RANK_TOLERANCE)?;
            if tight.rank() == k {
                r_aliased = qr.aliased().into_iter().map(|j| names[j].clone()).collect();
                qr = tight;
            }
        }
        qr.require_full_rank(&names)?;
        // κ of the column-equilibrated R (= that of the equilibrated X): QR's accuracy does not
        // depend on the columns' scales, and this stays finite where the unscaled one overflows.
        let mut r = qr.r();
        for mut c in r.column_iter_mut() {
            let norm = c.norm();
            if norm > 0.0 {
                c /= norm;
            }
        }
        let ls = qr.refined_least_squares(self.x, &DVector::from_column_slice(self.y))?;
        let beta = DVector::from_iterator(k, ls.coefficients.iter().map(|b| b.unwrap_or(0.0)));
        Ok((
            (
                beta,
                qr.xtx_inverse(),
                Some(condition_number(&r)),
                Vec::new(),
                LsMethod::Householder,
            ),
            (ls.residuals, ls.rss),
            r_aliased,
        ))
    }
}

/// A QR fit: its [`Solution`], the refined residuals and their sum of squares, and the columns
/// R's `lm` would alias.
type QrSolution = (Solution, (DVector<f64>, f64), Vec<String>);

/// β̂, (XᵀX)⁻¹, κ(X) (when already known), the column scale of the equilibration (empty for QR)
/// and the method.
type Solution = (DVector<f64>, DMatrix<f64>, Option<f64>, Vec<f64>, LsMethod);

/// β̂ from the equilibrated normal equations when X is well conditioned (κ(X) ≤ 10³, so that the
/// error, about κ(X)²·ε, stays below 10⁻¹⁰); `None` otherwise.
///
/// The condition is certified cheaply: with A the equilibrated XᵀX, the 1-norm condition number
/// ‖A‖₁‖A⁻¹‖₁ bounds the 2-norm one from above (for symmetric A, ‖·‖₂ ≤ ‖·‖₁), and A⁻¹ is needed
/// for the bread anyway. Only when the bound exceeds 10⁶ (it can overstate κ₂(A) by a factor k)
/// are the extreme eigenvalues computed to decide. κ(X) itself is left to
/// [`OlsFit::condition_number`], on request.
fn normal_equations(
    xtx: &DMatrix<f64>,
    xty: &DVector<f64>,
) -> Result<Option<(Solution, f64)>, RobustError> {
    let Some((a, d)) = equilibrate(xtx) else {
        return Ok(None);
    };
    let limit = NORMAL_EQUATIONS_MAX_CONDITION * NORMAL_EQUATIONS_MAX_CONDITION;
    let norm_a = one_norm(&a);
    let Ok(spd) = Spd::new(a.clone(), "scaled X'X") else {
        return Ok(None);
    };
    let ainv = spd.inverse();
    if ainv.iter().any(|v| !v.is_finite()) {
        return Ok(None);
    }
    let mut kappa = None;
    let kappa1 = norm_a * one_norm(&ainv);
    if kappa1 > limit {
        let Some((lmin, lmax)) = extreme_eigenvalues(&a) else {
            return Ok(None);
        };
        if !(lmin > 0.0 && lmax / lmin <= limit) {
            return Ok(None);
        }
        kappa = Some((lmax / lmin).sqrt());
    }
    let bread = scale_symmetric(&ainv, &d)?;
    let beta = &bread * xty;
    Ok(Some((
        (beta, bread, kappa, d, LsMethod::NormalEquations),
        kappa1,
    )))
}

/// The relative accuracy below which a normal-equations solution is refined (see [`Ols::fit`]).
const REFINE_BELOW: f64 = 1e-12;

/// Iterative refinement of β̂ on the normal equations: β ← β + (XᵀX)⁻¹Xᵀ(y − Xβ) with the
/// residuals and Xᵀr in double-double, until the correction is below β's rounding (at most
/// three steps; each gains about −log₁₀(κ₁ε) digits). Returns β, the residuals and their sum of
/// squares.
///
/// # References
/// Higham (2002), *Accuracy and Stability of Numerical Algorithms*, 2nd ed., §20.5 (refinement
/// of least-squares solutions with extended-precision residuals).
fn refine_normal_equations(
    x: &DMatrix<f64>,
    y: &[f64],
    mut beta: DVector<f64>,
    bread: &DMatrix<f64>,
) -> (DVector<f64>, DVector<f64>, f64) {
    use trialstats_core::compensated::{Dd, dot2};
    let n = x.nrows();
    let mut e = DVector::zeros(n);
    for _ in 0..3 {
        let mut acc: Vec<Dd> = y
            .iter()
            .map(|&v| {
                let mut d = Dd::ZERO;
                d.accumulate(v);
                d
            })
            .collect();
        for (col, &b) in x.column_iter().zip(beta.iter()) {
            for (a, &xij) in acc.iter_mut().zip(col.iter()) {
                a.accumulate_product(-xij, b);
            }
        }
        for (ei, a) in e.iter_mut().zip(acc) {
            *ei = a.value();
        }
        let g = DVector::from_iterator(
            x.ncols(),
            x.column_iter().map(|c| dot2(c.as_slice(), e.as_slice())),
        );
        let delta = bread * g;
        let big = beta.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        beta += &delta;
        if delta.iter().all(|d| d.abs() <= 2.0 * f64::EPSILON * big) {
            break;
        }
    }
    let mut rss = Dd::ZERO;
    for &v in e.iter() {
        rss.accumulate_product(v, v);
    }
    (beta, e, rss.value())
}

/// The maximum absolute column sum.
fn one_norm(a: &DMatrix<f64>) -> f64 {
    let k = a.nrows().max(1);
    a.as_slice()
        .chunks_exact(k)
        .map(|c| c.iter().map(|v| v.abs()).sum::<f64>())
        .fold(0.0, f64::max)
}

/// Per-cluster statistics kept by a fit made with [`Ols::clusters`].
#[derive(Debug, Clone, PartialEq)]
struct CachedClusters<'a> {
    clusters: Cow<'a, Clusters>,
    xtx: Vec<DMatrix<f64>>,
    scores: DMatrix<f64>,
}

/// A fitted OLS model. It borrows the data it was fitted on (no copy); see
/// [`OlsFit::into_owned`]. Residuals are computed on first use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OlsFit<'a> {
    names: Arc<[String]>,
    coefficients: DVector<f64>,
    x: Cow<'a, DMatrix<f64>>,
    y: Cow<'a, [f64]>,
    bread: DMatrix<f64>,
    /// Whether X has a column of ones, and the total sum of squares, computed on first use (not
    /// serialised: they follow from X and y).
    #[serde(skip)]
    centring: OnceLock<(bool, f64)>,
    /// κ(X), computed on first use on the normal-equations path (see
    /// [`OlsFit::condition_number`]); not serialised.
    #[serde(skip)]
    condition: OnceLock<f64>,
    /// D of the equilibration D XᵀX D on the normal-equations path (empty after QR).
    column_scale: Vec<f64>,
    method: LsMethod,
    /// e and eᵀe, computed on first use (not serialised: they follow from X, y and β̂).
    #[serde(skip)]
    residuals: OnceLock<(DVector<f64>, f64)>,
    /// Per-cluster statistics for the clusters given to [`Ols::clusters`] (a cache).
    #[serde(skip)]
    cluster_stats: Option<CachedClusters<'a>>,
    /// Columns R's `lm` would alias (tolerance 10⁻⁷) in a design that is full rank at
    /// [`FULL_RANK_TOLERANCE`], and was fitted.
    #[serde(default)]
    r_aliased: Vec<String>,
}

impl OlsFit<'_> {
    /// The fit with its own copy of the data, independent of the caller's.
    pub fn into_owned(self) -> OlsFit<'static> {
        OlsFit {
            names: self.names,
            coefficients: self.coefficients,
            x: Cow::Owned(self.x.into_owned()),
            y: Cow::Owned(self.y.into_owned()),
            bread: self.bread,
            centring: self.centring,
            condition: self.condition,
            column_scale: self.column_scale,
            method: self.method,
            residuals: self.residuals,
            cluster_stats: self.cluster_stats.map(|c| CachedClusters {
                clusters: Cow::Owned(c.clusters.into_owned()),
                xtx: c.xtx,
                scores: c.scores,
            }),
            r_aliased: self.r_aliased,
        }
    }
    /// How β̂ was computed.
    pub fn method(&self) -> LsMethod {
        self.method
    }
    /// β̂, in the order of the design's columns.
    pub fn coefficients(&self) -> &DVector<f64> {
        &self.coefficients
    }
    /// Coefficient names.
    pub fn names(&self) -> &[String] {
        &self.names
    }
    /// The design X.
    pub fn design(&self) -> &DMatrix<f64> {
        &self.x
    }
    /// The response y.
    pub fn response(&self) -> &[f64] {
        &self.y
    }
    fn resid(&self) -> &(DVector<f64>, f64) {
        self.residuals
            .get_or_init(|| residuals_of(&self.x, &self.y, &self.coefficients))
    }
    /// Residuals e = y − Xβ̂ (one pass over X on first use).
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::nalgebra::DMatrix;
    /// use trialstats_robust::Ols;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // 6 sites of 3 participants, arms alternating by site (R: site <- rep(1:6, each = 3);
    /// // arm <- rep(c(0, 1, 0, 1, 0, 1), each = 3); fit <- lm(y ~ arm + base)).
    /// let base = [6.4, 7.0, 5.5, 5.6, 8.2, 6.1, 8.3, 7.6, 7.0, 6.0, 6.2, 6.7, 5.5, 6.7, 5.9, 7.0, 6.8, 7.9];
    /// let y = [6.3, 6.7, 5.6, 4.8, 6.9, 5.1, 7.2, 6.7, 7.0, 5.0, 5.4, 6.3, 5.6, 7.2, 5.8, 6.3, 5.6, 7.0];
    /// let x = DMatrix::from_fn(18, 3, |i, j| [1.0, ((i / 3) % 2) as f64, base[i]][j]);
    /// let fit = Ols::new(&x, &y)?.names(&["(Intercept)", "arm", "base"])?.fit()?;
    /// let e = fit.residuals();
    /// // R: residuals(fit)[1:3] = 0.033011583011583481, -0.0097112640590901328, -0.0029041463824076496
    /// assert!((e[0] - 0.033011583011583481).abs() < 1e-12);
    /// assert!((e[1] + 0.0097112640590901328).abs() < 1e-12);
    /// assert!((e[2] + 0.0029041463824076496).abs() < 1e-12);
    /// // R: sum(residuals(fit)^2) = 1.7104137988920594
    /// assert!((fit.rss() - 1.7104137988920594).abs() < 1e-12);
    /// # Ok(()) }
    /// ```
    pub fn residuals(&self) -> &DVector<f64> {
        &self.resid().0
    }
    /// Residual sum of squares eᵀe.
    pub fn rss(&self) -> f64 {
        self.resid().1
    }
    /// Residual degrees of freedom N − K.
    pub fn df_resid(&self) -> usize {
        self.x.nrows() - self.x.ncols()
    }
    /// σ̂² = RSS/(N − K).
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::nalgebra::DMatrix;
    /// use trialstats_robust::Ols;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // `fit`: lm(y ~ arm + base) on the 18 rows of the example of [`OlsFit::residuals`].
    /// # // 6 sites of 3 participants, arms alternating by site (R: site <- rep(1:6, each = 3);
    /// # // arm <- rep(c(0, 1, 0, 1, 0, 1), each = 3); fit <- lm(y ~ arm + base)).
    /// # let base = [6.4, 7.0, 5.5, 5.6, 8.2, 6.1, 8.3, 7.6, 7.0, 6.0, 6.2, 6.7, 5.5, 6.7, 5.9, 7.0, 6.8, 7.9];
    /// # let y = [6.3, 6.7, 5.6, 4.8, 6.9, 5.1, 7.2, 6.7, 7.0, 5.0, 5.4, 6.3, 5.6, 7.2, 5.8, 6.3, 5.6, 7.0];
    /// # let x = DMatrix::from_fn(18, 3, |i, j| [1.0, ((i / 3) % 2) as f64, base[i]][j]);
    /// # let fit = Ols::new(&x, &y)?.names(&["(Intercept)", "arm", "base"])?.fit()?;
    /// // R: summary(fit)$sigma^2 = 0.11402758659280396, on 18 − 3 = 15 df
    /// assert!((fit.sigma2() - 0.11402758659280396).abs() < 1e-13);
    /// assert_eq!(fit.df_resid(), 15);
    /// # Ok(()) }
    /// ```
    pub fn sigma2(&self) -> f64 {
        self.rss() / self.df_resid() as f64
    }
    /// Whether X has a column of ones and the TSS, computed on first use (a pass over y, and
    /// over X until each column shows a value other than 1).
    fn centring(&self) -> (bool, f64) {
        *self.centring.get_or_init(|| {
            let has_intercept = self
                .x
                .column_iter()
                .any(|c| c.iter().all(|v| (v - 1.0).abs() == 0.0));
            (
                has_intercept,
                total_sum_of_squares(
                    &self.y,
                    if has_intercept {
                        Centre::Mean
                    } else {
                        Centre::Zero
                    },
                ),
            )
        })
    }
    /// R² = 1 − RSS/TSS (TSS about the mean when X has a column of ones, about 0 otherwise, as R).
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::nalgebra::DMatrix;
    /// use trialstats_robust::Ols;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // `fit`: lm(y ~ arm + base) on the 18 rows of the example of [`OlsFit::residuals`].
    /// # // 6 sites of 3 participants, arms alternating by site (R: site <- rep(1:6, each = 3);
    /// # // arm <- rep(c(0, 1, 0, 1, 0, 1), each = 3); fit <- lm(y ~ arm + base)).
    /// # let base = [6.4, 7.0, 5.5, 5.6, 8.2, 6.1, 8.3, 7.6, 7.0, 6.0, 6.2, 6.7, 5.5, 6.7, 5.9, 7.0, 6.8, 7.9];
    /// # let y = [6.3, 6.7, 5.6, 4.8, 6.9, 5.1, 7.2, 6.7, 7.0, 5.0, 5.4, 6.3, 5.6, 7.2, 5.8, 6.3, 5.6, 7.0];
    /// # let x = DMatrix::from_fn(18, 3, |i, j| [1.0, ((i / 3) % 2) as f64, base[i]][j]);
    /// # let fit = Ols::new(&x, &y)?.names(&["(Intercept)", "arm", "base"])?.fit()?;
    /// // R: summary(fit)$r.squared = 0.84048780695271208
    /// assert!((fit.r_squared() - 0.84048780695271208).abs() < 1e-13);
    /// assert!(fit.has_intercept());
    /// # Ok(()) }
    /// ```
    pub fn r_squared(&self) -> f64 {
        1.0 - self.rss() / self.centring().1
    }
    /// Whether X has a column of ones.
    pub fn has_intercept(&self) -> bool {
        self.centring().0
    }
    /// 2-norm condition number of X (of the column-equilibrated X on the normal-equations path).
    ///
    /// After QR it is that of R, from the fit. On the normal-equations path it is computed on the
    /// first call, as the square root of the ratio of the extreme eigenvalues of A⁻¹ = D⁻¹(XᵀX)⁻¹D⁻¹
    /// (A the equilibrated XᵀX; κ(A⁻¹) = κ(A)), so that fits which never ask do not pay for it.
    pub fn condition_number(&self) -> f64 {
        *self.condition.get_or_init(|| {
            let k = self.bread.nrows();
            let scale = |i: usize| self.column_scale.get(i).map_or(1.0, |d| 1.0 / d);
            let ainv = DMatrix::from_fn(k, k, |i, j| self.bread[(i, j)] * scale(i) * scale(j));
            match extreme_eigenvalues(&ainv) {
                Some((lmin, lmax)) if lmin > 0.0 => (lmax / lmin).sqrt(),
                _ => f64::INFINITY,
            }
        })
    }

    /// The covariance of β̂ (see [`vcov()`]).
    ///
    /// # Errors
    /// As [`vcov()`].
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::{Clusters, nalgebra::DMatrix};
    /// use trialstats_robust::{Ols, Vcov};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // `fit`: lm(y ~ arm + base) on the 18 rows of the example of [`OlsFit::residuals`].
    /// # // 6 sites of 3 participants, arms alternating by site (R: site <- rep(1:6, each = 3);
    /// # // arm <- rep(c(0, 1, 0, 1, 0, 1), each = 3); fit <- lm(y ~ arm + base)).
    /// # let base = [6.4, 7.0, 5.5, 5.6, 8.2, 6.1, 8.3, 7.6, 7.0, 6.0, 6.2, 6.7, 5.5, 6.7, 5.9, 7.0, 6.8, 7.9];
    /// # let y = [6.3, 6.7, 5.6, 4.8, 6.9, 5.1, 7.2, 6.7, 7.0, 5.0, 5.4, 6.3, 5.6, 7.2, 5.8, 6.3, 5.6, 7.0];
    /// # let x = DMatrix::from_fn(18, 3, |i, j| [1.0, ((i / 3) % 2) as f64, base[i]][j]);
    /// # let fit = Ols::new(&x, &y)?.names(&["(Intercept)", "arm", "base"])?.fit()?;
    /// let site = Clusters::from_labels("site", &(0..18).map(|i| i / 3).collect::<Vec<_>>())?;
    /// let cr1 = fit.vcov(&Vcov::cr1(site.clone()))?;
    /// // R: sandwich::vcovCL(fit, cluster = ~site, type = "HC1")[2, 2] = 0.019890134818726798
    /// assert!((cr1.matrix[(1, 1)] - 0.019890134818726798).abs() < 1e-13);
    /// let cr2 = fit.vcov(&Vcov::cr2(site))?;
    /// // R: clubSandwich::coef_test(fit, vcov = "CR2", cluster = site): arm's SE 0.17163448012121138
    /// // on 3.8769564843768434 Satterthwaite df
    /// assert!((cr2.matrix[(1, 1)].sqrt() - 0.17163448012121138).abs() < 1e-12);
    /// assert!((cr2.df[1].ok_or("no df")? - 3.8769564843768434).abs() < 1e-8);
    /// # Ok(()) }
    /// ```
    pub fn vcov(&self, how: &Vcov) -> Result<Covariance, RobustError> {
        Ok(vcov(self, how)?)
    }

    /// Wald tests and `level` confidence intervals for every coefficient under covariance `how`
    /// (see [`trialstats_sandwich::inference()`]), with a note when X is ill-conditioned.
    ///
    /// # Errors
    /// As [`vcov()`]; [`trialstats_core::InputError::OutOfRange`] for a zero SE.
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::Level;
    /// use trialstats_data::{Formula, FrameOptions, ModelFrame, datasets};
    /// use trialstats_robust::{Ols, Vcov};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // Petersen's panel: OLS y ~ x with CR1 standard errors by firm (500 clusters).
    /// let d = datasets::petersen()?;
    /// let opts = FrameOptions { clusters: vec!["firm".into()], ..FrameOptions::default() };
    /// let mf = ModelFrame::new(&d, &Formula::parse("y ~ x")?, &opts)?;
    /// let fit = Ols::new(&mf.x, mf.y()?)?.names(&mf.column_names)?.fit()?;
    /// let b = fit.infer(&Vcov::cr1(mf.clusters[0].clone()), Level::P95)?.coefficients[1].clone();
    /// // R: m <- lm(y ~ x, sandwich::PetersenCL); vcovCL(m, cluster = ~firm, type = "HC1"):
    /// // estimate 1.0348334394616967, SE 0.050595725884029649; t on G − 1 = 499 df:
    /// // coef(m)[2] + c(-1, 1) * qt(0.975, 499) * SE = 0.9354265297589871, 1.1342403491644064
    /// assert!((b.estimate - 1.0348334394616967).abs() < 1e-12 && b.df == Some(499.0));
    /// assert!((b.std_error - 0.050595725884029649).abs() < 1e-12);
    /// assert!((b.ci_low - 0.9354265297589871).abs() < 1e-11 && (b.ci_high - 1.1342403491644064).abs() < 1e-11);
    /// # Ok(()) }
    /// ```
    pub fn infer(&self, how: &Vcov, level: Level) -> Result<Inference, RobustError> {
        let mut inf = inference(self, how, level)?;
        if let Some(note) = self.perfect_fit_note() {
            inf.notes.push(note);
        }
        if !self.r_aliased.is_empty() {
            inf.notes.push(format!(
                "R's lm would report NA for {} (its collinearity tolerance is 1e-7); the design has full rank in double precision, so every coefficient is estimated (condition number {:.3e}, with iterative refinement).",
                self.r_aliased.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "),
                self.condition_number()
            ));
        }
        // The normal equations are only used for κ ≤ 10³, far below the warning's threshold.
        if self.method == LsMethod::Householder && self.condition_number() > CONDITION_WARNING {
            inf.notes.push(format!(
                "The condition number of X is {:.3e}: the design is ill-conditioned and the estimates may have lost digits.",
                self.condition_number()
            ));
        }
        Ok(inf)
    }

    /// R's warning "essentially perfect fit: summary may be unreliable" (`summary.lm`): the
    /// residual variance is below 10⁻³⁰ (mean(ŷ)² + var(ŷ)). Checked when the residuals are
    /// known (iid and HC covariances compute them; the one-pass cluster covariances need not).
    fn perfect_fit_note(&self) -> Option<String> {
        let (e, rss) = self.residuals.get()?;
        let n = self.y.len() as f64;
        let mean = sum_fitted(&self.y, e.as_slice(), |f| f) / n;
        let var = sum_fitted(&self.y, e.as_slice(), |f| (f - mean) * (f - mean)) / (n - 1.0);
        let resvar = rss / self.df_resid() as f64;
        (resvar < (mean * mean + var) * 1e-30).then(|| {
            "Essentially perfect fit: the residuals are zero to rounding, so the standard errors and tests are unreliable (as R's summary.lm warns).".to_owned()
        })
    }

    /// The per-cluster statistics X_gᵀX_g and X_gᵀe_g for `clusters`: kept from the fit when it
    /// was made with these clusters, otherwise computed in one pass.
    ///
    /// # Errors
    /// [`trialstats_core::InputError::Length`] if `clusters` does not cover the rows.
    pub fn cluster_statistics(
        &self,
        clusters: &Clusters,
    ) -> Result<ClusterStatistics<'_>, RobustError> {
        if let Some(c) = self.cached(clusters) {
            return Ok(c);
        }
        clusters.check_covers(self.x.nrows(), "observations")?;
        let blocks = cluster_crossprods_with(&self.x, None, None, clusters)?;
        Ok(ClusterStatistics {
            xtx: Cow::Owned(blocks),
            scores: Cow::Owned(self.score_sums(clusters)?),
        })
    }

    /// The cluster score sums `s_g = Σ_{i∈g} xᵢeᵢ` (G × k). When the residuals are not yet known
    /// they are formed on the way, in the same pass over X (and kept); the sums are the same
    /// bits either way.
    fn score_sums(&self, clusters: &Clusters) -> Result<DMatrix<f64>, SandwichError> {
        if let Some((e, _)) = self.residuals.get() {
            return Ok(weighted_cluster_sums(&self.x, e.as_slice(), clusters)?);
        }
        let (e, rss, sums) =
            residuals_and_cluster_scores(&self.x, &self.y, &self.coefficients, clusters)?;
        // Set here unless another thread got there first (with the same values).
        let _ = self.residuals.set((e, rss));
        Ok(sums)
    }

    fn cached(&self, clusters: &Clusters) -> Option<ClusterStatistics<'_>> {
        match &self.cluster_stats {
            Some(c)
                if std::ptr::eq(c.clusters.as_ref(), clusters)
                    || c.clusters.as_ref() == clusters =>
            {
                Some(ClusterStatistics {
                    xtx: Cow::Borrowed(&c.xtx),
                    scores: Cow::Borrowed(&c.scores),
                })
            }
            _ => None,
        }
    }
}

/// `Σᵢ f(yᵢ − eᵢ)`, the fitted values' sum of `f`, in eight sums side by side: for a threshold
/// check, not a reported value, so the order of the additions does not matter, and one running
/// sum would wait on each addition.
fn sum_fitted(y: &[f64], e: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    let mut acc = [0.0; 8];
    let (y8, e8) = (y.chunks_exact(8), e.chunks_exact(8));
    let tail: f64 = y8
        .remainder()
        .iter()
        .zip(e8.remainder())
        .map(|(y, e)| f(y - e))
        .sum();
    for (yc, ec) in y8.zip(e8) {
        for l in 0..8 {
            acc[l] += f(yc[l] - ec[l]);
        }
    }
    acc.iter().sum::<f64>() + tail
}

impl EstimatingEquations for OlsFit<'_> {
    fn model_name(&self) -> &str {
        "OLS"
    }
    fn param_names(&self) -> &[String] {
        &self.names
    }
    fn estimates(&self) -> &DVector<f64> {
        &self.coefficients
    }
    fn nobs(&self) -> usize {
        self.x.nrows()
    }
    fn n_params(&self) -> usize {
        self.x.ncols()
    }
    /// ψᵢ = xᵢ eᵢ.
    fn estfun(&self) -> DMatrix<f64> {
        let mut psi = self.x.clone().into_owned();
        for mut col in psi.column_iter_mut() {
            col.component_mul_assign(self.residuals());
        }
        psi
    }
    /// B = (XᵀX)⁻¹.
    fn bread(&self) -> &DMatrix<f64> {
        &self.bread
    }
    fn kind(&self) -> ModelKind {
        ModelKind::Linear {
            df_resid: self.df_resid(),
        }
    }
    fn sigma2(&self) -> f64 {
        OlsFit::sigma2(self)
    }
    /// ψᵢ = xᵢeᵢ.
    fn score_factors(&self) -> Option<(&DMatrix<f64>, Cow<'_, [f64]>)> {
        Some((self.x.as_ref(), Cow::Borrowed(self.residuals().as_slice())))
    }
    fn working_regression(&self) -> Option<WorkingRegression<'_>> {
        Some(WorkingRegression {
            x: self.x.as_ref(),
            sqrt_w: None,
            residuals: Cow::Borrowed(self.residuals().as_slice()),
        })
    }
    fn cached_cluster_statistics(&self, clusters: &Clusters) -> Option<ClusterStatistics<'_>> {
        self.cached(clusters)
    }
    /// From the residuals formed in the same pass over X when they are not yet known.
    fn cluster_score_sums(
        &self,
        clusters: &Clusters,
    ) -> Option<Result<DMatrix<f64>, SandwichError>> {
        Some(self.score_sums(clusters))
    }
}
