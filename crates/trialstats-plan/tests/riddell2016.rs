//! The embedded paper plan on the simulated trial against the paper pipeline (`reproduce`),
//! which runs the same regressions: every shared effect to the bit; and its Table 1 tests with
//! Stata 13's formulas.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use trialstats_paper::{Options, analyse};
use trialstats_plan::{Plan, run};
use trialstats_sim::{SimParams, simulate};
use trialstats_twosample::{Continuity, Exact, Variances, chisq_test, t_test, wilcox_test};

#[test]
fn the_paper_plan_reproduces_the_pipelines_regressions_to_the_bit() {
    let trial = simulate(&SimParams::default(), 2016).unwrap().table;
    let plan = Plan::embedded("riddell2016").unwrap();
    let r = run(&plan, &trial, &mut |_, _, _| {}).unwrap();
    // The raw trial holds the instruments' items: the plan scores them (PHQ-9, DDS-4, EQ-5D-3L
    // Australian, SDSCA days) and every analysis runs but MMAS-8's, whose licensed score the
    // plan does not compute.
    let skipped: Vec<(&str, &str)> = r
        .skipped
        .iter()
        .map(|s| (s.analysis.as_str(), s.reason.as_str()))
        .collect();
    assert_eq!(
        skipped,
        [("mmas8_change", "missing columns: mmas8_cat_12, mmas8_cat_0")]
    );
    assert_eq!((r.randomised, r.clusters), ([120, 120], [12, 12]));
    // The paper's settings: 20 imputations of 10 iterations, seed 2016.
    let opts = Options {
        wild_reps: 999,
        ..Options::default()
    };
    let paper = analyse(&trial, &opts, &mut |_, _, _| {}).unwrap();
    let ours = |outcome: &str, inference: &str| {
        r.effects
            .iter()
            .find(|e| e.outcome == outcome && e.inference == inference)
            .unwrap_or_else(|| panic!("{outcome}:{inference}"))
    };
    let keys: Vec<&str> = paper.effects.iter().map(|e| e.key.as_str()).collect();
    let theirs = |key: &str| {
        paper
            .effects
            .iter()
            .find(|e| e.key == key)
            .unwrap_or_else(|| panic!("{key} not in {keys:?}"))
    };
    let pairs = [
        ("ukpds_risk", "cr1", "risk_diff"),
        ("hba1c", "cr1", "hba1c"),
        ("tc", "cr1", "tc"),
        ("hdl", "cr1", "hdl"),
        ("ldl", "cr1", "ldl"),
        ("tc_hdl", "cr1", "tc_hdl"),
        ("tg", "cr1", "tg"),
        ("sbp", "cr1", "sbp"),
        ("dbp", "cr1", "dbp"),
        ("weight", "cr1", "weight"),
        ("bmi", "cr1", "bmi"),
        ("waist", "cr1", "waist"),
        // The secondary outcomes from scores the plan derived from the items.
        ("eq5d", "cr1", "eq5d_p"),
        ("dds4", "cr1", "dds4_p"),
        ("sdsca_fruit_veg", "cr1", "fv_p"),
        ("sdsca_exercise", "cr1", "exercise_p"),
        ("sdsca_blood_sugar", "cr1", "bg_test_p"),
        ("support_avail", "cr1", "support_avail_p"),
    ];
    for (outcome, inference, key) in pairs {
        let (a, b) = (ours(outcome, inference), theirs(key));
        assert_eq!(
            [a.estimate, a.ci_low, a.ci_high, a.p_value].map(f64::to_bits),
            [b.estimate, b.ci_low, b.ci_high, b.p_value].map(f64::to_bits),
            "{outcome}"
        );
        assert_eq!((a.n, a.clusters), (b.n, b.clusters), "{outcome}");
    }
    // Logistic and the ordered change: the pipeline reports the odds ratio.
    for (outcome, inference, key) in [
        ("hba1c_gt8", "cr1", "hba1c_gt8_p"),
        ("hba1c_ge85", "cr1", "hba1c_ge85_p"),
        ("phq9_change", "model", "phq9_or"),
    ] {
        let or = ours(outcome, inference).odds_ratio.unwrap();
        let b = theirs(key);
        assert_eq!(
            [or.estimate, or.ci_low, or.ci_high].map(f64::to_bits),
            [b.estimate, b.ci_low, b.ci_high].map(f64::to_bits),
            "{outcome}"
        );
    }
    // CR2 and the wild bootstrap: the pipeline's primary table, rows 2 and 3 (numeric form).
    let primary = paper.primary.numeric.as_ref().unwrap();
    let cell = |row: usize, col: usize| primary.rows[row][col].parse::<f64>().unwrap().to_bits();
    let cr2 = ours("ukpds_risk", "cr2");
    assert_eq!(
        [cr2.estimate, cr2.ci_low, cr2.ci_high, cr2.p_value].map(f64::to_bits),
        [cell(1, 1), cell(1, 2), cell(1, 3), cell(1, 4)]
    );
    // Multiple imputation: the same imputation model, seed and pooling, row 4 of the table.
    let mi = ours("ukpds_risk", "mi");
    assert_eq!(
        [mi.estimate, mi.ci_low, mi.ci_high, mi.p_value].map(f64::to_bits),
        [cell(3, 1), cell(3, 2), cell(3, 3), cell(3, 4)]
    );
    assert_eq!(mi.df.map(|_| mi.clusters), Some(24));
    // The pipeline ran 999 draws here, the plan 9,999: the p-values differ; the estimate is the
    // same and the interval brackets it.
    let wild = ours("ukpds_risk", "wild");
    assert_eq!(wild.estimate.to_bits(), cell(2, 1));
    assert!(wild.ci_low < wild.estimate && wild.estimate < wild.ci_high);
}

