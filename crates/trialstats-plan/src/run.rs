//! Running a plan on a data table: the design resolved, the derived columns built, Table 1 and
//! every outcome's inferences computed, and whatever the data do not allow listed as skipped.

use serde::Serialize;
use toml::Spanned;
use trialstats_core::Level;
use trialstats_core::table::{Table, num_cell, opt_cell};
use trialstats_data::{Column, ColumnData, DataTable};
use trialstats_mi::{ClusterTerm, Method as MiMethod, Mice};
use trialstats_models::prelude::Ddf;
use trialstats_models::{Se, clmm, glmm, lmm, logit, ols};
use trialstats_ordinal::Quadrature;
use trialstats_robust::WildClusterBootstrap;
use trialstats_twosample::{
    Categorical, Continuity, Continuous, Table1Variable, TestResult, table1,
};

use crate::describe::{Flow, Icc, TargetRow};
use crate::error::PlanError;
use crate::plan::{
    ArmValue, Assumption, Better, Conventions, Conversion, Derived, InferenceKind, ModelKind,
    Outcome, Plan, ScoreRule, Threshold, UkpdsEquation, UkpdsRule,
};
use trialstats_instruments::{Cell, Dds, DdsVersion, Eq5d, Instrument, Phq9, ScoreError};
use trialstats_ukpds::{Equation, ProfileBuilder};

/// The treatment indicator the runner adds to the data (1 treatment, 0 control): the term of
/// every effect.
pub const TREATED: &str = "treated";

/// One inference of one outcome's effect (treatment v. control).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Effect {
    /// The outcome's id.
    pub outcome: String,
    /// The inference's id (`cr1`, `cr2`, `wild`, `model`, `kenward_roger`, `satterthwaite`).
    pub inference: &'static str,
    /// A difference (linear) or a log odds ratio (logistic).
    pub estimate: f64,
    /// Its standard error (none for the wild bootstrap).
    pub std_error: Option<f64>,
    /// Degrees of freedom of the reference t distribution (none: normal, or the bootstrap).
    pub df: Option<f64>,
    /// Interval.
    pub ci_low: f64,
    /// Interval.
    pub ci_high: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// Participants analysed (observations of the longitudinal ordinal model).
    pub n: usize,
    /// Clusters analysed.
    pub clusters: usize,
    /// `difference` or `log_odds_ratio`.
    pub scale: &'static str,
    /// For a logistic model: the odds ratio and its interval (the estimate exponentiated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub odds_ratio: Option<OddsRatio>,
    /// How the inference was made, in words.
    pub method: String,
    /// The SD of the outcome's baseline column (a linear outcome with one): the forest plot's
    /// standardising unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_sd: Option<f64>,
}

/// An odds ratio with its interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct OddsRatio {
    /// exp(estimate).
    pub estimate: f64,
    /// exp(ci_low).
    pub ci_low: f64,
    /// exp(ci_high).
    pub ci_high: f64,
}

/// A Table 1 test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table1Test {
    /// The data column.
    pub variable: String,
    /// The test's id (`ttest`, `welch`, `ranksum`, `wilcoxon`, `chisq`, …).
    pub test: String,
    /// The statistic.
    pub statistic: Option<f64>,
    /// Its degrees of freedom.
    pub df: Option<f64>,
    /// Two-sided p-value.
    pub p_value: f64,
    /// The test in words.
    pub method: String,
}

/// An analysis the data did not allow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Which (`table1:age`, `hba1c:cr2`, `hba1c`).
    pub analysis: String,
    /// Why.
    pub reason: String,
}

/// Everything a run computes; `results.json` is this, serialised.
#[derive(Debug, Clone, Serialize)]
pub struct PlanResults {
    /// The plan's name.
    pub plan: String,
    /// The plan's title.
    pub title: Option<String>,
    /// The conventions of Table 1's tests.
    pub conventions: Conventions,
    /// Confidence level.
    pub level: f64,
    /// Seed of the random steps.
    pub seed: u64,
    /// The data's name.
    pub data: String,
    /// Rows in the data.
    pub nrows: usize,
    /// Participants in each arm (control, treatment).
    pub randomised: [usize; 2],
    /// Clusters in each arm (control, treatment).
    pub clusters: [usize; 2],
    /// Every effect.
    pub effects: Vec<Effect>,
    /// Table 1's tests.
    pub table1_tests: Vec<Table1Test>,
    /// What could not run, and why.
    pub skipped: Vec<Skipped>,
    /// The subgroup analyses.
    pub subgroups: Vec<SubgroupResult>,
    /// The plan's assumptions.
    pub assumptions: Vec<Assumption>,
    /// The assumptions' alternatives, run side by side (`compare`).
    pub comparisons: Vec<Comparison>,
    /// Rows left out, suspicious values, notes of the fits.
    pub warnings: Vec<String>,
    /// The arms as printed (control, treatment).
    pub arms: [String; 2],
    /// The plan's outcomes, as the report prints them.
    pub outcomes: Vec<OutcomeInfo>,
    /// The participant flow.
    pub flow: Flow,
    /// The intracluster correlations of the outcomes that ask for one.
    pub iccs: Vec<Icc>,
    /// Published numbers beside the run's.
    pub targets: Vec<TargetRow>,
    /// Table 1 as printed (with its numeric form).
    #[serde(skip)]
    pub table1: Option<Table>,
    /// The `[[describe]]` tables, by id (with their numeric forms).
    #[serde(skip)]
    pub tables: Vec<(String, Table)>,
}

/// An outcome as the report prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutcomeInfo {
    /// The id.
    pub id: String,
    /// As printed.
    pub label: String,
    /// The model.
    pub model: ModelKind,
    /// Which values are better (the forest plot's "favours" side).
    pub better: Option<Better>,
    /// The factor of its values in the report (100: a proportion in %).
    pub report_scale: f64,
    /// The inference the report shows first (the plan's first).
    pub inference: &'static str,
}

/// An assumption's alternative, run side by side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// The assumption's id.
    pub assumption: String,
    /// The alternative.
    pub label: String,
    /// Its overrides of the plan.
    pub set: Vec<String>,
    /// Every effect under the alternative.
    pub effects: Vec<Effect>,
    /// What could not run under it.
    pub skipped: Vec<Skipped>,
}

/// The arms' labels in tables.
#[derive(Debug, Clone)]
struct Arms {
    labels: [String; 2],
}

/// Runs `plan` on `data`. `progress` hears (step, done, total).
///
/// # Errors
/// [`PlanError::Invalid`] naming the plan's line when the design does not fit the data: the arm
/// or cluster column missing, an arm value absent, a threshold or conversion on a text column.
/// An outcome or a Table 1 row the data do not allow is skipped and listed, not an error.
pub fn run(
    plan: &Plan,
    data: &DataTable,
    progress: &mut dyn FnMut(&str, usize, usize),
) -> Result<PlanResults, PlanError> {
    let mut results = run_once(plan, data, progress)?;
    for a in &plan.assumptions {
        for c in &a.compare {
            let alternative = Plan::with_overrides(plan.source(), &plan.text, &c.set)
                .and_then(|text| Plan::parse(plan.source(), &text))
                .and_then(|p| run_once(&p, data, &mut |_, _, _| {}));
            match alternative {
                Ok(r) => results.comparisons.push(Comparison {
                    assumption: a.id.clone(),
                    label: c.label.clone(),
                    set: c.set.clone(),
                    effects: r.effects,
                    skipped: r.skipped,
                }),
                Err(e) => results.skipped.push(Skipped {
                    analysis: format!("assumption:{}:{}", a.id, c.label),
                    reason: e.to_string(),
                }),
            }
        }
    }
    Ok(results)
}

