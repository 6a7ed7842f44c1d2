//! Multiple imputation: pooling by Rubin's rules for any estimator that exposes its estimates and
//! covariance ([`Estimates`]), with Rubin's (1987) and Barnard–Rubin's (1999) degrees of freedom,
//! as R mice's `pool()`.
//!
//! The chained-equations imputation itself (MICE) is not implemented yet.
#![forbid(unsafe_code)]

pub mod pool;

pub use pool::{Estimates, MiError, Pooled, PooledTerm, pool, pool_scalar};
