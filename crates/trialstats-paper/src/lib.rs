//! The paper: Riddell et al. (2016), "Cardiovascular risk outcome and program evaluation of a
//! cluster randomised controlled trial of a community-based, lay peer led program for people with
//! diabetes", BMC Public Health, doi:10.1186/s12889-016-3538-3 — reproduced by running its
//! analysis plan, the embedded plan `riddell2016` of [`trialstats_plan`] (Stata 13's conventions,
//! every open choice an assumption, every published number a target), on the seeded simulator's
//! trial or on the user's data.
//!
//! `trialstats reproduce` and `cargo run --example reproduce_paper` are [`reproduce`] followed by
//! [`trialstats_plan::report::files`]; `trialstats run riddell2016 --data F` is the same run on a
//! file.
//!
//! ```
//! use trialstats_paper::{Options, default_data, reproduce};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let opts = Options { quick: true, ..Options::default() };
//! let data = default_data(opts.seed)?;
//! let r = reproduce(&data, &opts, &mut |_, _, _| {})?;
//! assert_eq!(r.plan, "riddell2016");
//! assert_eq!(r.flow.clusters, [12, 12]);
//! let primary = r.effects.iter().find(|e| e.outcome == "ukpds_risk" && e.inference == "cr1").unwrap();
//! assert_eq!(primary.df, Some(23.0)); // Stata's regress, vce(cluster): t(G − 1)
//! assert!(r.targets.iter().any(|t| t.quantity == "communities randomised" && t.reproduced == Some(24.0)));
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

use trialstats_data::DataTable;
use trialstats_plan::{EMBEDDED, Plan, PlanError, PlanResults};
use trialstats_sim::{McEstimate, SimError, SimParams, simulate};

/// Why a calibration could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CalibrationError {
    /// The simulator's parameters are not valid.
    #[error(transparent)]
    Params(#[from] Box<SimError>),
    /// The paper's plan could not be read (not expected).
    #[error(transparent)]
    Plan(#[from] PlanError),
}

/// Settings of a reproduction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Seed of the simulated trial, the wild bootstrap and the imputations (recorded in the
    /// results). Default 2016.
    pub seed: u64,
    /// 999 bootstrap draws and 5 imputations instead of the plan's 9,999 and 20 (a quick look,
    /// and CI).
    pub quick: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            seed: 2016,
            quick: false,
        }
    }
}

/// The overrides of the embedded plan that `opts` asks for (`--set` keys).
pub fn overrides(opts: &Options) -> Vec<String> {
    let mut sets = vec![format!("plan.seed={}", opts.seed)];
    if opts.quick {
        sets.push("plan.wild_reps=999".into());
        sets.push("sensitivity.ukpds_risk_mi.m=5".into());
        sets.push("sensitivity.ukpds_risk_mi_components.m=5".into());
    }
    sets
}

/// The paper's plan with the settings of `opts`.
///
/// # Errors
/// Not expected: the embedded plan parses (a test says so).
pub fn plan(opts: &Options) -> Result<Plan, PlanError> {
    let text = Plan::with_overrides("riddell2016", EMBEDDED[0].1, &overrides(opts))?;
    Plan::parse("riddell2016", &text)
}

/// The embedded default data: the seeded simulator's trial (24 communities, 240 participants,
/// the published design and baseline), in the schema the plan reads.
///
/// # Errors
/// Not expected with the default parameters.
pub fn default_data(seed: u64) -> Result<DataTable, Box<SimError>> {
    Ok(simulate(&SimParams::default(), seed)
        .map_err(Box::new)?
        .table)
}

/// Runs the paper's plan on `data`; `progress` hears (step, done, total).
///
/// # Errors
/// [`PlanError`] when the design does not fit the data (no `arm` or `cluster` column, an arm
/// value absent). Analyses the data do not allow are listed as skipped in the results.
pub fn reproduce(
    data: &DataTable,
    opts: &Options,
    progress: &mut dyn FnMut(&str, usize, usize),
) -> Result<PlanResults, PlanError> {
    trialstats_plan::run(&plan(opts)?, data, progress)
}