/// One run of a plan, without its assumptions' alternatives.
fn run_once(
    plan: &Plan,
    data: &DataTable,
    progress: &mut dyn FnMut(&str, usize, usize),
) -> Result<PlanResults, PlanError> {
    let total = 2 + plan.outcomes.len();
    progress("design", 0, total);
    let mut skipped = Vec::new();
    let (table, arms, mut warnings) = prepare(plan, data, &mut skipped)?;
    let treated = table.numeric(TREATED)?;
    let cluster_col = table.column(plan.design.cluster.get_ref())?;
    let mut randomised = [0usize; 2];
    let mut cluster_sets: [std::collections::BTreeSet<String>; 2] = Default::default();
    for (i, t) in treated.iter().enumerate() {
        if let Some(t) = t {
            let a = usize::from(*t > 0.5);
            randomised[a] += 1;
            if let Some(c) = cluster_col.text(i) {
                cluster_sets[a].insert(c);
            }
        }
    }
    progress("Table 1", 1, total);
    let (table1, table1_tests) = match &plan.table1 {
        Some(spec) => table_one(plan, spec, &table, &arms, &mut skipped),
        None => (None, Vec::new()),
    };
    let mut effects = Vec::new();
    for (k, outcome) in plan.outcomes.iter().enumerate() {
        progress(&format!("outcome {}", outcome.id), 2 + k, total);
        outcome_effects(
            plan,
            outcome,
            &table,
            &mut effects,
            &mut skipped,
            &mut warnings,
        );
    }
    // The forest plot's unit: each linear outcome's baseline SD.
    for e in &mut effects {
        let Some(o) = plan.outcomes.iter().find(|o| o.id == e.outcome) else {
            continue;
        };
        if let (true, Some(b)) = (o.model.is_linear(), &o.baseline) {
            e.baseline_sd = table.numeric(b.get_ref()).ok().and_then(|v| {
                let v: Vec<f64> = v
                    .iter()
                    .zip(table.numeric(TREATED).ok()?)
                    .filter_map(|(x, t)| t.and(*x))
                    .collect();
                trialstats_core::stats::mean_sd(&v)
                    .filter(|_| v.len() >= 2)
                    .map(|x| x.1)
            });
        }
    }
    for x in &plan.sensitivities {
        match mi_effect(plan, x, &table) {
            Ok(e) => effects.push(e),
            Err(reason) => skipped.push(Skipped {
                analysis: format!("{}:mi", x.outcome.get_ref()),
                reason,
            }),
        }
    }
    let subgroups = plan
        .subgroups
        .iter()
        .filter_map(|sg| subgroup(plan, sg, &table, &mut skipped))
        .collect();
    let level = Level::new(plan.plan.level).unwrap_or(Level::P95);
    let mut iccs = Vec::new();
    for o in plan.outcomes.iter().filter(|o| o.icc) {
        if table.column(o.followup.get_ref()).is_err() {
            continue; // the outcome itself is listed as skipped
        }
        match crate::describe::icc(o, &table, plan.design.cluster.get_ref(), level) {
            Ok(x) => {
                if x.estimate < 0.0 {
                    warnings.push(format!(
                        "{}: the ANOVA estimate of the ICC is negative ({}): between-cluster variation is below what the within-cluster variation implies; it is reported as estimated",
                        o.id,
                        trialstats_core::table::fmt_num(x.estimate, 3)
                    ));
                }
                iccs.push(x);
            }
            Err(reason) => skipped.push(Skipped {
                analysis: format!("{}:icc", o.id),
                reason,
            }),
        }
    }
    let flow = crate::describe::flow(plan, &table);
    if !flow.single_participant_clusters.is_empty() {
        warnings.push(format!(
            "{} cluster(s) with a single participant, kept in every analysis: {}",
            flow.single_participant_clusters.len(),
            flow.single_participant_clusters.join(", ")
        ));
    }
    if let Some(spec) = &plan.flow {
        for s in &spec.stages {
            if table.column(s.column.get_ref()).is_err() {
                skipped.push(Skipped {
                    analysis: format!("flow:{}", s.label),
                    reason: format!("missing columns: {}", s.column.get_ref()),
                });
            }
        }
    }
    let mut tables = Vec::new();
    for d in &plan.describes {
        match crate::describe::describe_table(plan, d, &table, &arms.labels, &effects) {
            Ok(t) => tables.push((d.id.clone(), t)),
            Err(reason) => skipped.push(Skipped {
                analysis: format!("describe:{}", d.id),
                reason,
            }),
        }
    }
    progress("done", total, total);
    let mut results = PlanResults {
        plan: plan.plan.name.clone(),
        title: plan.plan.title.clone(),
        conventions: plan.plan.conventions,
        level: plan.plan.level,
        seed: plan.plan.seed,
        data: data.source().to_owned(),
        nrows: data.nrows(),
        randomised,
        clusters: [cluster_sets[0].len(), cluster_sets[1].len()],
        effects,
        table1_tests,
        skipped,
        subgroups,
        assumptions: plan.assumptions.clone(),
        comparisons: Vec::new(),
        warnings,
        arms: arms.labels.clone(),
        outcomes: plan
            .outcomes
            .iter()
            .map(|o| OutcomeInfo {
                id: o.id.clone(),
                label: o.label.clone().unwrap_or_else(|| o.id.clone()),
                model: o.model,
                better: o.better,
                report_scale: o.report_scale,
                inference: o.inference.first().map_or("cr1", |k| k.id()),
            })
            .collect(),
        flow,
        iccs,
        targets: Vec::new(),
        table1,
        tables,
    };
    results.targets = crate::describe::targets(plan, &table, &results);
    Ok(results)
}

/// The data as the plan's analyses see them: every column of `data`, the treatment indicator
/// [`TREATED`] and the derived columns (those whose inputs the data have).
///
/// # Errors
/// As [`run`], for the design and the derived columns.
pub fn derived(plan: &Plan, data: &DataTable) -> Result<DataTable, PlanError> {
    let mut skipped = Vec::new();
    Ok(prepare(plan, data, &mut skipped)?.0)
}

/// The data as the analyses see them and the design's warnings, for `check`.
pub(crate) fn prepare_for_check(
    plan: &Plan,
    data: &DataTable,
    skipped: &mut Vec<Skipped>,
) -> Result<(DataTable, Vec<String>), PlanError> {
    let (table, _, warnings) = prepare(plan, data, skipped)?;
    Ok((table, warnings))
}

/// The columns an analysis needs that the data lack.
fn missing<'a>(table: &DataTable, columns: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    columns
        .into_iter()
        .filter(|c| table.column(c).is_err())
        .map(str::to_owned)
        .collect()
}

/// The data with the treatment indicator and the derived columns added.
fn prepare(
    plan: &Plan,
    data: &DataTable,
    skipped: &mut Vec<Skipped>,
) -> Result<(DataTable, Arms, Vec<String>), PlanError> {
    let design = &plan.design;
    let need = |s: &Spanned<String>, key: &str| -> Result<(), PlanError> {
        data.column(s.get_ref()).map(|_| ()).map_err(|_| {
            plan.invalid(
                s,
                key,
                format!(
                    "the data ({}) have no column `{}`",
                    data.source(),
                    s.get_ref()
                ),
            )
        })
    };
    need(&design.arm.column, "design.arm.column")?;
    need(&design.cluster, "design.cluster")?;
    if let Some(id) = &design.id {
        need(id, "design.id")?;
    }
    if let Some(strata) = &design.strata {
        need(strata, "design.strata")?;
    }
    let arm = data.column(design.arm.column.get_ref())?;
    let control = arm_rows(arm, design.arm.control.get_ref());
    let treatment = arm_rows(arm, design.arm.treatment.get_ref());
    let seen = arm_values_seen(arm);
    for (value, rows, key) in [
        (&design.arm.control, &control, "design.arm.control"),
        (&design.arm.treatment, &treatment, "design.arm.treatment"),
    ] {
        if !rows.iter().any(|r| *r) {
            return Err(plan.invalid(
                value,
                key,
                format!(
                    "no row of `{}` holds `{}`; its values are {}",
                    design.arm.column.get_ref(),
                    value.get_ref(),
                    seen
                ),
            ));
        }
    }
    let mut warnings = Vec::new();
    let neither = (0..data.nrows())
        .filter(|&i| !control[i] && !treatment[i])
        .count();
    if neither > 0 {
        warnings.push(format!(
            "{neither} row(s) of `{}` are neither `{}` nor `{}` (or missing) and are left out of every analysis",
            design.arm.column.get_ref(),
            design.arm.control.get_ref(),
            design.arm.treatment.get_ref()
        ));
    }
    let indicator: Vec<Option<f64>> = (0..data.nrows())
        .map(|i| {
            if treatment[i] {
                Some(1.0)
            } else if control[i] {
                Some(0.0)
            } else {
                None
            }
        })
        .collect();
    let mut columns: Vec<Column> = data
        .columns()
        .iter()
        .filter(|c| c.name != TREATED)
        .cloned()
        .collect();
    columns.push(Column::numeric(TREATED, indicator));
    if let Some(merge) = &design.merge {
        merge_clusters(
            plan,
            merge,
            &indicator_of(&columns),
            &mut columns,
            &mut warnings,
        )?;
    }
    let mut table = DataTable::new(data.source(), columns)?;
    for d in &plan.derive {
        let name = d.name.get_ref();
        let derived = match derive_one(plan, d, &table, &mut warnings)? {
            Ok(values) => values,
            Err(reason) => {
                // The analyses that use the column are skipped in turn, as missing it.
                skipped.push(Skipped {
                    analysis: format!("derive:{name}"),
                    reason,
                });
                continue;
            }
        };
        table = with_numeric(&table, name, derived)?;
    }
    let arms = Arms {
        labels: design.arm.labels.clone().unwrap_or_else(|| {
            [
                design.arm.control.get_ref().to_string(),
                design.arm.treatment.get_ref().to_string(),
            ]
        }),
    };
    Ok((table, arms, warnings))
}

/// One derived column: its values, or why it cannot be made (the input columns the data lack).
type DerivedValues = Result<Vec<Option<f64>>, String>;

