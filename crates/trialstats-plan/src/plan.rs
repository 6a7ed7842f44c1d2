//! The plan file: TOML read with serde, every key known (an unknown key or a wrong type is an
//! error naming the plan's line), the columns it names kept with their place in the file so
//! that a check against the data can name the line too.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::error::PlanError;

/// A statistical analysis plan. See `docs/plan.md` for every key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Name, title and conventions.
    pub plan: Meta,
    /// Participants, clusters and arms.
    pub design: Design,
    /// Derived variables, computed in order before any analysis.
    #[serde(default)]
    pub derive: Vec<Derived>,
    /// Table 1: baseline characteristics by arm, with tests.
    #[serde(default)]
    pub table1: Option<Table1Spec>,
    /// The outcomes, each with its model and inference.
    #[serde(default, rename = "outcome")]
    pub outcomes: Vec<Outcome>,
    /// Sensitivity analyses of an outcome: multiple imputation.
    #[serde(default, rename = "sensitivity")]
    pub sensitivities: Vec<Sensitivity>,
    /// Subgroup analyses: an outcome's effect within each level of a baseline column, and the
    /// test of the interaction.
    #[serde(default, rename = "subgroup")]
    pub subgroups: Vec<Subgroup>,
    /// The choices the plan makes where its source leaves them open.
    #[serde(default, rename = "assumption")]
    pub assumptions: Vec<Assumption>,
    /// The participant flow: the counts before randomisation (as published) and each
    /// follow-up stage.
    #[serde(default)]
    pub flow: Option<FlowSpec>,
    /// Descriptive tables: outcomes by arm and time (mean (SD); n), optionally by a column's
    /// levels, optionally with an effect column.
    #[serde(default, rename = "describe")]
    pub describes: Vec<DescribeSpec>,
    /// Published numbers, each set beside the run's value of the same statistic.
    #[serde(default, rename = "target")]
    pub targets: Vec<TargetSpec>,
    /// The plan's text (for line numbers in later errors).
    #[serde(skip)]
    pub(crate) text: String,
    /// Where the plan came from (a file name or an embedded plan's name).
    #[serde(skip)]
    pub(crate) source: String,
}

/// `[plan]`: what the plan is and the conventions its tests follow.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// A short name (used in `results.json`).
    pub name: String,
    /// A title for the report.
    #[serde(default)]
    pub title: Option<String>,
    /// The conventions of Table 1's tests.
    #[serde(default)]
    pub conventions: Conventions,
    /// Confidence level of every interval (default 0.95).
    #[serde(default = "default_level")]
    pub level: f64,
    /// Seed of every random step (the wild bootstrap).
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Draws of the wild cluster bootstrap.
    #[serde(default = "default_reps")]
    pub wild_reps: usize,
}

fn default_level() -> f64 {
    0.95
}
fn default_seed() -> u64 {
    2016
}
fn default_reps() -> usize {
    9_999
}

/// Which package's formulas Table 1's tests follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Conventions {
    /// Stata 13: `ttest` (Student), `ranksum` (normal approximation, tie-corrected variance, no
    /// continuity correction), `tabulate, chi2` (Pearson, no continuity correction).
    #[default]
    Stata13,
    /// R: `t.test` (Welch), `wilcox.test` (exact when small, else continuity-corrected),
    /// `chisq.test` (Yates' correction on 2 × 2 tables).
    R,
}

/// `[design]`: who is who.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Design {
    /// The participant identifier column (optional).
    #[serde(default)]
    pub id: Option<Spanned<String>>,
    /// The cluster column (numbers or text).
    pub cluster: Spanned<String>,
    /// The arm column and its two values.
    pub arm: ArmSpec,
    /// A stratification column (reported; not yet used as a model term).
    #[serde(default)]
    pub strata: Option<Spanned<String>>,
    /// Clusters analysed as one: each list's clusters (as the data write them) become its
    /// first (`merge = [["11", "12"]]`: a group merged into another, as delivered).
    #[serde(default)]
    pub merge: Option<Spanned<Vec<Vec<String>>>>,
}

/// `[design.arm]`: the arm column, and its control and treatment values (text labels, a Stata
/// value label, or numeric codes).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArmSpec {
    /// The column.
    pub column: Spanned<String>,
    /// The control arm's value.
    pub control: Spanned<ArmValue>,
    /// The treatment arm's value.
    pub treatment: Spanned<ArmValue>,
    /// The arms as printed, control first (default: their values).
    #[serde(default)]
    pub labels: Option<[String; 2]>,
}

/// An arm's value in the data: text, or a number.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum ArmValue {
    /// A numeric code.
    Number(f64),
    /// A text value (or a Stata value label).
    Text(String),
}

impl std::fmt::Display for ArmValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArmValue::Number(x) => write!(f, "{x}"),
            ArmValue::Text(s) => write!(f, "{s}"),
        }
    }
}

