//! The descriptive parts of a run: the participant flow, the tables of outcomes by arm and time,
//! the intracluster correlation of an outcome, and published numbers beside the run's.

use serde::Serialize;
use trialstats_core::dist::Reference;
use trialstats_core::table::{Align, Table, fmt_num, fmt_p, num_cell};
use trialstats_core::{Level, stats};
use trialstats_data::DataTable;
use trialstats_twosample::quantile7;

use crate::plan::{
    DescribeSpec, FlowBox, Outcome, Plan, Published, TargetArm, TargetSpec, Threshold,
};
use crate::run::{Effect, PlanResults, TREATED};

/// One follow-up stage of the participant flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlowStage {
    /// As printed.
    pub label: String,
    /// The column observed at this stage.
    pub column: String,
    /// Participants with it observed (control, treatment).
    pub observed: [usize; 2],
    /// Participants without it (control, treatment).
    pub missing: [usize; 2],
}

/// The participant flow.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Flow {
    /// The boxes before randomisation, as published.
    pub before: Vec<FlowBox>,
    /// Clusters randomised (control, treatment).
    pub clusters: [usize; 2],
    /// Participants randomised (control, treatment).
    pub randomised: [usize; 2],
    /// Each follow-up stage whose column the data have.
    pub stages: Vec<FlowStage>,
    /// Clusters with a single participant (kept in every analysis).
    pub single_participant_clusters: Vec<String>,
}

/// The intracluster correlation of an outcome's follow-up values: one-way analysis of variance
/// by cluster, as Stata's `loneway` (Stata 13 \[R\] loneway, Methods and formulas):
///
/// ```text
/// n₀ = (N − Σ nᵢ²/N)/(G − 1),  ρ = (MSB − MSW)/(MSB + (n₀ − 1)·MSW)
/// SE(ρ) = √( 2(N − 1)(1 − ρ)²(1 + (n₀ − 1)ρ)² / (n₀²(N − G)(G − 1)) )   (Swiger et al. 1964)
/// interval ρ ± z·SE (asymptotic, not truncated);  design effect 1 + (N/G − 1)·ρ
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Icc {
    /// The outcome's id.
    pub outcome: String,
    /// The column (the follow-up values).
    pub column: String,
    /// ρ.
    pub estimate: f64,
    /// Its asymptotic standard error.
    pub std_error: f64,
    /// Interval.
    pub ci_low: f64,
    /// Interval.
    pub ci_high: f64,
    /// Participants with a value.
    pub n: usize,
    /// Clusters with a value.
    pub clusters: usize,
    /// N / G.
    pub mean_cluster_size: f64,
    /// 1 + (N/G − 1)·ρ.
    pub design_effect: f64,
    /// How, in words.
    pub method: String,
}

/// A published number beside the run's value of the same statistic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetRow {
    /// What it is.
    pub quantity: String,
    /// As published.
    pub published: Published,
    /// Where.
    pub source: Option<String>,
    /// The statistic (the plan's `value`, with `arm` and `where`).
    pub statistic: String,
    /// The run's value (none: the run could not compute it, see `note`).
    pub reproduced: Option<f64>,
    /// Why there is no value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The plan's remark on this number (`remark`).
    pub remark: Option<String>,
}