fn lacking(columns: &[String]) -> String {
    format!("missing columns: {}", columns.join(", "))
}

fn derive_one(
    plan: &Plan,
    d: &Derived,
    table: &DataTable,
    warnings: &mut Vec<String>,
) -> Result<DerivedValues, PlanError> {
    let name = d.name.get_ref();
    if let Some(e) = &d.expression {
        return match table.evaluate(e.get_ref()) {
            Ok(v) => Ok(Ok(v)),
            Err(err) => {
                let absent = missing_in(table, e.get_ref());
                if absent.is_empty() {
                    Err(plan.invalid(e, "derive.expression", err.to_string()))
                } else {
                    Ok(Err(lacking(&absent)))
                }
            }
        };
    }
    if let Some(u) = &d.ukpds {
        return ukpds_column(plan, d, u, table, warnings);
    }
    if let Some(rule) = &d.score {
        return score_column(plan, d, rule, table, warnings);
    }
    let Some(from) = &d.from else {
        return Ok(Err(lacking(&[])));
    };
    let values = match table.column(from.get_ref()).map(|c| &c.data) {
        Ok(ColumnData::Numeric(v)) => v,
        Ok(_) => {
            return Err(plan.invalid(
                from,
                "derive.from",
                format!(
                    "`{}` is not numeric: `{name}` needs numbers",
                    from.get_ref()
                ),
            ));
        }
        Err(_) => return Ok(Err(lacking(&[from.get_ref().clone()]))),
    };
    Ok(Ok(match (&d.threshold, d.convert) {
        (Some(t), _) => {
            let rule = Threshold::parse(t.get_ref())
                .map_err(|m| plan.invalid(t, "derive.threshold", m))?;
            values
                .iter()
                .map(|x| x.map(|x| f64::from(u8::from(rule.holds(x)))))
                .collect()
        }
        (None, Some(Conversion::Hba1cPercentToMmolPerMol)) => values
            .iter()
            .map(|x| x.map(|x| (x - 2.15) * 10.929))
            .collect(),
        (None, Some(Conversion::Hba1cMmolPerMolToPercent)) => values
            .iter()
            .map(|x| x.map(|x| x / 10.929 + 2.15))
            .collect(),
        (None, None) => return Ok(Err(lacking(&[]))),
    }))
}

/// `table` with the numeric column `name` (replacing a column of that name, or added last).
fn with_numeric(
    table: &DataTable,
    name: &str,
    values: Vec<Option<f64>>,
) -> Result<DataTable, trialstats_data::DataError> {
    let mut columns: Vec<Column> = table
        .columns()
        .iter()
        .filter(|c| c.name != name)
        .cloned()
        .collect();
    columns.push(Column::numeric(name, values));
    DataTable::new(table.source(), columns)
}

/// The columns a derived column is made from.
fn derive_inputs(d: &Derived) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    out.extend(d.from.as_ref().map(|f| f.get_ref().clone()));
    if let Some(e) = &d.expression
        && let Ok(f) = trialstats_data::Formula::parse(&format!("I({}) ~ 1", e.get_ref()))
    {
        out.extend(f.columns().into_iter().map(str::to_owned));
    }
    if let Some(u) = &d.ukpds {
        out.extend(u.inputs().iter().map(|c| c.get_ref().clone()));
    }
    if let Some(rule) = &d.score
        && let Ok((items, _, _)) = scorer(rule)
    {
        out.extend(items.iter().map(|c| format!("{c}{}", rule.suffix)));
    }
    out
}

/// `table` with the derived columns that depend on `changed` (directly or through another
/// derived column) made again, in the plan's order.
fn rederive(plan: &Plan, table: &DataTable, changed: &[&str]) -> Result<DataTable, String> {
    let mut dirty: Vec<String> = changed.iter().map(|c| (*c).to_owned()).collect();
    let mut table = table.clone();
    for d in &plan.derive {
        if !derive_inputs(d).iter().any(|c| dirty.contains(c)) {
            continue;
        }
        let name = d.name.get_ref();
        let values = derive_one(plan, d, &table, &mut Vec::new())
            .map_err(|e| e.to_string())?
            .map_err(|reason| format!("{name}: {reason}"))?;
        table = with_numeric(&table, name, values).map_err(|e| e.to_string())?;
        dirty.push(name.clone());
    }
    Ok(table)
}

/// The names an expression uses that the data lack.
fn missing_in(table: &DataTable, expression: &str) -> Vec<String> {
    let formula = trialstats_data::Formula::parse(&format!("I({expression}) ~ 1"));
    let names: Vec<String> = match &formula {
        Ok(f) => f.columns().into_iter().map(str::to_owned).collect(),
        Err(_) => Vec::new(),
    };
    names
        .into_iter()
        .filter(|c| table.column(c).is_err())
        .collect()
}

/// The warning for the rows (1-based) a derived column leaves missing, the first ten named.
fn rows_left_missing(name: &str, why: &str, rows: &[usize]) -> Option<String> {
    if rows.is_empty() {
        return None;
    }
    let shown: Vec<String> = rows.iter().take(10).map(ToString::to_string).collect();
    Some(format!(
        "{name}: {} row(s) {why} are missing (rows {}{})",
        rows.len(),
        shown.join(", "),
        if rows.len() > 10 { ", …" } else { "" }
    ))
}

/// One output of an instrument, per row: the output's index, the item columns and a scorer.
type Scorer = Box<dyn Fn(&[Option<&str>]) -> Result<Vec<Option<Cell>>, ScoreError>>;

fn scorer(rule: &ScoreRule) -> Result<(Vec<String>, Vec<&'static str>, Scorer), String> {
    fn boxed<I: Instrument + 'static>(i: I) -> (Vec<String>, Vec<&'static str>, Scorer) {
        let (cols, outs) = (i.columns(), i.output_columns());
        (
            cols,
            outs,
            Box::new(move |a| Ok(i.output(&i.score_answers(a)?))),
        )
    }
    Ok(match rule.instrument.get_ref().as_str() {
        "phq9" => boxed(Phq9::default()),
        "dds2" => boxed(Dds::new(DdsVersion::Dds2)),
        "dds4" => boxed(Dds::new(DdsVersion::Dds4)),
        "dds17" => boxed(Dds::new(DdsVersion::Dds17)),
        "eq5d3l" => boxed(
            Eq5d::new(rule.value_set.as_deref().unwrap_or("eq5d3l_au_viney2011"))
                .map_err(|e| e.to_string())?,
        ),
        #[cfg(feature = "mmas8")]
        "mmas8" => boxed(trialstats_instruments::Mmas8::default()),
        other => {
            return Err(format!(
                "unknown instrument `{other}`: phq9, dds2, dds4, dds17, eq5d3l or mmas8"
            ));
        }
    })
}

/// An instrument score per row; a row whose answers cannot be scored is missing, and counted.
fn score_column(
    plan: &Plan,
    d: &Derived,
    rule: &ScoreRule,
    table: &DataTable,
    warnings: &mut Vec<String>,
) -> Result<DerivedValues, PlanError> {
    let name = d.name.get_ref();
    #[cfg(not(feature = "mmas8"))]
    if rule.instrument.get_ref() == "mmas8" {
        return Ok(Err("MMAS-8 is licensed and this build does not score it (the `mmas8` feature states the licence); supply its categories in the data".into()));
    }
    let (items, outputs, score) =
        scorer(rule).map_err(|m| plan.invalid(&rule.instrument, "derive.score.instrument", m))?;
    let k = outputs
        .iter()
        .position(|o| *o == rule.output.get_ref())
        .ok_or_else(|| {
            plan.invalid(
                &rule.output,
                "derive.score.output",
                format!(
                    "{} has no output `{}`; its outputs are {}",
                    rule.instrument.get_ref(),
                    rule.output.get_ref(),
                    outputs.join(", ")
                ),
            )
        })?;
    let columns: Vec<String> = items
        .iter()
        .map(|c| format!("{c}{}", rule.suffix))
        .collect();
    let absent: Vec<String> = columns
        .iter()
        .filter(|c| table.column(c).is_err())
        .cloned()
        .collect();
    if !absent.is_empty() {
        return Ok(Err(lacking(&absent)));
    }
    let cols: Vec<&Column> = columns
        .iter()
        .filter_map(|c| table.column(c).ok())
        .collect();
    let mut out = Vec::with_capacity(table.nrows());
    let mut unscored: Vec<usize> = Vec::new();
    for i in 0..table.nrows() {
        let answers: Vec<Option<String>> = cols.iter().map(|c| c.text(i)).collect();
        if answers.iter().all(Option::is_none) {
            out.push(None);
            continue;
        }
        let refs: Vec<Option<&str>> = answers.iter().map(Option::as_deref).collect();
        match score(&refs) {
            Ok(cells) => match cells.get(k).cloned().flatten() {
                Some(Cell::Number(x)) => out.push(Some(x)),
                Some(Cell::Bool(b)) => out.push(Some(f64::from(u8::from(b)))),
                None => out.push(None),
                Some(Cell::Text(t)) => match &rule.levels {
                    Some(levels) => match levels.iter().position(|l| *l == t) {
                        Some(k) => out.push(Some((k + 1) as f64)),
                        None => {
                            return Err(plan.invalid(
                                &rule.output,
                                "derive.score.levels",
                                format!("`{t}` is not among the levels {levels:?}"),
                            ));
                        }
                    },
                    None => {
                        return Err(plan.invalid(
                            &rule.output,
                            "derive.score.output",
                            format!(
                                "`{}` is text (`{t}`): give its values in order with `levels = [...]`",
                                rule.output.get_ref()
                            ),
                        ));
                    }
                },
            },
            Err(_) => {
                unscored.push(i + 1);
                out.push(None);
            }
        }
    }
    warnings.extend(rows_left_missing(
        name,
        "whose answers cannot be scored",
        &unscored,
    ));
    Ok(Ok(out))
}

