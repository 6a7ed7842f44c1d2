//! Checks of data and designs before a factorisation: finiteness, full rank, names.

use nalgebra::DMatrix;

use crate::error::{InputError, LinalgError};

use super::*;

/// Checks that a response has one finite value per row of the design X.
///
/// # Errors
/// [`InputError::Length`] naming `field` and `X`; [`InputError::NonFinite`] naming the first NaN
/// or infinite value of `y` (field `field`) or of X (field `X column j`, 1-based).
pub fn check_data(
    field: &str,
    y_len: usize,
    y: impl Iterator<Item = f64>,
    x: &DMatrix<f64>,
) -> Result<(), InputError> {
    if y_len != x.nrows() {
        return Err(InputError::Length {
            field: field.to_owned(),
            got: y_len,
            reference: "X".into(),
            expected: x.nrows(),
        });
    }
    for (row, v) in y.enumerate() {
        if !v.is_finite() {
            return Err(InputError::NonFinite {
                field: field.to_owned(),
                row,
                value: v,
            });
        }
    }
    let n = x.nrows().max(1);
    if let Some(pos) = x.as_slice().iter().position(|v| !v.is_finite()) {
        return Err(InputError::NonFinite {
            field: format!("X column {}", pos / n + 1),
            row: pos % n,
            value: x.as_slice()[pos],
        });
    }
    Ok(())
}

/// About what a total sum of squares is taken (R's `summary.lm`: the mean for a model with an
/// intercept, 0 without).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Centre {
    /// About the mean ȳ.
    Mean,
    /// About 0.
    Zero,
}

/// The total sum of squares of `y` about its mean or about 0 (as R's `summary.lm` for a model
/// with or without an intercept). Two vectorised passes (the mean, then the squared deviations
/// from it), so that a large mean does not cancel digits.
///
/// # Formula
/// ```text
/// TSS = Σᵢ (yᵢ − ȳ)²   (Centre::Mean)        TSS = Σᵢ yᵢ²   (Centre::Zero)
/// ```
///
/// # Examples
/// ```
/// use trialstats_core::linalg::{Centre, total_sum_of_squares};
/// let y = [1.0, 2.0, 3.0, 6.0];
/// assert_eq!(total_sum_of_squares(&y, Centre::Mean), 14.0); // ȳ = 3: 4 + 1 + 0 + 9
/// assert_eq!(total_sum_of_squares(&y, Centre::Zero), 50.0);
/// ```
pub fn total_sum_of_squares(y: &[f64], centre: Centre) -> f64 {
    if centre == Centre::Zero {
        return dot(y, y);
    }
    if y.is_empty() {
        return 0.0;
    }
    let (sum, _) = crate::kernels::sum_and_sum_sq_dev(y, 0.0);
    crate::kernels::sum_and_sum_sq_dev(y, sum / y.len() as f64).1
}

/// The range of `v` among the rows with `y` > ½ (y = 1 of a 0/1 outcome) and among the others, and its sum, in one
/// vectorised pass with no branches: `[max, min]` of the first class, `[max, min]` of the second
/// (−∞, +∞ for an empty class) and `Σ v` (non-finite when some value is). Used to detect
/// separation in binary models.
pub fn class_ranges(v: &[f64], y: &[f64]) -> [f64; 5] {
    crate::kernels::class_ranges(v, y)
}

/// The error to report when cross-products of X and y came out non-finite: the first NaN or
/// infinite value of `y` (field `field`) or of X as [`check_data`] names it, or, when every value
/// is finite, [`InputError::OutOfRange`] for values so large that their squares overflow.
///
/// Estimators that read the data in one pass check the *result* of that pass (a NaN or an
/// infinity anywhere in X or y makes a diagonal entry of XᵀX, or Xᵀy, non-finite) and call this
/// only then, instead of reading the data a second time up front.
pub fn non_finite_error(field: &str, y: &[f64], x: &DMatrix<f64>) -> InputError {
    match check_data(field, y.len(), y.iter().copied(), x) {
        Err(e) => e,
        Ok(()) => InputError::OutOfRange {
            field: "X'X".into(),
            value: f64::INFINITY,
            expected:
                "data whose squares and cross-products are finite (|values| below about 1e154)"
                    .into(),
        },
    }
}

/// One name per column of X, as owned strings.
///
/// # Errors
/// [`InputError::Length`] if there is not one name per column.
pub fn column_names<S: AsRef<str>>(
    names: &[S],
    x: &DMatrix<f64>,
) -> Result<Vec<String>, InputError> {
    if names.len() != x.ncols() {
        return Err(InputError::Length {
            field: "names".into(),
            got: names.len(),
            reference: "columns of X".into(),
            expected: x.ncols(),
        });
    }
    Ok(names.iter().map(|s| s.as_ref().to_owned()).collect())
}

/// Checks that X has full column rank, naming the aliased columns if not.
///
/// Fast path: the column-equilibrated XᵀX (one BLAS-3 pass) with condition number below 10¹²
/// proves full rank (κ(X) < 10⁶, far from R's aliasing tolerance of 10⁻⁷). Otherwise the Householder
/// QR with R's rule decides and names the aliased columns.
///
/// # Errors
/// [`LinalgError::Aliased`] naming the aliased columns; [`LinalgError::NonFinite`].
pub fn check_full_rank(x: &DMatrix<f64>, names: &[String]) -> Result<(), LinalgError> {
    if matches!(equilibrated(&crossprod(x)), Some((_, _, kappa)) if kappa < 1e12) {
        return Ok(());
    }
    Qr::new(x)?.require_full_rank(names)
}
