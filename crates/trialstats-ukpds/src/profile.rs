//! Typed, validated clinical inputs.

use serde::{Deserialize, Serialize};

use crate::error::UkpdsError;

/// HbA1c as a percentage (NGSP/DCCT-aligned).
///
/// # Examples
/// ```
/// use trialstats_ukpds::Hba1c;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// assert_eq!(Hba1c::percent(7.5)?.percent_value(), 7.5);
/// // IFCC 53 mmol/mol = 0.09148 · 53 + 2.152 = 7.00044 % (spec §6; tests/reference.rs).
/// assert!((Hba1c::mmol_per_mol(53.0)?.percent_value() - 7.00044).abs() < 1e-12);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Hba1c(f64);

impl Hba1c {
    /// From a percentage (NGSP/DCCT), 2 ≤ x ≤ 25.
    ///
    /// # Errors
    /// [`UkpdsError::NonFinite`]; [`UkpdsError::OutOfRange`] (a value such as 53 is an IFCC
    /// mmol/mol value entered as a percentage).
    ///
    /// # Examples
    /// ```
    /// use trialstats_ukpds::{Hba1c, UkpdsError};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// assert_eq!(Hba1c::percent(6.72)?.percent_value(), 6.72);
    /// // 53 is a mmol/mol value typed as a percentage: rejected, never clamped (spec §6).
    /// assert!(matches!(
    ///     Hba1c::percent(53.0),
    ///     Err(UkpdsError::OutOfRange { field: "hba1c", .. })
    /// ));
    /// # Ok(()) }
    /// ```
    pub fn percent(x: f64) -> Result<Self, UkpdsError> {
        finite("hba1c", x)?;
        if !(2.0..=25.0).contains(&x) {
            return Err(UkpdsError::OutOfRange {
                field: "hba1c",
                value: x,
                expected: "2 to 25 % (NGSP); use Hba1c::mmol_per_mol for IFCC values",
            });
        }
        Ok(Self(x))
    }

    /// From IFCC mmol/mol: % = 0.09148 · mmol/mol + 2.152 (the IFCC–NGSP master equation).
    ///
    /// # Errors
    /// [`UkpdsError::NonFinite`]; [`UkpdsError::OutOfRange`] for a value whose percentage would
    /// be outside 2–25 %, quoted in mmol/mol.
    ///
    /// # Examples
    /// ```
    /// use trialstats_ukpds::Hba1c;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // 53 mmol/mol is 7.00044 % (spec §6: % = 0.09148 · mmol/mol + 2.152; tests/reference.rs).
    /// let h = Hba1c::mmol_per_mol(53.0)?;
    /// assert!((h.percent_value() - 7.00044).abs() < 1e-12);
    /// assert!(Hba1c::mmol_per_mol(f64::NAN).is_err());
    /// // Out of range: the message names the value in mmol/mol, as given.
    /// let e = Hba1c::mmol_per_mol(300.0).unwrap_err().to_string();
    /// assert!(e.contains("300") && e.contains("mmol/mol"), "{e}");
    /// # Ok(()) }
    /// ```
    pub fn mmol_per_mol(x: f64) -> Result<Self, UkpdsError> {
        finite("hba1c", x)?;
        let percent = 0.09148 * x + 2.152;
        if !(2.0..=25.0).contains(&percent) {
            // The message quotes the value as given, in its unit.
            return Err(UkpdsError::OutOfRange {
                field: "hba1c (mmol/mol)",
                value: x,
                expected: "0 to 249 mmol/mol (IFCC; 2 to 25 % NGSP)",
            });
        }
        Ok(Self(percent))
    }

    /// The value in %.
    pub fn percent_value(&self) -> f64 {
        self.0
    }
}

/// A person's risk factors, validated once (spec §6 of the project).
///
/// Hard limits reject impossible values and unit mistakes; values outside the UKPDS derivation
/// ranges are accepted with a warning (extrapolation).
///
/// # Examples
/// ```
/// use trialstats_ukpds::ProfileBuilder;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // Diagnosed at 18: outside the UKPDS derivation range 25–65 (spec §6), so computed with a
/// // warning rather than rejected.
/// let p = ProfileBuilder {
///     age_at_diagnosis: 18.0,
///     hba1c: 7.5,
///     sbp: 160.0,
///     tc_hdl: 4.9,
///     ..ProfileBuilder::default()
/// }
/// .build()?;
/// assert!(!p.female && p.duration == 0.0);
/// assert_eq!(p.warnings.len(), 1);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Age at diagnosis of diabetes (years), 0 < x ≤ 110.
    pub age_at_diagnosis: f64,
    /// Years since diagnosis, 0 ≤ D ≤ 80, with age at diagnosis + D ≤ 120.
    pub duration: f64,
    /// Female sex.
    pub female: bool,
    /// Afro-Caribbean ethnicity (UKPDS 56 only).
    pub afro_caribbean: bool,
    /// Current smoker (ex-smokers are non-smokers).
    pub smoker: bool,
    /// HbA1c (UKPDS 56 only).
    pub hba1c: Hba1c,
    /// Systolic blood pressure (mmHg), 50 ≤ x ≤ 300.
    pub sbp: f64,
    /// Total/HDL cholesterol ratio (same units), 0 < x ≤ 30.
    pub tc_hdl: f64,
    /// Atrial fibrillation (UKPDS 60 only).
    pub atrial_fibrillation: bool,
    /// Extrapolation warnings (values outside the derivation ranges).
    pub warnings: Vec<String>,
}

