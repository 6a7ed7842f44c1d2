//! Petersen's test of clustered standard errors: OLS `y ~ x` on 5000 firm-years, every covariance
//! estimator of trialstats-robust next to the published Stata and R values, and the wild cluster
//! bootstrap by year (10 clusters: all 2^10 sign vectors enumerated).
//!
//! Data: Petersen (2009), RFS 22(1):435–480 (embedded). Published values: Petersen's web page
//! (Stata, 4 dp) and R sandwich's vignette (6 dp). Run with
//! `cargo run --release --example petersen_cluster_se` (`-- --quick` is accepted and changes
//! nothing: the example takes well under a second).

use std::error::Error;

use trialstats::core::Table;
use trialstats::core::table::{Align, fmt_num};
use trialstats::models::Fitted;
use trialstats::prelude::*;

fn main() -> Result<(), Box<dyn Error>> {
    let d = datasets::petersen()?;
    // One fit per clustering; other standard errors of the same fit come from `Fit::infer`.
    let plain = ols("y ~ x").fit(&d)?;
    let by_firm = ols("y ~ x").cluster("firm").fit(&d)?;
    let by_year = ols("y ~ x").cluster("year").fit(&d)?;
    let two_way = ols("y ~ x")
        .cluster("firm")
        .cluster("year")
        .se(Se::TwoWayMulti0(CrType::Cr1))
        .fit(&d)?;
    let level = Level::P95;
    let cases: Vec<(&str, Inference, &str)> = vec![
        ("OLS", plain.inference().clone(), "0.0284, 0.0286"),
        (
            "White (HC1)",
            plain.infer(Se::HC1, level)?,
            "0.0284, 0.0284",
        ),
        ("CR1 by firm", by_firm.inference().clone(), "0.0670, 0.0506"),
        (
            "CR0 by firm",
            by_firm.infer(Se::Cluster(CrType::Cr0), level)?,
            "0.066939, 0.05054 (R)",
        ),
        ("CR2 by firm", by_firm.infer(Se::CR2, level)?, "–"),
        ("CR1 by year", by_year.inference().clone(), "0.0234, 0.0334"),
        (
            "CR1 firm and year",
            two_way.inference().clone(),
            "0.0651, 0.0536",
        ),
    ];
    let mut t = Table::new(&["covariance", "SE (Intercept)", "SE x", "df x", "published"]);
    t.set_align(0, Align::Left);
    t.set_align(4, Align::Left);
    for (label, inf, published) in &cases {
        t.push_row(vec![
            (*label).to_string(),
            fmt_num(inf.coefficients[0].std_error, 5),
            fmt_num(inf.coefficients[1].std_error, 5),
            inf.coefficients[1]
                .df
                .map_or_else(|| "z".into(), |v| fmt_num(v, 5)),
            (*published).to_string(),
        ]);
    }
    let r_squared = match plain.fitted() {
        Fitted::Ols(f) => f.r_squared(),
        _ => f64::NAN,
    };
    t.title = Some(format!(
        "Petersen (2009): y ~ x, N = {}, coefficients {:.4} and {:.4}; R² = {:.4}",
        plain.nobs(),
        plain.inference().coefficients[0].estimate,
        plain.inference().coefficients[1].estimate,
        r_squared
    ));
    println!("{t}");

    let boot = by_year.wild_bootstrap("x", &WildClusterBootstrap::default(), None)?;
    let ci = boot.ci.map_or_else(
        || "no interval".to_string(),
        |(lo, hi)| format!("95% CI [{lo:.4}, {hi:.4}]"),
    );
    println!(
        "Wild cluster bootstrap by year (WCR, {} weights, {} {}): t = {:.3}, p = {:.5}, {ci}",
        boot.weights.name(),
        boot.reps,
        if boot.enumerated {
            "sign vectors enumerated"
        } else {
            "replicates"
        },
        boot.statistic,
        boot.p_value,
    );
    Ok(())
}
