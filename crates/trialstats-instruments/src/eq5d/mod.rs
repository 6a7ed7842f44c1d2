//! EQ-5D: health states of the 3-level and 5-level descriptive systems, their index values under
//! national value sets, the van Hout 5L→3L crosswalk, and the EQ VAS.
//!
//! # Descriptive system
//! Five dimensions in fixed order — MO mobility, SC self-care, UA usual activities, PD
//! pain/discomfort, AD anxiety/depression — each at level 1 (no problems) to 3 (3L) or 5 (5L). A
//! state is written as five digits, e.g. `11111`, `33333`, `55555`.
//!
//! # Index models
//! ```text
//! 3L additive: v = 1 + c·[any level > 1] + N3·[any level = 3] + Σ_d β[d, level_d]
//!                    + D1·c_D1 + I2²·c_I2² + I3·c_I3 + I3²·c_I3²       (US and Italy terms)
//!   D1 = max(#dims > 1 − 1, 0), I2 = max(#dims = 2 − 1, 0), I3 = max(#dims = 3 − 1, 0)
//! 5L additive: v = s + c·[any level > 1] + Σ_d β[d, level_d] + N5·[any level = 5]
//! 5L Canada (Xie 2016): v = 1.1351 + Σ_d (level_d·a_d + b_d·[level_d ≥ 4]) + 0.0085·(n45 − 1)²·[n45 ≥ 1]
//! ```
//! Australia 3L (Viney 2011) and the crosswalk (van Hout 2012) are **lookups of the published
//! tables** (embedded in the crate): the Australian table was computed from unrounded coefficients
//! and includes 22 states adjusted for logical consistency, and the crosswalk table is the
//! EuroQol calculator's, which the probability formula reproduces only to ±0.001.
//!
//! # Missing and invalid
//! A level code 9 (a common "missing" code) makes the whole index missing: no rule exists to impute
//! a dimension. Wrong length, any other character (whitespace included), a level beyond the
//! version's, and a 5L state given to a 3L value set (never silently crosswalked) are errors.
//!
//! The value sets, their ids, citations and verification status are in [`value_sets`].

mod tables;
mod valuesets;

use serde::{Deserialize, Serialize};

use crate::answer::{MissingPolicy, check_count};
use crate::error::ScoreError;
use crate::{Cell, Instrument};

pub use valuesets::{ValueSet, Verification, value_set, value_sets};

/// The dimensions' names, in order.
pub const DIMENSIONS: [&str; 5] = ["MO", "SC", "UA", "PD", "AD"];

/// EQ-5D version (number of levels per dimension).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Version {
    /// EQ-5D-3L: levels 1–3, 243 states.
    #[serde(rename = "3L")]
    ThreeLevel,
    /// EQ-5D-5L: levels 1–5, 3125 states.
    #[serde(rename = "5L")]
    FiveLevel,
}

impl Version {
    /// Highest level.
    ///
    /// # Examples
    /// ```
    /// use trialstats_instruments::Version;
    /// assert_eq!((Version::ThreeLevel.levels(), Version::FiveLevel.levels()), (3, 5));
    /// ```
    pub fn levels(self) -> u8 {
        match self {
            Version::ThreeLevel => 3,
            Version::FiveLevel => 5,
        }
    }

    /// `3L` or `5L`.
    ///
    /// # Examples
    /// ```
    /// use trialstats_instruments::Version;
    /// assert_eq!(Version::FiveLevel.label(), "5L");
    /// ```
    pub fn label(self) -> &'static str {
        match self {
            Version::ThreeLevel => "3L",
            Version::FiveLevel => "5L",
        }
    }
}

/// A checked health state.
///
/// # Examples
/// ```
/// use trialstats_instruments::{value_set, HealthState};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // UK 3L (Dolan 1997): 11221 = 0.760, a published example (tests/eq5d.rs).
/// let uk = value_set("eq5d3l_uk_dolan1997")?;
/// let s = HealthState::parse("11221", uk.version, uk.id)?.ok_or("missing")?;
/// assert!((uk.index(&s)? - 0.760).abs() < 0.0005);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HealthState {
    version: Version,
    levels: [u8; 5],
}

