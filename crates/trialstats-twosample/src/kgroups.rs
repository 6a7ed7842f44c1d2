//! Tests of k ≥ 2 groups of numbers: Kruskal–Wallis, one-way ANOVA and Welch's ANOVA. (Pearson's
//! χ² and Fisher's exact test take r × c tables of any size: [`crate::chisq_test`],
//! [`crate::fisher_test`].)
//!
//! Conventions, R's and Stata 13's (they agree on every number here):
//! - Kruskal–Wallis: R `kruskal.test`, Stata `kwallis` ("chi-squared with ties"): the tie-
//!   corrected statistic on k − 1 df. Stata also prints the uncorrected one, kept here as
//!   [`KruskalWallis::uncorrected`].
//! - One-way ANOVA: R `oneway.test(var.equal = TRUE)` = `anova(lm(y ~ g))`, Stata `oneway`.
//! - Welch's ANOVA: R `oneway.test(var.equal = FALSE)` (R's default); Stata has no built-in
//!   command for it.

use serde::{Deserialize, Serialize};
use trialstats_core::InputError;
use trialstats_core::dist::{chisq_sf, f_sf};

use crate::error::TwoSampleError;
use crate::options::Variances;
use crate::tests::TestResult;

/// Names a group by its position ("group 2") for errors.
fn group_name(i: usize) -> &'static str {
    const NAMES: [&str; 10] = [
        "group 1", "group 2", "group 3", "group 4", "group 5", "group 6", "group 7", "group 8",
        "group 9", "group 10",
    ];
    NAMES.get(i).copied().unwrap_or("a group")
}

fn check_groups(groups: &[&[f64]], needed: usize) -> Result<(), TwoSampleError> {
    if groups.len() < 2 {
        return Err(TwoSampleError::TooFew {
            group: "groups",
            n: groups.len(),
            needed: 2,
        });
    }
    for (i, g) in groups.iter().enumerate() {
        if let Some(row) = g.iter().position(|x| !x.is_finite()) {
            return Err(InputError::NonFinite {
                field: group_name(i).into(),
                row,
                value: g[row],
            }
            .into());
        }
        if g.len() < needed {
            return Err(TwoSampleError::TooFew {
                group: group_name(i),
                n: g.len(),
                needed,
            });
        }
    }
    Ok(())
}

/// The Kruskal–Wallis test, with its uncorrected statistic.
///
/// # Examples
/// ```
/// use trialstats_twosample::kruskal_wallis;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let g1 = [2.9, 3.0, 2.5, 2.6, 3.2, 2.5];
/// let g2 = [3.8, 2.7, 4.0, 2.4, 2.5];
/// let g3 = [2.8, 3.4, 3.7, 2.2, 2.0, 3.4, 2.9];
/// let k = kruskal_wallis(&[&g1, &g2, &g3])?;
/// // R, by hand: r <- rank(x); 12/(N(N+1)) Σ R_i²/n_i − 3(N+1) = 0.20939849624059548, and
/// // 1 − Σ(t³ − t)/(N³ − N) = 0.99380804953560375 (ties at 2.5, 2.9 and 3.4; N = 18)
/// assert!((k.uncorrected - 0.20939849624059548).abs() < 1e-12);
/// assert!((k.tie_correction - 0.99380804953560375).abs() < 1e-15);
/// // R: kruskal.test(list(g1, g2, g3))$statistic = 0.21070315976857426, the ratio
/// assert!((k.test.statistic.ok_or("no statistic")? - k.uncorrected / k.tie_correction).abs() < 1e-15);
/// assert_eq!(k.test.df, Some(2.0));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KruskalWallis {
    /// The test (tie-corrected statistic, χ² on k − 1 df).
    pub test: TestResult,
    /// The statistic without the tie correction (Stata prints both).
    pub uncorrected: f64,
    /// The tie correction's divisor 1 − Σ(t³ − t)/(N³ − N).
    pub tie_correction: f64,
}

