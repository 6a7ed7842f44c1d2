//! Descriptive statistics and the Table 1 of a trial report.

use serde::{Deserialize, Serialize};
use trialstats_core::table::{Align, Table, fmt_p};

use crate::error::TwoSampleError;
use crate::table::{chisq_test, fisher_test};
use crate::tests::{TestResult, t_test, wilcox_test};

/// Summary of a numeric variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Numeric {
    /// Non-missing values.
    pub n: usize,
    /// Missing values.
    pub missing: usize,
    /// Mean.
    pub mean: f64,
    /// Standard deviation (n − 1); `None` for a single value.
    pub sd: Option<f64>,
    /// Median.
    pub median: f64,
    /// First quartile (R's default quantile type 7).
    pub q1: f64,
    /// Third quartile (type 7).
    pub q3: f64,
    /// Minimum.
    pub min: f64,
    /// Maximum.
    pub max: f64,
}

/// Quantile of sorted values by R's default definition (type 7): x[(n−1)p] interpolated;
/// `None` for no values or p outside [0, 1].
pub fn quantile7(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 || !(0.0..=1.0).contains(&p) {
        return None;
    }
    let h = (n - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

/// Describes a numeric variable (missing values counted, not used).
///
/// # Errors
/// [`TwoSampleError::TooFew`] when no value is present.
pub fn describe(values: &[Option<f64>]) -> Result<Numeric, TwoSampleError> {
    let mut v: Vec<f64> = values.iter().flatten().copied().collect();
    if v.is_empty() {
        return Err(TwoSampleError::TooFew {
            group: "values",
            n: 0,
            needed: 1,
        });
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let mean = v.iter().sum::<f64>() / n as f64;
    let sd = (n > 1)
        .then(|| (v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64).sqrt());
    Ok(Numeric {
        n,
        missing: values.len() - n,
        mean,
        sd,
        median: quantile7(&v, 0.5).unwrap_or(v[0]),
        q1: quantile7(&v, 0.25).unwrap_or(v[0]),
        q3: quantile7(&v, 0.75).unwrap_or(v[0]),
        min: v[0],
        max: v[n - 1],
    })
}

/// How a continuous variable is summarised and tested in Table 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Continuous {
    /// Mean (SD) with Welch's t test (R's default `t.test`).
    MeanSdWelch,
    /// Mean (SD) with Student's t test.
    MeanSdStudent,
    /// Median [IQR] with the Wilcoxon rank-sum test.
    MedianIqrWilcoxon,
}

/// A variable of Table 1.
#[derive(Debug, Clone, PartialEq)]
pub enum Table1Variable<'a> {
    /// A continuous variable.
    Continuous {
        /// Row label.
        name: &'a str,
        /// One value per participant (`None` missing).
        values: &'a [Option<f64>],
        /// Summary and test.
        kind: Continuous,
    },
    /// A categorical variable: n (%) per level with a chi-square (or Fisher) test.
    Categorical {
        /// Row label.
        name: &'a str,
        /// Level code per participant.
        codes: &'a [Option<usize>],
        /// Level labels.
        levels: &'a [String],
        /// Use Fisher's exact test instead of chi-square.
        fisher: bool,
    },
}

/// Builds Table 1: one column per group (with its n), the summary per type, the test and p.
///
/// `group` holds 0 or 1 per participant (`None`: not in either column).
///
/// # Errors
/// The tests' errors (too few observations, zero variance, an empty margin).
pub fn table1(
    group: &[Option<usize>],
    labels: [&str; 2],
    vars: &[Table1Variable<'_>],
) -> Result<(Table, Vec<Option<TestResult>>), TwoSampleError> {
    let n = [0usize, 1].map(|g| group.iter().filter(|v| **v == Some(g)).count());
    let mut t = Table::new(&[
        "variable",
        &format!("{} (n = {})", labels[0], n[0]),
        &format!("{} (n = {})", labels[1], n[1]),
        "test",
        "p",
    ]);
    t.set_align(0, Align::Left);
    t.set_align(3, Align::Left);
    let mut results = Vec::new();
    for var in vars {
        match var {
            Table1Variable::Continuous { name, values, kind } => {
                let split = |g: usize| -> Vec<Option<f64>> {
                    values
                        .iter()
                        .zip(group)
                        .filter(|(_, gr)| **gr == Some(g))
                        .map(|(v, _)| *v)
                        .collect()
                };
                let (a, b) = (split(0), split(1));
                let (da, db) = (describe(&a)?, describe(&b)?);
                let fa: Vec<f64> = a.iter().flatten().copied().collect();
                let fb: Vec<f64> = b.iter().flatten().copied().collect();
                let median = matches!(kind, Continuous::MedianIqrWilcoxon);
                let cell = |d: &Numeric| {
                    if median {
                        format!("{:.1} [{:.1}, {:.1}]", d.median, d.q1, d.q3)
                    } else {
                        match d.sd {
                            Some(sd) => format!("{:.1} ({sd:.1})", d.mean),
                            None => format!("{:.1} (–)", d.mean),
                        }
                    }
                };
                let r = match kind {
                    Continuous::MedianIqrWilcoxon => wilcox_test(&fa, &fb, None, true)?,
                    Continuous::MeanSdStudent => t_test(&fa, &fb, true, 0.95)?,
                    Continuous::MeanSdWelch => t_test(&fa, &fb, false, 0.95)?,
                };
                let missing = da.missing + db.missing;
                let label = if missing > 0 {
                    format!("{name} (missing {missing})")
                } else {
                    (*name).to_string()
                };
                t.push_row(vec![
                    label,
                    cell(&da),
                    cell(&db),
                    r.method.clone(),
                    fmt_p(r.p_value),
                ]);
                results.push(Some(r));
            }
            Table1Variable::Categorical {
                name,
                codes,
                levels,
                fisher,
            } => {
                let mut counts = vec![[0.0f64; 2]; levels.len()];
                for (c, g) in codes.iter().zip(group) {
                    if let (Some(c), Some(g)) = (c, g) {
                        if let Some(row) = counts.get_mut(*c) {
                            row[(*g).min(1)] += 1.0;
                        }
                    }
                }
                let present: Vec<[f64; 2]> = counts
                    .iter()
                    .copied()
                    .filter(|r| r[0] + r[1] > 0.0)
                    .collect();
                let tab: Vec<Vec<f64>> = present.iter().map(|r| vec![r[0], r[1]]).collect();
                let r = if *fisher {
                    fisher_test(&tab, 0.95)?
                } else {
                    chisq_test(&tab, true)?
                };
                let tot = [
                    counts.iter().map(|r| r[0]).sum::<f64>(),
                    counts.iter().map(|r| r[1]).sum::<f64>(),
                ];
                t.push_row(vec![
                    (*name).to_string(),
                    String::new(),
                    String::new(),
                    r.method.clone(),
                    fmt_p(r.p_value),
                ]);
                for (level, row) in levels.iter().zip(&counts) {
                    let cell =
                        |g: usize| format!("{} ({:.1}%)", row[g], 100.0 * row[g] / tot[g].max(1.0));
                    t.push_row(vec![
                        format!("  {level}"),
                        cell(0),
                        cell(1),
                        String::new(),
                        String::new(),
                    ]);
                }
                results.push(Some(r));
            }
        }
    }
    t.title = Some("Table 1. Baseline characteristics by group".into());
    t.notes
        .push("Mean (SD), median [IQR] or n (%); tests as named, two-sided.".into());
    Ok((t, results))
}
