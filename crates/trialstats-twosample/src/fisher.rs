//! Fisher's exact test on r × c tables by the network algorithm, with a seeded Monte Carlo
//! p-value beyond a stated workspace.
//!
//! The two-sided p-value is the probability, under independence with the margins fixed, of the
//! tables no more probable than the one observed:
//! ```text
//! P(T) = Π R_i! Π C_j! / (N! Π n_ij!),   p = Σ_{T : P(T) ≤ P(T_obs)·e^τ} P(T)
//! ```
//! with R's tolerance τ = 3.45254·10⁻⁷ on the log scale (FEXACT's, used by `fisher.test` for every
//! table but 2 × 2).
//!
//! # The network algorithm
//! The table is built one column (a *stage*) at a time; a *node* is the multiset of row totals
//! still to be filled (rows with equal remainders are interchangeable, so nodes are kept sorted),
//! and a *path* to it carries its *past* log-probability Σ_j [ln C_j! − Σ_i ln n_ij!] over the
//! columns done. For a node, every completion's future term lies between a shortest and a
//! longest path (bounds below), and their total is closed-form (N′!/Π R′_i!). A past whose
//! longest completion is already no more probable than the observed table contributes all of
//! its completions at once; one whose shortest completion is more probable contributes none;
//! only the others are extended. Equal past values at a node are merged (their multiplicities
//! add).
//!
//! The bounds relax the problem: the longest path is at most the smaller of two relaxations
//! (each column spread as evenly as its row capacities allow, ignoring the row totals; each row
//! spread over its columns, ignoring the column totals), the shortest at least the larger of
//! the two concentrated ones (largest capacities filled first). Both are exact for one column.
//!
//! # References
//! Mehta & Patel (1983), "A network algorithm for performing Fisher's exact test in r × c
//! contingency tables", JASA 78(382):427–434, doi:10.1080/01621459.1983.10477989.
//! Mehta & Patel (1986), "FEXACT: a Fortran subroutine for Fisher's exact test on unordered
//! r × c contingency tables", ACM TOMS 12(2):154–161, doi:10.1145/6497.214326.
//! Patefield (1981), "An efficient method of generating random r × c tables with given row and
//! column totals", JRSS C 30(1):91–97, doi:10.2307/2346669 (the Monte Carlo tables; here each
//! row is drawn as a sequence of hypergeometric draws, which has the same distribution).

use std::collections::HashMap;

use statrs::function::gamma::ln_gamma;
use trialstats_core::rng::Rng;

/// FEXACT's tolerance on the log-probability scale (R's `fisher.test` for tables other than
/// 2 × 2): tables within it of the observed one count as equally probable.
pub const LOG_TOLERANCE: f64 = 3.45254e-7;

/// Largest table total (the sum of the counts) of an r × c exact or simulated test.
pub const MAX_TOTAL: u64 = 10_000_000;

/// Most tables a Monte Carlo p-value may draw (its resolution is then 1e−7).
pub const MAX_MONTE_CARLO_REPS: usize = 10_000_000;

/// How the r × c p-value is computed.
///
/// # Examples
/// ```
/// use trialstats_core::Level;
/// use trialstats_twosample::{FisherControl, TwoSampleError, fisher_test_with};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let t = vec![vec![3.0, 1.0, 4.0], vec![1.0, 5.0, 9.0], vec![2.0, 6.0, 5.0]];
/// // The default workspace is ample here: the exact p-value.
/// // R: fisher.test(matrix(c(3, 1, 4, 1, 5, 9, 2, 6, 5), 3, byrow = TRUE))$p.value = 0.2823602287683537
/// let r = fisher_test_with(&t, Level::P95, &FisherControl::default())?;
/// assert!((r.p_value - 0.2823602287683537).abs() < 1e-10);
/// // A workspace of one entry and no fallback: the exact test is refused.
/// let tiny = FisherControl { workspace: 1, fallback: None };
/// let e = fisher_test_with(&t, Level::P95, &tiny);
/// assert_eq!(e, Err(TwoSampleError::NotFeasible { rows: 3, cols: 3 }));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FisherControl {
    /// Most (node, past) pairs the network may hold at once: 16 bytes each (the default, 4·10⁶,
    /// about 130 MB with the lists' slack, and a second or two of work). Beyond it the exact
    /// computation stops.
    pub workspace: usize,
    /// The Monte Carlo p-value used when the workspace is exceeded (R's
    /// `simulate.p.value = TRUE`), or `None` to report the exact computation as not feasible.
    pub fallback: Option<MonteCarlo>,
}

