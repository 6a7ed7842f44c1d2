//! Monte Carlo comparison of the trial's estimators with few clusters: CR1 (Stata's
//! `vce(cluster)`), CR2 with Satterthwaite df, the restricted wild cluster bootstrap, and
//! multiple imputation — each exactly as the paper's analysis plan (`riddell2016`) runs it,
//! through the plan runner, on the seeded simulator's trial at 12, 24 and 48 clusters (about 10
//! participants each, ICC 0.05), balanced at baseline (`SimParams::balanced`).
//!
//! Two studies:
//! 1. size: the primary outcome (UKPDS 5-year risk at 12 months adjusted for baseline) under the
//!    published null effect — coverage of the 95 % interval and the rejection rate of β = 0;
//! 2. power: 12-month HbA1c under a true effect of −0.3 % — bias, SEs, coverage and power (the
//!    plan's HbA1c outcome with CR2 and the wild bootstrap added by `--set`-style overrides).
//!
//! `cargo run --release --example estimator_comparison` (1000 replications per design, some
//! minutes on 2 cores); `-- --quick` runs 24 replications (a smoke test for CI); `-- --reps N`.
//! A progress bar is drawn on standard error when it is a terminal.

use std::error::Error;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};

use trialstats::paper::monte_carlo_analysis;
use trialstats::plan::{EMBEDDED, Plan};
use trialstats::sim::{MonteCarlo, Outcome, SimParams, result_table};

/// The paper plan restricted to one outcome, with the study's bootstrap and imputation sizes.
fn plan_for(outcome: &str, sets: &[&str]) -> Result<Plan, Box<dyn Error>> {
    let mut all = vec![
        "plan.wild_reps=999".to_owned(),
        "sensitivity.ukpds_risk_mi.m=10".to_owned(),
        "sensitivity.ukpds_risk_mi.maxit=5".to_owned(),
    ];
    all.extend(sets.iter().map(|s| (*s).to_owned()));
    let text = Plan::with_overrides("riddell2016", EMBEDDED[0].1, &all)?;
    let mut plan = Plan::parse("riddell2016", &text)?.restricted_to(outcome)?;
    // The imputation of the risk itself (the study reports `mi`, not `mi_components`).
    plan.sensitivities.retain(|x| x.id == "ukpds_risk_mi");
    Ok(plan)
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let reps = match args.iter().position(|a| a == "--reps") {
        Some(i) => args.get(i + 1).ok_or("--reps needs a number")?.parse()?,
        None if quick => 24,
        None => 1000,
    };
    let designs = [(3, 2), (3, 4), (3, 8)]; // regions × clusters per arm per region → G = 12, 24, 48
    let studies = [
        (
            "Size: UKPDS 5-year risk, true effect 0 (the published null)",
            Outcome::Risk,
            0.0,
            plan_for("ukpds_risk", &[])?,
            vec![
                ("cr1", "CR1, t(G−1)"),
                ("cr2", "CR2, Satterthwaite"),
                ("wild", "wild cluster bootstrap"),
                ("mi", "MI (pmm) + CR1"),
            ],
        ),
        (
            "Power: HbA1c (%), true effect −0.3",
            Outcome::Hba1c,
            -0.3,
            plan_for(
                "hba1c",
                &[r#"outcome.hba1c.inference=["cr1", "cr2", "wild"]"#],
            )?,
            vec![
                ("cr1", "CR1, t(G−1)"),
                ("cr2", "CR2, Satterthwaite"),
                ("wild", "wild cluster bootstrap"),
            ],
        ),
    ];
    for (title, outcome, effect, plan, inferences) in studies {
        println!(
            "{title}; {reps} replications per design, seed 2016; the plan `riddell2016`'s `{}` outcome\n",
            plan.outcomes[0].id
        );
        let labels: Vec<String> = inferences.iter().map(|(_, l)| (*l).to_owned()).collect();
        // Each replication runs the plan on the simulated trial, with the replication's seed for
        // its bootstrap and imputations.
        let ids: Vec<&str> = inferences.iter().map(|(id, _)| *id).collect();
        let analysis = monte_carlo_analysis(&plan, &ids);
        for (regions, per_arm) in designs {
            // The trial without its published baseline imbalances (duration, HbA1c tail,
            // activity): a true effect of 0 is then an adjusted difference of 0.
            let params = SimParams {
                regions,
                clusters_per_arm_per_region: per_arm,
                participants_per_arm: regions * per_arm * 10,
                arm_effect_clinical: (effect, 0.0, 0.0, 0.0),
                ..SimParams::default().balanced()
            };
            let g = 2 * regions * per_arm;
            let study = MonteCarlo::new(params, reps, 2016, outcome);
            let shown = AtomicUsize::new(usize::MAX);
            let bar = |done: usize, total: usize| {
                if !std::io::stderr().is_terminal() {
                    return;
                }
                let pct = 100 * done / total;
                if shown.swap(pct, Ordering::Relaxed) != pct {
                    let mut e = std::io::stderr().lock();
                    let _ = write!(e, "\r  G = {g:2}: [{:<20}] {pct:3}%", "#".repeat(pct / 5));
                    if done == total {
                        let _ = writeln!(e);
                    }
                    let _ = e.flush();
                }
            };
            let result = study.run_with(&labels, &analysis, Some(&bar))?;
            println!("{}", result_table(&result).to_text());
        }
    }
    println!(
        "MCSE: Monte Carlo standard error. Coverage and rejection use 95 % intervals and α = 0.05;\n\
         the bootstrap has no SE of its own (its interval is the inverted test)."
    );
    Ok(())
}