/// The code that marks a dimension as missing.
const MISSING_CODE: u8 = 9;

impl HealthState {
    /// A state from its five levels.
    ///
    /// # Errors
    /// [`ScoreError::InvalidState`] for a level outside 1..=version's maximum.
    ///
    /// # Examples
    /// ```
    /// use trialstats_instruments::{HealthState, Version};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let s = HealthState::new(Version::FiveLevel, [1, 1, 1, 1, 4])?;
    /// assert_eq!((s.code(), s.version()), ("11114".to_string(), Version::FiveLevel));
    /// assert!(HealthState::new(Version::ThreeLevel, [1, 1, 1, 1, 4]).is_err());
    /// # Ok(()) }
    /// ```
    pub fn new(version: Version, levels: [u8; 5]) -> Result<Self, ScoreError> {
        for (d, &l) in levels.iter().enumerate() {
            if l < 1 || l > version.levels() {
                return Err(ScoreError::InvalidState {
                    state: code_of(&levels),
                    reason: format!(
                        "{} level {l} is not a {} level (1–{})",
                        DIMENSIONS[d],
                        version.label(),
                        version.levels()
                    ),
                });
            }
        }
        Ok(HealthState { version, levels })
    }

    /// Parses a five-digit state of `version`; `Ok(None)` when a dimension carries the missing
    /// code 9.
    ///
    /// # Errors
    /// [`ScoreError::InvalidState`] for a wrong length or character; [`ScoreError::WrongVersion`]
    /// (with `value_set`) for a 5L state where a 3L state is needed.
    ///
    /// # Examples
    /// ```
    /// use trialstats_instruments::{HealthState, Version};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let v = Version::ThreeLevel;
    /// let s = HealthState::parse("12321", v, "eq5d3l_uk_dolan1997")?;
    /// assert_eq!(s.map(|s| s.levels()), Some([1, 2, 3, 2, 1]));
    /// assert_eq!(HealthState::parse("11191", v, "eq5d3l_uk_dolan1997")?, None); // 9 = missing
    /// let e = HealthState::parse("12345", v, "eq5d3l_uk_dolan1997").unwrap_err();
    /// assert_eq!(
    ///     e.to_string(),
    ///     "EQ-5D state \"12345\" is a 5L state; value set eq5d3l_uk_dolan1997 scores 3L states"
    /// );
    /// # Ok(()) }
    /// ```
    pub fn parse(
        text: &str,
        version: Version,
        value_set: &'static str,
    ) -> Result<Option<Self>, ScoreError> {
        let invalid = |reason: String| ScoreError::InvalidState {
            state: text.to_string(),
            reason,
        };
        let bytes = text.as_bytes();
        if bytes.len() != 5 || !text.is_ascii() {
            let n = text.chars().count();
            if n != 5 {
                return Err(invalid(format!(
                    "has {n} characters; a state is five level digits (MO SC UA PD AD)"
                )));
            }
        }
        let chars: [char; 5] = {
            let mut it = text.chars();
            std::array::from_fn(|_| it.next().unwrap_or(' '))
        };
        let mut levels = [0u8; 5];
        let mut missing = false;
        let mut beyond = false;
        for (d, &c) in chars.iter().enumerate() {
            let l = match c.to_digit(10) {
                Some(v) => v as u8,
                None => {
                    return Err(invalid(format!(
                        "{} is {c:?}, not a level digit",
                        DIMENSIONS[d]
                    )));
                }
            };
            if l == MISSING_CODE {
                missing = true;
            } else if l == 0 || l > 5 {
                return Err(invalid(format!(
                    "{} level {l} does not exist (levels 1–{}; 9 = missing)",
                    DIMENSIONS[d],
                    version.levels()
                )));
            } else if l > version.levels() {
                beyond = true;
            }
            levels[d] = l;
        }
        if beyond {
            return Err(ScoreError::WrongVersion {
                state: text.to_string(),
                given: "5L",
                expected: version.label(),
                value_set,
            });
        }
        if missing {
            return Ok(None);
        }
        Ok(Some(HealthState { version, levels }))
    }

