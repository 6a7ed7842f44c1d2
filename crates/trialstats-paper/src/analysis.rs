//! The analysis plan of the paper (Methods, "Data analysis"), run on a table in the trial schema.

use serde::Serialize;
use trialstats_core::table::{Align, fmt_num, fmt_p, num_cell};
use trialstats_core::{Clusters, Level, Table};
use trialstats_data::{Column, DataError, DataTable};
use trialstats_mi::{ClusterTerm, Method, Mice};
use trialstats_models::{Fit, Fitted, Se, clmm, logit, ols};
use trialstats_ordinal::Quadrature;
use trialstats_robust::WildClusterBootstrap;
use trialstats_sim::schema::{self, ARM_INTERVENTION, ARM_USUAL_CARE};
use trialstats_sim::{RowProblem, derive};
use trialstats_twosample::{
    Categorical, Continuity, Continuous, Exact, Table1Variable, table1, wilcox_test,
};

use crate::targets::TARGETS;
use crate::{AnalysisError, PaperError};

/// The warning of a report made without the licensed MMAS-8 scoring rule.
const MMAS8_NOT_SCORED: &str = "MMAS-8 is not scored: its scoring rule is licensed, and this build does not enable the `mmas8` feature; the MMAS-8 rows of Table 1, the secondary outcomes and the targets are omitted.";

/// Settings of the pipeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Options {
    /// Confidence level. Default 0.95.
    pub level: Level,
    /// Wild cluster bootstrap replicates. Default 9999.
    pub wild_reps: usize,
    /// Imputations for the sensitivity analysis. Default 20.
    pub mi_m: usize,
    /// MICE iterations. Default 10.
    pub mi_maxit: usize,
    /// Seed of the bootstrap and the imputations (recorded). Default 2016.
    pub seed: u64,
    /// Adaptive quadrature nodes of the multilevel ordered logit (Stata `meologit`'s default 7).
    pub agq_nodes: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            level: Level::P95,
            wild_reps: 9_999,
            mi_m: 20,
            mi_maxit: 10,
            seed: 2016,
            agq_nodes: 7,
        }
    }
}

/// Participant flow by arm (index 0 usual care, 1 intervention).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flow {
    /// Communities randomised.
    pub clusters: [usize; 2],
    /// Participants at baseline.
    pub randomised: [usize; 2],
    /// With the primary outcome at 12 months.
    pub analysed: [usize; 2],
    /// Without it.
    pub missing: [usize; 2],
}

/// The scale of an effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    /// Intervention − usual care, in the outcome's unit.
    Difference,
    /// Odds ratio, intervention v. usual care.
    OddsRatio,
}

/// One adjusted effect of the intervention.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Effect {
    /// Key (for targets and figures).
    pub key: String,
    /// Outcome, as printed.
    pub outcome: String,
    /// The model, as printed.
    pub model: String,
    /// Scale.
    pub scale: Scale,
    /// Estimate.
    pub estimate: f64,
    /// Interval.
    pub ci_low: f64,
    /// Interval.
    pub ci_high: f64,
    /// p-value.
    pub p_value: f64,
    /// Participants analysed.
    pub n: usize,
    /// Clusters analysed.
    pub clusters: usize,
    /// SD of the outcome at baseline (to standardise differences in the forest plot).
    pub baseline_sd: Option<f64>,
}

/// A published number next to the reproduced one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetRow {
    /// What it is.
    pub quantity: String,
    /// As published.
    pub published: String,
    /// Reproduced (`None`: could not be computed).
    pub reproduced: Option<f64>,
    /// Source.
    pub source: String,
}

/// Everything the pipeline computes.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The data's name.
    pub source: String,
    /// Settings.
    pub options: Options,
    /// Participant flow.
    pub flow: Flow,
    /// Table 1: baseline characteristics by arm with the paper's tests.
    pub table1: Table,
    /// Table 2: UKPDS 5-year risk by arm, time and sex.
    pub table2: Table,
    /// The primary effect under each inference (CR1, CR2, wild bootstrap, MI).
    pub primary: Table,
    /// Table 3: biochemical and anthropometric outcomes with adjusted differences.
    pub table3: Table,
    /// Secondary outcomes.
    pub secondary: Table,
    /// Every effect, for figures and JSON.
    pub effects: Vec<Effect>,
    /// Published v. reproduced.
    pub targets: Vec<TargetRow>,
    /// Values that could not be derived (row, variable, message), kept out of that analysis only.
    pub problems: Vec<RowProblem>,
    /// Warnings (small clusters, dropped categories, non-convergence).
    pub warnings: Vec<String>,
}

struct Data {
    d: DataTable,
    arm: Vec<Option<f64>>,
}

impl Data {
    fn num(&self, c: &str) -> Result<&[Option<f64>], PaperError> {
        Ok(self.d.numeric(c)?)
    }

    /// Values of `c` in arm `a` (0 usual care, 1 intervention), missing dropped.
    fn arm_values(&self, c: &str, a: usize) -> Result<Vec<f64>, PaperError> {
        let v = self.num(c)?;
        Ok(v.iter()
            .zip(&self.arm)
            .filter(|(_, g)| **g == Some(a as f64))
            .filter_map(|(x, _)| *x)
            .collect())
    }
}

/// Mean and SD, safe from overflow (core::stats); NaN for no values (callers check the count).
fn mean_sd(v: &[f64]) -> (f64, f64) {
    trialstats_core::stats::mean_sd(v).unwrap_or((f64::NAN, f64::NAN))
}