/// The participant flow of a run.
pub(crate) fn flow(plan: &Plan, table: &DataTable) -> Flow {
    let mut out = Flow::default();
    let Ok(treated) = table.numeric(TREATED) else {
        return out;
    };
    let Ok(cluster) = table.column(plan.design.cluster.get_ref()) else {
        return out;
    };
    let mut sizes: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    for (i, t) in treated.iter().enumerate() {
        if let Some(t) = t {
            let a = usize::from(*t > 0.5);
            out.randomised[a] += 1;
            if let Some(c) = cluster.text(i) {
                sizes.entry(c).or_insert((a, 0)).1 += 1;
            }
        }
    }
    for (c, (a, n)) in &sizes {
        out.clusters[*a] += 1;
        if *n == 1 {
            out.single_participant_clusters.push(c.clone());
        }
    }
    if let Some(spec) = &plan.flow {
        out.before.clone_from(&spec.before);
        for s in &spec.stages {
            let Ok(v) = table.numeric(s.column.get_ref()) else {
                continue;
            };
            let mut observed = [0usize; 2];
            for (x, t) in v.iter().zip(treated) {
                if let (Some(_), Some(t)) = (x, t) {
                    observed[usize::from(*t > 0.5)] += 1;
                }
            }
            out.stages.push(FlowStage {
                label: s.label.clone(),
                column: s.column.get_ref().clone(),
                observed,
                missing: [0, 1].map(|a| out.randomised[a] - observed[a]),
            });
        }
    }
    out
}

/// The ICC of an outcome's follow-up column (see [`Icc`]).
pub(crate) fn icc(
    outcome: &Outcome,
    table: &DataTable,
    cluster: &str,
    level: Level,
) -> Result<Icc, String> {
    let column = outcome.followup.get_ref();
    let y = table.numeric(column).map_err(|e| e.to_string())?;
    let c = table.column(cluster).map_err(|e| e.to_string())?;
    let treated = table.numeric(TREATED).map_err(|e| e.to_string())?;
    let mut groups: std::collections::BTreeMap<String, Vec<f64>> = Default::default();
    for (i, (v, t)) in y.iter().zip(treated).enumerate() {
        if let (Some(v), Some(_), Some(g)) = (v, t, c.text(i)) {
            groups.entry(g).or_default().push(*v);
        }
    }
    let g = groups.len();
    let n: usize = groups.values().map(Vec::len).sum();
    if g < 2 || n <= g {
        return Err(format!(
            "the ICC needs at least two clusters and more participants than clusters ({n} in {g})"
        ));
    }
    let all: Vec<f64> = groups.values().flatten().copied().collect();
    let (grand, _) = stats::mean_sd(&all).ok_or("no values")?;
    let (mut ssb, mut ssw, mut sum_sq_sizes) = (0.0, 0.0, 0.0);
    for v in groups.values() {
        let m = stats::mean_sd(v).map_or(f64::NAN, |x| x.0);
        ssb += v.len() as f64 * (m - grand).powi(2);
        ssw += v.iter().map(|x| (x - m).powi(2)).sum::<f64>();
        sum_sq_sizes += (v.len() * v.len()) as f64;
    }
    let (nf, gf) = (n as f64, g as f64);
    let (msb, msw) = (ssb / (gf - 1.0), ssw / (nf - gf));
    let n0 = (nf - sum_sq_sizes / nf) / (gf - 1.0);
    let rho = (msb - msw) / (msb + (n0 - 1.0) * msw);
    if !rho.is_finite() {
        return Err(format!(
            "`{column}` does not vary within or between clusters: the ICC is not defined"
        ));
    }
    let se = (2.0 * (nf - 1.0) * (1.0 - rho).powi(2) * (1.0 + (n0 - 1.0) * rho).powi(2)
        / (n0 * n0 * (nf - gf) * (gf - 1.0)))
        .sqrt();
    let z = Reference::Normal
        .quantile(level.upper_tail_probability())
        .map_err(|e| e.to_string())?;
    let m = nf / gf;
    Ok(Icc {
        outcome: outcome.id.clone(),
        column: column.clone(),
        estimate: rho,
        std_error: se,
        ci_low: rho - z * se,
        ci_high: rho + z * se,
        n,
        clusters: g,
        mean_cluster_size: m,
        design_effect: 1.0 + (m - 1.0) * rho,
        method: "one-way ANOVA by cluster of the follow-up values, arms pooled (Stata loneway); asymptotic interval (Swiger et al. 1964), not truncated; design effect 1 + (N/G − 1)·ICC".into(),
    })
}

