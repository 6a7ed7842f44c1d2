//! The revised Summary of Diabetes Self-Care Activities (SDSCA, 11 items + cigarettes per day).
//!
//! # Items and scoring
//! Items 1–10 are days in the last 7 (0–7): 1–2 general diet, 3–4 specific diet (3 fruit and
//! vegetables; 4 high-fat foods, **reversed**), 5–6 exercise, 7–8 blood-glucose testing, 9–10
//! foot care. Item 11: smoked in the past 7 days (0 no, 1 yes); item 12: cigarettes per day.
//! ```text
//! scale = mean days of its two items, item 4 entering as 7 − days
//! ```
//! The raw items are kept too: Toobert et al. recommend analysing the weakly correlated
//! specific-diet items separately, and trials report single items (days of ≥ 5 serves of fruit
//! and vegetables, of a specific exercise session, of blood-sugar testing). Item 12 > 0 with
//! item 11 = 0 is inconsistent and flagged in the result's warnings (not corrected).
//!
//! # Missing items
//! No official rule: a two-item scale with an item missing is missing (complete case); no
//! prorating policy is accepted.
//!
//! # Reference
//! Toobert DJ, Hampson SE, Glasgow RE. The Summary of Diabetes Self-Care Activities measure:
//! results from 7 studies and a revised scale. Diabetes Care 2000;23:943–50,
//! doi:10.2337/diacare.23.7.943 (scoring in the appendix). Free to use with citation. The
//! reversal rule for item 4 is from that appendix (single source).

use serde::{Deserialize, Serialize};

use crate::answer::{MissingPolicy, check_code, check_count, parse_code};
use crate::error::ScoreError;
use crate::{Cell, Instrument};

const NAME: &str = "SDSCA";
const DAYS: &str = "0 to 7 days";

/// One respondent's answers (`None` = missing).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct SdscaResponse {
    /// Items 1–10, days 0–7.
    pub days: [Option<u8>; 10],
    /// Item 11: smoked in the past 7 days.
    pub smoked: Option<bool>,
    /// Item 12: cigarettes per average day (≥ 0).
    pub cigarettes: Option<f64>,
}

impl SdscaResponse {
    /// From numeric answers: items 1–10 (days), 11 (0/1) and 12 (count) — 12 values.
    ///
    /// # Errors
    /// [`ScoreError::WrongItemCount`]; the item and value of an answer out of range or not whole.
    ///
    /// # Examples
    /// ```
    /// use trialstats_instruments::SdscaResponse;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut codes = [7.0, 5.0, 3.0, 2.0, 1.0, 0.0, 7.0, 7.0, 4.0, 2.0, 1.0, 10.0].map(Some);
    /// let r = SdscaResponse::from_codes(&codes)?;
    /// assert_eq!((r.days[0], r.smoked, r.cigarettes), (Some(7), Some(true), Some(10.0)));
    /// codes[5] = Some(8.0); // 8 days in the last 7
    /// let e = SdscaResponse::from_codes(&codes).unwrap_err();
    /// assert_eq!(
    ///     e.to_string(),
    ///     "SDSCA item 6: \"8\" is not an allowed answer (allowed: 0 to 7 days)"
    /// );
    /// # Ok(()) }
    /// ```
    pub fn from_codes(codes: &[Option<f64>]) -> Result<Self, ScoreError> {
        check_count(NAME, 12, codes.len())?;
        let mut r = SdscaResponse::default();
        for (i, c) in codes.iter().enumerate().take(10) {
            if let Some(v) = *c {
                r.days[i] = Some(check_code(NAME, &|| item_label(i), v, 0, 7, DAYS)?);
            }
        }
        if let Some(v) = codes[10] {
            r.smoked =
                Some(check_code(NAME, &|| item_label(10), v, 0, 1, "0 (no) or 1 (yes)")? == 1);
        }
        if let Some(v) = codes[11] {
            r.cigarettes = Some(check_cigarettes(v)?);
        }
        Ok(r)
    }
}

fn item_label(i: usize) -> String {
    format!("item {}", i + 1)
}

fn check_cigarettes(v: f64) -> Result<f64, ScoreError> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(ScoreError::OutOfRange {
            instrument: NAME,
            item: "item 12".into(),
            value: format!("{v}"),
            allowed: "a count of cigarettes per day, 0 or more",
        })
    }
}

/// SDSCA scores: scale means (days per week) and the raw items.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SdscaScore {
    /// Mean of items 1 and 2.
    pub general_diet: Option<f64>,
    /// Mean of item 3 and 7 − item 4.
    pub specific_diet: Option<f64>,
    /// Mean of items 5 and 6.
    pub exercise: Option<f64>,
    /// Mean of items 7 and 8.
    pub blood_glucose_testing: Option<f64>,
    /// Mean of items 9 and 10.
    pub foot_care: Option<f64>,
    /// Items 1–10 as answered (item 4 not reversed).
    pub items: [Option<u8>; 10],
    /// Item 11.
    pub smoked: Option<bool>,
    /// Item 12.
    pub cigarettes: Option<f64>,
    /// Inconsistencies found (reported, not corrected).
    pub warnings: Vec<String>,
}

