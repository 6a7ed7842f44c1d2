//! The sample-size statement, and the Monte Carlo harness's determinism.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use trialstats_sim::power::{
    PowerDesign, design_effect, implied_sd, n_per_arm, power, simulated_power,
};
use trialstats_sim::{MonteCarlo, Outcome, SimError, SimParams};

#[test]
fn the_papers_sample_size_statement_analytically() {
    // 100 per arm, −2.0 v. 0 percentage points, 80 % power; α = 0.05 two-sided assumed.
    // z_0.975 + z_0.8 = 1.959964 + 0.841621 = 2.801585; σ = 2 √(100 / (2 · 2.801585²)) = 5.0479.
    let sd = implied_sd(-2.0, 100.0, 0.05, 0.8);
    assert!((sd - 5.047_90).abs() < 1e-4, "{sd}");
    assert!((n_per_arm(-2.0, sd, 0.05, 0.8, 1.0) - 100.0).abs() < 1e-9);
    assert!((power(-2.0, sd, 100.0, 0.05, 1.0) - 0.8).abs() < 1e-9);
    // With a design effect for ICC 0.05 in clusters of 10 (deff 1.45) the same trial has about
    // 64 % power, and would need 145 per arm.
    let deff = design_effect(10.0, 0.05);
    assert!((deff - 1.45).abs() < 1e-12);
    let p = power(-2.0, sd, 100.0, 0.05, deff);
    assert!((p - 0.6428).abs() < 5e-4, "{p}");
    assert!((n_per_arm(-2.0, sd, 0.05, 0.8, deff) - 145.0).abs() < 1e-9);
}

#[test]
fn and_by_simulation() {
    // 10 clusters of 10 per arm, analysed as the trial (OLS, CR1, t(19)): with ICC 0 the
    // simulated power is the analytic 0.80 less the cost of t(19) and CR1 with 20 clusters; with
    // ICC 0.05 it falls towards the design-effect value 0.64. 2000 replicates: MCSE about 0.01.
    let sd = implied_sd(-2.0, 100.0, 0.05, 0.8);
    let design = PowerDesign {
        delta: -2.0,
        sd,
        clusters_per_arm: 10,
        cluster_size: 10,
        icc: 0.0,
        alpha: 0.05,
    };
    let a = simulated_power(&design, 2000, 1).unwrap();
    assert_eq!(a.reps, 2000);
    assert!(a.power > 0.72 && a.power < 0.81, "{a:?}");
    let b = simulated_power(
        &PowerDesign {
            icc: 0.05,
            ..design
        },
        2000,
        2,
    )
    .unwrap();
    assert!(b.power > 0.55 && b.power < 0.66, "{b:?}");
    eprintln!("simulated power: ICC 0 {a:?}; ICC 0.05 {b:?}");
    assert!(b.power < a.power);
    // α outside (0, 1) is refused, naming it.
    let e = simulated_power(
        &PowerDesign {
            alpha: 1.5,
            ..design
        },
        10,
        1,
    )
    .unwrap_err();
    assert!(
        matches!(&e, SimError::Parameter { parameter, .. } if parameter == "alpha"),
        "{e}"
    );
}

#[test]
fn monte_carlo_is_reproducible_and_sane() {
    let study = MonteCarlo::new(SimParams::default(), 12, 99, Outcome::Risk);
    let a = study.run(None).unwrap();
    let b = study.run(None).unwrap();
    assert_eq!(
        serde_json::to_string(&a.summaries).unwrap(),
        serde_json::to_string(&b.summaries).unwrap()
    );
    assert_eq!(a.n_clusters, 24);
    for s in &a.summaries {
        assert_eq!(s.failed, 0, "{:?}", s.estimator);
        assert!(s.bias.0.abs() < 0.01);
        assert!((0.0..=1.0).contains(&s.coverage.0));
    }
    // CR1 and complete case are the same analysis.
    assert_eq!(a.summaries[0].bias, a.summaries[4].bias);
    // A truth the harness cannot know is refused.
    let p = SimParams {
        arm_effect_clinical: (-0.3, 0.0, 0.0, 0.0),
        ..SimParams::default()
    };
    assert_eq!(
        MonteCarlo::new(p, 2, 1, Outcome::Risk)
            .run(None)
            .unwrap_err(),
        SimError::UndefinedTruth
    );
    // One replication cannot be summarised.
    let e = MonteCarlo::new(SimParams::default(), 1, 1, Outcome::Risk)
        .run(None)
        .unwrap_err();
    assert!(
        matches!(
            e,
            SimError::TooFewAnalysed {
                analysed: 1,
                reps: 1,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("only 1 of 1 replications"), "{e}");
}