impl Default for FisherControl {
    fn default() -> Self {
        Self {
            workspace: 4_000_000,
            fallback: Some(MonteCarlo {
                reps: 100_000,
                seed: 1,
            }),
        }
    }
}

/// A Monte Carlo p-value from tables drawn with the observed margins (R's
/// `fisher.test(simulate.p.value = TRUE, B)`), seeded.
///
/// # Examples
/// ```
/// use trialstats_core::Level;
/// use trialstats_twosample::{FisherControl, MonteCarlo, fisher_test_with};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let t = vec![vec![3.0, 1.0, 4.0], vec![1.0, 5.0, 9.0], vec![2.0, 6.0, 5.0]];
/// let mc = MonteCarlo { reps: 20_000, seed: 7 };
/// // A workspace too small for the network: the simulated p-value is used, and named.
/// let control = FisherControl { workspace: 1, fallback: Some(mc) };
/// let a = fisher_test_with(&t, Level::P95, &control)?;
/// assert!(a.method.contains("simulated p-value (based on 20000 replicates, seed 7"));
/// // (1 + count) / (B + 1), within Monte Carlo error (SE about 0.003) of the exact p-value,
/// // R: fisher.test(matrix(c(3, 1, 4, 1, 5, 9, 2, 6, 5), 3, byrow = TRUE))$p.value = 0.28236
/// let count = a.p_value * 20_001.0;
/// assert!((count - count.round()).abs() < 1e-6);
/// assert!((a.p_value - 0.2823602287683537).abs() < 0.015);
/// // The same seed, the same p-value.
/// assert_eq!(fisher_test_with(&t, Level::P95, &control)?.p_value, a.p_value);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonteCarlo {
    /// Number of tables drawn (R's `B`, default 2000 there).
    pub reps: usize,
    /// Seed of the generator (the draws, and so the p-value, follow from it).
    pub seed: u64,
}

/// How a p-value was obtained.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FisherP {
    /// Exactly, by the network algorithm.
    Exact(f64),
    /// By simulation: (1 + #{drawn tables no more probable than the observed}) / (B + 1).
    Simulated {
        /// The p-value.
        p: f64,
        /// The tables drawn.
        reps: usize,
        /// The seed.
        seed: u64,
    },
    /// Beyond the workspace, with no fallback.
    TooLarge,
}

/// ln k! for k = 0..=n.
fn log_factorials(n: usize) -> Vec<f64> {
    (0..=n).map(|k| ln_gamma(k as f64 + 1.0)).collect()
}

