//! Tests on two samples of numbers: t and Wilcoxon rank-sum.

use serde::{Deserialize, Serialize};
use trialstats_core::{InputError, Reference};

use crate::error::TwoSampleError;

/// The result of a test, as R's `htest`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestResult {
    /// Short name (`welch`, `ttest`, `wilcoxon`, `chisq`, `fisher`).
    pub test: String,
    /// The test statistic (t, W, X², or none for Fisher).
    pub statistic: Option<f64>,
    /// Degrees of freedom, where the reference distribution has them.
    pub df: Option<f64>,
    /// Two-sided p-value.
    pub p_value: f64,
    /// The estimate (difference in means; odds ratio), where there is one.
    pub estimate: Option<f64>,
    /// The confidence interval of the estimate, where there is one.
    pub ci: Option<(f64, f64)>,
    /// One sentence naming the method, as R prints it.
    pub method: String,
}

fn check(group: &'static str, v: &[f64], needed: usize) -> Result<(), TwoSampleError> {
    if let Some(row) = v.iter().position(|x| !x.is_finite()) {
        return Err(InputError::NonFinite {
            field: group.into(),
            row,
            value: v[row],
        }
        .into());
    }
    if v.len() < needed {
        return Err(TwoSampleError::TooFew {
            group,
            n: v.len(),
            needed,
        });
    }
    Ok(())
}

fn mean_var(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    (
        m,
        v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0),
    )
}

/// Two-sample t test of equal means (R `t.test(x, y, var.equal)`); the estimate is mean(x) −
/// mean(y) with a `level` interval.
///
/// # Formula
/// ```text
/// Welch:   se² = s_x²/n_x + s_y²/n_y,  ν = se⁴ / [(s_x²/n_x)²/(n_x−1) + (s_y²/n_y)²/(n_y−1)]
/// Student: s² = [(n_x−1)s_x² + (n_y−1)s_y²]/(n_x+n_y−2),  se² = s²(1/n_x + 1/n_y),  ν = n_x+n_y−2
/// t = (x̄ − ȳ)/se,  p = 2 P(T_ν > |t|)
/// ```
///
/// # References
/// Welch (1947), Biometrika 34(1–2):28–35, doi:10.1093/biomet/34.1-2.28.
///
/// # Errors
/// [`TwoSampleError::TooFew`] for a group with fewer than 2 values; [`TwoSampleError::ZeroVariance`];
/// [`InputError::NonFinite`].
pub fn t_test(
    x: &[f64],
    y: &[f64],
    var_equal: bool,
    level: f64,
) -> Result<TestResult, TwoSampleError> {
    check("x", x, 2)?;
    check("y", y, 2)?;
    let (mx, vx) = mean_var(x);
    let (my, vy) = mean_var(y);
    let (nx, ny) = (x.len() as f64, y.len() as f64);
    let (se, df) = if var_equal {
        let v = ((nx - 1.0) * vx + (ny - 1.0) * vy) / (nx + ny - 2.0);
        ((v * (1.0 / nx + 1.0 / ny)).sqrt(), nx + ny - 2.0)
    } else {
        let (a, b) = (vx / nx, vy / ny);
        (
            (a + b).sqrt(),
            (a + b) * (a + b) / (a * a / (nx - 1.0) + b * b / (ny - 1.0)),
        )
    };
    if se <= 10.0 * f64::EPSILON * mx.abs().max(my.abs()) || se == 0.0 {
        return Err(TwoSampleError::ZeroVariance);
    }
    let t = (mx - my) / se;
    let r = Reference::StudentT { df };
    let p = r.p_value(t, trialstats_core::Alternative::TwoSided)?;
    if !(level > 0.0 && level < 1.0) {
        return Err(InputError::OutOfRange {
            field: "level".into(),
            value: level,
            expected: "0 < level < 1".into(),
        }
        .into());
    }
    let q = r.quantile(0.5 + level / 2.0)?;
    Ok(TestResult {
        test: if var_equal {
            "ttest".into()
        } else {
            "welch".into()
        },
        statistic: Some(t),
        df: Some(df),
        p_value: p,
        estimate: Some(mx - my),
        ci: Some((mx - my - q * se, mx - my + q * se)),
        method: if var_equal {
            " Two Sample t-test".trim().into()
        } else {
            "Welch Two Sample t-test".into()
        },
    })
}

