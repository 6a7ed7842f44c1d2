//! Elementary functions over slices, vectorised: e^x, ln x and ln(1 + x).
//!
//! Likelihoods of logistic and ordinal models spend most of their time in one `exp` and one `ln`
//! per row and Newton pass, and the C library evaluates them one value at a time. These functions
//! evaluate a whole slice with the SIMD width of the processor (chosen at run time through
//! [`pulp`], like the cross-product kernels), to within about one unit in the last place (ulp) of
//! the correctly rounded result: the tests compare them with the standard library over the whole
//! range at ≤ 2 ulp. Arguments outside the fast path's range (|x| > 708 for `exp`; zero,
//! negative, subnormal, infinite or NaN arguments of `ln`) are passed to the standard library
//! lane by lane, so special values behave exactly as `f64::exp` / `f64::ln` / `f64::ln_1p`.
//!
//! # Algorithms
//! - e^x: x = n·ln 2 + r with n = round(x/ln 2) and |r| ≤ ln 2/2 (Cody & Waite 1980, with ln 2
//!   split in two so that n·ln2_hi is exact), e^r by its Taylor polynomial of degree 13 (error
//!   below 2⁻⁵⁷ on that interval), and 2ⁿ assembled in the exponent field. W. J. Cody and
//!   W. Waite, *Software Manual for the Elementary Functions*, Prentice-Hall, 1980, ch. 6.
//! - ln x: x = 2ᵏ(1 + f) with √2/2 ≤ 1 + f < √2, s = f/(2 + f) and
//!   ln(1 + f) = f − f²/2 + s(f²/2 + R(s²)), R the minimax polynomial of degree 7 in s² of
//!   `e_log.c` in Sun Microsystems' freely distributable libm, fdlibm 5.3 (1993; the coefficients
//!   are carried over as published there).
//! - ln(1 + x): u = 1 + x rounded, then ln(1 + x) = ln u + (x − (u − 1))/u, which restores the
//!   part of x lost in the rounding of u (Goldberg, "What every computer scientist should know
//!   about floating-point arithmetic", ACM Computing Surveys 23, 1991, Theorem 4 and the remark
//!   after it).
//!
//! Fused multiply–add is used where the processor has it, so the last bit of a result can differ
//! between machines; on one machine results are reproducible.

use pulp::bytemuck;
use pulp::{Arch, Simd, WithSimd};

/// `v[i] ← e^{v[i]}` for every element.
///
/// # Examples
/// ```
/// use std::f64::consts::{E, LN_2};
/// use trialstats_core::vmath::exp_in_place;
/// let mut v = [0.0, 1.0, LN_2, -1000.0];
/// exp_in_place(&mut v);
/// assert_eq!(v[0], 1.0);
/// assert!((v[1] - E).abs() <= 2.0 * f64::EPSILON * E);
/// assert!((v[2] - 2.0).abs() <= 4.0 * f64::EPSILON);
/// assert_eq!(v[3], 0.0); // underflows, as f64::exp
/// ```
pub fn exp_in_place(v: &mut [f64]) {
    Arch::new().dispatch(Map { v, f: Func::Exp });
}

/// `v[i] ← ln v[i]` for every element.
///
/// # Examples
/// ```
/// use std::f64::consts::{E, LN_10};
/// use trialstats_core::vmath::ln_in_place;
/// let mut v = [1.0, E, 10.0, 0.0];
/// ln_in_place(&mut v);
/// assert_eq!(v[0], 0.0);
/// assert!((v[1] - 1.0).abs() <= 2.0 * f64::EPSILON);
/// assert!((v[2] - LN_10).abs() <= 2.0 * f64::EPSILON * LN_10);
/// assert_eq!(v[3], f64::NEG_INFINITY);
/// ```
pub fn ln_in_place(v: &mut [f64]) {
    Arch::new().dispatch(Map { v, f: Func::Ln });
}

