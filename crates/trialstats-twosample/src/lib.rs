//! Two-sample tests for baseline comparisons, computed as R does: `t.test` (Welch and Student),
//! `wilcox.test` (exact or normal approximation with tie and continuity corrections),
//! `chisq.test` (Yates' correction on 2 × 2) and `fisher.test` (2 × 2 with the conditional MLE
//! of the odds ratio and its interval; r × c by the network algorithm, with a seeded Monte Carlo
//! p-value beyond its workspace). The exact Mann–Whitney distribution is computed once per pair
//! of sample sizes ([`MannWhitney`]).
//!
//! Every test returns a [`TestResult`] with the statistic, df, p-value, estimate, interval and a
//! method sentence.
//!
//! # Examples
//! A baseline comparison of two arms, as R prints it:
//! ```
//! use trialstats_core::Level;
//! use trialstats_twosample::{Continuity, Exact, Variances, chisq_test, t_test, wilcox_test};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let (x, y) = ([5.1, 4.9, 5.6, 5.8, 6.0], [6.4, 6.9, 6.1, 7.0, 6.6, 7.2]);
//! // R: t.test(x, y)$p.value = 0.0017659347362038048
//! assert!((t_test(&x, &y, Variances::Unequal, Level::P95)?.p_value - 0.0017659347362038048).abs() < 1e-14);
//! // R: wilcox.test(x, y)$p.value = 0.004329004329004329 (exact: 2 × 1/462)
//! assert!((wilcox_test(&x, &y, Exact::Auto, Continuity::Corrected)?.p_value - 0.004329004329004329).abs() < 1e-15);
//! // R: chisq.test(matrix(c(12, 5, 7, 9), 2, byrow = TRUE))$p.value = 0.22756821457580992
//! let table = vec![vec![12.0, 5.0], vec![7.0, 9.0]];
//! assert!((chisq_test(&table, Continuity::Corrected)?.p_value - 0.22756821457580992).abs() < 1e-13);
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

pub mod describe;
pub mod error;
pub mod fisher;
pub mod kgroups;
pub mod options;
pub mod table;
pub mod tests;

pub use describe::{Categorical, Continuous, Numeric, Table1Variable, describe, quantile7, table1};
pub use error::TwoSampleError;
pub use fisher::{FisherControl, MonteCarlo};
pub use kgroups::{KruskalWallis, kruskal_wallis, oneway};
pub use options::{Continuity, Exact, Variances};
pub use table::{chisq_test, fisher_test, fisher_test_with};
pub use tests::{
    MannWhitney, TestResult, hodges_lehmann, prop_test, pwilcox, t_test, wilcox_test,
    wilcox_test_with_interval,
};
