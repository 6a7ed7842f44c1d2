//! Shared numerics of the trialstats workspace.
//!
//! This crate is the one home of what several estimators need, so that no other crate writes its
//! own copy:
//! - [`linalg`]: cross-products, per-cluster sums, Householder QR with R's aliasing rule, Cholesky,
//!   log-determinant, condition number;
//! - [`cluster`]: cluster labels mapped once to dense codes ([`Clusters`]);
//! - [`compensated`]: double-double sums and dot products (for iterative refinement);
//! - [`inference`]: coefficient rows ([`Coef`]), the covariance used ([`CovarianceInfo`]), the
//!   convergence report ([`Convergence`]) and the whole [`Inference`] of a fit;
//! - [`level`]: the confidence [`Level`], checked once;
//! - [`optim`]: one Newton minimiser with step-halving and its [`Control`];
//! - [`dist`]: p-values and quantiles (normal, t, χ², F) from statrs;
//! - [`stats`]: sample moments safe from overflow;
//! - [`rng`]: a fixed, seeded, portable random number generator (xoshiro256**);
//! - [`scratch`]: large work buffers kept between calls (at most 256 MiB per element type);
//! - [`table`]: a [`Table`] that renders to text, Markdown and CSV;
//! - [`testing`]: tolerances for comparing with reference values;
//! - [`threads`]: rayon's pool for a program, each worker bound to a CPU of its own;
//! - [`vmath`]: e^x, ln x and ln(1 + x) over slices, vectorised.
//!
//! Every result type implements serde's `Serialize` and `Deserialize`.
#![forbid(unsafe_code)]
// Exact float comparison is a bug in statistics code unless the value is exactly representable
// and intended; the lint makes every such place explicit.
#![deny(clippy::float_cmp)]

pub mod cluster;
pub mod compensated;
pub mod dist;
pub mod error;
pub mod inference;
mod kernels;
pub mod level;
pub mod linalg;
pub mod optim;
pub mod order;
pub mod rng;
pub mod scratch;
pub mod stats;
pub mod table;
pub mod testing;
pub mod threads;
pub mod vmath;

pub use cluster::Clusters;
pub use dist::{Alternative, Reference};
pub use error::{InputError, LinalgError, NotNested};
pub use inference::{Coef, Convergence, CovarianceInfo, Inference, Termination};
pub use level::Level;
pub use optim::Control;
pub use table::{Align, Table};

/// `nalgebra`, re-exported so that users name the same matrix types as the workspace.
pub use nalgebra;
