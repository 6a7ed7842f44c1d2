//! Sorting floating-point values as integers: a key whose unsigned order is the values' order.
//!
//! Sorting `u64` keys is about twice as fast as sorting `f64`s by `total_cmp` (one integer
//! compare per step), and a key carries the value with it: [`from_order_key`] gives it back.
//! The map is the usual one for IEEE 754 doubles (flip all bits of a negative value, set the
//! sign bit of a positive one; e.g. Knuth, TAOCP vol. 3, §5.2.5, on radix sorting signed keys).

/// An integer whose order is that of the finite value `x`; −0 and +0 are one key.
///
/// # Formula
/// With b the bits of x + 0 (so −0 becomes +0): `!b` when the sign bit is set, else
/// `b | 1 << 63`. Finite values and infinities keep their order; NaN sorts after +∞ (or before
/// −∞ with its sign bit set). Computed without a branch, as `b ^ (m | 1 << 63)` with m all ones
/// when the sign bit is set and zero otherwise (so that loops over slices vectorise).
///
/// # Examples
/// ```
/// use trialstats_core::order::{from_order_key, order_key};
/// let mut v = [2.5, -1.0, 0.0, -0.0, -3.25, 1e-300];
/// v.sort_unstable_by_key(|&x| order_key(x));
/// assert_eq!(v, [-3.25, -1.0, 0.0, -0.0, 1e-300, 2.5]);
/// assert_eq!(order_key(-0.0), order_key(0.0));
/// assert_eq!(from_order_key(order_key(-1.0)), -1.0);
/// ```
#[inline]
pub fn order_key(x: f64) -> u64 {
    let b = (x + 0.0).to_bits();
    b ^ ((((b as i64) >> 63) as u64) | (1 << 63))
}

/// The value of an [`order_key`] (−0 comes back as +0).
///
/// # Examples
/// ```
/// use trialstats_core::order::{from_order_key, order_key};
/// for x in [f64::NEG_INFINITY, -2.0, -f64::MIN_POSITIVE, 0.0, 5e-324, 7.0, f64::MAX] {
///     assert_eq!(from_order_key(order_key(x)).to_bits(), x.to_bits());
/// }
/// ```
pub fn from_order_key(key: u64) -> f64 {
    if key >> 63 == 1 {
        f64::from_bits(key & !(1 << 63))
    } else {
        f64::from_bits(!key)
    }
}

/// Keys (or, within a bucket of the top digit, a bucket's keys) below this many are sorted by
/// comparison ([`slice::sort_unstable`]): the radix passes' fixed costs (histograms of 2048
/// counts, a buffer) outweigh their savings.
const RADIX_MIN: usize = 1 << 12;

/// Bits per digit of [`sort_keys`]' passes: 2048 buckets, whose write positions stay in L1.
const DIGIT_BITS: u32 = 11;

/// Digits sorted by [`sort_keys`]: the top 33 varying bits.
const PASSES: u32 = 3;

/// Runs of keys with one prefix up to this long are finished by insertion; longer ones by
/// [`slice::sort_unstable`].
const INSERTION_MAX: usize = 16;

/// Sorts keys ascending (as [`slice::sort_unstable`] does; the result is the same).
///
/// # Method
/// A radix sort (Knuth, TAOCP vol. 3, §5.2.5) of the keys' top 33 varying bits only, the bits
/// below the highest one in which the smallest and largest keys differ, in three digits of 11
/// bits: the top digit first (most significant digit first: one counting pass and one move of
/// every key into its bucket), then, within each bucket, the two lower digits by two stable
/// passes of a least-significant-digit sort, their counts taken in one read of the bucket. After
/// them the keys are in order of that 33-bit prefix, and each run of keys sharing a prefix is
/// sorted in place by comparison. Order keys of continuous data share a prefix rarely (the prefix
/// holds the sign, the exponent and 21 or more bits of the significand), so the last step is one
/// pass over sorted data; for keys that differ only below the prefix it is a comparison sort of
/// each run, as [`slice::sort_unstable`] would have done. Three passes over the data and a
/// buffer of the same size replace the comparison sort's log₂ n levels.
///
/// The top digit goes first for the cache: a bucket of it (for 5e5 normal values, at most about
/// a quarter of the keys: the sign and an exponent's worth of values) stays in L2 while its two
/// lower digits move it back and forth, where three passes over the whole array of 5e5 keys
/// (4 MB, and as much again for the buffer) each read and wrote the shared cache. Mann–Whitney
/// on 1e6 normal values (two sorts of 5e5 keys, the peer harness, one thread, alternated runs of
/// 41 calls): 19.2–19.8 ms with three passes over the whole array, 15.8–16.3 ms so; at 1e5,
/// 1.64–1.69 → 1.43 ms. Before that, on the machine of `BENCHMARKS.md`, the whole-array passes
/// took about 1.0 ms each for the two lower digits and 1.2–1.5 ms for the top one (sign and
/// exponent: few, crowded buckets); the standard library's sort about 6.7 ms. (Four passes of 8
/// bits measured the same as three of 11; a fourth digit of 11 bits within the buckets, which
/// leaves fewer runs to finish, was slower, 19.6–19.8 ms; so were filling each bucket from both
/// ends, two chains of counter updates instead of one, and a search for runs that checks
/// stretches of 256 keys at once: about one neighbouring pair in 75 of 5e5 sorted normal values
/// shares its 33-bit prefix, so nearly every stretch has one and is then searched again.) The
/// sort takes a buffer as long as the keys: where the allocator hands out fresh pages at each call (glibc, for buffers above its mapping
/// threshold), their faults cost about what the passes save; the buffer is therefore taken
/// from, and given back to, the [`crate::scratch`] pool.
///
/// # Examples
/// ```
/// use trialstats_core::order::{order_key, sort_keys};
/// let mut keys: Vec<u64> = (0..10_000u64)
///     .map(|i| order_key(((i * 7919) % 10_007) as f64 / 3.0 - 1000.0))
///     .collect();
/// let mut want = keys.clone();
/// want.sort_unstable();
/// sort_keys(&mut keys);
/// assert_eq!(keys, want);
/// ```
pub fn sort_keys(keys: &mut Vec<u64>) {
    let (lo, hi) = keys
        .iter()
        .fold((u64::MAX, 0), |(lo, hi), &k| (lo.min(k), hi.max(k)));
    sort_within(keys, lo, hi);
}