/// `[[derive]]`: a new column, by exactly one rule (`threshold` and `convert` act on `from`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Derived {
    /// The new column's name.
    pub name: Spanned<String>,
    /// The column a threshold or a conversion acts on.
    #[serde(default)]
    pub from: Option<Spanned<String>>,
    /// An arithmetic expression of numeric columns, as R's `I()`: `"tc_0 / hdl_0"`.
    #[serde(default)]
    pub expression: Option<Spanned<String>>,
    /// A UKPDS risk.
    #[serde(default)]
    pub ukpds: Option<UkpdsRule>,
    /// An instrument score from its items.
    #[serde(default)]
    pub score: Option<ScoreRule>,
    /// A threshold: `"> 8"`, `">= 8.5"`, `"< 5"`, `"<= 5"`; 1 where it holds, 0 where not,
    /// missing where `from` is missing.
    #[serde(default)]
    pub threshold: Option<Spanned<String>>,
    /// A unit conversion.
    #[serde(default)]
    pub convert: Option<Conversion>,
}

/// `ukpds = { … }` of `[[derive]]`: a UKPDS risk from clinical columns, at baseline or some
/// years later (the paper's 12-month rule: the age at diagnosis fixed, the duration one year
/// longer).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UkpdsRule {
    /// `chd` (UKPDS 56), `stroke` (UKPDS 60) or `cvd`: 1 − (1 − CHD)(1 − stroke).
    pub equation: UkpdsEquation,
    /// Years of the risk (default 5).
    #[serde(default = "default_horizon")]
    pub horizon: f64,
    /// Years after the time of the `age` and `duration` columns (default 0; 1 at 12 months).
    #[serde(default)]
    pub years_later: f64,
    /// Age (years) when `duration` was measured.
    pub age: Spanned<String>,
    /// Years since diagnosis.
    pub duration: Spanned<String>,
    /// 1 female, 0 male.
    pub female: Spanned<String>,
    /// 1 Afro-Caribbean, 0 not (CHD).
    pub afro_caribbean: Spanned<String>,
    /// 1 current smoker, 0 not.
    pub smoker: Spanned<String>,
    /// HbA1c (%).
    pub hba1c: Spanned<String>,
    /// Systolic blood pressure (mmHg).
    pub sbp: Spanned<String>,
    /// Total / HDL cholesterol.
    pub tc_hdl: Spanned<String>,
    /// 1 atrial fibrillation, 0 not (stroke and cvd).
    #[serde(default)]
    pub af: Option<Spanned<String>>,
}

impl UkpdsRule {
    /// The columns the rule reads, in the equation's order (`af` last, when given).
    pub fn inputs(&self) -> Vec<&Spanned<String>> {
        let mut v = vec![
            &self.age,
            &self.duration,
            &self.female,
            &self.afro_caribbean,
            &self.smoker,
            &self.hba1c,
            &self.sbp,
            &self.tc_hdl,
        ];
        v.extend(self.af.as_ref());
        v
    }
}

fn default_horizon() -> f64 {
    5.0
}

/// `score = { … }` of `[[derive]]`: one output of an instrument, scored from its item columns
/// (the instrument's item names with `suffix`: `phq1_0` … `phq9_0` for `suffix = "_0"`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreRule {
    /// `phq9`, `dds2`, `dds4`, `dds17` or `eq5d3l`.
    pub instrument: Spanned<String>,
    /// The output: one of the instrument's output columns (`phq9_total`, `dds_mean`,
    /// `eq5d_index`, …; `trialstats score --help` lists them).
    pub output: Spanned<String>,
    /// Appended to each item's name (`"_0"`, `"_12"`).
    #[serde(default)]
    pub suffix: String,
    /// The EQ-5D value set (default `eq5d3l_au_viney2011`, the paper's Australian set).
    #[serde(default)]
    pub value_set: Option<String>,
    /// For a text output (`phq9_severity`): its values in order; the derived value is the
    /// 1-based position (`["minimal", "mild", "moderate", "moderately severe", "severe"]`).
    #[serde(default)]
    pub levels: Option<Vec<String>>,
}

/// The equation of a UKPDS rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UkpdsEquation {
    /// UKPDS 56: coronary heart disease (Stevens et al. 2001).
    Chd,
    /// UKPDS 60: stroke (Kothari et al. 2002).
    Stroke,
    /// Either: 1 − (1 − CHD)(1 − stroke).
    Cvd,
}

/// A unit conversion of `[[derive]]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Conversion {
    /// HbA1c from NGSP % to IFCC mmol/mol: (% − 2.15) × 10.929 (IFCC–NGSP master equation).
    Hba1cPercentToMmolPerMol,
    /// HbA1c from IFCC mmol/mol to NGSP %: mmol/mol / 10.929 + 2.15.
    Hba1cMmolPerMolToPercent,
}

/// `[table1]`: the baseline table by arm.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table1Spec {
    /// Continuous variables: mean (SD), t test (Student under Stata 13, Welch under R).
    #[serde(default)]
    pub continuous: Vec<Spanned<String>>,
    /// Skewed variables: median \[IQR\], rank-sum test.
    #[serde(default)]
    pub nonparametric: Vec<Spanned<String>>,
    /// Categorical variables: n (%), χ² test.
    #[serde(default)]
    pub categorical: Vec<Spanned<String>>,
    /// Row names by column (default: the column's variable label, or its name).
    #[serde(default)]
    pub labels: std::collections::BTreeMap<String, String>,
    /// A categorical column's levels as printed, in the order of its values
    /// (`female = ["male", "female"]` for 0, 1; default: value labels, or the values).
    #[serde(default)]
    pub levels: std::collections::BTreeMap<String, Vec<String>>,
    /// A continuous column's factor in the table (`risk_0 = 100`: a proportion in %).
    #[serde(default)]
    pub scale: std::collections::BTreeMap<String, f64>,
}

