//! Errors shared by every crate of the workspace.
//!
//! Each variant carries the fields needed to write one sentence that names what was wrong
//! (the field, the row, the value), so that a caller can show it to a user as it is.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// Longest value, in characters, that an error message quotes in full (see [`clip`]).
pub const MAX_QUOTED_CHARS: usize = 80;

/// Most names an error message lists (see [`clip_list`]).
pub const MAX_LISTED_NAMES: usize = 20;

/// A value as an error message quotes it: whole up to [`MAX_QUOTED_CHARS`] characters, else its
/// beginning and the length, so that a megabyte cell gives a sentence, not a megabyte.
///
/// # Examples
/// ```
/// use trialstats_core::error::clip;
/// assert_eq!(clip("abc"), "abc");
/// let long = "x".repeat(1000);
/// assert_eq!(clip(&long), format!("{}… (1000 characters)", "x".repeat(80)));
/// ```
pub fn clip(value: &str) -> Cow<'_, str> {
    match value.char_indices().nth(MAX_QUOTED_CHARS) {
        None => Cow::Borrowed(value),
        Some((end, _)) => Cow::Owned(format!(
            "{}… ({} characters)",
            &value[..end],
            value.chars().count()
        )),
    }
}

/// Names joined by `, ` for an error message: all of them up to [`MAX_LISTED_NAMES`], else the
/// first ones and how many more, each name clipped by [`clip`].
///
/// # Examples
/// ```
/// use trialstats_core::error::clip_list;
/// assert_eq!(clip_list(&["a", "b"]), "a, b");
/// let many: Vec<String> = (0..100).map(|i| format!("v{i}")).collect();
/// assert!(clip_list(&many).ends_with("v19, … and 80 more"));
/// ```
pub fn clip_list<S: AsRef<str>>(names: &[S]) -> String {
    let shown: Vec<Cow<'_, str>> = names
        .iter()
        .take(MAX_LISTED_NAMES)
        .map(|n| clip(n.as_ref()))
        .collect();
    let mut out = shown.join(", ");
    if names.len() > MAX_LISTED_NAMES {
        out.push_str(&format!(", … and {} more", names.len() - MAX_LISTED_NAMES));
    }
    out
}

/// A linear-algebra operation could not be carried out.
///
/// # Examples
/// ```
/// use trialstats_core::LinalgError;
/// let e = LinalgError::Aliased { columns: vec!["x3".into()], rank: 2, ncol: 3 };
/// assert_eq!(
///     e.to_string(),
///     "the design matrix is rank deficient (rank 2 of 3 columns): `x3` is aliased with earlier columns"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
#[non_exhaustive]
pub enum LinalgError {
    /// The operands' shapes do not fit together.
    #[error("{operation}: dimensions do not match ({detail})")]
    Dimension {
        /// The operation that was attempted, e.g. `"least squares"`.
        operation: String,
        /// The shapes that did not fit, e.g. `"x has 10 rows, y has 9"`.
        detail: String,
    },
    /// A matrix that must be symmetric positive definite is not (Cholesky failed).
    #[error("{what} is not positive definite (dimension {dim})")]
    NotPositiveDefinite {
        /// What the matrix is, e.g. `"X'WX"` or `"the negative Hessian"`.
        what: String,
        /// Its dimension.
        dim: usize,
    },
    /// A design matrix has columns that are linear combinations of earlier ones.
    #[error(
        "the design matrix is rank deficient (rank {rank} of {ncol} columns): {} {} aliased with earlier columns",
        quote_list(columns),
        if columns.len() == 1 { "is" } else { "are" }
    )]
    Aliased {
        /// Names of the aliased columns, in design order.
        columns: Vec<String>,
        /// Numerical rank.
        rank: usize,
        /// Number of columns.
        ncol: usize,
    },
    /// A matrix contains a NaN or an infinity.
    #[error("{what} contains a non-finite value at row {}, column {}", row + 1, col + 1)]
    NonFinite {
        /// What the matrix is.
        what: String,
        /// Row of the first non-finite entry (0-based).
        row: usize,
        /// Column of the first non-finite entry (0-based).
        col: usize,
    },
    /// A matrix is singular to working precision.
    #[error("{what} is singular to working precision (dimension {dim})")]
    Singular {
        /// What the matrix is.
        what: String,
        /// Its dimension.
        dim: usize,
    },
}

/// Invalid input to a numerical routine (not a data-file problem: see `trialstats-data`).
///
/// # Examples
/// ```
/// use trialstats_core::InputError;
/// // Rows are 0-based in the value and 1-based in the message.
/// let e = InputError::NonFinite { field: "weight".into(), row: 0, value: f64::NAN };
/// assert_eq!(e.to_string(), "`weight` row 1 is not finite (NaN)");
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
#[non_exhaustive]
pub enum InputError {
    /// Two inputs that must have the same length do not.
    #[error("`{field}` has {got} rows but `{reference}` has {expected}")]
    Length {
        /// The input with the wrong length.
        field: String,
        /// Its length.
        got: usize,
        /// The input it is compared with.
        reference: String,
        /// The length it should have.
        expected: usize,
    },
    /// A value is NaN or infinite.
    #[error("`{}` row {} is not finite ({value})", clip(field), row + 1)]
    NonFinite {
        /// The input.
        field: String,
        /// The row (0-based index; the message shows it 1-based).
        row: usize,
        /// The offending value.
        value: f64,
    },
    /// A value is outside its allowed range.
    #[error("`{field}` = {value} is out of range; expected {expected}")]
    OutOfRange {
        /// The input or setting.
        field: String,
        /// The offending value.
        value: f64,
        /// The allowed range, in words.
        expected: String,
    },
    /// A cluster identifier is missing.
    #[error("cluster variable `{field}` is missing at row {}; drop or impute that row first", row + 1)]
    MissingCluster {
        /// The cluster variable.
        field: String,
        /// The row (0-based index).
        row: usize,
    },
    /// An input is empty where data are needed.
    #[error("`{field}` is empty")]
    Empty {
        /// The input.
        field: String,
    },
}

/// Formats a list of names as `` `a`, `b` and `c` ``.
/// An inner grouping factor that is not nested in the outer one: one of its levels appears in
/// two outer levels (a participant id reused across communities).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error(
    "`{inner}` is not nested in `{outer}`: {inner} {id} appears in {outer} {first} and {outer} {second}; give participants ids unique across {outer}s (or combine the two columns)"
)]
pub struct NotNested {
    /// The inner factor's name.
    pub inner: String,
    /// The outer factor's name.
    pub outer: String,
    /// The inner level that crosses.
    pub id: String,
    /// One outer level it appears in.
    pub first: String,
    /// Another.
    pub second: String,
}

pub(crate) fn quote_list(names: &[String]) -> String {
    match names {
        [] => String::from("(none)"),
        [one] => format!("`{one}`"),
        [init @ .., last] => {
            let head: Vec<String> = init.iter().map(|n| format!("`{n}`")).collect();
            format!("{} and `{last}`", head.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliased_message_names_columns() {
        let e = LinalgError::Aliased {
            columns: vec!["x2".into(), "x3".into()],
            rank: 2,
            ncol: 4,
        };
        assert_eq!(
            e.to_string(),
            "the design matrix is rank deficient (rank 2 of 4 columns): `x2` and `x3` are aliased with earlier columns"
        );
        let one = LinalgError::Aliased {
            columns: vec!["b".into()],
            rank: 1,
            ncol: 2,
        };
        assert!(
            one.to_string()
                .ends_with("`b` is aliased with earlier columns")
        );
    }
}
