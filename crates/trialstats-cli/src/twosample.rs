//! `trialstats test` and `trialstats table1`.

use clap::{Args, ValueEnum};
use serde_json::json;
use trialstats_data::{ColumnData, DataTable};
use trialstats_twosample::{
    Continuous, Table1Variable, TestResult, chisq_test, fisher_test, hodges_lehmann, t_test,
    table1, wilcox_test,
};

use crate::commands::read_table;
use crate::error::CliError;
use crate::output::{Format, render_json, render_table};

/// Options of `trialstats test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Which test.
    #[arg(value_enum)]
    pub test: TestKind,
    /// CSV file.
    #[arg(long)]
    pub data: String,
    /// The variable compared.
    #[arg(long)]
    pub var: String,
    /// The grouping column (exactly two levels).
    #[arg(long)]
    pub by: String,
    /// Wilcoxon: force the exact distribution (R's `exact = TRUE`).
    #[arg(long)]
    pub exact: bool,
    /// Wilcoxon and chi-square: no continuity correction.
    #[arg(long)]
    pub no_correct: bool,
}

/// The tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TestKind {
    /// Student's t (equal variances).
    Ttest,
    /// Welch's t.
    Welch,
    /// Wilcoxon rank-sum.
    Wilcoxon,
    /// Pearson chi-square on the var × by table.
    Chisq,
    /// Fisher's exact test on the var × by table.
    Fisher,
}

/// Options of `trialstats table1`.
#[derive(Debug, Args)]
pub struct Table1Args {
    /// CSV file.
    #[arg(long)]
    pub data: String,
    /// The grouping column (exactly two levels).
    #[arg(long)]
    pub by: String,
    /// Variables to show (default: every column but --by), comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub vars: Vec<String>,
    /// Numeric variables summarised by median [IQR] with the Wilcoxon test, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub nonparametric: Vec<String>,
}

/// The two groups of `by`: codes 0/1 per row (`None` for missing), and their labels.
fn groups(table: &DataTable, by: &str) -> Result<(Vec<Option<usize>>, Vec<String>), CliError> {
    let col = table.column(by)?;
    let n = table.nrows();
    let text: Vec<Option<String>> = (0..n).map(|i| col.data.text(i)).collect();
    let mut labels: Vec<String> = text.iter().flatten().cloned().collect();
    labels.sort();
    labels.dedup();
    if let ColumnData::Numeric(v) = &col.data {
        // Numeric codes sort numerically.
        let mut nums: Vec<f64> = v.iter().flatten().copied().collect();
        nums.sort_by(f64::total_cmp);
        nums.dedup_by(|a, b| a.total_cmp(b).is_eq());
        labels = nums.iter().map(|x| format!("{x}")).collect();
    }
    if labels.len() != 2 {
        return Err(CliError::GroupLevels {
            path: table.source().to_owned(),
            column: by.to_owned(),
            levels: labels,
            needed: "exactly two are needed",
        });
    }
    let codes = text
        .iter()
        .map(|t| t.as_ref().and_then(|s| labels.iter().position(|l| l == s)))
        .collect();
    Ok((codes, labels))
}

fn split(values: &[Option<f64>], g: &[Option<usize>], which: usize) -> Vec<f64> {
    values
        .iter()
        .zip(g)
        .filter_map(|(v, gr)| if *gr == Some(which) { *v } else { None })
        .collect()
}

/// A var × by contingency table (levels of var as rows).
fn contingency(
    table: &DataTable,
    var: &str,
    g: &[Option<usize>],
) -> Result<Vec<Vec<f64>>, CliError> {
    let col = table.column(var)?;
    let n = table.nrows();
    let text: Vec<Option<String>> = (0..n).map(|i| col.data.text(i)).collect();
    let mut levels: Vec<String> = text.iter().flatten().cloned().collect();
    levels.sort();
    levels.dedup();
    let mut t = vec![vec![0.0; 2]; levels.len()];
    for (v, gr) in text.iter().zip(g) {
        if let (Some(v), Some(gr)) = (v, gr) {
            if let Some(r) = levels.iter().position(|l| l == v) {
                t[r][*gr] += 1.0;
            }
        }
    }
    Ok(t)
}