/// `[[outcome]]`: an outcome at follow-up, its model and its inference.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    /// The outcome's id in results (`hba1c`, `ukpds_risk`).
    pub id: String,
    /// As printed.
    #[serde(default)]
    pub label: Option<String>,
    /// The model.
    pub model: ModelKind,
    /// The follow-up column.
    pub followup: Spanned<String>,
    /// The same measure at baseline, adjusted for (optional).
    #[serde(default)]
    pub baseline: Option<Spanned<String>>,
    /// Further covariates.
    #[serde(default)]
    pub adjust: Vec<Spanned<String>>,
    /// The inferences to report, each a row of results.
    #[serde(default = "default_inference")]
    pub inference: Vec<InferenceKind>,
    /// Adaptive Gauss–Hermite nodes of a multilevel model other than the linear one (default
    /// 7, at each level of a nested model; 1 is the Laplace approximation).
    #[serde(default)]
    pub nodes: Option<usize>,
    /// Report the intracluster correlation of the follow-up values with its confidence interval
    /// and the design effect (CONSORT for cluster trials, item 17a).
    #[serde(default)]
    pub icc: bool,
    /// Multiply the outcome's values by this in the report's tables and figures (100: a
    /// proportion shown in %); `results.json` keeps the data's scale.
    #[serde(default = "default_report_scale")]
    pub report_scale: f64,
    /// Which values are better for the participant: the side of the forest plot that favours
    /// the treatment.
    #[serde(default)]
    pub better: Option<Better>,
}

/// Which values of an outcome are better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    /// Lower values (HbA1c, blood pressure, risk).
    Lower,
    /// Higher values (HDL cholesterol, quality of life).
    Higher,
}

fn default_report_scale() -> f64 {
    1.0
}

fn default_inference() -> Vec<InferenceKind> {
    vec![InferenceKind::Cr1]
}

/// An outcome's model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// Linear regression (Stata `regress`): the effect is a difference.
    Linear,
    /// Logistic regression (Stata `logit`): the effect is a log odds ratio.
    Logistic,
    /// The change in an ordered category (`followup − baseline`) by a multilevel ordered logit
    /// with a random intercept per cluster (R `clmm`, Stata `meologit … || cluster:`, adaptive
    /// quadrature): the effect is a log odds ratio, inference `model`.
    OrderedChange,
    /// The follow-up category by a multilevel ordered logit with a random intercept per cluster,
    /// adjusted for the baseline category as a factor (R `clmm(y ~ treated + factor(y0) +
    /// (1 | cluster))`, Stata `meologit y i.treated i.y0 || cluster:`): a log odds ratio,
    /// inference `model`.
    Ordered,
    /// A linear mixed model with a random intercept per cluster (R `lmer(y ~ treated + … +
    /// (1 | cluster))` with lmerTest or pbkrtest, Stata `mixed … || cluster:, reml
    /// dfmethod(…)`), REML: the effect is a difference, inference `kenward_roger` or
    /// `satterthwaite`.
    Mixed,
    /// A logistic regression with a random intercept per cluster (R `glmer(…, family =
    /// binomial, nAGQ = nodes)`, Stata `melogit … || cluster:, intpoints(nodes)`): the effect
    /// is a cluster-specific log odds ratio, inference `model`.
    MixedLogistic,
    /// The baseline and follow-up categories as two times of each participant: an ordered
    /// logit of the category on time × treated with random intercepts for the cluster and for
    /// the participant within it (R `clmm(y ~ time * treated + (1 | cluster) + (1 |
    /// cluster:id))`, Stata `meologit y i.time##i.treated || cluster: || id:`), nested adaptive
    /// quadrature (`nodes`; 1: the joint Laplace approximation): the effect is the time ×
    /// treated log odds ratio, inference `model`.
    OrderedLongitudinal,
}

impl ModelKind {
    /// Whether the effect is a difference (linear models) rather than a log odds ratio.
    pub fn is_linear(self) -> bool {
        matches!(self, ModelKind::Linear | ModelKind::Mixed)
    }

    /// Whether the model is one of the ordered logits with random intercepts, fitted by its
    /// own path (model-based inference, no covariates beyond its own).
    pub fn is_ordinal(self) -> bool {
        matches!(
            self,
            ModelKind::OrderedChange | ModelKind::Ordered | ModelKind::OrderedLongitudinal
        )
    }

    /// Whether the model has a random intercept for the cluster (its inference is the model's,
    /// not a sandwich).
    pub fn is_multilevel(self) -> bool {
        self.is_ordinal() || matches!(self, ModelKind::Mixed | ModelKind::MixedLogistic)
    }
}

