//! The plan runner's outcome models with random intercepts (`mixed`, `mixed_logistic`,
//! `ordered_longitudinal`) on the trial written by R (`data/make_trial.R`), against R's
//! references recorded by `data/make_multilevel_ref.R` in `data/reference_multilevel.txt`
//! (R 4.2.2, lme4 1.1.31, lmerTest 3.1.3, pbkrtest 0.5.2, ordinal 2022.11.16).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use nalgebra::DMatrix;
use trialstats_core::Clusters;
use trialstats_data::DataTable;
use trialstats_ordinal::{NestedClmm, Quadrature};
use trialstats_plan::{Plan, PlanResults, run};

const TRIAL: &str = include_str!("data/trial_r.csv");
const REFERENCE: &str = include_str!("data/reference_multilevel.txt");

mod common;
use common::{close, effect};

fn reference(name: &str) -> f64 {
    common::reference(REFERENCE, name)
}

/// The R script's columns: gt7 = HbA1c > 7 at 12 months, and the category (HbA1c > 7) +
/// (HbA1c > 8) at both times.
const DESIGN: &str = r#"
[plan]
name = "multilevel"

[design]
id = "id"
cluster = "community"
arm = { column = "arm", control = "usual care", treatment = "intervention" }

[[derive]]
name = "gt7_12"
from = "hba1c_12"
threshold = "> 7"

[[derive]]
name = "gt7_0"
from = "hba1c_0"
threshold = "> 7"

[[derive]]
name = "gt8_0"
from = "hba1c_0"
threshold = "> 8"

[[derive]]
name = "cat_0"
expression = "gt7_0 + gt8_0"

[[derive]]
name = "gt8_12"
from = "hba1c_12"
threshold = "> 8"

[[derive]]
name = "cat_12"
expression = "gt7_12 + gt8_12"
"#;

fn parse(outcomes: &str) -> Plan {
    Plan::parse("multilevel.toml", &format!("{DESIGN}\n{outcomes}")).unwrap()
}

fn trial() -> DataTable {
    DataTable::from_csv_str("trial_r.csv", TRIAL).unwrap()
}

fn run_plan(outcomes: &str) -> PlanResults {
    run(&parse(outcomes), &trial(), &mut |_, _, _| {}).unwrap()
}

/// `mixed` is lmer + lmerTest/pbkrtest; `mixed_logistic` is glmer(nAGQ = 7). Both R fits are
/// tightened (bobyqa rhoend 1e−12; PIRLS 1e−13), so their optima are good to ~1e−8.
#[test]
fn mixed_and_mixed_logistic_outcomes_match_lme4() {
    let r = run_plan(
        r#"
[[outcome]]
id = "hba1c"
model = "mixed"
followup = "hba1c_12"
baseline = "hba1c_0"
inference = ["kenward_roger", "satterthwaite"]

[[outcome]]
id = "gt7"
model = "mixed_logistic"
followup = "gt7_12"
baseline = "hba1c_0"
inference = ["model"]
nodes = 7
"#,
    );
    for (inference, key) in [("kenward_roger", "kr"), ("satterthwaite", "satt")] {
        let e = effect(&r, "hba1c", inference);
        close(e.estimate, reference(&format!("{key}_estimate")), 1e-8, key);
        close(
            e.std_error.unwrap(),
            reference(&format!("{key}_se")),
            1e-6,
            key,
        );
        close(e.df.unwrap(), reference(&format!("{key}_df")), 1e-6, key);
        close(e.p_value, reference(&format!("{key}_p")), 1e-6, key);
        assert_eq!(e.scale, "difference");
        assert!(e.odds_ratio.is_none());
    }
    let e = effect(&r, "gt7", "model");
    close(e.estimate, reference("glmm_estimate"), 1e-6, "glmm");
    close(e.std_error.unwrap(), reference("glmm_se"), 1e-5, "glmm se");
    // p moves about 7 times the SE's relative error at z = 2.5.
    close(e.p_value, reference("glmm_p"), 1e-4, "glmm p");
    assert_eq!(e.scale, "log_odds_ratio");
    assert!((e.odds_ratio.unwrap().estimate - e.estimate.exp()).abs() < 1e-15);
    assert_eq!(e.clusters, 20);
}

