//! Reading raw answers (text as found in a data table) into checked codes, and the missing-item
//! policy shared by every scorer.

use serde::{Deserialize, Serialize};

use crate::error::ScoreError;

/// What to do when items are missing. One policy type for every scorer; instruments without a
/// prorating convention accept only [`MissingPolicy::Reject`] and return
/// [`ScoreError::UnsupportedPolicy`] for the others.
///
/// # Formula
/// For a scale of n items of which a are answered with sum s, a prorated score is the mean of the
/// answered items, s/a, and a prorated total is s·n/a (unrounded). With no item missing both are
/// the ordinary mean and sum.
///
/// # Examples
/// ```
/// use trialstats_instruments::{Instrument, MissingPolicy, Phq9};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // Seven items answered 1, two missing (tests/scales.rs).
/// let mut row = vec![Some("1"); 7];
/// row.extend([None, None]);
/// assert_eq!(Phq9::default().score_answers(&row)?.total, None); // Reject: complete case
/// let prorate = Phq9::with_policy(MissingPolicy::Prorate { max_missing: 2 });
/// assert_eq!(prorate.score_answers(&row)?.total, Some(9.0)); // 7 · 9 / 7
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingPolicy {
    /// Complete case: any missing item makes the scale's score missing (`None`). The default, and
    /// the only rule the instruments' authors endorse.
    #[default]
    Reject,
    /// Prorate when at most `max_missing` of the scale's items are missing (PHQ-9 research
    /// convention: `max_missing = 2`).
    Prorate {
        /// Most items that may be missing.
        max_missing: usize,
    },
    /// Prorate when at least half of the scale's items are answered (the DDS "half rule").
    HalfRule,
}

impl MissingPolicy {
    /// Whether a scale of `n` items with `answered` answers may be scored under this policy.
    ///
    /// # Examples
    /// ```
    /// use trialstats_instruments::MissingPolicy;
    /// assert!(!MissingPolicy::Reject.allows(8, 9));
    /// assert!(MissingPolicy::Prorate { max_missing: 2 }.allows(7, 9));
    /// assert!(!MissingPolicy::Prorate { max_missing: 2 }.allows(6, 9));
    /// assert!(MissingPolicy::HalfRule.allows(2, 4) && !MissingPolicy::HalfRule.allows(2, 5));
    /// ```
    pub fn allows(self, answered: usize, n: usize) -> bool {
        let missing = n.saturating_sub(answered);
        answered > 0
            && match self {
                MissingPolicy::Reject => missing == 0,
                MissingPolicy::Prorate { max_missing } => missing <= max_missing,
                MissingPolicy::HalfRule => 2 * answered >= n,
            }
    }

    /// The policy in words, for messages and reports.
    ///
    /// # Examples
    /// ```
    /// use trialstats_instruments::MissingPolicy;
    /// assert_eq!(MissingPolicy::Reject.describe(), "reject (complete case)");
    /// assert_eq!(
    ///     MissingPolicy::Prorate { max_missing: 2 }.describe(),
    ///     "prorate when at most 2 items are missing"
    /// );
    /// ```
    pub fn describe(self) -> String {
        match self {
            MissingPolicy::Reject => "reject (complete case)".to_string(),
            MissingPolicy::Prorate { max_missing } => {
                format!("prorate when at most {max_missing} items are missing")
            }
            MissingPolicy::HalfRule => "prorate when at least half the items are answered".into(),
        }
    }

    /// Errors unless the policy is [`MissingPolicy::Reject`]: for instruments with no prorating
    /// convention.
    pub(crate) fn require_reject(self, instrument: &'static str) -> Result<(), ScoreError> {
        match self {
            MissingPolicy::Reject => Ok(()),
            other => Err(ScoreError::UnsupportedPolicy {
                instrument,
                policy: other.describe(),
            }),
        }
    }
}

/// A scale's score under a policy: the total (sum, prorated to all items) and the mean item score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ScaleScore {
    pub total: f64,
    pub mean: f64,
    pub missing: usize,
}

/// Scores a scale from its item values under `policy`; `None` when the policy does not allow it.
pub(crate) fn scale_score(
    policy: MissingPolicy,
    values: impl IntoIterator<Item = Option<f64>>,
) -> Option<ScaleScore> {
    let (mut sum, mut answered, mut n) = (0.0, 0usize, 0usize);
    for v in values {
        n += 1;
        if let Some(v) = v {
            sum += v;
            answered += 1;
        }
    }
    if !policy.allows(answered, n) {
        return None;
    }
    let total = if answered == n {
        sum
    } else {
        sum * n as f64 / answered as f64
    };
    Some(ScaleScore {
        total,
        mean: sum / answered as f64,
        missing: n - answered,
    })
}

/// Checks that `got` answers were given where `expected` are needed.
pub(crate) fn check_count(
    instrument: &'static str,
    expected: usize,
    got: usize,
) -> Result<(), ScoreError> {
    if expected == got {
        Ok(())
    } else {
        Err(ScoreError::WrongItemCount {
            instrument,
            expected,
            got,
        })
    }
}

/// Checks a numeric answer: a whole number in `lo..=hi`.
pub(crate) fn check_code(
    instrument: &'static str,
    item: &dyn Fn() -> String,
    value: f64,
    lo: u8,
    hi: u8,
    allowed: &'static str,
) -> Result<u8, ScoreError> {
    if !value.is_finite() || value < f64::from(lo) || value > f64::from(hi) {
        return Err(ScoreError::OutOfRange {
            instrument,
            item: item(),
            value: format!("{value}"),
            allowed,
        });
    }
    if value.fract() != 0.0 {
        return Err(ScoreError::NotInteger {
            instrument,
            item: item(),
            value: format!("{value}"),
            allowed,
        });
    }
    // In range and whole, so the cast is exact.
    Ok(value as u8)
}

/// Reads a text answer as a whole-number code in `lo..=hi`; `None` (missing) stays `None`.
pub(crate) fn parse_code(
    instrument: &'static str,
    item: &dyn Fn() -> String,
    text: Option<&str>,
    lo: u8,
    hi: u8,
    allowed: &'static str,
) -> Result<Option<u8>, ScoreError> {
    let Some(text) = text else { return Ok(None) };
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => check_code(instrument, item, v, lo, hi, allowed).map(Some),
        _ => Err(ScoreError::OutOfRange {
            instrument,
            item: item(),
            value: text.to_string(),
            allowed,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_decide_as_documented() {
        assert!(MissingPolicy::Reject.allows(9, 9));
        assert!(!MissingPolicy::Reject.allows(8, 9));
        assert!(MissingPolicy::Prorate { max_missing: 2 }.allows(7, 9));
        assert!(!MissingPolicy::Prorate { max_missing: 2 }.allows(6, 9));
        assert!(MissingPolicy::HalfRule.allows(2, 4));
        assert!(!MissingPolicy::HalfRule.allows(2, 5));
        assert!(!MissingPolicy::HalfRule.allows(0, 0));
    }

    #[test]
    fn prorated_total_is_sum_times_n_over_answered() {
        let s = scale_score(
            MissingPolicy::Prorate { max_missing: 2 },
            [Some(1.0), Some(2.0), None, Some(3.0)],
        );
        let s = s.map(|s| (s.total, s.mean, s.missing));
        assert_eq!(s, Some((8.0, 2.0, 1)));
        assert_eq!(scale_score(MissingPolicy::Reject, [Some(1.0), None]), None);
    }
}
