//! The choices a test leaves to its caller, as enums rather than booleans.

use serde::{Deserialize, Serialize};

/// Whether two (or k) groups are assumed to share one variance.
///
/// ```
/// use trialstats_twosample::{Variances, t_test};
/// use trialstats_core::Level;
/// # fn main() -> Result<(), trialstats_twosample::TwoSampleError> {
/// let (x, y) = ([5.1, 4.9, 5.6, 5.8, 6.0], [6.4, 6.9, 6.1, 7.0, 6.6, 7.2]);
/// let student = t_test(&x, &y, Variances::Equal, Level::P95)?;
/// let welch = t_test(&x, &y, Variances::Unequal, Level::P95)?;
/// assert_eq!(student.df, Some(9.0));
/// assert!(welch.df < student.df);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Variances {
    /// One pooled variance (Student's t, R `var.equal = TRUE`, Stata `ttest`).
    Equal,
    /// Separate variances (Welch, R's default, Stata `ttest, unequal welch`).
    Unequal,
}

/// Whether a normal or χ² approximation uses a continuity correction.
///
/// ```
/// use trialstats_twosample::{Continuity, chisq_test};
/// # fn main() -> Result<(), trialstats_twosample::TwoSampleError> {
/// let t = vec![vec![12.0, 5.0], vec![7.0, 9.0]];
/// // R: chisq.test(t)$statistic = 1.4559963788146839 (Yates);
/// //    chisq.test(t, correct = FALSE)$statistic = 2.4305755196815575
/// let yates = chisq_test(&t, Continuity::Corrected)?.statistic.unwrap_or(f64::NAN);
/// let plain = chisq_test(&t, Continuity::Uncorrected)?.statistic.unwrap_or(f64::NAN);
/// assert!((yates - 1.4559963788146839).abs() < 1e-12);
/// assert!((plain - 2.4305755196815575).abs() < 1e-12);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Continuity {
    /// With the correction (R's default `correct = TRUE`: Yates on 2 × 2 tables, ½ in the
    /// Wilcoxon z).
    Corrected,
    /// Without (Stata's `tabulate, chi2`, `prtest` and `ranksum`).
    Uncorrected,
}

/// Whether a rank test uses its exact distribution.
///
/// ```
/// use trialstats_twosample::{Continuity, Exact, wilcox_test};
/// # fn main() -> Result<(), trialstats_twosample::TwoSampleError> {
/// let (x, y) = ([0.8, 1.2, 2.9, 3.1, 4.4], [2.0, 3.6, 5.0, 5.3, 6.1, 7.7]);
/// let exact = wilcox_test(&x, &y, Exact::Auto, Continuity::Corrected)?;
/// let normal = wilcox_test(&x, &y, Exact::Never, Continuity::Uncorrected)?;
/// // R: wilcox.test(x, y)$p.value = 0.051948051948051951;
/// //    wilcox.test(x, y, exact = FALSE, correct = FALSE)$p.value = 0.044609718024939626
/// assert!((exact.p_value - 0.051948051948051951).abs() < 1e-15);
/// assert!((normal.p_value - 0.044609718024939626).abs() < 1e-14);
/// assert_eq!(exact.method, "Wilcoxon rank sum exact test");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Exact {
    /// R's rule: exact when both groups have fewer than 50 values and there are no ties.
    Auto,
    /// Exact (when there are no ties; with ties the normal approximation, as R).
    Always,
    /// The normal approximation.
    Never,
}

impl Exact {
    pub(crate) fn as_option(self) -> Option<bool> {
        match self {
            Exact::Auto => None,
            Exact::Always => Some(true),
            Exact::Never => Some(false),
        }
    }
}

impl Continuity {
    pub(crate) fn corrected(self) -> bool {
        self == Continuity::Corrected
    }
}
