//! PHQ-9, the depression module of the Patient Health Questionnaire, with its PHQ-8 and PHQ-2
//! subsets.
//!
//! # Items and scoring
//! Nine items over the last two weeks, each answered 0 "not at all", 1 "several days", 2 "more
//! than half the days", 3 "nearly every day" ([`Frequency`]): 1 anhedonia, 2 depressed mood,
//! 3 sleep, 4 tiredness, 5 appetite, 6 feeling bad about oneself, 7 concentration, 8 psychomotor
//! change, 9 thoughts of being better off dead or of self-harm. Item 10 (functional difficulty,
//! 0–3) is not part of any score and is reported separately.
//! ```text
//! total = Σ items 1–9 (0–27); PHQ-8 = Σ items 1–8 (0–24); PHQ-2 = items 1 + 2 (0–6)
//! severity (Kroenke 2001): <5 minimal, <10 mild, <15 moderate, <20 moderately severe, else severe
//! ```
//! Screening cut-offs: total ≥ 10 (PHQ-9 and PHQ-8), PHQ-2 ≥ 3. The DSM-IV algorithm (Spitzer
//! 1999): a symptom is present when items 1–8 are ≥ 2 or item 9 is ≥ 1; **major depressive
//! syndrome** when ≥ 5 symptoms are present and item 1 or 2 is ≥ 2; **other depressive syndrome**
//! when 2–4 are present and item 1 or 2 is ≥ 2. The item-9 flag (item 9 ≥ 1) asks for clinician
//! follow-up whatever the total. The algorithm is never computed with missing items; a diagnosis
//! also needs clinical exclusions this scorer cannot make.
//!
//! # Missing items
//! The authors give no prorating rule. Default: complete case. [`MissingPolicy::Prorate`] with
//! `max_missing = 2` is the common research convention: total = sum × 9 / answered, unrounded
//! (applied the same way to PHQ-8 and PHQ-2).
//!
//! # References
//! Kroenke K, Spitzer RL, Williams JBW. The PHQ-9: validity of a brief depression severity
//! measure. J Gen Intern Med 2001;16:606–13, doi:10.1046/j.1525-1497.2001.016009606.x.
//! Spitzer RL, Kroenke K, Williams JBW. Validation and utility of a self-report version of
//! PRIME-MD: the PHQ primary care study. JAMA 1999;282:1737–44, doi:10.1001/jama.282.18.1737.
//! Kroenke K, Spitzer RL, Williams JBW. The Patient Health Questionnaire-2. Med Care
//! 2003;41:1284–92, doi:10.1097/01.MLR.0000093487.78664.3C.
//! Kroenke K, Strine TW, Spitzer RL, et al. The PHQ-8 as a measure of current depression in the
//! general population. J Affect Disord 2009;114:163–73, doi:10.1016/j.jad.2008.06.026.
//! The PHQ is copyright Pfizer Inc. and free to use without permission.

use serde::{Deserialize, Serialize};

use crate::answer::{MissingPolicy, check_code, check_count, parse_code, scale_score};
use crate::error::ScoreError;
use crate::{Cell, Instrument};

const NAME: &str = "PHQ-9";
const ALLOWED: &str = "0, 1, 2 or 3";

/// How often a symptom bothered the respondent over the last two weeks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// 0.
    NotAtAll = 0,
    /// 1.
    SeveralDays = 1,
    /// 2.
    MoreThanHalfTheDays = 2,
    /// 3.
    NearlyEveryDay = 3,
}

impl Frequency {
    /// From the code 0–3.
    ///
    /// # Examples
    /// ```
    /// use trialstats_instruments::Frequency;
    /// assert_eq!(Frequency::from_code(2), Some(Frequency::MoreThanHalfTheDays));
    /// assert_eq!(Frequency::from_code(4), None);
    /// ```
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(Frequency::NotAtAll),
            1 => Some(Frequency::SeveralDays),
            2 => Some(Frequency::MoreThanHalfTheDays),
            3 => Some(Frequency::NearlyEveryDay),
            _ => None,
        }
    }

    /// The code 0–3.
    ///
    /// # Examples
    /// ```
    /// use trialstats_instruments::Frequency;
    /// assert_eq!(Frequency::NearlyEveryDay.code(), 3);
    /// assert_eq!(Frequency::NotAtAll.code(), 0);
    /// ```
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// One respondent's answers to items 1–9 (`None` = missing), and item 10 kept apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Phq9Response {
    /// Items 1–9.
    pub items: [Option<Frequency>; 9],
    /// Item 10, functional difficulty, 0–3; not part of any score.
    pub difficulty: Option<u8>,
}