/// The exact Mann–Whitney distribution needs O((n_x n_y)²) work: refuse it beyond 10⁶ pairs
/// rather than run for hours (the normal approximation is then excellent).
fn check_exact_size(exact: bool, nx: usize, ny: usize) -> Result<(), TwoSampleError> {
    let pairs = (nx * ny) as f64;
    if exact && pairs > 1e6 {
        return Err(InputError::OutOfRange {
            field: "exact Wilcoxon n_x·n_y".into(),
            value: pairs,
            expected: "≤ 1e6; use the normal approximation".into(),
        }
        .into());
    }
    Ok(())
}

/// Average ranks of `v` (ties get the mean of their ranks), and Σ(t³ − t) over tie groups.
fn ranks(v: &[f64]) -> (Vec<f64>, f64) {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    let mut ties = 0.0;
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && v[idx[j + 1]].total_cmp(&v[idx[i]]).is_eq() {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            r[k] = avg;
        }
        let t = (j - i + 1) as f64;
        ties += t * t * t - t;
        i = j + 1;
    }
    (r, ties)
}

/// P(W ≤ q) for the Mann–Whitney statistic with sample sizes m and n, no ties (R `pwilcox`),
/// from the frequencies g(u; m, n) = g(u − n; m − 1, n) + g(u; m, n − 1).
pub fn pwilcox(q: f64, m: usize, n: usize) -> f64 {
    let max = m * n;
    if q < 0.0 {
        return 0.0;
    }
    if q >= max as f64 {
        return 1.0;
    }
    // layer[n'] = frequencies for (m', n') as m' grows.
    let mut layer: Vec<Vec<f64>> = (0..=n).map(|_| vec![1.0]).collect(); // m' = 0: only u = 0
    for mm in 1..=m {
        let mut next: Vec<Vec<f64>> = Vec::with_capacity(n + 1);
        next.push(vec![1.0]); // n' = 0: only u = 0
        for nn in 1..=n {
            let len = mm * nn + 1;
            let mut g = vec![0.0; len];
            // from (mm − 1, nn) shifted by nn
            for (u, v) in layer[nn].iter().enumerate() {
                g[u + nn] += v;
            }
            // from (mm, nn − 1)
            for (u, v) in next[nn - 1].iter().enumerate() {
                g[u] += v;
            }
            next.push(g);
        }
        layer = next;
    }
    let freq = &layer[n];
    let total: f64 = freq.iter().sum();
    let upto = q.floor() as usize;
    freq.iter().take(upto + 1).sum::<f64>() / total
}

/// Wilcoxon rank-sum (Mann–Whitney) test, two-sided (R `wilcox.test(x, y, exact, correct)`).
///
/// W = Σ ranks of x − n_x(n_x + 1)/2. Exact p-value when `exact` is `Some(true)`, or when it is
/// `None` and both groups have fewer than 50 values and there are no ties (R's default);
/// otherwise the normal approximation
/// ```text
/// z = (W − n_x n_y/2 − sign·½) / √{ n_x n_y/12 · [n_x+n_y+1 − Σ(t³−t)/((n_x+n_y)(n_x+n_y−1))] }
/// ```
/// with the continuity correction ½ when `correct`, and ties corrected.
///
/// # References
/// Mann & Whitney (1947), Ann. Math. Statist. 18(1):50–60, doi:10.1214/aoms/1177730491.
///
/// # Errors
/// [`TwoSampleError::TooFew`] for an empty group; [`InputError::NonFinite`].
pub fn wilcox_test(
    x: &[f64],
    y: &[f64],
    exact: Option<bool>,
    correct: bool,
) -> Result<TestResult, TwoSampleError> {
    check("x", x, 1)?;
    check("y", y, 1)?;
    let (nx, ny) = (x.len(), y.len());
    let all: Vec<f64> = x.iter().chain(y).copied().collect();
    let (r, ties) = ranks(&all);
    let w = r[..nx].iter().sum::<f64>() - (nx * (nx + 1)) as f64 / 2.0;
    let exact = exact.unwrap_or(nx < 50 && ny < 50) && ties == 0.0;
    check_exact_size(exact, nx, ny)?;
    let (p, method) = if exact {
        let p = if w > (nx * ny) as f64 / 2.0 {
            1.0 - pwilcox(w - 1.0, nx, ny)
        } else {
            pwilcox(w, nx, ny)
        };
        (
            (2.0 * p).min(1.0),
            "Wilcoxon rank sum exact test".to_string(),
        )
    } else {
        let (fx, fy) = (nx as f64, ny as f64);
        let z0 = w - fx * fy / 2.0;
        let sigma =
            ((fx * fy / 12.0) * ((fx + fy + 1.0) - ties / ((fx + fy) * (fx + fy - 1.0)))).sqrt();
        let corr = if correct { 0.5 * z0.signum() } else { 0.0 };
        let z = (z0 - corr) / sigma;
        let p = 2.0 * Reference::Normal.cdf(-z.abs())?;
        (
            p.min(1.0),
            format!(
                "Wilcoxon rank sum test{}",
                if correct {
                    " with continuity correction"
                } else {
                    ""
                }
            ),
        )
    };
    Ok(TestResult {
        test: "wilcoxon".into(),
        statistic: Some(w),
        df: None,
        p_value: p,
        estimate: None,
        ci: None,
        method,
    })
}

