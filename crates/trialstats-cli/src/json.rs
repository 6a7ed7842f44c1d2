//! The JSON of the command-line contract (`docs/cli.md`) as serde types, shared by every
//! subcommand that reports a fitted model: `regress`, `ordinal`, `impute` and `pool`.

use serde::Serialize;
use trialstats_core::{Coef, Convergence, Inference};
use trialstats_mi::PooledTerm;
use trialstats_robust::BootTest;

/// A fitted model (`regress`, `ordinal`): the common fields, then the family's own.
#[derive(Debug, Serialize)]
pub struct ModelJson<'a> {
    /// `ols`, `logit`, `glmm`, `clm` or `clmm`.
    pub model: &'static str,
    /// The link of an ordinal model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<&'static str>,
    /// The formula as given.
    pub formula: &'a str,
    /// Rows used.
    pub nobs: usize,
    /// Rows dropped for missing values.
    pub nobs_dropped: usize,
    /// Clusters of the covariance (or of the random intercept).
    pub n_clusters: Option<usize>,
    /// Quadrature nodes of a random-intercept model (1 = Laplace).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nagq: Option<usize>,
    /// The covariance.
    pub vcov: VcovJson,
    /// One row per coefficient (for ordinal models, β only).
    pub coefficients: Vec<Coef>,
    /// The thresholds of an ordinal model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thresholds: Option<Vec<ThresholdJson>>,
    /// Odds ratios of a logit or a proportional-odds model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub odds_ratios: Option<Vec<OddsRatioJson>>,
    /// The random intercept of a clmm or a random-intercept logit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub random_effects: Option<RandomEffectsJson>,
    /// The log-likelihood of a likelihood model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loglik: Option<f64>,
    /// R² of a linear model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r_squared: Option<f64>,
    /// The covariance matrix of every parameter, with their names.
    pub covariance_matrix: CovarianceMatrixJson,
    /// The wild cluster bootstrap, when run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<BootstrapJson>,
    /// The proportional-odds tests, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nominal_test: Option<Vec<NominalJson>>,
    /// The optimiser's report (null for least squares).
    pub convergence: Option<ConvergenceJson>,
    /// Rows dropped, suspicious values, notes of the fit.
    pub warnings: Vec<String>,
}

/// The covariance used.
#[derive(Debug, Serialize)]
pub struct VcovJson {
    /// `iid`, `oim`, `hc0`–`hc3`, `cr0`–`cr3`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The cluster columns.
    pub clusters: Vec<String>,
    /// The reference t's df (null for z, and for CR2, whose df is per coefficient).
    pub df: Option<f64>,
    /// What the standard errors assume.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The small-sample factor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub factor: Option<f64>,
    /// CR3: whether the (G − 1)/G factor is applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jackknife: Option<bool>,
    /// Two-way: whether the intersection term has no small-sample factor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multi0: Option<bool>,
    /// Pooled results: the complete-data df of Rubin's rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub df_complete: Option<f64>,
}

impl VcovJson {
    /// The covariance of an inference, under the name the command-line option uses.
    pub fn of(kind: &str, inf: &Inference) -> Self {
        VcovJson {
            kind: kind.to_owned(),
            clusters: inf.covariance.cluster_vars.clone(),
            df: if kind == "cr2" {
                None
            } else {
                inf.covariance.reference.df()
            },
            description: Some(inf.covariance.description.clone()),
            factor: inf.covariance.factor,
            jackknife: None,
            multi0: None,
            df_complete: None,
        }
    }
}

/// A threshold of an ordinal model.
#[derive(Debug, Serialize)]
pub struct ThresholdJson {
    /// `1|2`, ….
    pub term: String,
    /// θ̂.
    pub estimate: f64,
    /// Its SE.
    pub std_error: f64,
}

impl From<&Coef> for ThresholdJson {
    fn from(c: &Coef) -> Self {
        ThresholdJson {
            term: c.term.clone(),
            estimate: c.estimate,
            std_error: c.std_error,
        }
    }
}

/// An odds ratio with its interval.
#[derive(Debug, Serialize)]
pub struct OddsRatioJson {
    /// The term.
    pub term: String,
    /// exp(β̂).
    pub odds_ratio: f64,
    /// exp of the lower limit.
    pub ci_low: f64,
    /// exp of the upper limit.
    pub ci_high: f64,
}

impl From<&Coef> for OddsRatioJson {
    fn from(c: &Coef) -> Self {
        let or = c.exponentiated();
        OddsRatioJson {
            term: or.term,
            odds_ratio: or.estimate,
            ci_low: or.ci_low,
            ci_high: or.ci_high,
        }
    }
}

/// The random intercept of a clmm.
#[derive(Debug, Serialize)]
pub struct RandomEffectsJson {
    /// The grouping column.
    pub group: String,
    /// σ̂².
    pub variance: f64,
    /// σ̂.
    pub sd: f64,
    /// ln σ̂ (null at the boundary).
    pub log_sd: Option<f64>,
    /// Its SE (null at the boundary).
    pub log_sd_std_error: Option<f64>,
    /// Whether σ̂ is at its boundary 0.
    pub boundary: bool,
    /// A clmm's likelihood-ratio test against the model without the random intercept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lr_test_vs_clm: Option<TestJson>,
    /// A random-intercept logit's likelihood-ratio test against the logistic regression.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lr_test_vs_glm: Option<TestJson>,
    /// A random-intercept logit's intraclass correlation on the latent scale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icc: Option<LatentIccJson>,
}

