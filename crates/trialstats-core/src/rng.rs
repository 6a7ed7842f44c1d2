//! A small, seeded, portable random number generator: xoshiro256** seeded by SplitMix64.
//!
//! Results of the workspace (bootstrap p-values, imputations, simulated trials) must be
//! reproducible from a recorded seed on any platform and with any version of the dependencies, so
//! the generator is written here, fixed, rather than taken from a crate whose default algorithm
//! may change between releases.
//!
//! # References
//! Blackman & Vigna (2021), "Scrambled linear pseudorandom number generators", ACM TOMS 47(4):36,
//! doi:10.1145/3460772. Steele, Lea & Flood (2014), "Fast splittable pseudorandom number
//! generators", OOPSLA '14, doi:10.1145/2660193.2660195 (SplitMix64).
//! Lemire (2019), "Fast random integer generation in an interval", ACM TOMACS 29(1):3,
//! doi:10.1145/3230636.

use serde::{Deserialize, Serialize};

/// One step of SplitMix64: advances `state` and returns the next output.
///
/// # Examples
/// ```
/// use trialstats_core::rng::splitmix64;
/// // From seed 1234567, as the reference C code (Vigna, splitmix64.c) gives; checked with an
/// // independent Python transcription of that code.
/// let mut state = 1_234_567u64;
/// assert_eq!(splitmix64(&mut state), 6_457_827_717_110_365_317);
/// assert_eq!(splitmix64(&mut state), 3_203_168_211_198_807_973);
/// ```
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of the `index`-th of a family of independent streams under `seed`: SplitMix64 of
/// `seed` ⊕ `index`·0xD1B54A32D192ED03 (an odd multiplier, so that every index moves the state
/// far from the others). Work split at fixed boundaries draws each part from its own stream,
/// so the draws do not depend on the number of threads or the order in which parts run.
///
/// # Examples
/// ```
/// use trialstats_core::rng::{Rng, stream_seed};
/// let (a, b) = (stream_seed(7, 0), stream_seed(7, 1));
/// assert_ne!(a, b);
/// assert_eq!(Rng::seed_from(a), Rng::seed_from(stream_seed(7, 0)));
/// ```
pub fn stream_seed(seed: u64, index: u64) -> u64 {
    let mut state = seed ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03);
    splitmix64(&mut state)
}

