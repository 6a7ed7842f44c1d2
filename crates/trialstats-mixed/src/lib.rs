//! Linear mixed models with random intercepts for cluster randomised trials: one grouping factor
//! (the community) or two nested ones (community ⊃ participant, for repeated measures).
//!
//! - [`Lmm`]: the model; [`Lmm::fit`] maximises the REML (default) or ML criterion profiled over
//!   β and σ² as lme4 does (Bates et al. 2015, J Stat Softw 67(1), eqs. 34 and 41), with the
//!   random-intercept structure reduced to sums by group size so that one evaluation costs
//!   O(G p²) whatever the number of rows.
//! - [`LmmFit`]: β̂, σ̂², the variance components, the criterion and log-likelihood.
//! - [`Glmm`]: the random-intercept logistic regression (R `glmer(family = binomial)`, Stata
//!   `melogit`) by the Laplace approximation or adaptive Gauss–Hermite quadrature.
//!
//! | here | R | Stata |
//! |---|---|---|
//! | `Lmm::new(y, x, g).fit()` | `lmer(y ~ x + (1 \| g))` | `mixed y x \|\| g:, reml` |
//! | `.nested(id)` | `lmer(y ~ x + (1 \| g/id))` | `mixed y x \|\| g: \|\| id:, reml` |
//! | `.method(Method::Ml)` | `REML = FALSE` | `mixed …, ml` |
//! | `Glmm::new(y, x, g).fit()` | `glmer(y ~ x + (1 \| g), binomial)` | `melogit y x \|\| g:` |
//! | `.quadrature(Quadrature::Adaptive { nodes: 10 })` | `nAGQ = 10` | `melogit …, intpoints(10)` |
#![forbid(unsafe_code)]

pub mod ddf;
pub mod error;
pub mod extras;
pub mod glmm;
pub mod lmm;
mod numdiff;
mod structure;

pub use ddf::{Ddf, KenwardRoger};
pub use error::MixedError;
pub use extras::{Blups, Icc, LrTest};
pub use glmm::{Glmm, GlmmFit};
pub use lmm::{Lmm, LmmFit, Method, VarianceComponent};
pub use trialstats_ordinal::{Link, Quadrature};