#[test]
fn the_paper_plans_table1_tests_are_stata_13s() {
    let trial = simulate(&SimParams::default(), 2016).unwrap().table;
    let plan = Plan::embedded("riddell2016").unwrap();
    let r = run(&plan, &trial, &mut |_, _, _| {}).unwrap();
    let arm: Vec<&str> = (0..trial.nrows())
        .map(|i| {
            if trial.column("arm").unwrap().text(i).as_deref() == Some("intervention") {
                "i"
            } else {
                "c"
            }
        })
        .collect();
    let split = |c: &str| {
        let v = trial.numeric(c).unwrap();
        let pick = |g: &str| -> Vec<f64> {
            v.iter()
                .zip(&arm)
                .filter(|(_, a)| **a == g)
                .filter_map(|(x, _)| *x)
                .collect()
        };
        (pick("c"), pick("i"))
    };
    let test = |v: &str| r.table1_tests.iter().find(|t| t.variable == v).unwrap();
    // ttest: Student's t.
    let (c, i) = split("age");
    let student = t_test(&c, &i, Variances::Equal, trialstats_core::Level::P95).unwrap();
    assert_eq!(test("age").test, "ttest");
    assert_eq!(test("age").p_value.to_bits(), student.p_value.to_bits());
    // ranksum: normal approximation without continuity correction.
    let (c, i) = split("duration");
    let ranksum = wilcox_test(&c, &i, Exact::Never, Continuity::Uncorrected).unwrap();
    assert_eq!(test("duration").test, "ranksum");
    assert_eq!(
        test("duration").p_value.to_bits(),
        ranksum.p_value.to_bits()
    );
    // tabulate, chi2: no continuity correction, even on a 2 × 2 table.
    let f = trial.numeric("female").unwrap();
    let mut tab = vec![vec![0.0; 2]; 2];
    for (x, a) in f.iter().zip(&arm) {
        if let Some(x) = x {
            tab[usize::from(*x > 0.5)][usize::from(*a == "i")] += 1.0;
        }
    }
    let chi2 = chisq_test(&tab, Continuity::Uncorrected).unwrap();
    assert_eq!(test("female").p_value.to_bits(), chi2.p_value.to_bits());
    let yates = chisq_test(&tab, Continuity::Corrected).unwrap();
    assert_ne!(chi2.p_value.to_bits(), yates.p_value.to_bits());
}

