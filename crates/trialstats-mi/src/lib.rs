//! Multiple imputation: pooling by Rubin's rules for any estimator that exposes its estimates and
//! covariance ([`Estimates`]), with Rubin's (1987) and Barnard–Rubin's (1999) degrees of freedom,
//! as R mice's `pool()`.
//!
//! Imputation by chained equations ([`Mice`]: pmm, norm, logreg, polr; predictor matrix, visit
//! sequence, cluster terms, convergence trace), and one call that imputes, analyses every
//! completed data set and pools ([`Imputed::analyse`]).
#![forbid(unsafe_code)]

pub mod mice;
pub mod pool;

pub use mice::{ClusterTerm, Imputed, Method, Mice, Progress, TracePoint};
pub use pool::{
    AnalysisFailure, Estimates, ImputationFailure, MiError, Pooled, PooledTerm, pool, pool_scalar,
};