/// The two-sided r × c p-value of `table` (whole counts, no empty margin: checked by the
/// caller).
///
/// # Examples
/// ```
/// use trialstats_twosample::FisherControl;
/// use trialstats_twosample::fisher::{FisherP, p_value};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let t = vec![vec![3, 1, 4], vec![1, 5, 9], vec![2, 6, 5]];
/// // R: fisher.test(matrix(c(3, 1, 4, 1, 5, 9, 2, 6, 5), 3, byrow = TRUE))$p.value = 0.2823602287683537
/// let FisherP::Exact(p) = p_value(&t, &FisherControl::default()) else {
///     return Err("not computed exactly".into());
/// };
/// assert!((p - 0.2823602287683537).abs() < 1e-10);
/// # Ok(()) }
/// ```
pub fn p_value(table: &[Vec<u64>], control: &FisherControl) -> FisherP {
    let (r, c) = (table.len(), table[0].len());
    // Nodes are keyed by the shorter dimension (fewer, shorter keys); stages run over the longer.
    let (keyed, stages): (Vec<u64>, Vec<u64>) = if r <= c {
        (
            table.iter().map(|row| row.iter().sum()).collect(),
            (0..c)
                .map(|j| table.iter().map(|row| row[j]).sum())
                .collect(),
        )
    } else {
        (
            (0..c)
                .map(|j| table.iter().map(|row| row[j]).sum())
                .collect(),
            table.iter().map(|row| row.iter().sum()).collect(),
        )
    };
    let n: u64 = keyed.iter().sum();
    let lf = log_factorials(n as usize);
    let lfu = |k: u64| lf[k as usize];
    // The observed path and the constant.
    let observed: f64 = if r <= c {
        (0..c)
            .map(|j| lfu(stages[j]) - table.iter().map(|row| lfu(row[j])).sum::<f64>())
            .sum()
    } else {
        (0..r)
            .map(|i| lfu(stages[i]) - table[i].iter().map(|&v| lfu(v)).sum::<f64>())
            .sum()
    };
    let ln_k = keyed.iter().map(|&v| lfu(v)).sum::<f64>() - lfu(n);
    let obs = observed + LOG_TOLERANCE;
    match network(&keyed, &stages, &lf, obs, ln_k, control.workspace) {
        Some(p) => FisherP::Exact(p.min(1.0)),
        None => match control.fallback {
            Some(mc) => FisherP::Simulated {
                p: simulated(table, &lf, mc),
                reps: mc.reps,
                seed: mc.seed,
            },
            None => FisherP::TooLarge,
        },
    }
}

/// A child node's pasts (value, multiplicity), and their number at its last merge.
type Pasts = (Vec<(f64, f64)>, usize);

/// The network algorithm (module docs); `None` when the workspace is exceeded.
fn network(
    keyed: &[u64],
    stage_totals: &[u64],
    lf: &[f64],
    obs: f64,
    ln_k: f64,
    workspace: usize,
) -> Option<f64> {
    let mut stages = stage_totals.to_vec();
    // Large columns first: their many branches meet the bounds' pruning early.
    stages.sort_unstable_by(|a, b| b.cmp(a));
    let lfu = |k: u64| lf[k as usize];
    let mut start = keyed.to_vec();
    start.sort_unstable_by(|a, b| b.cmp(a));
    let mut current: HashMap<Vec<u64>, Vec<(f64, f64)>> = HashMap::new();
    current.insert(start, vec![(0.0, 1.0)]);
    let mut total = 0.0;
    let mut child = Vec::new();
    for t in 0..stages.len() {
        let rest = &stages[t..];
        let rest_const: f64 = rest.iter().map(|&c| lfu(c)).sum();
        // Per child node: its pasts, and their number at its last merge.
        let mut next: HashMap<Vec<u64>, Pasts> = HashMap::new();
        let mut held = 0usize;
        for (key, mut pasts) in current {
            let remaining: u64 = key.iter().sum();
            let mass = lfu(remaining) - key.iter().map(|&v| lfu(v)).sum::<f64>();
            let (longest, shortest) = bounds(&key, rest, lf);
            let (longest, shortest) = (rest_const + longest, rest_const + shortest);
            merge_equal(&mut pasts);
            let mut extend: Vec<(f64, f64)> = Vec::new();
            for (pv, w) in pasts {
                if pv + longest <= obs {
                    total += w * (pv + mass + ln_k).exp();
                } else if pv + shortest <= obs {
                    extend.push((pv, w));
                }
            }
            if extend.is_empty() || t + 1 == stages.len() {
                continue;
            }
            // Every column the node allows, and the child it leads to.
            let c = stages[t];
            child.clear();
            child.resize(key.len(), 0u64);
            columns(&key, c, 0, &mut child, &mut |col: &[u64]| {
                let step = lfu(c) - col.iter().map(|&v| lfu(v)).sum::<f64>();
                let mut next_key: Vec<u64> = key.iter().zip(col).map(|(r, v)| r - v).collect();
                next_key.sort_unstable_by(|a, b| b.cmp(a));
                let slot = next.entry(next_key).or_default();
                slot.0.extend(extend.iter().map(|&(pv, w)| (pv + step, w)));
                held += extend.len();
                // Merge a node's list when it has doubled since its last merge: paths that
                // differ only by the order of equal cells arrive with equal values.
                if slot.0.len() >= 2 * slot.1.max(1024) {
                    let before = slot.0.len();
                    merge_equal(&mut slot.0);
                    held -= before - slot.0.len();
                    slot.1 = slot.0.len();
                }
            });
            if held > workspace {
                return None;
            }
        }
        current = next.into_iter().map(|(k, (v, _))| (k, v)).collect();
    }
    Some(total)
}