/// Mean (SD); n over the values, scaled.
fn cell(v: &[f64], scale: f64, digits: usize) -> String {
    match stats::mean_sd(v) {
        Some((m, s)) if v.len() >= 2 => {
            format!(
                "{:.digits$} ({:.digits$}); {}",
                m * scale,
                s * scale,
                v.len()
            )
        }
        _ => format!("– (n = {})", v.len()),
    }
}

/// A row (group of rows) of a `[[describe]]` table.
struct DescribedRow {
    id: String,
    label: String,
    columns: [Option<String>; 2],
    scale: f64,
    effect: Option<Effect>,
}

/// n (%) of each value, by arm and time.
fn distribution_rows(
    row: &DescribedRow,
    cols: &[Option<&[Option<f64>]>],
    table: &DataTable,
    treated: &[Option<f64>],
    (arm_labels, times): (&[String; 2], &[String; 2]),
    t: &mut Table,
    numeric: &mut Table,
) {
    let mut values: Vec<f64> = cols
        .iter()
        .flatten()
        .flat_map(|c| c.iter().flatten().copied())
        .collect();
    values.sort_by(f64::total_cmp);
    values.dedup_by(|a, b| a.total_cmp(b).is_eq());
    t.push_row(
        std::iter::once(row.label.clone())
            .chain((0..t.header.len() - 1).map(|_| String::new()))
            .collect(),
    );
    // Per arm and time: the values observed, to count from.
    let observed: Vec<Vec<f64>> = arm_labels
        .iter()
        .enumerate()
        .flat_map(|(a, _)| {
            cols.iter().map(move |col| {
                col.map(|col| {
                    (0..table.nrows())
                        .filter(|&i| treated[i].map(|t| usize::from(t > 0.5)) == Some(a))
                        .filter_map(|i| col[i])
                        .collect()
                })
                .unwrap_or_default()
            })
        })
        .collect();
    for v in &values {
        let mut cells = vec![format!("  {}", trialstats_core::table::fmt_display(*v))];
        for (k, obs) in observed.iter().enumerate() {
            let n = obs.iter().filter(|x| x.total_cmp(v).is_eq()).count();
            let pct = if obs.is_empty() {
                f64::NAN
            } else {
                100.0 * n as f64 / obs.len() as f64
            };
            cells.push(if obs.is_empty() {
                String::new()
            } else {
                format!("{n} ({pct:.1}%)")
            });
            numeric.push_row(vec![
                row.id.clone(),
                trialstats_core::table::fmt_display(*v),
                arm_labels[k / 2].clone(),
                times[k % 2].clone(),
                num_cell(n as f64),
                num_cell(obs.len() as f64),
                num_cell(pct),
            ]);
        }
        while cells.len() < t.header.len() {
            cells.push(String::new());
        }
        t.push_row(cells);
    }
}

