//! One call from a formula and a data table to a fitted model with the inference a trial
//! report needs.
//!
//! ```
//! use trialstats_models::prelude::*;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let petersen = datasets::petersen()?;
//! let fit = ols("y ~ x").cluster("firm").fit(&petersen)?;       // CR1, as Stata's vce(cluster)
//! let cr2 = fit.infer(Se::CR2, Level::P95)?;                       // same fit, other SEs
//! assert_eq!(fit.inference().n_clusters, Some(500));
//! assert!(cr2.coef("x").is_some());
//! # Ok(()) }
//! ```
//!
//! A [`Model`] is a formula (R's syntax: `factor(region, ref = "north")`, interactions, `- 1`),
//! a [`Family`], the cluster columns (given once), the standard errors ([`Se`]) and the
//! confidence [`Level`](trialstats_core::Level); [`Model::check`] validates the combination before any data are read,
//! and [`Model::fit`] builds the model frame (listwise deletion, counted and reported), fits
//! the estimator of the family, and computes the inference through the sandwich layer
//! (`trialstats-sandwich`). [`Model::pool`] does the same on every completed data set of a
//! multiple imputation and pools by Rubin's rules.
//!
//! | start | estimator | R | Stata |
//! |---|---|---|---|
//! | [`ols`] | [`trialstats_robust::Ols`] | `lm` + `sandwich`/`clubSandwich` | `regress, vce(cluster g)` |
//! | [`logit`] | [`trialstats_robust::Logit`] | `glm(family = binomial)` | `logit, vce(cluster g)` |
//! | [`clm`] | [`trialstats_ordinal::Clm`] | `ordinal::clm` | `ologit` |
//! | [`clmm`] | [`trialstats_ordinal::Clmm`] | `ordinal::clmm` | `meologit` |
//! | [`lmm`] | [`trialstats_mixed::Lmm`] | `lme4::lmer` + `lmerTest` | `mixed` |
//! | [`glmm`] | [`trialstats_mixed::Glmm`] | `lme4::glmer(family = binomial)` | `melogit` |
//!
//! The statsmodels analogue is `smf.ols("y ~ x", data).fit(cov_type="cluster", …)`; here the
//! data come last, so one specification fits many tables (imputations, simulated trials).
#![forbid(unsafe_code)]

pub mod error;
pub mod fit;
pub mod spec;

pub use error::{ModelError, SpecError};
pub use fit::{Fit, Fitted};
pub use spec::{Family, Model, Se, clm, clmm, glmm, lmm, logit, ols};

/// Everything a model fit needs, in one import.
pub mod prelude {
    pub use crate::{Family, Fit, Fitted, Model, ModelError, Se, clm, clmm, glmm, lmm, logit, ols};
    pub use trialstats_core::{Coef, Inference, Level};
    pub use trialstats_data::{DataTable, datasets};
    pub use trialstats_mi::{Method, Mice, Pooled};
    pub use trialstats_mixed::{Ddf, Method as LmmMethod};
    pub use trialstats_ordinal::{Link, Quadrature};
    pub use trialstats_robust::{WildClusterBootstrap, WildWeights};
    pub use trialstats_sandwich::{CrType, HcType};
}