/// Merges past values equal to 10⁻⁹ (absolute, on the log scale), adding their multiplicities.
fn merge_equal(pasts: &mut Vec<(f64, f64)>) {
    if pasts.len() < 2 {
        return;
    }
    pasts.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(pasts.len());
    for &(pv, w) in pasts.iter() {
        match out.last_mut() {
            Some(last) if pv - last.0 <= 1e-9 => last.1 += w,
            _ => out.push((pv, w)),
        }
    }
    *pasts = out;
}

/// Calls `visit` with every column (n_i ≤ caps_i, Σ n_i = total), filling `col` from row `i`.
fn columns(caps: &[u64], total: u64, i: usize, col: &mut Vec<u64>, visit: &mut dyn FnMut(&[u64])) {
    if i + 1 == caps.len() {
        if total <= caps[i] {
            col[i] = total;
            visit(col);
        }
        return;
    }
    let after: u64 = caps[i + 1..].iter().sum();
    let lo = total.saturating_sub(after);
    let hi = total.min(caps[i]);
    for v in lo..=hi {
        col[i] = v;
        columns(caps, total - v, i + 1, col, visit);
    }
}

/// Bounds on −Σ ln n_ij! over the completions of a node with row totals `rows` and column totals
/// `cols`: (an upper bound on its maximum, a lower bound on its minimum).
fn bounds(rows: &[u64], cols: &[u64], lf: &[f64]) -> (f64, f64) {
    let by_cols_lumped: f64 = cols.iter().map(|&c| lumped(c, rows, lf)).sum();
    let by_rows_lumped: f64 = rows.iter().map(|&r| lumped(r, cols, lf)).sum();
    let shortest = -by_cols_lumped.min(by_rows_lumped);
    if let [r1, _] = rows {
        return (two_row_longest(*r1, cols, lf), shortest);
    }
    let by_cols_even: f64 = cols.iter().map(|&c| even(c, rows, lf)).sum();
    let by_rows_even: f64 = rows.iter().map(|&r| even(r, cols, lf)).sum();
    (-by_cols_even.max(by_rows_even), shortest)
}

/// With two rows, the maximum of −Σ ln n_ij! = Σ_j [ln C(c_j, a_j) − ln c_j!] over a_j ∈ [0, c_j]
/// with Σ a_j = r1, bounded by Lagrangian duality: for any λ,
/// ```text
/// max Σ g_j(a_j) ≤ λ·r1 + Σ_j max_a [g_j(a) − λa],   g_j(a) = ln C(c_j, a)
/// ```
/// and each inner maximum is exact (g_j is concave: a_j(λ) counts the steps whose gain
/// ln((c_j − a)/(a + 1)) is at least λ). λ is chosen by bisection so that Σ a_j(λ) meets r1,
/// where the bound is the optimum itself (up to one step's gain when steps tie).
fn two_row_longest(r1: u64, cols: &[u64], lf: &[f64]) -> f64 {
    let g = |c: u64, a: u64| lf[c as usize] - lf[a as usize] - lf[(c - a) as usize];
    let steps = |c: u64, lambda: f64| -> u64 {
        // a ≤ (c − e^λ)/(1 + e^λ) for a gain ≥ λ at step a → a + 1.
        let e = lambda.exp();
        let top = (c as f64 - e) / (1.0 + e);
        if top < 0.0 {
            0
        } else {
            ((top.floor() as u64) + 1).min(c)
        }
    };
    let dual = |lambda: f64| -> f64 {
        lambda * r1 as f64
            + cols
                .iter()
                .map(|&c| {
                    let a = steps(c, lambda);
                    g(c, a) - lambda * a as f64
                })
                .sum::<f64>()
    };
    let (mut lo, mut hi) = (-(lf.len() as f64).ln() - 1.0, (lf.len() as f64).ln() + 1.0);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        let taken: u64 = cols.iter().map(|&c| steps(c, mid)).sum();
        if taken > r1 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    // Both ends are valid bounds; the smaller is the tighter.
    let best = dual(lo).min(dual(hi));
    best - cols.iter().map(|&c| lf[c as usize]).sum::<f64>()
}