/// An inference of an outcome's effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InferenceKind {
    /// Cluster-robust CR1 with Stata's factor for the model (`vce(cluster)`): t(G − 1) for
    /// linear, z for logistic.
    Cr1,
    /// CR2 (Bell–McCaffrey) with Satterthwaite df (clubSandwich; linear models).
    Cr2,
    /// The wild cluster bootstrap (WCR, Rademacher; linear models).
    Wild,
    /// Model-based (iid) standard errors.
    Model,
    /// A linear mixed model's Kenward–Roger adjusted covariance and df (pbkrtest; Stata
    /// `dfmethod(kroger)`).
    KenwardRoger,
    /// A linear mixed model's model-based covariance with Satterthwaite's df (lmerTest; Stata
    /// `dfmethod(satterthwaite)`).
    Satterthwaite,
}

impl InferenceKind {
    /// The id in results.
    pub fn id(self) -> &'static str {
        match self {
            InferenceKind::Cr1 => "cr1",
            InferenceKind::Cr2 => "cr2",
            InferenceKind::Wild => "wild",
            InferenceKind::Model => "model",
            InferenceKind::KenwardRoger => "kenward_roger",
            InferenceKind::Satterthwaite => "satterthwaite",
        }
    }
}

/// `[[sensitivity]]`: an outcome's effect by multiple imputation of its missing values (MICE,
/// predictive mean matching), each completed data set fitted as the outcome's CR1 model and
/// pooled by Rubin's rules with complete-data df G − 1 (Barnard–Rubin).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sensitivity {
    /// The analysis' id; its effect appears with inference `mi`.
    pub id: String,
    /// The id of an `[[outcome]]`.
    pub outcome: Spanned<String>,
    /// Further predictors of the imputation model (the outcome's columns, the treatment
    /// indicator and the clusters are always in it).
    #[serde(default)]
    pub predictors: Vec<Spanned<String>>,
    /// Imputations (default 20).
    #[serde(default = "default_m")]
    pub m: usize,
    /// Iterations of the chained equations (default 10).
    #[serde(default = "default_maxit")]
    pub maxit: usize,
    /// Donors of predictive mean matching (default 5).
    #[serde(default = "default_donors")]
    pub donors: usize,
    /// Impute these columns of the data instead of the outcome (the inputs of a derived
    /// outcome, partly observed at follow-up), and derive the outcome again from each completed
    /// data set (the effect's inference is then `mi_components`).
    #[serde(default)]
    pub impute: Vec<Spanned<String>>,
}

fn default_m() -> usize {
    20
}
fn default_maxit() -> usize {
    10
}
fn default_donors() -> usize {
    5
}

/// `[[subgroup]]`: an outcome's effect within each level of a column (CR1, the outcome's
/// model), and the test of the treatment × subgroup interaction in the whole sample.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subgroup {
    /// The subgroup analysis' id in results.
    pub id: String,
    /// The id of an `[[outcome]]`.
    pub outcome: Spanned<String>,
    /// The column whose levels make the subgroups (0/1, codes with value labels, or text).
    pub by: Spanned<String>,
    /// As printed.
    #[serde(default)]
    pub label: Option<String>,
}

/// `[[assumption]]`: a choice the plan makes where its source leaves it open.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assumption {
    /// A short id.
    pub id: String,
    /// The choice made.
    pub choice: String,
    /// The alternatives.
    #[serde(default)]
    pub alternatives: Vec<String>,
    /// Why, or where the source says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Alternatives run side by side: each the plan with `--set`-style overrides.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub compare: Vec<Compare>,
}

/// `compare = [{ label, set }]` of `[[assumption]]`: an alternative as overrides of the plan
/// (the keys of [`Plan::with_overrides`]), run in full and reported beside the plan's results.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Compare {
    /// The alternative, as printed.
    pub label: String,
    /// The overrides, `KEY=VALUE` each.
    pub set: Vec<String>,
}

/// `[flow]`: the participant flow (CONSORT for cluster trials): the numbers before
/// randomisation as the source publishes them, then for each arm the clusters and participants
/// randomised and, at each stage, those with the stage's column observed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowSpec {
    /// Boxes before randomisation, not in the data (`{ label = "Eligible", count = "441" }`).
    #[serde(default)]
    pub before: Vec<FlowBox>,
    /// The follow-up stages, in time order.
    #[serde(default)]
    pub stages: Vec<FlowStageSpec>,
}

/// A box of the flow before randomisation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowBox {
    /// What the box counts.
    pub label: String,
    /// The count, as published (text: "290 (17 withdrew)").
    pub count: String,
}

/// A follow-up stage of the flow.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowStageSpec {
    /// As printed ("12-month primary outcome").
    pub label: String,
    /// A participant reached the stage when this column is observed.
    pub column: Spanned<String>,
}

/// `[[describe]]`: a table of outcomes by arm and time: mean (SD); n of the baseline and
/// follow-up columns in each arm, optionally for each level of a column too, optionally with the
/// outcome's effect.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DescribeSpec {
    /// The table's id (its CSV files are `ID.csv` and `ID_numeric.csv`).
    pub id: String,
    /// The caption.
    #[serde(default)]
    pub title: Option<String>,
    /// The ids of `[[outcome]]`s, one row (group) each.
    #[serde(default)]
    pub outcomes: Vec<Spanned<String>>,
    /// Further rows: columns described without an outcome of their own (their effect, when
    /// `effect` asks for one, is the linear model's: follow-up on treatment and baseline).
    #[serde(default)]
    pub variables: Vec<DescribeVariable>,
    /// n (%) of each value of each row's columns instead of mean (SD); n (an ordered item's
    /// distribution, Table S2).
    #[serde(default)]
    pub distribution: bool,
    /// Rows for each level of this column too (value labels or `by_labels` name them).
    #[serde(default)]
    pub by: Option<Spanned<String>>,
    /// The levels of `by`, in numeric order, as printed (`["men", "women"]` for 0, 1).
    #[serde(default)]
    pub by_labels: Vec<String>,
    /// Decimals of means and SDs (default 2).
    #[serde(default = "default_digits")]
    pub digits: usize,
    /// The two times as printed (default `["baseline", "follow-up"]`).
    #[serde(default = "default_times")]
    pub times: [String; 2],
    /// Add this inference's effect and p-value (from the outcome's results).
    #[serde(default)]
    pub effect: Option<InferenceKind>,
}

