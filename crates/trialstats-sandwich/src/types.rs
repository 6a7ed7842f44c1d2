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
    /// One-way CR0 (Liang & Zeger 1986) by `clusters`.
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
    pub fn cr2(clusters: Clusters) -> Self {
        Vcov::Cluster {
            clusters,
            kind: CrType::Cr2,
        }
    }

    /// One-way CR3 by `clusters` (clubSandwich's `CR3`, without the jackknife factor).
    pub fn cr3(clusters: Clusters) -> Self {
        Vcov::Cluster {
            clusters,
            kind: CrType::Cr3 { jackknife: false },
        }
    }

    /// The clusterings this covariance uses (none, one or two).
    pub fn clusters(&self) -> Vec<&Clusters> {
        match self {
            Vcov::Iid | Vcov::Hc(_) => Vec::new(),
            Vcov::Cluster { clusters, .. } => vec![clusters],
            Vcov::TwoWay { first, second, .. } => vec![first, second],
        }
    }

    /// A short label: `iid`, `hc1`, `cr2`, `cr1 (two-way)`, …
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