/// The least Σ ln n_i! with Σ n_i = `total` and n_i ≤ caps_i: the total spread as evenly as the
/// caps allow (ln n! is convex, so levelling is optimal: every n_i is min(cap_i, h) or h + 1).
fn even(total: u64, caps: &[u64], lf: &[f64]) -> f64 {
    let mut caps: Vec<u64> = caps.to_vec();
    caps.sort_unstable();
    let mut left = total;
    let mut sum = 0.0;
    let k = caps.len();
    for (idx, &cap) in caps.iter().enumerate() {
        let rows_left = (k - idx) as u64;
        // The level if every remaining row took the same share.
        let share = left / rows_left;
        if cap <= share {
            sum += lf[cap as usize];
            left -= cap;
        } else {
            // Every remaining row has room for the share (caps ascend): level h = share, with
            // the remainder as +1 on some of them.
            let extra = left - share * rows_left;
            sum += (rows_left - extra) as f64 * lf[share as usize]
                + extra as f64 * lf[share as usize + 1];
            return sum;
        }
    }
    sum
}

/// The greatest Σ ln n_i! with Σ n_i = `total` and n_i ≤ caps_i: the largest caps filled first
/// (ln n! is convex and superadditive, so concentrating is optimal).
fn lumped(total: u64, caps: &[u64], lf: &[f64]) -> f64 {
    let mut caps: Vec<u64> = caps.to_vec();
    caps.sort_unstable_by(|a, b| b.cmp(a));
    let mut left = total;
    let mut sum = 0.0;
    for cap in caps {
        if left == 0 {
            break;
        }
        let v = cap.min(left);
        sum += lf[v as usize];
        left -= v;
    }
    sum
}

/// The Monte Carlo p-value: tables drawn with the observed margins, each row a sequence of
/// hypergeometric draws from the column totals left; a table counts when −Σ ln n_ij! is at most
/// the observed one (R's comparison, with its factor 1 + 64ε).
fn simulated(table: &[Vec<u64>], lf: &[f64], mc: MonteCarlo) -> f64 {
    let rows: Vec<u64> = table.iter().map(|r| r.iter().sum()).collect();
    let cols: Vec<u64> = (0..table[0].len())
        .map(|j| table.iter().map(|r| r[j]).sum())
        .collect();
    let stat =
        |t: &mut dyn Iterator<Item = u64>| -> f64 { -t.map(|v| lf[v as usize]).sum::<f64>() };
    let observed = stat(&mut table.iter().flatten().copied());
    let threshold = observed / (1.0 + 64.0 * f64::EPSILON);
    let mut rng = Rng::seed_from(mc.seed);
    let mut left = vec![0u64; cols.len()];
    let mut hits = 0usize;
    for _ in 0..mc.reps {
        left.copy_from_slice(&cols);
        let mut population: u64 = cols.iter().sum();
        let mut s = 0.0;
        for &r in &rows {
            let mut draws = r;
            let mut pop = population;
            for l in left.iter_mut() {
                let v = if draws == 0 {
                    0
                } else if pop == *l {
                    draws
                } else {
                    hypergeometric(&mut rng, pop, *l, draws, lf)
                };
                s -= lf[v as usize];
                pop -= *l;
                *l -= v;
                draws -= v;
            }
            population -= r;
        }
        if s <= threshold {
            hits += 1;
        }
    }
    (1.0 + hits as f64) / (mc.reps as f64 + 1.0)
}

