//! MMAS-8 (8-item Morisky Medication Adherence Scale): the published scoring rule only.
//!
//! # Licence notice
//! The MMAS-8 wording, scoring and coding are claimed as copyrighted and trademarked by its owner
//! (Donald E. Morisky; licensing through MMAS Research LLC). Use requires a licence from the
//! owner, and journals have retracted papers for unlicensed use. This module is compiled only
//! with the opt-in `mmas8` feature; **enabling it is the user's statement that they hold an MMAS
//! licence**. No item wording appears anywhere in this project: items are referred to by number.
//! The 2008 validation paper (Morisky DE, Ang A, Krousel-Wood M, Ward HJ. J Clin Hypertens
//! 2008;10:348–54, doi:10.1111/j.1751-7176.2008.07572.x) was retracted in 2023.
//!
//! # Scoring rule (as published in the secondary literature)
//! Items 1–7 are answered yes/no; item 8 has five ordered options A–E.
//! ```text
//! items 1–4, 6, 7: yes = 0, no = 1;   item 5: yes = 1, no = 0
//! item 8: A = 1, B = 0.75, C = 0.5, D = 0.25, E = 0   (variant: A = 1, B–E = 0)
//! score = Σ (0–8, higher = more adherent); category: < 6 low, 6 to < 8 medium, 8 high
//! ```
//! Missing items: no published rule; complete case only.

use serde::{Deserialize, Serialize};

use crate::answer::{MissingPolicy, check_count};
use crate::error::ScoreError;
use crate::{Cell, Instrument};

const NAME: &str = "MMAS-8";
const YES_NO: &str = "yes/no, or 1 (yes) / 0 (no)";
const OPTIONS: &str = "A, B, C, D or E (or the weights 1, 0.75, 0.5, 0.25, 0)";

/// How item 8 is scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Item8Scoring {
    /// A = 1, B = 0.75, C = 0.5, D = 0.25, E = 0 (the usual rule).
    #[default]
    Weighted,
    /// A = 1, B–E = 0 (a variant used by some studies; name it when used).
    Dichotomised,
}

/// One respondent's answers (`None` = missing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Mmas8Response {
    /// Items 1–7: `true` when answered yes.
    pub yes: [Option<bool>; 7],
    /// Item 8: option 0 = A … 4 = E.
    pub item8: Option<u8>,
}

/// Adherence category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mmas8Category {
    /// Score < 6.
    Low,
    /// 6 ≤ score < 8.
    Medium,
    /// Score = 8.
    High,
}

impl Mmas8Category {
    /// The category of a score.
    pub fn of(score: f64) -> Self {
        if score < 6.0 {
            Mmas8Category::Low
        } else if score < 8.0 {
            Mmas8Category::Medium
        } else {
            Mmas8Category::High
        }
    }

    /// Ordinal code 1–3 (for ordered models).
    pub fn code(self) -> u8 {
        self as u8 + 1
    }

    /// Label.
    pub fn label(self) -> &'static str {
        match self {
            Mmas8Category::Low => "low",
            Mmas8Category::Medium => "medium",
            Mmas8Category::High => "high",
        }
    }
}

/// MMAS-8 score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mmas8Score {
    /// 0–8 (`None` when an item is missing).
    pub score: Option<f64>,
    /// Category of `score`.
    pub category: Option<Mmas8Category>,
    /// The item-8 rule used.
    pub item8_scoring: Item8Scoring,
}

/// The MMAS-8 scorer. Input columns `mmas1`…`mmas8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Mmas8 {
    /// Item-8 rule.
    pub item8_scoring: Item8Scoring,
    /// Missing-item policy: only [`MissingPolicy::Reject`].
    pub policy: MissingPolicy,
}

impl Mmas8 {
    /// Scores a response.
    pub fn score_response(&self, r: &Mmas8Response) -> Mmas8Score {
        let mut total = 0.0;
        let mut complete = r.item8.is_some();
        for (i, a) in r.yes.iter().enumerate() {
            match a {
                // Item 5 (index 4) is keyed the other way.
                Some(yes) => total += if (i == 4) == *yes { 1.0 } else { 0.0 },
                None => complete = false,
            }
        }
        if let Some(opt) = r.item8 {
            total += match self.item8_scoring {
                Item8Scoring::Weighted => f64::from(4 - opt.min(4)) / 4.0,
                Item8Scoring::Dichotomised => {
                    if opt == 0 {
                        1.0
                    } else {
                        0.0
                    }
                }
            };
        }
        let score = complete.then_some(total);
        Mmas8Score {
            score,
            category: score.map(Mmas8Category::of),
            item8_scoring: self.item8_scoring,
        }
    }
}

fn parse_yes_no(i: usize, t: &str) -> Result<bool, ScoreError> {
    match t.to_ascii_lowercase().as_str() {
        "yes" | "y" | "1" => Ok(true),
        "no" | "n" | "0" => Ok(false),
        _ => Err(ScoreError::OutOfRange {
            instrument: NAME,
            item: format!("item {}", i + 1),
            value: t.to_string(),
            allowed: YES_NO,
        }),
    }
}

fn parse_item8(t: &str) -> Result<u8, ScoreError> {
    let err = || ScoreError::OutOfRange {
        instrument: NAME,
        item: "item 8".into(),
        value: t.to_string(),
        allowed: OPTIONS,
    };
    match t {
        "A" | "a" => return Ok(0),
        "B" | "b" => return Ok(1),
        "C" | "c" => return Ok(2),
        "D" | "d" => return Ok(3),
        "E" | "e" => return Ok(4),
        _ => {}
    }
    let w: f64 = t.parse().map_err(|_| err())?;
    [1.0, 0.75, 0.5, 0.25, 0.0]
        .iter()
        .position(|&x: &f64| (x - w).abs() < 1e-12)
        .map(|p| p as u8)
        .ok_or_else(err)
}

impl Instrument for Mmas8 {
    type Response = Mmas8Response;
    type Score = Mmas8Score;

    fn name(&self) -> &'static str {
        NAME
    }

    fn columns(&self) -> Vec<String> {
        (1..=8).map(|i| format!("mmas{i}")).collect()
    }

    fn parse(&self, answers: &[Option<&str>]) -> Result<Mmas8Response, ScoreError> {
        check_count(NAME, 8, answers.len())?;
        let mut r = Mmas8Response::default();
        for (i, a) in answers.iter().enumerate().take(7) {
            r.yes[i] = a.map(|t| parse_yes_no(i, t)).transpose()?;
        }
        r.item8 = answers[7].map(parse_item8).transpose()?;
        Ok(r)
    }

    fn score(&self, response: &Mmas8Response) -> Result<Mmas8Score, ScoreError> {
        self.policy.require_reject(NAME)?;
        Ok(self.score_response(response))
    }

    fn output_columns(&self) -> Vec<&'static str> {
        vec!["mmas8_score", "mmas8_category"]
    }

    fn output(&self, s: &Mmas8Score) -> Vec<Option<Cell>> {
        vec![
            s.score.map(Cell::Number),
            s.category.map(|c| Cell::Text(c.label().into())),
        ]
    }
}
