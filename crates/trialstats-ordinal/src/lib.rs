//! Ordinal regression: cumulative link models (R `ordinal::clm`, Stata `ologit`/`oprobit`).
//!
//! - [`Clm`]: logit, probit and cloglog links, parameterised as `P(Y ≤ j) = F(θ_j − xᵀβ)`;
//!   Newton with analytic gradient and Hessian (core's optimiser); observed-information and
//!   cluster-robust standard errors through `trialstats-robust`'s estimating-equations trait;
//!   predicted category probabilities; odds ratios via [`trialstats_core::Coef::exponentiated`].
#![forbid(unsafe_code)]

pub mod clm;
pub mod error;
pub mod link;

pub use clm::{Clm, ClmFit};
pub use error::OrdinalError;
pub use link::Link;
