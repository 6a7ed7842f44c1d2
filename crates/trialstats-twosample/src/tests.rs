//! Tests on two samples of numbers: t and Wilcoxon rank-sum.

use serde::{Deserialize, Serialize};
use trialstats_core::compensated::Dd;
use trialstats_core::optim::uniroot;
use trialstats_core::order::{order_key, sorted_order_keys};
use trialstats_core::scratch;
use trialstats_core::{InputError, Level, Reference};

use crate::options::{Continuity, Exact, Variances};

use crate::error::TwoSampleError;

/// The result of a test, as R's `htest`.
///
/// # Examples
/// ```
/// use trialstats_core::Level;
/// use trialstats_twosample::{Variances, t_test};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let r = t_test(&[5.1, 4.9, 5.6, 5.8, 6.0], &[6.4, 6.9, 6.1, 7.0, 6.6, 7.2], Variances::Unequal, Level::P95)?;
/// assert_eq!((r.test.as_str(), r.method.as_str()), ("welch", "Welch Two Sample t-test"));
/// // R: mean(x) − mean(y) = 5.48 − 6.7 = −1.22
/// assert!((r.estimate.ok_or("no estimate")? + 1.22).abs() < 1e-12);
/// assert_eq!(r.df2, None); // only F statistics have a second df
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestResult {
    /// Short name (`welch`, `ttest`, `wilcoxon`, `chisq`, `fisher`).
    pub test: String,
    /// The test statistic (t, W, X², or none for Fisher).
    pub statistic: Option<f64>,
    /// Degrees of freedom, where the reference distribution has them (the numerator's for F).
    pub df: Option<f64>,
    /// The denominator's degrees of freedom of an F statistic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub df2: Option<f64>,
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

/// Mean and variance (the values are checked finite and non-empty by the callers).
fn mean_var(v: &[f64]) -> (f64, f64) {
    trialstats_core::stats::mean_var(v).unwrap_or((f64::NAN, f64::NAN))
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
///
/// # Examples
/// ```
/// use trialstats_core::Level;
/// use trialstats_twosample::{Variances, t_test};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let x = [5.1, 4.9, 5.6, 5.8, 6.0];
/// let y = [6.4, 6.9, 6.1, 7.0, 6.6, 7.2];
/// let r = t_test(&x, &y, Variances::Unequal, Level::P95)?;
/// // R: t.test(x, y): t = -4.5657352502472337, df = 8.1217798594847768,
/// // p = 0.0017659347362038048, 95 % CI -1.8345777506794083 to -0.6054222493205933
/// assert!((r.statistic.ok_or("no t")? + 4.5657352502472337).abs() < 1e-12);
/// assert!((r.df.ok_or("no df")? - 8.1217798594847768).abs() < 1e-12);
/// assert!((r.p_value - 0.0017659347362038048).abs() < 1e-14);
/// let (lo, hi) = r.ci.ok_or("no interval")?;
/// assert!((lo + 1.8345777506794083).abs() < 1e-12 && (hi + 0.6054222493205933).abs() < 1e-12);
/// # Ok(()) }
/// ```
///
/// Student's t with a 90 % interval:
/// ```
/// use trialstats_core::Level;
/// use trialstats_twosample::{Variances, t_test};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (x, y) = ([5.1, 4.9, 5.6, 5.8, 6.0], [6.4, 6.9, 6.1, 7.0, 6.6, 7.2]);
/// let r = t_test(&x, &y, Variances::Equal, Level::new(0.9)?)?;
/// // R: t.test(x, y, var.equal = TRUE, conf.level = 0.9): t = -4.6248903110895947 on 9 df,
/// // p = 0.0012456728408997829, 90 % CI -1.7035569337673073 to -0.73644306623269395
/// assert_eq!(r.df, Some(9.0));
/// assert!((r.p_value - 0.0012456728408997829).abs() < 1e-14);
/// let (lo, hi) = r.ci.ok_or("no interval")?;
/// assert!((lo + 1.7035569337673073).abs() < 1e-12 && (hi + 0.73644306623269395).abs() < 1e-12);
/// # Ok(()) }
/// ```
pub fn t_test(
    x: &[f64],
    y: &[f64],
    variances: Variances,
    level: Level,
) -> Result<TestResult, TwoSampleError> {
    let var_equal = variances == Variances::Equal;
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
    let q = r.quantile(level.upper_tail_probability())?;
    Ok(TestResult {
        test: if var_equal {
            "ttest".into()
        } else {
            "welch".into()
        },
        statistic: Some(t),
        df: Some(df),
        df2: None,
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

/// R's `tol.root` for the normal-approximation Hodges–Lehmann estimate and interval (the
/// tolerance of its `uniroot`; the default of `wilcox.test`).
pub const TOL_ROOT: f64 = 1e-4;

/// Largest work, min(m, n)·m·n/2 double-double additions, for which the exact Mann–Whitney
/// distribution is computed (m = n = 585, about a second): beyond it the exact test is refused,
/// and the normal approximation (excellent at such sizes) is the way.
pub const MAX_EXACT_WORK: f64 = 1e8;

fn check_exact_size(exact: bool, nx: usize, ny: usize) -> Result<(), TwoSampleError> {
    let work = nx.min(ny) as f64 * nx as f64 * ny as f64 / 2.0;
    if exact && work > MAX_EXACT_WORK {
        return Err(InputError::OutOfRange {
            field: "exact Wilcoxon min(n_x, n_y)·n_x·n_y/2".into(),
            value: work,
            expected: format!("≤ {MAX_EXACT_WORK:e}; use the normal approximation"),
        }
        .into());
    }
    Ok(())
}

/// P(W ≤ q) for q = 0..=⌊mn/2⌋: the coefficients of the Gaussian binomial coefficient built one
/// factor at a time (see [`MannWhitney`]), summed in `T` (f64, or double-double [`Dd`]).
fn gaussian_binomial_cdf<T>(m: usize, n: usize) -> Vec<f64>
where
    T: Copy
        + From<f64>
        + std::ops::Add<Output = T>
        + std::ops::Sub<Output = T>
        + std::ops::Mul<f64, Output = T>,
    f64: From<T>,
{
    let (small, large) = (m.min(n), m.max(n));
    let half = m * n / 2;
    let zero = T::from(0.0);
    // p[k] = P(W = k) for the factors so far, k ≤ half.
    let mut p = vec![zero; half + 1];
    p[0] = T::from(1.0);
    let mut c = vec![zero; half + 1];
    for i in 1..=small {
        let scale = i as f64 / (large + i) as f64;
        let shift = large + i;
        // c[k] = p[k] − p[k − shift] + c[k − i], in three ranges without branches.
        let first = i.min(half + 1);
        c[..first].copy_from_slice(&p[..first]);
        let second = shift.clamp(first, half + 1);
        for k in first..second {
            c[k] = p[k] + c[k - i];
        }
        for k in second..=half {
            c[k] = p[k] - p[k - shift] + c[k - i];
        }
        for (pk, ck) in p.iter_mut().zip(&c) {
            *pk = *ck * scale;
        }
    }
    let mut acc = zero;
    p.iter()
        .map(|v| {
            acc = acc + *v;
            f64::from(acc)
        })
        .collect()
}

/// The null distribution of the Mann–Whitney statistic W (no ties) for sample sizes m and n,
/// computed once: P(W ≤ q) for q up to mn/2, the rest by symmetry.
///
/// # Formula
/// The frequencies of W are the coefficients of the Gaussian binomial coefficient
/// ```text
/// [m + n choose m]_q = Π_{i=1}^{min(m,n)} (1 − q^{max(m,n)+i}) / (1 − q^i)
/// ```
/// built one factor at a time (a multiplication, then a running sum for the division), each
/// step scaled by i/(max + i) so that the coefficients are probabilities. Only the lower half
/// is formed (each coefficient depends on lower ones only): min(m, n)·mn/2 additions in all,
/// where R's `cwilcox` recursion over every (m′, n′) costs O((mn)²).
///
/// # References
/// Harding (1984), "An efficient, minimal-storage procedure for calculating the Mann–Whitney U,
/// generalized U and similar distributions", JRSS C 33(1):1–6, doi:10.2307/2347656.
/// Andrews (1976), *The Theory of Partitions*, §3.3 (Gaussian polynomials).
#[derive(Debug, Clone, PartialEq)]
pub struct MannWhitney {
    m: usize,
    n: usize,
    /// P(W ≤ q) for q = 0..=⌊mn/2⌋.
    cdf: Vec<f64>,
}

impl MannWhitney {
    /// The distribution for sample sizes `m` and `n`.
    ///
    /// # Errors
    /// [`InputError::OutOfRange`] when the work exceeds [`MAX_EXACT_WORK`].
    ///
    /// # Examples
    /// ```
    /// use trialstats_twosample::tests::MannWhitney;
    /// // m = n = 2: W takes 0, 1, 2, 2, 3, 4 over the 6 orderings.
    /// let d = MannWhitney::new(2, 2).unwrap();
    /// assert!((d.cdf(1.0) - 2.0 / 6.0).abs() < 1e-15);
    /// assert!((d.cdf(2.0) - 4.0 / 6.0).abs() < 1e-15);
    /// assert_eq!(d.quantile(0.5), 2);
    /// ```
    pub fn new(m: usize, n: usize) -> Result<Self, TwoSampleError> {
        check_exact_size(true, m, n)?;
        // In double precision the running sums cancel near each intermediate polynomial's
        // centre, and the error there grows by about 20 times every 50 factors (3e−15 relative
        // at 100 × 100, 4e−11 at 250 × 250): beyond 100 factors the sums are kept in
        // double-double.
        let cdf = if m.min(n) <= 100 {
            gaussian_binomial_cdf::<f64>(m, n)
        } else {
            gaussian_binomial_cdf::<Dd>(m, n)
        };
        Ok(Self { m, n, cdf })
    }

    /// P(W ≤ q) (R `pwilcox(q, m, n)`).
    ///
    /// # Examples
    /// ```
    /// use trialstats_twosample::MannWhitney;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let d = MannWhitney::new(5, 6)?;
    /// // R: pwilcox(12, 5, 6) = 0.33116883116883117
    /// assert!((d.cdf(12.0) - 0.33116883116883117).abs() < 1e-15);
    /// assert_eq!((d.cdf(-1.0), d.cdf(30.0)), (0.0, 1.0)); // outside the support 0..=30
    /// # Ok(()) }
    /// ```
    pub fn cdf(&self, q: f64) -> f64 {
        let max = (self.m * self.n) as f64;
        if q < 0.0 {
            return 0.0;
        }
        if q >= max {
            return 1.0;
        }
        let q = q.floor();
        let half = self.cdf.len() - 1;
        if q as usize <= half {
            self.cdf[q as usize]
        } else {
            // P(W ≤ q) = 1 − P(W ≥ q + 1) = 1 − P(W ≤ mn − q − 1) by symmetry.
            1.0 - self.cdf[(max - q - 1.0) as usize]
        }
    }

    /// The smallest q with P(W ≤ q) ≥ p (R `qwilcox`, with its fuzz of 10ε on p).
    ///
    /// # Examples
    /// ```
    /// use trialstats_twosample::MannWhitney;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let d = MannWhitney::new(5, 6)?;
    /// // R: qwilcox(0.025, 5, 6) = 4
    /// assert_eq!(d.quantile(0.025), 4);
    /// assert_eq!(d.quantile(0.5), 15); // the centre, mn/2
    /// # Ok(()) }
    /// ```
    pub fn quantile(&self, p: f64) -> usize {
        let target = p - 10.0 * f64::EPSILON;
        let max = self.m * self.n;
        let (mut lo, mut hi) = (0usize, max);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.cdf(mid as f64) >= target {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo
    }
}

/// R's `sign`: −1, 0 or 1 (Rust's `signum` gives 1 for +0, which would put the continuity
/// correction on a statistic that is exactly at its mean).
fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// The sum of the average ranks of each group's values in the pooled sample (tied values get
/// the mean of their ranks; −0 and +0 are one value, as in R), and Σ(t³ − t) over the tie
/// groups, in one pass over the sorted values. The values are sorted as integer keys that keep
/// their order ([`order_key`]; the standard library's unstable sort of `u64` is about twice as
/// fast here as sorting the `f64`s by `total_cmp`, and [`sorted_order_keys`]' radix passes over the
/// keys' top 33 varying bits about a quarter faster again): two groups each on its own, then
/// merged (without branches when no value repeats, [`untied_rank_sums`]); more groups as (key,
/// group) pairs together. The sums are exact (half-integers below 2⁵³, up to about 10⁸ values),
/// so they do not depend on the order in which they are added. Values are finite (checked by the
/// callers).
pub(crate) fn rank_sums(groups: &[&[f64]]) -> (Vec<f64>, f64) {
    let (sums, ties, _) = rank_sums_and_finite(groups);
    (sums, ties)
}

/// [`rank_sums`], and whether every value is finite: the sorted keys' ends lie within those of
/// the finite doubles (±∞ and NaN sort outside them), so a caller can leave its own pass over
/// the values for when one is not (to name it). The sums are meaningless when one is not.
fn rank_sums_and_finite(groups: &[&[f64]]) -> (Vec<f64>, f64, bool) {
    let finite_keys = order_key(f64::MIN)..=order_key(f64::MAX);
    let ends_finite = |first: Option<&u64>, last: Option<&u64>| {
        first.is_none_or(|k| finite_keys.contains(k))
            && last.is_none_or(|k| finite_keys.contains(k))
    };
    let finite;
    /// Values from which the two groups are sorted in parallel (below, rayon's hand-off costs
    /// more than it saves).
    const PARALLEL_SORT_MIN: usize = 1 << 15;
    let mut sums = vec![0.0; groups.len()];
    let mut ties = 0.0;
    // A tie group of `t` values from rank `next` + 1 on: their mean rank.
    let mut tie_group = |next: usize, t: usize| {
        if t > 1 {
            let tf = t as f64;
            ties += tf * tf * tf - tf;
        }
        (2 * next + t + 1) as f64 / 2.0
    };
    if let [x, y] = groups {
        // The keys' buffers (and each sort's own) come from the scratch pool and go back to it:
        // fresh ones would cost their page faults at every call.
        let (mut a, mut b) = (scratch::take_u64(x.len()), scratch::take_u64(y.len()));
        // The two sorts on two threads when there is enough to sort and the pool has two (the
        // same keys either way; a pool of one thread would only take the work over from this
        // one, which costs a hand-off).
        if x.len() + y.len() >= PARALLEL_SORT_MIN && rayon::current_num_threads() > 1 {
            rayon::join(
                || sorted_order_keys(x, &mut a),
                || sorted_order_keys(y, &mut b),
            );
        } else {
            sorted_order_keys(x, &mut a);
            sorted_order_keys(y, &mut b);
        }
        if let Some(untied) = untied_rank_sums(&a, &b) {
            sums.copy_from_slice(&untied);
        } else {
            // The end of the run of `v[i]` from i.
            let run = |v: &[u64], i: usize| {
                let mut e = i + 1;
                while e < v.len() && v[e] == v[i] {
                    e += 1;
                }
                e
            };
            let (mut i, mut j, mut next) = (0, 0, 0);
            while i < a.len() || j < b.len() {
                let (ka, kb) = (a.get(i), b.get(j));
                let (ta, tb) = match (ka, kb) {
                    (Some(p), Some(q)) if p == q => (run(&a, i) - i, run(&b, j) - j),
                    (Some(p), Some(q)) if p > q => (0, run(&b, j) - j),
                    (Some(_), _) => (run(&a, i) - i, 0),
                    (None, _) => (0, run(&b, j) - j),
                };
                let avg = tie_group(next, ta + tb);
                sums[0] += ta as f64 * avg;
                sums[1] += tb as f64 * avg;
                (i, j, next) = (i + ta, j + tb, next + ta + tb);
            }
        }
        finite = ends_finite(a.first(), a.last()) && ends_finite(b.first(), b.last());
        scratch::give_u64(a);
        scratch::give_u64(b);
    } else {
        let mut pairs: Vec<(u64, u32)> = Vec::with_capacity(groups.iter().map(|g| g.len()).sum());
        for (g, values) in (0u32..).zip(groups) {
            pairs.extend(values.iter().map(|&v| (order_key(v), g)));
        }
        pairs.sort_unstable_by_key(|p| p.0);
        finite = ends_finite(pairs.first().map(|p| &p.0), pairs.last().map(|p| &p.0));
        let mut i = 0;
        while i < pairs.len() {
            let mut j = i + 1;
            while j < pairs.len() && pairs[j].0 == pairs[i].0 {
                j += 1;
            }
            let avg = tie_group(i, j - i);
            for &(_, g) in &pairs[i..j] {
                sums[g as usize] += avg;
            }
            i = j;
        }
    }
    (sums, ties, finite)
}

/// The rank sums of two sorted groups of keys when no key occurs twice in the pooled sample
/// (`None` otherwise): a merge without branches, each step taking the smaller head (a conditional
/// move, not a jump: which group holds the next value is a coin toss for data like the
/// benchmark's, and a mispredicted jump per value cost more than the rest of the step). The ranks
/// are then whole numbers, summed exactly as integers, and a repeated value is adjacent to its
/// twin in the merged order, so one comparison with the value taken before finds any tie. With
/// at most 1.3e8 values the sums are below 2⁵³, exact in `f64`, and the same as the general
/// merge's.
///
/// Each step waits on the one before (the next heads' addresses depend on which head was
/// taken), so the merged order is cut into [`MERGE_LANES`] stretches of equal length, each
/// started where a bisection puts it ([`co_rank`]; the "merge path" of Odeh, Green, Mwassi,
/// Shmueli & Birk 2012, doi:10.1109/IPDPSW.2012.202), and the stretches are merged side by side
/// in one loop: independent chains of steps instead of one. A stretch's first value is compared
/// with the value before it in the merged order, so a tie across two stretches is found too.
fn untied_rank_sums(a: &[u64], b: &[u64]) -> Option<[f64; 2]> {
    let n = a.len() + b.len();
    let total = (n as u128 * (n as u128 + 1) / 2) as u64;
    // The heads, with u64::MAX past a group's end: no order key of a value that is not NaN is
    // that large, so a used-up group is never taken while the other has keys.
    let head = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(u64::MAX);
    let bounds: [usize; MERGE_LANES + 1] = std::array::from_fn(|s| s * n / MERGE_LANES);
    // Each stretch's state: (next of a, next of b, value taken before, Σ ranks of a's keys).
    let mut lanes: [(usize, usize, u64, u64); MERGE_LANES] = std::array::from_fn(|s| {
        let k = bounds[s];
        let i = co_rank(a, b, k);
        let j = k - i;
        // The value at merged position k − 1: the larger of the last ones taken from each.
        let before = match (i.checked_sub(1), j.checked_sub(1)) {
            (Some(p), Some(q)) => a[p].max(b[q]),
            (Some(p), None) => a[p],
            (None, Some(q)) => b[q],
            (None, None) => u64::MAX,
        };
        (i, j, before, 0)
    });
    let mut tied = false;
    let mut step = |(i, j, before, sum): &mut (usize, usize, u64, u64)| {
        let (p, q) = (head(a, *i), head(b, *j));
        let take_a = p <= q;
        let v = if take_a { p } else { q };
        tied |= v == *before;
        *before = v;
        *sum += u64::from(take_a) * (*i + *j + 1) as u64;
        *i += usize::from(take_a);
        *j += usize::from(!take_a);
    };
    let shortest = (0..MERGE_LANES)
        .map(|s| bounds[s + 1] - bounds[s])
        .min()
        .unwrap_or(0);
    for _ in 0..shortest {
        lanes.iter_mut().for_each(&mut step);
    }
    for (s, lane) in lanes.iter_mut().enumerate() {
        for _ in shortest..bounds[s + 1] - bounds[s] {
            step(lane);
        }
    }
    if tied {
        return None;
    }
    let sum_a: u64 = lanes.iter().map(|l| l.3).sum();
    Some([sum_a as f64, (total - sum_a) as f64])
}

/// Stretches of the merged order that [`untied_rank_sums`] merges side by side.
const MERGE_LANES: usize = 4;

/// How many of the first `k` keys of the merged order of sorted `a` and `b` come from `a`, with
/// a's key first of two equal ones (as [`untied_rank_sums`] takes them): the least i at which
/// a[i] > b[k − i − 1], by bisection (the condition holds from some i on, since a[i] grows and
/// b[k − i − 1] falls with i).
fn co_rank(a: &[u64], b: &[u64], k: usize) -> usize {
    let (mut lo, mut hi) = (k.saturating_sub(b.len()), k.min(a.len()));
    while lo < hi {
        let i = lo + (hi - lo) / 2;
        // lo ≤ i < hi ≤ k, so k − i ≥ 1; and i ≥ k − |b|, so k − i − 1 < |b|.
        if a[i] <= b[k - i - 1] {
            lo = i + 1;
        } else {
            hi = i;
        }
    }
    lo
}

/// P(W ≤ q) for the Mann–Whitney statistic with sample sizes m and n, no ties (R `pwilcox`),
/// from [`MannWhitney`]; 1.0 or 0.0 outside the support, and NaN when the sizes exceed
/// [`MAX_EXACT_WORK`] (use [`MannWhitney::new`] to get the error).
///
/// # Examples
/// ```
/// use trialstats_twosample::pwilcox;
/// // R: pwilcox(3, 4, 5) = 0.055555555555555552; pwilcox(10, 4, 5) = 0.54761904761904767
/// assert!((pwilcox(3.0, 4, 5) - 0.055555555555555552).abs() < 1e-15);
/// assert!((pwilcox(10.0, 4, 5) - 0.54761904761904767).abs() < 1e-15);
/// assert_eq!(pwilcox(20.0, 4, 5), 1.0);
/// ```
pub fn pwilcox(q: f64, m: usize, n: usize) -> f64 {
    MannWhitney::new(m, n).map_or(f64::NAN, |d| d.cdf(q))
}

/// Wilcoxon rank-sum (Mann–Whitney) test, two-sided (R `wilcox.test(x, y, exact, correct)`).
///
/// W = Σ ranks of x − n_x(n_x + 1)/2. Exact p-value when there are no ties and `exact` is
/// [`Exact::Always`], or [`Exact::Auto`] with both groups of fewer than 50 values (R's default);
/// otherwise the normal approximation
/// ```text
/// z = (W − n_x n_y/2 − sign·½) / √{ n_x n_y/12 · [n_x+n_y+1 − Σ(t³−t)/((n_x+n_y)(n_x+n_y−1))] }
/// ```
/// with the continuity correction ½ when [`Continuity::Corrected`], and ties corrected.
///
/// # References
/// Mann & Whitney (1947), Ann. Math. Statist. 18(1):50–60, doi:10.1214/aoms/1177730491.
///
/// # Errors
/// [`TwoSampleError::TooFew`] for an empty group; [`InputError::NonFinite`].
///
/// # Examples
/// ```
/// use trialstats_twosample::{Continuity, Exact, wilcox_test};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let x = [0.8, 1.2, 2.9, 3.1, 4.4];
/// let y = [2.0, 3.6, 5.0, 5.3, 6.1, 7.7];
/// // R: wilcox.test(x, y): W = 4, exact p = 0.051948051948051951 (= 8/154)
/// let r = wilcox_test(&x, &y, Exact::Auto, Continuity::Corrected)?;
/// assert_eq!(r.statistic, Some(4.0));
/// assert!((r.p_value - 0.051948051948051951).abs() < 1e-15);
/// // R: wilcox.test(x, y, exact = FALSE)$p.value = 0.055234253718063848
/// let z = wilcox_test(&x, &y, Exact::Never, Continuity::Corrected)?;
/// assert!((z.p_value - 0.055234253718063848).abs() < 1e-14);
/// # Ok(()) }
/// ```
///
/// With ties R (and [`Exact::Auto`]) uses the normal approximation with the tie correction:
/// ```
/// use trialstats_twosample::{Continuity, Exact, wilcox_test};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let x = [1.0, 2.0, 2.0, 3.0, 4.0, 4.0, 5.0];
/// let y = [3.0, 4.0, 5.0, 5.0, 6.0, 7.0, 7.0, 8.0];
/// // R: wilcox.test(x, y): W = 6.5, p = 0.014107907274540636 (with a warning about ties)
/// let r = wilcox_test(&x, &y, Exact::Auto, Continuity::Corrected)?;
/// assert_eq!(r.statistic, Some(6.5));
/// assert!((r.p_value - 0.014107907274540636).abs() < 1e-14);
/// assert_eq!(r.method, "Wilcoxon rank sum test with continuity correction");
/// # Ok(()) }
/// ```
pub fn wilcox_test(
    x: &[f64],
    y: &[f64],
    exact: Exact,
    continuity: Continuity,
) -> Result<TestResult, TwoSampleError> {
    wilcox_with(x, y, exact.as_option(), continuity.corrected(), &mut None)
}

/// The Wilcoxon test and the Hodges–Lehmann estimate and `level` interval in one result (as R's
/// `wilcox.test(x, y, conf.int = TRUE)` prints them), the exact distribution computed once for
/// both.
///
/// # Errors
/// As [`wilcox_test`] and [`hodges_lehmann`].
///
/// # Examples
/// ```
/// use trialstats_twosample::tests::wilcox_test_with_interval;
/// use trialstats_twosample::{Continuity, Exact};
/// use trialstats_core::Level;
/// let x = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30];
/// let y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];
/// // R 4.2.2: wilcox.test(x, y, conf.int = TRUE) (ties: the normal approximation): W = 58,
/// // p = 0.13291945818531886, estimate 0.56005616083587340, interval −0.36997737472725434 to
/// // 1.18297077368792247 (R's uniroot at tol.root = 1e−4, reproduced step for step).
/// let r = wilcox_test_with_interval(&x, &y, Level::P95, Exact::Auto, Continuity::Corrected).unwrap();
/// assert_eq!(r.statistic, Some(58.0));
/// assert!((r.p_value - 0.13291945818531886).abs() < 1e-12);
/// assert!((r.estimate.unwrap() - 0.56005616083587340).abs() < 1e-12);
/// let (lo, hi) = r.ci.unwrap();
/// assert!((lo + 0.36997737472725434).abs() < 1e-12 && (hi - 1.18297077368792247).abs() < 1e-12);
/// ```
pub fn wilcox_test_with_interval(
    x: &[f64],
    y: &[f64],
    level: Level,
    exact: Exact,
    continuity: Continuity,
) -> Result<TestResult, TwoSampleError> {
    let (exact, correct) = (exact.as_option(), continuity.corrected());
    let mut cache = None;
    let mut r = wilcox_with(x, y, exact, correct, &mut cache)?;
    let (est, ci) = hodges_lehmann_with(x, y, level.value(), exact, correct, &mut cache)?;
    r.estimate = Some(est);
    r.ci = Some(ci);
    Ok(r)
}

/// The exact distribution for sizes (m, n), made on first use and kept in `cache`.
fn distribution(
    m: usize,
    n: usize,
    cache: &mut Option<MannWhitney>,
) -> Result<&MannWhitney, TwoSampleError> {
    if cache.as_ref().is_none_or(|d| (d.m, d.n) != (m, n)) {
        *cache = Some(MannWhitney::new(m, n)?);
    }
    cache.as_ref().ok_or(TwoSampleError::ZeroVariance)
}

fn wilcox_with(
    x: &[f64],
    y: &[f64],
    exact: Option<bool>,
    correct: bool,
    cache: &mut Option<MannWhitney>,
) -> Result<TestResult, TwoSampleError> {
    let (nx, ny) = (x.len(), y.len());
    let (sums, ties, finite) = rank_sums_and_finite(&[x, y]);
    // The checks' pass over the values only when the sorted keys show a value that is not
    // finite (to name it), or a group is empty: the same error, in the same order, as checking
    // first, and one read of the data fewer otherwise.
    if !finite || nx == 0 || ny == 0 {
        check("x", x, 1)?;
        check("y", y, 1)?;
    }
    let w = sums[0] - (nx * (nx + 1)) as f64 / 2.0;
    let exact = exact.unwrap_or(nx < 50 && ny < 50) && ties == 0.0;
    check_exact_size(exact, nx, ny)?;
    let (p, method) = if exact {
        let d = distribution(nx, ny, cache)?;
        let p = if w > (nx * ny) as f64 / 2.0 {
            1.0 - d.cdf(w - 1.0)
        } else {
            d.cdf(w)
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
        let corr = if correct { 0.5 * sign(z0) } else { 0.0 };
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
        df2: None,
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
/// at which the normal-approximation statistic of x − d against y equals ±z_{α/2} (with the
/// continuity correction when `correct`) and 0 (without it, as R), found as R finds them, by Brent's method (R's `uniroot`) at its tolerance [`TOL_ROOT`] = 10⁻⁴, step
/// for step ([`trialstats_core::optim::uniroot`]): the statistic is a step function, its roots
/// are jumps (located to within 10⁻⁴) or an interval of shifts (any point of which is a root;
/// R's is the one its iteration reaches), so only R's own iteration reproduces R's numbers. One
/// exception: where R's absolute tolerance is wider than the interval and R's limits come out
/// in the wrong order, both are located to 10⁻¹² of the data's range instead.
///
/// # References
/// Hodges & Lehmann (1963), Ann. Math. Statist. 34(2):598–611, doi:10.1214/aoms/1177704172.
/// Bauer (1972), JASA 67(339):687–690, doi:10.1080/01621459.1972.10481279.
///
/// # Errors
/// As [`wilcox_test`].
///
/// # Examples
/// ```
/// use trialstats_core::Level;
/// use trialstats_twosample::{Continuity, Exact, hodges_lehmann};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let x = [0.8, 1.2, 2.9, 3.1, 4.4];
/// let y = [2.0, 3.6, 5.0, 5.3, 6.1, 7.7];
/// // R: wilcox.test(x, y, conf.int = TRUE): estimate -2.4000000000000004,
/// // 95 % CI -4.8999999999999995 to 0.80000000000000027 (order statistics of the 30 x − y)
/// let (est, (lo, hi)) = hodges_lehmann(&x, &y, Level::P95, Exact::Auto, Continuity::Corrected)?;
/// assert!((est + 2.4000000000000004).abs() < 1e-14);
/// assert!((lo + 4.8999999999999995).abs() < 1e-14 && (hi - 0.80000000000000027).abs() < 1e-14);
/// // R: wilcox.test(x, y, conf.int = TRUE, conf.level = 0.9)$conf.int = -4.6, -0.6
/// let (_, (lo, hi)) = hodges_lehmann(&x, &y, Level::P90, Exact::Auto, Continuity::Corrected)?;
/// assert!((lo + 4.5999999999999996).abs() < 1e-14 && (hi + 0.59999999999999964).abs() < 1e-14);
/// # Ok(()) }
/// ```
pub fn hodges_lehmann(
    x: &[f64],
    y: &[f64],
    level: Level,
    exact: Exact,
    continuity: Continuity,
) -> Result<(f64, (f64, f64)), TwoSampleError> {
    hodges_lehmann_with(
        x,
        y,
        level.value(),
        exact.as_option(),
        continuity.corrected(),
        &mut None,
    )
}

fn hodges_lehmann_with(
    x: &[f64],
    y: &[f64],
    level: f64,
    exact: Option<bool>,
    correct: bool,
    cache: &mut Option<MannWhitney>,
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
    let (_, ties) = rank_sums(&[x, y]);
    let alpha = 1.0 - level;
    if exact.unwrap_or(nx < 50 && ny < 50) && ties == 0.0 {
        // qwilcox(α/2) from the distribution computed once (it was recomputed per candidate
        // quantile: O((n_x n_y)³)).
        let mut qu = distribution(nx, ny, cache)?.quantile(alpha / 2.0);
        if qu == 0 {
            qu = 1;
        }
        let mut diffs: Vec<f64> = x
            .iter()
            .flat_map(|a| y.iter().map(move |b| a - b))
            .collect();
        let m = diffs.len();
        let ql = m - qu;
        // Four order statistics (the median's one or two, the limits), by selection: O(mn).
        let mut nth = |k: usize| *diffs.select_nth_unstable_by(k, f64::total_cmp).1;
        let median = if m % 2 == 1 {
            nth(m / 2)
        } else {
            0.5 * (nth(m / 2 - 1) + nth(m / 2))
        };
        let (lo, hi) = (nth(qu - 1), nth(ql.min(m - 1)));
        return Ok((median, (lo, hi)));
    }
    let (fx, fy) = (nx as f64, ny as f64);
    // Standardised statistic of (x − d, y), R's `wdiff`.
    // With `corrected`, the continuity correction when `correct` (the interval's roots); R finds
    // the estimate without it.
    let statistic = |d: f64, zq: f64, corrected: bool| -> f64 {
        let shifted: Vec<f64> = x.iter().map(|v| v - d).collect();
        let (sums, t) = rank_sums(&[&shifted, y]);
        let dz = sums[0] - fx * (fx + 1.0) / 2.0 - fx * fy / 2.0;
        let corr = if correct && corrected {
            0.5 * sign(dz)
        } else {
            0.0
        };
        let sigma =
            ((fx * fy / 12.0) * ((fx + fy + 1.0) - t / ((fx + fy) * (fx + fy - 1.0)))).sqrt();
        (dz - corr) / sigma - zq
    };
    let wdiff = |d: f64, zq: f64| statistic(d, zq, true);
    let xmin = x.iter().copied().fold(f64::INFINITY, f64::min);
    let xmax = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let ymin = y.iter().copied().fold(f64::INFINITY, f64::min);
    let ymax = y.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (mumin, mumax) = (xmin - ymax, xmax - ymin);
    // wdiff is a decreasing step function of d: its roots are jumps, or an interval where the
    // statistic is 0. R finds them with uniroot at tol.root = 1e−4, and with an interval of
    // roots returns the point its iteration reaches; the same Brent iteration here gives R's
    // numbers to the last digit.
    let root = |zq: f64, tol: f64| -> f64 {
        let (fl, fu) = (wdiff(mumin, zq), wdiff(mumax, zq));
        if fl <= 0.0 {
            return mumin;
        }
        if fu >= 0.0 {
            return mumax;
        }
        uniroot(&|d| wdiff(d, zq), mumin, mumax, fl, fu, tol, 1000)
    };
    let z = Reference::Normal.quantile(1.0 - alpha / 2.0)?;
    // R (4.2): the estimate is the root of the statistic without the continuity correction
    // ("correct <- FALSE" before it), found by uniroot from the ends.
    let plain = |d: f64| statistic(d, 0.0, false);
    let estimate = uniroot(
        &plain,
        mumin,
        mumax,
        plain(mumin),
        plain(mumax),
        TOL_ROOT,
        1000,
    );
    let (mut lo, mut hi) = (root(z, TOL_ROOT), root(-z, TOL_ROOT));
    if lo > hi {
        // R's absolute tolerance (1e−4) can be wider than the interval itself (data on a scale
        // of 1e−4 or less) and put the limits in the wrong order; R reports them so. Here both
        // are then located to 1e−12 of the data's range.
        let tight = 1e-12 * (mumax - mumin).abs().max(f64::MIN_POSITIVE);
        (lo, hi) = (root(z, tight), root(-z, tight));
        if lo > hi {
            // Both limits at one jump of the statistic (many ties), located within the
            // tolerance on either side of it: the jump is both limits.
            let mid = 0.5 * (lo + hi);
            (lo, hi) = (mid, mid);
        }
    }
    Ok((estimate, (lo, hi)))
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
///
/// # Examples
/// ```
/// use trialstats_core::Level;
/// use trialstats_twosample::{Continuity, prop_test};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // 15/50 v. 25/50. R: prop.test(c(15, 25), c(50, 50)): X-squared = 3.375, df = 1,
/// // p = 0.06619257972219339, 95 % CI -0.40799314123229585 to 0.0079931412322958306
/// let r = prop_test([15.0, 25.0], [50.0, 50.0], Continuity::Corrected, Level::P95)?;
/// assert!((r.statistic.ok_or("no statistic")? - 3.375).abs() < 1e-12);
/// assert!((r.p_value - 0.06619257972219339).abs() < 1e-14);
/// assert!((r.estimate.ok_or("no estimate")? + 0.2).abs() < 1e-15);
/// let (lo, hi) = r.ci.ok_or("no interval")?;
/// assert!((lo + 0.40799314123229585).abs() < 1e-14 && (hi - 0.0079931412322958306).abs() < 1e-14);
/// // R: prop.test(c(15, 25), c(50, 50), correct = FALSE)$p.value = 0.041226833337163572
/// let u = prop_test([15.0, 25.0], [50.0, 50.0], Continuity::Uncorrected, Level::P95)?;
/// assert!((u.p_value - 0.041226833337163572).abs() < 1e-14);
/// # Ok(()) }
/// ```
pub fn prop_test(
    successes: [f64; 2],
    totals: [f64; 2],
    continuity: Continuity,
    level: Level,
) -> Result<TestResult, TwoSampleError> {
    let correct = continuity.corrected();
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
    let chi = crate::table::chisq_test(&table, continuity)?;
    let p = [successes[0] / totals[0], successes[1] / totals[1]];
    let delta = p[0] - p[1];
    let inv: f64 = totals.iter().map(|n| 1.0 / n).sum();
    let yates = if correct {
        (delta.abs() / inv).min(0.5)
    } else {
        0.0
    };
    let z = Reference::Normal.quantile(level.upper_tail_probability())?;
    let width = z * (p[0] * (1.0 - p[0]) / totals[0] + p[1] * (1.0 - p[1]) / totals[1]).sqrt()
        + yates * inv;
    Ok(TestResult {
        test: "prop".into(),
        statistic: chi.statistic,
        df: chi.df,
        df2: None,
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

#[cfg(test)]
mod unit {
    use super::*;

    /// The rank sums from the sorted keys are the definition's — rank(v) = #{u < v} + (#{u = v} + 1)/2
    /// over the pooled sample, Σ(t³ − t) over tie groups — on samples with many ties, −0 beside
    /// +0 (one value, as R's `rank`), and values of both signs and many magnitudes.
    #[test]
    // Ties are exact equality: the definition compares values with `==`.
    #[allow(clippy::float_cmp)]
    fn rank_sums_of_large_samples_are_the_definitions() {
        // 50 000 values with many ties: the two groups are sorted on two threads (when the pool
        // has two) and merged by the general merge.
        let x: Vec<f64> = (0..20_000u64)
            .map(|i| ((i * 7919) % 3001) as f64 / 4.0 - 300.0)
            .collect();
        let y: Vec<f64> = (0..30_000u64)
            .map(|i| ((i * 104_729) % 4999) as f64 / 8.0 - 250.0)
            .collect();
        let (sums, ties) = rank_sums(&[&x, &y]);
        let (want, want_ties) = rank_sums_by_definition(&[&x, &y]);
        for (sum, want) in sums.iter().zip(&want) {
            assert_eq!(sum.to_bits(), want.to_bits());
        }
        assert_eq!(ties.to_bits(), want_ties.to_bits());
    }

    /// The rank sums and Σ(t³ − t) by their definitions: counts by binary search in the sorted
    /// pooled sample.
    fn rank_sums_by_definition(groups: &[&[f64]]) -> (Vec<f64>, f64) {
        let mut pooled: Vec<f64> = groups.iter().flat_map(|g| g.iter()).copied().collect();
        pooled.sort_by(f64::total_cmp);
        let rank = |v: f64| {
            let below = pooled.partition_point(|&u| u < v) as f64;
            let equal = pooled.partition_point(|&u| u <= v) as f64 - below;
            below + (equal + 1.0) / 2.0
        };
        let sums = groups
            .iter()
            .map(|g| g.iter().map(|&v| rank(v)).sum())
            .collect();
        let mut ties = 0.0;
        let mut i = 0;
        while i < pooled.len() {
            let j = pooled.partition_point(|&u| u <= pooled[i]);
            let t = (j - i) as f64;
            ties += t * t * t - t;
            i = j;
        }
        (sums, ties)
    }

    #[test]
    fn untied_rank_sums_are_the_definitions_and_any_tie_goes_to_the_general_merge() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for (nx, ny) in [
            (0, 5),
            (5, 0),
            (1, 1),
            (3, 200),
            (200, 3),
            (997, 1003),
            (30_000, 20_000),
        ] {
            // Distinct values (53 random bits each), both signs.
            let mut draw = |n: usize| -> Vec<f64> {
                (0..n)
                    .map(|_| (next() >> 11) as f64 / (1u64 << 52) as f64 - 1.0)
                    .collect()
            };
            let (x, y) = (draw(nx), draw(ny));
            let want = rank_sums_by_definition(&[&x, &y]);
            let key = |v: &[f64]| {
                let mut k: Vec<u64> = v.iter().map(|&u| order_key(u)).collect();
                k.sort_unstable();
                k
            };
            assert!(untied_rank_sums(&key(&x), &key(&y)).is_some());
            let got = rank_sums(&[&x, &y]);
            assert_eq!(got, want, "{nx} + {ny} untied");
            // One tie at a time: the first values, a value of x repeated in y, a value repeated
            // within x, and the largest value of the longer group (in the merge's tail).
            if nx == 0 || ny == 0 {
                continue;
            }
            let low = x.iter().chain(&y).copied().fold(f64::INFINITY, f64::min);
            let high = |v: &[f64]| v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let tied = [
                (vec![low], vec![low]),
                (x.clone(), [&y[1..], &x[nx / 2..=nx / 2]].concat()),
                ([&x[..], &x[..1]].concat(), y.clone()),
                if nx >= ny {
                    ([&x[..], &[high(&x)]].concat(), y.clone())
                } else {
                    (x.clone(), [&y[..], &[high(&y)]].concat())
                },
            ];
            for (t, (tx, ty)) in tied.iter().enumerate() {
                assert!(
                    untied_rank_sums(&key(tx), &key(ty)).is_none(),
                    "{nx} + {ny}, tie {t}"
                );
                let want = rank_sums_by_definition(&[tx, ty]);
                assert!(want.1 > 0.0);
                assert_eq!(rank_sums(&[tx, ty]), want, "{nx} + {ny}, tie {t}");
            }
            // A tie across each boundary of the merge's stretches: the value at merged position
            // p = s(n + 1)/4 − 1 repeated, in the other group or its own, so that with n + 1
            // values the twins sit at positions p and p + 1, the last of one stretch and the
            // first of the next.
            let n = nx + ny;
            if n + 1 < 2 * MERGE_LANES {
                continue;
            }
            let mut pooled: Vec<(f64, bool)> = x
                .iter()
                .map(|&v| (v, true))
                .chain(y.iter().map(|&v| (v, false)))
                .collect();
            pooled.sort_by(|p, q| p.0.total_cmp(&q.0));
            for s in 1..MERGE_LANES {
                let (v, in_x) = pooled[s * (n + 1) / MERGE_LANES - 1];
                for into_x in [!in_x, in_x] {
                    let (tx, ty) = if into_x {
                        ([&x[..], &[v]].concat(), y.clone())
                    } else {
                        (x.clone(), [&y[..], &[v]].concat())
                    };
                    assert!(
                        untied_rank_sums(&key(&tx), &key(&ty)).is_none(),
                        "{nx} + {ny}, tie at boundary {s}"
                    );
                    let want = rank_sums_by_definition(&[&tx, &ty]);
                    assert_eq!(rank_sums(&[&tx, &ty]), want, "{nx} + {ny}, boundary {s}");
                }
            }
        }
    }

    #[test]
    fn co_rank_counts_the_first_group_among_the_first_k_merged() {
        let a = [1, 3, 3, 5, 8, 13];
        let b = [2, 3, 4, 5, 21];
        // The merged order, a's key first of equal ones.
        let mut merged: Vec<(u64, bool)> = a
            .iter()
            .map(|&v| (v, true))
            .chain(b.iter().map(|&v| (v, false)))
            .collect();
        merged.sort_by_key(|&(v, is_a)| (v, !is_a));
        for k in 0..=merged.len() {
            let want = merged[..k].iter().filter(|m| m.1).count();
            assert_eq!(co_rank(&a, &b, k), want, "k = {k}");
        }
        assert_eq!(co_rank(&[], &b, 3), 0);
        assert_eq!(co_rank(&a, &[], 4), 4);
    }

    #[test]
    // Ties are exact equality: the definition compares values with `==`.
    #[allow(clippy::float_cmp)]
    fn rank_sums_are_the_definitions() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for case in 0..40 {
            // 2 to 5 groups: the merge of two separately sorted groups and the joint sort.
            let k = 2 + (case % 4) as usize;
            let sizes: Vec<usize> = (0..k).map(|_| 1 + (next() % 40) as usize).collect();
            let groups: Vec<Vec<f64>> = sizes
                .iter()
                .map(|&n| {
                    (0..n)
                        .map(|_| match next() % 6 {
                            0 => -0.0,
                            1 => 0.0,
                            2 => (next() % 5) as f64 - 2.0,
                            3 => ((next() % 2001) as f64 - 1000.0) * 1e-3,
                            4 => {
                                f64::from_bits(next() >> 2) * if case % 2 == 0 { 1.0 } else { -1.0 }
                            }
                            _ => ((next() % 100) as f64).exp2(),
                        })
                        .collect()
                })
                .collect();
            let refs: Vec<&[f64]> = groups.iter().map(Vec::as_slice).collect();
            let (sums, ties) = rank_sums(&refs);
            let pooled: Vec<f64> = groups.iter().flatten().copied().collect();
            let rank = |v: f64| {
                let below = pooled.iter().filter(|&&u| u < v).count() as f64;
                let equal = pooled.iter().filter(|&&u| u == v).count() as f64;
                below + (equal + 1.0) / 2.0
            };
            for (g, sum) in groups.iter().zip(&sums) {
                let want: f64 = g.iter().map(|&v| rank(v)).sum();
                assert_eq!(sum.to_bits(), want.to_bits(), "case {case}");
            }
            let mut distinct: Vec<f64> = pooled.iter().map(|v| v + 0.0).collect();
            distinct.sort_by(f64::total_cmp);
            distinct.dedup();
            let want_ties: f64 = distinct
                .iter()
                .map(|&d| {
                    let t = pooled.iter().filter(|&&u| u == d).count() as f64;
                    t * t * t - t
                })
                .sum();
            assert_eq!(ties.to_bits(), want_ties.to_bits(), "case {case}");
        }
    }

    #[test]
    fn double_precision_is_enough_up_to_100_factors() {
        // At the switch (100 × 100) the double sums agree with the double-double ones to 1e−13
        // relative at every q of the lower half.
        let d = gaussian_binomial_cdf::<f64>(100, 100);
        let dd = gaussian_binomial_cdf::<Dd>(100, 100);
        for (q, (a, b)) in d.iter().zip(&dd).enumerate() {
            assert!((a - b).abs() <= 1e-13 * b, "q = {q}: {a} v. {b}");
        }
    }
}