/// A UKPDS risk per row; a row outside an equation's range is missing, and counted.
fn ukpds_column(
    plan: &Plan,
    d: &Derived,
    u: &UkpdsRule,
    table: &DataTable,
    warnings: &mut Vec<String>,
) -> Result<DerivedValues, PlanError> {
    let name = d.name.get_ref();
    let inputs = u.inputs();
    let absent: Vec<String> = inputs
        .iter()
        .filter(|c| table.column(c.get_ref()).is_err())
        .map(|c| c.get_ref().clone())
        .collect();
    if !absent.is_empty() {
        return Ok(Err(lacking(&absent)));
    }
    let mut columns = Vec::with_capacity(inputs.len());
    for c in &inputs {
        columns.push(table.numeric(c.get_ref()).map_err(|_| {
            plan.invalid(
                c,
                "derive.ukpds",
                format!(
                    "`{}` is not numeric: the UKPDS risk `{name}` needs numbers",
                    c.get_ref()
                ),
            )
        })?);
    }
    let mut out = Vec::with_capacity(table.nrows());
    let mut outside: Vec<usize> = Vec::new();
    for i in 0..table.nrows() {
        let v: Option<Vec<f64>> = columns.iter().map(|c| c[i]).collect();
        let Some(v) = v else {
            out.push(None);
            continue;
        };
        let profile = ProfileBuilder {
            // The age at diagnosis is fixed; the duration grows with the years later.
            age_at_diagnosis: v[0] - v[1],
            duration: v[1] + u.years_later,
            female: v[2],
            afro_caribbean: v[3],
            smoker: v[4],
            hba1c: v[5],
            sbp: v[6],
            tc_hdl: v[7],
            atrial_fibrillation: v.get(8).copied().unwrap_or(0.0),
        }
        .build();
        let risk = profile.and_then(|p| match u.equation {
            UkpdsEquation::Chd => Equation::Chd.risk(&p, u.horizon).map(|r| r.risk),
            UkpdsEquation::Stroke => Equation::Stroke.risk(&p, u.horizon).map(|r| r.risk),
            UkpdsEquation::Cvd => {
                let chd = Equation::Chd.risk(&p, u.horizon)?.risk;
                let stroke = Equation::Stroke.risk(&p, u.horizon)?.risk;
                Ok(1.0 - (1.0 - chd) * (1.0 - stroke))
            }
        });
        match risk {
            Ok(r) => out.push(Some(r)),
            Err(_) => {
                outside.push(i + 1);
                out.push(None);
            }
        }
    }
    warnings.extend(rows_left_missing(
        name,
        "outside the UKPDS equation's range",
        &outside,
    ));
    Ok(Ok(out))
}

