//! Sample moments, computed so that extreme values cannot overflow them.

use crate::compensated::Dd;

/// Largest magnitude kept unscaled; above it the values are divided by [`SCALE`].
const UNSCALED_MAX: f64 = 1e150;
/// A power of two (so dividing by it is exact): 2⁶⁰⁰ ≈ 4.1e180.
const SCALE: f64 = 4.149_515_568_880_993e180;

/// The mean, the variance of the values divided by s (n − 1 denominator), and s: s is 1, or the
/// power of two [`SCALE`] when a value exceeds 1e150 (whose square would overflow), so scaling
/// is exact and the moments cannot overflow. Sums are compensated and the mean refined by the
/// mean deviation, as R's `mean` does (in long double): the mean is the correctly rounded mean
/// in all but contrived cases.
fn scaled_moments(values: &[f64]) -> Option<(f64, f64, f64)> {
    if values.is_empty() || values.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let n = values.len() as f64;
    let max = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let scale = if max > UNSCALED_MAX { SCALE } else { 1.0 };
    let mut sum = Dd::ZERO;
    for v in values {
        sum.accumulate(v / scale);
    }
    let first = sum.value() / n;
    let mut deviation = Dd::ZERO;
    for v in values {
        // Both parts, so the deviation is exact where xᵢ − m₀ would round (R: long double).
        deviation.accumulate(v / scale);
        deviation.accumulate(-first);
    }
    let mean_scaled = first + deviation.value() / n;
    let mean = mean_scaled * scale;
    let var_scaled = if values.len() < 2 {
        0.0
    } else {
        let mut squares = Dd::ZERO;
        for v in values {
            // The deviation is taken before scaling (as precise as the plain formula for
            // values close together); only a deviation that overflows is taken scaled.
            let raw = v - mean;
            let d = if raw.is_finite() {
                raw / scale
            } else {
                v / scale - mean_scaled
            };
            squares.accumulate_product(d, d);
        }
        squares.value() / (n - 1.0)
    };
    Some((mean, var_scaled, scale))
}

/// The mean and the sample variance (n − 1 denominator) of `values`, with compensated sums
/// and R's refinement of the mean (R `mean`, `var`), on values divided by a power of two when
/// they exceed 1e150, so that the variance of numbers whose squares overflow is finite. `None` when `values` is empty or holds a NaN or an infinity; the
/// variance is 0 for a single value.
///
/// # Formula
/// ```text
/// s = 1, or 2⁶⁰⁰ if max|xᵢ| > 1e150;  m₀ = s·Σ(xᵢ/s)/n,  m = m₀ + Σ(xᵢ − m₀)/n
/// v = s²·Σ((xᵢ − m)/s)²/(n − 1)
/// ```
///
/// # Examples
/// ```
/// use trialstats_core::stats::mean_var;
/// assert_eq!(mean_var(&[1.0, 2.0, 3.0]), Some((2.0, 1.0)));
/// let (m, v) = mean_var(&[0.0, 1e150]).unwrap(); // (1e150)² = 1e300 still fits
/// assert!((m - 5e149).abs() < 1e135 && (v - 5e299).abs() < 1e285);
/// ```
pub fn mean_var(values: &[f64]) -> Option<(f64, f64)> {
    scaled_moments(values).map(|(m, v, s)| (m, v * s * s))
}

/// The mean and the sample standard deviation (see [`mean_var`]; the SD is formed from the
/// scaled moments, so it is finite wherever it is representable, even when the variance is not).
///
/// # Examples
/// ```
/// use trialstats_core::stats::mean_sd;
/// // The variance of these two values overflows; their SD is 7.07e299.
/// let (m, sd) = mean_sd(&[0.0, 1e300]).unwrap();
/// assert!((m - 5e299).abs() < 1e285 && (sd - 7.0710678118654755e299).abs() < 1e286);
/// ```
pub fn mean_sd(values: &[f64]) -> Option<(f64, f64)> {
    scaled_moments(values).map(|(m, v, s)| (m, v.sqrt() * s))
}

/// Whether `v` is exactly 0 (either sign) or 1: a value of a binary outcome.
///
/// # Examples
/// ```
/// use trialstats_core::stats::is_binary_value;
/// assert!(is_binary_value(0.0) && is_binary_value(-0.0) && is_binary_value(1.0));
/// assert!(!is_binary_value(0.5) && !is_binary_value(f64::NAN));
/// ```
pub fn is_binary_value(v: f64) -> bool {
    v.abs() == 0.0 || is_one(v)
}

/// Whether `v` is exactly 1.
pub fn is_one(v: f64) -> bool {
    (v - 1.0).abs() == 0.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mean_is_rs_to_the_bit() {
        // R 4.2.2: sprintf("%.17g", mean(c(61, 66, 70))) = "65.666666666666671" (197/3 rounded
        // once); a plain sum / n gives the same here, but the scaled sum of the first version
        // gave 65.666666666666657, one ulp below.
        let bits = |v: &[f64]| mean_sd(v).unwrap().0.to_bits();
        assert_eq!(bits(&[61.0, 66.0, 70.0]), (197.0_f64 / 3.0).to_bits());
        // sprintf("%.17g", mean(c(0.1, 0.2, 0.3))) = "0.20000000000000001" (the double 0.2);
        // (0.1 + 0.2 + 0.3) / 3 is 0.20000000000000004.
        assert_eq!(bits(&[0.1, 0.2, 0.3]), 0.2_f64.to_bits());
        // sprintf("%.17g", mean(c(1e16, 1, -1e16, 3))) = "1": the compensated sum keeps the 1.
        assert_eq!(bits(&[1e16, 1.0, -1e16, 3.0]), 1.0_f64.to_bits());
    }

    #[test]
    fn close_values_keep_their_precision_and_extremes_do_not_overflow() {
        // Deviations of 1e−7 around 1.5: the variance to 1e−12 relative (the plain formula's).
        let v = [1.5, 1.5, 1.5, 1.5, 1.500_000_1];
        let (m, var) = mean_var(&v).unwrap();
        let plain_m = v.iter().sum::<f64>() / 5.0;
        let plain = v.iter().map(|x| (x - plain_m).powi(2)).sum::<f64>() / 4.0;
        assert!((var - plain).abs() <= 1e-12 * plain, "{var} v. {plain}");
        assert!((m - plain_m).abs() <= 1e-15);
        // ±1e308: the deviations overflow unscaled; the SD is 1.414e308, representable.
        let (m, sd) = mean_sd(&[1e308, -1e308]).unwrap();
        assert!(m.abs() < 1e292 && (sd / 1.4142135623730951e308 - 1.0).abs() < 1e-14);
        assert_eq!(mean_var(&[]), None);
        assert_eq!(mean_var(&[1.0, f64::NAN]), None);
        assert_eq!(mean_sd(&[4.0]), Some((4.0, 0.0)));
    }
}
