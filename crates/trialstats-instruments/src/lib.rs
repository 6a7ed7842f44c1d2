//! Scoring of the survey instruments of a diabetes peer-support trial: PHQ-9 (depression), the
//! Diabetes Distress Scale (DDS-17, DDS-2, DDS-4), EQ-5D (3L and 5L value sets, the 5L→3L
//! crosswalk, EQ VAS), the Summary of Diabetes Self-Care Activities (SDSCA) and — behind the
//! opt-in `mmas8` feature, because the instrument is licensed by its owner — the MMAS-8.
//!
//! # Rules every scorer follows
//! - Answers are typed (an enum or a checked number); a missing item is `None`, never 0 and never
//!   a sentinel such as 9. An invalid answer is a [`ScoreError`] naming the instrument, the item
//!   and the value — never a clamped value.
//! - Scores are unrounded `f64`; cut-offs apply to the unrounded score. Where a value set *is* a
//!   published 3-decimal table (Australia EQ-5D-3L, the van Hout crosswalk) the table value is the
//!   score.
//! - Missing items follow one [`MissingPolicy`] for every scorer: [`MissingPolicy::Reject`]
//!   (complete case, the default) everywhere; prorating only for PHQ-9 and DDS, the scales with a
//!   research convention. The policy used is recorded in each result.
//! - Every scorer implements [`Instrument`], so a table of responses is scored row by row with
//!   [`score_rows`]: each row gets its score or its error, and one bad row never stops the others.
//!
//! The specifications (items, codings, cut-offs, coefficients, verification status) are those of
//! the project's instrument specification; each module cites the original papers.
#![forbid(unsafe_code)]

pub mod answer;
pub mod dds;
pub mod eq5d;
pub mod error;
#[cfg(feature = "mmas8")]
pub mod mmas8;
pub mod phq9;
pub mod sdsca;

use serde::Serialize;

pub use answer::MissingPolicy;
pub use dds::{Dds, DdsItem, DdsLevel, DdsResponse, DdsScore, DdsVersion};
pub use eq5d::{
    Eq5d, Eq5dResponse, Eq5dScore, EqVas, HealthState, ValueSet, Verification, Version, value_set,
};
pub use error::ScoreError;
#[cfg(feature = "mmas8")]
pub use mmas8::{Mmas8, Mmas8Category, Mmas8Response, Mmas8Score};
pub use phq9::{Frequency, Phq9, Phq9Response, Phq9Score, Severity, Syndrome};
pub use sdsca::{Sdsca, SdscaResponse, SdscaScore};

/// One output value of a score, for tables (CSV) and JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Cell {
    /// A number (unrounded).
    Number(f64),
    /// A category or label.
    Text(String),
    /// A flag.
    Bool(bool),
}

/// A scorer: reads one respondent's raw answers, checks them into a typed response and scores it.
///
/// Raw answers are text as found in a data table (`None` = missing), so the same call serves CSV
/// files, spreadsheets and typed callers. Typed callers can build a `Response` directly and call
/// [`Instrument::score`].
pub trait Instrument {
    /// One respondent's checked answers.
    type Response;
    /// The scores.
    type Score: Serialize;

    /// The instrument's name in messages, e.g. `PHQ-9`.
    fn name(&self) -> &'static str;
    /// The default input column names, in the order [`Instrument::parse`] reads them.
    fn columns(&self) -> Vec<String>;
    /// Checks one respondent's raw answers (in the order of [`Instrument::columns`]).
    ///
    /// # Errors
    /// [`ScoreError`] naming the item and value of the first invalid answer.
    fn parse(&self, answers: &[Option<&str>]) -> Result<Self::Response, ScoreError>;
    /// Scores a checked response.
    ///
    /// # Errors
    /// [`ScoreError::UnsupportedPolicy`] for a policy the instrument has no convention for.
    fn score(&self, response: &Self::Response) -> Result<Self::Score, ScoreError>;
    /// Names of the output columns of [`Instrument::output`].
    fn output_columns(&self) -> Vec<&'static str>;
    /// A score as output cells (`None` = missing), in the order of [`Instrument::output_columns`].
    fn output(&self, score: &Self::Score) -> Vec<Option<Cell>>;

    /// [`Instrument::parse`] then [`Instrument::score`].
    ///
    /// # Errors
    /// As those two.
    fn score_answers(&self, answers: &[Option<&str>]) -> Result<Self::Score, ScoreError> {
        self.score(&self.parse(answers)?)
    }
}

/// Scores every row; a row that cannot be scored gets its error and the others go on.
pub fn score_rows<'a, I, R>(instrument: &I, rows: R) -> Vec<Result<I::Score, ScoreError>>
where
    I: Instrument,
    R: IntoIterator<Item = Vec<Option<&'a str>>>,
{
    rows.into_iter()
        .map(|row| instrument.score_answers(&row))
        .collect()
}