/// The cluster column with each merge list's clusters relabelled as its first.
/// The treatment indicator among the columns.
fn indicator_of(columns: &[Column]) -> Vec<Option<f64>> {
    columns
        .iter()
        .find(|c| c.name == TREATED)
        .and_then(|c| match &c.data {
            ColumnData::Numeric(v) => Some(v.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

fn merge_clusters(
    plan: &Plan,
    merge: &Spanned<Vec<Vec<String>>>,
    treated: &[Option<f64>],
    columns: &mut [Column],
    warnings: &mut Vec<String>,
) -> Result<(), PlanError> {
    let name = plan.design.cluster.get_ref();
    let Some(col) = columns.iter_mut().find(|c| c.name == *name) else {
        return Ok(());
    };
    let text: Vec<Option<String>> = (0..col.data.len()).map(|i| col.text(i)).collect();
    let before: std::collections::BTreeSet<&String> = text.iter().flatten().collect();
    // Clusters merged into one must be of one arm.
    for group in merge.get_ref() {
        let arms: std::collections::BTreeSet<u64> = text
            .iter()
            .zip(treated)
            .filter(|(t, _)| t.as_ref().is_some_and(|t| group.contains(t)))
            .filter_map(|(_, a)| a.map(f64::to_bits))
            .collect();
        if arms.len() > 1 {
            return Err(plan.invalid(
                merge,
                "design.merge",
                format!(
                    "the clusters {} are in different arms and cannot be analysed as one",
                    group.join(", ")
                ),
            ));
        }
    }
    let mut into: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
    for group in merge.get_ref() {
        let Some(first) = group.first() else {
            continue;
        };
        for c in group {
            if !before.contains(c) {
                return Err(plan.invalid(
                    merge,
                    "design.merge",
                    format!("no row of `{name}` holds the cluster `{c}`"),
                ));
            }
            into.insert(c.as_str(), first.as_str());
        }
    }
    let merged: Vec<Option<String>> = text
        .iter()
        .map(|t| {
            t.as_deref()
                .map(|t| into.get(t).copied().unwrap_or(t).to_owned())
        })
        .collect();
    let after: std::collections::BTreeSet<&String> = merged.iter().flatten().collect();
    warnings.push(format!(
        "clusters merged as the plan says ({}): G {} → {}, so the t df of CR1 is {} rather than {}",
        merge
            .get_ref()
            .iter()
            .map(|g| g.join(" + "))
            .collect::<Vec<_>>()
            .join("; "),
        before.len(),
        after.len(),
        after.len().saturating_sub(1),
        before.len().saturating_sub(1)
    ));
    let refs: Vec<Option<&str>> = merged.iter().map(Option::as_deref).collect();
    let mut replaced = Column::categorical(name, &refs);
    replaced.description.clone_from(&col.description);
    *col = replaced;
    Ok(())
}

/// Whether each row of the arm column holds `value`: a number matches a numeric cell (or a text
/// cell reading as that number); text matches a text cell, or a numeric cell's value label.
fn arm_rows(arm: &Column, value: &ArmValue) -> Vec<bool> {
    let label = |x: f64| {
        arm.labels.as_ref().and_then(|l| {
            l.iter()
                .find(|(v, _)| v.to_bits() == x.to_bits())
                .map(|(_, t)| t.as_str())
        })
    };
    (0..arm.data.len())
        .map(|i| match (&arm.data, value) {
            (ColumnData::Numeric(v), ArmValue::Number(x)) => v[i] == Some(*x),
            (ColumnData::Numeric(v), ArmValue::Text(s)) => v[i].and_then(label) == Some(s.as_str()),
            (_, ArmValue::Text(s)) => arm.text(i).as_deref() == Some(s.as_str()),
            (_, ArmValue::Number(x)) => {
                arm.text(i).and_then(|t| t.trim().parse::<f64>().ok()) == Some(*x)
            }
        })
        .collect()
}

/// The distinct values of the arm column, as an error message lists them.
fn arm_values_seen(arm: &Column) -> String {
    let (_, levels) = arm.as_factor().unwrap_or_default();
    let mut shown: Vec<String> = levels.iter().take(10).map(|l| format!("`{l}`")).collect();
    if levels.len() > 10 {
        shown.push(format!("… ({} in all)", levels.len()));
    }
    if shown.is_empty() {
        "all missing".into()
    } else {
        shown.join(", ")
    }
}

/// Table 1 with the plan's conventions; a variable the data lack is skipped.
fn table_one(
    plan: &Plan,
    spec: &crate::plan::Table1Spec,
    table: &DataTable,
    arms: &Arms,
    skipped: &mut Vec<Skipped>,
) -> (Option<Table>, Vec<Table1Test>) {
    let stata = plan.plan.conventions == Conventions::Stata13;
    let group: Vec<Option<usize>> = table
        .numeric(TREATED)
        .map(|t| t.iter().map(|x| x.map(|x| usize::from(x > 0.5))).collect())
        .unwrap_or_default();
    enum Owned {
        Num(Vec<Option<f64>>, Continuous),
        Cat(Vec<Option<usize>>, Vec<String>),
    }
    let mut owned: Vec<(String, String, Owned)> = Vec::new();
    let kinds = [
        (&spec.continuous, "continuous"),
        (&spec.nonparametric, "nonparametric"),
        (&spec.categorical, "categorical"),
    ];
    for (vars, kind) in kinds {
        for v in vars {
            let name = v.get_ref();
            let Ok(col) = table.column(name) else {
                skipped.push(Skipped {
                    analysis: format!("table1:{name}"),
                    reason: format!("missing columns: {name}"),
                });
                continue;
            };
            let label = spec
                .labels
                .get(name)
                .or(col.description.as_ref())
                .unwrap_or(name)
                .clone();
            let data = match (kind, &col.data) {
                ("categorical", _) => match col.as_factor() {
                    Some((codes, levels)) => {
                        let named = spec.levels.get(name);
                        let levels = levels
                            .iter()
                            .enumerate()
                            .map(|(k, l)| named.and_then(|n| n.get(k)).unwrap_or(l).clone())
                            .collect();
                        Owned::Cat(codes, levels)
                    }
                    None => {
                        skipped.push(Skipped {
                            analysis: format!("table1:{name}"),
                            reason: format!("`{name}` mixes numbers and text"),
                        });
                        continue;
                    }
                },
                (_, ColumnData::Numeric(x)) => Owned::Num(
                    match spec.scale.get(name) {
                        Some(f) => x.iter().map(|v| v.map(|v| v * f)).collect(),
                        None => x.clone(),
                    },
                    match (kind, stata) {
                        ("nonparametric", true) => Continuous::MedianIqrRanksum,
                        ("nonparametric", false) => Continuous::MedianIqrWilcoxon,
                        (_, true) => Continuous::MeanSdStudent,
                        (_, false) => Continuous::MeanSdWelch,
                    },
                ),
                _ => {
                    skipped.push(Skipped {
                        analysis: format!("table1:{name}"),
                        reason: format!("`{name}` is not numeric; list it under `categorical`"),
                    });
                    continue;
                }
            };
            owned.push((name.clone(), label, data));
        }
    }
    let test = if stata {
        Categorical::ChiSquare(Continuity::Uncorrected)
    } else {
        Categorical::ChiSquare(Continuity::Corrected)
    };
    // One variable at a time, so that a variable whose test fails is skipped alone.
    let mut rows: Option<Table> = None;
    let mut numeric: Option<Table> = None;
    let mut tests = Vec::new();
    let labels = [arms.labels[0].as_str(), arms.labels[1].as_str()];
    for (name, label, data) in &owned {
        let var = match data {
            Owned::Num(v, kind) => Table1Variable::Continuous {
                name: label,
                values: v,
                kind: *kind,
            },
            Owned::Cat(codes, levels) => Table1Variable::Categorical {
                name: label,
                codes,
                levels,
                test,
            },
        };
        match table1(&group, &labels, &[var]) {
            Ok((t, results)) => {
                if let Some(Some(r)) = results.first() {
                    let mut t = table1_test(name, r);
                    if stata && t.test == "wilcoxon" {
                        // The same test by Stata's name (its normal approximation here).
                        t.test = "ranksum".into();
                    }
                    tests.push(t);
                }
                merge(&mut rows, &t);
                if let Some(n) = &t.numeric {
                    merge(&mut numeric, n);
                }
            }
            Err(e) => skipped.push(Skipped {
                analysis: format!("table1:{name}"),
                reason: e.to_string(),
            }),
        }
    }
    if let Some(t) = &mut rows {
        t.title = Some(format!(
            "Table 1. Baseline characteristics by arm ({} conventions)",
            if stata { "Stata 13" } else { "R" }
        ));
        t.notes = vec![if stata {
            "Mean (SD) with Student's t test (ttest); median [IQR] with the rank-sum test's normal approximation, no continuity correction (ranksum); n (%) with Pearson's chi-square, no continuity correction (tabulate, chi2).".into()
        } else {
            "Mean (SD) with Welch's t test; median [IQR] with wilcox.test (exact when small, continuity-corrected otherwise); n (%) with chisq.test (Yates' correction on 2 × 2).".into()
        }];
        t.numeric = numeric.map(Box::new);
    }
    (rows, tests)
}

fn merge(into: &mut Option<Table>, t: &Table) {
    match into {
        Some(all) => all.rows.extend(t.rows.iter().cloned()),
        None => {
            let mut first = t.clone();
            first.numeric = None;
            *into = Some(first);
        }
    }
}

fn table1_test(name: &str, r: &TestResult) -> Table1Test {
    Table1Test {
        variable: name.to_owned(),
        test: r.test.clone(),
        statistic: r.statistic,
        df: r.df,
        p_value: r.p_value,
        method: r.method.clone(),
    }
}

/// Every inference of one outcome; what cannot run is skipped with the reason.
fn outcome_effects(
    plan: &Plan,
    outcome: &Outcome,
    table: &DataTable,
    effects: &mut Vec<Effect>,
    skipped: &mut Vec<Skipped>,
    warnings: &mut Vec<String>,
) {
    let mut columns: Vec<&str> = vec![outcome.followup.get_ref()];
    columns.extend(outcome.baseline.as_ref().map(|b| b.get_ref().as_str()));
    columns.extend(outcome.adjust.iter().map(|a| a.get_ref().as_str()));
    let absent = missing(table, columns.iter().copied());
    if !absent.is_empty() {
        skipped.push(Skipped {
            analysis: outcome.id.clone(),
            reason: format!("missing columns: {}", absent.join(", ")),
        });
        return;
    }
    let level = Level::new(plan.plan.level).unwrap_or(Level::P95);
    let cluster = plan.design.cluster.get_ref();
    if outcome.model.is_ordinal() {
        let fitted = if outcome.model == ModelKind::OrderedLongitudinal {
            ordered_longitudinal(plan, outcome, table, level)
        } else {
            ordered_change(plan, outcome, table, level)
        };
        match fitted {
            Ok(effect) => effects.push(effect),
            Err(reason) => skipped.push(Skipped {
                analysis: format!("{}:model", outcome.id),
                reason,
            }),
        }
        return;
    }
    let mut formula = format!("{} ~ {TREATED}", outcome.followup.get_ref());
    for c in &columns[1..] {
        formula.push_str(" + ");
        formula.push_str(c);
    }
    for &kind in &outcome.inference {
        let analysis = format!("{}:{}", outcome.id, kind.id());
        match one_effect(plan, outcome, &formula, cluster, kind, level, table) {
            Ok((effect, notes)) => {
                effects.push(effect);
                // The same rows are dropped for every inference of an outcome: said once.
                for n in notes {
                    let w = format!("{}: {n}", outcome.id);
                    if !warnings.contains(&w) {
                        warnings.push(w);
                    }
                }
            }
            Err(reason) => skipped.push(Skipped { analysis, reason }),
        }
    }
}

/// Why the inference `kind` cannot be made for `outcome`'s model (`None`: it can). The run and
/// `plan check` both ask here.
pub(crate) fn inference_problem(outcome: &Outcome, kind: InferenceKind) -> Option<&'static str> {
    let model = outcome.model;
    match (model, kind) {
        (m, _) if m.is_ordinal() && outcome.baseline.is_none() => {
            Some("an ordinal outcome needs the baseline category (`baseline`)")
        }
        (m, _) if m.is_ordinal() && !outcome.adjust.is_empty() => {
            Some("the multilevel ordered logits take no further covariates (`adjust`)")
        }
        (ModelKind::Mixed, InferenceKind::KenwardRoger | InferenceKind::Satterthwaite) => None,
        (ModelKind::Mixed, _) => Some(
            "the linear mixed model reports Kenward–Roger or Satterthwaite inference: write inference = [\"kenward_roger\"] (or \"satterthwaite\")",
        ),
        (_, InferenceKind::KenwardRoger | InferenceKind::Satterthwaite) => Some(
            "Kenward–Roger and Satterthwaite df are for the linear mixed model (model = \"mixed\")",
        ),
        (m, InferenceKind::Model) if m.is_multilevel() => None,
        (m, _) if m.is_multilevel() => Some(
            "a model with random intercepts reports model-based inference only: write inference = [\"model\"]",
        ),
        (ModelKind::Logistic, InferenceKind::Cr2) => {
            Some("CR2 with Satterthwaite df is for linear models")
        }
        (ModelKind::Logistic, InferenceKind::Wild) => {
            Some("the wild cluster bootstrap is for linear models")
        }
        _ => None,
    }
}

/// Why `what` (subgroup analyses, multiple imputation) cannot be made for `outcome`: they are
/// for the cluster-robust linear and logistic models (`None`: they can). The run and `plan
/// check` both ask here.
pub(crate) fn robust_only(outcome: &Outcome, what: &str) -> Option<String> {
    (!matches!(outcome.model, ModelKind::Linear | ModelKind::Logistic)).then(|| {
        format!(
            "{what} are for the cluster-robust linear and logistic models; `{}` has random intercepts",
            outcome.id
        )
    })
}

/// One inference of a linear outcome's effect (for a described variable).
pub(crate) fn linear_effect(
    plan: &Plan,
    outcome: &Outcome,
    kind: InferenceKind,
    level: Level,
    table: &DataTable,
) -> Result<Effect, String> {
    let mut formula = format!("{} ~ {TREATED}", outcome.followup.get_ref());
    if let Some(b) = &outcome.baseline {
        formula.push_str(" + ");
        formula.push_str(b.get_ref());
    }
    one_effect(
        plan,
        outcome,
        &formula,
        plan.design.cluster.get_ref(),
        kind,
        level,
        table,
    )
    .map(|(e, _)| e)
}

fn one_effect(
    plan: &Plan,
    outcome: &Outcome,
    formula: &str,
    cluster: &str,
    kind: InferenceKind,
    level: Level,
    table: &DataTable,
) -> Result<(Effect, Vec<String>), String> {
    if let Some(problem) = inference_problem(outcome, kind) {
        return Err(problem.into());
    }
    let model = match outcome.model {
        ModelKind::Linear => ols(formula),
        ModelKind::Logistic => logit(formula),
        ModelKind::Mixed => lmm(formula, cluster).ddf(if kind == InferenceKind::KenwardRoger {
            Ddf::KenwardRoger
        } else {
            Ddf::Satterthwaite
        }),
        ModelKind::MixedLogistic => glmm(formula, cluster).quadrature(quadrature(outcome)),
        ModelKind::OrderedChange | ModelKind::Ordered | ModelKind::OrderedLongitudinal => {
            return Err("an ordinal outcome is fitted by its own model".into());
        }
    };
    let se = match kind {
        InferenceKind::Cr1
        | InferenceKind::Wild
        | InferenceKind::KenwardRoger
        | InferenceKind::Satterthwaite => None,
        InferenceKind::Cr2 => Some(Se::CR2),
        InferenceKind::Model => Some(Se::Model),
    };
    let mut model = model.level(level);
    if !outcome.model.is_multilevel() {
        model = model.cluster(cluster);
    }
    if let Some(se) = se {
        model = model.se(se);
    }
    let fit = model.fit(table).map_err(|e| e.to_string())?;
    let notes = fit.warnings();
    let n = fit.nobs();
    let clusters = fit.inference().n_clusters.unwrap_or(0);
    let scale = scale_of(outcome.model);
    let effect = if kind == InferenceKind::Wild {
        let boot = fit
            .wild_bootstrap(
                TREATED,
                &WildClusterBootstrap {
                    reps: plan.plan.wild_reps,
                    seed: plan.plan.seed,
                    level: Some(level),
                    ..WildClusterBootstrap::default()
                },
                None,
            )
            .map_err(|e| e.to_string())?;
        let (lo, hi) = boot.ci.unwrap_or((f64::NAN, f64::NAN));
        Effect {
            outcome: outcome.id.clone(),
            inference: kind.id(),
            estimate: boot.estimate,
            std_error: None,
            df: None,
            ci_low: lo,
            ci_high: hi,
            p_value: boot.p_value,
            n,
            clusters,
            scale,
            odds_ratio: None,
            method: format!(
                "wild cluster bootstrap (WCR, Rademacher, {} draws{}, seed {}), interval by test inversion",
                boot.reps,
                if boot.enumerated { ", enumerated" } else { "" },
                plan.plan.seed
            ),
            baseline_sd: None,
        }
    } else {
        let c = fit
            .inference()
            .coef(TREATED)
            .ok_or_else(|| format!("the model has no `{TREATED}` term (one arm only?)"))?;
        Effect {
            outcome: outcome.id.clone(),
            inference: kind.id(),
            estimate: c.estimate,
            std_error: Some(c.std_error),
            df: c.df,
            ci_low: c.ci_low,
            ci_high: c.ci_high,
            p_value: c.p_value,
            n,
            clusters,
            scale,
            odds_ratio: (!outcome.model.is_linear()).then(|| OddsRatio {
                estimate: c.estimate.exp(),
                ci_low: c.ci_low.exp(),
                ci_high: c.ci_high.exp(),
            }),
            method: fit.inference().covariance.description.clone(),
            baseline_sd: None,
        }
    };
    Ok((effect, notes))
}

/// The effect within one level of a subgroup column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubgroupLevel {
    /// The level, as the data name it (a value label where there is one).
    pub level: String,
    /// The outcome's CR1 effect on the rows of that level.
    pub effect: Effect,
}

/// The test of the treatment × subgroup interaction (CR1): for two levels, the difference of the
/// second level's effect from the first's with its t (or z) test; for more, the joint Wald test
/// of the k − 1 interaction terms, F(k − 1, G − 1) for a linear model (Stata's `test` after
/// `regress, vce(cluster)`) and χ²(k − 1) for a logistic one.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interaction {
    /// Two levels: the difference of the second level's effect from the first's (the model's
    /// scale).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimate: Option<f64>,
    /// Two levels: its CR1 standard error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub std_error: Option<f64>,
    /// More levels: the F (linear) or χ² (logistic) statistic.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statistic: Option<f64>,
    /// Numerator df: the number of interaction terms (1 for two levels).
    pub df1: usize,
    /// The reference distribution's (denominator) df: G − 1, or none (normal, χ²).
    pub df: Option<f64>,
    /// p-value.
    pub p_value: f64,
}

/// A subgroup analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubgroupResult {
    /// Its id.
    pub id: String,
    /// As printed.
    pub label: Option<String>,
    /// The outcome's id.
    pub outcome: String,
    /// The subgroup column.
    pub by: String,
    /// The effect within each level.
    pub levels: Vec<SubgroupLevel>,
    /// The interaction test, in the whole sample: `followup ~ treated * subgroup + baseline +
    /// adjust`, CR1.
    pub interaction: Option<Interaction>,
}