/// `v[i] ← ln(1 + v[i])` for every element.
///
/// # Examples
/// ```
/// use std::f64::consts::LN_2;
/// use trialstats_core::vmath::ln_1p_in_place;
/// // ln(1 + x) = x − x²/2 + …: for x = 1e−20 the answer is x to the last bit.
/// let mut v = [1e-20, 1.0, -1.0];
/// ln_1p_in_place(&mut v);
/// assert_eq!(v[0], 1e-20);
/// assert!((v[1] - LN_2).abs() <= 2.0 * f64::EPSILON * LN_2);
/// assert_eq!(v[2], f64::NEG_INFINITY);
/// ```
pub fn ln_1p_in_place(v: &mut [f64]) {
    Arch::new().dispatch(Map { v, f: Func::Ln1p });
}

/// `dst[i] = e^{src[i]}` over the common length.
///
/// # Examples
/// ```
/// use trialstats_core::vmath::exp_into;
/// let mut dst = [7.0; 3];
/// exp_into(&mut dst, &[0.0, 2f64.ln()]);
/// assert_eq!(dst[0], 1.0);
/// assert!((dst[1] - 2.0).abs() <= 4.0 * f64::EPSILON);
/// assert_eq!(dst[2], 7.0); // beyond the source's length: left alone
/// ```
pub fn exp_into(dst: &mut [f64], src: &[f64]) {
    let m = dst.len().min(src.len());
    dst[..m].copy_from_slice(&src[..m]);
    exp_in_place(&mut dst[..m]);
}

/// `dst[i] = ln(1 + src[i])` over the common length.
///
/// # Examples
/// ```
/// use std::f64::consts::E;
/// use trialstats_core::vmath::ln_1p_into;
/// let mut dst = [0.0; 2];
/// ln_1p_into(&mut dst, &[E - 1.0, 0.0]);
/// assert!((dst[0] - 1.0).abs() <= 4.0 * f64::EPSILON);
/// assert_eq!(dst[1], 0.0);
/// ```
pub fn ln_1p_into(dst: &mut [f64], src: &[f64]) {
    let m = dst.len().min(src.len());
    dst[..m].copy_from_slice(&src[..m]);
    ln_1p_in_place(&mut dst[..m]);
}

/// `Σ ln vᵢ`, vectorised (the log-likelihood of probabilities `v`). Four vector accumulators are
/// summed in a fixed order. A zero gives −∞ and a negative value NaN, as `f64::ln` would.
///
/// # Examples
/// ```
/// use std::f64::consts::LN_2;
/// use trialstats_core::vmath::sum_ln;
/// // ln ½ + ln ¼ + ln 2 = −2 ln 2.
/// let s = sum_ln(&[0.5, 0.25, 2.0]);
/// assert!((s + 2.0 * LN_2).abs() <= 4.0 * f64::EPSILON);
/// assert_eq!(sum_ln(&[0.5, 0.0]), f64::NEG_INFINITY);
/// assert!(sum_ln(&[-1.0]).is_nan());
/// ```
pub fn sum_ln(v: &[f64]) -> f64 {
    Arch::new().dispatch(SumLn { v })
}

#[derive(Clone, Copy)]
enum Func {
    Exp,
    Ln,
    Ln1p,
}

struct Map<'a> {
    v: &'a mut [f64],
    f: Func,
}

impl WithSimd for Map<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let Map { v, f } = self;
        if !words_fit::<S>() {
            return scalar_map(v, f);
        }
        let (vv, vt) = S::as_mut_simd_f64s(v);
        match f {
            Func::Exp => {
                for x in vv.iter_mut() {
                    *x = exp_v(simd, *x);
                }
                vt.iter_mut().for_each(|x| *x = x.exp());
            }
            Func::Ln => {
                for x in vv.iter_mut() {
                    *x = ln_v(simd, *x);
                }
                vt.iter_mut().for_each(|x| *x = x.ln());
            }
            Func::Ln1p => {
                for x in vv.iter_mut() {
                    *x = ln_1p_v(simd, *x);
                }
                vt.iter_mut().for_each(|x| *x = x.ln_1p());
            }
        }
    }
}

/// Whether a vector of 64-bit lanes can be viewed as one of 32-bit lanes (the exponent-field
/// manipulations need it; pulp's one-lane scalar fallback cannot, and takes the standard library).
fn words_fit<S: Simd>() -> bool {
    std::mem::size_of::<S::u32s>() == std::mem::size_of::<S::u64s>()
}

