//! Evaluation over columns of a data table, one result (or error) per row.

use crate::equation::{Equation, Risk};
use crate::error::UkpdsError;
use crate::profile::ProfileBuilder;

/// Columns of inputs, one entry per person; `None` is missing. `af` is needed only for the stroke
/// equation (missing counts as an error there) and `afro_caribbean`/`hba1c` only for CHD.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatchInput<'a> {
    /// Age at diagnosis.
    pub age_at_diagnosis: &'a [Option<f64>],
    /// Years since diagnosis.
    pub duration: &'a [Option<f64>],
    /// 0/1.
    pub female: &'a [Option<f64>],
    /// 0/1.
    pub afro_caribbean: &'a [Option<f64>],
    /// 0/1.
    pub smoker: &'a [Option<f64>],
    /// HbA1c (%).
    pub hba1c: &'a [Option<f64>],
    /// SBP (mmHg).
    pub sbp: &'a [Option<f64>],
    /// TC/HDL.
    pub tc_hdl: &'a [Option<f64>],
    /// 0/1 atrial fibrillation (may be empty for CHD).
    pub af: &'a [Option<f64>],
}

/// Evaluates `equation` at `horizon` for every row; a row that cannot be evaluated gets its error
/// (naming the field and value) and the others go on. Every column has one value per person
/// (the length of `age_at_diagnosis`), or none at all for a column the equation does not need.
///
/// # Errors
/// [`UkpdsError::Length`] naming a column of another length (a shorter column would otherwise
/// read as missing values, a longer one be cut silently).
///
/// # Examples
/// ```
/// use trialstats_ukpds::{evaluate_batch, BatchInput, Equation, UkpdsError};
/// # fn main() -> Result<(), UkpdsError> {
/// // Row 1 is the spec §2 worked example (reference 20-year CHD risk 0.3263); row 2 has no HbA1c.
/// let (age, zero) = ([Some(45.0), Some(45.0)], [Some(0.0), Some(0.0)]);
/// let input = BatchInput {
///     age_at_diagnosis: &age,
///     duration: &zero,
///     female: &zero,
///     afro_caribbean: &zero,
///     smoker: &zero,
///     hba1c: &[Some(7.5), None],
///     sbp: &[Some(160.0), Some(160.0)],
///     tc_hdl: &[Some(4.9), Some(4.9)],
///     af: &[], // only the stroke equation needs it
/// };
/// let out = evaluate_batch(&input, Equation::Chd, 20.0)?;
/// assert!(matches!(&out[0], Ok(r) if (r.risk - 0.3263).abs() < 5e-5));
/// assert_eq!(out[1], Err(UkpdsError::Missing { field: "hba1c" }));
/// // A column of another length is refused, naming it.
/// let short = BatchInput { sbp: &[Some(160.0)], ..input };
/// assert!(matches!(evaluate_batch(&short, Equation::Chd, 20.0), Err(UkpdsError::Length { field: "sbp", .. })));
/// # Ok(()) }
/// ```
pub fn evaluate_batch(
    input: &BatchInput<'_>,
    equation: Equation,
    horizon: f64,
) -> Result<Vec<Result<Risk, UkpdsError>>, UkpdsError> {
    let n = input.age_at_diagnosis.len();
    for (field, col) in [
        ("duration", input.duration),
        ("female", input.female),
        ("afro_caribbean", input.afro_caribbean),
        ("smoker", input.smoker),
        ("hba1c", input.hba1c),
        ("sbp", input.sbp),
        ("tc_hdl", input.tc_hdl),
        ("af", input.af),
    ] {
        if !col.is_empty() && col.len() != n {
            return Err(UkpdsError::Length {
                field,
                got: col.len(),
                expected: n,
            });
        }
    }
    Ok((0..n)
        .map(|i| {
            let get = |field: &'static str,
                       col: &[Option<f64>],
                       needed: bool,
                       default: f64|
             -> Result<f64, UkpdsError> {
                match col.get(i).copied().flatten() {
                    Some(v) => Ok(v),
                    None if needed => Err(UkpdsError::Missing { field }),
                    None => Ok(default),
                }
            };
            let chd = equation == Equation::Chd;
            let profile = ProfileBuilder {
                age_at_diagnosis: get("age_at_diagnosis", input.age_at_diagnosis, true, 0.0)?,
                duration: get("duration", input.duration, true, 0.0)?,
                female: get("female", input.female, true, 0.0)?,
                afro_caribbean: get("afro_caribbean", input.afro_caribbean, chd, 0.0)?,
                smoker: get("smoker", input.smoker, true, 0.0)?,
                hba1c: get("hba1c", input.hba1c, chd, 6.72)?,
                sbp: get("sbp", input.sbp, true, 0.0)?,
                tc_hdl: get("tc_hdl", input.tc_hdl, true, 0.0)?,
                atrial_fibrillation: get("af", input.af, !chd, 0.0)?,
            }
            .build()?;
            equation.risk(&profile, horizon)
        })
        .collect())
}