/// One subgroup analysis; what cannot run is skipped with the reason.
fn subgroup(
    plan: &Plan,
    sg: &crate::plan::Subgroup,
    table: &DataTable,
    skipped: &mut Vec<Skipped>,
) -> Option<SubgroupResult> {
    let analysis = format!("subgroup:{}", sg.id);
    let mut skip = |reason: String| {
        skipped.push(Skipped {
            analysis: analysis.clone(),
            reason,
        });
    };
    let outcome = plan
        .outcomes
        .iter()
        .find(|o| o.id == *sg.outcome.get_ref())?;
    if let Some(reason) = robust_only(outcome, "subgroup analyses") {
        skip(reason);
        return None;
    }
    let mut columns: Vec<&str> = vec![outcome.followup.get_ref(), sg.by.get_ref()];
    columns.extend(outcome.baseline.as_ref().map(|b| b.get_ref().as_str()));
    columns.extend(outcome.adjust.iter().map(|a| a.get_ref().as_str()));
    let absent = missing(table, columns.iter().copied());
    if !absent.is_empty() {
        skip(format!("missing columns: {}", absent.join(", ")));
        return None;
    }
    let Some((codes, names)) = table.column(sg.by.get_ref()).ok()?.as_factor() else {
        skip(format!("`{}` mixes numbers and text", sg.by.get_ref()));
        return None;
    };
    let mut rhs = String::new();
    for c in &columns[2..] {
        rhs.push_str(" + ");
        rhs.push_str(c);
    }
    let formula = format!("{} ~ {TREATED}{rhs}", outcome.followup.get_ref());
    let level = Level::new(plan.plan.level).unwrap_or(Level::P95);
    let cluster = plan.design.cluster.get_ref();
    let mut levels = Vec::new();
    for (k, name) in names.iter().enumerate() {
        let keep: Vec<bool> = codes.iter().map(|c| *c == Some(k)).collect();
        let within = table
            .filter_rows(&keep)
            .map_err(|e| e.to_string())
            .and_then(|t| {
                one_effect(
                    plan,
                    outcome,
                    &formula,
                    cluster,
                    InferenceKind::Cr1,
                    level,
                    &t,
                )
            });
        match within {
            Ok((effect, _)) => levels.push(SubgroupLevel {
                level: name.clone(),
                effect,
            }),
            Err(reason) => skip(format!("within `{}` = {name}: {reason}", sg.by.get_ref())),
        }
    }
    let interaction = if names.len() >= 2 {
        match interaction(plan, outcome, table, &codes, names.len(), &rhs, level) {
            Ok(i) => Some(i),
            Err(reason) => {
                skip(format!("interaction: {reason}"));
                None
            }
        }
    } else {
        skip(format!(
            "interaction: `{}` has one level in these data",
            sg.by.get_ref()
        ));
        None
    };
    Some(SubgroupResult {
        id: sg.id.clone(),
        label: sg.label.clone(),
        outcome: outcome.id.clone(),
        by: sg.by.get_ref().clone(),
        levels,
        interaction,
    })
}

/// The name of the subgroup indicator in the interaction model.
const IN_SUBGROUP: &str = "in_subgroup";

