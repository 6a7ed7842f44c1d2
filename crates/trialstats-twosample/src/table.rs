//! Tests on r × c contingency tables: Pearson's chi-square and Fisher's exact test.

use statrs::function::gamma::ln_gamma;
use trialstats_core::dist::chisq_sf;
use trialstats_core::{InputError, Level};

use crate::error::TwoSampleError;
use crate::fisher::{FisherControl, FisherP};
use crate::options::Continuity;
use crate::tests::TestResult;

/// Validates counts (rows of equal length, non-negative whole numbers, no empty margin) and
/// returns (row sums, column sums, total).
fn margins(t: &[Vec<f64>]) -> Result<(Vec<f64>, Vec<f64>, f64), TwoSampleError> {
    let r = t.len();
    let c = t.first().map_or(0, Vec::len);
    if r < 2 || c < 2 {
        return Err(TwoSampleError::TooFew {
            group: "table dimension",
            n: r.min(c),
            needed: 2,
        });
    }
    for (i, row) in t.iter().enumerate() {
        if row.len() != c {
            return Err(InputError::Length {
                field: format!("row {}", i + 1),
                got: row.len(),
                reference: "row 1".into(),
                expected: c,
            }
            .into());
        }
        for (j, &v) in row.iter().enumerate() {
            if !v.is_finite() || v < 0.0 || v.fract() != 0.0 {
                return Err(TwoSampleError::BadCount {
                    row: i + 1,
                    col: j + 1,
                    value: v,
                });
            }
        }
    }
    let rows: Vec<f64> = t.iter().map(|row| row.iter().sum()).collect();
    let cols: Vec<f64> = (0..c).map(|j| t.iter().map(|row| row[j]).sum()).collect();
    if let Some(i) = rows.iter().position(|&s| s == 0.0) {
        return Err(TwoSampleError::EmptyMargin {
            what: "row",
            index: i + 1,
        });
    }
    if let Some(j) = cols.iter().position(|&s| s == 0.0) {
        return Err(TwoSampleError::EmptyMargin {
            what: "column",
            index: j + 1,
        });
    }
    let n = rows.iter().sum();
    Ok((rows, cols, n))
}

/// Pearson's chi-square test of independence (R `chisq.test(x, correct)`).
///
/// # Formula
/// ```text
/// E_ij = r_i c_j / n,   X² = Σ (|O_ij − E_ij| − Y_ij)² / E_ij,   df = (r − 1)(c − 1)
/// ```
/// with Yates' Y_ij = min(½, |O_ij − E_ij|) on 2 × 2 tables when [`Continuity::Corrected`], 0
/// otherwise (Stata's `tabulate, chi2` is [`Continuity::Uncorrected`]).
///
/// # Errors
/// [`TwoSampleError::BadCount`], [`TwoSampleError::EmptyMargin`], [`TwoSampleError::TooFew`].
///
/// # Examples
/// ```
/// use trialstats_twosample::{Continuity, chisq_test};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let t = vec![vec![12.0, 5.0], vec![7.0, 9.0]];
/// // R: chisq.test(matrix(c(12, 5, 7, 9), 2, byrow = TRUE)): X-squared = 1.4559963788146839,
/// // df = 1, p = 0.22756821457580992
/// let r = chisq_test(&t, Continuity::Corrected)?;
/// assert!((r.statistic.ok_or("no statistic")? - 1.4559963788146839).abs() < 1e-12);
/// assert!((r.p_value - 0.22756821457580992).abs() < 1e-13);
/// // R: chisq.test(..., correct = FALSE): X-squared = 2.4305755196815575, p = 0.1189892055321448
/// let u = chisq_test(&t, Continuity::Uncorrected)?;
/// assert!((u.statistic.ok_or("no statistic")? - 2.4305755196815575).abs() < 1e-12);
/// assert!((u.p_value - 0.1189892055321448).abs() < 1e-13);
/// # Ok(()) }
/// ```
///
/// On larger tables Yates' correction does not apply:
/// ```
/// use trialstats_twosample::{Continuity, chisq_test};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let t = vec![vec![20.0, 15.0, 10.0], vec![12.0, 18.0, 25.0]];
/// // R: chisq.test(matrix(c(20, 15, 10, 12, 18, 25), 2, byrow = TRUE)):
/// // X-squared = 7.7790895972714162, df = 2, p = 0.020454654905891503
/// let r = chisq_test(&t, Continuity::Corrected)?;
/// assert_eq!(r.df, Some(2.0));
/// assert!((r.statistic.ok_or("no statistic")? - 7.7790895972714162).abs() < 1e-12);
/// assert!((r.p_value - 0.020454654905891503).abs() < 1e-13);
/// assert_eq!(r.method, "Pearson's Chi-squared test");
/// # Ok(()) }
/// ```
pub fn chisq_test(t: &[Vec<f64>], continuity: Continuity) -> Result<TestResult, TwoSampleError> {
    let (rows, cols, n) = margins(t)?;
    let yates = continuity.corrected() && rows.len() == 2 && cols.len() == 2;
    let mut stat = 0.0;
    for (i, row) in t.iter().enumerate() {
        for (j, &o) in row.iter().enumerate() {
            let e = rows[i] * cols[j] / n;
            let d = (o - e).abs();
            let y = if yates { d.min(0.5) } else { 0.0 };
            stat += (d - y) * (d - y) / e;
        }
    }
    let df = ((rows.len() - 1) * (cols.len() - 1)) as f64;
    Ok(TestResult {
        test: "chisq".into(),
        statistic: Some(stat),
        df: Some(df),
        df2: None,
        p_value: chisq_sf(stat, df)?,
        estimate: None,
        ci: None,
        method: if yates {
            "Pearson's Chi-squared test with Yates' continuity correction".into()
        } else {
            "Pearson's Chi-squared test".into()
        },
    })
}