/// The intraclass correlation of a random-intercept binary model on its latent scale,
/// σ² / (σ² + π²/3), with the interval from that of ln σ.
#[derive(Debug, Serialize)]
pub struct LatentIccJson {
    /// The estimate.
    pub estimate: f64,
    /// Lower limit.
    pub ci_low: f64,
    /// Upper limit.
    pub ci_high: f64,
    /// The confidence level.
    pub level: f64,
    /// `"latent"`.
    pub scale: &'static str,
}

/// A statistic and its p-value.
#[derive(Debug, Serialize)]
pub struct TestJson {
    /// The statistic.
    pub statistic: f64,
    /// Its p-value.
    pub p_value: f64,
}

/// A proportional-odds test of one term.
#[derive(Debug, Serialize)]
pub struct NominalJson {
    /// The term.
    pub term: String,
    /// Its df.
    pub df: usize,
    /// The log-likelihood with the term's effect nominal.
    pub loglik: f64,
    /// The LR statistic.
    pub statistic: f64,
    /// Its p-value.
    pub p_value: f64,
}

/// The covariance matrix with its row and column names.
#[derive(Debug, Serialize)]
pub struct CovarianceMatrixJson {
    /// Parameter names.
    pub terms: Vec<String>,
    /// Rows of V̂.
    pub matrix: Vec<Vec<f64>>,
}

impl CovarianceMatrixJson {
    /// The covariance matrix of an inference.
    pub fn of(inf: &Inference) -> Self {
        let terms: Vec<String> = inf.coefficients.iter().map(|c| c.term.clone()).collect();
        Self::new(&terms, &inf.vcov)
    }

    /// The matrix `v` of the parameters `terms`, row by row.
    pub fn new(terms: &[String], v: &nalgebra::DMatrix<f64>) -> Self {
        CovarianceMatrixJson {
            terms: terms.to_vec(),
            matrix: v.row_iter().map(|r| r.iter().copied().collect()).collect(),
        }
    }
}

/// The optimiser's report.
#[derive(Debug, Serialize)]
pub struct ConvergenceJson {
    /// Iterations.
    pub iterations: u32,
    /// max |gradient| at the end.
    pub max_abs_gradient: f64,
    /// Whether the criterion was met.
    pub converged: bool,
}

impl From<&Convergence> for ConvergenceJson {
    fn from(c: &Convergence) -> Self {
        ConvergenceJson {
            iterations: c.iterations,
            max_abs_gradient: c.max_abs_gradient,
            converged: c.converged(),
        }
    }
}

/// The wild cluster bootstrap.
#[derive(Debug, Serialize)]
pub struct BootstrapJson {
    /// The coefficient tested.
    pub term: String,
    /// Its t statistic.
    pub statistic: f64,
    /// The bootstrap p-value.
    pub p_value: f64,
    /// Draws used (2^G when enumerated).
    pub reps: usize,
    /// Whether every sign vector was enumerated.
    pub enumerated: bool,
    /// The weights.
    pub weights: &'static str,
    /// WCR (true) or WCU.
    pub impose_null: bool,
    /// The seed.
    pub seed: u64,
    /// Interval by test inversion.
    pub ci_low: Option<f64>,
    /// Interval by test inversion.
    pub ci_high: Option<f64>,
    /// Its level.
    pub level: Option<f64>,
}

impl From<&BootTest> for BootstrapJson {
    fn from(b: &BootTest) -> Self {
        BootstrapJson {
            term: b.term.clone(),
            statistic: b.statistic,
            p_value: b.p_value,
            reps: b.reps,
            enumerated: b.enumerated,
            weights: b.weights.name(),
            impose_null: b.impose_null,
            seed: b.seed,
            ci_low: b.ci.map(|c| c.0),
            ci_high: b.ci.map(|c| c.1),
            level: b.level.map(f64::from),
        }
    }
}

/// A pooled coefficient (Rubin's rules).
#[derive(Debug, Serialize)]
pub struct PooledJson<'a> {
    /// The term.
    pub term: &'a str,
    /// Pooled estimate q̄.
    pub estimate: f64,
    /// √T.
    pub std_error: f64,
    /// Barnard–Rubin df.
    pub df: f64,
    /// p-value.
    pub p_value: f64,
    /// Interval.
    pub ci_low: f64,
    /// Interval.
    pub ci_high: f64,
    /// Relative increase in variance.
    pub riv: f64,
    /// Proportion of variance due to missingness.
    pub lambda: f64,
    /// Fraction of missing information.
    pub fmi: f64,
    /// Within-imputation variance.
    pub ubar: f64,
    /// Between-imputation variance.
    pub b: f64,
    /// Total variance.
    pub t: f64,
}

/// The pooled rows of the contract.
pub fn pooled(terms: &[PooledTerm]) -> Vec<PooledJson<'_>> {
    terms
        .iter()
        .map(|p| PooledJson {
            term: &p.term,
            estimate: p.estimate,
            std_error: p.std_error,
            df: p.df,
            p_value: p.p_value,
            ci_low: p.ci_low,
            ci_high: p.ci_high,
            riv: p.riv,
            lambda: p.lambda,
            fmi: p.fmi,
            ubar: p.ubar,
            b: p.b,
            t: p.t,
        })
        .collect()
}
