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

/// Keys below this many are sorted by comparison ([`slice::sort_unstable`]): the radix passes'
/// fixed costs (three histograms of 2048 counts, a buffer) outweigh their savings.
const RADIX_MIN: usize = 1 << 12;

/// Bits per digit of [`sort_keys`]' passes over the whole array: 2048 buckets, whose write
/// positions stay in L1.
const DIGIT_BITS: u32 = 11;

/// Bits sorted by the radix passes of [`sort_keys`]: the top 33 varying bits.
const PREFIX_BITS: u32 = 33;

/// Runs of keys with one prefix up to this long are finished by insertion; longer ones by
/// [`slice::sort_unstable`].
const INSERTION_MAX: usize = 16;

/// Sorts keys ascending (as [`slice::sort_unstable`] does; the result is the same).
///
/// # Method
/// A radix sort (Knuth, TAOCP vol. 3, §5.2.5) of the keys' top 33 varying bits only, the bits below
/// the highest one in which the smallest and largest keys differ. Below 2¹⁷ keys (when the keys and
/// a buffer as long fit a core's L2 of 2 MB), three stable passes of a least-significant-digit
/// sort, 11 bits each, over the whole array, the three digits' counts taken in one read. From 2¹⁷
/// keys, the top digit first (13 bits: one counting pass and one move of every key into its
/// bucket), then each bucket by its two lower digits of 10 bits, two such passes whose counts are
/// taken in one read of the bucket (a bucket of fewer than 128 keys by comparison). After either
/// the keys are in order of that 33-bit prefix, and each run of keys sharing a prefix is sorted in
/// place by comparison. Order keys of continuous data share a prefix rarely (the prefix holds the
/// sign, the exponent and 21 or more bits of the significand), so the last step is one pass over
/// sorted data; for keys that differ only below the prefix it is a comparison sort of each run, as
/// [`slice::sort_unstable`] would have done. Three passes over the data and a buffer of the same
/// size replace the comparison sort's log₂ n levels.
///
/// The top digit goes first, for large arrays, for the cache: its buckets (for 5e5 normal values
/// the sign, an exponent and one more bit: at most about a tenth of the keys) stay in L2 while
/// their two lower digits move them back and forth, where each pass over the whole array read and
/// wrote the shared cache; and 13 bits spread the keys of a continuous variable over more buckets
/// than the sign and exponent alone, whose few crowded buckets had made the top digit's pass the
/// slowest. Mann–Whitney on 1e6 normal values (two sorts of 5e5 keys; the peer harness, one thread,
/// alternated runs of 41 calls): 19.3–19.6 ms with the whole-array passes, 15.9–16.1 ms with a top
/// digit of 11 bits and two of 11 below, 13.4–13.7 ms so (at other times 17.7–19.5 ms: the time
/// swings between these within one process, with the shared machine's load, `bench/notes.md`).
/// Sorting 5e5 keys alone (medians of alternated runs): normal values 8.0–8.2 → 5.2–5.3 ms, values
/// rounded to seven levels (as Likert scores are) 9.0–9.8 → 3.8–4.1 ms, the fractional parts of
/// normal values (spread over many binades) 6.6–7.1 → 7.3–7.9 ms. (Four passes of 8 bits measured
/// the same as three of 11 over the whole array; a fourth digit within the buckets, which leaves
/// fewer runs to finish, was slower; so were filling each bucket from both ends, two chains of
/// counter updates instead of one, and a search for runs that checks stretches of 256 keys at once:
/// about one neighbouring pair in 75 of 5e5 sorted normal values shares its 33-bit prefix, so
/// nearly every stretch has one and is then searched again.) The sort takes a buffer as long as the
/// keys: where the allocator hands out fresh pages at each call (glibc, for buffers above its
/// mapping threshold), their faults cost about what the passes save; the buffer is therefore taken
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
    // The bits 0..top vary; the prefix is the PREFIX_BITS bits below `top`.
    let top = u64::BITS - (lo ^ hi).leading_zeros();
    if top == 0 {
        return;
    }
    let shift = top.saturating_sub(PREFIX_BITS);
    // The buffer's contents are overwritten before they are read.
    let mut other = crate::scratch::take_u64(n);
    if n < MSD_MIN {
        if radix_passes::<3, { 1 << DIGIT_BITS }>(keys, &mut other, shift) {
            std::mem::swap(keys, &mut other);
        }
    } else {
        by_top_digit(keys, &mut other, shift);
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

/// Keys from which [`sort_keys`] takes the top digit first ([`by_top_digit`]): where the keys
/// and their buffer (16 bytes a key: 2 MB at 2¹⁷ keys) pass a core's L2 (2 MB on the machine of
/// `BENCHMARKS.md`). Fewer are sorted by three passes over the whole array, which then stays in
/// L2: for 1e5 keys of values that span many binades (the fractional parts of normal values)
/// those took 1.07–1.17 ms and the top digit first 1.41–1.86 ms (its buckets' fixed costs),
/// while for normal values 1.45–1.61 against 0.91–1.13 ms.
const MSD_MIN: usize = 1 << 17;

/// Bits of the top digit of [`by_top_digit`].
const TOP_BITS: u32 = 13;

/// Bits of each of the two lower digits of [`by_top_digit`].
const LOW_BITS: u32 = 10;

/// Keys of a bucket of the top digit below this many are sorted by comparison.
const BUCKET_RADIX_MIN: usize = 128;

/// Orders `keys` by their [`PREFIX_BITS`]-bit prefix above `shift`, the top digit first
/// (most significant digit first): one counting pass and one move of every key into its bucket
/// of the top [`TOP_BITS`] bits, then each bucket by its two lower digits ([`radix_passes`]), in
/// L2; `buffer` is as long as `keys`.
fn by_top_digit(keys: &mut Vec<u64>, buffer: &mut Vec<u64>, shift: u32) {
    const TOP_BUCKETS: usize = 1 << TOP_BITS;
    let n = keys.len();
    let high = shift + 2 * LOW_BITS;
    let digit = |k: u64| ((k >> high) & (TOP_BUCKETS as u64 - 1)) as usize;
    let mut starts = vec![0usize; TOP_BUCKETS + 1];
    for &k in keys.iter() {
        starts[digit(k) + 1] += 1;
    }
    if starts.contains(&n) {
        // One bucket: the lower digits over the whole array.
        if radix_passes::<2, { 1 << LOW_BITS }>(keys, buffer, shift) {
            std::mem::swap(keys, buffer);
        }
        return;
    }
    for b in 0..TOP_BUCKETS {
        starts[b + 1] += starts[b];
    }
    let mut next = starts.clone();
    for &k in keys.iter() {
        let slot = &mut next[digit(k)];
        buffer[*slot] = k;
        *slot += 1;
    }
    // Every key is in `buffer` now, so all of `keys` is free: each bucket's passes use its start
    // as their spare, the same memory for every bucket, which stays in the cache between them.
    for w in starts.windows(2) {
        let (a, b) = (w[0], w[1]);
        if b - a >= BUCKET_RADIX_MIN {
            let (bucket, spare) = (&mut buffer[a..b], &mut keys[..b - a]);
            if radix_passes::<2, { 1 << LOW_BITS }>(bucket, spare, shift) {
                bucket.copy_from_slice(spare);
            }
        } else if b - a > 1 {
            buffer[a..b].sort_unstable();
        }
    }
    std::mem::swap(keys, buffer);
}

/// Orders `keys` by D digits of log₂ B bits from `shift` up (B a power of two): D stable passes
/// of a least-significant-digit radix sort through `buffer` (as long as `keys`), whose counts
/// are taken in one read, each in a fixed table of B; a digit that every key shares is skipped.
/// Returns whether the result is in `buffer` (after an odd number of passes), else it is in
/// `keys`.
fn radix_passes<const D: usize, const B: usize>(
    keys: &mut [u64],
    buffer: &mut [u64],
    shift: u32,
) -> bool {
    let n = keys.len();
    let (bits, mask) = (B.trailing_zeros(), B as u64 - 1);
    let mut counts = [[0usize; B]; D];
    for &k in keys.iter() {
        for (p, c) in (0..).zip(counts.iter_mut()) {
            c[((k >> (shift + p * bits)) & mask) as usize] += 1;
        }
    }
    let mut in_keys = true;
    for (p, count) in (0..).zip(counts.iter_mut()) {
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
        let s = shift + p * bits;
        for &k in src {
            let slot = &mut count[((k >> s) & mask) as usize];
            dst[*slot] = k;
            *slot += 1;
        }
        in_keys = !in_keys;
    }
    !in_keys
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
        for n in [
            0,
            1,
            2,
            RADIX_MIN - 1,
            RADIX_MIN,
            RADIX_MIN + 1,
            50_000,
            MSD_MIN + 1,
        ] {
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
            // Digits that every key shares, skipped: below MSD_MIN two passes of three over
            // the whole array; from MSD_MIN one of two in each of the top digit's three buckets
            // (the result then copied back); and keys that all share the top digit (one bucket,
            // both lower digits over the whole array).
            check(
                (0..n)
                    .map(|_| (1 << 63) | ((r() % 3) << 50) | ((r() % 1024) << 19))
                    .collect(),
            );
            check(
                (0..n)
                    .map(|_| (1 << 63) | (1 << 40) | (r() % (1 << 20)))
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
