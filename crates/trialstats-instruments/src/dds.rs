//! The Diabetes Distress Scale: DDS-17 with its four subscales, and the brief DDS-2 and DDS-4.
//!
//! # Items and scoring
//! Each item is answered 1 "not a problem" … 6 "a very serious problem" (past month). Every score
//! is a **mean item score** on 1–6:
//! ```text
//! DDS-17 = mean of the 17 items
//! emotional burden (EB) = mean of 5 items, physician distress (PD) = mean of 4,
//! regimen distress (RD) = mean of 5, interpersonal distress (ID) = mean of 3
//! DDS-2 = mean(overwhelmed, failing with routine)
//! DDS-4 = mean(overwhelmed, failing with routine, not motivated, angry/scared/depressed)
//! level (Fisher 2012): mean < 2 little or no distress; 2 ≤ mean < 3 moderate; ≥ 3 high
//! ```
//! DDS-2 and DDS-4 are the two- and four-item composites of Fisher et al. (2008): the DDS-17 items
//! with the highest item–total correlations; a mean ≥ 3 screens for high distress.
//!
//! Items are keyed by **content** ([`DdsItem`]), never by bare position: printed forms differ in
//! item order. [`DdsItem::ALL`] is the order of the published 2005 form (Polonsky et al., Table 1),
//! which is the order of the input columns `dds1`…`dds17`. The subscale membership by content is
//! that of Polonsky 2005; the 2005 form's numbering is single-source (from the original scoring
//! sheet) and is kept in one place ([`DdsItem::subscale`]).
//!
//! # Missing items
//! No official rule. Default complete case; [`MissingPolicy::HalfRule`] (the mean of the answered
//! items when at least half of that scale's items are answered) is the documented convention;
//! the policy applies to each scale separately.
//!
//! # References
//! Polonsky WH, Fisher L, Earles J, et al. Assessing psychosocial distress in diabetes: development
//! of the Diabetes Distress Scale. Diabetes Care 2005;28:626–31, doi:10.2337/diacare.28.3.626.
//! Fisher L, Glasgow RE, Mullan JT, Skaff MM, Polonsky WH. Development of a brief diabetes distress
//! screening instrument. Ann Fam Med 2008;6:246–52, doi:10.1370/afm.842.
//! Fisher L, Hessler DM, Polonsky WH, Mullan J. When is diabetes distress clinically meaningful?
//! Diabetes Care 2012;35:259–64, doi:10.2337/dc11-1572.
//! The DDS is copyright the Behavioral Diabetes Institute; check its terms of use and cite it.

use serde::{Deserialize, Serialize};

use crate::answer::{MissingPolicy, check_code, check_count, parse_code, scale_score};
use crate::error::ScoreError;
use crate::{Cell, Instrument};

const ALLOWED: &str = "1, 2, 3, 4, 5 or 6";

/// A DDS-17 item, by content (abbreviated), in the order of the 2005 published form.
///
/// # Examples
/// ```
/// use trialstats_instruments::DdsItem;
/// assert_eq!(DdsItem::ALL.len(), 17);
/// assert_eq!(DdsItem::ALL[13], DdsItem::Overwhelmed); // item 14 of the 2005 form
/// assert_eq!(DdsItem::DDS2, [DdsItem::Overwhelmed, DdsItem::FailingRoutine]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DdsItem {
    /// Diabetes taking up too much mental and physical energy (EB).
    TooMuchEnergy,
    /// Doctor doesn't know enough about diabetes (PD).
    DoctorKnowledge,
    /// Angry, scared and/or depressed when thinking about living with diabetes (EB; DDS-4).
    AngryScaredDepressed,
    /// Doctor doesn't give clear enough directions (PD).
    DoctorDirections,
    /// Not testing blood sugars frequently enough (RD).
    NotTesting,
    /// Often failing with my diabetes routine (RD; DDS-2, DDS-4).
    FailingRoutine,
    /// Friends/family not supportive enough of self-care efforts (ID).
    FamilyNotSupportive,
    /// Diabetes controls my life (EB).
    ControlsLife,
    /// Doctor doesn't take my concerns seriously enough (PD).
    DoctorConcerns,
    /// Not confident in my day-to-day ability to manage diabetes (RD).
    NotConfident,
    /// Will end up with serious long-term complications whatever I do (EB).
    Complications,
    /// Not sticking closely enough to a good meal plan (RD).
    MealPlan,
    /// Friends/family don't appreciate how difficult living with diabetes can be (ID).
    FamilyDontAppreciate,
    /// Overwhelmed by the demands of living with diabetes (EB; DDS-2, DDS-4).
    Overwhelmed,
    /// Don't have a doctor I can see regularly enough (PD).
    NoRegularDoctor,
    /// Not motivated to keep up my diabetes self-management (RD; DDS-4).
    NotMotivated,
    /// Friends/family don't give the emotional support I would like (ID).
    FamilyEmotionalSupport,
}