/// The Hodges–Lehmann estimate of the location shift x − y and its `level` confidence interval,
/// as R's `wilcox.test(x, y, conf.int = TRUE)` computes them.
///
/// Exact case (same rule as [`wilcox_test`]): the estimate is the median of the n_x·n_y
/// differences xᵢ − yⱼ and the interval runs from the q-th smallest to the (n_x n_y − q + 1)-th,
/// with q the α/2 quantile of the Mann–Whitney distribution (Bauer 1972). Otherwise: the shifts d
/// at which the normal-approximation statistic of x − d against y equals 0 and ±z_{α/2}, found by
/// bisection to 1e−12 (R uses `uniroot` with tolerance 1e−4, so its values can differ by that).
///
/// # References
/// Hodges & Lehmann (1963), Ann. Math. Statist. 34(2):598–611, doi:10.1214/aoms/1177704172.
/// Bauer (1972), JASA 67(339):687–690, doi:10.1080/01621459.1972.10481279.
///
/// # Errors
/// As [`wilcox_test`]; [`InputError::OutOfRange`] for a `level` outside (0, 1).
pub fn hodges_lehmann(
    x: &[f64],
    y: &[f64],
    level: f64,
    exact: Option<bool>,
    correct: bool,
) -> Result<(f64, (f64, f64)), TwoSampleError> {
    check("x", x, 1)?;
    check("y", y, 1)?;
    if !(level > 0.0 && level < 1.0) {
        return Err(InputError::OutOfRange {
            field: "level".into(),
            value: level,
            expected: "0 < level < 1".into(),
        }
        .into());
    }
    let (nx, ny) = (x.len(), y.len());
    let all: Vec<f64> = x.iter().chain(y).copied().collect();
    let (_, ties) = ranks(&all);
    let alpha = 1.0 - level;
    if exact.unwrap_or(nx < 50 && ny < 50) && ties == 0.0 {
        check_exact_size(true, nx, ny)?;
        let mut diffs: Vec<f64> = x
            .iter()
            .flat_map(|a| y.iter().map(move |b| a - b))
            .collect();
        diffs.sort_by(f64::total_cmp);
        let m = diffs.len();
        let median = if m % 2 == 1 {
            diffs[m / 2]
        } else {
            0.5 * (diffs[m / 2 - 1] + diffs[m / 2])
        };
        // qwilcox(α/2): the smallest q with P(W ≤ q) ≥ α/2.
        let mut qu = (0..=m)
            .find(|&q| pwilcox(q as f64, nx, ny) >= alpha / 2.0)
            .unwrap_or(0);
        if qu == 0 {
            qu = 1;
        }
        let ql = m - qu;
        return Ok((median, (diffs[qu - 1], diffs[ql.min(m - 1)])));
    }
    let (fx, fy) = (nx as f64, ny as f64);
    // Standardised statistic of (x − d, y), R's `wdiff`.
    let wdiff = |d: f64, zq: f64| -> f64 {
        let shifted: Vec<f64> = x.iter().map(|v| v - d).chain(y.iter().copied()).collect();
        let (r, t) = ranks(&shifted);
        let dz = r[..nx].iter().sum::<f64>() - fx * (fx + 1.0) / 2.0 - fx * fy / 2.0;
        let corr = if correct { 0.5 * dz.signum() } else { 0.0 };
        let sigma =
            ((fx * fy / 12.0) * ((fx + fy + 1.0) - t / ((fx + fy) * (fx + fy - 1.0)))).sqrt();
        (dz - corr) / sigma - zq
    };
    let xmin = x.iter().copied().fold(f64::INFINITY, f64::min);
    let xmax = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let ymin = y.iter().copied().fold(f64::INFINITY, f64::min);
    let ymax = y.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (mumin, mumax) = (xmin - ymax, xmax - ymin);
    // wdiff decreases in d: bisect for its sign change.
    let root = |zq: f64| -> f64 {
        if wdiff(mumin, zq) <= 0.0 {
            return mumin;
        }
        if wdiff(mumax, zq) >= 0.0 {
            return mumax;
        }
        let (mut a, mut b) = (mumin, mumax);
        for _ in 0..200 {
            let mid = 0.5 * (a + b);
            if wdiff(mid, zq) > 0.0 {
                a = mid;
            } else {
                b = mid;
            }
            if b - a <= 1e-12 * (1.0 + a.abs().max(b.abs())) {
                break;
            }
        }
        0.5 * (a + b)
    };
    let z = Reference::Normal.quantile(1.0 - alpha / 2.0)?;
    Ok((root(0.0), (root(z), root(-z))))
}