impl Phq9Response {
    /// From numeric codes of items 1–9 (exactly nine; item 10 goes to
    /// [`Phq9Response::with_difficulty`]).
    ///
    /// # Errors
    /// [`ScoreError::WrongItemCount`], or the item and value of a code outside 0–3 or not whole.
    ///
    /// # Examples
    /// ```
    /// use trialstats_instruments::{Frequency, Phq9Response};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut codes = [Some(0.0); 9];
    /// codes[8] = None;
    /// let r = Phq9Response::from_codes(&codes)?;
    /// assert_eq!((r.items[0], r.items[8]), (Some(Frequency::NotAtAll), None));
    /// codes[2] = Some(4.0);
    /// let e = Phq9Response::from_codes(&codes).unwrap_err();
    /// assert_eq!(
    ///     e.to_string(),
    ///     "PHQ-9 item 3: \"4\" is not an allowed answer (allowed: 0, 1, 2 or 3)"
    /// );
    /// # Ok(()) }
    /// ```
    pub fn from_codes(codes: &[Option<f64>]) -> Result<Self, ScoreError> {
        check_count(NAME, 9, codes.len())?;
        let mut items = [None; 9];
        for (i, c) in codes.iter().enumerate() {
            if let Some(v) = c {
                let code = check_code(NAME, &|| item_label(i), *v, 0, 3, ALLOWED)?;
                items[i] = Frequency::from_code(code);
            }
        }
        Ok(Phq9Response {
            items,
            difficulty: None,
        })
    }

    /// Adds item 10 (0 not difficult at all … 3 extremely difficult).
    ///
    /// # Errors
    /// The item and value of a code outside 0–3 or not whole.
    ///
    /// # Examples
    /// ```
    /// use trialstats_instruments::{Phq9, Phq9Response};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let r = Phq9Response::from_codes(&[Some(1.0); 9])?.with_difficulty(Some(3.0))?;
    /// let s = Phq9::default().score_response(&r);
    /// assert_eq!((s.total, s.difficulty), (Some(9.0), Some(3))); // item 10 is not in the total
    /// assert!(r.with_difficulty(Some(4.0)).is_err());
    /// # Ok(()) }
    /// ```
    pub fn with_difficulty(mut self, code: Option<f64>) -> Result<Self, ScoreError> {
        self.difficulty = match code {
            Some(v) => Some(check_code(NAME, &|| "item 10".into(), v, 0, 3, ALLOWED)?),
            None => None,
        };
        Ok(self)
    }
}

fn item_label(i: usize) -> String {
    format!("item {}", i + 1)
}

/// Severity band of a total (Kroenke 2001), applied to the unrounded total.
///
/// # Examples
/// ```
/// use trialstats_instruments::Severity;
/// assert!(Severity::Minimal < Severity::Severe); // ordered, for ordinal models
/// assert_eq!(Severity::of(12.0), Severity::Moderate);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// 0–4.
    Minimal,
    /// 5–9.
    Mild,
    /// 10–14.
    Moderate,
    /// 15–19.
    ModeratelySevere,
    /// 20–27.
    Severe,
}

impl Severity {
    /// The band of a total.
    ///
    /// # Examples
    /// ```
    /// use trialstats_instruments::Severity;
    /// // Band edges of Kroenke 2001: 5, 10, 15, 20 (tests/scales.rs).
    /// assert_eq!(Severity::of(4.0), Severity::Minimal);
    /// assert_eq!(Severity::of(9.0), Severity::Mild);
    /// assert_eq!(Severity::of(9.9), Severity::Mild); // unrounded (prorated) totals
    /// assert_eq!(Severity::of(15.0), Severity::ModeratelySevere);
    /// assert_eq!(Severity::of(20.0), Severity::Severe);
    /// ```
    pub fn of(total: f64) -> Self {
        if total < 5.0 {
            Severity::Minimal
        } else if total < 10.0 {
            Severity::Mild
        } else if total < 15.0 {
            Severity::Moderate
        } else if total < 20.0 {
            Severity::ModeratelySevere
        } else {
            Severity::Severe
        }
    }

    /// Ordinal code 1–5 (for ordered models).
    ///
    /// # Examples
    /// ```
    /// use trialstats_instruments::Severity;
    /// assert_eq!(Severity::Minimal.code(), 1);
    /// assert_eq!(Severity::of(27.0).code(), 5);
    /// ```
    pub fn code(self) -> u8 {
        self as u8 + 1
    }