/// A row of `[[describe]]` by its columns.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DescribeVariable {
    /// As printed.
    pub label: String,
    /// The baseline column (optional).
    #[serde(default)]
    pub baseline: Option<Spanned<String>>,
    /// The follow-up column.
    pub followup: Spanned<String>,
}

fn default_digits() -> usize {
    2
}
fn default_times() -> [String; 2] {
    ["baseline".into(), "follow-up".into()]
}

/// `[[target]]`: a published number and the statistic of the run that reproduces it.
///
/// `value` is one of
/// - `effect:OUTCOME:INFERENCE[:FIELD]`, FIELD `estimate` (default), `ci_low`, `ci_high`, `p`,
///   `std_error`, `or`, `or_low`, `or_high`;
/// - `table1:VARIABLE` (the test's p-value);
/// - `icc:OUTCOME[:ci_low|ci_high|design_effect]`;
/// - `subgroup:ID:interaction_p`;
/// - `clusters`, `participants` (of `arm`, or both arms);
/// - `mean(E)`, `sd(E)`, `median(E)`, `sum(E)`, `count(E)` of an expression of numeric columns
///   (`hba1c_12`, `pa3_12 - pa3_0`) over the rows where it is observed, or `share(E OP X)`: the
///   % of those rows where the comparison holds (`share(risk_12 - risk_0 < 0)`);
///
/// restricted to one arm by `arm` (or the treatment arm's value minus the control arm's, `arm =
/// "difference"`) and to rows where `where` holds (`"female == 0"`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetSpec {
    /// What it is.
    pub quantity: String,
    /// As published: a number, or text (`"< 0.01"`, `"similar results"`).
    pub published: Published,
    /// Where it is published.
    #[serde(default)]
    pub source: Option<String>,
    /// The statistic of the run (see above).
    pub value: Spanned<String>,
    /// `control` or `treatment`: the rows of one arm; `difference`: the statistic in the
    /// treatment arm minus the same in the control arm (summaries and counts only).
    #[serde(default)]
    pub arm: Option<TargetArm>,
    /// `COLUMN OP NUMBER` (`==`, `!=`, `>`, `>=`, `<`, `<=`) or `COLUMN observed`: the rows
    /// where it holds.
    #[serde(default, rename = "where")]
    pub filter: Option<Spanned<String>>,
    /// Multiply the value by this (100: a proportion as %).
    #[serde(default = "default_report_scale")]
    pub scale: f64,
    /// A remark printed under the targets table: how the published number reads, or why a run
    /// is not expected to reproduce it.
    #[serde(default)]
    pub remark: Option<String>,
}

/// A published value: a number, or text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Published {
    /// A number as printed.
    Number(f64),
    /// Text (`"< 0.01"`, `"not shown"`).
    Text(String),
}

impl std::fmt::Display for Published {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Published::Number(x) => write!(f, "{x}"),
            Published::Text(s) => write!(f, "{s}"),
        }
    }
}

/// The rows a target's statistic is computed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetArm {
    /// The control arm.
    Control,
    /// The treatment arm.
    Treatment,
    /// The statistic in the treatment arm minus the same in the control arm.
    Difference,
}

impl TargetSpec {
    /// The statistic as a report names it: `value`, then `[control]`, `[treatment]` or
    /// `[treatment − control]`, then `[where]`.
    pub fn statistic_label(&self) -> String {
        let mut s = self.value.get_ref().clone();
        if let Some(a) = self.arm {
            s.push_str(match a {
                TargetArm::Control => " [control]",
                TargetArm::Treatment => " [treatment]",
                TargetArm::Difference => " [treatment − control]",
            });
        }
        if let Some(w) = &self.filter {
            s.push_str(&format!(" [{}]", w.get_ref()));
        }
        s
    }
}

/// The plans embedded in the library: (name, TOML text).
pub const EMBEDDED: [(&str, &str); 1] =
    [("riddell2016", include_str!("../plans/riddell2016.toml"))];

