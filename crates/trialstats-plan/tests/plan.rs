//! The plan runner on a trial written by R (`data/make_trial.R`: text community names, `arm` as
//! "usual care"/"intervention", missing 12-month values), against R's references recorded by the
//! same script in `data/reference.txt` (R 4.2.2, sandwich 3.0.2, clubSandwich 0.5.8).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use trialstats_data::DataTable;
use trialstats_plan::{Plan, PlanError, PlanResults, run};

const TRIAL: &str = include_str!("data/trial_r.csv");
const REFERENCE: &str = include_str!("data/reference.txt");

mod common;
use common::{close, effect};

fn reference(name: &str) -> f64 {
    common::reference(REFERENCE, name)
}

fn plan(conventions: &str) -> String {
    format!(
        r#"
[plan]
name = "r-trial"
title = "A trial written by R"
conventions = "{conventions}"
wild_reps = 999

[design]
id = "id"
cluster = "community"
arm = {{ column = "arm", control = "usual care", treatment = "intervention" }}

[[derive]]
name = "hba1c_gt8_12"
from = "hba1c_12"
threshold = "> 8"

[table1]
continuous = ["age"]
nonparametric = ["duration"]
categorical = ["smoker"]

[[outcome]]
id = "hba1c"
label = "HbA1c (%)"
model = "linear"
followup = "hba1c_12"
baseline = "hba1c_0"
inference = ["cr1", "cr2", "wild"]

[[outcome]]
id = "hba1c_gt8"
model = "logistic"
followup = "hba1c_gt8_12"
baseline = "hba1c_0"
inference = ["cr1", "wild"]

[[outcome]]
id = "eq5d"
model = "linear"
followup = "eq5d_12"
baseline = "eq5d_0"

[[derive]]
name = "hba1c_gt8_0"
from = "hba1c_0"
threshold = "> 8"

[[subgroup]]
id = "poor_control"
label = "baseline HbA1c > 8 %"
outcome = "hba1c"
by = "hba1c_gt8_0"

[[assumption]]
id = "hba1c_threshold"
choice = "HbA1c > 8 %"
alternatives = ["HbA1c >= 8 %"]
reason = "the paper writes both"
"#
    )
}

fn run_plan(text: &str) -> Result<PlanResults, PlanError> {
    let p = Plan::parse("test.toml", text)?;
    let data = DataTable::from_csv_str("trial_r.csv", TRIAL).unwrap();
    run(&p, &data, &mut |_, _, _| {})
}

#[test]
fn stata13_plan_matches_stata_formulas_computed_in_r() {
    let r = run_plan(&plan("stata13")).unwrap();
    assert_eq!(r.clusters, [10, 10]);
    // regress, vce(cluster): sandwich::vcovCL(type = "HC1", cadjust = TRUE), t(G − 1).
    let cr1 = effect(&r, "hba1c", "cr1");
    close(
        cr1.estimate,
        reference("cr1_estimate"),
        1e-12,
        "CR1 estimate",
    );
    close(cr1.std_error.unwrap(), reference("cr1_se"), 1e-12, "CR1 SE");
    close(cr1.p_value, reference("cr1_p"), 1e-10, "CR1 p");
    close(cr1.ci_low, reference("cr1_lo"), 1e-12, "CR1 CI");
    assert_eq!(cr1.df, Some(19.0));
    // CR2 with Satterthwaite df: clubSandwich.
    let cr2 = effect(&r, "hba1c", "cr2");
    close(cr2.std_error.unwrap(), reference("cr2_se"), 1e-10, "CR2 SE");
    close(cr2.df.unwrap(), reference("cr2_df"), 1e-8, "CR2 df");
    close(cr2.p_value, reference("cr2_p"), 1e-8, "CR2 p");
    // logit, vce(cluster): HC0 × G/(G − 1), z. R's glm run to epsilon 1e-15 (its default 1e-8
    // stopping rule moves the SE in the 8th digit).
    let lg = effect(&r, "hba1c_gt8", "cr1");
    close(
        lg.estimate,
        reference("logit_estimate"),
        1e-9,
        "logit estimate",
    );
    close(
        lg.std_error.unwrap(),
        reference("logit_se"),
        1e-9,
        "logit SE",
    );
    close(lg.p_value, reference("logit_p"), 1e-9, "logit p");
    assert_eq!(lg.scale, "log_odds_ratio");
    let or = lg.odds_ratio.unwrap();
    assert_eq!(or.estimate.to_bits(), lg.estimate.exp().to_bits());
    // Table 1, Stata 13: ttest (Student), ranksum (normal, no continuity correction),
    // tabulate, chi2 (no correction).
    let test = |v: &str| r.table1_tests.iter().find(|t| t.variable == v).unwrap();
    assert_eq!(
        (test("age").test.as_str(), test("duration").test.as_str()),
        ("ttest", "ranksum")
    );
    close(test("age").p_value, reference("ttest_p"), 1e-12, "ttest");
    close(
        test("duration").p_value,
        reference("ranksum_p"),
        1e-12,
        "ranksum",
    );
    close(test("smoker").p_value, reference("chi2_p"), 1e-12, "chi2");
    // The wild bootstrap runs for the linear outcome and is skipped, with the reason, for the
    // logistic one; the outcome whose columns are absent is skipped and named.
    let wild = effect(&r, "hba1c", "wild");
    assert_eq!(wild.estimate.to_bits(), cr1.estimate.to_bits());
    assert!(
        wild.ci_low < wild.estimate && wild.estimate < wild.ci_high,
        "{wild:?}"
    );
    assert!(wild.p_value > 0.0 && wild.p_value < 0.05, "{wild:?}"); // CR1 p is 0.004
    assert!(wild.method.contains("999 draws") && wild.method.contains("seed 2016"));
    let skipped: Vec<(&str, &str)> = r
        .skipped
        .iter()
        .map(|s| (s.analysis.as_str(), s.reason.as_str()))
        .collect();
    assert_eq!(
        skipped,
        [
            (
                "hba1c_gt8:wild",
                "the wild cluster bootstrap is for linear models"
            ),
            ("eq5d", "missing columns: eq5d_12, eq5d_0"),
        ]
    );
    assert_eq!(r.assumptions[0].id, "hba1c_threshold");
    // Listwise deletion is counted: 200 rows, those with a 12-month value analysed.
    let with_12 = TRIAL.lines().skip(1).filter(|l| !l.ends_with(',')).count();
    assert_eq!(cr1.n, with_12);
}