/// A `[[describe]]` table, or why the data allow none of its rows.
pub(crate) fn describe_table(
    plan: &Plan,
    spec: &DescribeSpec,
    table: &DataTable,
    arm_labels: &[String; 2],
    effects: &[Effect],
) -> Result<Table, String> {
    let treated = table.numeric(TREATED).map_err(|e| e.to_string())?;
    let [b, f] = &spec.times;
    let mut header: Vec<String> = vec!["".into()];
    for a in arm_labels {
        header.push(format!("{a}, {b}"));
        header.push(format!("{a}, {f}"));
    }
    let with_effect = spec.effect.filter(|_| !spec.distribution);
    if let Some(kind) = with_effect {
        header.push(format!(
            "effect ({}, {} % CI)",
            kind.id(),
            trialstats_core::table::fmt_display(100.0 * plan.plan.level)
        ));
        header.push("p".into());
    }
    let refs: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut t = Table::new(&refs);
    t.set_align(0, Align::Left);
    let mut numeric = if spec.distribution {
        Table::new(&["row", "value", "arm", "time", "n", "of", "percent"])
    } else {
        Table::new(&[
            "outcome",
            "group",
            "arm",
            "time",
            "n",
            "mean",
            "sd",
            "inference",
            "estimate",
            "ci_low",
            "ci_high",
            "p",
        ])
    };
    // The groups: everyone, then each level of `by`.
    let mut groups: Vec<(String, Vec<bool>)> = vec![("all".into(), vec![true; table.nrows()])];
    if let Some(by) = &spec.by {
        let col = table
            .column(by.get_ref())
            .map_err(|_| format!("missing columns: {}", by.get_ref()))?;
        let (codes, levels) = col
            .as_factor()
            .ok_or_else(|| format!("`{}` mixes numbers and text", by.get_ref()))?;
        for (k, level) in levels.iter().enumerate() {
            let name = spec
                .by_labels
                .get(k)
                .cloned()
                .unwrap_or_else(|| level.clone());
            groups.push((name, codes.iter().map(|c| *c == Some(k)).collect()));
        }
    }
    // The rows: the outcomes named, then the variables.
    let mut rows: Vec<DescribedRow> = Vec::new();
    for id in &spec.outcomes {
        let Some(o) = plan.outcomes.iter().find(|o| o.id == *id.get_ref()) else {
            continue;
        };
        rows.push(DescribedRow {
            id: o.id.clone(),
            label: o.label.clone().unwrap_or_else(|| o.id.clone()),
            columns: [
                o.baseline.as_ref().map(|c| c.get_ref().clone()),
                Some(o.followup.get_ref().clone()),
            ],
            scale: o.report_scale,
            effect: with_effect.and_then(|kind| {
                effects
                    .iter()
                    .find(|e| e.outcome == o.id && e.inference == kind.id())
                    .cloned()
            }),
        });
    }
    let level = Level::new(plan.plan.level).unwrap_or(Level::P95);
    for v in &spec.variables {
        let effect = with_effect.and_then(|kind| {
            let outcome = Outcome {
                id: v.followup.get_ref().clone(),
                label: Some(v.label.clone()),
                model: crate::plan::ModelKind::Linear,
                followup: v.followup.clone(),
                baseline: v.baseline.clone(),
                adjust: Vec::new(),
                inference: vec![kind],
                nodes: None,
                icc: false,
                report_scale: 1.0,
                better: None,
            };
            crate::run::linear_effect(plan, &outcome, kind, level, table).ok()
        });
        rows.push(DescribedRow {
            id: v.followup.get_ref().clone(),
            label: v.label.clone(),
            columns: [
                v.baseline.as_ref().map(|c| c.get_ref().clone()),
                Some(v.followup.get_ref().clone()),
            ],
            scale: 1.0,
            effect,
        });
    }
    let mut any = false;
    for row in &rows {
        let columns: Vec<Option<&[Option<f64>]>> = row
            .columns
            .iter()
            .map(|c| c.as_ref().and_then(|c| table.numeric(c).ok()))
            .collect();
        if columns.iter().all(Option::is_none) {
            continue;
        }
        any = true;
        if spec.distribution {
            distribution_rows(
                row,
                &columns,
                table,
                treated,
                (arm_labels, &spec.times),
                &mut t,
                &mut numeric,
            );
            continue;
        }
        for (gi, (group, in_group)) in groups.iter().enumerate() {
            let mut cells = vec![if groups.len() == 1 {
                row.label.clone()
            } else if gi == 0 {
                format!("{}: {group}", row.label)
            } else {
                format!("  {group}")
            }];
            for (a, arm_label) in arm_labels.iter().enumerate() {
                for (k, col) in columns.iter().enumerate() {
                    let Some(col) = col else {
                        cells.push(String::new());
                        continue;
                    };
                    let v: Vec<f64> = (0..table.nrows())
                        .filter(|&i| {
                            in_group[i] && treated[i].map(|t| usize::from(t > 0.5)) == Some(a)
                        })
                        .filter_map(|i| col[i])
                        .collect();
                    cells.push(cell(&v, row.scale, spec.digits));
                    let (m, s) = stats::mean_sd(&v)
                        .filter(|_| v.len() >= 2)
                        .unwrap_or((f64::NAN, f64::NAN));
                    numeric.push_row(vec![
                        row.id.clone(),
                        group.clone(),
                        arm_label.clone(),
                        spec.times[k].clone(),
                        num_cell(v.len() as f64),
                        num_cell(m * row.scale),
                        num_cell(s * row.scale),
                        String::new(),
                        String::new(),
                        String::new(),
                        String::new(),
                        String::new(),
                    ]);
                }
            }
            if let Some(kind) = with_effect {
                match (gi, &row.effect) {
                    (0, Some(e)) => {
                        let (est, lo, hi) = shown(e, row.scale);
                        cells.push(format!(
                            "{} ({} to {})",
                            fmt_num(est, 3),
                            fmt_num(lo, 3),
                            fmt_num(hi, 3)
                        ));
                        cells.push(fmt_p(e.p_value));
                        numeric.push_row(vec![
                            row.id.clone(),
                            group.clone(),
                            String::new(),
                            String::new(),
                            num_cell(e.n as f64),
                            String::new(),
                            String::new(),
                            kind.id().into(),
                            num_cell(est),
                            num_cell(lo),
                            num_cell(hi),
                            num_cell(e.p_value),
                        ]);
                    }
                    _ => cells.extend([String::new(), String::new()]),
                }
            }
            t.push_row(cells);
        }
    }
    if !any {
        return Err(format!(
            "missing columns: none of the outcomes of `{}` are in the data",
            spec.id
        ));
    }
    t.title = Some(spec.title.clone().unwrap_or_else(|| {
        format!(
            "{}: {} by arm and time",
            spec.id,
            if spec.distribution {
                "n (%)"
            } else {
                "mean (SD); n"
            }
        )
    }));
    if with_effect.is_some() {
        t.notes.push("Effect: treatment − control at follow-up adjusted for baseline (a difference; an odds ratio for a logistic or ordinal model).".into());
    }
    t.numeric = Some(Box::new(numeric));
    Ok(t)
}

