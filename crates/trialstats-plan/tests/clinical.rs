//! `run riddell2016` on a trial file made in R (`data/make_clinical.R`): text community names,
//! `arm` as "usual care"/"intervention", only the clinical columns, values missing at random.
//! The references come from the same script: the UKPDS 56 risk from its published formula in R,
//! and the paper's analyses with Stata 13's formulas (R 4.2.2, sandwich 3.0.2).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use trialstats_data::DataTable;
use trialstats_plan::{EMBEDDED, Plan, run};

const TRIAL: &str = include_str!("data/trial_clinical.csv");
const REFERENCE: &str = include_str!("data/clinical_reference.txt");

mod common;
use common::close;

fn reference(name: &str) -> f64 {
    common::reference(REFERENCE, name)
}

#[test]
fn the_paper_plan_on_a_users_file_matches_stata_formulas_computed_in_r() {
    let text = Plan::with_overrides(
        "riddell2016",
        EMBEDDED[0].1,
        &[
            "design.cluster=community".into(),
            "design.arm.control=usual care".into(),
            // Fewer imputations and draws than the plan's (the test runs unoptimised; the
            // assumptions' alternatives run the plan again).
            "sensitivity.ukpds_risk_mi.m=5".into(),
            "sensitivity.ukpds_risk_mi_components.m=5".into(),
            "plan.wild_reps=999".into(),
        ],
    )
    .unwrap();
    let plan = Plan::parse("riddell2016", &text).unwrap();
    let data = DataTable::from_csv_str("trial_clinical.csv", TRIAL).unwrap();
    let r = run(&plan, &data, &mut |_, _, _| {}).unwrap();
    assert_eq!(r.clusters, [12, 12]);
    let effect = |o: &str| {
        r.effects
            .iter()
            .find(|e| e.outcome == o && e.inference == "cr1")
            .unwrap_or_else(|| panic!("{o}"))
    };
    // The primary analysis: the risk computed by the UKPDS 56 formula in R, then regress,
    // vce(cluster). The risk passes through exp and powers, so 1e-10 rather than 1e-12.
    for key in ["ukpds_risk", "hba1c", "sbp"] {
        let e = effect(key);
        let tol = if key == "ukpds_risk" { 1e-10 } else { 1e-12 };
        close(e.estimate, reference(&format!("{key}_estimate")), tol, key);
        close(
            e.std_error.unwrap(),
            reference(&format!("{key}_se")),
            tol,
            key,
        );
        close(e.p_value, reference(&format!("{key}_p")), 1e-9, key);
        assert_eq!(
            e.n,
            reference(&format!("{key}_n")) as usize,
            "{key}: listwise deletion"
        );
        assert_eq!(e.df, Some(23.0));
    }
    // logit, vce(cluster) for HbA1c > 8 % (R glm tightened to epsilon 1e-15).
    let e = effect("hba1c_gt8");
    close(e.estimate, reference("hba1c_gt8_estimate"), 1e-9, "logit");
    close(
        e.std_error.unwrap(),
        reference("hba1c_gt8_se"),
        1e-9,
        "logit SE",
    );
    // Table 1 as Stata 13 prints it.
    let p = |v: &str| {
        r.table1_tests
            .iter()
            .find(|t| t.variable == v)
            .unwrap()
            .p_value
    };
    close(p("age"), reference("ttest_age_p"), 1e-12, "ttest");
    close(
        p("duration"),
        reference("ranksum_duration_p"),
        1e-12,
        "ranksum",
    );
    close(
        p("female"),
        reference("chi2_female_p"),
        1e-12,
        "tabulate, chi2",
    );
    // Only the clinical columns: the instrument scores cannot be derived, and the Table 1 rows
    // and secondary outcomes that use them are skipped, each naming its missing columns; the
    // rest ran.
    let skipped_outcomes: Vec<&str> = r
        .skipped
        .iter()
        .map(|s| s.analysis.as_str())
        .filter(|a| !a.starts_with("derive:") && !a.starts_with("table1:"))
        .collect();
    assert_eq!(
        skipped_outcomes,
        [
            "phq9_change",
            "mmas8_change",
            "eq5d",
            "eqvas",
            "dds4",
            "sdsca_fruit_veg",
            "sdsca_exercise",
            "sdsca_blood_sugar",
            "support_avail",
            "support_satis",
            "pa3",
            "flow:6-month visit (collected, not reported)",
            "describe:secondary",
            "describe:table_s1",
            "describe:table_s2",
            // The merge names the simulated trial's communities 13 and 14; these are text.
            "assumption:clusters:23 delivered groups (13 and 14 as one)"
        ]
    );
    assert!(
        r.skipped
            .iter()
            .filter(|s| !s.analysis.starts_with("assumption:"))
            .all(|s| s.reason.starts_with("missing columns: ")
                // A build without the licensed `mmas8` feature says so instead.
                || s.reason.starts_with("MMAS-8 is licensed")),
        "{:?}",
        r.skipped
    );
    let phq = r
        .skipped
        .iter()
        .find(|s| s.analysis == "derive:phq9_total_0")
        .unwrap();
    assert!(phq.reason.contains("phq1_0"), "{}", phq.reason);
    // The primary under CR1, CR2, the wild bootstrap and two MIs (the risk; its components);
    // 12 Table 3 measures (HbA1c in % and in mmol/mol); 2 logistic.
    assert_eq!(r.effects.len(), 5 + 12 + 2);
    let components = r
        .effects
        .iter()
        .find(|e| e.inference == "mi_components")
        .unwrap();
    assert_eq!((components.n, components.clusters), (240, 24));
    // MI imputes the 12-month risk of everyone randomised, in all 24 communities: df G − 1.
    let mi = r.effects.iter().find(|e| e.inference == "mi").unwrap();
    assert_eq!((mi.n, mi.clusters), (240, 24));
    assert!(
        mi.df.unwrap() <= 23.0
            && mi.std_error.unwrap() > effect("ukpds_risk").std_error.unwrap() * 0.5
    );
    // The report says how many rows each analysis dropped.
    assert!(
        r.warnings
            .iter()
            .any(|w| w.starts_with("ukpds_risk: ") && w.contains("dropped"))
    );
}