/// Test of equal proportions in two groups (R `prop.test(x, n, correct)`): the chi-square
/// statistic on 1 df (with Yates' correction when `correct`), the difference p₁ − p₂ and its
/// Wald interval (with R's continuity term when `correct`).
///
/// # Formula
/// ```text
/// CI = (p₁ − p₂) ± [z √(Σ pᵢ(1 − pᵢ)/nᵢ) + Y Σ 1/nᵢ],   Y = min(½, |p₁ − p₂| / Σ 1/nᵢ)
/// ```
///
/// # Errors
/// [`TwoSampleError::BadCount`] for counts outside 0 ≤ x ≤ n or non-integers; as
/// [`crate::chisq_test`].
pub fn prop_test(
    successes: [f64; 2],
    totals: [f64; 2],
    correct: bool,
    level: f64,
) -> Result<TestResult, TwoSampleError> {
    for (i, (&s, &n)) in successes.iter().zip(&totals).enumerate() {
        if !(s >= 0.0 && s <= n && s.fract() == 0.0 && n.fract() == 0.0 && n > 0.0) {
            return Err(TwoSampleError::BadCount {
                row: i + 1,
                col: 1,
                value: s,
            });
        }
    }
    let table = vec![
        vec![successes[0], totals[0] - successes[0]],
        vec![successes[1], totals[1] - successes[1]],
    ];
    let chi = crate::table::chisq_test(&table, correct)?;
    let p = [successes[0] / totals[0], successes[1] / totals[1]];
    let delta = p[0] - p[1];
    let inv: f64 = totals.iter().map(|n| 1.0 / n).sum();
    let yates = if correct {
        (delta.abs() / inv).min(0.5)
    } else {
        0.0
    };
    let z = Reference::Normal.quantile(0.5 + level / 2.0)?;
    let width = z * (p[0] * (1.0 - p[0]) / totals[0] + p[1] * (1.0 - p[1]) / totals[1]).sqrt()
        + yates * inv;
    Ok(TestResult {
        test: "prop".into(),
        statistic: chi.statistic,
        df: chi.df,
        p_value: chi.p_value,
        estimate: Some(delta),
        ci: Some(((delta - width).max(-1.0), (delta + width).min(1.0))),
        method: format!(
            "2-sample test for equality of proportions{}",
            if correct {
                " with continuity correction"
            } else {
                " without continuity correction"
            }
        ),
    })
}
