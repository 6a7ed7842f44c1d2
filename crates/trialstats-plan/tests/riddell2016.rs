//! The embedded paper plan on the simulated trial against the library's estimators called
//! directly on the simulator's own derivation of the analysis variables (its UKPDS risks and
//! instrument scores): every effect to the bit; and its Table 1 tests with Stata 13's formulas.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use trialstats_data::{Column, DataTable};
use trialstats_models::{Se, logit, ols};
use trialstats_plan::{Plan, run};
use trialstats_sim::{SimParams, simulate};
use trialstats_twosample::{Continuity, Exact, Variances, chisq_test, t_test, wilcox_test};

/// The simulator's derivation with the plan's treatment indicator.
fn reference_table(trial: &DataTable) -> DataTable {
    let d = trialstats_sim::derive(trial).unwrap().table;
    let treated = d.numeric("intervention").unwrap().to_vec();
    let mut columns: Vec<Column> = d.columns().to_vec();
    columns.push(Column::numeric("treated", treated));
    DataTable::new("reference", columns).unwrap()
}

/// (estimate, ci_low, ci_high, p) of `treated` in a CR1 fit (Stata's regress or logit with
/// vce(cluster)), or under `se`.
fn direct(formula: &str, logistic: bool, se: Option<Se>, d: &DataTable) -> [u64; 4] {
    let mut m = if logistic {
        logit(formula)
    } else {
        ols(formula)
    }
    .cluster("cluster");
    if let Some(se) = se {
        m = m.se(se);
    }
    let fit = m.fit(d).unwrap();
    let c = fit.inference().coef("treated").unwrap();
    [c.estimate, c.ci_low, c.ci_high, c.p_value].map(f64::to_bits)
}

#[test]
fn the_paper_plan_gives_the_estimators_numbers_to_the_bit() {
    let trial = simulate(&SimParams::default(), 2016).unwrap().table;
    let plan = common::quick_paper_plan(&["plan.wild_reps=999"], false);
    let r = run(&plan, &trial, &mut |_, _, _| {}).unwrap();
    // The raw trial holds the instruments' items: the plan scores them (PHQ-9, DDS-4, EQ-5D-3L
    // Australian, SDSCA days, and MMAS-8 in this licensed build); only the 6-month stage of the
    // flow, which the simulated trial does not have, is skipped.
    // (A build without the `mmas8` feature lists the MMAS-8 scores and analysis as skipped.)
    let licensed = r.effects.iter().any(|e| e.outcome == "mmas8_change");
    let skipped: Vec<(&str, &str)> = r
        .skipped
        .iter()
        .filter(|s| licensed || !s.analysis.contains("mmas8"))
        .map(|s| (s.analysis.as_str(), s.reason.as_str()))
        .collect();
    assert_eq!(
        skipped,
        [(
            "flow:6-month visit (collected, not reported)",
            "missing columns: hba1c_6"
        )]
    );
    if !licensed {
        assert!(
            r.skipped.iter().any(|s| s.analysis == "derive:mmas8_cat_0"
                && s.reason.starts_with("MMAS-8 is licensed"))
        );
    }
    assert_eq!((r.randomised, r.clusters), ([120, 120], [12, 12]));
    let d = reference_table(&trial);
    let ours = |outcome: &str, inference: &str| {
        let e = r
            .effects
            .iter()
            .find(|e| e.outcome == outcome && e.inference == inference)
            .unwrap_or_else(|| panic!("{outcome}:{inference}"));
        [e.estimate, e.ci_low, e.ci_high, e.p_value].map(f64::to_bits)
    };
    let linear = [
        ("ukpds_risk", "risk"),
        ("hba1c", "hba1c"),
        ("tc", "tc"),
        ("hdl", "hdl"),
        ("ldl", "ldl"),
        ("tc_hdl", "tc_hdl"),
        ("tg", "tg"),
        ("sbp", "sbp"),
        ("dbp", "dbp"),
        ("weight", "weight"),
        ("bmi", "bmi"),
        ("waist", "waist"),
        // The secondary outcomes from scores the plan derived from the items.
        ("eq5d", "eq5d"),
        ("eqvas", "eqvas"),
        ("dds4", "dds4"),
        ("sdsca_fruit_veg", "fv_days"),
        ("sdsca_exercise", "exercise_days"),
        ("sdsca_blood_sugar", "bg_test_days"),
        ("support_avail", "support_avail"),
        ("support_satis", "support_satis"),
    ];
    for (outcome, y) in linear {
        let f = format!("{y}_12 ~ treated + {y}_0");
        assert_eq!(
            ours(outcome, "cr1"),
            direct(&f, false, None, &d),
            "{outcome}"
        );
    }
    for (outcome, y) in [
        ("hba1c_gt8", "hba1c_gt8"),
        ("hba1c_ge85", "hba1c_ge85"),
        ("pa3", "pa3"),
    ] {
        let f = format!("{y}_12 ~ treated + {y}_0");
        assert_eq!(
            ours(outcome, "cr1"),
            direct(&f, true, None, &d),
            "{outcome}"
        );
    }
    // CR2 with Satterthwaite df.
    assert_eq!(
        ours("ukpds_risk", "cr2"),
        direct("risk_12 ~ treated + risk_0", false, Some(Se::CR2), &d)
    );
    // HbA1c in mmol/mol: the % analysis times 10.929 (the intercept absorbs the 2.15).
    let pct = r.effects.iter().find(|e| e.outcome == "hba1c").unwrap();
    let mmol = r
        .effects
        .iter()
        .find(|e| e.outcome == "hba1c_mmol")
        .unwrap();
    assert!((mmol.estimate - 10.929 * pct.estimate).abs() < 1e-12);
    assert!((mmol.p_value - pct.p_value).abs() < 1e-12);
    // The wild bootstrap: the same point estimate, an interval around it.
    let wild = r
        .effects
        .iter()
        .find(|e| e.outcome == "ukpds_risk" && e.inference == "wild")
        .unwrap();
    assert_eq!(wild.estimate.to_bits(), ours("ukpds_risk", "cr1")[0]);
    assert!(wild.ci_low < wild.estimate && wild.estimate < wild.ci_high);
    // The intracluster correlation of the 12-month risk, as one-way ANOVA gives it.
    let icc = &r.iccs[0];
    let primary = r
        .effects
        .iter()
        .find(|e| e.outcome == "ukpds_risk" && e.inference == "cr1")
        .unwrap();
    assert_eq!(
        (icc.outcome.as_str(), icc.n, icc.clusters),
        ("ukpds_risk", primary.n, 24)
    );
}

