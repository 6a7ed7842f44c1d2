//! Which covariance to estimate, and the estimate.

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use trialstats_core::{Clusters, CovarianceInfo};

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
///
/// # Examples
/// ```
/// use trialstats_core::Clusters;
/// use trialstats_sandwich::{CrType, Vcov, vcov};
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
/// let h = Clusters::from_labels("h", &[1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3])?;
/// let two_way = Vcov::TwoWay { first: g, second: h, kind: CrType::Cr1, intersection_hc0: false };
/// let v = vcov(&fit, &two_way)?;
/// // R: sandwich::vcovCL(fit, cluster = ~g + h, type = "HC1", multi0 = FALSE)
/// //    = [0.071095255590060913, -0.041608695135901388; ..., 0.027176585089381092]
/// assert!((v.matrix[(0, 0)] - 0.071095255590060913).abs() < 1e-14);
/// assert!((v.matrix[(0, 1)] + 0.041608695135901388).abs() < 1e-14);
/// assert!((v.matrix[(1, 1)] - 0.027176585089381092).abs() < 1e-14);
/// assert_eq!(v.df, [Some(2.0), Some(2.0)]); // t(min(G_g, G_h) − 1) = t(2)
/// # Ok(()) }
/// ```
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
    /// A∩B term is the observations' HC0 meat Σᵢ ψᵢψᵢᵀ with no factor (R sandwich
    /// `multi0 = TRUE`, which treats each observation as its own intersection cell; the two
    /// agree when every A∩B cell holds one observation). Inference t(min(G_A, G_B) − 1) for
    /// linear models. CR0 and CR1 only.
    TwoWay {
        /// First clustering.
        first: Clusters,
        /// Second clustering.
        second: Clusters,
        /// CR0 or CR1.
        kind: CrType,
        /// Use the observations' HC0 meat, with no factor, for the intersection term
        /// (sandwich's `multi0 = TRUE`).
        intersection_hc0: bool,
    },
}

impl Vcov {
    /// One-way CR0 (Liang & Zeger 1986) by `clusters`.
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::Clusters;
    /// use trialstats_sandwich::{Vcov, vcov};
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
    /// let v = vcov(&fit, &Vcov::cr0(g))?;
    /// // R: sandwich::vcovCL(fit, cluster = ~g, type = "HC0", cadjust = FALSE)
    /// //    = [0.041894259432499893, -0.01963890482985213; -0.01963890482985213, 0.0094475971497123504]
    /// assert!((v.matrix[(0, 0)] - 0.041894259432499893).abs() < 1e-14);
    /// assert!((v.matrix[(0, 1)] + 0.01963890482985213).abs() < 1e-14);
    /// assert!((v.matrix[(1, 1)] - 0.0094475971497123504).abs() < 1e-14);
    /// assert_eq!(v.info.factor, Some(1.0));
    /// # Ok(()) }
    /// ```
    pub fn cr0(clusters: Clusters) -> Self {
        Vcov::Cluster {
            clusters,
            kind: CrType::Cr0,
        }
    }

    /// One-way CR1 (Stata's `vce(cluster)`) by `clusters`.
    ///
    /// ```
    /// use trialstats_sandwich::Vcov;
    /// use trialstats_core::Clusters;
    /// # fn main() -> Result<(), trialstats_core::InputError> {
    /// let clusters = Clusters::from_labels("lga", &[1, 1, 2, 2])?;
    /// assert_eq!(Vcov::cr1(clusters).label(), "cr1");
    /// # Ok(()) }
    /// ```
    pub fn cr1(clusters: Clusters) -> Self {
        Vcov::Cluster {
            clusters,
            kind: CrType::Cr1,
        }
    }

    /// One-way CR2 (Bell & McCaffrey 2002) with Satterthwaite df by `clusters`.
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::Clusters;
    /// use trialstats_sandwich::{Vcov, vcov};
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
    /// let v = vcov(&fit, &Vcov::cr2(g))?;
    /// // R: clubSandwich::vcovCR(fit, cluster = d$g, type = "CR2"): diagonal 0.067132828330368044,
    /// // 0.014789014339643339; coef_test(fit, vcov = "CR2", cluster = d$g)$df_Satt
    /// // = 2.0519384718473526, 2.6257673515590425
    /// assert!((v.matrix[(0, 0)] - 0.067132828330368044).abs() < 1e-14);
    /// assert!((v.matrix[(1, 1)] - 0.014789014339643339).abs() < 1e-14);
    /// let df: Vec<f64> = v.df.iter().flatten().copied().collect();
    /// assert!((df[0] - 2.0519384718473526).abs() < 1e-10 && (df[1] - 2.6257673515590425).abs() < 1e-10);
    /// # Ok(()) }
    /// ```
    pub fn cr2(clusters: Clusters) -> Self {
        Vcov::Cluster {
            clusters,
            kind: CrType::Cr2,
        }
    }