fn scalar_map(v: &mut [f64], f: Func) {
    let g: fn(f64) -> f64 = match f {
        Func::Exp => f64::exp,
        Func::Ln => f64::ln,
        Func::Ln1p => f64::ln_1p,
    };
    v.iter_mut().for_each(|x| *x = g(*x));
}

struct SumLn<'a> {
    v: &'a [f64],
}

impl WithSimd for SumLn<'_> {
    type Output = f64;
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> f64 {
        if !words_fit::<S>() {
            return self.v.iter().map(|x| x.ln()).sum();
        }
        let (vv, vt) = S::as_simd_f64s(self.v);
        let zero = simd.splat_f64s(0.0);
        let mut acc = [zero; 4];
        let mut chunks = vv.chunks_exact(4);
        for x in &mut chunks {
            for u in 0..4 {
                acc[u] = simd.add_f64s(acc[u], ln_v(simd, x[u]));
            }
        }
        for x in chunks.remainder() {
            acc[0] = simd.add_f64s(acc[0], ln_v(simd, *x));
        }
        let total = simd.reduce_sum_f64s(
            simd.add_f64s(simd.add_f64s(acc[0], acc[1]), simd.add_f64s(acc[2], acc[3])),
        );
        total + vt.iter().map(|x| x.ln()).sum::<f64>()
    }
}

/// Replaces the lanes of `out` where `ok` is false by `f` of the matching lane of `x`.
#[inline(always)]
fn patch<S: Simd>(simd: S, ok: S::m64s, x: S::f64s, out: S::f64s, f: fn(f64) -> f64) -> S::f64s {
    let bad = simd.not_m64s(ok);
    if simd.first_true_m64s(bad) >= S::F64_LANES {
        return out;
    }
    let xs: S::u64s = simd.transmute_u64s_f64s(x);
    let mut os: S::u64s = simd.transmute_u64s_f64s(out);
    let bad_bits = simd.select_u64s(bad, simd.splat_u64s(1), simd.splat_u64s(0));
    let xs = bytemuck::cast_slice::<S::u64s, u64>(std::slice::from_ref(&xs));
    let masks = bytemuck::cast_slice::<S::u64s, u64>(std::slice::from_ref(&bad_bits));
    let outs = bytemuck::cast_slice_mut::<S::u64s, u64>(std::slice::from_mut(&mut os));
    for ((o, &xi), &mi) in outs.iter_mut().zip(xs).zip(masks) {
        if mi != 0 {
            *o = f(f64::from_bits(xi)).to_bits();
        }
    }
    simd.transmute_f64s_u64s(os)
}

const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-1;
const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;

/// 1/i! for i = 13 down to 0 (Horner order).
const EXP_TAYLOR: [f64; 14] = [
    1.0 / 6_227_020_800.0,
    1.0 / 479_001_600.0,
    1.0 / 39_916_800.0,
    1.0 / 3_628_800.0,
    1.0 / 362_880.0,
    1.0 / 40_320.0,
    1.0 / 5_040.0,
    1.0 / 720.0,
    1.0 / 120.0,
    1.0 / 24.0,
    1.0 / 6.0,
    0.5,
    1.0,
    1.0,
];