/// A Monte Carlo study's analysis ([`trialstats_sim::MonteCarlo::run_with`]) that runs `plan` on
/// each simulated trial, with the replication's seed for the plan's random steps, and reports
/// the effects of `inferences` (ids: `cr1`, `cr2`, `wild`, `mi`, …) of the plan's first outcome,
/// in that order (`None` where the run could not make one). With
/// [`Plan::restricted_to`] the plan is its primary analysis alone.
///
/// ```
/// use trialstats_paper::{Options, monte_carlo_analysis, plan};
/// use trialstats_sim::{MonteCarlo, Outcome, SimParams};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut primary = plan(&Options::default())?.restricted_to("ukpds_risk")?;
/// primary.sensitivities.clear();
/// let analysis = monte_carlo_analysis(&primary, &["cr1"]);
/// let study = MonteCarlo::new(SimParams::default(), 3, 1, Outcome::Risk);
/// let r = study.run_with(&["CR1".to_owned()], &analysis, None)?;
/// assert_eq!(r.summaries[0].n, 3);
/// # Ok(()) }
/// ```
pub fn monte_carlo_analysis<'a>(
    plan: &'a Plan,
    inferences: &'a [&'a str],
) -> impl Fn(&DataTable, u64) -> Vec<Option<McEstimate>> + Sync + 'a {
    move |trial: &DataTable, seed: u64| {
        let mut p = plan.clone();
        p.plan.seed = seed;
        let outcome = p.outcomes.first().map(|o| o.id.clone());
        let Ok(r) = trialstats_plan::run(&p, trial, &mut |_, _, _| {}) else {
            return vec![None; inferences.len()];
        };
        inferences
            .iter()
            .map(|id| {
                let e = r
                    .effects
                    .iter()
                    .find(|e| Some(&e.outcome) == outcome.as_ref() && e.inference == *id)?;
                Some(McEstimate {
                    estimate: e.estimate,
                    std_error: e.std_error,
                    ci_low: e.ci_low,
                    ci_high: e.ci_high,
                    p_value: e.p_value,
                })
            })
            .collect()
    }
}

/// One published number over many simulated trials: the distribution of the value the paper's
/// plan computes for it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CalibrationRow {
    /// What it is.
    pub quantity: String,
    /// As published.
    pub published: trialstats_plan::Published,
    /// Where it is published.
    pub source: Option<String>,
    /// The statistic of the plan that reproduces it.
    pub statistic: String,
    /// Median over the trials with a value.
    pub median: Option<f64>,
    /// 10th percentile (R's type 7).
    pub p10: Option<f64>,
    /// 90th percentile (R's type 7).
    pub p90: Option<f64>,
    /// Where a published number falls among the simulated values: the percentage of them below
    /// it, ties counted half (the mid-distribution function). Near 50 when the simulator is
    /// centred on it; below 10 or above 90 when the published number is unusual for the
    /// simulated trial. `None` for a published statement or no simulated values.
    pub published_percentile: Option<f64>,
    /// Trials with a value (a statistic the run cannot compute, or a model that fails, has none).
    pub computed: usize,
    /// The plan's remark on the number (how it reads, or why it is not reproduced).
    pub remark: Option<String>,
}

/// A calibration over many seeds ([`calibrate`]).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Calibration {
    /// The simulator's parameters.
    pub params: SimParams,
    /// The first seed; the trials use `first_seed`, `first_seed + 1`, ….
    pub first_seed: u64,
    /// Trials simulated.
    pub seeds: usize,
    /// One row per published number of the plan's `[[target]]`s.
    pub rows: Vec<CalibrationRow>,
}

/// The paper's plan as a calibration runs it on each simulated trial: CR1 for the primary
/// outcome (its published analysis), the imputation of the risk with m = 5 (its target is a
/// statement, "similar results"), no imputation of the components and no alternatives (they have
/// no published numbers of their own), everything else as published.
///
/// # Errors
/// Not expected: the embedded plan parses.
pub fn calibration_plan() -> Result<Plan, PlanError> {
    let text = Plan::with_overrides(
        "riddell2016",
        EMBEDDED[0].1,
        &[
            r#"outcome.ukpds_risk.inference=["cr1"]"#.to_owned(),
            "sensitivity.ukpds_risk_mi.m=5".to_owned(),
        ],
    )?;
    let mut plan = Plan::parse("riddell2016", &text)?;
    plan.sensitivities.retain(|x| x.impute.is_empty());
    for a in &mut plan.assumptions {
        a.compare.clear();
    }
    Ok(plan)
}