/// Fills `keys` with the [`order_key`]s of `values` and sorts them as [`sort_keys`] does,
/// taking the keys' bounds in the same pass that forms them (one read of the keys fewer).
///
/// # Examples
/// ```
/// use trialstats_core::order::{from_order_key, sorted_order_keys};
/// let values: Vec<f64> = (0..10_000).map(|i| ((i * 7919) % 10_007) as f64 / 3.0 - 1000.0).collect();
/// let mut keys = Vec::new();
/// sorted_order_keys(&values, &mut keys);
/// let mut want = values.clone();
/// want.sort_by(f64::total_cmp);
/// assert!(keys.iter().map(|&k| from_order_key(k)).eq(want));
/// ```
pub fn sorted_order_keys(values: &[f64], keys: &mut Vec<u64>) {
    keys.resize(values.len(), 0);
    let (lo, hi) = crate::kernels::order_keys(keys, values);
    sort_within(keys, lo, hi);
}

/// [`sort_keys`] for keys within `lo..=hi`.
fn sort_within(keys: &mut Vec<u64>, lo: u64, hi: u64) {
    let n = keys.len();
    if n < RADIX_MIN {
        keys.sort_unstable();
        return;
    }
    // The bits 0..top vary; the prefix is the PASSES × DIGIT_BITS bits below `top`.
    let top = u64::BITS - (lo ^ hi).leading_zeros();
    if top == 0 {
        return;
    }
    let shift = top.saturating_sub(PASSES * DIGIT_BITS);
    let high = shift + (PASSES - 1) * DIGIT_BITS;
    // The top digit first (most significant digit first): each of its buckets is then a
    // stretch short enough to stay in L2 while its two lower digits are sorted, instead of three
    // passes over the whole array from the shared cache.
    let mut count = [0usize; BUCKETS];
    for &k in keys.iter() {
        count[digit(k, high)] += 1;
    }
    // The buffer's contents are overwritten before they are read.
    let mut other = crate::scratch::take_u64(n);
    if count.contains(&n) {
        // One bucket: the lower digits over the whole array.
        lower_digits(keys, &mut other, shift);
    } else {
        let mut starts = [0usize; BUCKETS + 1];
        for (b, &c) in count.iter().enumerate() {
            starts[b + 1] = starts[b] + c;
        }
        let mut next = starts;
        for &k in keys.iter() {
            let slot = &mut next[digit(k, high)];
            other[*slot] = k;
            *slot += 1;
        }
        for w in starts.windows(2) {
            let (a, b) = (w[0], w[1]);
            if b - a > 1 {
                lower_digits(&mut other[a..b], &mut keys[a..b], shift);
            }
        }
        std::mem::swap(keys, &mut other);
    }
    crate::scratch::give_u64(other);
    if shift > 0 {
        // Each run of two or more keys with one prefix, found by a search for neighbours that
        // share it (one predictable comparison per key where runs are rare).
        let prefix = |k: u64| k >> shift;
        let mut i = 0;
        while let Some(d) = keys[i..]
            .windows(2)
            .position(|w| prefix(w[0]) == prefix(w[1]))
        {
            let (start, p) = (i + d, prefix(keys[i + d]));
            let mut end = start + 2;
            while end < n && prefix(keys[end]) == p {
                end += 1;
            }
            let run = &mut keys[start..end];
            if run.len() > INSERTION_MAX {
                run.sort_unstable();
            } else {
                insertion_sort(run);
            }
            i = end;
        }
    }
}

/// Buckets of a digit: 2048, whose write positions stay in L1.
const BUCKETS: usize = 1 << DIGIT_BITS;

/// Digits below the top one.
const LOWER: usize = PASSES as usize - 1;