/// e^x, one vector.
#[inline(always)]
fn exp_v<S: Simd>(simd: S, x: S::f64s) -> S::f64s {
    // 1.5·2⁵²: adding it rounds to an integer, subtracting it again leaves that integer.
    const SHIFT: f64 = 6_755_399_441_055_744.0;
    let ok = simd.and_m64s(
        simd.greater_than_or_equal_f64s(x, simd.splat_f64s(-708.0)),
        simd.less_than_or_equal_f64s(x, simd.splat_f64s(708.0)),
    );
    let shift = simd.splat_f64s(SHIFT);
    let n = simd.sub_f64s(
        simd.mul_add_e_f64s(x, simd.splat_f64s(std::f64::consts::LOG2_E), shift),
        shift,
    );
    let r = simd.mul_add_e_f64s(simd.neg_f64s(n), simd.splat_f64s(LN2_HI), x);
    let r = simd.mul_add_e_f64s(simd.neg_f64s(n), simd.splat_f64s(LN2_LO), r);
    let mut p = simd.splat_f64s(EXP_TAYLOR[0]);
    for &c in &EXP_TAYLOR[1..] {
        p = simd.mul_add_e_f64s(p, r, simd.splat_f64s(c));
    }
    // 2ⁿ: (n + 1023)·2³² + 2⁵² holds n + 1023 in the low bits of its upper 32-bit word (and
    // zeros in the lower word); shifting each 32-bit word left by 20 moves it into the exponent
    // field and clears the rest.
    let biased = simd.mul_add_e_f64s(
        simd.add_f64s(n, simd.splat_f64s(1023.0)),
        simd.splat_f64s(4_294_967_296.0),
        simd.splat_f64s(4_503_599_627_370_496.0),
    );
    let words: S::u32s = bytemuck::cast(simd.transmute_u64s_f64s(biased));
    let scale_words = simd.wrapping_dyn_shl_u32s(words, simd.splat_u32s(20));
    let scale = simd.transmute_f64s_u64s(bytemuck::cast(scale_words));
    let out = simd.mul_f64s(p, scale);
    patch(simd, ok, x, out, f64::exp)
}

const LG: [f64; 7] = [
    6.666_666_666_666_735_130e-1,
    3.999_999_999_940_941_908e-1,
    2.857_142_874_366_239_149e-1,
    2.222_219_843_214_978_396e-1,
    1.818_357_216_161_805_012e-1,
    1.531_383_769_920_937_332e-1,
    1.479_819_860_511_658_591e-1,
];

/// ln x, one vector.
#[inline(always)]
fn ln_v<S: Simd>(simd: S, x: S::f64s) -> S::f64s {
    let ok = simd.and_m64s(
        simd.greater_than_or_equal_f64s(x, simd.splat_f64s(f64::MIN_POSITIVE)),
        simd.less_than_or_equal_f64s(x, simd.splat_f64s(f64::MAX)),
    );
    let bits = simd.transmute_u64s_f64s(x);
    // The biased exponent e_b, as a double: shift each 32-bit word right by 20 (the upper word
    // then holds e_b), clear the lower word and set the upper word's top bits to those of 2⁵²,
    // which makes the double 2⁵² + e_b·2³².
    let words: S::u32s = bytemuck::cast(bits);
    let shifted: S::u64s = bytemuck::cast(simd.wrapping_dyn_shr_u32s(words, simd.splat_u32s(20)));
    let eb = simd.or_u64s(
        simd.and_u64s(shifted, simd.splat_u64s(0x0000_07ff_0000_0000)),
        simd.splat_u64s(0x4330_0000_0000_0000),
    );
    let eb = simd.mul_f64s(
        simd.sub_f64s(
            simd.transmute_f64s_u64s(eb),
            simd.splat_f64s(4_503_599_627_370_496.0),
        ),
        simd.splat_f64s(1.0 / 4_294_967_296.0),
    );
    let mut k = simd.sub_f64s(eb, simd.splat_f64s(1023.0));
    // The mantissa m ∈ [1, 2); above √2, halve it and count one more power of two.
    let m = simd.transmute_f64s_u64s(simd.or_u64s(
        simd.and_u64s(bits, simd.splat_u64s(0x000f_ffff_ffff_ffff)),
        simd.splat_u64s(0x3ff0_0000_0000_0000),
    ));
    let big = simd.greater_than_f64s(m, simd.splat_f64s(std::f64::consts::SQRT_2));
    let m = simd.select_f64s(big, simd.mul_f64s(m, simd.splat_f64s(0.5)), m);
    k = simd.select_f64s(big, simd.add_f64s(k, simd.splat_f64s(1.0)), k);
    let f = simd.sub_f64s(m, simd.splat_f64s(1.0));
    let out = ln_1p_reduced(simd, f, k);
    patch(simd, ok, x, out, f64::ln)
}

