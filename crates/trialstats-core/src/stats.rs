//! Sample moments, computed so that extreme values cannot overflow them.

/// The mean, the variance of the values divided by their largest magnitude s (n − 1
/// denominator), and s: the moments of the scaled values, which cannot overflow.
fn scaled_moments(values: &[f64]) -> Option<(f64, f64, f64)> {
    if values.is_empty() || values.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let n = values.len() as f64;
    let scale = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if scale == 0.0 {
        return Some((0.0, 0.0, 0.0));
    }
    let mean_scaled = values.iter().map(|v| v / scale).sum::<f64>() / n;
    let mean = mean_scaled * scale;
    let var_scaled = if values.len() < 2 {
        0.0
    } else {
        values
            .iter()
            .map(|v| {
                // The deviation is taken before scaling (as precise as the plain formula for
                // values close together); only a deviation that overflows is taken scaled.
                let raw = v - mean;
                let d = if raw.is_finite() {
                    raw / scale
                } else {
                    v / scale - mean_scaled
                };
                d * d
            })
            .sum::<f64>()
            / (n - 1.0)
    };
    Some((mean, var_scaled, scale))
}

/// The mean and the sample variance (n − 1 denominator) of `values`, computed on values divided
/// by the largest magnitude and scaled back: the variance of numbers near 1e150 (whose squares
/// overflow) is finite. `None` when `values` is empty or holds a NaN or an infinity; the
/// variance is 0 for a single value.
///
/// # Formula
/// ```text
/// s = max|xᵢ|,  m = s·Σ(xᵢ/s)/n,  v = s²·Σ((xᵢ − m)/s)²/(n − 1)
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

#[cfg(test)]
mod tests {
    use super::*;

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