/// The digit of `k` at `shift` (DIGIT_BITS bits).
#[inline(always)]
fn digit(k: u64, shift: u32) -> usize {
    ((k >> shift) & (BUCKETS as u64 - 1)) as usize
}

/// Orders `keys` by their bits `shift..shift + (PASSES − 1)·DIGIT_BITS` (the digits below the
/// top one): two stable passes of a least-significant-digit radix sort through `buffer` (as
/// long as `keys`), whose counts are taken in one read; the result is left in `keys`. A stretch
/// shorter than [`RADIX_MIN`] is sorted by comparison instead (fully, which orders those bits
/// too).
fn lower_digits(keys: &mut [u64], buffer: &mut [u64], shift: u32) {
    let n = keys.len();
    if n < RADIX_MIN {
        keys.sort_unstable();
        return;
    }
    let mut counts = [[0usize; BUCKETS]; LOWER];
    for &k in keys.iter() {
        for (p, c) in (0..).zip(counts.iter_mut()) {
            c[digit(k, shift + p * DIGIT_BITS)] += 1;
        }
    }
    let mut in_keys = true;
    for (p, count) in (0..).zip(counts.iter_mut()) {
        // A digit that every key shares leaves the order as it is.
        if count.contains(&n) {
            continue;
        }
        let mut next = 0;
        for c in count.iter_mut() {
            (*c, next) = (next, next + *c);
        }
        let (src, dst) = if in_keys {
            (&*keys, &mut *buffer)
        } else {
            (&*buffer, &mut *keys)
        };
        let s = shift + p * DIGIT_BITS;
        for &k in src {
            let slot = &mut count[digit(k, s)];
            dst[*slot] = k;
            *slot += 1;
        }
        in_keys = !in_keys;
    }
    if !in_keys {
        keys.copy_from_slice(buffer);
    }
}

/// Sorts a short slice by insertion (a sorted one in one pass of comparisons).
fn insertion_sort(v: &mut [u64]) {
    for i in 1..v.len() {
        let k = v[i];
        let mut j = i;
        while j > 0 && v[j - 1] > k {
            v[j] = v[j - 1];
            j -= 1;
        }
        v[j] = k;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(mut keys: Vec<u64>) {
        let mut want = keys.clone();
        want.sort_unstable();
        sort_keys(&mut keys);
        assert_eq!(keys, want);
    }

    /// SplitMix64, for reproducible keys.
    fn stream(seed: u64) -> impl FnMut() -> u64 {
        let mut s = seed;
        move || {
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
    }

    #[test]
    fn sort_keys_is_the_comparison_sort() {
        for n in [0, 1, 2, RADIX_MIN - 1, RADIX_MIN, RADIX_MIN + 1, 50_000] {
            let mut r = stream(n as u64);
            // Random bits, so every digit and the prefix's runs of one.
            check((0..n).map(|_| r()).collect());
            // Normal-ish doubles, both signs, as the rank tests give.
            check(
                (0..n)
                    .map(|_| order_key((r() >> 11) as f64 / (1u64 << 53) as f64 - 0.5))
                    .collect(),
            );
            // Few distinct values: long runs of equal keys.
            check((0..n).map(|_| order_key((r() % 7) as f64)).collect());
            // Keys that differ below the 33-bit prefix only: runs longer than the insertion
            // bound, and runs shorter.
            check(
                (0..n)
                    .map(|_| (1 << 63) | ((r() % 5) << 40) | (r() % 1024))
                    .collect(),
            );
            check(
                (0..n)
                    .map(|_| (1 << 63) | ((r() % (n as u64 / 8 + 1)) << 30) | (r() % 9))
                    .collect(),
            );
            // Top-digit buckets longer than RADIX_MIN whose lower digits take one pass (the
            // second digit shared), and keys that all share the top digit (one bucket, both
            // lower digits over the whole array).
            check(
                (0..n)
                    .map(|_| (1 << 63) | ((r() % 3) << 50) | ((r() % 1024) << 19))
                    .collect(),
            );
            check(
                (0..n)
                    .map(|_| (1 << 63) | (1 << 40) | (r() % (1 << 22)))
                    .collect(),
            );
            // All equal, and already sorted, and reversed.
            check(vec![42; n]);
            check((0..n as u64).collect());
            check((0..n as u64).rev().collect());
        }
    }

    proptest! {
        #[test]
        fn sort_keys_sorts_any_doubles(
            v in prop::collection::vec(prop::num::f64::NORMAL | prop::num::f64::ZERO, RADIX_MIN..3 * RADIX_MIN),
        ) {
            let mut keys: Vec<u64> = v.iter().map(|&x| order_key(x)).collect();
            let mut want = keys.clone();
            want.sort_unstable();
            sort_keys(&mut keys);
            prop_assert_eq!(&keys, &want);
            // The same keys from the values, into a buffer longer than needed.
            let mut from_values = vec![7; v.len() + 3];
            sorted_order_keys(&v, &mut from_values);
            prop_assert_eq!(from_values, want);
        }
    }
}
