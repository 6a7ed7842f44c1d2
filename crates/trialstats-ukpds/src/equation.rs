//! The UKPDS 56 and UKPDS 60 equations.

use serde::{Deserialize, Serialize};

use crate::error::UkpdsError;
use crate::profile::{Profile, finite};

/// Which equation.
///
/// # Examples
/// ```
/// use trialstats_ukpds::{Equation, ProfileBuilder};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // Spec §3 worked example: a man diagnosed at 55, D = 12, SBP 147, TC 5.65 / HDL 1.11.
/// let b = ProfileBuilder {
///     age_at_diagnosis: 55.0,
///     duration: 12.0,
///     hba1c: 7.0,
///     sbp: 147.0,
///     ..Default::default()
/// };
/// let p = b.cholesterol(5.65, 1.11)?.build()?;
/// // Reference: 5-year stroke risk 0.06927 (published 6.9 %).
/// assert!((Equation::Stroke.risk(&p, 5.0)?.risk - 0.06927).abs() < 5e-6);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Equation {
    /// UKPDS 56: first fatal or non-fatal coronary heart disease (Stevens et al. 2001).
    ///
    /// ```text
    /// q = 0.0112 · 1.059^(AGE−55) · 0.525^FEMALE · 0.390^AC · 1.350^SMOK
    ///            · 1.183^(HbA1c−6.72) · 1.088^((SBP−135.7)/10) · 3.845^(ln(TC/HDL)−1.59)
    /// d = 1.078
    /// ```
    Chd,
    /// UKPDS 60: first fatal or non-fatal stroke (Kothari et al. 2002).
    ///
    /// ```text
    /// q = 0.00186 · 1.092^(AGE−55) · 0.700^FEMALE · 1.547^SMOK · 8.554^AF
    ///             · 1.122^((SBP−135.5)/10) · 1.138^(TC/HDL − 5.11)
    /// d = 1.145
    /// ```
    Stroke,
}

/// UKPDS 56 risk ratios (Stevens et al. 2001, Table 2; the normative product form).
///
/// # Examples
/// ```
/// use trialstats_ukpds::equation::ukpds56;
/// // Spec §2, the risk-ratio table.
/// assert_eq!((ukpds56::Q0, ukpds56::AGE, ukpds56::D), (0.0112, 1.059, 1.078));
/// ```
pub mod ukpds56 {
    /// Intercept q₀.
    pub const Q0: f64 = 0.0112;
    /// Per year of age at diagnosis, centred at 55.
    pub const AGE: f64 = 1.059;
    /// Female.
    pub const FEMALE: f64 = 0.525;
    /// Afro-Caribbean ethnicity.
    pub const AFRO_CARIBBEAN: f64 = 0.390;
    /// Current smoker.
    pub const SMOKER: f64 = 1.350;
    /// Per 1 %-point HbA1c, centred at 6.72.
    pub const HBA1C: f64 = 1.183;
    /// Per 10 mmHg SBP, centred at 135.7.
    pub const SBP: f64 = 1.088;
    /// Per unit of ln(TC/HDL), centred at 1.59.
    pub const LN_TC_HDL: f64 = 3.845;
    /// Per year of diabetes duration.
    pub const D: f64 = 1.078;
}

/// UKPDS 60 risk ratios (Kothari et al. 2002, Table 3).
///
/// # Examples
/// ```
/// use trialstats_ukpds::equation::ukpds60;
/// // Spec §3: 1.092 is the age-at-diagnosis ratio and 1.145 the duration factor d.
/// assert_eq!((ukpds60::Q0, ukpds60::AGE, ukpds60::D), (0.00186, 1.092, 1.145));
/// ```
pub mod ukpds60 {
    /// Intercept q₀.
    pub const Q0: f64 = 0.00186;
    /// Per year of age at diagnosis, centred at 55.
    pub const AGE: f64 = 1.092;
    /// Female.
    pub const FEMALE: f64 = 0.700;
    /// Current smoker.
    pub const SMOKER: f64 = 1.547;
    /// Atrial fibrillation.
    pub const AF: f64 = 8.554;
    /// Per 10 mmHg SBP, centred at 135.5.
    pub const SBP: f64 = 1.122;
    /// Per unit of TC/HDL (untransformed), centred at 5.11.
    pub const TC_HDL: f64 = 1.138;
    /// Per year of diabetes duration.
    pub const D: f64 = 1.145;
}