/// A DDS-17 subscale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subscale {
    /// Emotional burden (5 items).
    EmotionalBurden,
    /// Physician-related distress (4 items).
    PhysicianDistress,
    /// Regimen-related distress (5 items).
    RegimenDistress,
    /// Interpersonal distress (3 items).
    InterpersonalDistress,
}

impl DdsItem {
    /// All items in the order of the 2005 form (= input columns `dds1`…`dds17`).
    pub const ALL: [DdsItem; 17] = [
        DdsItem::TooMuchEnergy,
        DdsItem::DoctorKnowledge,
        DdsItem::AngryScaredDepressed,
        DdsItem::DoctorDirections,
        DdsItem::NotTesting,
        DdsItem::FailingRoutine,
        DdsItem::FamilyNotSupportive,
        DdsItem::ControlsLife,
        DdsItem::DoctorConcerns,
        DdsItem::NotConfident,
        DdsItem::Complications,
        DdsItem::MealPlan,
        DdsItem::FamilyDontAppreciate,
        DdsItem::Overwhelmed,
        DdsItem::NoRegularDoctor,
        DdsItem::NotMotivated,
        DdsItem::FamilyEmotionalSupport,
    ];

    /// The DDS-2 items (Fisher 2008).
    pub const DDS2: [DdsItem; 2] = [DdsItem::Overwhelmed, DdsItem::FailingRoutine];

    /// The DDS-4 items (Fisher 2008): DDS-2 plus the third and fourth highest item–total
    /// correlations.
    pub const DDS4: [DdsItem; 4] = [
        DdsItem::Overwhelmed,
        DdsItem::FailingRoutine,
        DdsItem::NotMotivated,
        DdsItem::AngryScaredDepressed,
    ];

    /// Position on the 2005 form, 1–17.
    ///
    /// # Examples
    /// ```
    /// use trialstats_instruments::DdsItem;
    /// // DDS-4 reads dds14, dds6, dds16 and dds3 (tests/scales.rs).
    /// assert_eq!(DdsItem::DDS4.map(DdsItem::number), [14, 6, 16, 3]);
    /// assert_eq!(DdsItem::TooMuchEnergy.number(), 1);
    /// ```
    pub fn number(self) -> usize {
        self as usize + 1
    }

