//! Every parameter of the simulated trial, in one serde struct with documented defaults.
//!
//! Defaults are calibrated to the published numbers of Riddell et al. (2016) where there are any
//! (see [`crate::calibration()`]); everything else is a stated modelling choice, marked *(choice)*.

use serde::{Deserialize, Serialize};

use crate::error::SimError;

/// Most participants per arm a simulated trial may have.
pub const MAX_PARTICIPANTS_PER_ARM: usize = 100_000;

/// Parameters of the simulated trial.
///
/// # Examples
/// ```
/// use trialstats_sim::SimParams;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let p = SimParams::default();
/// assert_eq!((p.regions, p.clusters_per_arm_per_region, p.participants_per_arm), (3, 4, 120));
/// assert_eq!((p.icc, p.icc_outcomes.adherence, p.arm_effect_mmas8_or), (0.05, 0.65, 4.8));
/// // A trial with an effect on HbA1c of −0.3 %, every other parameter at its default.
/// let effect = SimParams { arm_effect_clinical: (-0.3, 0.0, 0.0, 0.0), ..SimParams::default() };
/// assert!(effect.check().is_ok());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimParams {
    /// Health regions (strata). Default 3 (published).
    pub regions: usize,
    /// Clusters (communities) per arm per region. Default 4 (published: 24 communities, 4 per
    /// arm in each of the 3 regions).
    pub clusters_per_arm_per_region: usize,
    /// Participants per arm at baseline. Default 120 (Cochrane extraction of the paper).
    pub participants_per_arm: usize,
    /// Smallest and largest cluster size. Default (5, 15) *(choice: around the mean of 10)*. Sizes start
    /// equal and are spread by random moves of one participant within this range (the
    /// coefficient of variation is about 0.25 at the defaults).
    pub cluster_size_range: (usize, usize),
    /// Unequal cluster sizes with a chosen coefficient of variation (SD / mean of the sizes in
    /// an arm), instead of `cluster_size_range`: sizes are log-normal with this CV, rounded to
    /// whole participants that add up to `participants_per_arm` (largest remainders), at least
    /// 2 each. The rounding and the floor of 2 move the realised CV a little at small sizes or
    /// CV above 1. Default `None` *(choice)*. Eldridge, Ashby & Kerry (2006), Int J Epidemiol
    /// 35:1292, give the design effect 1 + ((cv² + 1) m̄ − 1) ρ for such trials.
    pub cluster_size_cv: Option<f64>,
    /// Intervention communities that recruited too few and joined another intervention
    /// community's peer group of the same region (the paper: "11 of 12 groups"). Each keeps its
    /// community id (the randomised unit, as the published analysis kept 24) but shares the
    /// group's community effects; the smallest community of a region is merged first, into
    /// another of its region chosen at random, regions taken in turn. [`crate::Trial::merged`]
    /// lists the pairs (name them in a plan's `design.merge` to analyse delivered groups).
    /// Default 0 *(choice: which group was merged is not published)*.
    pub merged_clusters: usize,
    /// Intervention communities where no peer group ran: their participants stay in the
    /// intervention arm (intention to treat) but get none of the intervention's effects.
    /// Chosen at random among the intervention groups; [`crate::Trial::non_implemented`] lists
    /// them. Default 0 *(choice)*.
    pub non_implemented_clusters: usize,
    /// Proportion female. Default 0.492 (published: 50.8 % male).
    pub female: f64,
    /// Age at baseline: mean and SD (years), truncated to the eligibility range 25–75. Default
    /// mean 62.7 *(calibrated: with the truncation and the attrition the median sample mean over
    /// 200 trials is the published 60.9)*, SD 8.5 *(choice)*.
    pub age: (f64, f64),
    /// Duration of diabetes: median (years) in usual care and intervention, log-normal, at least
    /// 1.1 years (NDSS-registered for more than 12 months). Default 7 and 9 (published).
    pub duration_median: (f64, f64),
    /// SD of ln(duration). Default 0.75 *(choice; with it the median rank-sum p over 200 trials
    /// is 0.018, published 0.01)*.
    pub duration_sdlog: f64,
    /// HbA1c (%) above 8 %, by arm (usual care, intervention): the share above 8 % and the mean
    /// excess of that exponential tail. The published counts differ by arm (among those with a
    /// 12-month HbA1c: above 8 % 17/108 and 22/98, at or above 8.5 % 12/108 and 11/98), a chance
    /// imbalance of randomisation the simulator reproduces as it does the duration medians.
    /// Default usual care (0.17, 1.4), intervention (0.245, 0.62) *(calibrated: the medians over
    /// 200 trials of the four counts are 16.5, 22, 12 and 11; the share drawn is a
    /// little above the share observed because dropout rises with HbA1c)*. Below 8 % HbA1c is
    /// the normal body `hba1c_body`, the same in both arms.
    pub hba1c_tail: ((f64, f64), (f64, f64)),
    /// Normal body of HbA1c below 8 %: mean, SD, truncated to 4.8–8. Default (6.85, 0.55)
    /// *(choice: median about 7 %, "almost half" with good control)*.
    pub hba1c_body: (f64, f64),
    /// SBP (mmHg): mean in men, SD, and how much lower in women. Default (138, 15, 4)
    /// *(choice)*.
    pub sbp: (f64, f64, f64),
    /// TC/HDL ratio: median in men, SD of its log, and the log-ratio lower in women. Default 4.2,
    /// 0.31, 0.30 *(calibrated to the published UKPDS risk by sex: medians over 200 trials men
    /// 11.6 % (SD 7.25), women 4.2 % (SD 2.83); published 11.5 (7.5) and 4.2 (2.8))*.
    pub tc_hdl: (f64, f64, f64),
    /// Current smokers. Default 0.10 *(choice)*.
    pub smoker: f64,
    /// Afro-Caribbean ethnicity (a UKPDS input). Default 0.01 *(choice)*.
    pub afro_caribbean: f64,
    /// Atrial fibrillation (UKPDS 60 input). Default 0.05 *(choice)*.
    pub atrial_fibrillation: f64,
    /// ICC of the 12-month changes of the clinical measures (HbA1c, SBP, lipids, weight: the
    /// UKPDS inputs): the community effect's share of a change's variance. Default 0.05
    /// *(choice; the authors assumed it negligible)*.
    pub icc: f64,
    /// ICC of the 12-month change of each survey outcome's latent trait ([`OutcomeIcc`]).
    pub icc_outcomes: OutcomeIcc,
    /// Common 12-month change, both arms: HbA1c (%), SBP (mmHg), TC (mmol/L), weight (kg).
    /// Default (−0.25, −4, −0.2, −0.5) *(choice: the published "small improvements")*.
    pub common_change: (f64, f64, f64, f64),
    /// Intervention effect on the 12-month values of HbA1c (%), SBP (mmHg), TC (mmol/L) and weight
    /// (kg). Default all 0 (the published null effect on risk: adjusted difference 0, 95 % CI
    /// −0.011 to 0.011).
    ///
    /// A choice made in the open: the process evaluation's shares whose risk fell (65.1 %
    /// intervention, 44.8 % usual care; denominators unknown, not 98 and 108) are not reproduced
    /// (over 200 trials 55 % in both arms). An effect moving everyone's inputs cannot give both
    /// them and the null effect: −0.3 % HbA1c, −3 mmHg SBP and −0.15 mmol/L TC bring the
    /// intervention arm's share to 65.6 % (median over 200 trials) but the adjusted difference to
    /// −0.0072 (median p 0.19; p above 0.71 in fewer than 10 % of trials, published 1.00). The
    /// trial's primary result is kept.
    pub arm_effect_clinical: (f64, f64, f64, f64),
    /// Correlation of a clinical measure's 12-month value with its baseline. Default 0.55
    /// *(calibrated: the primary difference's median 95 % interval over 200 trials is −0.0110 to
    /// 0.0119, published −0.011 to 0.011)*.
    pub stability: f64,
    /// Intervention effect on 12-month SDSCA days: fruit and vegetables, specific exercise,
    /// blood-glucose testing. Default (1.0, 0.75, 0.85) *(calibrated: median p over 200 trials
    /// 0.0017, 0.016 and 0.0055; published < 0.01, 0.03 and 0.02)*.
    pub arm_effect_sdsca_days: (f64, f64, f64),
    /// Intervention odds ratio of adherence improving on the MMAS-8 latent scale. Default 4.8
    /// *(calibrated: the odds ratio of the change category that the paper's model estimates is
    /// attenuated by the categories and the community effect; with 4.8 its median over 200
    /// trials is 2.44, interval 0.94–6.35, p 0.065; published 2.5, 0.9–7.0, 0.09)*.
    pub arm_effect_mmas8_or: f64,
    /// Increase in the share active more than 3 times a week, usual care and intervention.
    /// Default 0.091 and 0.154 (published 9.1 and 15.4 points). 90 % of the active stay active; enough of the inactive
    /// start to make the increase.
    pub physical_activity_increase: (f64, f64),
    /// Share active more than 3 times a week at baseline, usual care and intervention. Default
    /// 0.48 and 0.32 *(a choice made in the open; the baseline shares are not published. The
    /// published increases differ by 6.3 points, yet the published p is 0.61. With these shares
    /// the inactive start being active with the same chance in both arms (about 0.27), so the
    /// published increases come with no effect of the arm once baseline activity is adjusted
    /// for: over 200 trials the increases' medians are 8.65 and 15.2 and the paper plan's
    /// logistic regression gives a median p of 0.46, the published 0.61 at the 64th
    /// percentile. No setting gives a median p of 0.61: without an effect this CR1 test's median
    /// p is about 0.45 with 24 communities. With equal baseline shares (0.40) the median p is
    /// 0.28 at the default ICC, and a community effect needs an ICC of 0.35 on the latent scale
    /// to bring it to 0.44, far above the ICCs reported for physical activity)*.
    pub physical_activity_baseline: (f64, f64),
    /// Intervention effect on availability and satisfaction with health-team support (1–5 scale).
    /// Default 0.33 and 0.40 *(calibrated: median p over 200 trials 0.011 and 0.0015, published
    /// 0.01 and < 0.01)*.
    pub arm_effect_support: (f64, f64),
    /// Probability of no 12-month data at HbA1c 7 %, usual care and intervention, before
    /// `dropout_mechanism` moves it. Default 0.09 and 0.17 *(calibrated: median 108 and 98 of
    /// 120 with a 12-month HbA1c over 200 trials, the published denominators)*.
    pub dropout: (f64, f64),
    /// How dropout depends on the data. Default missing at random given baseline HbA1c, log-odds
    /// + 0.3 per 1 % *(choice)*.
    pub dropout_mechanism: DropoutMechanism,
    /// Probability that one survey item is left unanswered. Default 0.005 *(choice)*.
    pub item_nonresponse: f64,
}

