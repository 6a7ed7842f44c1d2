//! The one error type of `trialstats-twosample`.

use trialstats_core::InputError;

/// What makes a test impossible.
///
/// # Examples
/// ```
/// use trialstats_core::Level;
/// use trialstats_twosample::{TwoSampleError, Variances, t_test};
/// let e = t_test(&[1.0], &[2.0, 3.0], Variances::Unequal, Level::P95);
/// assert_eq!(e, Err(TwoSampleError::TooFew { group: "x", n: 1, needed: 2 }));
/// let e = t_test(&[1.0, 1.0], &[2.0, 2.0], Variances::Equal, Level::P95);
/// assert_eq!(e, Err(TwoSampleError::ZeroVariance));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TwoSampleError {
    /// Invalid numbers (NaN, ∞, a level outside (0, 1)).
    #[error(transparent)]
    Input(#[from] InputError),
    /// A group has too few observations.
    #[error("group `{group}` has {n} observation(s); the test needs at least {needed}")]
    TooFew {
        /// `x` or `y`.
        group: &'static str,
        /// Its size.
        n: usize,
        /// The minimum.
        needed: usize,
    },
    /// Both groups are constant: the t statistic is undefined.
    #[error("both groups are constant (zero variance): the t statistic is undefined")]
    ZeroVariance,
    /// A contingency table has an empty row or column.
    #[error("the table's {what} {index} sums to zero; drop it before testing")]
    EmptyMargin {
        /// `row` or `column`.
        what: &'static str,
        /// 1-based index.
        index: usize,
    },
    /// A count is negative or not a whole number.
    #[error("cell ({row}, {col}) = {value} is not a non-negative whole count")]
    BadCount {
        /// 1-based row.
        row: usize,
        /// 1-based column.
        col: usize,
        /// The value.
        value: f64,
    },
    /// The table's total is beyond what Fisher's test on r × c tables tabulates.
    #[error(
        "Fisher's exact test on a table of {total} counts is beyond its bound of {limit}; use the chi-square test"
    )]
    TotalTooLarge {
        /// The sum of the counts.
        total: f64,
        /// The bound.
        limit: u64,
    },
    /// The exact test needs more than its workspace and no Monte Carlo fallback was allowed.
    #[error(
        "Fisher's exact test on this {rows} × {cols} table needs more than its workspace; allow the Monte Carlo p-value or enlarge the workspace"
    )]
    NotFeasible {
        /// Rows.
        rows: usize,
        /// Columns.
        cols: usize,
    },
}