/// A risk with what produced it.
///
/// # Examples
/// ```
/// use trialstats_ukpds::{Equation, ProfileBuilder};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // Spec §3 worked example as a smoker: reference q 0.002118 for the non-smoker, 5-year
/// // stroke risk 0.10511 for the smoker (published 10.5 %).
/// let b = ProfileBuilder {
///     age_at_diagnosis: 55.0,
///     duration: 12.0,
///     hba1c: 7.0,
///     sbp: 147.0,
///     smoker: 1.0,
///     ..Default::default()
/// };
/// let r = Equation::Stroke.risk(&b.cholesterol(5.65, 1.11)?.build()?, 5.0)?;
/// assert_eq!((r.equation, r.horizon), (Equation::Stroke, 5.0));
/// assert!((r.q / 1.547 - 0.002118).abs() < 5e-7); // 1.547 = the smoking risk ratio
/// assert!((r.risk - 0.10511).abs() < 5e-6 && r.warnings.is_empty());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Risk {
    /// The equation.
    pub equation: Equation,
    /// The horizon T (years).
    pub horizon: f64,
    /// The covariate factor q.
    pub q: f64,
    /// The probability of a first event within T years, in [0, 1].
    pub risk: f64,
    /// Extrapolation warnings from the profile.
    pub warnings: Vec<String>,
}

fn b(x: bool) -> f64 {
    f64::from(u8::from(x))
}

impl Equation {
    /// The covariate factor q (the hazard at diagnosis).
    ///
    /// # Examples
    /// ```
    /// use trialstats_ukpds::{Equation, ProfileBuilder};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // At the centring values q = q₀ = 0.0112 (spec §2; tests/reference.rs).
    /// let centre = ProfileBuilder {
    ///     age_at_diagnosis: 55.0,
    ///     hba1c: 6.72,
    ///     sbp: 135.7,
    ///     tc_hdl: 1.59f64.exp(),
    ///     ..ProfileBuilder::default()
    /// };
    /// assert!((Equation::Chd.q(&centre.build()?) - 0.0112).abs() < 1e-15);
    /// # Ok(()) }
    /// ```
    pub fn q(&self, p: &Profile) -> f64 {
        match self {
            Equation::Chd => {
                use ukpds56::*;
                Q0 * AGE.powf(p.age_at_diagnosis - 55.0)
                    * FEMALE.powf(b(p.female))
                    * AFRO_CARIBBEAN.powf(b(p.afro_caribbean))
                    * SMOKER.powf(b(p.smoker))
                    * HBA1C.powf(p.hba1c.percent_value() - 6.72)
                    * SBP.powf((p.sbp - 135.7) / 10.0)
                    * LN_TC_HDL.powf(p.tc_hdl.ln() - 1.59)
            }
            Equation::Stroke => {
                use ukpds60::*;
                Q0 * AGE.powf(p.age_at_diagnosis - 55.0)
                    * FEMALE.powf(b(p.female))
                    * SMOKER.powf(b(p.smoker))
                    * AF.powf(b(p.atrial_fibrillation))
                    * SBP.powf((p.sbp - 135.5) / 10.0)
                    * TC_HDL.powf(p.tc_hdl - 5.11)
            }
        }
    }

    /// The duration factor d.
    ///
    /// # Examples
    /// ```
    /// use trialstats_ukpds::Equation;
    /// // Spec §2 and §3.
    /// assert_eq!(Equation::Chd.d(), 1.078);
    /// assert_eq!(Equation::Stroke.d(), 1.145);
    /// ```
    pub fn d(&self) -> f64 {
        match self {
            Equation::Chd => ukpds56::D,
            Equation::Stroke => ukpds60::D,
        }
    }

    /// The risk of a first event within `horizon` years.
    ///
    /// # Formula
    /// ```text
    /// H = q · exp(D ln d) · expm1(T ln d)/(d − 1),   R = −expm1(−H)
    /// ```
    ///
    /// # Errors
    /// [`UkpdsError::OutOfRange`] unless 0 < T ≤ 50; [`UkpdsError::NonFinite`].
    ///
    /// # Examples
    /// ```
    /// use trialstats_ukpds::{Equation, ProfileBuilder};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // Spec §2 worked example; reference q = 0.008826, R(20) = 0.3263 (published 0.00883, 33 %).
    /// let b = ProfileBuilder {
    ///     age_at_diagnosis: 45.0,
    ///     hba1c: 7.5,
    ///     sbp: 160.0,
    ///     tc_hdl: 4.9,
    ///     ..Default::default()
    /// };
    /// let r = Equation::Chd.risk(&b.build()?, 20.0)?;
    /// assert!((r.q - 0.008826).abs() < 5e-7);
    /// assert!((r.risk - 0.3263).abs() < 5e-5);
    /// assert!(Equation::Chd.risk(&b.build()?, 51.0).is_err()); // horizon beyond 50 years
    /// # Ok(()) }
    /// ```
    pub fn risk(&self, p: &Profile, horizon: f64) -> Result<Risk, UkpdsError> {
        let t = finite("horizon", horizon)?;
        if !(t > 0.0 && t <= 50.0) {
            return Err(UkpdsError::OutOfRange {
                field: "horizon",
                value: t,
                expected: "0 < T ≤ 50 years",
            });
        }
        let q = self.q(p);
        let ln_d = self.d().ln();
        let h = q * (p.duration * ln_d).exp() * (t * ln_d).exp_m1() / (self.d() - 1.0);
        Ok(Risk {
            equation: *self,
            horizon: t,
            q,
            risk: -(-h).exp_m1(),
            warnings: p.warnings.clone(),
        })
    }
}
