//! Two-sample tests for baseline comparisons, computed as R does: `t.test` (Welch and Student),
//! `wilcox.test` (exact or normal approximation with tie and continuity corrections),
//! `chisq.test` (Yates' correction on 2 × 2) and `fisher.test` (2 × 2 with the conditional MLE
//! of the odds ratio and its interval; r × c by the network algorithm, with a seeded Monte Carlo
//! p-value beyond its workspace). The exact Mann–Whitney distribution is computed once per pair
//! of sample sizes ([`MannWhitney`]).
//!
//! Every test returns a [`TestResult`] with the statistic, df, p-value, estimate, interval and a
//! method sentence.
#![forbid(unsafe_code)]

pub mod describe;
pub mod error;
pub mod fisher;
pub mod kgroups;
pub mod options;
pub mod table;
pub mod tests;

pub use describe::{Continuous, Numeric, Table1Variable, describe, quantile7, table1};
pub use error::TwoSampleError;
pub use fisher::{FisherControl, MonteCarlo};
pub use kgroups::{KruskalWallis, kruskal_wallis, oneway};
pub use options::{Continuity, Exact, Variances};
pub use table::{chisq_test, fisher_test, fisher_test_with};
pub use tests::{
    MannWhitney, TestResult, hodges_lehmann, prop_test, pwilcox, t_test, wilcox_test,
    wilcox_test_with_interval,
};