    /// One-way CR3 by `clusters` (clubSandwich's `CR3`, without the jackknife factor).
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::Clusters;
    /// use trialstats_sandwich::{CrType, Vcov, vcov};
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
    /// let v = vcov(&fit, &Vcov::cr3(g.clone()))?;
    /// // R: clubSandwich::vcovCR(fit, cluster = d$g, type = "CR3")
    /// //    = [0.1096988396513523, -0.049730736426176668; ..., 0.023692984206932294]
    /// assert!((v.matrix[(0, 0)] - 0.1096988396513523).abs() < 1e-14);
    /// assert!((v.matrix[(0, 1)] + 0.049730736426176668).abs() < 1e-14);
    /// assert!((v.matrix[(1, 1)] - 0.023692984206932294).abs() < 1e-14);
    /// // The cluster jackknife is (G − 1)/G = 3/4 of it.
    /// let jk = vcov(&fit, &Vcov::Cluster { clusters: g, kind: CrType::Cr3 { jackknife: true } })?;
    /// assert!((jk.matrix[(1, 1)] - 0.75 * 0.023692984206932294).abs() < 1e-14);
    /// # Ok(()) }
    /// ```
    pub fn cr3(clusters: Clusters) -> Self {
        Vcov::Cluster {
            clusters,
            kind: CrType::Cr3 { jackknife: false },
        }
    }

    /// The clusterings this covariance uses (none, one or two).
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::Clusters;
    /// use trialstats_sandwich::{CrType, Vcov};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let g = Clusters::from_labels("g", &[1, 1, 2, 2])?;
    /// let h = Clusters::from_labels("h", &[1, 2, 1, 2])?;
    /// assert!(Vcov::Iid.clusters().is_empty());
    /// assert_eq!(Vcov::cr2(g.clone()).clusters()[0].name(), "g");
    /// let two = Vcov::TwoWay { first: g, second: h, kind: CrType::Cr1, intersection_hc0: false };
    /// assert_eq!(two.clusters().len(), 2);
    /// # Ok(()) }
    /// ```
    pub fn clusters(&self) -> Vec<&Clusters> {
        match self {
            Vcov::Iid | Vcov::Hc(_) => Vec::new(),
            Vcov::Cluster { clusters, .. } => vec![clusters],
            Vcov::TwoWay { first, second, .. } => vec![first, second],
        }
    }

    /// A short label: `iid`, `hc1`, `cr2`, `cr1 (two-way)`, …
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::Clusters;
    /// use trialstats_sandwich::{CrType, HcType, Vcov};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// assert_eq!(Vcov::Iid.label(), "iid");
    /// assert_eq!(Vcov::Hc(HcType::Hc3).label(), "hc3");
    /// let g = Clusters::from_labels("g", &[1, 1, 2, 2])?;
    /// let h = Clusters::from_labels("h", &[1, 2, 1, 2])?;
    /// let two = Vcov::TwoWay { first: g, second: h, kind: CrType::Cr1, intersection_hc0: false };
    /// assert_eq!(two.label(), "cr1 (two-way)");
    /// # Ok(()) }
    /// ```
    pub fn label(&self) -> String {
        match self {
            Vcov::Iid => "iid".into(),
            Vcov::Hc(t) => format!("{t:?}").to_lowercase(),
            Vcov::Cluster { kind, .. } => kind.label(),
            Vcov::TwoWay { kind, .. } => format!("{} (two-way)", kind.label()),
        }
    }
}

impl CrType {
    /// A short label: `cr0`, `cr1`, `cr2`, `cr3`, `cr3 (jackknife)`.
    ///
    /// ```
    /// use trialstats_sandwich::CrType;
    /// assert_eq!(CrType::Cr3 { jackknife: true }.label(), "cr3 (jackknife)");
    /// ```
    pub fn label(self) -> String {
        match self {
            CrType::Cr0 => "cr0".into(),
            CrType::Cr1 => "cr1".into(),
            CrType::Cr2 => "cr2".into(),
            CrType::Cr3 { jackknife: false } => "cr3".into(),
            CrType::Cr3 { jackknife: true } => "cr3 (jackknife)".into(),
        }
    }
}

/// An estimated covariance matrix with what is needed to use it for inference.
///
/// # Examples
/// ```
/// use trialstats_core::Clusters;
/// use trialstats_sandwich::{Vcov, vcov};
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
/// let v = vcov(&fit, &Vcov::cr1(g))?;
/// // R: sandwich::vcovCL(fit, cluster = ~g, type = "HC1")[2, 2] = 0.013856475819578115
/// assert!((v.matrix[(1, 1)] - 0.013856475819578115).abs() < 1e-14);
/// // The factor G/(G − 1)·(N − 1)/(N − K) = 4/3 · 11/10, and t on G − 1 = 3 df.
/// assert!((v.info.factor.ok_or("no factor")? - 4.0 / 3.0 * 1.1).abs() < 1e-15);
/// assert_eq!((v.info.label.as_str(), v.info.n_clusters.as_slice()), ("cr1", &[4][..]));
/// assert_eq!(v.df, [Some(3.0), Some(3.0)]);
/// # Ok(()) }
/// ```
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
