//! The one error type of the crate: every invalid input names the instrument, the item and the value.

use trialstats_core::error::clip;

use thiserror::Error;

/// Why a response could not be scored.
///
/// A *missing* item is not an error: under the default policy it makes the score missing
/// (`None`). Errors are for answers that cannot be right (out of range, not a whole number, wrong
/// number of items, unknown value set).
///
/// # Examples
/// ```
/// use trialstats_instruments::{Instrument, Phq9, ScoreError};
/// let e = Phq9::default().score_answers(&[Some("0"); 10]).unwrap_err();
/// assert!(matches!(e, ScoreError::WrongItemCount { expected: 9, got: 10, .. }));
/// assert_eq!(e.to_string(), "PHQ-9: expected 9 items, got 10");
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum ScoreError {
    /// An answer outside the instrument's response codes.
    #[error(
        "{instrument} {item}: {:?} is not an allowed answer (allowed: {allowed})",
        clip(value)
    )]
    OutOfRange {
        /// Instrument name, e.g. `PHQ-9`.
        instrument: &'static str,
        /// Item, e.g. `item 3`.
        item: String,
        /// The answer as given.
        value: String,
        /// The allowed answers, in words.
        allowed: &'static str,
    },
    /// A fractional number where a whole-number code is required.
    #[error(
        "{instrument} {item}: {} is not a whole number (allowed: {allowed})",
        clip(value)
    )]
    NotInteger {
        /// Instrument name.
        instrument: &'static str,
        /// Item.
        item: String,
        /// The answer as given.
        value: String,
        /// The allowed answers, in words.
        allowed: &'static str,
    },
    /// The wrong number of items for the instrument.
    #[error("{instrument}: expected {expected} items, got {got}")]
    WrongItemCount {
        /// Instrument name.
        instrument: &'static str,
        /// Items expected.
        expected: usize,
        /// Items given.
        got: usize,
    },
    /// An EQ-5D health state that is not a state of the descriptive system.
    #[error("EQ-5D state {:?}: {reason}", clip(state))]
    InvalidState {
        /// The state as given.
        state: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A value-set id that does not exist.
    #[error("unknown EQ-5D value set {:?}; known ids: {known}", clip(id))]
    UnknownValueSet {
        /// The id as given.
        id: String,
        /// The known ids, comma-separated.
        known: String,
    },
    /// A state of one EQ-5D version given to a value set of the other (a 5L state is never silently
    /// crosswalked).
    #[error(
        "EQ-5D state {state:?} is a {given} state; value set {value_set} scores {expected} states"
    )]
    WrongVersion {
        /// The state as given.
        state: String,
        /// Version of the state (`5L`).
        given: &'static str,
        /// Version the value set takes.
        expected: &'static str,
        /// The value-set id.
        value_set: &'static str,
    },
    /// A missing-item policy that the instrument has no convention for.
    #[error(
        "{instrument}: the missing-item policy {policy} is not defined for this instrument \
         (no published or conventional prorating rule); use MissingPolicy::Reject"
    )]
    UnsupportedPolicy {
        /// Instrument name.
        instrument: &'static str,
        /// The policy, in words.
        policy: String,
    },
    /// An embedded table of the crate could not be read (a build defect, never user input).
    #[error("embedded table {table} is malformed at line {line}")]
    EmbeddedTable {
        /// The table's file name.
        table: &'static str,
        /// 1-based line.
        line: usize,
    },
}