impl Plan {
    /// An embedded plan by name (see [`EMBEDDED`]): `riddell2016`, the published analysis of the
    /// Australasian Peers for Progress trial with Stata 13's conventions.
    ///
    /// # Errors
    /// [`PlanError::Unknown`] for a name that is not embedded.
    ///
    /// # Examples
    /// ```
    /// use trialstats_plan::Plan;
    /// let plan = Plan::embedded("riddell2016").unwrap();
    /// assert_eq!(plan.outcomes[0].id, "ukpds_risk");
    /// assert!(plan.assumptions.iter().any(|a| a.id == "ukpds_equation"));
    /// assert!(Plan::embedded("other").is_err());
    /// ```
    pub fn embedded(name: &str) -> Result<Plan, PlanError> {
        let (_, text) =
            EMBEDDED
                .iter()
                .find(|(n, _)| *n == name)
                .ok_or_else(|| PlanError::Unknown {
                    name: name.to_owned(),
                    embedded: EMBEDDED.iter().map(|(n, _)| (*n).to_owned()).collect(),
                })?;
        Plan::parse(name, text)
    }

    /// A plan's text with `key = value` overrides applied (dotted keys into tables and inline
    /// tables: `design.cluster`, `design.arm.control`, `plan.level`; an element of an array of
    /// tables by its `name` or `id`: `derive.hba1c_gt8_12.threshold`, `outcome.hba1c.inference`),
    /// the rest of the text and its lines kept; a value is read as TOML (`0.9`, `"usual care"`,
    /// `["cr1"]`), or as text when it does not read (`community`, `>= 8`).
    ///
    /// # Errors
    /// [`PlanError::Syntax`] for text that does not parse; [`PlanError::Override`] for an
    /// override without `=`, or whose path runs through a value that is not a table.
    ///
    /// # Examples
    /// ```
    /// use trialstats_plan::{EMBEDDED, Plan};
    /// let text = Plan::with_overrides("riddell2016", EMBEDDED[0].1, &[
    ///     "design.cluster=community".into(),
    ///     "design.arm.control=usual care".into(),
    ///     "plan.level=0.9".into(),
    /// ]).unwrap();
    /// let plan = Plan::parse("riddell2016", &text).unwrap();
    /// assert_eq!(plan.design.cluster.get_ref(), "community");
    /// assert_eq!(plan.plan.level, 0.9);
    /// // An element of [[derive]] by its name.
    /// let text = Plan::with_overrides("riddell2016", EMBEDDED[0].1, &[
    ///     "derive.hba1c_gt8_12.threshold=>= 8".into(),
    /// ]).unwrap();
    /// let plan = Plan::parse("riddell2016", &text).unwrap();
    /// let d = plan.derive.iter().find(|d| d.name.get_ref() == "hba1c_gt8_12").unwrap();
    /// assert_eq!(d.threshold.as_ref().unwrap().get_ref(), ">= 8");
    /// ```
    pub fn with_overrides(source: &str, text: &str, sets: &[String]) -> Result<String, PlanError> {
        if sets.is_empty() {
            return Ok(text.to_owned());
        }
        let mut doc: toml_edit::DocumentMut =
            text.parse()
                .map_err(|e: toml_edit::TomlError| PlanError::Syntax {
                    plan: source.to_owned(),
                    line: e.span().map_or(1, |s| line_of(text, s.start)),
                    message: e.message().to_owned(),
                })?;
        for set in sets {
            let bad = |why: &str| PlanError::Override {
                set: set.clone(),
                message: why.to_owned(),
            };
            let (path, raw) = set
                .split_once('=')
                .ok_or_else(|| bad("write KEY=VALUE, e.g. design.cluster=community"))?;
            let keys: Vec<&str> = path.trim().split('.').map(str::trim).collect();
            if keys.iter().any(|k| k.is_empty()) {
                return Err(bad("the key is empty"));
            }
            let value: toml_edit::Value = raw
                .trim()
                .parse()
                .unwrap_or_else(|_| toml_edit::Value::from(raw.trim()));
            let (last, parents) = keys.split_last().ok_or_else(|| bad("the key is empty"))?;
            let mut table: &mut dyn toml_edit::TableLike = doc.as_table_mut();
            let mut i = 0;
            while i < parents.len() {
                let k = parents[i];
                if table.get(k).is_none() {
                    table.insert(k, toml_edit::Item::Table(toml_edit::Table::new()));
                }
                let item = table
                    .get_mut(k)
                    .ok_or_else(|| bad(&format!("`{k}` cannot be made a table")))?;
                match item {
                    toml_edit::Item::ArrayOfTables(array) => {
                        // An array of tables ([[derive]], [[outcome]]): the next key names an
                        // element by its `name` or `id`.
                        let which = parents.get(i + 1).ok_or_else(|| {
                            bad(&format!("name an element of `{k}`: {k}.NAME.KEY=VALUE"))
                        })?;
                        table = array
                            .iter_mut()
                            .find(|t| {
                                ["name", "id"]
                                    .iter()
                                    .any(|f| t.get(f).and_then(|v| v.as_str()) == Some(which))
                            })
                            .ok_or_else(|| {
                                bad(&format!("no `{k}` has the name or id `{which}`"))
                            })?;
                        i += 2;
                    }
                    other => {
                        table = other
                            .as_table_like_mut()
                            .ok_or_else(|| bad(&format!("`{k}` is a value, not a table")))?;
                        i += 1;
                    }
                }
            }
            match table.get_mut(last) {
                Some(slot) => *slot = toml_edit::Item::Value(value),
                None => {
                    table.insert(last, toml_edit::Item::Value(value));
                }
            }
        }
        Ok(doc.to_string())
    }