impl Default for SimParams {
    fn default() -> Self {
        Self {
            regions: 3,
            clusters_per_arm_per_region: 4,
            participants_per_arm: 120,
            cluster_size_range: (5, 15),
            cluster_size_cv: None,
            merged_clusters: 0,
            non_implemented_clusters: 0,
            female: 0.492,
            age: (62.7, 8.5),
            duration_median: (7.0, 9.0),
            duration_sdlog: 0.75,
            hba1c_tail: ((0.17, 1.4), (0.245, 0.62)),
            hba1c_body: (6.85, 0.55),
            sbp: (138.0, 15.0, 4.0),
            tc_hdl: (4.2, 0.31, 0.30),
            smoker: 0.10,
            afro_caribbean: 0.01,
            atrial_fibrillation: 0.05,
            icc: 0.05,
            icc_outcomes: OutcomeIcc::default(),
            common_change: (-0.25, -4.0, -0.2, -0.5),
            arm_effect_clinical: (0.0, 0.0, 0.0, 0.0),
            stability: 0.55,
            arm_effect_sdsca_days: (1.0, 0.75, 0.85),
            arm_effect_mmas8_or: 4.8,
            physical_activity_increase: (0.091, 0.154),
            physical_activity_baseline: (0.48, 0.32),
            arm_effect_support: (0.33, 0.4),
            dropout: (0.09, 0.17),
            dropout_mechanism: DropoutMechanism::Mar { log_or: 0.3 },
            item_nonresponse: 0.005,
        }
    }
}

