//! Monte Carlo comparison of estimators: simulate → analyse, R times in parallel, and summarise
//! each estimator's bias, empirical vs reported SE, CI coverage and rejection rate, with Monte
//! Carlo standard errors (Morris, White & Crowther 2019, Stat Med 38:2074–102,
//! doi:10.1002/sim.8086).
//!
//! The analysis is the trial's primary model, `y_12 ~ intervention + y_0` by OLS, with:
//! - **CR1**: Stata's cluster-robust SE, t with G − 1 df;
//! - **CR2**: Bell–McCaffrey with Satterthwaite df (clubSandwich);
//! - **WCB**: the restricted wild cluster bootstrap (Rademacher, enumerated when 2^G ≤ B); its
//!   interval covers the truth when the bootstrap test of β = truth has p > 1 − level;
//! - **MI**: the 12-month outcome imputed by MICE (pmm, with baseline, arm and cluster indicators
//!   as predictors), CR1 fits pooled by Rubin's rules (complete-data df G − 1);
//! - **CC**: complete cases with CR1 (the same as CR1; listed to set MI against it).
//!
//! Replications are seeded from (seed, replication), so results do not depend on the number of
//! threads or the order in which replications finish.

use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use serde::Serialize;
use trialstats_core::rng::stream_seed;
use trialstats_core::table::{Align, fmt_num};
use trialstats_core::{Level, Table};
use trialstats_data::{Column, DataTable};
use trialstats_mi::{ClusterTerm, Mice};
use trialstats_models::{Se, ols};
use trialstats_robust::WildClusterBootstrap;

use crate::error::SimError;

use crate::derive::derive;
use crate::generate::simulate;
use crate::params::SimParams;

/// The analysed outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// HbA1c (%): the true effect is `arm_effect_clinical.0`.
    Hba1c,
    /// UKPDS 5-year CHD risk (proportion): the true effect is 0 when every clinical arm effect is
    /// 0 (the published null); other truths are not defined in closed form.
    Risk,
}

impl Outcome {
    fn columns(self) -> (&'static str, &'static str) {
        match self {
            Outcome::Hba1c => ("hba1c_12", "hba1c_0"),
            Outcome::Risk => ("risk_12", "risk_0"),
        }
    }
}

/// An estimator of the arm effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Estimator {
    /// OLS + CR1, t(G − 1).
    Cr1,
    /// OLS + CR2, Satterthwaite df.
    Cr2,
    /// Restricted wild cluster bootstrap.
    Wcb,
    /// Multiple imputation (pmm) + CR1, Rubin's rules.
    Mi,
    /// Complete cases + CR1.
    CompleteCase,
}

impl Estimator {
    /// Short label.
    ///
    /// # Examples
    /// ```
    /// use trialstats_sim::Estimator;
    /// assert_eq!(Estimator::Cr2.label(), "CR2, Satterthwaite");
    /// assert_eq!(Estimator::Wcb.label(), "wild cluster bootstrap");
    /// ```
    pub fn label(self) -> &'static str {
        match self {
            Estimator::Cr1 => "CR1, t(G−1)",
            Estimator::Cr2 => "CR2, Satterthwaite",
            Estimator::Wcb => "wild cluster bootstrap",
            Estimator::Mi => "MI (pmm) + CR1",
            Estimator::CompleteCase => "complete case + CR1",
        }
    }
}

/// A Monte Carlo study.
#[derive(Debug, Clone, Serialize)]
pub struct MonteCarlo {
    /// Trial parameters.
    pub params: SimParams,
    /// Replications.
    pub reps: usize,
    /// Seed of the study.
    pub seed: u64,
    /// Outcome analysed.
    pub outcome: Outcome,
    /// Estimators compared.
    pub estimators: Vec<Estimator>,
    /// Bootstrap replicates (enumeration when 2^G ≤ this).
    pub wild_reps: usize,
    /// Imputations for MI.
    pub mi_m: usize,
    /// Confidence level.
    pub level: Level,
}