#[test]
fn the_paper_plans_table1_tests_are_stata_13s() {
    let trial = simulate(&SimParams::default(), 2016).unwrap().table;
    let plan = common::quick_paper_plan(&[], false);
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
fn with_the_scores_in_the_data_and_no_items_the_plan_uses_the_datas_scores() {
    let trial = simulate(&SimParams::default(), 2016).unwrap().table;
    // The simulator's derivation writes the scores (eq5d_0, fv_days_12, mmas8_cat_0, …) beside
    // the items; without the items the plan uses them as they are.
    let scored = trialstats_sim::derive(&trial).unwrap().table;
    let columns: Vec<Column> = scored
        .columns()
        .iter()
        .filter(|c| {
            ![
                "phq", "dds", "eq5d_mo", "eq5d_sc", "eq5d_ua", "eq5d_pd", "eq5d_ad", "mmas",
                "sdsca",
            ]
            .iter()
            .any(|p| c.name.starts_with(p))
                || c.name.starts_with("phq9_")
                || c.name.starts_with("dds4_")
                || c.name.starts_with("mmas8_")
        })
        .cloned()
        .collect();
    let no_items = DataTable::new("scored", columns).unwrap();
    let plan = Plan::embedded("riddell2016").unwrap();
    let quick = common::quick_paper_plan(&[], false);
    assert_eq!(plan.outcomes.len(), quick.outcomes.len());
    let r = run(&quick, &no_items, &mut |_, _, _| {}).unwrap();
    let d = reference_table(&trial);
    for (outcome, y) in [
        ("eq5d", "eq5d"),
        ("dds4", "dds4"),
        ("sdsca_exercise", "exercise_days"),
    ] {
        let e = r
            .effects
            .iter()
            .find(|e| e.outcome == outcome && e.inference == "cr1")
            .unwrap_or_else(|| panic!("{outcome}: {:?}", r.skipped));
        let f = format!("{y}_12 ~ treated + {y}_0");
        assert_eq!(
            [e.estimate, e.ci_low, e.ci_high, e.p_value].map(f64::to_bits),
            direct(&f, false, None, &d),
            "{outcome}"
        );
    }
    // The categories in the data: the ordered changes run.
    assert!(r.effects.iter().any(|e| e.outcome == "mmas8_change"));
    assert!(r.effects.iter().any(|e| e.outcome == "phq9_change"));
}

#[test]
fn an_assumptions_alternatives_run_side_by_side_as_the_plan_with_their_overrides() {
    let trial = simulate(&SimParams::default(), 2016).unwrap().table;
    // Fewer bootstrap draws and imputations, and the Laplace approximation for the ordinal
    // models (nested quadrature is slow unoptimised): the alternatives run the whole plan again.
    let base = Plan::with_overrides(
        "riddell2016",
        trialstats_plan::EMBEDDED[0].1,
        &[
            "plan.wild_reps=99".into(),
            "sensitivity.ukpds_risk_mi.m=2".into(),
            "sensitivity.ukpds_risk_mi_components.m=2".into(),
            "outcome.phq9_change.nodes=1".into(),
            "outcome.mmas8_change.nodes=1".into(),
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
            ("clusters", "23 delivered groups (13 and 14 as one)"),
            (
                "ordinal_change_model",
                "12-month category adjusted for the baseline category"
            ),
            (
                "ordinal_change_model",
                "longitudinal, community and participant random intercepts (7 nodes each)"
            ),
            ("support_scale", "ordered logit of the 12-month category"),
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
        // Exactly the column the alternative is about changes (none for a model or the
        // clusters).
        let want: &[&str] = match c.assumption.as_str() {
            "ukpds_equation" => &["risk_12"],
            "hba1c_threshold" => &["hba1c_gt8_12"],
            "eq5d_value_set" => &["eq5d_12"],
            _ => &[],
        };
        assert_eq!(changed, want, "{}", c.label);
        let affected: Vec<&str> = c
            .effects
            .iter()
            .filter(|alt| {
                !r.effects.iter().any(|e| {
                    e.outcome == alt.outcome
                        && e.inference == alt.inference
                        && e.estimate.to_bits() == alt.estimate.to_bits()
                        && e.p_value.to_bits() == alt.p_value.to_bits()
                })
            })
            .map(|alt| alt.outcome.as_str())
            .collect();
        match c.assumption.as_str() {
            // One cluster fewer: every p-value moves; the regressions' estimates stay (MI's
            // imputation model and the random-intercept models change with the clusters).
            "clusters" => {
                assert!(affected.len() > 20, "{affected:?}");
                for alt in &c.effects {
                    let e = r
                        .effects
                        .iter()
                        .find(|e| e.outcome == alt.outcome && e.inference == alt.inference)
                        .unwrap();
                    if ["cr1", "cr2", "wild"].contains(&alt.inference) {
                        assert_eq!(e.estimate.to_bits(), alt.estimate.to_bits());
                        assert_eq!(alt.clusters, e.clusters - 1, "{}", alt.outcome);
                    }
                }
            }
            // Both ordinal outcomes change model; one whose baseline factor separates the
            // categories in this trial is listed as skipped (separation) instead.
            "ordinal_change_model" => {
                let separated: Vec<&str> = ["mmas8_change", "phq9_change"]
                    .into_iter()
                    .filter(|o| {
                        c.skipped.iter().any(|s| {
                            s.analysis == format!("{o}:model") && s.reason.starts_with("separation")
                        })
                    })
                    .collect();
                let mut all = affected.clone();
                all.extend(&separated);
                all.sort_unstable();
                // MMAS-8 is scored only in a build with the licensed scorer.
                let fitted: Vec<&str> = ["mmas8_change", "phq9_change"]
                    .into_iter()
                    .filter(|o| r.effects.iter().any(|e| e.outcome == *o))
                    .collect();
                assert_eq!(all, fitted, "{:?}", c.skipped);
            }
            "support_scale" => assert_eq!(affected, ["support_avail", "support_satis"]),
            _ => assert!(!affected.is_empty(), "{}", c.label),
        }
        let alt_run = run(&alt, &trial, &mut |_, _, _| {}).unwrap();
        assert_eq!(alt_run.effects, c.effects, "{}", c.label);
    }
}

#[test]
fn the_ordered_model_and_the_merge_are_the_estimators_and_refuse_mixed_arms() {
    use trialstats_models::clmm;
    use trialstats_ordinal::Quadrature;
    let trial = simulate(&SimParams::default(), 2016).unwrap().table;
    let plan = common::quick_paper_plan(
        &[
            "outcome.support_avail.model=ordered",
            r#"outcome.support_avail.inference=["model"]"#,
        ],
        false,
    )
    .restricted_to("support_avail")
    .unwrap();
    let r = run(&plan, &trial, &mut |_, _, _| {}).unwrap();
    let e = &r.effects[0];
    assert_eq!((e.inference, e.scale), ("model", "log_odds_ratio"));
    // R: clmm(factor(support_avail_12) ~ treated + factor(support_avail_0) + (1 | cluster),
    // nAGQ = 7); here the same model by the library directly.
    let d = reference_table(&trial);
    let fit = clmm(
        "support_avail_12 ~ treated + factor(support_avail_0)",
        "cluster",
    )
    .quadrature(Quadrature::Adaptive { nodes: 7 })
    .fit(&d)
    .unwrap();
    let c = fit.inference().coef("treated").unwrap();
    assert!(
        (e.estimate - c.estimate).abs() < 1e-8,
        "{} v. {}",
        e.estimate,
        c.estimate
    );
    assert!((e.std_error.unwrap() - c.std_error).abs() < 1e-8);
    assert_eq!(e.n, fit.nobs());
    // Two clusters of different arms cannot be analysed as one: an error naming the key.
    let text = Plan::with_overrides(
        "riddell2016",
        trialstats_plan::EMBEDDED[0].1,
        &[r#"design.merge=[["1", "3"]]"#.into()],
    )
    .unwrap();
    let e = run(
        &Plan::parse("riddell2016", &text).unwrap(),
        &trial,
        &mut |_, _, _| {},
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("`design.merge`: the clusters 1, 3 are in different arms"),
        "{e}"
    );
}

#[test]
fn imputing_the_risks_components_derives_the_risk_again_from_each_completed_data_set() {
    let trial = simulate(&SimParams::default(), 2016).unwrap().table;
    let plan = common::quick_paper_plan(
        &[
            "sensitivity.ukpds_risk_mi.m=3",
            "sensitivity.ukpds_risk_mi_components.m=3",
            r#"outcome.ukpds_risk.inference=["cr1"]"#,
        ],
        false,
    )
    .restricted_to("ukpds_risk")
    .unwrap();
    let r = run(&plan, &trial, &mut |_, _, _| {}).unwrap();
    let get = |inference: &str| {
        r.effects
            .iter()
            .find(|e| e.inference == inference)
            .unwrap_or_else(|| panic!("{inference}: {:?}", r.skipped))
    };
    let (mi, comp) = (get("mi"), get("mi_components"));
    // Everyone randomised is analysed, in all 24 communities, and the two imputations differ.
    assert_eq!((comp.n, comp.clusters, mi.n), (240, 24, 240));
    assert_ne!(comp.estimate.to_bits(), mi.estimate.to_bits());
    assert!(
        comp.method
            .contains("imputed: hba1c_12, sbp_12, tc_12, hdl_12, smoker_12")
    );
    // With every component observed there is nothing to impute: each completed data set is the
    // data, the risk derived again is the risk, and the pooled effect is the CR1 effect.
    let observed: Vec<bool> = ["hba1c_12", "sbp_12", "tc_12", "hdl_12", "smoker_12"]
        .iter()
        .map(|c| trial.numeric(c).unwrap().to_vec())
        .fold(vec![true; trial.nrows()], |acc, v| {
            acc.iter().zip(&v).map(|(a, x)| *a && x.is_some()).collect()
        });
    let complete = trial.filter_rows(&observed).unwrap();
    let r = run(&plan, &complete, &mut |_, _, _| {}).unwrap();
    let cr1 = r.effects.iter().find(|e| e.inference == "cr1").unwrap();
    let comp = r
        .effects
        .iter()
        .find(|e| e.inference == "mi_components")
        .unwrap_or_else(|| panic!("{:?}", r.skipped));
    assert!((comp.estimate - cr1.estimate).abs() < 1e-15);
    assert!((comp.std_error.unwrap() - cr1.std_error.unwrap()).abs() < 1e-15);
}

#[test]
fn tables_s1_and_s2_describe_every_self_care_item_and_the_support_distributions() {
    let trial = simulate(&SimParams::default(), 2016).unwrap().table;
    let plan = common::quick_paper_plan(&[], false);
    let r = run(&plan, &trial, &mut |_, _, _| {}).unwrap();
    let table = |id: &str| &r.tables.iter().find(|(n, _)| n == id).unwrap().1;
    // Table S1: ten item rows; item 3's effect is the fruit-and-vegetable outcome's (the same
    // columns), to the printed digit and, in the numeric table, to the bit.
    let s1 = table("table_s1");
    assert_eq!(s1.rows.len(), 10);
    let fv = r
        .effects
        .iter()
        .find(|e| e.outcome == "sdsca_fruit_veg")
        .unwrap();
    let numeric = s1.numeric.as_ref().unwrap();
    let est = numeric
        .rows
        .iter()
        .find(|row| row[0] == "sdsca3_12" && row[7] == "cr1")
        .unwrap();
    assert_eq!(
        est[8].parse::<f64>().unwrap().to_bits(),
        fv.estimate.to_bits()
    );
    assert_eq!(
        est[11].parse::<f64>().unwrap().to_bits(),
        fv.p_value.to_bits()
    );
    // Table S2: each level's count and share, by arm and time, as counted here.
    let s2 = table("table_s2");
    let arm = trial.column("arm").unwrap();
    let avail12 = trial.numeric("support_avail_12").unwrap();
    let treated: Vec<f64> = (0..trial.nrows())
        .filter(|&i| arm.text(i).as_deref() == Some("intervention"))
        .filter_map(|i| avail12[i])
        .collect();
    let fives = treated.iter().filter(|v| v.total_cmp(&5.0).is_eq()).count();
    let row5 = s2.rows.iter().find(|row| row[0] == "  5").unwrap();
    assert_eq!(
        row5[4],
        format!(
            "{fives} ({:.1}%)",
            100.0 * fives as f64 / treated.len() as f64
        )
    );
}