    /// Reads a plan from its TOML text; `source` names it in errors.
    ///
    /// # Errors
    /// [`PlanError::Syntax`] for TOML that does not parse, an unknown key or a wrong type, with
    /// the line; [`PlanError::Invalid`] for values that parse but cannot be right (a level
    /// outside (0, 1), a derived variable with no rule or two, a threshold that does not read).
    ///
    /// # Examples
    /// ```
    /// use trialstats_plan::Plan;
    /// let plan = Plan::parse("example.toml", r#"
    /// [plan]
    /// name = "example"
    /// [design]
    /// cluster = "community"
    /// arm = { column = "arm", control = "usual care", treatment = "intervention" }
    /// [[outcome]]
    /// id = "hba1c"
    /// model = "linear"
    /// followup = "hba1c_12"
    /// baseline = "hba1c_0"
    /// inference = ["cr1", "cr2"]
    /// "#).unwrap();
    /// assert_eq!(plan.outcomes[0].id, "hba1c");
    ///
    /// // An unknown key names its line.
    /// let err = Plan::parse("bad.toml", "[plan]\nname = \"x\"\nlevle = 0.9\n").unwrap_err();
    /// assert!(err.to_string().contains("bad.toml, line 3"), "{err}");
    /// assert!(err.to_string().contains("levle"), "{err}");
    /// ```
    pub fn parse(source: &str, text: &str) -> Result<Plan, PlanError> {
        let mut plan: Plan = toml::from_str(text).map_err(|e| PlanError::Syntax {
            plan: source.to_owned(),
            line: e.span().map_or(1, |s| line_of(text, s.start)),
            message: e.message().to_owned(),
        })?;
        plan.text = text.to_owned();
        plan.source = source.to_owned();
        plan.validate()?;
        Ok(plan)
    }