#[test]
fn subgroups_match_r_within_each_level_and_for_the_interaction() {
    let r = run_plan(&plan("stata13")).unwrap();
    let sg = &r.subgroups[0];
    assert_eq!(
        (sg.id.as_str(), sg.by.as_str()),
        ("poor_control", "hba1c_gt8_0")
    );
    for (k, level) in sg.levels.iter().enumerate() {
        assert_eq!(level.level, k.to_string());
        let e = &level.effect;
        close(
            e.estimate,
            reference(&format!("sub{k}_estimate")),
            1e-12,
            "within estimate",
        );
        close(
            e.std_error.unwrap(),
            reference(&format!("sub{k}_se")),
            1e-12,
            "within SE",
        );
        close(
            e.p_value,
            reference(&format!("sub{k}_p")),
            1e-10,
            "within p",
        );
        // Clusters counted among the level's rows: t(G − 1) with that G.
        assert_eq!(e.clusters, reference(&format!("sub{k}_G")) as usize);
        assert_eq!(e.df, Some(e.clusters as f64 - 1.0));
    }
    let i = sg.interaction.unwrap();
    assert_eq!((i.df1, i.statistic), (1, None));
    close(
        i.estimate.unwrap(),
        reference("interaction_estimate"),
        1e-12,
        "interaction",
    );
    close(
        i.std_error.unwrap(),
        reference("interaction_se"),
        1e-12,
        "interaction SE",
    );
    close(
        i.p_value,
        reference("interaction_p"),
        1e-10,
        "interaction p",
    );
}

#[test]
fn a_subgroup_of_three_levels_gets_the_joint_interaction_test_as_r() {
    // Age < 55, 55–64, 65+ as a column of the data (make_trial.R cuts it the same way).
    let mut lines = TRIAL.lines();
    let header = lines.next().unwrap();
    let age_at = header.split(',').position(|h| h == "\"age\"").unwrap();
    let mut csv = format!("{header},agegrp\n");
    for l in lines {
        let age: f64 = l.split(',').nth(age_at).unwrap().parse().unwrap();
        let g = if age < 55.0 {
            0
        } else if age < 65.0 {
            1
        } else {
            2
        };
        csv.push_str(&format!("{l},{g}\n"));
    }
    let text = format!(
        "{}\n[[subgroup]]\nid = \"age\"\noutcome = \"hba1c\"\nby = \"agegrp\"\n",
        plan("stata13")
    );
    let p = Plan::parse("test.toml", &text).unwrap();
    let data = DataTable::from_csv_str("trial_r.csv", &csv).unwrap();
    let r = run(&p, &data, &mut |_, _, _| {}).unwrap();
    let sg = r.subgroups.iter().find(|g| g.id == "age").unwrap();
    assert_eq!(sg.levels.len(), 3);
    let i = sg.interaction.unwrap();
    assert_eq!((i.df1, i.estimate), (2, None));
    assert_eq!(i.df, Some(19.0));
    close(
        i.statistic.unwrap(),
        reference("interaction3_F"),
        1e-10,
        "interaction F",
    );
    close(
        i.p_value,
        reference("interaction3_p"),
        1e-10,
        "interaction p",
    );
}