#[test]
fn plan_check_names_what_runs_and_what_cannot_without_fitting() {
    let data = DataTable::from_csv_str("trial_clinical.csv", TRIAL).unwrap();
    let text = Plan::with_overrides(
        "riddell2016",
        trialstats_plan::EMBEDDED[0].1,
        &[
            "design.cluster=community".into(),
            "design.arm.control=usual care".into(),
            "plan.wild_reps=99".into(),
            "sensitivity.ukpds_risk_mi.m=2".into(),
            "sensitivity.ukpds_risk_mi_components.m=2".into(),
        ],
    )
    .unwrap();
    let plan = Plan::parse("riddell2016", &text).unwrap();
    let c = trialstats_plan::check(&plan, &data).unwrap();
    let r = run(&plan, &data, &mut |_, _, _| {}).unwrap();
    // Every effect the run computed was said to run; every Table 1 test too.
    for e in &r.effects {
        let id = format!("{}:{}", e.outcome, e.inference);
        assert!(c.runs.contains(&id), "{id}");
    }
    for t in &r.table1_tests {
        assert!(c.runs.contains(&format!("table1:{}", t.variable)));
    }
    // What the run skipped for missing columns, the check skipped with the same reason.
    for s in r
        .skipped
        .iter()
        .filter(|s| s.reason.starts_with("missing columns"))
    {
        assert!(c.skipped.contains(s), "{s:?}");
    }
    // And nothing the check says runs was skipped by the run for want of a column.
    for a in &c.runs {
        assert!(
            !r.skipped
                .iter()
                .any(|s| &s.analysis == a && s.reason.starts_with("missing columns")),
            "{a}"
        );
    }
}