fn cell_mean_sd(v: &[f64], scale: f64, dp: usize) -> String {
    if v.len() < 2 {
        return format!("– (n = {})", v.len());
    }
    let (m, s) = mean_sd(v);
    format!("{:.dp$} ({:.dp$}); {}", m * scale, s * scale, v.len())
}

/// n, mean and SD (times `scale`) as numeric cells; mean and SD empty below two values.
fn numeric_mean_sd(v: &[f64], scale: f64) -> [String; 3] {
    let (m, s) = if v.len() < 2 {
        (f64::NAN, f64::NAN)
    } else {
        mean_sd(v)
    };
    [
        num_cell(v.len() as f64),
        num_cell(m * scale),
        num_cell(s * scale),
    ]
}

impl Scale {
    /// The name in numeric tables: `difference` or `odds_ratio`.
    pub fn name(self) -> &'static str {
        match self {
            Scale::Difference => "difference",
            Scale::OddsRatio => "odds_ratio",
        }
    }
}

impl Effect {
    /// The columns of [`Effect::numeric_row`].
    pub const NUMERIC_HEADER: [&'static str; 10] = [
        "key", "outcome", "model", "scale", "estimate", "ci_low", "ci_high", "p", "n", "clusters",
    ];

    /// The effect as a numeric table row (full precision; see [`Effect::NUMERIC_HEADER`]).
    pub fn numeric_row(&self) -> Vec<String> {
        let mut row = vec![
            self.key.clone(),
            self.outcome.clone(),
            self.model.clone(),
            self.scale.name().to_owned(),
        ];
        row.extend(
            [
                self.estimate,
                self.ci_low,
                self.ci_high,
                self.p_value,
                self.n as f64,
                self.clusters as f64,
            ]
            .map(num_cell),
        );
        row
    }

    /// A numeric table of effects, one row each.
    pub fn numeric_table<'a>(effects: impl IntoIterator<Item = &'a Effect>) -> Table {
        let mut t = Table::new(&Self::NUMERIC_HEADER);
        for e in effects {
            t.push_row(e.numeric_row());
        }
        t
    }
}

/// Checks the input and derives the analysis variables.
fn prepare(table: &DataTable) -> Result<(Data, Vec<RowProblem>, Vec<String>), PaperError> {
    schema::check(table).map_err(|missing| PaperError::MissingColumns {
        data: table.source().to_string(),
        missing,
    })?;
    let arm_col = table.column("arm")?;
    for i in 0..table.nrows() {
        match arm_col.data.text(i) {
            Some(a) if a == ARM_USUAL_CARE || a == ARM_INTERVENTION => {}
            other => {
                return Err(PaperError::BadValue {
                    data: table.source().to_string(),
                    row: i + 1,
                    column: "arm".into(),
                    value: other.unwrap_or_else(|| "(missing)".into()),
                    expected: format!("`{ARM_USUAL_CARE}` or `{ARM_INTERVENTION}`"),
                });
            }
        }
    }
    let clusters = table.numeric("cluster")?;
    if let Some(row) = clusters.iter().position(Option::is_none) {
        return Err(PaperError::BadValue {
            data: table.source().to_string(),
            row: row + 1,
            column: "cluster".into(),
            value: "(missing)".into(),
            expected: "a community id".into(),
        });
    }
    let mut warnings = Vec::new();
    let ids: Vec<f64> = clusters.iter().flatten().copied().collect();
    let communities = Clusters::from_numbers("cluster", &ids).map_err(DataError::from)?;
    let rank = communities.label_ranks();
    let mut singletons: Vec<usize> = (0..communities.n_clusters())
        .filter(|&c| communities.sizes()[c] == 1)
        .collect();
    singletons.sort_by_key(|&c| rank[c]);
    for c in singletons {
        warnings.push(format!(
            "community {} has one participant: it contributes no within-community information, and the leverage-adjusted CR2 may be unstable",
            communities.labels()[c]
        ));
    }
    let derived = derive(table)?;
    let arm = derived.table.numeric("intervention")?.to_vec();
    Ok((
        Data {
            d: derived.table,
            arm,
        },
        derived.problems,
        warnings,
    ))
}

/// The arm's coefficient row of a fit.
fn arm_effect(fit: &Fit) -> Result<&trialstats_core::Coef, AnalysisError> {
    fit.coef("intervention")
        .ok_or_else(|| AnalysisError::MissingTerm {
            term: "intervention".into(),
        })
}

/// `y12 ~ intervention + y0` by OLS with `se` (clustered by community).
fn linear(
    data: &Data,
    key: &str,
    outcome: &str,
    y: &str,
    se: Se,
    level: Level,
) -> Result<Effect, AnalysisError> {
    let fit = ols(&format!("{y}_12 ~ intervention + {y}_0"))
        .cluster("cluster")
        .se(se)
        .level(level)
        .fit(&data.d)?;
    let c = arm_effect(&fit)?;
    let base: Vec<f64> = data
        .d
        .numeric(&format!("{y}_0"))?
        .iter()
        .flatten()
        .copied()
        .collect();
    Ok(Effect {
        key: key.into(),
        outcome: outcome.into(),
        model: if se == Se::CR2 {
            "linear, CR2 (Satterthwaite df)".into()
        } else {
            "linear, CR1 (t, G − 1)".into()
        },
        scale: Scale::Difference,
        estimate: c.estimate,
        ci_low: c.ci_low,
        ci_high: c.ci_high,
        p_value: c.p_value,
        n: fit.nobs(),
        clusters: fit.inference().n_clusters.unwrap_or(0),
        baseline_sd: (base.len() > 1).then(|| mean_sd(&base).1),
    })
}

