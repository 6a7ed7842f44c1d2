//! Ordinal regression: cumulative link models (R `ordinal::clm`, Stata `ologit`/`oprobit`).
//!
//! - [`Clm`]: logit, probit and cloglog links, parameterised as `P(Y ≤ j) = F(θ_j − xᵀβ)`;
//!   Newton with analytic gradient and Hessian (core's optimiser); observed-information and
//!   cluster-robust standard errors through the sandwich layer (`trialstats-sandwich`);
//!   predicted category probabilities; odds ratios via [`trialstats_core::Coef::exponentiated`];
//! - [`Clmm`]: a normal random intercept per cluster (R `clmm`, Stata `meologit`), by the Laplace
//!   approximation or adaptive Gauss–Hermite quadrature; σ, conditional modes, the boundary LR
//!   test against [`Clm`];
//! - [`NestedClmm`]: random intercepts for communities and participants within them (R `clmm`
//!   with `(1 | g) + (1 | g:id)`, Stata `meologit … || g: || id:`), by the joint Laplace
//!   approximation or nested adaptive quadrature.
#![forbid(unsafe_code)]

pub mod clm;
pub mod clmm;
pub mod error;
pub mod link;
pub mod nominal;

pub use clm::{Clm, ClmFit};
pub use clmm::{Clmm, ClmmFit, NestedClmm, NestedClmmFit, Quadrature};
pub use error::OrdinalError;
pub use link::{Eval, Link};
pub use nominal::NominalTest;
