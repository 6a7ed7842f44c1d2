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
/// assert_eq!((p.icc, p.arm_effect_mmas8_or), (0.05, 4.0));
/// // A trial with an effect on HbA1c of −0.3 %, every other parameter at its default.
/// let effect = SimParams { arm_effect_clinical: (-0.3, 0.0, 0.0, 0.0), ..SimParams::default() };
/// assert!(effect.check().is_ok());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimParams {
    /// Health regions (strata). Default 3.
    pub regions: usize,
    /// Clusters (communities) per arm per region. Default 4 (24 clusters).
    pub clusters_per_arm_per_region: usize,
    /// Participants per arm at baseline. Default 120 (Cochrane extraction of the paper).
    pub participants_per_arm: usize,
    /// Smallest and largest cluster size *(choice: 5–15 around the mean of 10)*.
    pub cluster_size_range: (usize, usize),
    /// Proportion female. Default 0.492 (50.8 % male).
    pub female: f64,
    /// Age at baseline: mean and SD (years), truncated to the eligibility range 25–75. Default
    /// mean 62.8 *(calibrated: with the truncation and the attrition the median sample mean over
    /// 200 trials is the published 60.9)*, SD 8.5 *(choice)*.
    pub age: (f64, f64),
    /// Duration of diabetes: median (years) in usual care and intervention, and the SD of its
    /// log. Default medians 7 and 9 (published), sdlog 0.75 *(choice)*; at least 1.1 years
    /// (NDSS-registered for more than 12 months).
    pub duration_median: (f64, f64),
    /// SD of ln(duration).
    pub duration_sdlog: f64,
    /// HbA1c (%): the share above 8 % and the mean excess above 8 % of that exponential tail, and
    /// the mean and SD of the normal body below 8 %. Default tail share 0.19 and mean excess 0.76
    /// (published: 39/206 above 8 %, 23/206 at or above 8.5 %), body N(6.85, 0.55) *(choice:
    /// median about 7 %)*.
    pub hba1c_tail: (f64, f64),
    /// Normal body of HbA1c below 8 %: mean, SD.
    pub hba1c_body: (f64, f64),
    /// SBP (mmHg): mean in men, SD, and how much lower in women *(choice)*.
    pub sbp: (f64, f64, f64),
    /// TC/HDL ratio: median in men, SD of its log, and the log-ratio lower in women. Default 4.2,
    /// 0.33, 0.30 *(calibrated to the published UKPDS risk by sex: medians over 200 trials men
    /// 11.5 % (SD 7.3), women 4.1 % (SD 2.85); published 11.5 (7.5) and 4.2 (2.8))*.
    pub tc_hdl: (f64, f64, f64),
    /// Current smokers *(choice)*.
    pub smoker: f64,
    /// Afro-Caribbean ethnicity (a UKPDS input) *(choice)*.
    pub afro_caribbean: f64,
    /// Atrial fibrillation (UKPDS 60 input) *(choice)*.
    pub atrial_fibrillation: f64,
    /// ICC of the 12-month changes *(choice; the authors assumed it negligible)*.
    pub icc: f64,
    /// ICC of the 12-month change in adherence (the MMAS-8 latent scale), relative to its
    /// individual noise. Default 0.65 *(calibrated, and a choice made in the open: the paper
    /// plan's multilevel ordered logit of the MMAS-8 change category gives an interval about half
    /// as wide as the published 0.9–7.0 unless the communities differ this much in how adherence
    /// changed; with 0.65 the median interval over 200 trials is about 0.9–6.2)*.
    pub icc_adherence: f64,
    /// Common 12-month change, both arms: HbA1c (%), SBP (mmHg), TC (mmol/L), weight (kg)
    /// *(choice: "small improvements")*.
    pub common_change: (f64, f64, f64, f64),
    /// Intervention effect on the 12-month values of HbA1c (%), SBP (mmHg), TC (mmol/L) and weight
    /// (kg). Default all 0 (the published null effect on risk).
    pub arm_effect_clinical: (f64, f64, f64, f64),
    /// Correlation of a clinical measure's 12-month value with its baseline *(choice, tuned so
    /// the UKPDS difference has the published CI half-width of about 0.011)*.
    pub stability: f64,
    /// Intervention effect on 12-month SDSCA days: fruit and vegetables, specific exercise,
    /// blood-glucose testing *(choice: sized for the published p of < 0.01, 0.03 and 0.02)*.
    pub arm_effect_sdsca_days: (f64, f64, f64),
    /// Intervention odds ratio of adherence improving on the MMAS-8 latent scale. Default 4.0
    /// *(calibrated: the odds ratio of the change category that the paper's model estimates is
    /// attenuated by the categories and the community effect; with 4.0 its median over 200
    /// trials is 2.3, published 2.5)*.
    pub arm_effect_mmas8_or: f64,
    /// Increase in the share active more than 3 times a week, usual care and intervention
    /// *(published 9.1 % and 15.4 %)*.
    pub physical_activity_increase: (f64, f64),
    /// Intervention effect on availability and satisfaction with health-team support (1–5 scale).
    /// Default 0.30 and 0.40 *(calibrated: median p over 200 trials 0.011 and 0.003, published
    /// 0.01 and < 0.01)*.
    pub arm_effect_support: (f64, f64),
    /// Probability of no 12-month data, usual care and intervention (MAR: higher with higher
    /// baseline HbA1c) *(derived: 108/120 and 98/120)*.
    pub dropout: (f64, f64),
    /// Probability that one survey item is left unanswered *(choice)*.
    pub item_nonresponse: f64,
}

impl Default for SimParams {
    fn default() -> Self {
        Self {
            regions: 3,
            clusters_per_arm_per_region: 4,
            participants_per_arm: 120,
            cluster_size_range: (5, 15),
            female: 0.492,
            age: (62.8, 8.5),
            duration_median: (7.0, 9.0),
            duration_sdlog: 0.75,
            hba1c_tail: (0.19, 0.76),
            hba1c_body: (6.85, 0.55),
            sbp: (138.0, 15.0, 4.0),
            tc_hdl: (4.2, 0.33, 0.30),
            smoker: 0.10,
            afro_caribbean: 0.01,
            atrial_fibrillation: 0.05,
            icc: 0.05,
            icc_adherence: 0.65,
            common_change: (-0.25, -4.0, -0.2, -0.5),
            arm_effect_clinical: (0.0, 0.0, 0.0, 0.0),
            stability: 0.55,
            arm_effect_sdsca_days: (1.0, 0.75, 0.85),
            arm_effect_mmas8_or: 4.0,
            physical_activity_increase: (0.091, 0.154),
            arm_effect_support: (0.30, 0.4),
            dropout: (0.09, 0.17),
            item_nonresponse: 0.005,
        }
    }
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
        prob("female", self.female)?;
        prob("smoker", self.smoker)?;
        prob("afro_caribbean", self.afro_caribbean)?;
        prob("atrial_fibrillation", self.atrial_fibrillation)?;
        prob("hba1c_tail share", self.hba1c_tail.0)?;
        prob("icc", self.icc)?;
        prob("dropout (usual care)", self.dropout.0)?;
        prob("dropout (intervention)", self.dropout.1)?;
        prob("item_nonresponse", self.item_nonresponse)?;
        prob("stability", self.stability)?;
        prob("icc_adherence", self.icc_adherence)?;
        for (name, v) in [("icc", self.icc), ("icc_adherence", self.icc_adherence)] {
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