/// `y12 ~ intervention + y0` by logistic regression with CR1 (G/(G − 1), z).
fn logistic(
    data: &Data,
    key: &str,
    outcome: &str,
    y: &str,
    level: Level,
) -> Result<Effect, AnalysisError> {
    let fit = logit(&format!("{y}_12 ~ intervention + {y}_0"))
        .cluster("cluster")
        .level(level)
        .fit(&data.d)?;
    let c = arm_effect(&fit)?;
    Ok(Effect {
        key: key.into(),
        outcome: outcome.into(),
        model: "logistic, CR1 (z)".into(),
        scale: Scale::OddsRatio,
        estimate: c.estimate.exp(),
        ci_low: c.ci_low.exp(),
        ci_high: c.ci_high.exp(),
        p_value: c.p_value,
        n: fit.nobs(),
        clusters: fit.inference().n_clusters.unwrap_or(0),
        baseline_sd: None,
    })
}

/// Change in an ordered category (12 months − baseline) by a multilevel ordered logit with a
/// random intercept per community (Stata `meologit`), adaptive quadrature.
fn ordered_change(
    data: &Data,
    key: &str,
    outcome: &str,
    y: &str,
    opts: &Options,
    warnings: &mut Vec<String>,
) -> Result<Effect, AnalysisError> {
    let (c0, c12) = (
        data.d.numeric(&format!("{y}_0"))?,
        data.d.numeric(&format!("{y}_12"))?,
    );
    let change: Vec<Option<f64>> = c0
        .iter()
        .zip(c12)
        .map(|(a, b)| Some(b.as_ref()? - a.as_ref()?))
        .collect();
    let t = DataTable::new(
        "change",
        vec![
            Column::numeric("change", change),
            Column::numeric("intervention", data.arm.clone()),
            Column::numeric("cluster", data.d.numeric("cluster")?.to_vec()),
        ],
    )?;
    let fit = clmm("change ~ intervention", "cluster")
        .quadrature(Quadrature::Adaptive {
            nodes: opts.agq_nodes,
        })
        .level(opts.level)
        .fit(&t)?;
    if fit
        .inference()
        .convergence
        .as_ref()
        .is_some_and(|c| !c.converged())
    {
        warnings.push(format!(
            "{outcome}: the multilevel ordered logit did not converge"
        ));
    }
    let sigma = match fit.fitted() {
        Fitted::Clmm(m) => m.sigma(),
        _ => f64::NAN,
    };
    let c = arm_effect(&fit)?;
    Ok(Effect {
        key: key.into(),
        outcome: outcome.into(),
        model: format!(
            "multilevel ordered logit of the change, random intercept per community (AGQ {}), σ = {:.3}",
            opts.agq_nodes, sigma
        ),
        scale: Scale::OddsRatio,
        estimate: c.estimate.exp(),
        ci_low: c.ci_low.exp(),
        ci_high: c.ci_high.exp(),
        p_value: c.p_value,
        n: fit.nobs(),
        clusters: fit.inference().n_clusters.unwrap_or(0),
        baseline_sd: None,
    })
}

/// Steps of [`analyse`]'s progress report.
const STEPS: usize = 7;

/// The arms in numeric tables, by arm code.
const ARM_NAMES: [&str; 2] = ["usual care", "intervention"];

/// Runs the whole analysis plan.
///
/// # Errors
/// [`PaperError`] for a table that is not in the schema, an arm label that is neither arm, a
/// missing community id, or a primary model that cannot be fitted.
pub fn analyse(
    table: &DataTable,
    opts: &Options,
    progress: &mut dyn FnMut(&str, usize, usize),
) -> Result<Report, PaperError> {
    progress("checking and deriving", 0, STEPS);
    let (data, problems, mut warnings) = prepare(table)?;
    let flow = participant_flow(&data)?;
    progress("Table 1", 1, STEPS);
    let table1 = table_one(&data, &mut warnings)?;
    progress("Table 2 and the primary analysis", 2, STEPS);
    let table2 = table_two(&data)?;
    let (primary, primary_cr1, mi) = primary_analysis(&data, opts, &mut warnings, progress)?;
    let mut effects = vec![primary_cr1];
    progress("Table 3", 4, STEPS);
    let table3 = table_three(&data, opts.level, &mut effects, &mut warnings)?;
    progress("secondary outcomes", 5, STEPS);
    let secondary = secondary_outcomes(&data, opts, &mut effects, &mut warnings);
    // --- Targets ---
    progress("published v. reproduced", 6, STEPS);
    let targets = reproduce_targets(&data, &flow, &effects, mi.as_ref().ok())?;
    progress("done", STEPS, STEPS);
    Ok(Report {
        source: table.source().to_string(),
        options: opts.clone(),
        flow,
        table1,
        table2,
        primary,
        table3,
        secondary,
        effects,
        targets,
        problems,
        warnings,
    })
}

/// The participant flow by arm: communities, participants, and those with the primary outcome.
fn participant_flow(data: &Data) -> Result<Flow, PaperError> {
    let n = data.d.nrows();
    let cluster = data.num("cluster")?.to_vec();
    let risk12 = data.num("risk_12")?.to_vec();
    let mut flow = Flow {
        clusters: [0; 2],
        randomised: [0; 2],
        analysed: [0; 2],
        missing: [0; 2],
    };
    for a in 0..2 {
        let ids: Vec<f64> = (0..n)
            .filter(|&i| data.arm[i] == Some(a as f64))
            .filter_map(|i| cluster[i])
            .collect();
        flow.clusters[a] = if ids.is_empty() {
            0
        } else {
            Clusters::from_numbers("cluster", &ids)
                .map_err(DataError::from)?
                .n_clusters()
        };
        flow.randomised[a] = data.arm.iter().filter(|g| **g == Some(a as f64)).count();
        flow.analysed[a] = (0..n)
            .filter(|&i| data.arm[i] == Some(a as f64) && risk12[i].is_some())
            .count();
        flow.missing[a] = flow.randomised[a] - flow.analysed[a];
    }
    Ok(flow)
}

