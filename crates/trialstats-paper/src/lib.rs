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