    /// A state from five dimension codes as read from a table (`None` or 9 = missing → `Ok(None)`).
    ///
    /// # Errors
    /// As [`HealthState::parse`], and [`ScoreError::NotInteger`] for a fractional code.
    ///
    /// # Examples
    /// ```
    /// use trialstats_instruments::{HealthState, Version};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (v, id) = (Version::FiveLevel, "eq5d5l_en_devlin2018");
    /// let s = HealthState::from_dimensions([1.0, 2.0, 3.0, 4.0, 5.0].map(Some), v, id)?;
    /// assert_eq!(s.map(|s| s.code()).as_deref(), Some("12345"));
    /// let blank = [Some(1.0), None, Some(1.0), Some(1.0), Some(1.0)];
    /// assert_eq!(HealthState::from_dimensions(blank, v, id)?, None);
    /// assert!(HealthState::from_dimensions([Some(1.5); 5], v, id).is_err());
    /// # Ok(()) }
    /// ```
    pub fn from_dimensions(
        dims: [Option<f64>; 5],
        version: Version,
        value_set: &'static str,
    ) -> Result<Option<Self>, ScoreError> {
        let mut text = String::with_capacity(5);
        for (d, v) in dims.iter().enumerate() {
            let Some(v) = *v else { return Ok(None) };
            if v.fract() != 0.0 || !(0.0..=9.0).contains(&v) {
                let allowed = match version {
                    Version::ThreeLevel => "1, 2 or 3 (9 = missing)",
                    Version::FiveLevel => "1, 2, 3, 4 or 5 (9 = missing)",
                };
                return Err(if v.fract() != 0.0 {
                    ScoreError::NotInteger {
                        instrument: "EQ-5D",
                        item: DIMENSIONS[d].to_string(),
                        value: format!("{v}"),
                        allowed,
                    }
                } else {
                    ScoreError::OutOfRange {
                        instrument: "EQ-5D",
                        item: DIMENSIONS[d].to_string(),
                        value: format!("{v}"),
                        allowed,
                    }
                });
            }
            text.push(char::from(b'0' + v as u8));
        }
        Self::parse(&text, version, value_set)
    }

    /// The version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The five levels.
    pub fn levels(&self) -> [u8; 5] {
        self.levels
    }

    /// The five-digit code.
    pub fn code(&self) -> String {
        code_of(&self.levels)
    }

    /// Position of the state in the lexicographic order of all states (11111 = 0).
    ///
    /// # Examples
    /// ```
    /// use trialstats_instruments::{HealthState, Version};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // Base-3 digits minus one: 21111 → 1·3⁴ = 81; 33333 → 3⁵ − 1 = 242.
    /// assert_eq!(HealthState::new(Version::ThreeLevel, [2, 1, 1, 1, 1])?.ordinal(), 81);
    /// assert_eq!(HealthState::new(Version::ThreeLevel, [3; 5])?.ordinal(), 242);
    /// # Ok(()) }
    /// ```
    pub fn ordinal(&self) -> usize {
        let base = usize::from(self.version.levels());
        self.levels
            .iter()
            .fold(0, |acc, &l| acc * base + usize::from(l - 1))
    }

    /// All states of a version in lexicographic order (for whole-table checks).
    ///
    /// # Examples
    /// ```
    /// use trialstats_instruments::{HealthState, Version};
    /// let all = HealthState::all(Version::ThreeLevel);
    /// assert_eq!(all.len(), 243); // 3⁵
    /// assert_eq!((all[0].code(), all[242].code()), ("11111".into(), "33333".into()));
    /// assert_eq!(HealthState::all(Version::FiveLevel).len(), 3125);
    /// ```
    pub fn all(version: Version) -> Vec<HealthState> {
        let n = version.levels();
        let total = usize::from(n).pow(5);
        (0..total)
            .map(|mut k| {
                let mut levels = [1u8; 5];
                for d in (0..5).rev() {
                    levels[d] = (k % usize::from(n)) as u8 + 1;
                    k /= usize::from(n);
                }
                HealthState { version, levels }
            })
            .collect()
    }
}

fn code_of(levels: &[u8; 5]) -> String {
    levels.iter().map(|&l| char::from(b'0' + l)).collect()
}

/// The EQ VAS, self-rated health today from 0 (worst imaginable) to 100 (best imaginable). Not an
/// index; never combined with one.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct EqVas(f64);