/// Table 1: baseline characteristics by arm with the paper's tests.
fn table_one(data: &Data, warnings: &mut Vec<String>) -> Result<Table, PaperError> {
    let group: Vec<Option<usize>> = data.arm.iter().map(|a| a.map(|a| a as usize)).collect();
    let binary = |c: &str| -> Result<Vec<Option<usize>>, PaperError> {
        Ok(data.num(c)?.iter().map(|v| v.map(|v| v as usize)).collect())
    };
    let yes_no = vec!["no".to_string(), "yes".to_string()];
    let sex_levels = vec!["male".to_string(), "female".to_string()];
    let pct = |c: &str| -> Result<Vec<Option<f64>>, PaperError> {
        Ok(data.num(c)?.iter().map(|v| v.map(|v| 100.0 * v)).collect())
    };
    let (female, smoker, gt8, ge85) = (
        binary("female")?,
        binary("smoker_0")?,
        binary("hba1c_gt8_0")?,
        binary("hba1c_ge85_0")?,
    );
    let risk0_pct = pct("risk_0")?;
    let cont = |name: &'static str,
                col: &str,
                kind: Continuous|
     -> Result<(&'static str, Vec<Option<f64>>, Continuous), PaperError> {
        Ok((name, data.num(col)?.to_vec(), kind))
    };
    let student = Continuous::MeanSdStudent;
    let wilcoxon = Continuous::MedianIqrWilcoxon;
    let conts = vec![
        cont("age (years)", "age", student)?,
        cont("duration of diabetes (years)", "duration", wilcoxon)?,
        cont("HbA1c (%)", "hba1c_0", student)?,
        cont("systolic BP (mmHg)", "sbp_0", student)?,
        cont("diastolic BP (mmHg)", "dbp_0", student)?,
        cont("total cholesterol (mmol/L)", "tc_0", student)?,
        cont("HDL cholesterol (mmol/L)", "hdl_0", student)?,
        cont("LDL cholesterol (mmol/L)", "ldl_0", student)?,
        cont("TC/HDL ratio", "tc_hdl_0", student)?,
        cont("triglycerides (mmol/L)", "tg_0", wilcoxon)?,
        cont("weight (kg)", "weight_0", student)?,
        cont("BMI (kg/m²)", "bmi_0", student)?,
        cont("waist (cm)", "waist_0", student)?,
        cont("PHQ-9 total", "phq9_total_0", wilcoxon)?,
        cont("DDS-4 mean", "dds4_0", student)?,
        cont("EQ-5D-3L index (Australian)", "eq5d_0", student)?,
    ];
    // MMAS-8 is scored only with the licensed `mmas8` feature; without it the row is omitted and
    // a warning says why.
    let mut conts = conts;
    if data.d.column("mmas8_score_0").is_ok() {
        conts.push(cont("MMAS-8 score", "mmas8_score_0", wilcoxon)?);
    } else {
        warnings.push(MMAS8_NOT_SCORED.into());
    }
    let mut vars: Vec<Table1Variable<'_>> = vec![Table1Variable::Categorical {
        name: "sex",
        codes: &female,
        levels: &sex_levels,
        test: Categorical::ChiSquare(Continuity::Corrected),
    }];
    vars.push(Table1Variable::Categorical {
        name: "current smoker",
        codes: &smoker,
        levels: &yes_no,
        test: Categorical::ChiSquare(Continuity::Corrected),
    });
    vars.push(Table1Variable::Categorical {
        name: "HbA1c > 8 %",
        codes: &gt8,
        levels: &yes_no,
        test: Categorical::ChiSquare(Continuity::Corrected),
    });
    vars.push(Table1Variable::Categorical {
        name: "HbA1c ≥ 8.5 %",
        codes: &ge85,
        levels: &yes_no,
        test: Categorical::ChiSquare(Continuity::Corrected),
    });
    for (name, values, kind) in &conts {
        vars.push(Table1Variable::Continuous {
            name,
            values,
            kind: *kind,
        });
    }
    vars.push(Table1Variable::Continuous {
        name: "UKPDS 5-year CHD risk (%)",
        values: &risk0_pct,
        kind: student,
    });
    let (mut table1, _) = table1(&group, &["usual care", "intervention"], &vars)
        .map_err(|e| AnalysisError::from(e).context("Table 1"))?;
    table1.title = Some("Table 1. Baseline characteristics by arm: mean (SD), median [IQR] or n (%), with the paper's tests".into());
    Ok(table1)
}