/// An effect as the report shows it: an odds ratio where there is one, a difference times the
/// outcome's report scale otherwise.
pub(crate) fn shown(e: &Effect, report_scale: f64) -> (f64, f64, f64) {
    match &e.odds_ratio {
        Some(or) => (or.estimate, or.ci_low, or.ci_high),
        None => (
            e.estimate * report_scale,
            e.ci_low * report_scale,
            e.ci_high * report_scale,
        ),
    }
}

/// A summary function of a `[[target]]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Summary {
    Mean,
    Sd,
    Median,
    Sum,
    Count,
    Share,
}

/// A `[[target]]`'s statistic.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Statistic {
    Effect {
        outcome: String,
        inference: String,
        field: String,
    },
    Table1(String),
    Icc {
        outcome: String,
        field: String,
    },
    Interaction(String),
    Clusters,
    Participants,
    Summary {
        summary: Summary,
        expression: String,
        compare: Option<Threshold>,
    },
}

impl Statistic {
    pub(crate) fn parse(s: &str) -> Result<Statistic, String> {
        let s = s.trim();
        let parts: Vec<&str> = s.split(':').map(str::trim).collect();
        let bad = |why: &str| format!("`{s}`: {why}");
        match parts.as_slice() {
            ["effect", outcome, inference, rest @ ..] => {
                let field = rest.first().copied().unwrap_or("estimate");
                const FIELDS: [&str; 8] = [
                    "estimate",
                    "ci_low",
                    "ci_high",
                    "p",
                    "std_error",
                    "or",
                    "or_low",
                    "or_high",
                ];
                if rest.len() > 1 || !FIELDS.contains(&field) {
                    return Err(bad(&format!("the field is one of {}", FIELDS.join(", "))));
                }
                Ok(Statistic::Effect {
                    outcome: (*outcome).into(),
                    inference: (*inference).into(),
                    field: field.into(),
                })
            }
            ["table1", variable] => Ok(Statistic::Table1((*variable).into())),
            ["icc", outcome, rest @ ..] => {
                let field = rest.first().copied().unwrap_or("estimate");
                if rest.len() > 1
                    || !["estimate", "ci_low", "ci_high", "design_effect"].contains(&field)
                {
                    return Err(bad("write icc:OUTCOME[:ci_low|ci_high|design_effect]"));
                }
                Ok(Statistic::Icc {
                    outcome: (*outcome).into(),
                    field: field.into(),
                })
            }
            ["subgroup", id, "interaction_p"] => Ok(Statistic::Interaction((*id).into())),
            ["clusters"] => Ok(Statistic::Clusters),
            ["participants"] => Ok(Statistic::Participants),
            [one] => {
                let (name, arg) = one
                    .strip_suffix(')')
                    .and_then(|x| x.split_once('('))
                    .ok_or_else(|| bad("not a statistic: write effect:OUTCOME:INFERENCE, table1:VARIABLE, icc:OUTCOME, subgroup:ID:interaction_p, clusters, participants, or mean(E), sd(E), median(E), sum(E), count(E), share(E OP X)"))?;
                let summary = match name.trim() {
                    "mean" => Summary::Mean,
                    "sd" => Summary::Sd,
                    "median" => Summary::Median,
                    "sum" => Summary::Sum,
                    "count" => Summary::Count,
                    "share" => Summary::Share,
                    other => {
                        return Err(bad(&format!(
                            "`{other}` is not a summary: mean, sd, median, sum, count or share"
                        )));
                    }
                };
                let (expression, compare) = if summary == Summary::Share {
                    let at = ["<=", ">=", "==", "!=", "<", ">"]
                        .iter()
                        .filter_map(|op| arg.find(op))
                        .min()
                        .ok_or_else(|| bad("share(E OP X) needs a comparison"))?;
                    let t = Threshold::parse(&arg[at..]).map_err(|m| bad(&m))?;
                    (arg[..at].trim().to_owned(), Some(t))
                } else {
                    (arg.trim().to_owned(), None)
                };
                if expression.is_empty() {
                    return Err(bad("the expression is empty"));
                }
                Ok(Statistic::Summary {
                    summary,
                    expression,
                    compare,
                })
            }
            _ => Err(bad("not a statistic (see docs/plan.md, [[target]])")),
        }
    }
}