fn interaction(
    plan: &Plan,
    outcome: &Outcome,
    table: &DataTable,
    codes: &[Option<usize>],
    levels: usize,
    rhs: &str,
    level: Level,
) -> Result<Interaction, String> {
    // Two levels: the subgroup as a 0/1 column and the one interaction coefficient; more: the
    // level codes as a factor and the joint test of its interaction terms.
    let code: Vec<Option<f64>> = codes.iter().map(|c| c.map(|c| c as f64)).collect();
    let mut columns: Vec<Column> = table
        .columns()
        .iter()
        .filter(|c| c.name != IN_SUBGROUP)
        .cloned()
        .collect();
    columns.push(Column::numeric(IN_SUBGROUP, code));
    let t = DataTable::new(table.source(), columns).map_err(|e| e.to_string())?;
    let sub = if levels == 2 {
        IN_SUBGROUP.to_owned()
    } else {
        format!("factor({IN_SUBGROUP})")
    };
    let formula = format!("{} ~ {TREATED} * {sub}{rhs}", outcome.followup.get_ref());
    let model = match outcome.model {
        ModelKind::Linear => ols(&formula),
        ModelKind::Logistic => logit(&formula),
        _ => {
            return Err(
                "interaction tests are for linear and logistic outcomes (cluster-robust)".into(),
            );
        }
    };
    let fit = model
        .cluster(plan.design.cluster.get_ref())
        .level(level)
        .fit(&t)
        .map_err(|e| e.to_string())?;
    let inf = fit.inference();
    if levels == 2 {
        let term = format!("{TREATED}:{IN_SUBGROUP}");
        let c = inf
            .coef(&term)
            .ok_or_else(|| format!("the model has no `{term}` term"))?;
        return Ok(Interaction {
            estimate: Some(c.estimate),
            std_error: Some(c.std_error),
            statistic: None,
            df1: 1,
            df: c.df,
            p_value: c.p_value,
        });
    }
    // The joint Wald test of the k − 1 interaction terms under the fit's CR1 covariance (the
    // sandwich layer's test: F(q, G − 1) for linear models, χ²(q) for logistic ones).
    let prefix = format!("{TREATED}:factor({IN_SUBGROUP})");
    let names: Vec<String> = inf.coefficients.iter().map(|c| c.term.clone()).collect();
    let terms: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|t| t.starts_with(&prefix))
        .collect();
    if terms.len() != levels - 1 {
        return Err(format!(
            "the model has {} of the {} interaction terms (a level without both arms?)",
            terms.len(),
            levels - 1
        ));
    }
    let w = trialstats_sandwich::wald_test_inference(inf, &terms)
        .map_err(|e| format!("the joint test of the interaction terms: {e}"))?;
    let (statistic, q, df2, p_value) = (w.statistic, w.df1, w.df2, w.p_value);
    Ok(Interaction {
        estimate: None,
        std_error: None,
        statistic: Some(statistic),
        df1: q,
        df: df2,
        p_value,
    })
}

/// The name of the cluster codes in the imputation model's table.
const CLUSTER_CODE: &str = "cluster_code";