/// The xoshiro256** generator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator whose state is four SplitMix64 outputs from `seed`.
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::rng::Rng;
    /// let mut a = Rng::seed_from(42);
    /// let mut b = Rng::seed_from(42);
    /// assert_eq!(a.next_u64(), b.next_u64()); // the same seed gives the same stream
    /// assert_eq!(a, b);
    /// ```
    pub fn seed_from(seed: u64) -> Self {
        let mut sm = seed;
        let s = [
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
        ];
        Self { s }
    }

    /// The next 64 random bits.
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::rng::Rng;
    /// // Values from an independent Python transcription of the reference C code
    /// // (xoshiro256starstar.c seeded by four splitmix64.c outputs).
    /// let mut r = Rng::seed_from(42);
    /// assert_eq!(r.next_u64(), 1_546_998_764_402_558_742);
    /// assert_eq!(r.next_u64(), 6_990_951_692_964_543_102);
    /// ```
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// A uniform double in [0, 1) with 53 random bits.
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::rng::Rng;
    /// let mut r = Rng::seed_from(42);
    /// // The first output's top 53 bits times 2⁻⁵³ (independent Python transcription).
    /// assert_eq!(r.uniform(), 0.08386297105988216);
    /// assert!((0..1000).all(|_| (0.0..1.0).contains(&r.uniform())));
    /// ```
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform integer in `0..n` without bias (Lemire's method); 0 when `n` is 0.
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::rng::Rng;
    /// let mut r = Rng::seed_from(42);
    /// r.next_u64();
    /// // ⌊x·1000/2⁶⁴⌋ of the second output (independent Python transcription).
    /// assert_eq!(r.below(1000), 378);
    /// assert!((0..1000).all(|_| r.below(6) < 6));
    /// assert_eq!(r.below(0), 0);
    /// ```
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let mut m = u128::from(self.next_u64()) * u128::from(n);
        let mut low = m as u64;
        if low < n {
            let threshold = n.wrapping_neg() % n;
            while low < threshold {
                m = u128::from(self.next_u64()) * u128::from(n);
                low = m as u64;
            }
        }
        (m >> 64) as u64
    }

    /// A fair coin.
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::rng::Rng;
    /// let mut r = Rng::seed_from(42);
    /// // The top bit of the first three outputs: 0, 0, 1 (independent Python transcription).
    /// assert_eq!([r.coin(), r.coin(), r.coin()], [false, false, true]);
    /// ```
    pub fn coin(&mut self) -> bool {
        self.next_u64() >> 63 == 1
    }

    /// A standard normal draw by the Marsaglia polar method (one of each pair is used, so the
    /// stream does not depend on hidden state).
    ///
    /// # Formula
    /// u, v uniform on (−1, 1) with s = u² + v² in (0, 1): z = u·√(−2 ln s / s).
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::rng::Rng;
    /// let mut r = Rng::seed_from(1);
    /// let z: Vec<f64> = (0..10_000).map(|_| r.normal()).collect();
    /// let mean = z.iter().sum::<f64>() / 1e4;
    /// let var = z.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 9999.0;
    /// // N(0, 1): within 5 standard errors (0.01 for the mean, 0.014 for the variance).
    /// assert!(mean.abs() < 0.05 && (var - 1.0).abs() < 0.07);
    /// ```
    pub fn normal(&mut self) -> f64 {
        loop {
            let u = 2.0 * self.uniform() - 1.0;
            let v = 2.0 * self.uniform() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                return u * (-2.0 * s.ln() / s).sqrt();
            }
        }
    }

    /// A Gamma(shape, 1) draw by Marsaglia & Tsang (2000), ACM TOMS 26(3):363–372,
    /// doi:10.1145/358407.358414; for shape < 1 the boost G(a) = G(a + 1)·U^(1/a). `shape` must be
    /// positive (a non-positive shape returns 0).
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::rng::Rng;
    /// let mut r = Rng::seed_from(2);
    /// // Gamma(2.5, 1) has mean 2.5 and variance 2.5: the mean of 10 000 draws is within
    /// // 5 standard errors (5 · 0.0158).
    /// let mean = (0..10_000).map(|_| r.gamma(2.5)).sum::<f64>() / 1e4;
    /// assert!((mean - 2.5).abs() < 0.08);
    /// assert_eq!(r.gamma(-1.0), 0.0);
    /// ```
    pub fn gamma(&mut self, shape: f64) -> f64 {
        if shape <= 0.0 || !shape.is_finite() {
            return 0.0;
        }
        if shape < 1.0 {
            let u = self.uniform().max(f64::MIN_POSITIVE);
            return self.gamma(shape + 1.0) * u.powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = (1.0 + c * x).powi(3);
            if v <= 0.0 {
                continue;
            }
            let u = self.uniform();
            if u < 1.0 - 0.0331 * x.powi(4) || u.ln() < 0.5 * x * x + d * (1.0 - v + v.ln()) {
                return d * v;
            }
        }
    }

    /// A chi-square draw with `df` degrees of freedom: 2·Gamma(df/2, 1).
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::rng::Rng;
    /// let mut r = Rng::seed_from(3);
    /// // χ²₃ has mean 3 and variance 6: the mean of 10 000 draws is within 5 standard errors
    /// // (5 · 0.0245).
    /// let mean = (0..10_000).map(|_| r.chi_square(3.0)).sum::<f64>() / 1e4;
    /// assert!((mean - 3.0).abs() < 0.125);
    /// ```
    pub fn chi_square(&mut self, df: f64) -> f64 {
        2.0 * self.gamma(df / 2.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_outputs() {
        // SplitMix64 from seed 1234567: the first outputs of the reference C implementation
        // (Vigna, splitmix64.c), as printed in its published test vectors.
        let mut s = 1_234_567u64;
        assert_eq!(splitmix64(&mut s), 6_457_827_717_110_365_317);
        assert_eq!(splitmix64(&mut s), 3_203_168_211_198_807_973);
        // xoshiro256** is deterministic from the seed.
        let mut a = Rng::seed_from(42);
        let mut b = Rng::seed_from(42);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
    }

    #[test]
    fn normal_and_chi_square_have_their_moments() {
        // Mean and variance of 200 000 draws within 5 standard errors of the truth.
        let mut r = Rng::seed_from(11);
        let n = 200_000.0;
        let (mut s1, mut s2) = (0.0, 0.0);
        for _ in 0..200_000 {
            let z = r.normal();
            s1 += z;
            s2 += z * z;
        }
        assert!((s1 / n).abs() < 5.0 / n.sqrt());
        assert!((s2 / n - 1.0).abs() < 5.0 * (2.0f64 / n).sqrt());
        for df in [0.5, 3.0, 20.0] {
            let (mut s1, mut s2) = (0.0, 0.0);
            for _ in 0..200_000 {
                let x = r.chi_square(df);
                s1 += x;
                s2 += x * x;
            }
            let mean = s1 / n;
            let var = s2 / n - mean * mean;
            assert!(
                (mean - df).abs() < 5.0 * (2.0 * df / n).sqrt(),
                "df {df}: mean {mean}"
            );
            assert!((var / (2.0 * df) - 1.0).abs() < 0.05, "df {df}: var {var}");
        }
    }

    #[test]
    fn uniform_and_below_are_in_range_and_roughly_uniform() {
        let mut r = Rng::seed_from(7);
        let mut counts = [0usize; 6];
        let mut sum = 0.0;
        for _ in 0..60_000 {
            let u = r.uniform();
            assert!((0.0..1.0).contains(&u));
            sum += u;
            counts[r.below(6) as usize] += 1;
        }
        assert!((sum / 60_000.0 - 0.5).abs() < 0.01);
        // Each count ~ Binomial(60000, 1/6): mean 10000, sd ≈ 91; 6 sd bounds.
        assert!(
            counts.iter().all(|&c| (9_450..10_550).contains(&c)),
            "{counts:?}"
        );
    }
}