/// One draw of the number of successes in `draws` draws without replacement from `population`
/// items of which `successes` are successes, by inversion from the mode outwards (the pmf by
/// log-factorials at the mode, then its ratios).
fn hypergeometric(rng: &mut Rng, population: u64, successes: u64, draws: u64, lf: &[f64]) -> u64 {
    let lo = draws.saturating_sub(population - successes);
    let hi = draws.min(successes);
    if lo == hi {
        return lo;
    }
    let mode = (((draws + 1) as f64 * (successes + 1) as f64 / (population + 2) as f64).floor()
        as u64)
        .clamp(lo, hi);
    let lpmf = |k: u64| -> f64 {
        lf[successes as usize] - lf[k as usize] - lf[(successes - k) as usize]
            + lf[(population - successes) as usize]
            - lf[(draws - k) as usize]
            - lf[(population - successes - (draws - k)) as usize]
            - lf[population as usize]
            + lf[draws as usize]
            + lf[(population - draws) as usize]
    };
    let mut u = rng.uniform();
    let pm = lpmf(mode).exp();
    u -= pm;
    if u <= 0.0 {
        return mode;
    }
    // Alternate below and above the mode, each side by its pmf ratio (in f64: the failures
    // population − successes − draws + k can be negative as integers until k is large).
    let (pop, succ, drw) = (population as f64, successes as f64, draws as f64);
    let (mut down, mut up) = (mode, mode);
    let (mut p_down, mut p_up) = (pm, pm);
    loop {
        let can_down = down > lo;
        let can_up = up < hi;
        if !can_down && !can_up {
            // Rounding left a sliver of probability: the mode is the draw.
            return mode;
        }
        if can_up {
            let k = up as f64;
            p_up *= (succ - k) * (drw - k) / ((k + 1.0) * (pop - succ - drw + k + 1.0));
            up += 1;
            u -= p_up;
            if u <= 0.0 {
                return up;
            }
        }
        if can_down {
            let k = down as f64;
            p_down *= k * (pop - succ - drw + k) / ((succ - k + 1.0) * (drw - k + 1.0));
            down -= 1;
            u -= p_down;
            if u <= 0.0 {
                return down;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Calls `visit` with every table with row totals `rows` and column totals `cols`.
    fn all_tables(rows: &[u64], cols: &[u64], visit: &mut dyn FnMut(&[Vec<u64>])) {
        fn fill(
            i: usize,
            rows: &[u64],
            left: &mut Vec<u64>,
            t: &mut Vec<Vec<u64>>,
            visit: &mut dyn FnMut(&[Vec<u64>]),
        ) {
            if i == rows.len() {
                if left.iter().all(|&v| v == 0) {
                    visit(t);
                }
                return;
            }
            let mut options = Vec::new();
            let mut col = vec![0; left.len()];
            columns(left, rows[i], 0, &mut col, &mut |c: &[u64]| {
                options.push(c.to_vec())
            });
            for c in options {
                for (j, &v) in c.iter().enumerate() {
                    left[j] -= v;
                }
                t[i].clone_from(&c);
                fill(i + 1, rows, left, t, visit);
                for (j, &v) in c.iter().enumerate() {
                    left[j] += v;
                }
            }
        }
        let mut left = cols.to_vec();
        let mut t = vec![vec![0u64; cols.len()]; rows.len()];
        fill(0, rows, &mut left, &mut t, visit);
    }

    fn margins(table: &[Vec<u64>]) -> (Vec<u64>, Vec<u64>) {
        let rows = table.iter().map(|r| r.iter().sum()).collect();
        let cols = (0..table[0].len())
            .map(|j| table.iter().map(|r| r[j]).sum())
            .collect();
        (rows, cols)
    }

    /// The p-value by enumerating every table: the reference for the network.
    fn brute(table: &[Vec<u64>]) -> f64 {
        let (rows, cols) = margins(table);
        let n: u64 = rows.iter().sum();
        let lf = log_factorials(n as usize);
        let lp = |t: &[Vec<u64>]| -> f64 {
            rows.iter()
                .chain(&cols)
                .map(|&v| lf[v as usize])
                .sum::<f64>()
                - lf[n as usize]
                - t.iter().flatten().map(|&v| lf[v as usize]).sum::<f64>()
        };
        let obs = lp(table) + LOG_TOLERANCE;
        let mut total = 0.0;
        all_tables(&rows, &cols, &mut |t| {
            let v = lp(t);
            if v <= obs {
                total += v.exp();
            }
        });
        total
    }

    #[test]
    fn network_equals_enumeration() {
        let tables: Vec<Vec<Vec<u64>>> = vec![
            vec![vec![3, 1, 4], vec![1, 5, 9], vec![2, 6, 5]],
            vec![vec![2, 0, 3, 1, 4], vec![5, 2, 0, 3, 1]],
            vec![vec![0, 3, 2], vec![4, 0, 1], vec![2, 2, 0], vec![1, 5, 3]],
            vec![vec![1, 2], vec![3, 0], vec![0, 4], vec![2, 2]],
            vec![vec![6, 1, 1, 0], vec![0, 2, 3, 4]],
        ];
        for t in &tables {
            let want = brute(t);
            let got = match p_value(t, &FisherControl::default()) {
                FisherP::Exact(p) => p,
                other => panic!("{other:?}"),
            };
            assert!((got - want).abs() <= 1e-12 * want, "{t:?}: {got} v. {want}");
        }
    }

    #[test]
    fn bounds_hold_for_every_completion() {
        let lf = log_factorials(40);
        for (rows, cols) in [
            (vec![4u64, 3, 2], vec![5u64, 3, 1]),
            (vec![7, 7], vec![3, 3, 3, 3, 2]),
            (vec![6, 2, 2, 1], vec![4, 4, 3]),
        ] {
            let (hi, lo) = bounds(&rows, &cols, &lf);
            let (mut max, mut min) = (f64::NEG_INFINITY, f64::INFINITY);
            all_tables(&rows, &cols, &mut |t| {
                let v = -t.iter().flatten().map(|&v| lf[v as usize]).sum::<f64>();
                max = max.max(v);
                min = min.min(v);
            });
            assert!(
                hi >= max - 1e-12 && lo <= min + 1e-12,
                "{lo} ≤ {min} ≤ {max} ≤ {hi}"
            );
        }
    }

    #[test]
    fn hypergeometric_draws_follow_the_pmf() {
        // Each frequency within 5 binomial SDs of its probability, including a case with fewer
        // failures than draws (population − successes < draws, where the integers would wrap).
        let lf = log_factorials(200);
        for (pop, succ, draws) in [(120u64, 45u64, 30u64), (20, 12, 15), (9, 8, 4)] {
            let mut rng = Rng::seed_from(7);
            let reps = 40_000usize;
            let lo = draws.saturating_sub(pop - succ);
            let hi = draws.min(succ);
            let mut counts = vec![0usize; (hi + 1) as usize];
            for _ in 0..reps {
                counts[hypergeometric(&mut rng, pop, succ, draws, &lf) as usize] += 1;
            }
            for k in 0..=hi {
                let p = if k < lo {
                    0.0
                } else {
                    (lf[succ as usize] - lf[k as usize] - lf[(succ - k) as usize]
                        + lf[(pop - succ) as usize]
                        - lf[(draws - k) as usize]
                        - lf[((pop - succ) - (draws - k)) as usize]
                        - lf[pop as usize]
                        + lf[draws as usize]
                        + lf[(pop - draws) as usize])
                        .exp()
                };
                let f = counts[k as usize] as f64 / reps as f64;
                let sd = (p * (1.0 - p) / reps as f64).sqrt();
                assert!(
                    (f - p).abs() <= 5.0 * sd + 1e-12,
                    "({pop}, {succ}, {draws}) k = {k}: {f} v. {p}"
                );
            }
        }
    }

    #[test]
    fn simulated_p_estimates_the_exact_one() {
        let t = vec![vec![3u64, 1, 4], vec![1, 5, 9], vec![2, 6, 5]];
        let exact = brute(&t);
        let (rows, _) = margins(&t);
        let n: u64 = rows.iter().sum();
        let lf = log_factorials(n as usize);
        let reps = 40_000;
        let p = simulated(&t, &lf, MonteCarlo { reps, seed: 3 });
        let sd = (exact * (1.0 - exact) / reps as f64).sqrt();
        assert!((p - exact).abs() < 5.0 * sd, "{p} v. {exact}");
    }
}
