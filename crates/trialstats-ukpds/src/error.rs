//! The one error type of `trialstats-ukpds`.

/// An input that cannot be evaluated: impossible, a unit mistake, or missing.
///
/// # Examples
/// ```
/// use trialstats_ukpds::{ProfileBuilder, UkpdsError};
/// let b = ProfileBuilder { female: 0.5, ..ProfileBuilder::default() };
/// let e = b.build().unwrap_err(); // age at diagnosis 0 is the first field to fail
/// assert!(matches!(e, UkpdsError::OutOfRange { field: "age_at_diagnosis", .. }));
/// let e = ProfileBuilder { age_at_diagnosis: 50.0, ..b }.build().unwrap_err();
/// assert_eq!(e, UkpdsError::NotBinary { field: "female", value: 0.5 });
/// assert_eq!(e.to_string(), "`female` = 0.5 must be 0 or 1");
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum UkpdsError {
    /// A value is NaN or infinite.
    #[error("`{field}` is not a finite number ({value})")]
    NonFinite {
        /// The input.
        field: &'static str,
        /// Its value.
        value: f64,
    },
    /// A value is outside its hard limits (project policy, spec §6).
    #[error("`{field}` = {value} is impossible or in the wrong unit; expected {expected}")]
    OutOfRange {
        /// The input.
        field: &'static str,
        /// Its value.
        value: f64,
        /// The allowed range, in words.
        expected: &'static str,
    },
    /// A 0/1 flag has another value.
    #[error("`{field}` = {value} must be 0 or 1")]
    NotBinary {
        /// The input.
        field: &'static str,
        /// Its value.
        value: f64,
    },
    /// A required input is missing.
    #[error("`{field}` is missing")]
    Missing {
        /// The input.
        field: &'static str,
    },
    /// A column of a batch has neither one value per person nor none at all.
    #[error("`{field}` has {got} values but `age_at_diagnosis` has {expected}")]
    Length {
        /// The column.
        field: &'static str,
        /// Its length.
        got: usize,
        /// The number of people.
        expected: usize,
    },
}