/// A `where` filter: `COLUMN OP NUMBER`, or `COLUMN observed` (the rule `None`).
pub(crate) fn parse_filter(s: &str) -> Result<(String, Option<Threshold>), String> {
    if let Some(column) = s.trim().strip_suffix(" observed") {
        let column = column.trim();
        if column.is_empty() || column.contains(char::is_whitespace) {
            return Err(format!(
                "`{s}`: write COLUMN observed, e.g. `hba1c_12 observed`"
            ));
        }
        return Ok((column.to_owned(), None));
    }
    let at = ["<=", ">=", "==", "!=", "<", ">"]
        .iter()
        .filter_map(|op| s.find(op))
        .min()
        .ok_or_else(|| {
            format!("`{s}`: write COLUMN OP NUMBER (`female == 0`) or COLUMN observed")
        })?;
    let column = s[..at].trim();
    if column.is_empty() {
        return Err(format!("`{s}`: the column is empty"));
    }
    Ok((column.to_owned(), Some(Threshold::parse(&s[at..])?)))
}

/// Every `[[target]]` of the plan against the run.
pub(crate) fn targets(plan: &Plan, table: &DataTable, r: &PlanResults) -> Vec<TargetRow> {
    plan.targets
        .iter()
        .map(|t| {
            let (reproduced, note) = match target_value(t, table, r) {
                Ok(Some(v)) if v.is_finite() => (Some(v * t.scale), None),
                Ok(_) => (None, Some("not computable from these data".to_string())),
                Err(why) => (None, Some(why)),
            };
            let statistic = t.statistic_label();
            TargetRow {
                quantity: t.quantity.clone(),
                published: t.published.clone(),
                source: t.source.clone(),
                statistic,
                reproduced,
                note,
                remark: t.remark.clone(),
            }
        })
        .collect()
}