impl EqVas {
    /// A checked VAS value (a real number in 0..=100, as electronic capture may give).
    ///
    /// # Errors
    /// [`ScoreError::OutOfRange`] outside 0..=100 or not finite.
    ///
    /// # Examples
    /// ```
    /// use trialstats_instruments::EqVas;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// assert_eq!(EqVas::new(72.5)?.value(), 72.5);
    /// assert!(EqVas::new(101.0).is_err());
    /// assert!(EqVas::new(f64::NAN).is_err());
    /// # Ok(()) }
    /// ```
    pub fn new(value: f64) -> Result<Self, ScoreError> {
        if value.is_finite() && (0.0..=100.0).contains(&value) {
            Ok(EqVas(value))
        } else {
            Err(ScoreError::OutOfRange {
                instrument: "EQ VAS",
                item: "VAS".into(),
                value: format!("{value}"),
                allowed: "0 to 100",
            })
        }
    }

    /// The value.
    pub fn value(self) -> f64 {
        self.0
    }
}

/// How [`Eq5d`] reads a row: five dimension columns or one state column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Eq5dInput {
    /// Columns `mo, sc, ua, pd, ad`.
    #[default]
    Dimensions,
    /// One column `state` with five digits.
    State,
}

/// One respondent's EQ-5D score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Eq5dScore {
    /// The state (`None` when a dimension is missing).
    pub state: Option<String>,
    /// The index value (`None` when a dimension is missing).
    pub index: Option<f64>,
    /// The value-set id.
    pub value_set: &'static str,
    /// Why there is no index, when there is none: the dimensions left blank or coded 9.
    pub note: Option<String>,
}

/// One respondent's checked EQ-5D answers: the health state, or `None` with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Eq5dResponse {
    /// The state; `None` when a dimension is blank or coded 9.
    pub state: Option<HealthState>,
    /// Why the state is missing (`None` when it is present).
    pub note: Option<String>,
}

/// The reason an EQ-5D state is missing: each dimension blank or coded 9, named.
fn missing_note(levels: [Option<f64>; 5]) -> Option<String> {
    let parts: Vec<String> = levels
        .iter()
        .zip(DIMENSIONS)
        .filter_map(|(l, d)| match l {
            None => Some(format!("{d} blank")),
            Some(v) if (*v - 9.0).abs() == 0.0 => Some(format!("{d} coded 9 (missing)")),
            _ => None,
        })
        .collect();
    (!parts.is_empty()).then(|| format!("no index: {}", parts.join(", ")))
}

/// The EQ-5D index scorer for one value set.
///
/// # Examples
/// ```
/// use trialstats_instruments::{Eq5d, Instrument};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // UK 3L (Dolan 1997), columns mo, sc, ua, pd, ad: 11221 = 0.760 (tests/eq5d.rs).
/// let uk = Eq5d::new("eq5d3l_uk_dolan1997")?;
/// let s = uk.score_answers(&["1", "1", "2", "2", "1"].map(Some))?;
/// assert_eq!(s.state.as_deref(), Some("11221"));
/// assert!((s.index.ok_or("no index")? - 0.760).abs() < 1e-12);
/// // A level coded 9 makes the index missing, and the note says why.
/// let s = uk.score_answers(&["1", "9", "2", "2", "1"].map(Some))?;
/// assert_eq!((s.index, s.note.as_deref()), (None, Some("no index: SC coded 9 (missing)")));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Eq5d {
    /// The value set.
    pub value_set: &'static ValueSet,
    /// How rows are read.
    pub input: Eq5dInput,
    /// Missing-item policy: only [`MissingPolicy::Reject`] (no imputation rule exists).
    pub policy: MissingPolicy,
}

impl Eq5d {
    /// A scorer for the value set `id`.
    ///
    /// # Errors
    /// [`ScoreError::UnknownValueSet`].
    ///
    /// # Examples
    /// ```
    /// use trialstats_instruments::{Eq5d, Instrument, ScoreError};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let au = Eq5d::new("eq5d3l_au_viney2011")?;
    /// assert_eq!(au.columns(), ["mo", "sc", "ua", "pd", "ad"]);
    /// assert!(matches!(Eq5d::new("eq5d3l_xx_nobody2000"), Err(ScoreError::UnknownValueSet { .. })));
    /// # Ok(()) }
    /// ```
    pub fn new(id: &str) -> Result<Self, ScoreError> {
        Ok(Eq5d {
            value_set: value_set(id)?,
            input: Eq5dInput::Dimensions,
            policy: MissingPolicy::Reject,
        })
    }