/// ICC of the 12-month change of each survey outcome's latent trait: the community effect's
/// share of the change's variance (for physical activity, on the logistic latent scale, whose
/// individual variance is π²/3). Every default is a choice unless it says otherwise.
///
/// # Examples
/// ```
/// use trialstats_sim::{OutcomeIcc, SimParams};
/// // A trial whose communities differ in how depression changed.
/// let p = SimParams {
///     icc_outcomes: OutcomeIcc { depression: 0.10, ..OutcomeIcc::default() },
///     ..SimParams::default()
/// };
/// assert!(p.check().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutcomeIcc {
    /// Depression (PHQ-9 items, EQ-5D anxiety/depression). Default 0.01.
    pub depression: f64,
    /// Diabetes distress (DDS-4). Default 0.01.
    pub distress: f64,
    /// Physical functioning (EQ-5D mobility, self-care, usual activities, pain; EQ VAS).
    /// Default 0.01.
    pub physical_function: f64,
    /// Medication adherence (the MMAS-8 latent scale). Default 0.65 *(calibrated, and a choice
    /// made in the open: the paper plan's multilevel ordered logit of the MMAS-8 change category
    /// gives an interval about half as wide as the published 0.9–7.0 unless the communities
    /// differ this much in how adherence changed; with 0.65 the median interval over 200 trials
    /// is about 0.94–6.35)*.
    pub adherence: f64,
    /// Self-care (the SDSCA day counts). Default 0.025.
    pub self_care: f64,
    /// Physical activity more than 3 times a week (logistic latent scale). Default 0.05.
    pub physical_activity: f64,
    /// Availability of and satisfaction with support from the health-care team (each its own
    /// community effect, this ICC). Default 0.02.
    pub support: f64,
}