/// k·ln 2 + ln(1 + f) for √2/2 − 1 ≤ f < √2 − 1 (fdlibm's evaluation).
#[inline(always)]
fn ln_1p_reduced<S: Simd>(simd: S, f: S::f64s, k: S::f64s) -> S::f64s {
    let s = simd.div_f64s(f, simd.add_f64s(simd.splat_f64s(2.0), f));
    let z = simd.mul_f64s(s, s);
    let w = simd.mul_f64s(z, z);
    let c = |i: usize| simd.splat_f64s(LG[i]);
    let t1 = simd.mul_f64s(
        w,
        simd.mul_add_e_f64s(w, simd.mul_add_e_f64s(w, c(5), c(3)), c(1)),
    );
    let t2 = simd.mul_f64s(
        z,
        simd.mul_add_e_f64s(
            w,
            simd.mul_add_e_f64s(w, simd.mul_add_e_f64s(w, c(6), c(4)), c(2)),
            c(0),
        ),
    );
    let r = simd.add_f64s(t2, t1);
    let hfsq = simd.mul_f64s(simd.splat_f64s(0.5), simd.mul_f64s(f, f));
    // k·ln2_hi − ((hfsq − (s·(hfsq + R) + k·ln2_lo)) − f)
    let inner = simd.mul_add_e_f64s(
        s,
        simd.add_f64s(hfsq, r),
        simd.mul_f64s(k, simd.splat_f64s(LN2_LO)),
    );
    simd.sub_f64s(
        simd.mul_f64s(k, simd.splat_f64s(LN2_HI)),
        simd.sub_f64s(simd.sub_f64s(hfsq, inner), f),
    )
}

