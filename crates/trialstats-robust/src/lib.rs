//! Linear regression with heteroskedasticity- and cluster-robust inference that holds with few
//! clusters.
//!
//! - [`Logit`] fits a logistic regression by Newton's method and detects separation;
//! - [`Ols`] fits by Householder QR (R's aliasing rule; aliased columns are an error that names
//!   them) and returns an [`OlsFit`];
//! - every fit implements [`EstimatingEquations`] (scores and bread) of the sandwich layer
//!   (`trialstats-sandwich`, re-exported here), so one generic function, [`vcov()`], gives every
//!   covariance of [`Vcov`]: iid, HC0–HC3, CR0–CR3 (CR2 with Bell–McCaffrey/Satterthwaite
//!   degrees of freedom per coefficient) and two-way clustering;
//! - [`WildClusterBootstrap`] tests one OLS coefficient by the wild cluster bootstrap (WCR or
//!   WCU; Rademacher, Webb or Mammen weights; enumeration when 2^G ≤ B) at O(Gk) per replicate,
//!   with a confidence interval by test inversion;
//! - [`OlsFit::infer`] turns a covariance into an [`trialstats_core::Inference`] with the
//!   reference distribution Stata and clubSandwich use.
//!
//! # Conventions (as Stata, R sandwich and clubSandwich)
//! | covariance | adjustment | factor c | reference |
//! |---|---|---|---|
//! | iid | – | σ̂² = RSS/(N−K) | t(N−K) |
//! | HC0 / HC1 | – | 1 / N/(N−K) | t(N−K) |
//! | HC2 / HC3 | eᵢ/√(1−hᵢ) / eᵢ/(1−hᵢ) | 1 | t(N−K) |
//! | CR0 / CR1 | – | 1 / G/(G−1)·(N−1)/(N−K) | t(G−1) |
//! | CR2 | (I−H_gg)^(−1/2) e_g | 1 | t(ν_Satterthwaite) per coefficient |
//! | CR3 | (I−H_gg)^(−1) e_g | 1, or (G−1)/G (jackknife) | t(G−1) |
//!
//! # References
//! White (1980), Econometrica 48(4):817–838, doi:10.2307/1912934.
//! MacKinnon & White (1985), J. Econometrics 29(3):305–325, doi:10.1016/0304-4076(85)90158-7.
//! Liang & Zeger (1986), Biometrika 73(1):13–22, doi:10.1093/biomet/73.1.13.
//! Bell & McCaffrey (2002), Survey Methodology 28(2):169–181.
//! Cameron, Gelbach & Miller (2011), JBES 29(2):238–249, doi:10.1198/jbes.2010.07136.
//! Pustejovsky & Tipton (2018), JBES 36(4):672–683, doi:10.1080/07350015.2016.1247004.
//! Zeileis, Köll & Graham (2020), JSS 95(1), doi:10.18637/jss.v095.i01.
#![forbid(unsafe_code)]

pub mod error;
pub mod logit;
pub mod ols;
pub mod wild;

pub use error::RobustError;
pub use logit::{Logit, LogitFit};
pub use ols::{Ols, OlsFit, OnePass};
/// The covariance layer, re-exported: every fit here implements its [`EstimatingEquations`].
pub use trialstats_sandwich::{
    Covariance, CrType, EstimatingEquations, HcType, ModelKind, SandwichError, Vcov, WaldTest,
    WorkingRegression, inference, vcov, wald_test,
};
pub use wild::{BootTest, WildClusterBootstrap, WildWeights};