fn ln_fact(k: f64) -> f64 {
    ln_gamma(k + 1.0)
}

/// Relative tolerance of R's `fisher.test` when comparing table probabilities with the observed.
const REL_ERR: f64 = 1.0 + 1e-7;

/// Fisher's exact test (R `fisher.test`) with the default [`FisherControl`]: see
/// [`fisher_test_with`].
///
/// # Errors
/// As [`fisher_test_with`].
///
/// # Examples
/// ```
/// use trialstats_core::Level;
/// use trialstats_twosample::fisher_test;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let t = vec![vec![12.0, 5.0], vec![7.0, 9.0]];
/// let r = fisher_test(&t, Level::P95)?;
/// // R: fisher.test(matrix(c(12, 5, 7, 9), 2, byrow = TRUE))$p.value = 0.16632006577356481
/// assert!((r.p_value - 0.16632006577356481).abs() < 1e-12);
/// // Conditional MLE and interval: R's fisher.test prints 2.9765472718138053 and
/// // 0.59926248073703337 to 16.645480216467806 (uniroot at its default tolerance); the same
/// // equations solved in R with uniroot(tol = 1e-14) give 2.9767805239020899 and
/// // 0.5992659658363656 to 16.647372273873351.
/// assert!((r.estimate.ok_or("no estimate")? / 2.9767805239020899 - 1.0).abs() < 1e-9);
/// let (lo, hi) = r.ci.ok_or("no interval")?;
/// assert!((lo / 0.5992659658363656 - 1.0).abs() < 1e-9);
/// assert!((hi / 16.647372273873351 - 1.0).abs() < 1e-9);
/// # Ok(()) }
/// ```
pub fn fisher_test(t: &[Vec<f64>], level: Level) -> Result<TestResult, TwoSampleError> {
    fisher_test_with(t, level, &FisherControl::default())
}

/// Fisher's exact test (R `fisher.test`): two-sided p-value = Σ P(table) over the tables with
/// the observed margins and P(table) ≤ P(observed), with R's tolerances (relative 10⁻⁷ on 2 × 2;
/// FEXACT's 3.45·10⁻⁷ on the log scale otherwise).
///
/// - 2 × 2: the hypergeometric distribution, with the conditional maximum-likelihood odds ratio
///   and its `level` interval (roots of the noncentral hypergeometric tails, found here to full
///   precision; R's `uniroot` stops at about 1e−4).
/// - r × c: the network algorithm ([`crate::fisher`]); when it needs more than
///   `control.workspace`, the seeded Monte Carlo p-value of `control.fallback` (R's
///   `simulate.p.value = TRUE`), named in the method.
///
/// # References
/// Fisher (1935), JRSS 98(1):39–82; Agresti (2002), *Categorical Data Analysis*, 2nd ed., §3.5;
/// Mehta & Patel (1983), JASA 78:427–434.
///
/// # Errors
/// As [`chisq_test`]; [`TwoSampleError::NotFeasible`] when the network exceeds the workspace and
/// there is no fallback.
///
/// # Examples
/// ```
/// use trialstats_twosample::fisher_test;
/// // R: fisher.test(matrix(c(3, 1, 4, 1, 5, 9, 2, 6, 5), 3, byrow = TRUE))$p.value
/// let t = vec![vec![3.0, 1.0, 4.0], vec![1.0, 5.0, 9.0], vec![2.0, 6.0, 5.0]];
/// let r = fisher_test(&t, trialstats_core::Level::P95).unwrap();
/// assert!((r.p_value - 0.28236022876835382).abs() < 1e-6);
/// ```
pub fn fisher_test_with(
    t: &[Vec<f64>],
    level: Level,
    control: &FisherControl,
) -> Result<TestResult, TwoSampleError> {
    let level = level.value();
    let (rows, cols, _) = margins(t)?;
    if !(level > 0.0 && level < 1.0) {
        return Err(InputError::OutOfRange {
            field: "level".into(),
            value: level,
            expected: "0 < level < 1".into(),
        }
        .into());
    }
    if let Some(mc) = control.fallback {
        if mc.reps == 0 || mc.reps > crate::fisher::MAX_MONTE_CARLO_REPS {
            return Err(InputError::OutOfRange {
                field: "Monte Carlo replicates".into(),
                value: mc.reps as f64,
                expected: format!("1 to {}", crate::fisher::MAX_MONTE_CARLO_REPS),
            }
            .into());
        }
    }
    // The 2 × 2 support, the network and the simulation are all as long as the total: bounded (a table of 1e9
    // counts would ask for 8 GB; its exact test is no use at that size anyway).
    let total: f64 = rows.iter().sum();
    if total > crate::fisher::MAX_TOTAL as f64 {
        return Err(TwoSampleError::TotalTooLarge {
            total,
            limit: crate::fisher::MAX_TOTAL,
        });
    }
    if rows.len() == 2 && cols.len() == 2 {
        return Ok(fisher_2x2(t[0][0], rows[0], rows[1], cols[0], level));
    }
    let counts: Vec<Vec<u64>> = t
        .iter()
        .map(|row| row.iter().map(|&v| v as u64).collect())
        .collect();
    let (p, method) = match crate::fisher::p_value(&counts, control) {
        FisherP::Exact(p) => (p, "Fisher's Exact Test for Count Data".to_string()),
        FisherP::Simulated { p, reps, seed } => (
            p,
            format!(
                "Fisher's Exact Test for Count Data with simulated p-value (based on {reps} replicates, seed {seed}; the exact network exceeded its workspace of {} entries)",
                control.workspace
            ),
        ),
        FisherP::TooLarge => {
            return Err(TwoSampleError::NotFeasible {
                rows: rows.len(),
                cols: cols.len(),
            });
        }
    };
    Ok(TestResult {
        test: "fisher".into(),
        statistic: None,
        df: None,
        df2: None,
        p_value: p,
        estimate: None,
        ci: None,
        method,
    })
}

