//! The plan's UKPDS rule against the simulator's derivation of the paper's risk (UKPDS 56 CHD,
//! 5 years; at 12 months the age at diagnosis fixed and the duration one year longer), and the
//! primary analysis through the plan against the model fitted directly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use trialstats_models::ols;
use trialstats_plan::{Plan, run};
use trialstats_sim::{SimParams, derive, simulate};

const PLAN: &str = r#"
[plan]
name = "ukpds-check"

[design]
cluster = "cluster"
arm = { column = "arm", control = "usual_care", treatment = "intervention" }

[[derive]]
name = "tc_hdl_0"
expression = "tc_0 / hdl_0"

[[derive]]
name = "tc_hdl_12"
expression = "tc_12 / hdl_12"

[[derive]]
name = "risk_0"
ukpds = { equation = "chd", horizon = 5, age = "age", duration = "duration", female = "female", afro_caribbean = "afro_caribbean", smoker = "smoker_0", hba1c = "hba1c_0", sbp = "sbp_0", tc_hdl = "tc_hdl_0" }

[[derive]]
name = "risk_12"
ukpds = { equation = "chd", horizon = 5, years_later = 1, age = "age", duration = "duration", female = "female", afro_caribbean = "afro_caribbean", smoker = "smoker_12", hba1c = "hba1c_12", sbp = "sbp_12", tc_hdl = "tc_hdl_12" }

[[derive]]
name = "cvd_0"
ukpds = { equation = "cvd", age = "age", duration = "duration", female = "female", afro_caribbean = "afro_caribbean", smoker = "smoker_0", hba1c = "hba1c_0", sbp = "sbp_0", tc_hdl = "tc_hdl_0", af = "af" }

[[outcome]]
id = "ukpds_risk"
model = "linear"
followup = "risk_12"
baseline = "risk_0"
inference = ["cr1", "cr2"]
"#;

#[test]
fn the_ukpds_rule_gives_the_simulators_risk_and_the_primary_effect_to_the_bit() {
    let trial = simulate(&SimParams::default(), 2016).unwrap().table;
    let plan = Plan::parse("ukpds.toml", PLAN).unwrap();
    let r = run(&plan, &trial, &mut |_, _, _| {}).unwrap();
    // The simulator's derivation (tested against the UKPDS specification's worked examples).
    let d = derive(&trial).unwrap().table;
    let fit = ols("risk_12 ~ intervention + risk_0")
        .cluster("cluster")
        .fit(&d)
        .unwrap();
    let direct = fit.inference().coef("intervention").unwrap();
    let cr1 = r
        .effects
        .iter()
        .find(|e| e.outcome == "ukpds_risk" && e.inference == "cr1")
        .unwrap();
    assert_eq!(cr1.estimate.to_bits(), direct.estimate.to_bits());
    assert_eq!(cr1.std_error.unwrap().to_bits(), direct.std_error.to_bits());
    assert_eq!(cr1.p_value.to_bits(), direct.p_value.to_bits());
    assert_eq!(cr1.n, fit.nobs());
    assert_eq!(cr1.df, Some(23.0)); // 24 communities
    assert!(r.skipped.is_empty(), "{:?}", r.skipped);
}

#[test]
fn derived_columns_match_the_equations_row_by_row() {
    use trialstats_ukpds::{Equation, ProfileBuilder};
    let trial = simulate(&SimParams::default(), 7).unwrap().table;
    let plan = Plan::parse("ukpds.toml", PLAN).unwrap();
    let t = trialstats_plan::derived(&plan, &trial).unwrap();
    let sim = derive(&trial).unwrap().table;
    // The simulator's risks, bit for bit, missing where it is missing.
    for c in ["risk_0", "risk_12"] {
        let (a, b) = (t.numeric(c).unwrap(), sim.numeric(c).unwrap());
        assert!(
            a.iter()
                .zip(b)
                .all(|(x, y)| x.map(f64::to_bits) == y.map(f64::to_bits)),
            "{c}"
        );
        if c == "risk_12" {
            assert!(
                a.iter().any(Option::is_none),
                "the 12-month values have missing rows"
            );
        }
    }
    // The composite: 1 − (1 − CHD)(1 − stroke) with the same profile, for every row.
    let num = |c: &str, i: usize| trial.numeric(c).unwrap()[i];
    let cvd = t.numeric("cvd_0").unwrap();
    for (i, cvd_i) in cvd.iter().enumerate() {
        let inputs = [
            "age",
            "duration",
            "female",
            "afro_caribbean",
            "smoker_0",
            "hba1c_0",
            "sbp_0",
            "tc_0",
            "hdl_0",
            "af",
        ]
        .map(|c| num(c, i));
        let Some(v) = inputs.iter().copied().collect::<Option<Vec<f64>>>() else {
            assert_eq!(*cvd_i, None, "row {}", i + 1);
            continue;
        };
        let p = ProfileBuilder {
            age_at_diagnosis: v[0] - v[1],
            duration: v[1],
            female: v[2],
            afro_caribbean: v[3],
            smoker: v[4],
            hba1c: v[5],
            sbp: v[6],
            tc_hdl: v[7] / v[8],
            atrial_fibrillation: v[9],
        }
        .build()
        .unwrap();
        let chd = Equation::Chd.risk(&p, 5.0).unwrap().risk;
        let stroke = Equation::Stroke.risk(&p, 5.0).unwrap().risk;
        let want = 1.0 - (1.0 - chd) * (1.0 - stroke);
        assert_eq!(
            cvd_i.map(f64::to_bits),
            Some(want.to_bits()),
            "row {}",
            i + 1
        );
    }
}

#[test]
fn a_derived_column_without_its_inputs_skips_what_uses_it() {
    let trial = simulate(&SimParams::default(), 7).unwrap().table;
    let cols: Vec<_> = trial
        .columns()
        .iter()
        .filter(|c| c.name != "hba1c_12")
        .cloned()
        .collect();
    let without = trialstats_data::DataTable::new("no-hba1c12", cols).unwrap();
    let plan = Plan::parse("ukpds.toml", PLAN).unwrap();
    let r = run(&plan, &without, &mut |_, _, _| {}).unwrap();
    let skipped: Vec<(&str, &str)> = r
        .skipped
        .iter()
        .map(|s| (s.analysis.as_str(), s.reason.as_str()))
        .collect();
    assert_eq!(
        skipped,
        [
            ("derive:risk_12", "missing columns: hba1c_12"),
            ("ukpds_risk", "missing columns: risk_12"),
        ]
    );
}