    /// Reads one `state` column instead of five dimension columns.
    ///
    /// # Examples
    /// ```
    /// use trialstats_instruments::{Eq5d, Instrument};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // UK 3L (Dolan 1997): 33333 = −0.594 (published; tests/eq5d.rs).
    /// let uk = Eq5d::new("eq5d3l_uk_dolan1997")?.from_state_column();
    /// assert_eq!(uk.columns(), ["state"]);
    /// let s = uk.score_answers(&[Some("33333")])?;
    /// assert!((s.index.ok_or("no index")? + 0.594).abs() < 1e-12);
    /// # Ok(()) }
    /// ```
    pub fn from_state_column(mut self) -> Self {
        self.input = Eq5dInput::State;
        self
    }
}

impl Instrument for Eq5d {
    type Response = Eq5dResponse;
    type Score = Eq5dScore;

    fn name(&self) -> &'static str {
        "EQ-5D"
    }

    fn columns(&self) -> Vec<String> {
        match self.input {
            Eq5dInput::Dimensions => ["mo", "sc", "ua", "pd", "ad"].map(String::from).to_vec(),
            Eq5dInput::State => vec!["state".into()],
        }
    }

    fn parse(&self, answers: &[Option<&str>]) -> Result<Eq5dResponse, ScoreError> {
        let vs = self.value_set;
        match self.input {
            Eq5dInput::State => {
                check_count("EQ-5D", 1, answers.len())?;
                match answers[0] {
                    Some(t) => {
                        let state = HealthState::parse(t, vs.version, vs.id)?;
                        let note = state.is_none().then(|| {
                            let digits: Vec<char> = t.chars().collect();
                            missing_note(std::array::from_fn(|d| {
                                digits.get(d).and_then(|c| c.to_digit(10)).map(f64::from)
                            }))
                            .unwrap_or_else(|| format!("no index: state {t}"))
                        });
                        Ok(Eq5dResponse { state, note })
                    }
                    None => Ok(Eq5dResponse {
                        state: None,
                        note: Some("no index: state blank".into()),
                    }),
                }
            }
            Eq5dInput::Dimensions => {
                check_count("EQ-5D", 5, answers.len())?;
                let mut dims = [None; 5];
                for (d, a) in answers.iter().enumerate() {
                    dims[d] = match a {
                        None => None,
                        Some(t) => match t.parse::<f64>() {
                            Ok(v) if v.is_finite() => Some(v),
                            _ => {
                                return Err(ScoreError::OutOfRange {
                                    instrument: "EQ-5D",
                                    item: DIMENSIONS[d].to_string(),
                                    value: (*t).to_string(),
                                    allowed: "a level digit (9 = missing)",
                                });
                            }
                        },
                    };
                }
                let state = HealthState::from_dimensions(dims, vs.version, vs.id)?;
                let note = if state.is_none() {
                    missing_note(dims)
                } else {
                    None
                };
                Ok(Eq5dResponse { state, note })
            }
        }
    }

    fn score(&self, r: &Eq5dResponse) -> Result<Eq5dScore, ScoreError> {
        self.policy.require_reject("EQ-5D")?;
        let index = match &r.state {
            Some(s) => Some(self.value_set.index(s)?),
            None => None,
        };
        Ok(Eq5dScore {
            state: r.state.map(|s| s.code()),
            index,
            value_set: self.value_set.id,
            note: r.note.clone(),
        })
    }

    fn output_columns(&self) -> Vec<&'static str> {
        vec!["eq5d_state", "eq5d_index", "eq5d_note"]
    }

    fn output(&self, s: &Eq5dScore) -> Vec<Option<Cell>> {
        vec![
            s.state.clone().map(Cell::Text),
            s.index.map(Cell::Number),
            s.note.clone().map(Cell::Text),
        ]
    }
}
