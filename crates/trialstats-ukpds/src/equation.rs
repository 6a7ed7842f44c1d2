//! The UKPDS 56 and UKPDS 60 equations.

use serde::{Deserialize, Serialize};

use crate::error::UkpdsError;
use crate::profile::{Profile, finite};

/// Which equation.
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