/// One estimate of the arm effect from a custom analysis of a replication
/// ([`MonteCarlo::run_with`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct McEstimate {
    /// The estimate.
    pub estimate: f64,
    /// Its standard error (none for a bootstrap interval).
    pub std_error: Option<f64>,
    /// Interval at the study's level.
    pub ci_low: f64,
    /// Interval at the study's level.
    pub ci_high: f64,
    /// p-value of β = 0.
    pub p_value: f64,
}

impl McEstimate {
    /// The estimate of a coefficient row.
    pub fn from_coefficient(c: &trialstats_core::Coef) -> Self {
        Self {
            estimate: c.estimate,
            std_error: Some(c.std_error),
            ci_low: c.ci_low,
            ci_high: c.ci_high,
            p_value: c.p_value,
        }
    }
}

/// One replication's result for one estimator.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Draw {
    estimate: f64,
    se: Option<f64>,
    covers: bool,
    rejects_zero: bool,
}

/// Summary of one estimator over the replications.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// The estimator's label ([`Estimator::label`], or a custom analysis' own).
    pub estimator: String,
    /// Replications analysed.
    pub n: usize,
    /// Replications where the estimator failed (reported, not hidden).
    pub failed: usize,
    /// The true effect.
    pub truth: f64,
    /// Mean estimate − truth, and its Monte Carlo SE.
    pub bias: (f64, f64),
    /// SD of the estimates (empirical SE).
    pub empirical_se: f64,
    /// Mean reported SE (`None` for the bootstrap).
    pub mean_se: Option<f64>,
    /// Coverage of the interval, and its Monte Carlo SE.
    pub coverage: (f64, f64),
    /// Share of replications rejecting β = 0 at 1 − level, and its Monte Carlo SE (size under
    /// the null, power under an effect).
    pub rejection: (f64, f64),
}

/// The study's result.
#[derive(Debug, Clone, Serialize)]
pub struct McResult {
    /// One summary per estimator.
    pub summaries: Vec<Summary>,
    /// Number of clusters.
    pub n_clusters: usize,
    /// Replications.
    pub reps: usize,
    /// Seed.
    pub seed: u64,
    /// Outcome.
    pub outcome: Outcome,
}

impl MonteCarlo {
    /// A study of `reps` replications with every estimator and the usual settings (B = 999,
    /// m = 10, 95 %).
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::Level;
    /// use trialstats_sim::{Estimator, MonteCarlo, Outcome, SimParams};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let study = MonteCarlo::new(SimParams::default(), 100, 1, Outcome::Hba1c);
    /// assert_eq!((study.wild_reps, study.mi_m, study.level), (999, 10, Level::P95));
    /// assert_eq!(study.estimators.len(), 5);
    /// assert_eq!(study.estimators[0], Estimator::Cr1);
    /// # Ok(()) }
    /// ```
    pub fn new(params: SimParams, reps: usize, seed: u64, outcome: Outcome) -> Self {
        Self {
            params,
            reps,
            seed,
            outcome,
            estimators: vec![
                Estimator::Cr1,
                Estimator::Cr2,
                Estimator::Wcb,
                Estimator::Mi,
                Estimator::CompleteCase,
            ],
            wild_reps: 999,
            mi_m: 10,
            level: Level::P95,
        }
    }

    fn truth(&self) -> Result<f64, SimError> {
        match self.outcome {
            Outcome::Hba1c => Ok(self.params.arm_effect_clinical.0),
            Outcome::Risk => {
                let e = self.params.arm_effect_clinical;
                if e == (0.0, 0.0, 0.0, 0.0) {
                    Ok(0.0)
                } else {
                    Err(SimError::UndefinedTruth)
                }
            }
        }
    }