/// The longitudinal reading stacks each participant's two categories: the effect is the
/// library's nested model on the long table built here, to the bit, and the optimum of R's
/// joint Laplace likelihood on the same long table (clmm, tightened, then Newton steps on the
/// likelihood computed directly; SEs from numDeriv's Hessian there). clmm's own answer is
/// inexact: it stops with a gradient of 1.1e−5 (estimate 4e−9 away here) and its SE, from its
/// own numerical Hessian, is 3.6e−4 below the exact one, which ours matches to 5e−10.
#[test]
fn the_longitudinal_ordinal_outcome_is_the_nested_model_on_the_stacked_categories() {
    let r = run_plan(
        r#"
[[outcome]]
id = "category"
model = "ordered_longitudinal"
followup = "cat_12"
baseline = "cat_0"
inference = ["model"]
nodes = 1
"#,
    );
    let e = effect(&r, "category", "model");
    close(e.estimate, reference("long_estimate"), 1e-7, "time:treated");
    close(e.std_error.unwrap(), reference("long_se"), 1e-6, "its SE");
    close(
        e.estimate,
        reference("long_clmm_estimate"),
        1e-7,
        "clmm's own",
    );
    assert!(
        (e.n as f64 - reference("long_n")).abs() < 0.5,
        "{} rows",
        e.n
    );
    assert!(e.method.contains("longitudinal"), "{}", e.method);

    // The same model from the library on a long table built here.
    let data = DataTable::from_csv_str("trial_r.csv", TRIAL).unwrap();
    let h0 = data.numeric("hba1c_0").unwrap();
    let h12 = data.numeric("hba1c_12").unwrap();
    let community = data.column("community").unwrap().as_factor().unwrap().0;
    let arm = data.column("arm").unwrap().as_factor().unwrap();
    let intervention = arm.1.iter().position(|l| l == "intervention").unwrap();
    let (mut y, mut rows, mut g, mut pid) = (vec![], vec![], vec![], vec![]);
    for (time, h) in [(0.0, h0), (1.0, h12)] {
        for (i, v) in h.iter().enumerate() {
            let Some(v) = v else { continue };
            y.push(usize::from(*v > 7.0) + usize::from(*v > 8.0));
            let treated = f64::from(u8::from(arm.0[i] == Some(intervention)));
            rows.push([time, treated, time * treated]);
            g.push(community[i].unwrap());
            pid.push(i);
        }
    }
    let x = DMatrix::from_fn(rows.len(), 3, |i, j| rows[i][j]);
    let outer = Clusters::from_labels("community", &g).unwrap();
    let inner = Clusters::from_labels("participant", &pid).unwrap();
    let fit = NestedClmm::new(&y, &["0", "1", "2"], &x, &outer, &inner)
        .unwrap()
        .quadrature(Quadrature::Laplace)
        .fit()
        .unwrap();
    assert_eq!(e.estimate.to_bits(), fit.beta()[2].to_bits());
    let j = fit.thresholds().len() + 2;
    assert_eq!(
        e.std_error.unwrap().to_bits(),
        fit.vcov()[(j, j)].sqrt().to_bits()
    );
}

/// What a model with random intercepts cannot report is skipped with the reason, never fitted
/// under another inference; `plan check` says the same without fitting.
#[test]
fn inferences_a_multilevel_model_cannot_make_are_skipped_with_the_reason() {
    let outcomes = r#"
[[outcome]]
id = "hba1c"
model = "mixed"
followup = "hba1c_12"
baseline = "hba1c_0"
inference = ["cr1", "kenward_roger"]

[[outcome]]
id = "hba1c_linear"
model = "linear"
followup = "hba1c_12"
inference = ["satterthwaite"]

[[outcome]]
id = "category"
model = "ordered_longitudinal"
followup = "cat_12"
baseline = "cat_0"
adjust = ["age"]
inference = ["model"]

[[subgroup]]
id = "poor_control"
outcome = "hba1c"
by = "gt8_0"
"#;
    let r = run_plan(outcomes);
    let checked = trialstats_plan::check(&parse(outcomes), &trial()).unwrap();
    for skipped in [&r.skipped, &checked.skipped] {
        let reason = |analysis: &str| {
            skipped
                .iter()
                .find(|s| s.analysis == analysis)
                .map(|s| s.reason.clone())
                .unwrap_or_else(|| panic!("{analysis} not skipped: {skipped:?}"))
        };
        assert!(reason("hba1c:cr1").contains("Kenward–Roger or Satterthwaite"));
        assert!(reason("hba1c_linear:satterthwaite").contains("linear mixed model"));
        assert!(reason("category:model").contains("no further covariates"));
        assert!(reason("subgroup:poor_control").contains("cluster-robust linear and logistic"));
    }
    assert!(effect(&r, "hba1c", "kenward_roger").df.is_some());
    assert!(checked.runs.contains(&"hba1c:kenward_roger".to_string()));
}