    /// The item's subscale (Polonsky 2005).
    ///
    /// # Examples
    /// ```
    /// use trialstats_instruments::dds::Subscale;
    /// use trialstats_instruments::DdsItem;
    /// assert_eq!(DdsItem::DoctorConcerns.subscale(), Subscale::PhysicianDistress);
    /// // Subscale sizes of Polonsky 2005: 5, 4, 5, 3.
    /// let n = |s| DdsItem::ALL.iter().filter(|i| i.subscale() == s).count();
    /// assert_eq!((n(Subscale::EmotionalBurden), n(Subscale::InterpersonalDistress)), (5, 3));
    /// ```
    pub fn subscale(self) -> Subscale {
        use DdsItem::*;
        match self {
            TooMuchEnergy | AngryScaredDepressed | ControlsLife | Complications | Overwhelmed => {
                Subscale::EmotionalBurden
            }
            DoctorKnowledge | DoctorDirections | DoctorConcerns | NoRegularDoctor => {
                Subscale::PhysicianDistress
            }
            NotTesting | FailingRoutine | NotConfident | MealPlan | NotMotivated => {
                Subscale::RegimenDistress
            }
            FamilyNotSupportive | FamilyDontAppreciate | FamilyEmotionalSupport => {
                Subscale::InterpersonalDistress
            }
        }
    }
}

/// Distress level of a mean item score (Fisher 2012).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DdsLevel {
    /// mean < 2.
    Little,
    /// 2 ≤ mean < 3.
    Moderate,
    /// mean ≥ 3.
    High,
}

impl DdsLevel {
    /// The level of a mean item score.
    ///
    /// # Examples
    /// ```
    /// use trialstats_instruments::DdsLevel;
    /// // Fisher 2012: < 2 little, 2 to < 3 moderate, ≥ 3 high.
    /// assert_eq!(DdsLevel::of(1.99), DdsLevel::Little);
    /// assert_eq!(DdsLevel::of(2.0), DdsLevel::Moderate);
    /// assert_eq!(DdsLevel::of(3.0), DdsLevel::High);
    /// ```
    pub fn of(mean: f64) -> Self {
        if mean < 2.0 {
            DdsLevel::Little
        } else if mean < 3.0 {
            DdsLevel::Moderate
        } else {
            DdsLevel::High
        }
    }

    /// Label as printed.
    ///
    /// # Examples
    /// ```
    /// use trialstats_instruments::DdsLevel;
    /// assert_eq!(DdsLevel::High.label(), "high distress");
    /// ```
    pub fn label(self) -> &'static str {
        match self {
            DdsLevel::Little => "little or no distress",
            DdsLevel::Moderate => "moderate distress",
            DdsLevel::High => "high distress",
        }
    }
}

/// Which DDS form is scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DdsVersion {
    /// All 17 items, total and subscales.
    #[default]
    Dds17,
    /// The two-item screener.
    Dds2,
    /// The four-item composite (the trial's "DDS4").
    Dds4,
}

impl DdsVersion {
    /// The items this version reads, in input order.
    ///
    /// # Examples
    /// ```
    /// use trialstats_instruments::{DdsItem, DdsVersion};
    /// assert_eq!(DdsVersion::Dds17.items().len(), 17);
    /// assert_eq!(DdsVersion::Dds4.items(), DdsItem::DDS4);
    /// ```
    pub fn items(self) -> &'static [DdsItem] {
        match self {
            DdsVersion::Dds17 => &DdsItem::ALL,
            DdsVersion::Dds2 => &DdsItem::DDS2,
            DdsVersion::Dds4 => &DdsItem::DDS4,
        }
    }

    fn name(self) -> &'static str {
        match self {
            DdsVersion::Dds17 => "DDS-17",
            DdsVersion::Dds2 => "DDS-2",
            DdsVersion::Dds4 => "DDS-4",
        }
    }
}

/// One respondent's answers, keyed by item content (`None` = missing or not asked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DdsResponse {
    answers: [Option<u8>; 17],
}