/// Builds a [`Profile`] from raw numbers (flags as 0/1), checking every field.
///
/// # Examples
/// ```
/// use trialstats_ukpds::{Equation, ProfileBuilder};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // The UKPDS 56 worked example (spec §2): a white man diagnosed at 45, D = 0, non-smoker,
/// // HbA1c 7.5 %, SBP 160 mmHg, TC/HDL 4.9.
/// let man = ProfileBuilder {
///     age_at_diagnosis: 45.0,
///     hba1c: 7.5,
///     sbp: 160.0,
///     tc_hdl: 4.9,
///     ..ProfileBuilder::default()
/// }
/// .build()?;
/// // Reference value: 20-year CHD risk 0.3263 (published: 33 %).
/// assert!((Equation::Chd.risk(&man, 20.0)?.risk - 0.3263).abs() < 5e-5);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ProfileBuilder {
    /// Age at diagnosis (years).
    pub age_at_diagnosis: f64,
    /// Years since diagnosis.
    pub duration: f64,
    /// 1 = female, 0 = male.
    pub female: f64,
    /// 1 = Afro-Caribbean, 0 = other.
    pub afro_caribbean: f64,
    /// 1 = current smoker, 0 = not.
    pub smoker: f64,
    /// HbA1c (%, NGSP).
    pub hba1c: f64,
    /// SBP (mmHg).
    pub sbp: f64,
    /// TC/HDL ratio.
    pub tc_hdl: f64,
    /// 1 = atrial fibrillation, 0 = none.
    pub atrial_fibrillation: f64,
}

impl ProfileBuilder {
    /// Sets the lipid ratio from total and HDL cholesterol in the same unit (mmol/L or mg/dL).
    ///
    /// # Errors
    /// [`UkpdsError::NonFinite`]; [`UkpdsError::OutOfRange`] unless both are positive.
    ///
    /// # Examples
    /// ```
    /// use trialstats_ukpds::{Equation, ProfileBuilder};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // The UKPDS 60 worked example (spec §3): TC 5.65 / HDL 1.11 mmol/L.
    /// let b = ProfileBuilder {
    ///     age_at_diagnosis: 55.0,
    ///     duration: 12.0,
    ///     hba1c: 7.0,
    ///     sbp: 147.0,
    ///     ..ProfileBuilder::default()
    /// }
    /// .cholesterol(5.65, 1.11)?;
    /// assert_eq!(b.tc_hdl, 5.65 / 1.11);
    /// // Reference value: 5-year stroke risk 0.06927 (published: 6.9 %).
    /// assert!((Equation::Stroke.risk(&b.build()?, 5.0)?.risk - 0.06927).abs() < 5e-6);
    /// assert!(b.cholesterol(5.65, 0.0).is_err());
    /// # Ok(()) }
    /// ```
    pub fn cholesterol(mut self, total: f64, hdl: f64) -> Result<Self, UkpdsError> {
        for (field, v) in [("total_cholesterol", total), ("hdl_cholesterol", hdl)] {
            finite(field, v)?;
            if v <= 0.0 {
                return Err(UkpdsError::OutOfRange {
                    field,
                    value: v,
                    expected: "a positive concentration",
                });
            }
        }
        self.tc_hdl = total / hdl;
        Ok(self)
    }

