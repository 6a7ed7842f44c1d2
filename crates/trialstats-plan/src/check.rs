//! `plan check`: what a plan can run on a data file and what it cannot, without fitting a model.
//! The design is resolved and the derived columns built (cheap), then each analysis is checked
//! for its columns and settings; whether a model then converges is the run's business.

use serde::Serialize;
use trialstats_data::DataTable;

use crate::error::PlanError;
use crate::plan::Plan;
use crate::run::{Skipped, inference_problem, prepare_for_check, robust_only};

/// What a plan can run on a data file.
#[derive(Debug, Clone, Serialize)]
pub struct PlanCheck {
    /// The plan's name.
    pub plan: String,
    /// The data's name.
    pub data: String,
    /// The analyses whose columns and settings are all there (`table1:age`, `hba1c:cr1`,
    /// `hba1c:icc`, `ukpds_risk:mi`, `subgroup:ID`, `describe:ID`, `assumption:ID:LABEL`).
    pub runs: Vec<String>,
    /// The others, with the reason (the missing columns named).
    pub skipped: Vec<Skipped>,
    /// The design's warnings (rows in neither arm, merged clusters, rows a derived column leaves
    /// missing).
    pub warnings: Vec<String>,
}

fn absent(table: &DataTable, columns: &[&str]) -> Option<String> {
    let missing: Vec<&str> = columns
        .iter()
        .copied()
        .filter(|c| table.column(c).is_err())
        .collect();
    (!missing.is_empty()).then(|| format!("missing columns: {}", missing.join(", ")))
}

/// Checks `plan` against `data` (see the module's documentation).
///
/// # Errors
/// As [`crate::run`], for the design: the arm or cluster column missing, an arm value absent, a
/// derived column that cannot be built from the columns it names.
///
/// # Examples
/// ```
/// use trialstats_data::DataTable;
/// use trialstats_plan::{Plan, check};
/// let plan = Plan::embedded("riddell2016").unwrap();
/// let data = DataTable::from_csv_str("trial.csv", "id,region,cluster,arm,hba1c_0,hba1c_12\n1,1,1,usual_care,7.1,7.0\n2,1,2,intervention,8.2,7.9\n").unwrap();
/// let c = check(&plan, &data).unwrap();
/// assert!(c.runs.contains(&"hba1c:cr1".to_string()));
/// let risk = c.skipped.iter().find(|s| s.analysis == "ukpds_risk").unwrap();
/// assert_eq!(risk.reason, "missing columns: risk_12, risk_0");
/// ```
pub fn check(plan: &Plan, data: &DataTable) -> Result<PlanCheck, PlanError> {
    let mut skipped = Vec::new();
    let (table, warnings) = prepare_for_check(plan, data, &mut skipped)?;
    let mut runs = Vec::new();
    let mut verdict = |analysis: String, reason: Option<String>| match reason {
        None => runs.push(analysis),
        Some(reason) => skipped.push(Skipped { analysis, reason }),
    };
    if let Some(t1) = &plan.table1 {
        for v in t1
            .continuous
            .iter()
            .chain(&t1.nonparametric)
            .chain(&t1.categorical)
        {
            let name = v.get_ref();
            verdict(format!("table1:{name}"), absent(&table, &[name]));
        }
    }
    for o in &plan.outcomes {
        let mut columns: Vec<&str> = vec![o.followup.get_ref()];
        columns.extend(o.baseline.as_ref().map(|b| b.get_ref().as_str()));
        columns.extend(o.adjust.iter().map(|a| a.get_ref().as_str()));
        if let Some(reason) = absent(&table, &columns) {
            verdict(o.id.clone(), Some(reason));
            continue;
        }
        for &kind in &o.inference {
            let reason = inference_problem(o, kind).map(str::to_owned);
            verdict(format!("{}:{}", o.id, kind.id()), reason);
        }
        if o.icc {
            verdict(format!("{}:icc", o.id), None);
        }
    }
    for x in &plan.sensitivities {
        let Some(o) = plan.outcomes.iter().find(|o| o.id == *x.outcome.get_ref()) else {
            continue;
        };
        // The columns the run's imputation model takes, in its order: the imputed ones (the
        // outcome, or the inputs of a derived outcome), the baseline, the covariates, the
        // predictors.
        let mut columns: Vec<&str> = Vec::new();
        let (inference, imputed) = if x.impute.is_empty() {
            ("mi", vec![o.followup.get_ref().as_str()])
        } else {
            (
                "mi_components",
                x.impute.iter().map(|c| c.get_ref().as_str()).collect(),
            )
        };
        columns.extend(imputed);
        columns.extend(o.baseline.as_ref().map(|b| b.get_ref().as_str()));
        columns.extend(o.adjust.iter().map(|a| a.get_ref().as_str()));
        columns.extend(x.predictors.iter().map(|p| p.get_ref().as_str()));
        columns.dedup();
        let reason = robust_only(o, "multiple imputation analyses").or(absent(&table, &columns));
        verdict(format!("{}:{inference}", o.id), reason);
    }
    for g in &plan.subgroups {
        let Some(o) = plan.outcomes.iter().find(|o| o.id == *g.outcome.get_ref()) else {
            continue;
        };
        let mut columns: Vec<&str> = vec![o.followup.get_ref(), g.by.get_ref()];
        columns.extend(o.baseline.as_ref().map(|b| b.get_ref().as_str()));
        columns.extend(o.adjust.iter().map(|a| a.get_ref().as_str()));
        let reason = robust_only(o, "subgroup analyses").or(absent(&table, &columns));
        verdict(format!("subgroup:{}", g.id), reason);
    }
    for d in &plan.describes {
        let any = d.variables.iter().any(|v| {
            table.column(v.followup.get_ref()).is_ok()
                || v.baseline
                    .as_ref()
                    .is_some_and(|b| table.column(b.get_ref()).is_ok())
        }) || d.outcomes.iter().any(|id| {
            plan.outcomes
                .iter()
                .find(|o| o.id == *id.get_ref())
                .is_some_and(|o| {
                    table.column(o.followup.get_ref()).is_ok()
                        || o.baseline
                            .as_ref()
                            .is_some_and(|b| table.column(b.get_ref()).is_ok())
                })
        });
        verdict(
            format!("describe:{}", d.id),
            (!any).then(|| {
                format!(
                    "missing columns: none of the outcomes of `{}` are in the data",
                    d.id
                )
            }),
        );
    }
    if let Some(f) = &plan.flow {
        for s in &f.stages {
            verdict(
                format!("flow:{}", s.label),
                absent(&table, &[s.column.get_ref()]),
            );
        }
    }
    for a in &plan.assumptions {
        for c in &a.compare {
            let reason = Plan::with_overrides(plan.source(), &plan.text, &c.set)
                .and_then(|text| Plan::parse(plan.source(), &text))
                .err()
                .map(|e| e.to_string());
            verdict(format!("assumption:{}:{}", a.id, c.label), reason);
        }
    }
    Ok(PlanCheck {
        plan: plan.plan.name.clone(),
        data: data.source().to_owned(),
        runs,
        skipped,
        warnings,
    })
}
