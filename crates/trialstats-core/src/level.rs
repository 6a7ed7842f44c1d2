//! The confidence level of an interval, checked once.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::InputError;

/// A confidence level in (0, 1), such as 0.95.
///
/// Every interval in the workspace takes a `Level`, so the range is checked where the number
/// enters (a command-line option, a plan file) and nowhere else. The default is 0.95.
///
/// # Examples
/// ```
/// use trialstats_core::Level;
/// # fn main() -> Result<(), trialstats_core::InputError> {
/// let level = Level::new(0.9)?;
/// assert!((level.alpha() - 0.1).abs() < 1e-15);
/// assert!((level.upper_tail_probability() - 0.95).abs() < 1e-15);
/// assert_eq!(Level::default(), Level::P95);
/// assert!(Level::new(1.0).is_err());
/// assert!(Level::new(95.0).is_err()); // a percentage is refused, not read as 0.95
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Level(f64);

impl Level {
    /// 95 %.
    pub const P95: Level = Level(0.95);
    /// 90 %.
    pub const P90: Level = Level(0.90);
    /// 99 %.
    pub const P99: Level = Level(0.99);

    /// A level strictly between 0 and 1.
    ///
    /// # Errors
    /// [`InputError::OutOfRange`] for a value outside (0, 1) or NaN.
    pub fn new(level: f64) -> Result<Self, InputError> {
        if level > 0.0 && level < 1.0 {
            Ok(Level(level))
        } else {
            Err(InputError::OutOfRange {
                field: "confidence level".into(),
                value: level,
                expected: "between 0 and 1 (e.g. 0.95)".into(),
            })
        }
    }

    /// The level as a number.
    pub fn value(self) -> f64 {
        self.0
    }

    /// α = 1 − level.
    pub fn alpha(self) -> f64 {
        1.0 - self.0
    }

    /// (1 + level)/2: the probability whose quantile is the two-sided interval's multiplier.
    pub fn upper_tail_probability(self) -> f64 {
        0.5 + self.0 / 2.0
    }
}

impl Default for Level {
    fn default() -> Self {
        Level::P95
    }
}

impl TryFrom<f64> for Level {
    type Error = InputError;
    fn try_from(value: f64) -> Result<Self, Self::Error> {
        Level::new(value)
    }
}

impl From<Level> for f64 {
    fn from(level: Level) -> f64 {
        level.0
    }
}

impl fmt::Display for Level {
    /// As a percentage: `95%`, `97.5%`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pct = self.0 * 100.0;
        let rounded = (pct * 1e6).round() / 1e6;
        write!(f, "{rounded}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_conversions() {
        assert_eq!(Level::P95.to_string(), "95%");
        assert_eq!(Level::new(0.975).map(|l| l.to_string()), Ok("97.5%".into()));
        assert_eq!(f64::from(Level::P90).to_bits(), 0.9f64.to_bits());
        assert_eq!(Level::try_from(0.9), Ok(Level::P90));
    }

    #[test]
    fn nan_and_bounds_are_refused() {
        for bad in [f64::NAN, 0.0, 1.0, -0.5, f64::INFINITY] {
            assert!(Level::new(bad).is_err(), "{bad}");
        }
    }
}