impl DdsResponse {
    /// An empty response.
    ///
    /// # Examples
    /// ```
    /// use trialstats_instruments::{DdsItem, DdsResponse};
    /// let r = DdsResponse::new();
    /// assert!(DdsItem::ALL.iter().all(|&i| r.get(i).is_none()));
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets one item's answer (1–6; `None` = missing).
    ///
    /// # Errors
    /// The item and value of an answer outside 1–6 or not whole.
    ///
    /// # Examples
    /// ```
    /// use trialstats_instruments::{DdsItem, DdsResponse};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut r = DdsResponse::new();
    /// r.set(DdsItem::Overwhelmed, Some(4.0))?;
    /// assert_eq!(r.get(DdsItem::Overwhelmed), Some(4));
    /// assert!(r.set(DdsItem::Overwhelmed, Some(0.0)).is_err()); // answers are 1–6
    /// assert!(r.set(DdsItem::Overwhelmed, Some(2.5)).is_err());
    /// # Ok(()) }
    /// ```
    pub fn set(&mut self, item: DdsItem, answer: Option<f64>) -> Result<(), ScoreError> {
        self.answers[item as usize] = match answer {
            Some(v) => Some(check_code(
                "DDS",
                &|| format!("item {} ({item:?})", item.number()),
                v,
                1,
                6,
                ALLOWED,
            )?),
            None => None,
        };
        Ok(())
    }

    /// The answer to an item.
    ///
    /// # Examples
    /// ```
    /// use trialstats_instruments::{DdsItem, DdsResponse};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut r = DdsResponse::new();
    /// r.set(DdsItem::MealPlan, Some(6.0))?;
    /// assert_eq!((r.get(DdsItem::MealPlan), r.get(DdsItem::NotTesting)), (Some(6), None));
    /// # Ok(()) }
    /// ```
    pub fn get(&self, item: DdsItem) -> Option<u8> {
        self.answers[item as usize]
    }
}

/// DDS scores: means on 1–6 with their levels; `None` when the policy does not allow a scale.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DdsScore {
    /// Version scored.
    pub version: DdsVersion,
    /// Mean item score of the version's items (DDS-17 total, DDS-2 or DDS-4).
    pub mean: Option<f64>,
    /// Level of `mean`.
    pub level: Option<DdsLevel>,
    /// Emotional burden mean (DDS-17 only).
    pub emotional_burden: Option<f64>,
    /// Physician distress mean (DDS-17 only).
    pub physician_distress: Option<f64>,
    /// Regimen distress mean (DDS-17 only).
    pub regimen_distress: Option<f64>,
    /// Interpersonal distress mean (DDS-17 only).
    pub interpersonal_distress: Option<f64>,
    /// Items of the version that were missing.
    pub n_missing: usize,
    /// The missing-item policy used.
    pub policy: MissingPolicy,
}

/// The DDS scorer.
///
/// # Examples
/// ```
/// use trialstats_instruments::{Dds, DdsLevel, DdsVersion, Instrument};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // DDS-4 columns dds14, dds6, dds16, dds3: mean(2, 2, 1, 1) = 1.5, little distress
/// // (tests/scales.rs).
/// let dds4 = Dds::new(DdsVersion::Dds4);
/// assert_eq!(dds4.columns(), ["dds14", "dds6", "dds16", "dds3"]);
/// let s = dds4.score_answers(&["2", "2", "1", "1"].map(Some))?;
/// assert_eq!((s.mean, s.level), (Some(1.5), Some(DdsLevel::Little)));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Dds {
    /// Which form (default DDS-17).
    pub version: DdsVersion,
    /// Missing-item policy (default [`MissingPolicy::Reject`]).
    pub policy: MissingPolicy,
}

impl Dds {
    /// A scorer of `version` with the default policy.
    ///
    /// # Examples
    /// ```
    /// use trialstats_instruments::{Dds, DdsVersion, MissingPolicy};
    /// let d = Dds::new(DdsVersion::Dds2);
    /// assert_eq!((d.version, d.policy), (DdsVersion::Dds2, MissingPolicy::Reject));
    /// ```
    pub fn new(version: DdsVersion) -> Self {
        Dds {
            version,
            policy: MissingPolicy::Reject,
        }
    }