/// A multiple-imputation sensitivity analysis of one outcome: the pooled CR1 effect.
fn mi_effect(
    plan: &Plan,
    x: &crate::plan::Sensitivity,
    table: &DataTable,
) -> Result<Effect, String> {
    let outcome = plan
        .outcomes
        .iter()
        .find(|o| o.id == *x.outcome.get_ref())
        .ok_or_else(|| format!("no outcome `{}`", x.outcome.get_ref()))?;
    let components = !x.impute.is_empty();
    let mut names: Vec<&str> = vec![outcome.followup.get_ref()];
    names.extend(outcome.baseline.as_ref().map(|b| b.get_ref().as_str()));
    names.extend(outcome.adjust.iter().map(|a| a.get_ref().as_str()));
    let covariates = names[1..].to_vec();
    if components {
        // The outcome's inputs are imputed in its place; it is derived again afterwards.
        names.remove(0);
        for c in x.impute.iter().rev() {
            names.insert(0, c.get_ref());
        }
    }
    for p in &x.predictors {
        if !names.contains(&p.get_ref().as_str()) {
            names.push(p.get_ref());
        }
    }
    let absent = missing(table, names.iter().copied());
    if !absent.is_empty() {
        return Err(format!("missing columns: {}", absent.join(", ")));
    }
    let mut columns = Vec::new();
    for n in &names {
        let v = table
            .numeric(n)
            .map_err(|_| format!("`{n}` is not numeric: the imputation model needs numbers"))?;
        columns.push(Column::numeric(n, v.to_vec()));
    }
    columns.push(Column::numeric(
        TREATED,
        table.numeric(TREATED).map_err(|e| e.to_string())?.to_vec(),
    ));
    let (codes, _) = table
        .column(plan.design.cluster.get_ref())
        .ok()
        .and_then(Column::as_factor)
        .ok_or("the cluster column cannot be coded")?;
    columns.push(Column::numeric(
        CLUSTER_CODE,
        codes.iter().map(|c| c.map(|c| c as f64)).collect(),
    ));
    // Rows outside both arms, or without a cluster, take no part.
    let keep: Vec<bool> = (0..table.nrows())
        .map(|i| columns[columns.len() - 2].data.text(i).is_some() && codes[i].is_some())
        .collect();
    let t = DataTable::new(table.source(), columns)
        .and_then(|t| t.filter_rows(&keep))
        .map_err(|e| e.to_string())?;
    let mut spec = Mice::new(&t).map_err(|e| e.to_string())?;
    for n in &names {
        if t.numeric(n)
            .map_err(|e| e.to_string())?
            .iter()
            .any(Option::is_none)
        {
            spec = spec
                .method(n, MiMethod::Pmm { donors: x.donors })
                .map_err(|e| e.to_string())?;
        }
    }
    let imputed = spec
        .cluster(CLUSTER_CODE, ClusterTerm::Indicators)
        .map_err(|e| e.to_string())?
        .m(x.m)
        .maxit(x.maxit)
        .seed(plan.plan.seed)
        .run(None)
        .map_err(|e| e.to_string())?;
    let mut formula = format!("{} ~ {TREATED}", outcome.followup.get_ref());
    for c in &covariates {
        formula.push_str(" + ");
        formula.push_str(c);
    }
    let level = Level::new(plan.plan.level).unwrap_or(Level::P95);
    let model = match outcome.model {
        ModelKind::Linear => ols(&formula),
        ModelKind::Logistic => logit(&formula),
        _ => {
            return Err(robust_only(outcome, "multiple imputation analyses").unwrap_or_default());
        }
    }
    .cluster(CLUSTER_CODE)
    .level(level);
    let pooled = if components {
        // Each completed data set: the imputed columns put back into the data (the rows the
        // imputation used), every derived column made again, the outcome's CR1 model fitted.
        let kept = table.filter_rows(&keep).map_err(|e| e.to_string())?;
        let imputed_names: Vec<&str> = x.impute.iter().map(|c| c.get_ref().as_str()).collect();
        let g = codes
            .iter()
            .zip(&keep)
            .filter(|(_, k)| **k)
            .filter_map(|(c, _)| *c)
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        let cluster = plan.design.cluster.get_ref().clone();
        imputed
            .analyse(
                g.saturating_sub(1) as f64,
                level,
                |completed: &DataTable| -> Result<trialstats_core::Inference, String> {
                    let mut columns: Vec<Column> = kept
                        .columns()
                        .iter()
                        .filter(|c| !imputed_names.contains(&c.name.as_str()))
                        .cloned()
                        .collect();
                    for n in &imputed_names {
                        let v = completed.numeric(n).map_err(|e| e.to_string())?;
                        columns.push(Column::numeric(n, v.to_vec()));
                    }
                    let again =
                        DataTable::new(kept.source(), columns).map_err(|e| e.to_string())?;
                    let derived = rederive(plan, &again, &imputed_names)?;
                    let refit = match outcome.model {
                        ModelKind::Linear => ols(&formula),
                        _ => logit(&formula),
                    }
                    .cluster(&cluster)
                    .level(level)
                    .fit(&derived)
                    .map_err(|e| e.to_string())?;
                    Ok(refit.inference().clone())
                },
            )
            .map_err(|e| e.to_string())?
    } else {
        model.pool(&imputed).map_err(|e| e.to_string())?
    };
    let term = pooled
        .terms
        .iter()
        .find(|c| c.term == TREATED)
        .ok_or_else(|| format!("the pooled model has no `{TREATED}` term"))?;
    let clusters = (pooled.df_complete + 1.0).round() as usize;
    Ok(Effect {
        outcome: outcome.id.clone(),
        inference: if components { "mi_components" } else { "mi" },
        estimate: term.estimate,
        std_error: Some(term.std_error),
        df: Some(term.df),
        ci_low: term.ci_low,
        ci_high: term.ci_high,
        p_value: term.p_value,
        n: t.nrows(),
        clusters,
        scale: scale_of(outcome.model),
        odds_ratio: (!outcome.model.is_linear()).then(|| OddsRatio {
            estimate: term.estimate.exp(),
            ci_low: term.ci_low.exp(),
            ci_high: term.ci_high.exp(),
        }),
        method: format!(
            "multiple imputation `{}`: MICE, pmm with {} donors, m = {}, {} iterations, seed {}, cluster indicators{}; CR1 fits pooled by Rubin's rules, Barnard–Rubin df with complete-data df G − 1 = {}",
            x.id,
            x.donors,
            x.m,
            x.maxit,
            plan.plan.seed,
            if components {
                format!(
                    "; imputed: {}, the outcome derived again from each completed data set",
                    x.impute
                        .iter()
                        .map(|c| c.get_ref().as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            } else {
                String::new()
            },
            pooled.df_complete
        ),
        baseline_sd: None,
    })
}

/// The change in an ordered category by a multilevel ordered logit with a random intercept per
/// cluster: `change ~ treated`, adaptive quadrature, model-based inference.
fn ordered_change(
    plan: &Plan,
    outcome: &Outcome,
    table: &DataTable,
    level: Level,
) -> Result<Effect, String> {
    let baseline = ordinal_baseline(outcome)?;
    let (c0, c12) = (
        table
            .numeric(baseline.get_ref())
            .map_err(|e| e.to_string())?,
        table
            .numeric(outcome.followup.get_ref())
            .map_err(|e| e.to_string())?,
    );
    let ordered = outcome.model == ModelKind::Ordered;
    // The change in category, or the follow-up category (with the baseline's beside it).
    let change: Vec<Option<f64>> = c0
        .iter()
        .zip(c12)
        .map(|(a, b)| {
            let (a, b) = (a.as_ref()?, b.as_ref()?);
            Some(if ordered { *b } else { b - a })
        })
        .collect();
    let (codes, _) = table
        .column(plan.design.cluster.get_ref())
        .ok()
        .and_then(Column::as_factor)
        .ok_or("the cluster column cannot be coded")?;
    let t = DataTable::new(
        "change",
        vec![
            Column::numeric("change", change),
            Column::numeric(
                TREATED,
                table.numeric(TREATED).map_err(|e| e.to_string())?.to_vec(),
            ),
            Column::numeric(
                CLUSTER_CODE,
                codes.iter().map(|c| c.map(|c| c as f64)).collect(),
            ),
            Column::numeric("baseline", c0.to_vec()),
        ],
    )
    .map_err(|e| e.to_string())?;
    let nodes = outcome.nodes.unwrap_or(7);
    let formula = if ordered {
        format!("change ~ {TREATED} + factor(baseline)")
    } else {
        format!("change ~ {TREATED}")
    };
    let fit = clmm(&formula, CLUSTER_CODE)
        .quadrature(quadrature(outcome))
        .level(level)
        .fit(&t)
        .map_err(|e| e.to_string())?;
    ordinal_effect(
        outcome,
        &fit,
        TREATED,
        format!(
            "multilevel ordered logit of {}, random intercept per cluster ({})",
            if ordered {
                "the follow-up category adjusted for the baseline category (a factor)"
            } else {
                "the change in category"
            },
            if nodes <= 1 {
                "Laplace".to_string()
            } else {
                format!("adaptive quadrature, {nodes} nodes")
            }
        ),
    )
}

/// The baseline column of an ordered outcome, after the checks of its inferences.
fn ordinal_baseline(outcome: &Outcome) -> Result<&Spanned<String>, String> {
    if let Some(problem) = outcome
        .inference
        .iter()
        .find_map(|k| inference_problem(outcome, *k))
    {
        return Err(problem.into());
    }
    outcome
        .baseline
        .as_ref()
        .ok_or_else(|| "an ordinal outcome needs the baseline category (`baseline`)".into())
}

/// The model-based effect of an ordered outcome's fit: the log odds ratio of `term`.
fn ordinal_effect(
    outcome: &Outcome,
    fit: &trialstats_models::Fit,
    term: &str,
    method: String,
) -> Result<Effect, String> {
    let c = fit
        .inference()
        .coef(term)
        .ok_or_else(|| format!("the model has no `{term}` term"))?;
    Ok(Effect {
        outcome: outcome.id.clone(),
        inference: "model",
        estimate: c.estimate,
        std_error: Some(c.std_error),
        df: c.df,
        ci_low: c.ci_low,
        ci_high: c.ci_high,
        p_value: c.p_value,
        n: fit.nobs(),
        clusters: fit.inference().n_clusters.unwrap_or(0),
        scale: "log_odds_ratio",
        odds_ratio: Some(OddsRatio {
            estimate: c.estimate.exp(),
            ci_low: c.ci_low.exp(),
            ci_high: c.ci_high.exp(),
        }),
        method,
        baseline_sd: None,
    })
}

/// The quadrature of a multilevel outcome: `nodes` (default 7) adaptive Gauss–Hermite nodes, or
/// the Laplace approximation for 1.
fn quadrature(outcome: &Outcome) -> Quadrature {
    match outcome.nodes.unwrap_or(7) {
        0 | 1 => Quadrature::Laplace,
        nodes => Quadrature::Adaptive { nodes },
    }
}

/// The scale of an outcome's effect in results.
fn scale_of(model: ModelKind) -> &'static str {
    if model.is_linear() {
        "difference"
    } else {
        "log_odds_ratio"
    }
}

/// The participant's column of the longitudinal ordinal model.
const PARTICIPANT: &str = "participant";

/// The baseline and follow-up categories as two times of each participant (one row of the
/// data): an ordered logit of the category on `time * treated` with random intercepts for the
/// cluster and the participant within it, nested quadrature; the effect is the `time:treated`
/// log odds ratio. Every observed category counts, so a participant lost to follow-up still
/// contributes the baseline.
fn ordered_longitudinal(
    plan: &Plan,
    outcome: &Outcome,
    table: &DataTable,
    level: Level,
) -> Result<Effect, String> {
    let baseline = ordinal_baseline(outcome)?;
    let num = |c: &str| table.numeric(c).map_err(|e| e.to_string());
    let (c0, c12, treated) = (
        num(baseline.get_ref())?,
        num(outcome.followup.get_ref())?,
        num(TREATED)?,
    );
    let (codes, _) = table
        .column(plan.design.cluster.get_ref())
        .ok()
        .and_then(Column::as_factor)
        .ok_or("the cluster column cannot be coded")?;
    // Long format: the baseline rows, then the follow-up rows; the participant is the data's
    // row (one per participant).
    let n = table.nrows();
    let stack =
        |f: &dyn Fn(usize) -> Option<f64>| -> Vec<Option<f64>> { (0..2 * n).map(f).collect() };
    let long = DataTable::new(
        "longitudinal",
        vec![
            Column::numeric(
                "category",
                stack(&|r| if r < n { c0[r] } else { c12[r - n] }),
            ),
            Column::numeric("time", stack(&|r| Some(if r < n { 0.0 } else { 1.0 }))),
            Column::numeric(TREATED, stack(&|r| treated[r % n])),
            Column::numeric(CLUSTER_CODE, stack(&|r| codes[r % n].map(|c| c as f64))),
            Column::numeric(PARTICIPANT, stack(&|r| Some((r % n) as f64))),
        ],
    )
    .map_err(|e| e.to_string())?;
    let fit = clmm(&format!("category ~ time * {TREATED}"), CLUSTER_CODE)
        .random_intercept(PARTICIPANT)
        .quadrature(quadrature(outcome))
        .level(level)
        .fit(&long)
        .map_err(|e| e.to_string())?;
    let nodes = outcome.nodes.unwrap_or(7);
    ordinal_effect(
        outcome,
        &fit,
        &format!("time:{TREATED}"),
        format!(
            "longitudinal ordered logit of the baseline and follow-up categories ({} observations), time × treatment, random intercepts per cluster and per participant within it ({})",
            fit.nobs(),
            if nodes <= 1 {
                "the joint Laplace approximation".to_string()
            } else {
                format!("nested adaptive quadrature, {nodes} nodes at each level")
            }
        ),
    )
}

/// The effects as a numeric table (one row each, full precision).
pub fn effects_table(effects: &[Effect]) -> Table {
    let mut t = Table::new(&[
        "outcome",
        "inference",
        "scale",
        "estimate",
        "std_error",
        "df",
        "ci_low",
        "ci_high",
        "p",
        "n",
        "clusters",
        "method",
    ]);
    for e in effects {
        let mut row = vec![e.outcome.clone(), e.inference.into(), e.scale.into()];
        row.extend([
            num_cell(e.estimate),
            opt_cell(e.std_error),
            opt_cell(e.df),
            num_cell(e.ci_low),
            num_cell(e.ci_high),
            num_cell(e.p_value),
            num_cell(e.n as f64),
            num_cell(e.clusters as f64),
        ]);
        row.push(e.method.clone());
        t.push_row(row);
    }
    t
}