fn target_value(t: &TargetSpec, table: &DataTable, r: &PlanResults) -> Result<Option<f64>, String> {
    let statistic = Statistic::parse(t.value.get_ref())?;
    let arm = match t.arm {
        None => None,
        Some(TargetArm::Control) => Some(0),
        Some(TargetArm::Treatment) => Some(1),
        Some(TargetArm::Difference) => {
            if !matches!(
                statistic,
                Statistic::Summary { .. } | Statistic::Clusters | Statistic::Participants
            ) {
                return Err(
                    "arm = \"difference\" applies to summaries, clusters and participants".into(),
                );
            }
            let control = arm_value(&statistic, t, table, r, Some(0))?;
            let treatment = arm_value(&statistic, t, table, r, Some(1))?;
            return Ok(control.zip(treatment).map(|(c, t)| t - c));
        }
    };
    arm_value(&statistic, t, table, r, arm)
}

/// A target's statistic over the rows of `arm` (0 control, 1 treatment, `None` both).
fn arm_value(
    statistic: &Statistic,
    t: &TargetSpec,
    table: &DataTable,
    r: &PlanResults,
    arm: Option<usize>,
) -> Result<Option<f64>, String> {
    Ok(match statistic {
        Statistic::Effect {
            outcome,
            inference,
            field,
        } => {
            let Some(e) = r
                .effects
                .iter()
                .find(|e| e.outcome == *outcome && e.inference == *inference)
            else {
                return Err(format!("no effect {outcome}:{inference} in this run"));
            };
            let or = e.odds_ratio;
            match field.as_str() {
                "estimate" => Some(e.estimate),
                "ci_low" => Some(e.ci_low),
                "ci_high" => Some(e.ci_high),
                "p" => Some(e.p_value),
                "std_error" => e.std_error,
                "or" => or.map(|o| o.estimate),
                "or_low" => or.map(|o| o.ci_low),
                _ => or.map(|o| o.ci_high),
            }
        }
        Statistic::Table1(v) => r
            .table1_tests
            .iter()
            .find(|x| x.variable == *v)
            .map(|x| x.p_value),
        Statistic::Icc { outcome, field } => {
            r.iccs
                .iter()
                .find(|x| x.outcome == *outcome)
                .map(|x| match field.as_str() {
                    "ci_low" => x.ci_low,
                    "ci_high" => x.ci_high,
                    "design_effect" => x.design_effect,
                    _ => x.estimate,
                })
        }
        Statistic::Interaction(id) => r
            .subgroups
            .iter()
            .find(|g| g.id == *id)
            .and_then(|g| g.interaction.map(|i| i.p_value)),
        Statistic::Clusters => Some(match arm {
            Some(a) => r.flow.clusters[a],
            None => r.flow.clusters[0] + r.flow.clusters[1],
        } as f64),
        Statistic::Participants => Some(match arm {
            Some(a) => r.flow.randomised[a],
            None => r.flow.randomised[0] + r.flow.randomised[1],
        } as f64),
        Statistic::Summary {
            summary,
            expression,
            compare,
        } => {
            let values = table.evaluate(expression).map_err(|e| e.to_string())?;
            let treated = table.numeric(TREATED).map_err(|e| e.to_string())?;
            let keep: Vec<bool> = match &t.filter {
                Some(w) => {
                    let (column, rule) = parse_filter(w.get_ref())?;
                    let c = table.numeric(&column).map_err(|e| e.to_string())?;
                    c.iter()
                        .map(|x| x.is_some_and(|x| rule.is_none_or(|r| r.holds(x))))
                        .collect()
                }
                None => vec![true; table.nrows()],
            };
            let mut v: Vec<f64> = (0..table.nrows())
                .filter(|&i| keep[i] && treated[i].is_some())
                .filter(|&i| {
                    arm.is_none_or(|a| treated[i].map(|t| usize::from(t > 0.5)) == Some(a))
                })
                .filter_map(|i| values[i])
                .collect();
            match summary {
                Summary::Mean => stats::mean_sd(&v).map(|(m, _)| m),
                Summary::Sd => stats::mean_sd(&v).filter(|_| v.len() >= 2).map(|(_, s)| s),
                Summary::Median => {
                    v.sort_by(f64::total_cmp);
                    quantile7(&v, 0.5)
                }
                Summary::Sum => Some(v.iter().sum()),
                Summary::Count => Some(v.len() as f64),
                Summary::Share => compare.and_then(|c| {
                    (!v.is_empty()).then(|| {
                        100.0 * v.iter().filter(|x| c.holds(**x)).count() as f64 / v.len() as f64
                    })
                }),
            }
        }
    })
}