/// ln(1 + x), one vector.
#[inline(always)]
fn ln_1p_v<S: Simd>(simd: S, x: S::f64s) -> S::f64s {
    let one = simd.splat_f64s(1.0);
    let u = simd.add_f64s(one, x);
    let ok = simd.and_m64s(
        simd.greater_than_or_equal_f64s(u, simd.splat_f64s(f64::MIN_POSITIVE)),
        simd.less_than_or_equal_f64s(u, simd.splat_f64s(f64::MAX)),
    );
    let correction = simd.div_f64s(simd.sub_f64s(x, simd.sub_f64s(u, one)), u);
    let out = simd.add_f64s(ln_v(simd, u), correction);
    // Below 2⁻⁶⁰, ln(1 + x) rounds to x itself (which also keeps the sign of −0).
    let tiny = simd.less_than_f64s(simd.abs_f64s(x), simd.splat_f64s(8.673_617_379_884_035e-19));
    let out = simd.select_f64s(tiny, x, out);
    patch(simd, ok, x, out, f64::ln_1p)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    /// Distance in units in the last place (for finite values of one sign).
    fn ulps(a: f64, b: f64) -> u64 {
        if a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()) {
            return 0;
        }
        if a.is_sign_negative() != b.is_sign_negative() {
            return u64::MAX;
        }
        a.to_bits().abs_diff(b.to_bits())
    }

    /// Arguments spread over `lo..hi` (a fixed pseudo-random sequence plus the ends).
    fn grid(lo: f64, hi: f64, n: usize) -> Vec<f64> {
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        let mut v: Vec<f64> = (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                lo + (hi - lo) * ((s >> 11) as f64 / (1u64 << 53) as f64)
            })
            .collect();
        v.extend([lo, hi]);
        v
    }

    fn check(name: &str, args: &[f64], fast: fn(&mut [f64]), reference: fn(f64) -> f64) {
        let mut got = args.to_vec();
        fast(&mut got);
        let mut worst = (0, 0.0);
        for (&x, &g) in args.iter().zip(&got) {
            let want = reference(x);
            let d = ulps(g, want);
            if d > worst.0 {
                worst = (d, x);
            }
        }
        assert!(worst.0 <= 2, "{name}: {} ulp at x = {:e}", worst.0, worst.1);
    }

    #[test]
    fn exp_is_within_two_ulp_of_the_standard_library() {
        check("exp", &grid(-708.0, 708.0, 20_000), exp_in_place, f64::exp);
        check("exp", &grid(-1.0, 1.0, 20_000), exp_in_place, f64::exp);
        check("exp", &grid(-1e-9, 1e-9, 2_000), exp_in_place, f64::exp);
        check("exp", &grid(-40.0, 0.0, 20_000), exp_in_place, f64::exp);
    }

    #[test]
    fn ln_is_within_two_ulp_of_the_standard_library() {
        check("ln", &grid(1e-300, 1e-290, 5_000), ln_in_place, f64::ln);
        check("ln", &grid(0.0, 1.0, 20_000), ln_in_place, f64::ln);
        check("ln", &grid(0.7, 1.5, 20_000), ln_in_place, f64::ln);
        check("ln", &grid(1.0, 1e300, 20_000), ln_in_place, f64::ln);
    }

    #[test]
    fn ln_1p_is_within_two_ulp_of_the_standard_library() {
        check("ln_1p", &grid(0.0, 1.0, 20_000), ln_1p_in_place, f64::ln_1p);
        check(
            "ln_1p",
            &grid(-1e-10, 1e-10, 5_000),
            ln_1p_in_place,
            f64::ln_1p,
        );
        check(
            "ln_1p",
            &grid(-0.999, 3.0, 20_000),
            ln_1p_in_place,
            f64::ln_1p,
        );
        check(
            "ln_1p",
            &grid(1e-300, 1e-17, 5_000),
            ln_1p_in_place,
            f64::ln_1p,
        );
        check(
            "ln_1p",
            &grid(1.0, 1e300, 5_000),
            ln_1p_in_place,
            f64::ln_1p,
        );
    }

    #[test]
    fn special_values_behave_as_the_standard_library() {
        let specials = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            708.5,
            709.7,
            710.0,
            -708.5,
            -745.0,
            -746.0,
            -1e-320,
            1e-320,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        // Every special value in every lane position, among ordinary ones.
        for pos in 0..8 {
            for &s in &specials {
                let mut args = vec![0.5; 16];
                args[pos] = s;
                for (fast, reference) in [
                    (exp_in_place as fn(&mut [f64]), f64::exp as fn(f64) -> f64),
                    (ln_in_place, f64::ln),
                    (ln_1p_in_place, f64::ln_1p),
                ] {
                    let mut got = args.clone();
                    fast(&mut got);
                    for (&x, &g) in args.iter().zip(&got) {
                        let want = reference(x);
                        assert!(ulps(g, want) <= 2, "{x:e}: got {g:e}, want {want:e}");
                    }
                }
            }
        }
    }

    /// The same accuracy on every instruction set this processor offers (pulp dispatches to the
    /// widest; the narrower ones and the scalar fallback are run here explicitly).
    #[test]
    fn every_instruction_set_is_accurate() {
        struct Check;
        impl WithSimd for Check {
            type Output = ();
            fn with_simd<S: Simd>(self, simd: S) {
                for (f, reference, lo, hi) in [
                    (Func::Exp, f64::exp as fn(f64) -> f64, -708.0, 708.0),
                    (Func::Ln, f64::ln, 1e-300, 1e300),
                    (Func::Ln1p, f64::ln_1p, -0.5, 10.0),
                ] {
                    let args = grid(lo, hi, 4_001);
                    let mut got = args.clone();
                    Map { v: &mut got, f }.with_simd(simd);
                    for (&x, &g) in args.iter().zip(&got) {
                        assert!(ulps(g, reference(x)) <= 2, "{x:e}");
                    }
                }
            }
        }
        crate::kernels::on_every_instruction_set(|| Check);
    }

    #[test]
    fn sum_ln_matches_the_sum_of_logs() {
        let v = grid(1e-3, 1.0, 10_001);
        let want: f64 = v.iter().map(|x| x.ln()).sum();
        assert!((sum_ln(&v) - want).abs() <= 1e-12 * want.abs());
        assert!(sum_ln(&[0.5, 0.0, 0.5]).is_infinite());
        assert!(sum_ln(&[0.5, -1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]).is_nan());
        assert!(sum_ln(&[]).abs() == 0.0);
    }

    #[test]
    fn into_variants_use_the_common_length() {
        let src = [0.0, 1.0, 2.0];
        let mut dst = [9.0; 2];
        exp_into(&mut dst, &src);
        assert!(ulps(dst[1], 1f64.exp()) <= 1);
        ln_1p_into(&mut dst, &src);
        assert!(ulps(dst[1], 2f64.ln()) <= 1);
    }
}