impl Default for OutcomeIcc {
    fn default() -> Self {
        Self {
            depression: 0.01,
            distress: 0.01,
            physical_function: 0.01,
            adherence: 0.65,
            self_care: 0.025,
            physical_activity: 0.05,
            support: 0.02,
        }
    }
}

impl OutcomeIcc {
    /// Each ICC with its name, as `SimParams` spells it.
    pub fn named(&self) -> [(&'static str, f64); 7] {
        [
            ("icc_outcomes.depression", self.depression),
            ("icc_outcomes.distress", self.distress),
            ("icc_outcomes.physical_function", self.physical_function),
            ("icc_outcomes.adherence", self.adherence),
            ("icc_outcomes.self_care", self.self_care),
            ("icc_outcomes.physical_activity", self.physical_activity),
            ("icc_outcomes.support", self.support),
        ]
    }
}

/// How the chance of no 12-month data depends on the data: the log-odds of dropout is
/// logit(`dropout` of the arm) + `log_or` × (HbA1c − 7), HbA1c in %. In Rubin's (1976)
/// terms: missing completely at random, at random given an observed baseline value, or not at
/// random (given the unobserved 12-month value, which drives the primary outcome).
///
/// # Examples
/// ```
/// use trialstats_sim::{DropoutMechanism, SimParams};
/// let p = SimParams { dropout_mechanism: DropoutMechanism::Mnar { log_or: 0.5 }, ..SimParams::default() };
/// assert!(p.check().is_ok());
/// // In a parameter file: `dropout_mechanism = { kind = "mnar", log_or = 0.5 }`.
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum DropoutMechanism {
    /// The arm's probability for everyone.
    Mcar,
    /// Depends on the baseline HbA1c (observed for everyone).
    Mar {
        /// Log odds ratio of dropout per 1 % of baseline HbA1c.
        log_or: f64,
    },
    /// Depends on the 12-month HbA1c (unobserved for those who drop out).
    Mnar {
        /// Log odds ratio of dropout per 1 % of 12-month HbA1c.
        log_or: f64,
    },
}

impl SimParams {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`SimError::Parameter`] naming the first parameter out of range.
    ///
    /// # Examples
    /// ```
    /// use trialstats_sim::{SimError, SimParams};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// assert!(SimParams::default().check().is_ok());
    /// // 500 participants per arm cannot fill 12 clusters of at most 15.
    /// let p = SimParams { participants_per_arm: 500, ..SimParams::default() };
    /// let Err(SimError::Parameter { parameter, .. }) = p.check() else {
    ///     return Err("expected a parameter error".into());
    /// };
    /// assert_eq!(parameter, "participants_per_arm");
    /// # Ok(()) }
    /// ```
    pub fn check(&self) -> Result<(), SimError> {
        let prob = |name: &str, p: f64| {
            if (0.0..=1.0).contains(&p) {
                Ok(())
            } else {
                Err(SimError::parameter(
                    name,
                    format!("{p} is not a probability"),
                ))
            }
        };
        if self.regions == 0 || self.clusters_per_arm_per_region == 0 {
            return Err(SimError::parameter(
                "regions, clusters_per_arm_per_region",
                "must be at least 1",
            ));
        }
        if self.participants_per_arm > MAX_PARTICIPANTS_PER_ARM {
            return Err(SimError::parameter(
                "participants_per_arm",
                format!(
                    "{} exceeds {MAX_PARTICIPANTS_PER_ARM} (the simulator makes trials, not registries)",
                    self.participants_per_arm
                ),
            ));
        }
        let clusters = self
            .regions
            .checked_mul(self.clusters_per_arm_per_region)
            .filter(|c| *c <= MAX_PARTICIPANTS_PER_ARM)
            .ok_or_else(|| {
                SimError::parameter(
                    "regions × clusters_per_arm_per_region",
                    format!(
                        "{} × {} exceeds {MAX_PARTICIPANTS_PER_ARM}",
                        self.regions, self.clusters_per_arm_per_region
                    ),
                )
            })?;
        if let Some(cv) = self.cluster_size_cv {
            if !(cv.is_finite() && cv >= 0.0) {
                return Err(SimError::parameter(
                    "cluster_size_cv",
                    format!("{cv} is not a coefficient of variation (finite, at least 0)"),
                ));
            }
            if self.participants_per_arm < clusters.saturating_mul(2) {
                return Err(SimError::parameter(
                    "participants_per_arm",
                    format!(
                        "{} cannot give {clusters} clusters of at least 2",
                        self.participants_per_arm
                    ),
                ));
            }
        } else {
            self.check_size_range(clusters)?;
        }
        let per_region = self.merged_clusters.div_ceil(self.regions);
        if self.merged_clusters > 0 && per_region >= self.clusters_per_arm_per_region {
            return Err(SimError::parameter(
                "merged_clusters",
                format!(
                    "{} merges over {} regions leave a region's {} intervention communities no group to join",
                    self.merged_clusters, self.regions, self.clusters_per_arm_per_region
                ),
            ));
        }
        if self.non_implemented_clusters > clusters - self.merged_clusters {
            return Err(SimError::parameter(
                "non_implemented_clusters",
                format!(
                    "{} exceeds the {} intervention groups",
                    self.non_implemented_clusters,
                    clusters - self.merged_clusters
                ),
            ));
        }
        prob("female", self.female)?;
        prob("smoker", self.smoker)?;
        prob("afro_caribbean", self.afro_caribbean)?;
        prob("atrial_fibrillation", self.atrial_fibrillation)?;
        prob("hba1c_tail (usual care) share", self.hba1c_tail.0.0)?;
        prob("hba1c_tail (intervention) share", self.hba1c_tail.1.0)?;
        for (name, v) in [
            ("hba1c_tail (usual care) mean excess", self.hba1c_tail.0.1),
            ("hba1c_tail (intervention) mean excess", self.hba1c_tail.1.1),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(SimError::parameter(name, format!("{v} must be positive")));
            }
        }
        prob(
            "physical_activity_baseline (usual care)",
            self.physical_activity_baseline.0,
        )?;
        prob(
            "physical_activity_baseline (intervention)",
            self.physical_activity_baseline.1,
        )?;
        for (arm, p0, inc) in [
            (
                "usual care",
                self.physical_activity_baseline.0,
                self.physical_activity_increase.0,
            ),
            (
                "intervention",
                self.physical_activity_baseline.1,
                self.physical_activity_increase.1,
            ),
        ] {
            let start = (inc + 0.1 * p0) / (1.0 - p0);
            if !(0.0..=1.0).contains(&start) {
                return Err(SimError::parameter(
                    "physical_activity_increase",
                    format!(
                        "an increase of {inc} from {p0} active in {arm} is out of reach when 10 % of the active stop"
                    ),
                ));
            }
        }
        if let DropoutMechanism::Mar { log_or } | DropoutMechanism::Mnar { log_or } =
            self.dropout_mechanism
            && !log_or.is_finite()
        {
            return Err(SimError::parameter(
                "dropout_mechanism",
                "log_or must be finite",
            ));
        }
        prob("dropout (usual care)", self.dropout.0)?;
        prob("dropout (intervention)", self.dropout.1)?;
        prob("item_nonresponse", self.item_nonresponse)?;
        prob("stability", self.stability)?;
        for (name, v) in std::iter::once(("icc", self.icc)).chain(self.icc_outcomes.named()) {
            prob(name, v)?;
            if v >= 1.0 {
                return Err(SimError::parameter(name, "must be below 1"));
            }
        }
        if self.arm_effect_mmas8_or.is_nan() || self.arm_effect_mmas8_or <= 0.0 {
            return Err(SimError::parameter(
                "arm_effect_mmas8_or",
                "must be positive",
            ));
        }
        Ok(())
    }
}