/// Simulates `seeds` trials with `params` (seeds `first_seed`, `first_seed + 1`, …; in parallel,
/// results independent of the number of threads), runs [`calibration_plan`] on each and
/// summarises every published number's reproduced value: median and 10th–90th percentiles.
/// `progress(done, total)` hears each finished trial.
///
/// # Errors
/// [`CalibrationError::Params`] for invalid parameters; a plan error is not expected.
///
/// # Examples
/// ```
/// use trialstats_paper::calibrate;
/// use trialstats_sim::SimParams;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let c = calibrate(&SimParams::default(), 2016, 3, None)?;
/// let clusters = c.rows.iter().find(|r| r.quantity == "communities randomised").unwrap();
/// assert_eq!((clusters.median, clusters.computed), (Some(24.0), 3));
/// # Ok(()) }
/// ```
pub fn calibrate(
    params: &SimParams,
    first_seed: u64,
    seeds: usize,
    progress: Option<&(dyn Fn(usize, usize) + Sync)>,
) -> Result<Calibration, CalibrationError> {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    params.check().map_err(Box::new)?;
    let plan = calibration_plan()?;
    let done = AtomicUsize::new(0);
    let per_seed: Vec<Vec<Option<f64>>> = (0..seeds)
        .into_par_iter()
        .map(|k| {
            let values = simulate(params, first_seed.wrapping_add(k as u64))
                .ok()
                .and_then(|t| trialstats_plan::run(&plan, &t.table, &mut |_, _, _| {}).ok())
                .map_or_else(
                    || vec![None; plan.targets.len()],
                    |r| r.targets.iter().map(|t| t.reproduced).collect(),
                );
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            if let Some(p) = progress {
                p(n, seeds);
            }
            values
        })
        .collect();
    let rows = plan
        .targets
        .iter()
        .enumerate()
        .map(|(j, t)| {
            let mut v: Vec<f64> = per_seed.iter().filter_map(|s| s[j]).collect();
            v.sort_by(f64::total_cmp);
            let q = |p: f64| trialstats_twosample::quantile7(&v, p);
            let statistic = t.statistic_label();
            let published_percentile = match t.published {
                trialstats_plan::Published::Number(x) if !v.is_empty() => {
                    let below = v.iter().filter(|&&y| y < x).count() as f64;
                    let ties = v.iter().filter(|&&y| y.total_cmp(&x).is_eq()).count() as f64;
                    Some(100.0 * (below + ties / 2.0) / v.len() as f64)
                }
                _ => None,
            };
            CalibrationRow {
                published_percentile,
                remark: t.remark.clone(),
                quantity: t.quantity.clone(),
                published: t.published.clone(),
                source: t.source.clone(),
                statistic,
                median: q(0.5),
                p10: q(0.1),
                p90: q(0.9),
                computed: v.len(),
            }
        })
        .collect();
    Ok(Calibration {
        params: params.clone(),
        first_seed,
        seeds,
        rows,
    })
}

/// The calibration as a table: published, median, 10th–90th percentiles, trials with a value.
pub fn calibration_table(c: &Calibration) -> trialstats_core::Table {
    use trialstats_core::table::{Align, num_cell};
    let mut t = trialstats_core::Table::new(&[
        "quantity",
        "published",
        "median",
        "10th–90th percentile",
        "published at percentile",
        "trials",
        "source",
    ]);
    t.set_align(0, Align::Left);
    t.set_align(6, Align::Left);
    let mut numeric = trialstats_core::Table::new(&[
        "quantity",
        "published",
        "median",
        "p10",
        "p90",
        "published_percentile",
        "trials",
        "statistic",
    ]);
    let cell =
        |x: Option<f64>| x.map_or_else(|| "—".to_owned(), trialstats_plan::describe::fmt_value);
    for r in &c.rows {
        t.push_row(vec![
            r.quantity.clone(),
            r.published.to_string(),
            cell(r.median),
            match (r.p10, r.p90) {
                (Some(a), Some(b)) => format!("{} to {}", cell(Some(a)), cell(Some(b))),
                _ => "—".to_owned(),
            },
            r.published_percentile
                .map_or_else(|| "—".to_owned(), |x| format!("{x:.0}")),
            format!("{}/{}", r.computed, c.seeds),
            r.source.clone().unwrap_or_default(),
        ]);
        numeric.push_row(vec![
            r.quantity.clone(),
            r.published.to_string(),
            r.median.map_or_else(String::new, num_cell),
            r.p10.map_or_else(String::new, num_cell),
            r.p90.map_or_else(String::new, num_cell),
            r.published_percentile.map_or_else(String::new, num_cell),
            num_cell(r.computed as f64),
            r.statistic.clone(),
        ]);
    }
    t.notes.extend(c.rows.iter().filter_map(|r| {
        let remark = r.remark.as_ref()?;
        Some(trialstats_plan::describe::remark_note(
            &r.quantity,
            &r.statistic,
            remark,
        ))
    }));
    t.title = Some(format!(
        "Calibration: every published number against its distribution over {} simulated trials (seeds {}–{}), each analysed by the paper's plan",
        c.seeds,
        c.first_seed,
        c.first_seed.wrapping_add(c.seeds.saturating_sub(1) as u64)
    ));
    t.numeric = Some(Box::new(numeric));
    t
}