/// The SDSCA scorer. Input columns `sdsca1`…`sdsca12`.
///
/// # Examples
/// ```
/// use trialstats_instruments::{Instrument, MissingPolicy, Sdsca};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let row = ["7", "5", "3", "2", "1", "0", "7", "7", "4", "2", "0", "0"].map(Some);
/// let s = Sdsca::default().score_answers(&row)?;
/// assert_eq!((s.general_diet, s.exercise), (Some(6.0), Some(0.5))); // (7+5)/2, (1+0)/2
/// // No prorating rule exists for the SDSCA.
/// let prorate = Sdsca { policy: MissingPolicy::HalfRule };
/// assert!(prorate.score_answers(&row).is_err());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sdsca {
    /// Missing-item policy: only [`MissingPolicy::Reject`].
    pub policy: MissingPolicy,
}

impl Sdsca {
    /// Scores a response under the default policy.
    ///
    /// # Examples
    /// ```
    /// use trialstats_instruments::{Sdsca, SdscaResponse};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // Toobert 2000 rules (tests/scales.rs): item 4 is reversed, specific diet = (3 + (7 − 2))/2.
    /// let codes = [7.0, 5.0, 3.0, 2.0, 1.0, 0.0, 7.0, 7.0, 4.0, 2.0, 0.0, 0.0].map(Some);
    /// let s = Sdsca::score_response(&SdscaResponse::from_codes(&codes)?);
    /// assert_eq!((s.specific_diet, s.blood_glucose_testing), (Some(4.0), Some(7.0)));
    /// assert_eq!((s.foot_care, s.items[3]), (Some(3.0), Some(2)));
    /// assert!(s.warnings.is_empty());
    /// # Ok(()) }
    /// ```
    pub fn score_response(r: &SdscaResponse) -> SdscaScore {
        let d = |i: usize| r.days[i].map(f64::from);
        let pair = |a: Option<f64>, b: Option<f64>| Some((a? + b?) / 2.0);
        let mut warnings = Vec::new();
        if r.smoked == Some(false) && r.cigarettes.is_some_and(|c| c > 0.0) {
            warnings.push(format!(
                "item 12 = {} cigarettes per day but item 11 says no smoking",
                r.cigarettes.unwrap_or(0.0)
            ));
        }
        SdscaScore {
            general_diet: pair(d(0), d(1)),
            specific_diet: pair(d(2), d(3).map(|x| 7.0 - x)),
            exercise: pair(d(4), d(5)),
            blood_glucose_testing: pair(d(6), d(7)),
            foot_care: pair(d(8), d(9)),
            items: r.days,
            smoked: r.smoked,
            cigarettes: r.cigarettes,
            warnings,
        }
    }
}

impl Instrument for Sdsca {
    type Response = SdscaResponse;
    type Score = SdscaScore;

    fn name(&self) -> &'static str {
        NAME
    }

    fn columns(&self) -> Vec<String> {
        (1..=12).map(|i| format!("sdsca{i}")).collect()
    }

    fn parse(&self, answers: &[Option<&str>]) -> Result<SdscaResponse, ScoreError> {
        check_count(NAME, 12, answers.len())?;
        let mut r = SdscaResponse::default();
        for (i, a) in answers.iter().enumerate().take(10) {
            r.days[i] = parse_code(NAME, &|| item_label(i), *a, 0, 7, DAYS)?;
        }
        r.smoked = parse_code(
            NAME,
            &|| item_label(10),
            answers[10],
            0,
            1,
            "0 (no) or 1 (yes)",
        )?
        .map(|c| c == 1);
        r.cigarettes = match answers[11] {
            None => None,
            Some(t) => match t.parse::<f64>() {
                Ok(v) => Some(check_cigarettes(v)?),
                Err(_) => {
                    return Err(ScoreError::OutOfRange {
                        instrument: NAME,
                        item: "item 12".into(),
                        value: t.to_string(),
                        allowed: "a count of cigarettes per day, 0 or more",
                    });
                }
            },
        };
        Ok(r)
    }

    fn score(&self, response: &SdscaResponse) -> Result<SdscaScore, ScoreError> {
        self.policy.require_reject(NAME)?;
        Ok(Self::score_response(response))
    }

    fn output_columns(&self) -> Vec<&'static str> {
        vec![
            "sdsca_general_diet",
            "sdsca_specific_diet",
            "sdsca_exercise",
            "sdsca_blood_glucose_testing",
            "sdsca_foot_care",
            "sdsca_warning",
        ]
    }

    fn output(&self, s: &SdscaScore) -> Vec<Option<Cell>> {
        let mut out: Vec<Option<Cell>> = [
            s.general_diet,
            s.specific_diet,
            s.exercise,
            s.blood_glucose_testing,
            s.foot_care,
        ]
        .iter()
        .map(|x| x.map(Cell::Number))
        .collect();
        out.push((!s.warnings.is_empty()).then(|| Cell::Text(s.warnings.join("; "))));
        out
    }
}