impl SimParams {
    /// The same trial without the published chance imbalances at baseline: each by-arm baseline
    /// parameter (the duration medians, the HbA1c tails, the share physically active) set to
    /// both arms' average (the geometric mean of the duration medians). The arms then differ
    /// only by what the intervention does and by their dropout rates, so "no effect" means an
    /// adjusted difference of 0: the design for Monte Carlo studies of estimators. The paper's
    /// trial reproduces its imbalances in every simulated trial, which a randomised trial does
    /// not do on average.
    ///
    /// # Examples
    /// ```
    /// use trialstats_sim::SimParams;
    /// let b = SimParams::default().balanced();
    /// assert_eq!(b.duration_median.0, b.duration_median.1);
    /// assert_eq!(b.hba1c_tail.0, b.hba1c_tail.1);
    /// assert_eq!(b.physical_activity_baseline, (0.40, 0.40));
    /// ```
    #[must_use]
    pub fn balanced(&self) -> SimParams {
        let mean = |a: f64, b: f64| (a + b) / 2.0;
        let duration = (self.duration_median.0 * self.duration_median.1).sqrt();
        let ((s0, e0), (s1, e1)) = self.hba1c_tail;
        let tail = (mean(s0, s1), mean(e0, e1));
        let active = mean(
            self.physical_activity_baseline.0,
            self.physical_activity_baseline.1,
        );
        SimParams {
            duration_median: (duration, duration),
            hba1c_tail: (tail, tail),
            physical_activity_baseline: (active, active),
            ..self.clone()
        }
    }

