//! `trialstats test` and `trialstats table1`: tests of two or more groups, and Table 1 with one
//! column per group.

use clap::{Args, ValueEnum};
use serde_json::json;
use trialstats_core::Level;
use trialstats_data::{ColumnData, DataTable};
use trialstats_twosample::{
    Categorical, Continuity, Continuous, Exact, FisherControl, MonteCarlo, Table1Variable,
    TestResult, Variances, chisq_test, fisher_test_with, kruskal_wallis, oneway, t_test, table1,
    wilcox_test_with_interval,
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
    /// The grouping column: two levels for ttest, welch and wilcoxon; two or more for the others.
    #[arg(long)]
    pub by: String,
    /// Wilcoxon: force the exact distribution (R's `exact = TRUE`).
    #[arg(long)]
    pub exact: bool,
    /// Wilcoxon and chi-square: no continuity correction.
    #[arg(long)]
    pub no_correct: bool,
    /// Fisher: tables drawn for the Monte Carlo p-value when the exact network exceeds its
    /// workspace (R's `simulate.p.value`, `B`).
    #[arg(long, allow_negative_numbers = true, default_value_t = 100_000)]
    pub reps: usize,
    /// Fisher: seed of the Monte Carlo p-value (recorded in the output).
    #[arg(long, allow_negative_numbers = true, default_value_t = 1)]
    pub seed: u64,
}

/// The tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TestKind {
    /// Student's t (equal variances); two groups.
    Ttest,
    /// Welch's t; two groups.
    Welch,
    /// Wilcoxon rank-sum (Stata `ranksum`); two groups.
    Wilcoxon,
    /// Pearson chi-square on the var × by table (Stata `tabulate, chi2`).
    Chisq,
    /// Fisher's exact test on the var × by table (network algorithm; Monte Carlo beyond it).
    Fisher,
    /// Kruskal–Wallis with the tie correction (R `kruskal.test`, Stata `kwallis`).
    Kruskal,
    /// One-way ANOVA (R `oneway.test(var.equal = TRUE)`, Stata `oneway`).
    Anova,
    /// Welch's one-way ANOVA (R `oneway.test`).
    WelchAnova,
}

impl TestKind {
    fn name(self) -> &'static str {
        match self {
            TestKind::Ttest => "ttest",
            TestKind::Welch => "welch",
            TestKind::Wilcoxon => "wilcoxon",
            TestKind::Chisq => "chisq",
            TestKind::Fisher => "fisher",
            TestKind::Kruskal => "kruskal",
            TestKind::Anova => "anova",
            TestKind::WelchAnova => "welch-anova",
        }
    }

    /// Whether the test compares exactly two groups.
    fn two_groups_only(self) -> bool {
        matches!(self, TestKind::Ttest | TestKind::Welch | TestKind::Wilcoxon)
    }
}

/// Options of `trialstats table1`.
#[derive(Debug, Args)]
pub struct Table1Args {
    /// CSV file.
    #[arg(long)]
    pub data: String,
    /// The grouping column (two or more levels: one column each).
    #[arg(long)]
    pub by: String,
    /// Variables to show, comma-separated (default: every column but the grouping column and
    /// those that look like identifiers or design columns, which the output names).
    #[arg(long, value_delimiter = ',')]
    pub vars: Vec<String>,
    /// Numeric variables summarised by median \[IQR\] with the Wilcoxon (Kruskal–Wallis) test,
    /// comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub nonparametric: Vec<String>,
    /// Print the numbers behind the table instead of its formatted cells: one row per
    /// variable, level and group, one number per cell at full precision (n, missing, mean, sd,
    /// median, q1, q3, count, percent, test, statistic, df, df2, p); with `--format csv`, a
    /// file R, pandas or Stata read as numbers.
    #[arg(long)]
    pub numeric: bool,
}

/// The levels of `by`: a code per row (`None` for missing) and the labels, numbers sorted
/// numerically (named by their value labels, a Stata file's) and text by its bytes.
fn groups(table: &DataTable, by: &str) -> Result<(Vec<Option<usize>>, Vec<String>), CliError> {
    let col = table.column(by)?;
    if col.labels.is_some() {
        if let Some(factor) = col.as_factor() {
            return Ok(factor);
        }
    }
    let n = table.nrows();
    let text: Vec<Option<String>> = (0..n).map(|i| col.data.text(i)).collect();
    let mut labels: Vec<String> = text.iter().flatten().cloned().collect();
    labels.sort();
    labels.dedup();
    if let ColumnData::Numeric(v) = &col.data {
        let mut nums: Vec<f64> = v.iter().flatten().copied().collect();
        nums.sort_by(f64::total_cmp);
        nums.dedup_by(|a, b| a.total_cmp(b).is_eq());
        labels = nums
            .iter()
            .map(|x| trialstats_data::table::format_number(*x))
            .collect();
    }
    let index: std::collections::HashMap<&str, usize> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i))
        .collect();
    let codes = text
        .iter()
        .map(|t| t.as_deref().and_then(|s| index.get(s).copied()))
        .collect();
    Ok((codes, labels))
}