    /// Label as printed.
    ///
    /// # Examples
    /// ```
    /// use trialstats_instruments::Severity;
    /// assert_eq!(Severity::ModeratelySevere.label(), "moderately severe");
    /// ```
    pub fn label(self) -> &'static str {
        match self {
            Severity::Minimal => "minimal",
            Severity::Mild => "mild",
            Severity::Moderate => "moderate",
            Severity::ModeratelySevere => "moderately severe",
            Severity::Severe => "severe",
        }
    }
}

/// Result of the DSM-IV-based algorithm.
///
/// # Examples
/// ```
/// use trialstats_instruments::{Phq9, Phq9Response, Syndrome};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // Items 1 and 3 at 2, item 9 at 1: three symptoms, item 1 ≥ 2 → other depressive syndrome
/// // (Spitzer 1999; tests/scales.rs).
/// let codes = [2.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0].map(Some);
/// let s = Phq9::default().score_response(&Phq9Response::from_codes(&codes)?);
/// assert_eq!(s.syndrome, Some(Syndrome::OtherDepressive));
/// assert_eq!((s.total, s.item9_flag), (Some(5.0), Some(true)));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Syndrome {
    /// ≥ 5 symptoms present, item 1 or 2 ≥ 2.
    MajorDepressive,
    /// 2–4 symptoms present, item 1 or 2 ≥ 2.
    OtherDepressive,
    /// Neither.
    None,
}

/// PHQ-9 scores. Every score is `None` when the policy does not allow it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Phq9Score {
    /// Total of items 1–9 (prorated when the policy allows), 0–27.
    pub total: Option<f64>,
    /// Severity band of `total`.
    pub severity: Option<Severity>,
    /// The DSM-IV algorithm (only with all nine items answered).
    pub syndrome: Option<Syndrome>,
    /// Item 9 ≥ 1 (`None` when item 9 is missing).
    pub item9_flag: Option<bool>,
    /// PHQ-8: items 1–8.
    pub phq8: Option<f64>,
    /// PHQ-2: items 1 + 2.
    pub phq2: Option<f64>,
    /// PHQ-2 ≥ 3.
    pub phq2_positive: Option<bool>,
    /// Item 10 as given.
    pub difficulty: Option<u8>,
    /// Items 1–9 missing.
    pub n_missing: usize,
    /// Whether `total` was prorated.
    pub prorated: bool,
    /// The missing-item policy used.
    pub policy: MissingPolicy,
}

/// The PHQ-9 scorer. Input columns: `phq1`…`phq9`, and `phq10` (item 10) when `with_item10`.
///
/// # Examples
/// ```
/// use trialstats_instruments::{Instrument, Phq9};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let phq = Phq9::default();
/// assert_eq!(phq.columns()[8], "phq9");
/// let row = ["3", "3", "2", "2", "2", "0", "0", "0", "0"].map(Some);
/// let s = phq.score_answers(&row)?;
/// assert_eq!((s.total, s.phq8, s.phq2), (Some(12.0), Some(12.0), Some(6.0)));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Phq9 {
    /// Missing-item policy (default [`MissingPolicy::Reject`]).
    pub policy: MissingPolicy,
    /// Whether [`Instrument::parse`] reads a 10th column (item 10).
    pub with_item10: bool,
}

impl Phq9 {
    /// The scorer with a missing-item policy.
    ///
    /// # Examples
    /// ```
    /// use trialstats_instruments::{MissingPolicy, Phq9, Phq9Response};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // 2 + 1 + 0 + 0 + 0 + 0 + 0 = 3 over 7 answered items → 3 · 9/7, unrounded (tests/scales.rs).
    /// let (x, o) = (None, Some(0.0));
    /// let codes = [Some(2.0), Some(1.0), o, x, o, o, o, x, o];
    /// let s = Phq9::with_policy(MissingPolicy::Prorate { max_missing: 2 })
    ///     .score_response(&Phq9Response::from_codes(&codes)?);
    /// assert!((s.total.ok_or("no total")? - 27.0 / 7.0).abs() < 1e-15);
    /// assert!(s.prorated && s.syndrome.is_none()); // the algorithm needs all nine items
    /// # Ok(()) }
    /// ```
    pub fn with_policy(policy: MissingPolicy) -> Self {
        Phq9 {
            policy,
            with_item10: false,
        }
    }