/// A target's remark as a table note, named by its quantity (by its statistic when the quantity
/// continues the row above, `… p`).
///
/// # Examples
/// ```
/// use trialstats_plan::describe::remark_note;
/// assert_eq!(remark_note("… p", "effect:x:cr1:p", "rounded"), "effect:x:cr1:p: rounded");
/// assert_eq!(remark_note("age", "mean(age)", "in years"), "age: in years");
/// ```
pub fn remark_note(quantity: &str, statistic: &str, remark: &str) -> String {
    let name = if quantity.starts_with('…') {
        statistic
    } else {
        quantity
    };
    format!("{name}: {remark}")
}

/// A reproduced value as a target table prints it: a whole number as such (a count), anything
/// else to 3 significant digits.
///
/// # Examples
/// ```
/// use trialstats_plan::describe::fmt_value;
/// assert_eq!(fmt_value(24.0), "24");
/// assert_eq!(fmt_value(0.0075461), "0.00755");
/// ```
pub fn fmt_value(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        fmt_num(v, 3)
    }
}

/// The targets as a table: published, reproduced, source.
pub fn targets_table(rows: &[TargetRow]) -> Table {
    let mut t = Table::new(&["quantity", "published", "reproduced", "statistic", "source"]);
    t.set_align(0, Align::Left);
    t.set_align(3, Align::Left);
    t.set_align(4, Align::Left);
    let mut numeric = Table::new(&["quantity", "published", "reproduced", "statistic", "source"]);
    for r in rows {
        t.push_row(vec![
            r.quantity.clone(),
            r.published.to_string(),
            r.reproduced
                .map_or_else(|| r.note.clone().unwrap_or_default(), fmt_value),
            r.statistic.clone(),
            r.source.clone().unwrap_or_default(),
        ]);
        numeric.push_row(vec![
            r.quantity.clone(),
            match &r.published {
                Published::Number(x) => num_cell(*x),
                Published::Text(s) => s.clone(),
            },
            r.reproduced.map_or_else(String::new, num_cell),
            r.statistic.clone(),
            r.source.clone().unwrap_or_default(),
        ]);
    }
    t.notes.extend(rows.iter().filter_map(|r| {
        let remark = r.remark.as_ref()?;
        Some(remark_note(&r.quantity, &r.statistic, remark))
    }));
    t.title = Some("Published v. reproduced".into());
    t.numeric = Some(Box::new(numeric));
    t
}