    /// Scores a response (DDS accepts every policy).
    ///
    /// # Examples
    /// ```
    /// use trialstats_instruments::{Dds, DdsItem, DdsResponse, DdsVersion, MissingPolicy};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // Two of the four DDS-4 items answered, 4 and 2 (tests/scales.rs).
    /// let mut r = DdsResponse::new();
    /// r.set(DdsItem::Overwhelmed, Some(4.0))?;
    /// r.set(DdsItem::FailingRoutine, Some(2.0))?;
    /// assert_eq!(Dds::new(DdsVersion::Dds4).score_response(&r).mean, None); // complete case
    /// let half = Dds { version: DdsVersion::Dds4, policy: MissingPolicy::HalfRule };
    /// assert_eq!(half.score_response(&r).mean, Some(3.0)); // mean of the answered half
    /// # Ok(()) }
    /// ```
    pub fn score_response(&self, r: &DdsResponse) -> DdsScore {
        let p = self.policy;
        let items = self.version.items();
        let values = |sel: &[DdsItem]| -> Vec<Option<f64>> {
            sel.iter().map(|&i| r.get(i).map(f64::from)).collect()
        };
        let mean = scale_score(p, values(items)).map(|s| s.mean);
        let sub = |s: Subscale| -> Option<f64> {
            if self.version != DdsVersion::Dds17 {
                return None;
            }
            let sel: Vec<DdsItem> = DdsItem::ALL
                .iter()
                .copied()
                .filter(|i| i.subscale() == s)
                .collect();
            scale_score(p, values(&sel)).map(|s| s.mean)
        };
        DdsScore {
            version: self.version,
            mean,
            level: mean.map(DdsLevel::of),
            emotional_burden: sub(Subscale::EmotionalBurden),
            physician_distress: sub(Subscale::PhysicianDistress),
            regimen_distress: sub(Subscale::RegimenDistress),
            interpersonal_distress: sub(Subscale::InterpersonalDistress),
            n_missing: items.iter().filter(|&&i| r.get(i).is_none()).count(),
            policy: p,
        }
    }
}

impl Instrument for Dds {
    type Response = DdsResponse;
    type Score = DdsScore;

    fn name(&self) -> &'static str {
        self.version.name()
    }

    /// `dds<k>` with k the item's number on the 2005 form (DDS-2 reads `dds14, dds6`; DDS-4 reads
    /// `dds14, dds6, dds16, dds3`).
    fn columns(&self) -> Vec<String> {
        self.version
            .items()
            .iter()
            .map(|i| format!("dds{}", i.number()))
            .collect()
    }

    fn parse(&self, answers: &[Option<&str>]) -> Result<DdsResponse, ScoreError> {
        let items = self.version.items();
        check_count(self.version.name(), items.len(), answers.len())?;
        let mut r = DdsResponse::new();
        for (&item, a) in items.iter().zip(answers) {
            r.answers[item as usize] = parse_code(
                self.version.name(),
                &|| format!("item {} ({item:?})", item.number()),
                *a,
                1,
                6,
                ALLOWED,
            )?;
        }
        Ok(r)
    }

    fn score(&self, response: &DdsResponse) -> Result<DdsScore, ScoreError> {
        Ok(self.score_response(response))
    }

    fn output_columns(&self) -> Vec<&'static str> {
        match self.version {
            DdsVersion::Dds17 => vec![
                "dds_mean",
                "dds_level",
                "dds_emotional_burden",
                "dds_physician_distress",
                "dds_regimen_distress",
                "dds_interpersonal_distress",
            ],
            _ => vec!["dds_mean", "dds_level"],
        }
    }

    fn output(&self, s: &DdsScore) -> Vec<Option<Cell>> {
        let mut out = vec![
            s.mean.map(Cell::Number),
            s.level.map(|l| Cell::Text(l.label().into())),
        ];
        if self.version == DdsVersion::Dds17 {
            out.extend(
                [
                    s.emotional_burden,
                    s.physician_distress,
                    s.regimen_distress,
                    s.interpersonal_distress,
                ]
                .map(|x| x.map(Cell::Number)),
            );
        }
        out
    }
}