    /// Scores a response (the [`Instrument::score`] of this scorer; PHQ-9 accepts every policy).
    ///
    /// # Examples
    /// ```
    /// use trialstats_instruments::{Phq9, Phq9Response, Severity, Syndrome};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // 3+3+2+2+2 = 12, moderate; items 1–5 ≥ 2 → major depressive syndrome (tests/scales.rs).
    /// let codes = [3.0, 3.0, 2.0, 2.0, 2.0, 0.0, 0.0, 0.0, 0.0].map(Some);
    /// let s = Phq9::default().score_response(&Phq9Response::from_codes(&codes)?);
    /// assert_eq!((s.total, s.severity), (Some(12.0), Some(Severity::Moderate)));
    /// assert_eq!(s.syndrome, Some(Syndrome::MajorDepressive));
    /// assert_eq!((s.phq2_positive, s.item9_flag), (Some(true), Some(false)));
    /// # Ok(()) }
    /// ```
    pub fn score_response(&self, r: &Phq9Response) -> Phq9Score {
        let v = |i: usize| r.items[i].map(|f| f64::from(f.code()));
        let n_missing = r.items.iter().filter(|x| x.is_none()).count();
        let total = scale_score(self.policy, (0..9).map(v));
        let phq8 = scale_score(self.policy, (0..8).map(v)).map(|s| s.total);
        let phq2 = scale_score(self.policy, (0..2).map(v)).map(|s| s.total);
        let syndrome = if n_missing == 0 {
            let present = (0..9)
                .filter(|&i| {
                    let c = r.items[i].map_or(0, Frequency::code);
                    if i == 8 { c >= 1 } else { c >= 2 }
                })
                .count();
            let core = r.items[0].is_some_and(|f| f.code() >= 2)
                || r.items[1].is_some_and(|f| f.code() >= 2);
            Some(if core && present >= 5 {
                Syndrome::MajorDepressive
            } else if core && present >= 2 {
                Syndrome::OtherDepressive
            } else {
                Syndrome::None
            })
        } else {
            None
        };
        Phq9Score {
            total: total.map(|s| s.total),
            severity: total.map(|s| Severity::of(s.total)),
            syndrome,
            item9_flag: r.items[8].map(|f| f.code() >= 1),
            phq8,
            phq2,
            phq2_positive: phq2.map(|t| t >= 3.0),
            difficulty: r.difficulty,
            n_missing,
            prorated: total.is_some_and(|s| s.missing > 0),
            policy: self.policy,
        }
    }
}

impl Instrument for Phq9 {
    type Response = Phq9Response;
    type Score = Phq9Score;

    fn name(&self) -> &'static str {
        NAME
    }

    fn columns(&self) -> Vec<String> {
        let n = if self.with_item10 { 10 } else { 9 };
        (1..=n).map(|i| format!("phq{i}")).collect()
    }

    fn parse(&self, answers: &[Option<&str>]) -> Result<Phq9Response, ScoreError> {
        let n = if self.with_item10 { 10 } else { 9 };
        check_count(NAME, n, answers.len())?;
        let mut r = Phq9Response::default();
        for (i, a) in answers.iter().enumerate().take(9) {
            r.items[i] = parse_code(NAME, &|| item_label(i), *a, 0, 3, ALLOWED)?
                .and_then(Frequency::from_code);
        }
        if self.with_item10 {
            r.difficulty = parse_code(NAME, &|| "item 10".into(), answers[9], 0, 3, ALLOWED)?;
        }
        Ok(r)
    }

    fn score(&self, response: &Phq9Response) -> Result<Phq9Score, ScoreError> {
        Ok(self.score_response(response))
    }

    fn output_columns(&self) -> Vec<&'static str> {
        vec![
            "phq9_total",
            "phq9_severity",
            "phq9_syndrome",
            "phq9_item9_flag",
            "phq8_total",
            "phq2_total",
        ]
    }

    fn output(&self, s: &Phq9Score) -> Vec<Option<Cell>> {
        vec![
            s.total.map(Cell::Number),
            s.severity.map(|b| Cell::Text(b.label().into())),
            s.syndrome.map(|x| {
                Cell::Text(
                    match x {
                        Syndrome::MajorDepressive => "major depressive",
                        Syndrome::OtherDepressive => "other depressive",
                        Syndrome::None => "none",
                    }
                    .into(),
                )
            }),
            s.item9_flag.map(Cell::Bool),
            s.phq8.map(Cell::Number),
            s.phq2.map(Cell::Number),
        ]
    }
}