#[test]
fn merged_clusters_change_g_and_the_df_as_r_does() {
    let text = plan("stata13").replace("arm = {", "merge = [[\"Bramley\", \"Dunmore\"]]\narm = {");
    let r = run_plan(&text).unwrap();
    assert_eq!(r.clusters, [10, 9]);
    let cr1 = effect(&r, "hba1c", "cr1");
    assert_eq!((cr1.clusters, cr1.df), (19, Some(18.0)));
    close(
        cr1.std_error.unwrap(),
        reference("merged_se"),
        1e-12,
        "merged CR1 SE",
    );
    close(cr1.p_value, reference("merged_p"), 1e-10, "merged CR1 p");
    assert!(
        r.warnings.iter().any(|w| w.contains("G 20 → 19")),
        "{:?}",
        r.warnings
    );
    // A cluster the data do not hold: the line and the key.
    let bad = plan("stata13").replace("arm = {", "merge = [[\"Bramley\", \"Atlantis\"]]\narm = {");
    let e = run_plan(&bad).unwrap_err().to_string();
    assert!(
        e.contains("line 11") && e.contains("design.merge") && e.contains("`Atlantis`"),
        "{e}"
    );
}

#[test]
fn r_conventions_switch_the_table1_tests() {
    let r = run_plan(&plan("r")).unwrap();
    let p = |v: &str| {
        r.table1_tests
            .iter()
            .find(|t| t.variable == v)
            .unwrap()
            .p_value
    };
    close(p("age"), reference("welch_p"), 1e-12, "Welch");
    close(p("duration"), reference("wilcox_p"), 1e-12, "wilcox.test");
    close(p("smoker"), reference("chisq_yates_p"), 1e-12, "chisq.test");
}

#[test]
fn numeric_arm_codes_and_the_files_of_a_run() {
    // The same trial with arm coded 0/1: the same effects to the bit.
    let coded = TRIAL
        .replace("\"usual care\"", "0")
        .replace("\"intervention\"", "1");
    let text = plan("stata13").replace(
        r#"control = "usual care", treatment = "intervention""#,
        "control = 0, treatment = 1",
    );
    let p = Plan::parse("coded.toml", &text).unwrap();
    let data = DataTable::from_csv_str("coded.csv", &coded).unwrap();
    let coded_run = run(&p, &data, &mut |_, _, _| {}).unwrap();
    let labelled = run_plan(&plan("stata13")).unwrap();
    assert_eq!(coded_run.effects, labelled.effects);
    let files = trialstats_plan::report::files(&labelled).unwrap();
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "results.json",
            "report.md",
            "report.html",
            "flow.svg",
            "forest.svg",
            "effects.csv",
            "table1.csv",
            "table1_numeric.csv",
            "flow.csv",
            "flow_numeric.csv"
        ]
    );
    let json: serde_json::Value = serde_json::from_str(&files[0].1).unwrap();
    for key in [
        "plan",
        "effects",
        "table1_tests",
        "skipped",
        "assumptions",
        "flow",
        "iccs",
        "targets",
        "outcomes",
    ] {
        assert!(json.get(key).is_some(), "results.json lacks {key}");
    }
    assert_eq!(json["effects"][0]["outcome"], "hba1c");
    assert_eq!(json["effects"][0]["inference"], "cr1");
}

#[test]
fn bad_plans_name_the_line_and_the_key() {
    let base = plan("stata13");
    let err = |text: &str| run_plan(text).unwrap_err().to_string();
    let line_of =
        |needle: &str, text: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    // An unknown key, a wrong type.
    let typo = base.replace(
        "baseline = \"hba1c_0\"\ninference = [\"cr1\", \"cr2\"",
        "baselin = \"hba1c_0\"\ninference = [\"cr1\", \"cr2\"",
    );
    assert!(
        err(&typo).contains(&format!("line {}", line_of("baselin =", &typo))),
        "{}",
        err(&typo)
    );
    assert!(err(&typo).contains("baselin"), "{}", err(&typo));
    let wrong_type = base.replace("wild_reps = 999", "wild_reps = \"many\"");
    assert!(err(&wrong_type).contains("line 6"), "{}", err(&wrong_type));
    // An arm value absent from the data: the line, the key and the values there are.
    let absent = base.replace(
        "treatment = \"intervention\"",
        "treatment = \"peer support\"",
    );
    let e = err(&absent);
    assert!(
        e.contains("line 11")
            && e.contains("design.arm.treatment")
            && e.contains("`intervention`, `usual care`"),
        "{e}"
    );
    // A cluster column the data lack; a threshold on a text column; a threshold that does not
    // read; an unknown inference.
    let e = err(&base.replace("cluster = \"community\"", "cluster = \"town\""));
    assert!(
        e.contains("line 10") && e.contains("design.cluster") && e.contains("`town`"),
        "{e}"
    );
    let e = err(&base.replace("from = \"hba1c_12\"", "from = \"smoker\""));
    assert!(
        e.contains("derive.from") && e.contains("`smoker` is not numeric"),
        "{e}"
    );
    let e = err(&base.replace("threshold = \"> 8\"", "threshold = \"over 8\""));
    assert!(
        e.contains("derive.threshold") && e.contains("`over 8` is not a threshold"),
        "{e}"
    );
    let e = err(&base.replace("[\"cr1\", \"wild\"]", "[\"cr1\", \"bootstrap\"]"));
    assert!(e.contains("unknown variant `bootstrap`"), "{e}");
}