/// Table 2: UKPDS 5-year risk by arm, time and sex.
fn table_two(data: &Data) -> Result<Table, PaperError> {
    let n = data.d.nrows();
    let mut table2 = Table::new(&[
        "group",
        "usual care, baseline",
        "usual care, 12 months",
        "intervention, baseline",
        "intervention, 12 months",
    ]);
    table2.set_align(0, Align::Left);
    let female_num = data.num("female")?.to_vec();
    let mut numeric = Table::new(&["group", "arm", "time", "n", "mean", "sd"]);
    for (label, sex) in [("all", None), ("men", Some(0.0)), ("women", Some(1.0))] {
        let mut row = vec![label.to_string()];
        for (a, arm) in ARM_NAMES.iter().enumerate() {
            for (t, time) in [("risk_0", "baseline"), ("risk_12", "12 months")] {
                let v = data.num(t)?;
                let vals: Vec<f64> = (0..n)
                    .filter(|&i| {
                        data.arm[i] == Some(a as f64)
                            && sex.is_none_or(|s| female_num[i] == Some(s))
                    })
                    .filter_map(|i| v[i])
                    .collect();
                row.push(cell_mean_sd(&vals, 100.0, 1));
                let mut nrow = vec![label.to_string(), arm.to_string(), time.into()];
                nrow.extend(numeric_mean_sd(&vals, 100.0));
                numeric.push_row(nrow);
            }
        }
        table2.push_row(row);
    }
    table2.numeric = Some(Box::new(numeric));
    table2.title = Some("Table 2. UKPDS 5-year CHD risk (%): mean (SD); n".into());
    table2.notes.push("UKPDS 56 (Stevens et al. 2001) from age at diagnosis, duration, sex, ethnicity, smoking, HbA1c, SBP and TC/HDL; at 12 months one year older and one year longer since diagnosis.".into());
    Ok(table2)
}

/// The primary effect under CR1 (the paper's analysis), CR2, the wild cluster bootstrap and
/// multiple imputation: the table, the CR1 effect, and the MI effect (or why it failed).
fn primary_analysis(
    data: &Data,
    opts: &Options,
    warnings: &mut Vec<String>,
    progress: &mut dyn FnMut(&str, usize, usize),
) -> Result<(Table, Effect, Result<Effect, AnalysisError>), PaperError> {
    let level = opts.level;
    let primary_cr1 = linear(
        data,
        "risk_diff",
        "UKPDS 5-year risk (proportion)",
        "risk",
        Se::CR1,
        level,
    )
    .map_err(|e| e.context("primary analysis"))?;
    let primary_cr2 = linear(
        data,
        "risk_diff_cr2",
        "UKPDS 5-year risk (proportion)",
        "risk",
        Se::CR2,
        level,
    )
    .map_err(|e| e.context("primary analysis (CR2)"))?;
    let mut primary = Table::new(&[
        "inference",
        "difference",
        &format!("{:.0} % CI", 100.0 * level.value()),
        "p",
        "n",
        "communities",
    ]);
    primary.set_align(0, Align::Left);
    let mut numeric = Table::new(&[
        "inference",
        "estimate",
        "ci_low",
        "ci_high",
        "p",
        "n",
        "clusters",
    ]);
    let numeric_row = |label: &str, cells: [f64; 6]| {
        let mut row = vec![label.to_owned()];
        row.extend(cells.map(num_cell));
        row
    };
    let push = |t: &mut Table, numeric: &mut Table, label: &str, e: &Effect| {
        numeric.push_row(numeric_row(
            label,
            [
                e.estimate,
                e.ci_low,
                e.ci_high,
                e.p_value,
                e.n as f64,
                e.clusters as f64,
            ],
        ));
        t.push_row(vec![
            label.into(),
            fmt_num(e.estimate, 4),
            format!("{} to {}", fmt_num(e.ci_low, 4), fmt_num(e.ci_high, 4)),
            fmt_p(e.p_value),
            e.n.to_string(),
            e.clusters.to_string(),
        ]);
    };
    push(
        &mut primary,
        &mut numeric,
        "CR1, t(G − 1) — the paper's analysis (Stata vce(cluster))",
        &primary_cr1,
    );
    push(
        &mut primary,
        &mut numeric,
        "CR2, Satterthwaite df (clubSandwich)",
        &primary_cr2,
    );
    // Wild cluster bootstrap: p and interval by test inversion.
    let boot_fit = ols("risk_12 ~ intervention + risk_0")
        .cluster("cluster")
        .level(level)
        .fit(&data.d)
        .map_err(|e| AnalysisError::from(e).context("wild cluster bootstrap"))?;
    let boot = boot_fit
        .wild_bootstrap(
            "intervention",
            &WildClusterBootstrap {
                reps: opts.wild_reps,
                seed: opts.seed,
                level: Some(level),
                ..WildClusterBootstrap::default()
            },
            None,
        )
        .map_err(|e| AnalysisError::from(e).context("wild cluster bootstrap"))?;
    let (blo, bhi) = boot.ci.unwrap_or((f64::NAN, f64::NAN));
    let boot_label = format!(
        "wild cluster bootstrap (WCR, Rademacher, {} draws{})",
        boot.reps,
        if boot.enumerated { ", enumerated" } else { "" }
    );
    let boot_clusters = boot_fit.inference().n_clusters.unwrap_or(0);
    numeric.push_row(numeric_row(
        &boot_label,
        [
            boot.estimate,
            blo,
            bhi,
            boot.p_value,
            boot_fit.nobs() as f64,
            boot_clusters as f64,
        ],
    ));
    primary.push_row(vec![
        boot_label,
        fmt_num(boot.estimate, 4),
        format!("{} to {}", fmt_num(blo, 4), fmt_num(bhi, 4)),
        fmt_p(boot.p_value),
        boot_fit.nobs().to_string(),
        boot_clusters.to_string(),
    ]);
    // Multiple imputation of the 12-month risk (sensitivity analysis).
    progress("multiple imputation", 3, STEPS);
    let mi = mi_primary(data, opts);
    match &mi {
        Ok(e) => push(
            &mut primary,
            &mut numeric,
            &format!(
                "multiple imputation (pmm, m = {}, seed {}), CR1, Rubin's rules",
                opts.mi_m, opts.seed
            ),
            e,
        ),
        Err(e) => warnings.push(format!("multiple imputation failed: {e}")),
    }
    primary.numeric = Some(Box::new(numeric));
    primary.title = Some("Primary outcome: difference in 12-month UKPDS risk (intervention − usual care), adjusted for baseline risk".into());
    Ok((primary, primary_cr1, mi))
}