/// Runs `trialstats test`.
pub fn run_test(args: &TestArgs, format: Format) -> Result<String, CliError> {
    let table = read_table(&args.data)?;
    let (g, labels) = groups(&table, &args.by)?;
    let r: TestResult = match args.test {
        TestKind::Ttest | TestKind::Welch | TestKind::Wilcoxon => {
            let v = table.numeric(&args.var)?;
            let (x, y) = (split(v, &g, 0), split(v, &g, 1));
            match args.test {
                TestKind::Wilcoxon => {
                    let exact = if args.exact { Some(true) } else { None };
                    let mut r = wilcox_test(&x, &y, exact, !args.no_correct)?;
                    let (est, ci) = hodges_lehmann(&x, &y, 0.95, exact, !args.no_correct)?;
                    r.estimate = Some(est);
                    r.ci = Some(ci);
                    r
                }
                k => t_test(&x, &y, k == TestKind::Ttest, 0.95)?,
            }
        }
        TestKind::Chisq => chisq_test(&contingency(&table, &args.var, &g)?, !args.no_correct)?,
        TestKind::Fisher => fisher_test(&contingency(&table, &args.var, &g)?, 0.95)?,
    };
    let name = match args.test {
        TestKind::Ttest => "ttest",
        TestKind::Welch => "welch",
        TestKind::Wilcoxon => "wilcoxon",
        TestKind::Chisq => "chisq",
        TestKind::Fisher => "fisher",
    };
    Ok(match format {
        Format::Json => render_json(&json!({
            "test": name, "statistic": r.statistic, "df": r.df, "p_value": r.p_value, "estimate": r.estimate,
            "ci_low": r.ci.map(|c| c.0), "ci_high": r.ci.map(|c| c.1), "method": r.method,
            "groups": labels, "var": args.var, "by": args.by,
        })),
        _ => {
            let mut t =
                trialstats_core::Table::new(&["test", "statistic", "df", "p", "estimate", "CI"]);
            t.set_align(0, trialstats_core::Align::Left);
            let f = |v: Option<f64>| {
                v.map_or_else(String::new, |x| trialstats_core::table::fmt_num(x, 6))
            };
            t.push_row(vec![
                r.method.clone(),
                f(r.statistic),
                f(r.df),
                trialstats_core::table::fmt_p(r.p_value),
                f(r.estimate),
                r.ci.map_or_else(String::new, |(a, b)| {
                    format!(
                        "[{}, {}]",
                        trialstats_core::table::fmt_num(a, 6),
                        trialstats_core::table::fmt_num(b, 6)
                    )
                }),
            ]);
            t.title = Some(format!(
                "{} by {} ({} vs {})",
                args.var, args.by, labels[0], labels[1]
            ));
            render_table(&t, format)
        }
    })
}

/// Runs `trialstats table1`.
pub fn run_table1(args: &Table1Args, format: Format) -> Result<String, CliError> {
    let table = read_table(&args.data)?;
    let (g, labels) = groups(&table, &args.by)?;
    let names: Vec<String> = if args.vars.is_empty() {
        table
            .names()
            .into_iter()
            .filter(|n| *n != args.by)
            .collect()
    } else {
        args.vars.clone()
    };
    // Owned per-variable data, then borrowed by the Table1 variables.
    enum Owned {
        Num(Vec<Option<f64>>, Continuous),
        Cat(Vec<Option<usize>>, Vec<String>),
    }
    let mut owned = Vec::with_capacity(names.len());
    for name in &names {
        let col = table.column(name)?;
        owned.push(match &col.data {
            // A 0/1 numeric column is a binary characteristic: n (%).
            ColumnData::Numeric(v)
                if v.iter()
                    .flatten()
                    .all(|x| *x == 0.0 || (*x - 1.0).abs() == 0.0) =>
            {
                Owned::Cat(
                    v.iter().map(|x| x.map(|x| usize::from(x > 0.5))).collect(),
                    vec!["0".into(), "1".into()],
                )
            }
            ColumnData::Numeric(v) => Owned::Num(
                v.clone(),
                if args.nonparametric.contains(name) {
                    Continuous::MedianIqrWilcoxon
                } else {
                    Continuous::MeanSdWelch
                },
            ),
            ColumnData::Categorical { codes, levels } => Owned::Cat(
                codes.iter().map(|c| c.map(|c| c as usize)).collect(),
                levels.clone(),
            ),
            _ => {
                return Err(table.numeric(name).err().map_or_else(
                    || CliError::Usage(format!("`{name}` cannot be summarised")),
                    CliError::from,
                ));
            }
        });
    }
    let vars: Vec<Table1Variable<'_>> = names
        .iter()
        .zip(&owned)
        .map(|(name, o)| match o {
            Owned::Num(v, kind) => Table1Variable::Continuous {
                name,
                values: v,
                kind: *kind,
            },
            Owned::Cat(c, l) => Table1Variable::Categorical {
                name,
                codes: c,
                levels: l,
                fisher: false,
            },
        })
        .collect();
    let (t, results) = table1(&g, [&labels[0], &labels[1]], &vars)?;
    Ok(match format {
        Format::Json => render_json(&json!({
            "groups": labels,
            "header": t.header,
            "rows": t.rows,
            "tests": results.iter().zip(&names).map(|(r, n)| json!({"var": n, "test": r.as_ref().map(|r| r.method.clone()), "p_value": r.as_ref().map(|r| r.p_value)})).collect::<Vec<_>>(),
        })),
        _ => render_table(&t, format),
    })
}