    /// The plan with one outcome only: its model and inferences and its sensitivity analyses,
    /// without Table 1, the other outcomes, subgroups, tables, targets or the assumptions'
    /// alternatives (the derived variables are kept). A Monte Carlo study runs a plan's primary
    /// analysis so, replication after replication.
    ///
    /// # Errors
    /// [`PlanError::Unknown`]-like [`PlanError::Invalid`] when no outcome has the id.
    ///
    /// # Examples
    /// ```
    /// use trialstats_plan::Plan;
    /// let plan = Plan::embedded("riddell2016").unwrap().restricted_to("ukpds_risk").unwrap();
    /// assert_eq!(plan.outcomes.len(), 1);
    /// assert_eq!(plan.sensitivities.len(), 2); // the two multiple imputations
    /// assert!(plan.table1.is_none() && plan.targets.is_empty());
    /// assert!(Plan::embedded("riddell2016").unwrap().restricted_to("weight_loss").is_err());
    /// ```
    pub fn restricted_to(&self, outcome: &str) -> Result<Plan, PlanError> {
        let Some(o) = self.outcomes.iter().find(|o| o.id == outcome) else {
            return Err(PlanError::Invalid {
                plan: self.source.clone(),
                // The plan's first outcome, where the ids are.
                line: self.outcomes.first().map_or(1, |o| self.line(&o.followup)),
                key: "outcome".into(),
                message: format!(
                    "no [[outcome]] has the id `{outcome}`; the outcomes are {}",
                    self.outcomes
                        .iter()
                        .map(|o| format!("`{}`", o.id))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        };
        let mut p = self.clone();
        p.outcomes = vec![o.clone()];
        p.sensitivities.retain(|x| x.outcome.get_ref() == outcome);
        p.table1 = None;
        p.subgroups.clear();
        p.describes.clear();
        p.targets.clear();
        p.flow = None;
        for a in &mut p.assumptions {
            a.compare.clear();
        }
        Ok(p)
    }

    /// Where the plan came from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The line of a byte offset of the plan's text.
    pub(crate) fn line<T>(&self, spanned: &Spanned<T>) -> usize {
        line_of(&self.text, spanned.span().start)
    }

    /// An error about a key's value, naming the line.
    pub(crate) fn invalid<T>(&self, at: &Spanned<T>, key: &str, message: String) -> PlanError {
        PlanError::Invalid {
            plan: self.source.clone(),
            line: self.line(at),
            key: key.to_owned(),
            message,
        }
    }

    fn validate(&self) -> Result<(), PlanError> {
        if !(self.plan.level > 0.0 && self.plan.level < 1.0) {
            return Err(PlanError::Invalid {
                plan: self.source.clone(),
                line: find_key_line(&self.text, "level"),
                key: "plan.level".into(),
                message: format!("must be between 0 and 1, not {}", self.plan.level),
            });
        }
        for d in &self.derive {
            let rules = usize::from(d.threshold.is_some())
                + usize::from(d.convert.is_some())
                + usize::from(d.expression.is_some())
                + usize::from(d.ukpds.is_some())
                + usize::from(d.score.is_some());
            if rules != 1 {
                return Err(self.invalid(
                    &d.name,
                    "derive",
                    format!(
                        "`{}` needs exactly one rule: `threshold`, `convert`, `expression`, `ukpds` or `score`",
                        d.name.get_ref()
                    ),
                ));
            }
            if (d.threshold.is_some() || d.convert.is_some()) != d.from.is_some() {
                return Err(self.invalid(
                    &d.name,
                    "derive.from",
                    format!(
                        "`{}`: `from` goes with `threshold` and `convert`, and only with them",
                        d.name.get_ref()
                    ),
                ));
            }
            if let Some(t) = &d.threshold {
                Threshold::parse(t.get_ref())
                    .map_err(|m| self.invalid(t, "derive.threshold", m))?;
            }
            if let Some(u) = &d.ukpds {
                if u.equation != UkpdsEquation::Chd && u.af.is_none() {
                    return Err(self.invalid(
                        &d.name,
                        "derive.ukpds.af",
                        "the stroke equation needs an atrial fibrillation column (`af`)".into(),
                    ));
                }
                if !(u.horizon > 0.0 && u.horizon <= 50.0)
                    || u.years_later.is_nan()
                    || u.years_later < 0.0
                {
                    return Err(self.invalid(
                        &d.name,
                        "derive.ukpds",
                        format!(
                            "the horizon must be in (0, 50] years and years_later not negative, not {} and {}",
                            u.horizon, u.years_later
                        ),
                    ));
                }
            }
        }
        for x in &self.sensitivities {
            if !self.outcomes.iter().any(|o| o.id == *x.outcome.get_ref()) {
                return Err(self.invalid(
                    &x.outcome,
                    "sensitivity.outcome",
                    format!("no [[outcome]] has the id `{}`", x.outcome.get_ref()),
                ));
            }
            if x.m < 2 || x.maxit == 0 || x.donors == 0 {
                return Err(self.invalid(
                    &x.outcome,
                    "sensitivity",
                    format!(
                        "`{}` needs m of at least 2 and maxit and donors of at least 1",
                        x.id
                    ),
                ));
            }
        }
        for g in &self.subgroups {
            if !self.outcomes.iter().any(|o| o.id == *g.outcome.get_ref()) {
                return Err(self.invalid(
                    &g.outcome,
                    "subgroup.outcome",
                    format!(
                        "no [[outcome]] has the id `{}`; the outcomes are {}",
                        g.outcome.get_ref(),
                        self.outcomes
                            .iter()
                            .map(|o| format!("`{}`", o.id))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
        let outcome_ids = || {
            self.outcomes
                .iter()
                .map(|o| format!("`{}`", o.id))
                .collect::<Vec<_>>()
                .join(", ")
        };
        for d in &self.describes {
            if d.outcomes.is_empty() && d.variables.is_empty() {
                return Err(PlanError::Invalid {
                    plan: self.source.clone(),
                    line: find_key_line(&self.text, "id"),
                    key: "describe".into(),
                    message: format!("`{}` names no `outcomes` and no `variables`", d.id),
                });
            }
            for o in &d.outcomes {
                if !self.outcomes.iter().any(|x| x.id == *o.get_ref()) {
                    return Err(self.invalid(
                        o,
                        "describe.outcomes",
                        format!(
                            "no [[outcome]] has the id `{}`; the outcomes are {}",
                            o.get_ref(),
                            outcome_ids()
                        ),
                    ));
                }
            }
        }
        for t in &self.targets {
            crate::describe::Statistic::parse(t.value.get_ref())
                .map_err(|m| self.invalid(&t.value, "target.value", m))?;
            if let Some(w) = &t.filter {
                crate::describe::parse_filter(w.get_ref())
                    .map_err(|m| self.invalid(w, "target.where", m))?;
            }
        }
        for o in &self.outcomes {
            if !(o.report_scale.is_finite() && o.report_scale > 0.0) {
                return Err(self.invalid(
                    &o.followup,
                    "outcome.report_scale",
                    format!("must be a positive number, not {}", o.report_scale),
                ));
            }
            if o.inference.is_empty() {
                return Err(self.invalid(
                    &o.followup,
                    "outcome.inference",
                    format!("outcome `{}` lists no inference", o.id),
                ));
            }
        }
        Ok(())
    }
}

/// A threshold rule: the comparison and the value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Threshold {
    op: &'static str,
    value: f64,
}

impl Threshold {
    pub(crate) fn parse(s: &str) -> Result<Threshold, String> {
        let s = s.trim();
        let (op, rest) = [">=", "<=", "==", "!=", ">", "<"]
            .iter()
            .find_map(|op| s.strip_prefix(op).map(|r| (*op, r)))
            .ok_or_else(|| {
                format!("`{s}` is not a threshold: write `> 8`, `>= 8.5`, `< 5`, `<= 5`, `== 1` or `!= 1`")
            })?;
        let value: f64 = rest.trim().parse().map_err(|_| {
            format!(
                "`{s}` is not a threshold: `{}` is not a number",
                rest.trim()
            )
        })?;
        if !value.is_finite() {
            return Err(format!("`{s}`: the threshold must be finite"));
        }
        Ok(Threshold { op, value })
    }

    pub(crate) fn holds(self, x: f64) -> bool {
        match self.op {
            ">=" => x >= self.value,
            "<=" => x <= self.value,
            "==" => x.total_cmp(&self.value).is_eq(),
            "!=" => x.total_cmp(&self.value).is_ne(),
            ">" => x > self.value,
            _ => x < self.value,
        }
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The line of the first `key =` in the text (for values serde gives without a span).
fn find_key_line(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| {
            l.trim_start()
                .strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with('='))
        })
        .map_or(1, |i| i + 1)
}