/// Table 3: biochemical and anthropometric measures with the adjusted differences (CR1).
fn table_three(
    data: &Data,
    level: Level,
    effects: &mut Vec<Effect>,
    warnings: &mut Vec<String>,
) -> Result<Table, PaperError> {
    let mut table3 = Table::new(&[
        "outcome",
        "usual care, baseline",
        "usual care, 12 months",
        "intervention, baseline",
        "intervention, 12 months",
        "adjusted difference (95 % CI)",
        "p",
    ]);
    table3.set_align(0, Align::Left);
    let mut numeric = Table::new(&[
        "outcome", "arm", "time", "n", "mean", "sd", "estimate", "ci_low", "ci_high", "p",
    ]);
    for (y, label, dp) in [
        ("hba1c", "HbA1c (%)", 2),
        ("tc", "total cholesterol (mmol/L)", 2),
        ("hdl", "HDL cholesterol (mmol/L)", 2),
        ("ldl", "LDL cholesterol (mmol/L)", 2),
        ("tc_hdl", "TC/HDL ratio", 2),
        ("tg", "triglycerides (mmol/L)", 2),
        ("sbp", "systolic BP (mmHg)", 1),
        ("dbp", "diastolic BP (mmHg)", 1),
        ("weight", "weight (kg)", 1),
        ("bmi", "BMI (kg/m²)", 1),
        ("waist", "waist (cm)", 1),
    ] {
        let mut row = vec![label.to_string()];
        for (a, arm) in ARM_NAMES.iter().enumerate() {
            for (t, time) in [("0", "baseline"), ("12", "12 months")] {
                let values = data.arm_values(&format!("{y}_{t}"), a)?;
                row.push(cell_mean_sd(&values, 1.0, dp));
                let mut nrow = vec![label.to_string(), arm.to_string(), time.into()];
                nrow.extend(numeric_mean_sd(&values, 1.0));
                nrow.extend((0..4).map(|_| String::new()));
                numeric.push_row(nrow);
            }
        }
        match linear(data, y, label, y, Se::CR1, level) {
            Ok(e) => {
                let mut nrow = vec![
                    label.to_string(),
                    "intervention − usual care".into(),
                    "12 months, adjusted for baseline".into(),
                    num_cell(e.n as f64),
                    String::new(),
                    String::new(),
                ];
                nrow.extend([e.estimate, e.ci_low, e.ci_high, e.p_value].map(num_cell));
                numeric.push_row(nrow);
                row.push(format!(
                    "{} ({} to {})",
                    fmt_num(e.estimate, 3),
                    fmt_num(e.ci_low, 3),
                    fmt_num(e.ci_high, 3)
                ));
                row.push(fmt_p(e.p_value));
                effects.push(e);
            }
            Err(e) => {
                warnings.push(format!("{label}: {e}"));
                row.extend([String::new(), String::new()]);
            }
        }
        table3.push_row(row);
    }
    table3.numeric = Some(Box::new(numeric));
    table3.title = Some("Table 3. Biochemical and anthropometric measures: mean (SD); n, and the difference at 12 months adjusted for baseline (linear regression, CR1)".into());
    Ok(table3)
}

/// The secondary outcomes; an outcome that cannot be analysed becomes a warning.
fn secondary_outcomes(
    data: &Data,
    opts: &Options,
    effects: &mut Vec<Effect>,
    warnings: &mut Vec<String>,
) -> Table {
    let level = opts.level;
    let mut secondary_effects = Vec::new();
    let mut run = |r: Result<Effect, AnalysisError>, what: &str, warnings: &mut Vec<String>| match r
    {
        Ok(e) => secondary_effects.push(e),
        Err(e) => warnings.push(format!("{what}: {e}")),
    };
    run(
        logistic(
            data,
            "hba1c_gt8_p",
            "HbA1c > 8 % at 12 months",
            "hba1c_gt8",
            level,
        ),
        "HbA1c > 8 %",
        warnings,
    );
    run(
        logistic(
            data,
            "hba1c_ge85_p",
            "HbA1c ≥ 8.5 % at 12 months",
            "hba1c_ge85",
            level,
        ),
        "HbA1c ≥ 8.5 %",
        warnings,
    );
    if data.d.column("mmas8_cat_0").is_ok() {
        let r = ordered_change(
            data,
            "mmas8_or",
            "MMAS-8 category change (higher = more adherent)",
            "mmas8_cat",
            opts,
            warnings,
        );
        run(r, "MMAS-8", warnings);
    }
    let r = ordered_change(
        data,
        "phq9_or",
        "PHQ-9 category change (higher = more depressed)",
        "phq9_cat",
        opts,
        warnings,
    );
    run(r, "PHQ-9", warnings);
    for (key, label, y) in [
        ("eq5d_p", "EQ-5D-3L index (Australian value set)", "eq5d"),
        ("dds4_p", "DDS-4 mean item score", "dds4"),
        (
            "fv_p",
            "days with > 5 serves of fruit and vegetables",
            "fv_days",
        ),
        (
            "exercise_p",
            "days with a specific exercise session",
            "exercise_days",
        ),
        ("bg_test_p", "days testing blood sugar", "bg_test_days"),
        (
            "support_avail_p",
            "availability of support from the health-care team (1–5)",
            "support_avail",
        ),
        (
            "support_satis_p",
            "satisfaction with support from the health-care team (1–5)",
            "support_satis",
        ),
    ] {
        run(linear(data, key, label, y, Se::CR1, level), label, warnings);
    }
    run(
        logistic(
            data,
            "pa3_p",
            "physically active > 3 times a week",
            "pa3",
            level,
        ),
        "physical activity",
        warnings,
    );
    let mut secondary = Table::new(&["outcome", "model", "estimate", "95 % CI", "p", "n"]);
    secondary.set_align(0, Align::Left);
    secondary.set_align(1, Align::Left);
    for e in &secondary_effects {
        secondary.push_row(vec![
            e.outcome.clone(),
            format!(
                "{}{}",
                e.model,
                if e.scale == Scale::OddsRatio {
                    "; odds ratio"
                } else {
                    "; difference"
                }
            ),
            fmt_num(e.estimate, 3),
            format!("{} to {}", fmt_num(e.ci_low, 3), fmt_num(e.ci_high, 3)),
            fmt_p(e.p_value),
            e.n.to_string(),
        ]);
    }
    secondary.numeric = Some(Box::new(Effect::numeric_table(&secondary_effects)));
    secondary.title = Some(
        "Secondary outcomes at 12 months (intervention v. usual care, adjusted for baseline)"
            .into(),
    );
    effects.extend(secondary_effects);
    secondary
}

