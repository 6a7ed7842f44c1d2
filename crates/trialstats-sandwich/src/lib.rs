//! Sandwich covariance estimators for any model that supplies its estimating equations.
//!
//! Every covariance here is a sandwich `V = c · B M B` (Huber 1967; White 1980): the bread
//! `B = (Σᵢ −∂ψᵢ/∂θ)⁻¹`, the meat `M = Σ_g a_g a_gᵀ` built from (adjusted) cluster sums of the
//! scores ψᵢ, and a small-sample factor c. The three are separate, as in R's sandwich package
//! (`bread`, `meat`/`meatCL`, `sandwich`):
//! - a model supplies ψ and B through [`EstimatingEquations`] (single-index models also supply
//!   their working regression, which HC2, HC3, CR2 and CR3 need);
//! - one small function per meat: [`meat_hc0`], [`meat_hc_adjusted`] (HC2/HC3), [`meat_cluster`]
//!   of [`cluster_scores`] (CR0/CR1) or of [`adjusted_cluster_scores`] (CR2/CR3);
//! - one function per factor: [`hc_factor`], [`cluster_factor`];
//! - [`sandwich`] puts them together, and [`vcov()`] does all three for a [`Vcov`] request,
//!   two-way clustering included; [`inference()`] turns the covariance into the shared
//!   [`trialstats_core::Inference`].
//!
//! The model crates (`trialstats-robust` for OLS and logit, `trialstats-ordinal` for `Clm`)
//! implement [`EstimatingEquations`]; any other M-estimator can, and gets every covariance.
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
//! Likelihood models use z and Stata's ML factors (HC1: N/(N−1); CR1: G/(G−1)).
//!
//! # Examples
//! A model with scores ψᵢ = xᵢeᵢ (least squares of y on a constant): the CR1 variance of the mean.
//! ```
//! use std::borrow::Cow;
//! use trialstats_core::nalgebra::{DMatrix, DVector};
//! use trialstats_core::Clusters;
//! use trialstats_sandwich::{EstimatingEquations, ModelKind, Vcov, vcov};
//!
//! struct Mean { x: DMatrix<f64>, e: Vec<f64>, est: DVector<f64>, bread: DMatrix<f64>, names: Vec<String> }
//! impl EstimatingEquations for Mean {
//!     fn model_name(&self) -> &str { "mean" }
//!     fn param_names(&self) -> &[String] { &self.names }
//!     fn estimates(&self) -> &DVector<f64> { &self.est }
//!     fn nobs(&self) -> usize { self.e.len() }
//!     fn n_params(&self) -> usize { 1 }
//!     fn estfun(&self) -> DMatrix<f64> { DMatrix::from_column_slice(self.e.len(), 1, &self.e) }
//!     fn bread(&self) -> &DMatrix<f64> { &self.bread }
//!     fn kind(&self) -> ModelKind { ModelKind::Linear { df_resid: self.e.len() - 1 } }
//!     fn score_factors(&self) -> Option<(&DMatrix<f64>, Cow<'_, [f64]>)> {
//!         Some((&self.x, Cow::Borrowed(&self.e)))
//!     }
//! }
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let y = [1.0, 2.0, 3.0, 6.0];
//! let m = Mean {
//!     x: DMatrix::from_element(4, 1, 1.0),
//!     e: y.iter().map(|v| v - 3.0).collect(),
//!     est: DVector::from_element(1, 3.0),
//!     bread: DMatrix::from_element(1, 1, 0.25),
//!     names: vec!["(Intercept)".into()],
//! };
//! let clusters = Clusters::from_labels("g", &[1, 1, 2, 2])?;
//! let v = vcov(&m, &Vcov::cr1(clusters))?;
//! // Cluster sums −3 and +3: meat 18; V = 2 · (3/3) · 18 / 16.
//! assert!((v.matrix[(0, 0)] - 2.25).abs() < 1e-15);
//! # Ok(()) }
//! ```
//!
//! # References
//! White (1980), Econometrica 48(4):817–838, doi:10.2307/1912934.
//! MacKinnon & White (1985), J. Econometrics 29(3):305–325, doi:10.1016/0304-4076(85)90158-7.
//! Liang & Zeger (1986), Biometrika 73(1):13–22, doi:10.1093/biomet/73.1.13.
//! Bell & McCaffrey (2002), Survey Methodology 28(2):169–181.
//! Zeileis (2006), JSS 16(9), doi:10.18637/jss.v016.i09.
//! Cameron, Gelbach & Miller (2011), JBES 29(2):238–249, doi:10.1198/jbes.2010.07136.
//! Pustejovsky & Tipton (2018), JBES 36(4):672–683, doi:10.1080/07350015.2016.1247004.
//! Zeileis, Köll & Graham (2020), JSS 95(1), doi:10.18637/jss.v095.i01.
#![forbid(unsafe_code)]

pub mod error;
pub mod inference;
pub mod meat;
pub mod model;
mod sandwich;
pub mod types;

pub use error::SandwichError;
pub use inference::{
    WaldTest, inference, inference_from_covariance, wald_test, wald_test_inference,
};
pub use meat::{
    AdjustedScores, adjusted_cluster_scores, adjusted_sums, cluster_scores, meat_cluster,
    meat_hc_adjusted, meat_hc0,
};
pub use model::{ClusterStatistics, EstimatingEquations, ModelKind, WorkingRegression};
pub use sandwich::{
    cluster_factor, hc_factor, sandwich, vcov, vcov_cluster_from, vcov_hc_from, vcov_iid_from,
};
pub use types::{Covariance, CrType, HcType, Vcov};