    /// Runs the study in parallel; `progress(done, total)` is called as replications finish.
    ///
    /// # Errors
    /// [`SimError::Parameter`] for invalid parameters; [`SimError::UndefinedTruth`];
    /// [`SimError::TooFewAnalysed`] when fewer than two replications could be analysed.
    ///
    /// # Examples
    /// ```
    /// use trialstats_sim::{Estimator, MonteCarlo, Outcome, SimParams};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // Six replications of the default trial (no effect on HbA1c), CR1 and CR2 only.
    /// let mut study = MonteCarlo::new(SimParams::default(), 6, 42, Outcome::Hba1c);
    /// study.estimators = vec![Estimator::Cr1, Estimator::Cr2];
    /// let a = study.run(None)?;
    /// assert_eq!((a.n_clusters, a.reps, a.summaries.len()), (24, 6, 2));
    /// for s in &a.summaries {
    ///     assert_eq!((s.truth, s.n + s.failed), (0.0, 6));
    ///     assert!((0.0..=1.0).contains(&s.coverage.0) && s.empirical_se > 0.0);
    /// }
    /// // Replications are seeded from (seed, replication): the same study, the same summaries.
    /// assert_eq!(study.run(None)?.summaries, a.summaries);
    /// # Ok(()) }
    /// ```
    pub fn run(
        &self,
        progress: Option<&(dyn Fn(usize, usize) + Sync)>,
    ) -> Result<McResult, SimError> {
        let labels: Vec<String> = self
            .estimators
            .iter()
            .map(|e| e.label().to_owned())
            .collect();
        let truth = self.truth()?;
        self.study(&labels, &|seed| self.replication(seed, truth), progress)
    }

    /// Runs the study with the caller's analysis of each simulated trial instead of the built-in
    /// estimators: `analysis(trial, seed)` gets the raw simulated table (the simulator's schema,
    /// as `trialstats simulate` writes it) and the replication's seed, and returns one estimate
    /// of the arm effect per label (`None` where the analysis failed, counted). The intended
    /// analysis is an analysis plan's (the `estimator_comparison` example runs the paper plan's
    /// primary analysis through `trialstats-plan`); coverage is the share of intervals holding
    /// the truth, rejection the share of p-values below 1 − level.
    ///
    /// # Errors
    /// As [`MonteCarlo::run`].
    ///
    /// # Examples
    /// ```
    /// use trialstats_sim::{McEstimate, MonteCarlo, Outcome, SimParams};
    /// use trialstats_models::ols;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let study = MonteCarlo::new(SimParams::default(), 4, 7, Outcome::Hba1c);
    /// // A naive analysis: the 12-month HbA1c on arm with model-based SEs.
    /// let naive = |trial: &trialstats_data::DataTable, _seed: u64| {
    ///     let fit = ols("hba1c_12 ~ factor(arm, ref = \"usual_care\")").fit(trial).ok();
    ///     let c = fit.as_ref().and_then(|f| f.inference().coef("factor(arm)intervention").cloned());
    ///     vec![c.map(|c| McEstimate::from_coefficient(&c))]
    /// };
    /// let r = study.run_with(&["naive OLS".to_owned()], &naive, None)?;
    /// assert_eq!((r.summaries[0].estimator.as_str(), r.summaries[0].n), ("naive OLS", 4));
    /// # Ok(()) }
    /// ```
    pub fn run_with(
        &self,
        labels: &[String],
        analysis: &(dyn Fn(&DataTable, u64) -> Vec<Option<McEstimate>> + Sync),
        progress: Option<&(dyn Fn(usize, usize) + Sync)>,
    ) -> Result<McResult, SimError> {
        let truth = self.truth()?;
        let alpha = self.level.alpha();
        let replication = |seed: u64| -> Vec<Option<Draw>> {
            let Ok(trial) = simulate(&self.params, seed) else {
                return vec![None; labels.len()];
            };
            let mut out = analysis(&trial.table, seed);
            out.resize(labels.len(), None);
            out.into_iter()
                .map(|e| {
                    e.map(|e| Draw {
                        estimate: e.estimate,
                        se: e.std_error,
                        covers: e.ci_low <= truth && truth <= e.ci_high,
                        rejects_zero: e.p_value < alpha,
                    })
                })
                .collect()
        };
        self.study(labels, &replication, progress)
    }