/// The MI sensitivity analysis: risk_12 imputed by pmm from baseline risk, its inputs, arm and
/// community indicators; CR1 fits pooled with complete-data df G − 1.
fn mi_primary(data: &Data, opts: &Options) -> Result<Effect, AnalysisError> {
    let cols = [
        "risk_12",
        "risk_0",
        "hba1c_0",
        "sbp_0",
        "tc_hdl_0",
        "intervention",
        "cluster",
    ];
    let mut columns = Vec::new();
    for c in cols {
        columns.push(Column::numeric(c, data.d.numeric(c)?.to_vec()));
    }
    let t = DataTable::new("primary", columns)?;
    // Baseline covariates are imputed too if incomplete, but only the outcome matters here.
    let mut spec = Mice::new(&t)?;
    for c in ["risk_0", "hba1c_0", "sbp_0", "tc_hdl_0"] {
        if t.numeric(c)?.iter().any(Option::is_none) {
            spec = spec.method(c, Method::Pmm { donors: 5 })?;
        }
    }
    let imp = spec
        .cluster("cluster", ClusterTerm::Indicators)?
        .m(opts.mi_m)
        .maxit(opts.mi_maxit)
        .seed(opts.seed)
        .run(None)?;
    // Rubin's complete-data df: G − 1, those of the CR1 fits.
    let model = ols("risk_12 ~ intervention + risk_0")
        .cluster("cluster")
        .level(opts.level);
    let pooled = model.pool(&imp)?;
    let term = pooled
        .terms
        .iter()
        .find(|t| t.term == "intervention")
        .ok_or_else(|| AnalysisError::MissingTerm {
            term: "intervention".into(),
        })?;
    Ok(Effect {
        key: "risk_diff_mi".into(),
        outcome: "UKPDS 5-year risk (proportion), multiple imputation".into(),
        model: format!(
            "MICE pmm, m = {}, CR1, Rubin's rules (Barnard–Rubin df)",
            opts.mi_m
        ),
        scale: Scale::Difference,
        estimate: term.estimate,
        ci_low: term.ci_low,
        ci_high: term.ci_high,
        p_value: term.p_value,
        n: t.nrows(),
        clusters: (pooled.df_complete + 1.0) as usize,
        baseline_sd: None,
    })
}

