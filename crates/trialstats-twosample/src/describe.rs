//! Descriptive statistics and the Table 1 of a trial report.

use serde::{Deserialize, Serialize};
use trialstats_core::Level;
use trialstats_core::table::{Align, Table, fmt_p, num_cell, opt_cell};

use crate::error::TwoSampleError;
use crate::kgroups::{kruskal_wallis, oneway};
use crate::options::{Continuity, Exact, Variances};
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
///
/// # Examples
/// ```
/// use trialstats_twosample::quantile7;
/// let v = [1.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 9.0]; // sorted
/// // R: quantile(c(3, 1, 4, 1, 5, 9, 2, 6), c(0.1, 0.25, 0.5, 0.75)) = 1, 1.75, 3.5, 5.25
/// assert_eq!(quantile7(&v, 0.1), Some(1.0));
/// assert_eq!(quantile7(&v, 0.25), Some(1.75));
/// assert_eq!(quantile7(&v, 0.5), Some(3.5));
/// assert_eq!(quantile7(&v, 0.75), Some(5.25));
/// assert_eq!(quantile7(&v, 1.5), None);
/// ```
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
///
/// # Examples
/// ```
/// use trialstats_twosample::describe;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let v = [Some(3.0), Some(1.0), None, Some(4.0), Some(1.0), Some(5.0), Some(9.0), Some(2.0), Some(6.0)];
/// let d = describe(&v)?;
/// assert_eq!((d.n, d.missing, d.min, d.max), (8, 1, 1.0, 9.0));
/// // R: x <- c(3, 1, 4, 1, 5, 9, 2, 6); mean(x) = 3.875; sd(x) = 2.7483761439387129;
/// // quantile(x, c(0.25, 0.5, 0.75)) = 1.75, 3.5, 5.25
/// assert!((d.mean - 3.875).abs() < 1e-15);
/// assert!((d.sd.ok_or("no sd")? - 2.7483761439387129).abs() < 1e-14);
/// assert_eq!((d.q1, d.median, d.q3), (1.75, 3.5, 5.25));
/// # Ok(()) }
/// ```
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
    let (mean, sd) = trialstats_core::stats::mean_sd(&v).unwrap_or((f64::NAN, f64::NAN));
    let sd = (n > 1).then_some(sd);
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
    /// Median \[IQR\] with the Wilcoxon rank-sum test (R's `wilcox.test` defaults: exact below
    /// 50 observations without ties, otherwise normal with a continuity correction).
    MedianIqrWilcoxon,
    /// Median \[IQR\] with Stata's `ranksum`: the normal approximation with the tie-corrected
    /// variance and no continuity correction (R `wilcox.test(exact = FALSE, correct = FALSE)`).
    MedianIqrRanksum,
}

/// The test of a categorical row of Table 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Categorical {
    /// Pearson's χ² on the levels × groups table; the continuity correction applies to 2 × 2
    /// tables only (R `chisq.test` corrects them by default; Stata `tabulate, chi2` never does).
    ChiSquare(Continuity),
    /// Fisher's exact test.
    Fisher,
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
        /// The test.
        test: Categorical,
    },
}

/// The columns of Table 1's numeric form ([`Table::numeric`]): one row per variable, level and
/// group; `n` is the group's non-missing count (a categorical row: those with any level).
const NUMERIC_HEADER: [&str; 17] = [
    "variable",
    "level",
    "group",
    "n",
    "missing",
    "mean",
    "sd",
    "median",
    "q1",
    "q3",
    "count",
    "percent",
    "test",
    "statistic",
    "df",
    "df2",
    "p",
];

/// The test columns of a numeric Table 1 row.
fn test_cells(r: &TestResult) -> [String; 5] {
    [
        r.test.clone(),
        opt_cell(r.statistic),
        opt_cell(r.df),
        opt_cell(r.df2),
        num_cell(r.p_value),
    ]
}

