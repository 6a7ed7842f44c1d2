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
/// −∞ with its sign bit set).
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
pub fn order_key(x: f64) -> u64 {
    let bits = (x + 0.0).to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
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
