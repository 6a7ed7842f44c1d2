//! References recorded by the R scripts in `tests/data`, and the comparison the tests use.
#![allow(dead_code, clippy::panic, clippy::unwrap_used)]

/// The value named `name` in a reference file of `name value` lines (`sprintf("%.17g")`).
pub fn reference(file: &str, name: &str) -> f64 {
    file.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no reference {name}"))
}

/// `got` within `tol` relative of R's `want`.
pub fn close(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol * want.abs().max(1e-300),
        "{what}: {got} v. R {want} (relative {:.1e})",
        ((got - want) / want).abs()
    );
}

/// The embedded paper plan with the overrides, few bootstrap draws and imputations (the tests run
/// unoptimised), and — unless `compare` — without its assumptions' alternatives (each runs the
/// whole plan again).
pub fn quick_paper_plan(sets: &[&str], compare: bool) -> trialstats_plan::Plan {
    let mut all: Vec<String> = vec![
        "plan.wild_reps=99".into(),
        "sensitivity.ukpds_risk_mi.m=2".into(),
        "sensitivity.ukpds_risk_mi_components.m=2".into(),
    ];
    all.extend(sets.iter().map(|s| (*s).to_owned()));
    let text =
        trialstats_plan::Plan::with_overrides("riddell2016", trialstats_plan::EMBEDDED[0].1, &all)
            .unwrap();
    let mut plan = trialstats_plan::Plan::parse("riddell2016", &text).unwrap();
    if !compare {
        for a in &mut plan.assumptions {
            a.compare.clear();
        }
    }
    plan
}

/// The effect of `outcome` under `inference`; a panic lists what the run skipped.
pub fn effect<'a>(
    r: &'a trialstats_plan::PlanResults,
    outcome: &str,
    inference: &str,
) -> &'a trialstats_plan::Effect {
    r.effects
        .iter()
        .find(|e| e.outcome == outcome && e.inference == inference)
        .unwrap_or_else(|| panic!("no {outcome}:{inference}; skipped {:?}", r.skipped))
}