/// Builds Table 1: one column per group (with its n), the summary per type, the test and p.
///
/// `group` holds the group's position in `labels` per participant (`None`: in no column). The
/// tests, two groups / more than two:
/// - mean (SD), Welch: Welch's t / Welch's one-way ANOVA (R `oneway.test`);
/// - mean (SD), Student: Student's t / one-way ANOVA (Stata `oneway`);
/// - median \[IQR\]: the Wilcoxon rank-sum test as R or as Stata's `ranksum` / Kruskal–Wallis
///   (Stata `kwallis`);
/// - n (%): Pearson's χ² (with or without Yates' correction on 2 × 2, [`Categorical`]) or
///   Fisher's exact test, on the levels × groups table.
///
/// The table's [`Table::numeric`] holds the same results as numbers, one row per variable,
/// level and group: n, missing, mean, sd, median, q1, q3, count, percent, and the test's name,
/// statistic, df and p (repeated on each row of the variable).
///
/// # Errors
/// The tests' errors (too few observations, zero variance, an empty margin);
/// [`TwoSampleError::TooFew`] for fewer than two groups.
///
/// # Examples
/// ```
/// use trialstats_twosample::{Continuous, Table1Variable, table1};
/// let group = [Some(0), Some(1), Some(2), Some(0), Some(1), Some(2), Some(0), Some(1), Some(2)];
/// let age = [Some(61.0), Some(58.0), Some(63.5), Some(66.0), Some(60.0), Some(59.0), Some(70.0),
///            Some(55.0), Some(64.0)];
/// let vars = [Table1Variable::Continuous { name: "age", values: &age, kind: Continuous::MeanSdStudent }];
/// let (t, tests) = table1(&group, &["usual care", "peer support", "peer + text"], &vars).unwrap();
/// assert_eq!(t.header[1], "usual care (n = 3)");
/// assert_eq!(t.header.len(), 6); // variable, three groups, test, p
/// assert_eq!(tests[0].as_ref().unwrap().test, "anova");
/// // The numbers behind the cells: the usual-care row has n 3 and mean (61 + 66 + 70) / 3.
/// let numeric = t.numeric.as_ref().unwrap();
/// assert_eq!(numeric.rows.len(), 3);
/// assert_eq!(&numeric.rows[0][..6], ["age", "", "usual care", "3", "0", "65.66666666666667"]);
/// ```
///
/// Two groups, a median (IQR) row and a categorical row tested by Fisher's exact test:
/// ```
/// use trialstats_twosample::{Categorical, Continuous, Table1Variable, table1};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let group = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1].map(Some);
/// let age = [61.0, 66.0, 70.0, 58.0, 64.0, 59.0, 55.0, 60.0, 57.0, 52.0, 63.0, 54.0].map(Some);
/// let smoker = [1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 1, 1].map(Some);
/// let levels = ["no".to_string(), "yes".to_string()];
/// let vars = [
///     Table1Variable::Continuous { name: "age", values: &age, kind: Continuous::MedianIqrWilcoxon },
///     Table1Variable::Categorical { name: "smoker", codes: &smoker, levels: &levels, test: Categorical::Fisher },
/// ];
/// let (t, tests) = table1(&group, &["control", "intervention"], &vars)?;
/// // R: quantile(c(61, 66, 70, 58, 64, 59)) has median 62.5, quartiles 59.5 and 65.5
/// assert_eq!(t.rows[0][1], "62.5 [59.5, 65.5]");
/// // R: wilcox.test(c(61, 66, 70, 58, 64, 59), c(55, 60, 57, 52, 63, 54))$p.value = 0.041125541125541128
/// assert!((tests[0].as_ref().ok_or("no test")?.p_value - 0.041125541125541128).abs() < 1e-14);
/// // R: fisher.test(matrix(c(4, 1, 2, 5), 2, byrow = TRUE))$p.value = 0.24242424242424224
/// assert!((tests[1].as_ref().ok_or("no test")?.p_value - 0.24242424242424224).abs() < 1e-12);
/// assert_eq!(t.rows[2][1], "4 (66.7%)"); // the "no" row of the control group
/// # Ok(()) }
/// ```
pub fn table1(
    group: &[Option<usize>],
    labels: &[&str],
    vars: &[Table1Variable<'_>],
) -> Result<(Table, Vec<Option<TestResult>>), TwoSampleError> {
    let k = labels.len();
    if k < 2 {
        return Err(TwoSampleError::TooFew {
            group: "groups",
            n: k,
            needed: 2,
        });
    }
    let n: Vec<usize> = (0..k)
        .map(|g| group.iter().filter(|v| **v == Some(g)).count())
        .collect();
    let mut header: Vec<String> = vec!["variable".into()];
    header.extend(labels.iter().zip(&n).map(|(l, n)| format!("{l} (n = {n})")));
    header.extend(["test".into(), "p".into()]);
    let mut t = Table::new(&header.iter().map(String::as_str).collect::<Vec<_>>());
    t.set_align(0, Align::Left);
    t.set_align(k + 1, Align::Left);
    let mut results = Vec::new();
    let mut numeric = Table::new(&NUMERIC_HEADER);
    for var in vars {
        match var {
            Table1Variable::Continuous { name, values, kind } => {
                let split: Vec<Vec<Option<f64>>> = (0..k)
                    .map(|g| {
                        values
                            .iter()
                            .zip(group)
                            .filter(|(_, gr)| **gr == Some(g))
                            .map(|(v, _)| *v)
                            .collect()
                    })
                    .collect();
                let described = split
                    .iter()
                    .map(|v| describe(v))
                    .collect::<Result<Vec<_>, _>>()?;
                let present: Vec<Vec<f64>> = split
                    .iter()
                    .map(|v| v.iter().flatten().copied().collect())
                    .collect();
                let slices: Vec<&[f64]> = present.iter().map(Vec::as_slice).collect();
                let median = matches!(
                    kind,
                    Continuous::MedianIqrWilcoxon | Continuous::MedianIqrRanksum
                );
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
                let r = match (kind, k) {
                    (Continuous::MedianIqrWilcoxon, 2) => {
                        wilcox_test(slices[0], slices[1], Exact::Auto, Continuity::Corrected)?
                    }
                    (Continuous::MedianIqrRanksum, 2) => {
                        wilcox_test(slices[0], slices[1], Exact::Never, Continuity::Uncorrected)?
                    }
                    (Continuous::MedianIqrWilcoxon | Continuous::MedianIqrRanksum, _) => {
                        kruskal_wallis(&slices)?.test
                    }
                    (Continuous::MeanSdStudent, 2) => {
                        t_test(slices[0], slices[1], Variances::Equal, Level::P95)?
                    }
                    (Continuous::MeanSdStudent, _) => oneway(&slices, Variances::Equal)?,
                    (Continuous::MeanSdWelch, 2) => {
                        t_test(slices[0], slices[1], Variances::Unequal, Level::P95)?
                    }
                    (Continuous::MeanSdWelch, _) => oneway(&slices, Variances::Unequal)?,
                };
                let missing: usize = described.iter().map(|d| d.missing).sum();
                let label = if missing > 0 {
                    format!("{name} (missing {missing})")
                } else {
                    (*name).to_string()
                };
                let mut row = vec![label];
                row.extend(described.iter().map(cell));
                row.extend([r.method.clone(), fmt_p(r.p_value)]);
                t.push_row(row);
                for (d, group) in described.iter().zip(labels) {
                    let mut row = vec![(*name).to_string(), String::new(), (*group).to_string()];
                    row.extend([d.n as f64, d.missing as f64, d.mean].map(num_cell));
                    row.push(opt_cell(d.sd));
                    row.extend([d.median, d.q1, d.q3].map(num_cell));
                    row.extend([String::new(), String::new()]);
                    row.extend(test_cells(&r));
                    numeric.push_row(row);
                }
                results.push(Some(r));
            }
            Table1Variable::Categorical {
                name,
                codes,
                levels,
                test,
            } => {
                let mut counts = vec![vec![0.0f64; k]; levels.len()];
                for (c, g) in codes.iter().zip(group) {
                    if let (Some(c), Some(g)) = (c, g) {
                        if let Some(row) = counts.get_mut(*c) {
                            if let Some(cell) = row.get_mut(*g) {
                                *cell += 1.0;
                            }
                        }
                    }
                }
                let tab: Vec<Vec<f64>> = counts
                    .iter()
                    .filter(|r| r.iter().sum::<f64>() > 0.0)
                    .cloned()
                    .collect();
                // One level observed (everyone a non-smoker, say): the counts, and no test
                // (Stata's tabulate prints no chi-square for a table with one row either).
                let r = if tab.len() < 2 {
                    None
                } else {
                    Some(match test {
                        Categorical::Fisher => fisher_test(&tab, Level::P95)?,
                        Categorical::ChiSquare(continuity) => chisq_test(&tab, *continuity)?,
                    })
                };
                let missing: Vec<usize> = (0..k)
                    .map(|g| {
                        codes
                            .iter()
                            .zip(group)
                            .filter(|(c, gr)| **gr == Some(g) && c.is_none())
                            .count()
                    })
                    .collect();
                let tot: Vec<f64> = (0..k)
                    .map(|g| counts.iter().map(|r| r[g]).sum::<f64>())
                    .collect();
                let mut row = vec![(*name).to_string()];
                row.extend((0..k).map(|_| String::new()));
                match &r {
                    Some(r) => row.extend([r.method.clone(), fmt_p(r.p_value)]),
                    None => row.extend(["— (one level observed)".to_string(), String::new()]),
                }
                t.push_row(row);
                for (level, counts) in levels.iter().zip(&counts) {
                    let mut row = vec![format!("  {level}")];
                    row.extend((0..k).map(|g| {
                        format!(
                            "{} ({:.1}%)",
                            counts[g],
                            100.0 * counts[g] / tot[g].max(1.0)
                        )
                    }));
                    row.extend([String::new(), String::new()]);
                    t.push_row(row);
                    for (g, group) in labels.iter().enumerate() {
                        let mut row =
                            vec![(*name).to_string(), level.clone(), (*group).to_string()];
                        row.extend([num_cell(tot[g]), num_cell(missing[g] as f64)]);
                        row.extend((0..5).map(|_| String::new()));
                        row.extend([counts[g], 100.0 * counts[g] / tot[g].max(1.0)].map(num_cell));
                        match &r {
                            Some(r) => row.extend(test_cells(r)),
                            None => row.extend((0..5).map(|_| String::new())),
                        }
                        numeric.push_row(row);
                    }
                }
                results.push(r);
            }
        }
    }
    t.numeric = Some(Box::new(numeric));
    t.title = Some("Table 1. Baseline characteristics by group".into());
    t.notes
        .push("Mean (SD), median [IQR] or n (%); tests as named, two-sided.".into());
    Ok((t, results))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_categorical_variable_with_one_level_shows_its_counts_and_no_test() {
        let group = [0, 0, 1, 1, 1].map(Some);
        let codes = [0, 0, 0, 0, 0].map(Some);
        let levels = ["no".to_string(), "yes".to_string()];
        let vars = [Table1Variable::Categorical {
            name: "smoker",
            codes: &codes,
            levels: &levels,
            test: Categorical::ChiSquare(Continuity::Uncorrected),
        }];
        let (t, tests) = table1(&group, &["a", "b"], &vars).unwrap();
        assert_eq!(tests, [None]);
        assert_eq!(t.rows[0][3], "— (one level observed)");
        assert_eq!(t.rows[1][1..3], ["2 (100.0%)", "3 (100.0%)"]);
    }

    #[test]
    fn stata_conventions_match_r_without_corrections() {
        // Stata's ranksum and tabulate, chi2 equal R's wilcox.test(exact = FALSE, correct =
        // FALSE) and chisq.test(correct = FALSE); R 4.2.2:
        // a <- c(61, 66, 70, 58, 64, 59); b <- c(55, 60, 57, 52, 63, 54)
        // wilcox.test(a, b, exact = FALSE, correct = FALSE)$p.value = 0.037372988340651482
        // chisq.test(table(smoker, arm), correct = FALSE)$p.value = 0.078982579263783173
        let group = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1].map(Some);
        let age = [
            61.0, 66.0, 70.0, 58.0, 64.0, 59.0, 55.0, 60.0, 57.0, 52.0, 63.0, 54.0,
        ]
        .map(Some);
        let smoker = [1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 1, 1].map(Some);
        let levels = ["no".to_string(), "yes".to_string()];
        let vars = [
            Table1Variable::Continuous {
                name: "age",
                values: &age,
                kind: Continuous::MedianIqrRanksum,
            },
            Table1Variable::Categorical {
                name: "smoker",
                codes: &smoker,
                levels: &levels,
                test: Categorical::ChiSquare(Continuity::Uncorrected),
            },
        ];
        let (_, tests) = table1(&group, &["control", "intervention"], &vars).unwrap();
        let p = |i: usize| tests[i].as_ref().unwrap().p_value;
        assert!((p(0) - 0.037_372_988_340_651_482).abs() < 1e-15, "{}", p(0));
        assert!((p(1) - 0.078_982_579_263_783_173).abs() < 1e-15, "{}", p(1));
    }
}