    /// Simulate → analyse → summarise, replications in parallel, seeded from (seed,
    /// replication).
    fn study(
        &self,
        labels: &[String],
        replication: &(dyn Fn(u64) -> Vec<Option<Draw>> + Sync),
        progress: Option<&(dyn Fn(usize, usize) + Sync)>,
    ) -> Result<McResult, SimError> {
        self.params.check()?;
        let truth = self.truth()?;
        let done = AtomicUsize::new(0);
        let draws: Vec<Vec<Option<Draw>>> = (0..self.reps)
            .into_par_iter()
            .map(|r| {
                let out = replication(stream_seed(self.seed, r as u64));
                let k = done.fetch_add(1, Ordering::Relaxed) + 1;
                if let Some(p) = progress {
                    p(k, self.reps);
                }
                out
            })
            .collect();
        let summaries: Vec<Summary> = labels
            .iter()
            .enumerate()
            .map(|(e, label)| summarise(label, truth, draws.iter().map(|d| d[e])))
            .collect();
        // Bias, SE and coverage of fewer than two analysed replications mean nothing: say so.
        if let Some(s) = summaries.iter().find(|s| s.n < 2) {
            return Err(SimError::TooFewAnalysed {
                estimator: s.estimator.clone(),
                analysed: s.n,
                reps: self.reps,
                failed: s.failed,
            });
        }
        Ok(McResult {
            summaries,
            n_clusters: 2 * self.params.regions * self.params.clusters_per_arm_per_region,
            reps: self.reps,
            seed: self.seed,
            outcome: self.outcome,
        })
    }

    fn replication(&self, seed: u64, truth: f64) -> Vec<Option<Draw>> {
        let none = vec![None; self.estimators.len()];
        let Ok(trial) = simulate(&self.params, seed) else {
            return none;
        };
        let Ok(d) = derive(&trial.table) else {
            return none;
        };
        let (y12, y0) = self.outcome.columns();
        let Ok(table) = analysis_table(&d.table, y12, y0) else {
            return none;
        };
        let level = self.level;
        let alpha = level.alpha();
        let model = ols("y12 ~ intervention + y0")
            .cluster("cluster")
            .level(level);
        let cc = model.fit(&table);
        self.estimators
            .iter()
            .map(|e| {
                let fit = cc.as_ref().ok()?;
                let from_inf = |inf: &trialstats_core::Inference| -> Option<Draw> {
                    let c = inf.coef("intervention")?;
                    Some(Draw {
                        estimate: c.estimate,
                        se: Some(c.std_error),
                        covers: c.ci_low <= truth && truth <= c.ci_high,
                        rejects_zero: c.p_value < alpha,
                    })
                };
                match e {
                    Estimator::Cr1 | Estimator::CompleteCase => from_inf(fit.inference()),
                    Estimator::Cr2 => from_inf(&fit.infer(Se::CR2, level).ok()?),
                    Estimator::Wcb => {
                        let boot = |null: f64| {
                            let spec = WildClusterBootstrap {
                                reps: self.wild_reps,
                                seed,
                                null,
                                level: None,
                                ..WildClusterBootstrap::default()
                            };
                            fit.wild_bootstrap("intervention", &spec, None)
                        };
                        let at_truth = boot(truth).ok()?;
                        let at_zero = if truth == 0.0 {
                            at_truth.clone()
                        } else {
                            boot(0.0).ok()?
                        };
                        Some(Draw {
                            estimate: at_truth.estimate,
                            se: None,
                            covers: at_truth.p_value > alpha,
                            rejects_zero: at_zero.p_value < alpha,
                        })
                    }
                    Estimator::Mi => {
                        let imp = Mice::new(&table)
                            .ok()?
                            .cluster("cluster", ClusterTerm::Indicators)
                            .ok()?
                            .m(self.mi_m)
                            .maxit(5)
                            .seed(seed)
                            .run(None)
                            .ok()?;
                        // Rubin's complete-data df: G − 1, those of the CR1 fits.
                        let pooled = model.pool(&imp).ok()?;
                        let t = pooled.terms.iter().find(|t| t.term == "intervention")?;
                        Some(Draw {
                            estimate: t.estimate,
                            se: Some(t.std_error),
                            covers: t.ci_low <= truth && truth <= t.ci_high,
                            rejects_zero: t.p_value < alpha,
                        })
                    }
                }
            })
            .collect()
    }
}