fn reproduce_targets(
    data: &Data,
    flow: &Flow,
    effects: &[Effect],
    mi: Option<&Effect>,
) -> Result<Vec<TargetRow>, PaperError> {
    let effect = |k: &str| effects.iter().find(|e| e.key == k);
    let age: Vec<f64> = data.num("age")?.iter().flatten().copied().collect();
    let female: Vec<f64> = data.num("female")?.iter().flatten().copied().collect();
    let median = |mut v: Vec<f64>| -> Option<f64> {
        v.sort_by(f64::total_cmp);
        trialstats_twosample::quantile7(&v, 0.5)
    };
    let (dur_uc, dur_i) = (
        data.arm_values("duration", 0)?,
        data.arm_values("duration", 1)?,
    );
    let dur_p = wilcox_test(&dur_i, &dur_uc, Exact::Auto, Continuity::Corrected)
        .ok()
        .map(|t| t.p_value);
    let risk_by_sex = |s: f64| -> Result<(f64, f64), PaperError> {
        let r = data.num("risk_0")?;
        let f = data.num("female")?;
        let v: Vec<f64> = r
            .iter()
            .zip(f)
            .filter(|(_, f)| **f == Some(s))
            .filter_map(|(r, _)| r.map(|r| 100.0 * r))
            .collect();
        Ok(mean_sd(&v))
    };
    let (men, women) = (risk_by_sex(0.0)?, risk_by_sex(1.0)?);
    let count =
        |c: &str, a: usize| -> Result<f64, PaperError> { Ok(data.arm_values(c, a)?.iter().sum()) };
    let n12 =
        |a: usize| -> Result<f64, PaperError> { Ok(data.arm_values("hba1c_12", a)?.len() as f64) };
    let value = |key: &str| -> Result<Option<f64>, PaperError> {
        Ok(match key {
            "clusters" => Some((flow.clusters[0] + flow.clusters[1]) as f64),
            "n_uc" => Some(flow.randomised[0] as f64),
            "n_i" => Some(flow.randomised[1] as f64),
            "age_mean" => Some(mean_sd(&age).0),
            "male_pct" => Some(100.0 * (1.0 - female.iter().sum::<f64>() / female.len() as f64)),
            "duration_median_uc" => median(dur_uc.clone()),
            "duration_median_i" => median(dur_i.clone()),
            "duration_p" => dur_p,
            "risk_men_mean" => Some(men.0),
            "risk_men_sd" => Some(men.1),
            "risk_women_mean" => Some(women.0),
            "risk_women_sd" => Some(women.1),
            "hba1c_gt8_uc" => Some(count("hba1c_gt8_0", 0)?),
            "hba1c_gt8_i" => Some(count("hba1c_gt8_0", 1)?),
            "hba1c_ge85_uc" => Some(count("hba1c_ge85_0", 0)?),
            "hba1c_ge85_i" => Some(count("hba1c_ge85_0", 1)?),
            "n12_uc" => Some(n12(0)?),
            "n12_i" => Some(n12(1)?),
            "risk_diff" => effect("risk_diff").map(|e| e.estimate),
            "risk_diff_lo" => effect("risk_diff").map(|e| e.ci_low),
            "risk_diff_hi" => effect("risk_diff").map(|e| e.ci_high),
            "risk_diff_p" => effect("risk_diff").map(|e| e.p_value),
            "mmas8_or" => effect("mmas8_or").map(|e| e.estimate),
            "mmas8_or_lo" => effect("mmas8_or").map(|e| e.ci_low),
            "mmas8_or_hi" => effect("mmas8_or").map(|e| e.ci_high),
            "mmas8_p" => effect("mmas8_or").map(|e| e.p_value),
            other => effect(other).map(|e| e.p_value),
        })
    };
    let mut rows = Vec::new();
    for t in TARGETS {
        rows.push(TargetRow {
            quantity: t.quantity.to_string(),
            published: format!("{}{}", if t.bound { "< " } else { "" }, fmt_num(t.value, 3)),
            // A statistic of no data is reported as missing, never as NaN.
            reproduced: value(t.key)?.filter(|v| v.is_finite()),
            source: t.source.to_string(),
        });
    }
    rows.extend(further_targets(data, effects, mi)?);
    Ok(rows)
}

/// The published statements that are not in the targets table: MI, physical activity, support,
/// the process evaluation's share whose risk fell, and what the paper does not report.
fn further_targets(
    data: &Data,
    effects: &[Effect],
    mi: Option<&Effect>,
) -> Result<Vec<TargetRow>, PaperError> {
    let effect = |k: &str| effects.iter().find(|e| e.key == k);
    let mut rows = Vec::new();
    if let Some(mi) = mi {
        rows.push(TargetRow {
            quantity: "UKPDS risk difference, multiple imputation".into(),
            published: "\"similar results\" (no numbers)".into(),
            reproduced: Some(mi.estimate),
            source: "P Results".into(),
        });
    }
    // Physical activity: the share active at 12 months minus at baseline, per arm.
    for (a, label, published) in [(0, "usual care", "9.1"), (1, "intervention", "15.4")] {
        let p0 = data.num("pa3_0")?;
        let p12 = data.num("pa3_12")?;
        let both: Vec<(f64, f64)> = (0..data.d.nrows())
            .filter(|&i| data.arm[i] == Some(a as f64))
            .filter_map(|i| Some((p0[i]?, p12[i]?)))
            .collect();
        let k = both.len() as f64;
        let inc = 100.0
            * (both.iter().map(|b| b.1).sum::<f64>() - both.iter().map(|b| b.0).sum::<f64>())
            / k;
        rows.push(TargetRow {
            quantity: format!(
                "physically active > 3 times a week, increase, {label} (percentage points)"
            ),
            published: published.into(),
            reproduced: (k > 0.0).then_some(inc),
            source: "P Results".into(),
        });
    }
    for (key, label, published, source) in [
        (
            "support_avail_p",
            "availability of support from the health-care team, p",
            "0.01",
            "P / Table S2",
        ),
        (
            "support_satis_p",
            "satisfaction with support from the health-care team, p",
            "< 0.01",
            "P / Table S2",
        ),
    ] {
        rows.push(TargetRow {
            quantity: label.into(),
            published: published.into(),
            reproduced: effect(key).map(|e| e.p_value),
            source: source.into(),
        });
    }
    // The process evaluation's "successful participants": 5-year risk fell.
    for (a, label, published) in [(1, "intervention", "65.1"), (0, "usual care", "44.8")] {
        let r0 = data.num("risk_0")?;
        let r12 = data.num("risk_12")?;
        let pairs: Vec<bool> = (0..data.d.nrows())
            .filter(|&i| data.arm[i] == Some(a as f64))
            .filter_map(|i| Some(r12[i]? < r0[i]?))
            .collect();
        let share = 100.0 * pairs.iter().filter(|b| **b).count() as f64 / pairs.len().max(1) as f64;
        rows.push(TargetRow {
            quantity: format!("5-year risk fell over the year, {label} (%)"),
            published: published.into(),
            reproduced: (!pairs.is_empty()).then_some(share),
            source: "Aziz abstract".into(),
        });
    }
    for (q, p) in [
        (
            "PHQ-9 category change, DDS-4, mental health",
            "not significant (data not shown)",
        ),
        (
            "per-arm means and SDs of Tables 1–3, S1, S2",
            "not published in retrievable form",
        ),
    ] {
        rows.push(TargetRow {
            quantity: q.into(),
            published: p.into(),
            reproduced: None,
            source: "P Results".into(),
        });
    }
    Ok(rows)
}