/// The Kruskal–Wallis rank-sum test of k groups (R `kruskal.test`, Stata `kwallis`).
///
/// # Formula
/// With R_i the rank sum of group i (average ranks for ties) and t the sizes of the tie groups:
/// ```text
/// H = [12/(N(N+1)) Σ R_i²/n_i − 3(N + 1)] / [1 − Σ(t³ − t)/(N³ − N)],   p = P(χ²_{k−1} > H)
/// ```
///
/// # References
/// Kruskal & Wallis (1952), JASA 47(260):583–621, doi:10.1080/01621459.1952.10483441.
///
/// # Errors
/// [`TwoSampleError::TooFew`] for fewer than two groups or an empty group;
/// [`InputError::NonFinite`]; [`TwoSampleError::ZeroVariance`] when every value is equal.
///
/// # Examples
/// ```
/// use trialstats_twosample::kgroups::kruskal_wallis;
/// // R: kruskal.test(list(c(2.9, 3.0, 2.5, 2.6, 3.2, 2.5), c(3.8, 2.7, 4.0, 2.4, 2.5),
/// //                      c(2.8, 3.4, 3.7, 2.2, 2.0, 3.4, 2.9)))
/// let g1 = [2.9, 3.0, 2.5, 2.6, 3.2, 2.5];
/// let g2 = [3.8, 2.7, 4.0, 2.4, 2.5];
/// let g3 = [2.8, 3.4, 3.7, 2.2, 2.0, 3.4, 2.9];
/// let k = kruskal_wallis(&[&g1, &g2, &g3]).unwrap();
/// assert!((k.test.statistic.unwrap() - 0.21070315976857426).abs() < 1e-12);
/// assert!((k.test.p_value - 0.90000804223211694).abs() < 1e-12);
/// ```
pub fn kruskal_wallis(groups: &[&[f64]]) -> Result<KruskalWallis, TwoSampleError> {
    check_groups(groups, 1)?;
    let n = groups.iter().map(|g| g.len()).sum::<usize>() as f64;
    let (rank_sums, ties) = crate::tests::rank_sums(groups);
    let sum: f64 = rank_sums
        .iter()
        .zip(groups)
        .map(|(r, g)| r * r / g.len() as f64)
        .sum();
    let uncorrected = 12.0 / (n * (n + 1.0)) * sum - 3.0 * (n + 1.0);
    let tie_correction = 1.0 - ties / (n * n * n - n);
    if tie_correction <= 0.0 {
        return Err(TwoSampleError::ZeroVariance);
    }
    let h = uncorrected / tie_correction;
    let df = (groups.len() - 1) as f64;
    Ok(KruskalWallis {
        test: TestResult {
            test: "kruskal".into(),
            statistic: Some(h),
            df: Some(df),
            df2: None,
            p_value: chisq_sf(h.max(0.0), df)?,
            estimate: None,
            ci: None,
            method: "Kruskal-Wallis rank sum test".into(),
        },
        uncorrected,
        tie_correction,
    })
}