/// The 2 × 2 case: x = cell (1, 1), m = row 1 total, n = row 2 total, k = column 1 total.
fn fisher_2x2(x: f64, m: f64, n: f64, k: f64, level: f64) -> TestResult {
    let lo = (k - n).max(0.0) as i64;
    let hi = k.min(m) as i64;
    let support: Vec<f64> = (lo..=hi).map(|v| v as f64).collect();
    // log dhyper(i; m, n, k) = ln C(m, i) + ln C(n, k − i) − ln C(m + n, k)
    let logd: Vec<f64> = support
        .iter()
        .map(|&i| {
            ln_fact(m) - ln_fact(i) - ln_fact(m - i) + ln_fact(n)
                - ln_fact(k - i)
                - ln_fact(n - k + i)
                - ln_fact(m + n)
                + ln_fact(k)
                + ln_fact(m + n - k)
        })
        .collect();
    let xi = (x as i64 - lo) as usize;
    let p = {
        let d: Vec<f64> = logd.iter().map(|v| v.exp()).collect();
        let dx = d[xi];
        d.iter()
            .filter(|&&v| v <= dx * REL_ERR)
            .sum::<f64>()
            .min(1.0)
    };
    // Noncentral hypergeometric: P(i; ψ) ∝ dhyper(i)·ψ^i.
    let dn = |psi: f64| -> Vec<f64> {
        let lp: Vec<f64> = logd
            .iter()
            .zip(&support)
            .map(|(l, &i)| l + i * psi.ln())
            .collect();
        let mx = lp.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = lp.iter().map(|v| (v - mx).exp()).collect();
        let s: f64 = e.iter().sum();
        e.iter().map(|v| v / s).collect()
    };
    let mean = |psi: f64| -> f64 { dn(psi).iter().zip(&support).map(|(p, i)| p * i).sum() };
    let upper_tail = |psi: f64| -> f64 { dn(psi)[xi..].iter().sum() }; // P(X ≥ x)
    let lower_tail = |psi: f64| -> f64 { dn(psi)[..=xi].iter().sum() }; // P(X ≤ x)
    // Solve f(ψ) = target on ln ψ by bisection (f monotone in ψ).
    let solve = |f: &dyn Fn(f64) -> f64, target: f64, increasing: bool| -> f64 {
        let (mut a, mut b) = (-50.0f64, 50.0f64);
        for _ in 0..200 {
            let mid = 0.5 * (a + b);
            let v = f(mid.exp());
            if (v < target) == increasing {
                a = mid;
            } else {
                b = mid;
            }
            if b - a < 1e-13 {
                break;
            }
        }
        (0.5 * (a + b)).exp()
    };
    let alpha = (1.0 - level) / 2.0;
    let estimate = if xi == 0 {
        0.0
    } else if xi == support.len() - 1 {
        f64::INFINITY
    } else {
        solve(&mean, x, true)
    };
    let ci_low = if xi == 0 {
        0.0
    } else {
        solve(&upper_tail, alpha, true)
    };
    let ci_high = if xi == support.len() - 1 {
        f64::INFINITY
    } else {
        solve(&lower_tail, alpha, false)
    };
    TestResult {
        test: "fisher".into(),
        statistic: None,
        df: None,
        df2: None,
        p_value: p,
        estimate: Some(estimate),
        ci: Some((ci_low, ci_high)),
        method: "Fisher's Exact Test for Count Data".into(),
    }
}