fn need_levels(
    table: &DataTable,
    by: &str,
    labels: &[String],
    two_only: bool,
) -> Result<(), CliError> {
    let bad = if two_only {
        labels.len() != 2
    } else {
        labels.len() < 2
    };
    if bad {
        return Err(CliError::GroupLevels {
            path: table.source().to_owned(),
            column: by.to_owned(),
            levels: labels.to_vec(),
            needed: if two_only {
                "exactly two are needed (for more, use anova, welch-anova or kruskal)"
            } else {
                "at least two are needed"
            },
        });
    }
    Ok(())
}

fn split(values: &[Option<f64>], g: &[Option<usize>], k: usize) -> Vec<Vec<f64>> {
    let mut out = vec![Vec::new(); k];
    for (v, gr) in values.iter().zip(g) {
        if let (Some(v), Some(gr)) = (v, gr) {
            out[*gr].push(*v);
        }
    }
    out
}

/// A var × by contingency table (levels of var as rows, groups as columns).
fn contingency(
    table: &DataTable,
    var: &str,
    g: &[Option<usize>],
    k: usize,
) -> Result<Vec<Vec<f64>>, CliError> {
    let (codes, levels) = groups(table, var)?;
    let mut t = vec![vec![0.0; k]; levels.len()];
    for (v, gr) in codes.iter().zip(g) {
        if let (Some(v), Some(gr)) = (v, gr) {
            t[*v][*gr] += 1.0;
        }
    }
    Ok(t)
}

/// The continuity correction `--no-correct` leaves out.
fn continuity(args: &TestArgs) -> Continuity {
    if args.no_correct {
        Continuity::Uncorrected
    } else {
        Continuity::Corrected
    }
}