    /// Validates and builds the profile.
    ///
    /// # Errors
    /// [`UkpdsError::NonFinite`], [`UkpdsError::OutOfRange`] or [`UkpdsError::NotBinary`] naming
    /// the first field that fails.
    ///
    /// # Examples
    /// ```
    /// use trialstats_ukpds::ProfileBuilder;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let ok = ProfileBuilder {
    ///     age_at_diagnosis: 45.0,
    ///     hba1c: 7.5,
    ///     sbp: 160.0,
    ///     tc_hdl: 4.9,
    ///     ..ProfileBuilder::default()
    /// };
    /// assert_eq!(ok.build()?.sbp, 160.0);
    /// // Rejections named by field and value (spec §6; tests/reference.rs).
    /// let e = ProfileBuilder { hba1c: 53.0, ..ok }.build().unwrap_err();
    /// assert!(e.to_string().starts_with("`hba1c` = 53 is impossible or in the wrong unit"));
    /// let e = ProfileBuilder { smoker: 2.0, ..ok }.build().unwrap_err();
    /// assert_eq!(e.to_string(), "`smoker` = 2 must be 0 or 1");
    /// # Ok(()) }
    /// ```
    pub fn build(&self) -> Result<Profile, UkpdsError> {
        let age = finite("age_at_diagnosis", self.age_at_diagnosis)?;
        if !(age > 0.0 && age <= 110.0) {
            return Err(UkpdsError::OutOfRange {
                field: "age_at_diagnosis",
                value: age,
                expected: "0 < age ≤ 110 years",
            });
        }
        let dur = finite("duration", self.duration)?;
        if !(0.0..=80.0).contains(&dur) {
            return Err(UkpdsError::OutOfRange {
                field: "duration",
                value: dur,
                expected: "0 to 80 years since diagnosis",
            });
        }
        if age + dur > 120.0 {
            return Err(UkpdsError::OutOfRange {
                field: "duration",
                value: dur,
                expected: "a current age (age at diagnosis + duration) of at most 120",
            });
        }
        let female = flag("female", self.female)?;
        let afro_caribbean = flag("afro_caribbean", self.afro_caribbean)?;
        let smoker = flag("smoker", self.smoker)?;
        let atrial_fibrillation = flag("af", self.atrial_fibrillation)?;
        let hba1c = Hba1c::percent(self.hba1c)?;
        let sbp = finite("sbp", self.sbp)?;
        if !(50.0..=300.0).contains(&sbp) {
            return Err(UkpdsError::OutOfRange {
                field: "sbp",
                value: sbp,
                expected: "50 to 300 mmHg",
            });
        }
        let tc_hdl = finite("tc_hdl", self.tc_hdl)?;
        if !(tc_hdl > 0.0 && tc_hdl <= 30.0) {
            return Err(UkpdsError::OutOfRange {
                field: "tc_hdl",
                value: tc_hdl,
                expected: "0 < TC/HDL ≤ 30",
            });
        }
        let mut warnings = Vec::new();
        if !(25.0..=65.0).contains(&age) {
            warnings.push(format!(
                "age at diagnosis {age} is outside the UKPDS derivation range 25–65: extrapolation"
            ));
        }
        if dur > 20.0 {
            warnings.push(format!(
                "duration {dur} years is beyond the UKPDS follow-up (about 20 years): extrapolation"
            ));
        }
        Ok(Profile {
            age_at_diagnosis: age,
            duration: dur,
            female,
            afro_caribbean,
            smoker,
            hba1c,
            sbp,
            tc_hdl,
            atrial_fibrillation,
            warnings,
        })
    }
}

impl Profile {
    /// The same person one year later with unchanged risk factors: duration + 1, age at diagnosis
    /// fixed (see the crate docs).
    ///
    /// # Errors
    /// [`UkpdsError::OutOfRange`] if the new duration exceeds the limits.
    ///
    /// # Examples
    /// ```
    /// use trialstats_ukpds::{Equation, ProfileBuilder};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let p0 = ProfileBuilder {
    ///     age_at_diagnosis: 56.0,
    ///     duration: 8.0,
    ///     hba1c: 7.2,
    ///     sbp: 135.0,
    ///     tc_hdl: 4.0,
    ///     ..ProfileBuilder::default()
    /// }
    /// .build()?;
    /// let p1 = p0.one_year_later()?;
    /// assert_eq!((p1.age_at_diagnosis, p1.duration), (56.0, 9.0));
    /// // The 5-year hazard is multiplied by d = 1.078 exactly (spec §1; tests/reference.rs).
    /// let h = |r: f64| -(-r).ln_1p();
    /// let (r0, r1) = (Equation::Chd.risk(&p0, 5.0)?.risk, Equation::Chd.risk(&p1, 5.0)?.risk);
    /// assert!((h(r1) / h(r0) - 1.078).abs() < 1e-12);
    /// # Ok(()) }
    /// ```
    pub fn one_year_later(&self) -> Result<Profile, UkpdsError> {
        ProfileBuilder {
            age_at_diagnosis: self.age_at_diagnosis,
            duration: self.duration + 1.0,
            female: f64::from(u8::from(self.female)),
            afro_caribbean: f64::from(u8::from(self.afro_caribbean)),
            smoker: f64::from(u8::from(self.smoker)),
            hba1c: self.hba1c.percent_value(),
            sbp: self.sbp,
            tc_hdl: self.tc_hdl,
            atrial_fibrillation: f64::from(u8::from(self.atrial_fibrillation)),
        }
        .build()
    }
}

pub(crate) fn finite(field: &'static str, x: f64) -> Result<f64, UkpdsError> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(UkpdsError::NonFinite { field, value: x })
    }
}

fn flag(field: &'static str, x: f64) -> Result<bool, UkpdsError> {
    finite(field, x)?;
    if x == 0.0 {
        Ok(false)
    } else if (x - 1.0).abs() == 0.0 {
        Ok(true)
    } else {
        Err(UkpdsError::NotBinary { field, value: x })
    }
}