    fn check_size_range(&self, clusters: usize) -> Result<(), SimError> {
        let (lo, hi) = self.cluster_size_range;
        if lo < 2 || lo > hi {
            return Err(SimError::parameter(
                "cluster_size_range",
                format!(
                    "({lo}, {hi}) must have 2 ≤ min ≤ max (a cluster of one has no within-cluster information)"
                ),
            ));
        }
        if self.participants_per_arm < clusters.saturating_mul(lo)
            || self.participants_per_arm > clusters.saturating_mul(hi)
        {
            return Err(SimError::parameter(
                "participants_per_arm",
                format!(
                    "{} cannot be split into {clusters} clusters of {lo}–{hi}",
                    self.participants_per_arm
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{OutcomeIcc, SimParams};

    /// The doc comment of each field of `pub struct NAME` in this file, by field name.
    fn field_docs(name: &str) -> Vec<(String, String)> {
        let src = include_str!("params.rs");
        let start = src.find(&format!("pub struct {name} {{")).unwrap();
        let body = &src[start..start + src[start..].find("\n}").unwrap()];
        let mut out = Vec::new();
        let mut doc = String::new();
        for line in body.lines().skip(1) {
            let line = line.trim();
            if let Some(d) = line.strip_prefix("///") {
                doc.push_str(d);
                doc.push(' ');
            } else if let Some(f) = line.strip_prefix("pub ") {
                let field = f.split(':').next().unwrap().to_owned();
                out.push((field, std::mem::take(&mut doc)));
            }
        }
        out
    }

    /// The numbers of a default value, as a doc writes them (`138`, `0.492`, `0.25` for −0.25).
    fn numbers(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Number(n) => {
                let x = n.as_f64().unwrap().abs();
                out.push(format!("{x}").trim_end_matches(".0").to_owned());
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| numbers(x, out)),
            serde_json::Value::Object(o) => o.values().for_each(|x| numbers(x, out)),
            _ => {}
        }
    }

    fn check(name: &str, defaults: serde_json::Value, nested: &[&str]) {
        let docs = field_docs(name);
        let obj = defaults.as_object().unwrap();
        assert_eq!(docs.len(), obj.len(), "{name}: every field is documented");
        for (field, doc) in &docs {
            if nested.contains(&field.as_str()) {
                continue; // documented on its own type
            }
            let value = &obj[field.as_str()];
            let mut want = Vec::new();
            numbers(value, &mut want);
            if value.is_null() {
                want.push("`None`".into());
            }
            assert!(!want.is_empty(), "{name}.{field}: no default to state");
            for w in want {
                assert!(
                    doc.contains("Default") && doc.contains(&w),
                    "{name}.{field}: its doc does not state the default {w}: {doc}"
                );
            }
        }
    }

    #[test]
    fn every_fields_doc_states_its_default() {
        check(
            "SimParams",
            serde_json::to_value(SimParams::default()).unwrap(),
            &["icc_outcomes"],
        );
        check(
            "OutcomeIcc",
            serde_json::to_value(OutcomeIcc::default()).unwrap(),
            &[],
        );
    }
}