/// Runs `trialstats test`.
pub fn run_test(args: &TestArgs, format: Format) -> Result<String, CliError> {
    let table = read_table(&args.data)?;
    let (g, labels) = groups(&table, &args.by)?;
    need_levels(&table, &args.by, &labels, args.test.two_groups_only())?;
    let k = labels.len();
    let numeric =
        || -> Result<Vec<Vec<f64>>, CliError> { Ok(split(table.numeric(&args.var)?, &g, k)) };
    let r: TestResult = match args.test {
        TestKind::Ttest | TestKind::Welch => {
            let s = numeric()?;
            let variances = if args.test == TestKind::Ttest {
                Variances::Equal
            } else {
                Variances::Unequal
            };
            t_test(&s[0], &s[1], variances, Level::P95)?
        }
        TestKind::Wilcoxon => {
            let s = numeric()?;
            let exact = if args.exact {
                Exact::Always
            } else {
                Exact::Auto
            };
            wilcox_test_with_interval(&s[0], &s[1], Level::P95, exact, continuity(args))?
        }
        TestKind::Kruskal | TestKind::Anova | TestKind::WelchAnova => {
            let s = numeric()?;
            let slices: Vec<&[f64]> = s.iter().map(Vec::as_slice).collect();
            match args.test {
                TestKind::Kruskal => kruskal_wallis(&slices)?.test,
                TestKind::Anova => oneway(&slices, Variances::Equal)?,
                _ => oneway(&slices, Variances::Unequal)?,
            }
        }
        TestKind::Chisq => chisq_test(&contingency(&table, &args.var, &g, k)?, continuity(args))?,
        TestKind::Fisher => fisher_test_with(
            &contingency(&table, &args.var, &g, k)?,
            Level::P95,
            &FisherControl {
                fallback: Some(MonteCarlo {
                    reps: args.reps.max(1),
                    seed: args.seed,
                }),
                ..FisherControl::default()
            },
        )?,
    };
    Ok(match format {
        Format::Json => render_json(&json!({
            "test": args.test.name(), "statistic": r.statistic, "df": r.df, "df2": r.df2,
            "p_value": r.p_value, "estimate": r.estimate,
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
            let df = match (r.df, r.df2) {
                (Some(a), Some(b)) => format!("{}, {}", f(Some(a)), f(Some(b))),
                (a, _) => f(a),
            };
            t.push_row(vec![
                r.method.clone(),
                f(r.statistic),
                df,
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
                "{} by {} ({})",
                args.var,
                args.by,
                labels.join(" vs ")
            ));
            render_table(&t, format)
        }
    })
}

/// Why a column is left out of a default Table 1, if it is.
fn design_column(
    table: &DataTable,
    name: &str,
    by: &str,
    groups: &[Option<usize>],
) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    if name == by {
        return Some("the grouping column");
    }
    let id_name = lower == "id"
        || lower.ends_with("_id")
        || lower.starts_with("id_")
        || lower.ends_with("id") && lower.len() <= 6;
    if id_name {
        return Some("an identifier");
    }
    const DESIGN: [&str; 12] = [
        "cluster",
        "community",
        "site",
        "practice",
        "centre",
        "center",
        "lga",
        "region",
        "stratum",
        "strata",
        "block",
        "ward",
    ];
    if DESIGN
        .iter()
        .any(|d| lower == *d || lower.starts_with(&format!("{d}_")))
    {
        return Some("a design column (cluster or stratum)");
    }
    let col = table.column(name).ok()?;
    let n = table.nrows();
    let text: Vec<Option<String>> = (0..n).map(|i| col.text(i)).collect();
    let present: Vec<&String> = text.iter().flatten().collect();
    let mut distinct: Vec<&String> = present.clone();
    distinct.sort();
    distinct.dedup();
    // A value per row, text or whole numbers: an identifier.
    let whole = match &col.data {
        ColumnData::Numeric(v) => v.iter().flatten().all(|x| x.fract() == 0.0),
        _ => true,
    };
    if present.len() > 10 && distinct.len() == present.len() && whole {
        return Some("an identifier (a different value in every row)");
    }
    // The groups nested in its levels (arms are assigned to whole clusters): a cluster id.
    let k = groups.iter().flatten().max().map_or(0, |m| m + 1);
    if whole && distinct.len() >= 2 * k.max(2) && distinct.len() < present.len() {
        let mut arm_of: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        let nested = text.iter().zip(groups).all(|(t, g)| match (t, g) {
            (Some(t), Some(g)) => *arm_of.entry(t.as_str()).or_insert(*g) == *g,
            _ => true,
        });
        if nested {
            return Some("a cluster identifier (each level within one group)");
        }
    }
    None
}

/// Runs `trialstats table1`.
pub fn run_table1(args: &Table1Args, format: Format) -> Result<String, CliError> {
    let table = read_table(&args.data)?;
    let (g, labels) = groups(&table, &args.by)?;
    need_levels(&table, &args.by, &labels, false)?;
    let mut left_out: Vec<(String, &'static str)> = Vec::new();
    let names: Vec<String> = if args.vars.is_empty() {
        table
            .names()
            .into_iter()
            .filter(|n| match design_column(&table, n, &args.by, &g) {
                Some(why) => {
                    if n != &args.by {
                        left_out.push((n.clone(), why));
                    }
                    false
                }
                None => true,
            })
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
            // A labelled numeric column (a Stata file's value labels) is categorical: n (%)
            // per value, named by its label.
            ColumnData::Numeric(_) if col.labels.is_some() => {
                let (codes, levels) = col.as_factor().unwrap_or_default();
                Owned::Cat(codes, levels)
            }
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
    // Rows are named by the variable labels (a Stata file's) where the file has them.
    let row_names: Vec<String> = names
        .iter()
        .map(|n| {
            table
                .column(n)
                .ok()
                .and_then(|c| c.description.clone())
                .unwrap_or_else(|| n.clone())
        })
        .collect();
    let vars: Vec<Table1Variable<'_>> = row_names
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
                test: Categorical::ChiSquare(Continuity::Corrected),
            },
        })
        .collect();
    let label_refs: Vec<&str> = labels.iter().map(String::as_str).collect();
    let (mut t, results) = table1(&g, &label_refs, &vars)?;
    if !left_out.is_empty() {
        t.notes.push(format!(
            "Left out as identifiers or design columns: {}; choose the variables with --vars.",
            left_out
                .iter()
                .map(|(n, why)| format!("{n} ({why})"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if args.numeric {
        if let Some(numeric) = t.numeric.take() {
            let mut numeric = *numeric;
            numeric.title.clone_from(&t.title);
            numeric.notes = t.notes;
            return Ok(render_table(&numeric, format));
        }
    }
    Ok(match format {
        Format::Json => render_json(&json!({
            "groups": labels,
            "header": t.header,
            "rows": t.rows,
            "tests": results.iter().zip(&names).map(|(r, n)| json!({
                "var": n,
                "test": r.as_ref().map(|r| r.test.clone()),
                "method": r.as_ref().map(|r| r.method.clone()),
                "statistic": r.as_ref().and_then(|r| r.statistic),
                "df": r.as_ref().and_then(|r| r.df),
                "df2": r.as_ref().and_then(|r| r.df2),
                "p_value": r.as_ref().map(|r| r.p_value),
            })).collect::<Vec<_>>(),
            "left_out": left_out.iter().map(|(n, why)| json!({"var": n, "reason": why})).collect::<Vec<_>>(),
        })),
        _ => render_table(&t, format),
    })
}