#[test]
fn with_the_scores_in_the_data_the_secondary_outcomes_run_as_the_pipelines() {
    let trial = simulate(&SimParams::default(), 2016).unwrap().table;
    // The simulator's derivation writes the scores (eq5d_0, fv_days_12, …) beside the items.
    let scored = trialstats_sim::derive(&trial).unwrap().table;
    let plan = Plan::embedded("riddell2016").unwrap();
    let r = run(&plan, &scored, &mut |_, _, _| {}).unwrap();
    // With the MMAS-8 categories in the data (a build with the licensed scorer), every
    // analysis runs, MMAS-8's as the pipeline's.
    let mmas8 = paper_has_mmas8();
    assert_eq!(r.skipped.is_empty(), mmas8, "{:?}", r.skipped);
    let opts = Options {
        wild_reps: 999,
        mi_m: 2,
        ..Options::default()
    };
    let paper = analyse(&trial, &opts, &mut |_, _, _| {}).unwrap();
    for (outcome, key) in [
        ("eq5d", "eq5d_p"),
        ("dds4", "dds4_p"),
        ("sdsca_fruit_veg", "fv_p"),
        ("sdsca_exercise", "exercise_p"),
        ("sdsca_blood_sugar", "bg_test_p"),
        ("support_avail", "support_avail_p"),
        ("support_satis", "support_satis_p"),
    ] {
        let a = r.effects.iter().find(|e| e.outcome == outcome).unwrap();
        let b = paper.effects.iter().find(|e| e.key == key).unwrap();
        assert_eq!(
            [a.estimate, a.ci_low, a.ci_high, a.p_value].map(f64::to_bits),
            [b.estimate, b.ci_low, b.ci_high, b.p_value].map(f64::to_bits),
            "{outcome}"
        );
    }
    if mmas8 {
        let a = r
            .effects
            .iter()
            .find(|e| e.outcome == "mmas8_change")
            .unwrap();
        let b = paper.effects.iter().find(|e| e.key == "mmas8_or").unwrap();
        assert_eq!(
            a.odds_ratio.unwrap().estimate.to_bits(),
            b.estimate.to_bits()
        );
        assert_eq!(a.p_value.to_bits(), b.p_value.to_bits());
    }
    let pa3 = r.effects.iter().find(|e| e.outcome == "pa3").unwrap();
    let b = paper.effects.iter().find(|e| e.key == "pa3_p").unwrap();
    assert_eq!(
        pa3.odds_ratio.unwrap().estimate.to_bits(),
        b.estimate.to_bits()
    );
}

/// Whether this build scores MMAS-8 (the licensed `mmas8` feature, on in workspace builds).
fn paper_has_mmas8() -> bool {
    let trial = simulate(&SimParams::default(), 2016).unwrap().table;
    trialstats_sim::derive(&trial)
        .unwrap()
        .table
        .column("mmas8_cat_0")
        .is_ok()
}

#[test]
fn an_assumptions_alternatives_run_side_by_side_as_the_plan_with_their_overrides() {
    let trial = simulate(&SimParams::default(), 2016).unwrap().table;
    // Fewer bootstrap draws and imputations: the alternatives run the whole plan again.
    let base = Plan::with_overrides(
        "riddell2016",
        trialstats_plan::EMBEDDED[0].1,
        &[
            "plan.wild_reps=99".into(),
            "sensitivity.ukpds_risk_mi.m=2".into(),
        ],
    )
    .unwrap();
    let plan = Plan::parse("riddell2016", &base).unwrap();
    let r = run(&plan, &trial, &mut |_, _, _| {}).unwrap();
    let labels: Vec<(&str, &str)> = r
        .comparisons
        .iter()
        .map(|c| (c.assumption.as_str(), c.label.as_str()))
        .collect();
    assert_eq!(
        labels,
        [
            ("ukpds_equation", "UKPDS 60 (stroke)"),
            ("ukpds_equation", "composite CHD or stroke"),
            ("hba1c_threshold", "HbA1c ≥ 8 %"),
            ("eq5d_value_set", "UK value set (Dolan 1997)"),
        ]
    );
    // Each alternative is the plan run with its overrides: the same effects, bit for bit.
    for c in &r.comparisons {
        let text = Plan::with_overrides("riddell2016", &base, &c.set).unwrap();
        let alt = Plan::parse("riddell2016", &text).unwrap();
        let direct = trialstats_plan::derived(&alt, &trial).unwrap();
        let mine = trialstats_plan::derived(&plan, &trial).unwrap();
        let changed: Vec<&str> = ["risk_12", "hba1c_gt8_12", "eq5d_12"]
            .into_iter()
            .filter(|col| direct.numeric(col).unwrap() != mine.numeric(col).unwrap())
            .collect();
        // Exactly the column the alternative is about changes.
        let want = match c.assumption.as_str() {
            "ukpds_equation" => "risk_12",
            "hba1c_threshold" => "hba1c_gt8_12",
            _ => "eq5d_12",
        };
        assert_eq!(changed, [want], "{}", c.label);
        let alt_run = run(&alt, &trial, &mut |_, _, _| {}).unwrap();
        assert_eq!(alt_run.effects, c.effects, "{}", c.label);
    }
}