/// The analysis data: y12, y0, intervention, cluster.
fn analysis_table(d: &DataTable, y12: &str, y0: &str) -> Result<DataTable, SimError> {
    let get = |c: &str| d.numeric(c).map(<[_]>::to_vec);
    Ok(DataTable::new(
        "analysis",
        vec![
            Column::numeric("y12", get(y12)?),
            Column::numeric("y0", get(y0)?),
            Column::numeric("intervention", get("intervention")?),
            Column::numeric("cluster", get("cluster")?),
        ],
    )?)
}

fn summarise(estimator: &str, truth: f64, draws: impl Iterator<Item = Option<Draw>>) -> Summary {
    let all: Vec<Option<Draw>> = draws.collect();
    let ok: Vec<Draw> = all.iter().flatten().copied().collect();
    let n = ok.len();
    let nf = n.max(1) as f64;
    let mean = ok.iter().map(|d| d.estimate).sum::<f64>() / nf;
    let sd =
        (ok.iter().map(|d| (d.estimate - mean).powi(2)).sum::<f64>() / (nf - 1.0).max(1.0)).sqrt();
    let share = |f: &dyn Fn(&Draw) -> bool| {
        let p = ok.iter().filter(|d| f(d)).count() as f64 / nf;
        (p, (p * (1.0 - p) / nf).sqrt())
    };
    let ses: Vec<f64> = ok.iter().filter_map(|d| d.se).collect();
    Summary {
        estimator: estimator.to_owned(),
        n,
        failed: all.len() - n,
        truth,
        bias: (mean - truth, sd / nf.sqrt()),
        empirical_se: sd,
        mean_se: (!ses.is_empty()).then(|| ses.iter().sum::<f64>() / ses.len() as f64),
        coverage: share(&|d| d.covers),
        rejection: share(&|d| d.rejects_zero),
    }
}

/// The result as a table.
///
/// # Examples
/// ```
/// use trialstats_sim::{Estimator, MonteCarlo, Outcome, SimParams, result_table};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut study = MonteCarlo::new(SimParams::default(), 3, 1, Outcome::Hba1c);
/// study.estimators = vec![Estimator::Cr1];
/// let t = result_table(&study.run(None)?);
/// assert_eq!(t.header[..3], ["G", "estimator", "bias (MCSE)"]);
/// assert_eq!(t.rows.len(), 1);
/// assert_eq!(t.rows[0][..2], ["24", "CR1, t(G−1)"]);
/// # Ok(()) }
/// ```
pub fn result_table(r: &McResult) -> Table {
    let mut t = Table::new(&[
        "G",
        "estimator",
        "bias (MCSE)",
        "emp. SE",
        "mean SE",
        "coverage (MCSE)",
        "rejects β=0 (MCSE)",
        "failed",
    ]);
    t.set_align(1, Align::Left);
    for s in &r.summaries {
        t.push_row(vec![
            r.n_clusters.to_string(),
            s.estimator.clone(),
            format!("{} ({})", fmt_num(s.bias.0, 3), fmt_num(s.bias.1, 2)),
            fmt_num(s.empirical_se, 3),
            s.mean_se.map_or_else(|| "—".into(), |v| fmt_num(v, 3)),
            format!("{:.3} ({:.3})", s.coverage.0, s.coverage.1),
            format!("{:.3} ({:.3})", s.rejection.0, s.rejection.1),
            s.failed.to_string(),
        ]);
    }
    t
}