/// One-way analysis of variance of k groups: the classical F test (`var_equal`; R
/// `oneway.test(var.equal = TRUE)`, `anova(lm(y ~ g))`, Stata `oneway`) or Welch's (R
/// `oneway.test`, its default).
///
/// # Formula
/// Classical, with group means m_i, variances s_i² and the grand mean m:
/// ```text
/// F = [Σ n_i (m_i − m)² / (k − 1)] / [Σ (n_i − 1) s_i² / (N − k)],   F(k − 1, N − k)
/// ```
/// Welch, with w_i = n_i/s_i², W = Σ w_i, m_w = Σ w_i m_i / W and
/// λ = Σ (1 − w_i/W)²/(n_i − 1) / (k² − 1):
/// ```text
/// F = [Σ w_i (m_i − m_w)² / (k − 1)] / [1 + 2(k − 2)λ],   F(k − 1, 1/(3λ))
/// ```
///
/// # References
/// Welch (1951), "On the comparison of several mean values: an alternative approach",
/// Biometrika 38(3/4):330–336, doi:10.2307/2332579.
///
/// # Errors
/// [`TwoSampleError::TooFew`] for fewer than two groups or a group of fewer than 2 values;
/// [`InputError::NonFinite`]; [`TwoSampleError::ZeroVariance`] when the within-group variance
/// is zero (classical), or a group's is (Welch: its weight would be infinite).
///
/// # Examples
/// ```
/// use trialstats_twosample::kgroups::oneway;
/// use trialstats_twosample::Variances;
/// let g1 = [2.9, 3.0, 2.5, 2.6, 3.2, 2.5];
/// let g2 = [3.8, 2.7, 4.0, 2.4, 2.5];
/// let g3 = [2.8, 3.4, 3.7, 2.2, 2.0, 3.4, 2.9];
/// // R: oneway.test(y ~ g, var.equal = TRUE): F = 0.34729939476318666 on 2 and 15 df
/// let a = oneway(&[&g1, &g2, &g3], Variances::Equal).unwrap();
/// assert!((a.statistic.unwrap() - 0.34729939476318666).abs() < 1e-12);
/// assert_eq!((a.df, a.df2), (Some(2.0), Some(15.0)));
/// // R: oneway.test(y ~ g): F = 0.37600458162719375 on 2 and 7.9910153391434458 df
/// let w = oneway(&[&g1, &g2, &g3], Variances::Unequal).unwrap();
/// assert!((w.df2.unwrap() - 7.9910153391434458).abs() < 1e-10);
/// ```
pub fn oneway(groups: &[&[f64]], variances: Variances) -> Result<TestResult, TwoSampleError> {
    let var_equal = variances == Variances::Equal;
    check_groups(groups, 2)?;
    let k = groups.len() as f64;
    let stats: Vec<(f64, f64, f64)> = groups
        .iter()
        .map(|g| {
            let (m, v) = trialstats_core::stats::mean_var(g).unwrap_or((f64::NAN, f64::NAN));
            (g.len() as f64, m, v)
        })
        .collect();
    let (statistic, df1, df2, method) = if var_equal {
        let total: f64 = stats.iter().map(|s| s.0).sum();
        let grand = stats.iter().map(|s| s.0 * s.1).sum::<f64>() / total;
        let between = stats
            .iter()
            .map(|s| s.0 * (s.1 - grand).powi(2))
            .sum::<f64>();
        let within = stats.iter().map(|s| (s.0 - 1.0) * s.2).sum::<f64>();
        let scale = stats
            .iter()
            .fold(0.0f64, |m, s| m.max(s.1.abs()))
            .max(f64::MIN_POSITIVE);
        if within <= 64.0 * f64::EPSILON * scale * scale * total {
            return Err(TwoSampleError::ZeroVariance);
        }
        let (df1, df2) = (k - 1.0, total - k);
        (
            (between / df1) / (within / df2),
            df1,
            df2,
            "One-way analysis of means",
        )
    } else {
        if stats.iter().any(|s| s.2 <= 0.0) {
            return Err(TwoSampleError::ZeroVariance);
        }
        let w: Vec<f64> = stats.iter().map(|s| s.0 / s.2).collect();
        let wsum: f64 = w.iter().sum();
        let mw = w.iter().zip(&stats).map(|(wi, s)| wi * s.1).sum::<f64>() / wsum;
        let a = w
            .iter()
            .zip(&stats)
            .map(|(wi, s)| wi * (s.1 - mw).powi(2))
            .sum::<f64>()
            / (k - 1.0);
        let lambda = w
            .iter()
            .zip(&stats)
            .map(|(wi, s)| (1.0 - wi / wsum).powi(2) / (s.0 - 1.0))
            .sum::<f64>()
            / (k * k - 1.0);
        (
            a / (1.0 + 2.0 * (k - 2.0) * lambda),
            k - 1.0,
            1.0 / (3.0 * lambda),
            "One-way analysis of means (not assuming equal variances)",
        )
    };
    Ok(TestResult {
        test: if var_equal { "anova" } else { "welch-anova" }.into(),
        statistic: Some(statistic),
        df: Some(df1),
        df2: Some(df2),
        p_value: f_sf(statistic, df1, df2)?,
        estimate: None,
        ci: None,
        method: method.into(),
    })
}
