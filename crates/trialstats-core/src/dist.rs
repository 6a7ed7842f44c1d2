//! p-values and quantiles of the reference distributions, from statrs.
//!
//! Upper tails are computed directly (`sf`), never as `1 − cdf`, so that small p-values keep
//! their relative accuracy. Student's t with infinite degrees of freedom is the standard normal.
//!
//! The normal tail is computed as `Φ(−|x|) = ½ Q(½, x²/2)` with statrs' regularised upper
//! incomplete gamma function Q, which agrees with R's `pnorm` to about 1e−14 relative; statrs'
//! own `erfc` (and so `Normal::sf`) is accurate only to about 1e−10 relative, which would show in
//! the tenth digit of a p-value.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF, FisherSnedecor, Normal, StudentsT};
use statrs::function::gamma::gamma_ur;

use crate::error::InputError;

/// The sampling distribution used for a Wald statistic.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Reference {
    /// Standard normal (z): large-sample inference, as Stata's ML commands.
    Normal,
    /// Student's t with `df` degrees of freedom (may be fractional, e.g. Satterthwaite).
    StudentT {
        /// Degrees of freedom, > 0.
        df: f64,
    },
}

impl Reference {
    /// Degrees of freedom (`None` for the normal).
    pub fn df(&self) -> Option<f64> {
        match self {
            Reference::Normal => None,
            Reference::StudentT { df } => Some(*df),
        }
    }

    /// Lower-tail probability P(T ≤ x).
    ///
    /// # Errors
    /// [`InputError::OutOfRange`] if `df` is not positive, [`InputError::NonFinite`] for NaN `x`.
    pub fn cdf(&self, x: f64) -> Result<f64, InputError> {
        self.sf(-x)
    }

    /// Upper-tail probability P(T > x), accurate far into the tail.
    ///
    /// # Errors
    /// As [`Reference::cdf`].
    pub fn sf(&self, x: f64) -> Result<f64, InputError> {
        if x.is_nan() {
            return Err(InputError::NonFinite {
                field: "statistic".into(),
                row: 0,
                value: x,
            });
        }
        match *self {
            Reference::Normal => Ok(normal_sf(x)),
            Reference::StudentT { df } => {
                check_df("df", df)?;
                if df.is_infinite() {
                    return Ok(normal_sf(x));
                }
                Ok(students_t(df)?.sf(x))
            }
        }
    }

    /// Quantile: the x with P(T ≤ x) = p.
    ///
    /// # Errors
    /// [`InputError::OutOfRange`] if `p` is outside (0, 1) or `df` is not positive.
    pub fn quantile(&self, p: f64) -> Result<f64, InputError> {
        if !(p > 0.0 && p < 1.0) {
            return Err(InputError::OutOfRange {
                field: "probability".into(),
                value: p,
                expected: "0 < p < 1".into(),
            });
        }
        match *self {
            Reference::Normal => Ok(std_normal().inverse_cdf(p)),
            Reference::StudentT { df } => {
                check_df("df", df)?;
                if df.is_infinite() {
                    return Ok(std_normal().inverse_cdf(p));
                }
                if df > 1000.0 {
                    // statrs' inverse loses accuracy as df grows (7e−13 relative at 5e3, 3e−6 at 3e4) and
                    // does not terminate for very large df; the Cornish–Fisher expansion of the t
                    // quantile about the normal one (Hill 1970, CACM 13(10):619–620), to the
                    // df⁻⁴ term, has a remainder O(df⁻⁵) < 1e−16 relative here.
                    let z = std_normal().inverse_cdf(p);
                    let (z2, v) = (z * z, df);
                    let g1 = (z2 + 1.0) * z / 4.0;
                    let g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
                    let g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
                    let g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z
                        / 92160.0;
                    return Ok(z + g1 / v + g2 / (v * v) + g3 / (v * v * v) + g4 / (v * v * v * v));
                }
                // The same (df, p) is asked for once per coefficient of a fit: remember the last
                // answer (per thread), since the inversion costs dozens of incomplete-beta calls.
                thread_local! {
                    static LAST_T_QUANTILE: std::cell::Cell<(u64, u64, f64)> =
                        const { std::cell::Cell::new((u64::MAX, u64::MAX, 0.0)) };
                }
                let key = (df.to_bits(), p.to_bits());
                let (d, pp, q) = LAST_T_QUANTILE.with(std::cell::Cell::get);
                if (d, pp) == key {
                    return Ok(q);
                }
                let q = students_t(df)?.inverse_cdf(p);
                LAST_T_QUANTILE.with(|c| c.set((key.0, key.1, q)));
                Ok(q)
            }
        }
    }

    /// p-value of the statistic `stat` for the given alternative.
    ///
    /// # Formula
    /// ```text
    /// two-sided: 2 · P(T > |stat|);  less: P(T ≤ stat);  greater: P(T > stat)
    /// ```
    ///
    /// # Errors
    /// As [`Reference::cdf`].
    pub fn p_value(&self, stat: f64, alternative: Alternative) -> Result<f64, InputError> {
        match alternative {
            Alternative::TwoSided => Ok((2.0 * self.sf(stat.abs())?).min(1.0)),
            Alternative::Less => self.cdf(stat),
            Alternative::Greater => self.sf(stat),
        }
    }
}

/// The alternative hypothesis of a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub enum Alternative {
    /// θ ≠ θ₀.
    #[default]
    TwoSided,
    /// θ < θ₀.
    Less,
    /// θ > θ₀.
    Greater,
}

/// Upper tail of the χ² distribution with `df` degrees of freedom, P(X > x).
///
/// # Errors
/// [`InputError::OutOfRange`] if `df` is not positive or `x` is NaN.
pub fn chisq_sf(x: f64, df: f64) -> Result<f64, InputError> {
    check_df("df", df)?;
    if x.is_nan() {
        return Err(InputError::NonFinite {
            field: "statistic".into(),
            row: 0,
            value: x,
        });
    }
    if x <= 0.0 {
        return Ok(1.0);
    }
    let d = ChiSquared::new(df).map_err(|_| out_of_range("df", df))?;
    Ok(d.sf(x))
}

/// Upper tail of the F distribution with (`d1`, `d2`) degrees of freedom, P(X > x).
///
/// # Errors
/// [`InputError::OutOfRange`] if a df is not positive or `x` is NaN.
pub fn f_sf(x: f64, d1: f64, d2: f64) -> Result<f64, InputError> {
    check_df("df1", d1)?;
    check_df("df2", d2)?;
    if x.is_nan() {
        return Err(InputError::NonFinite {
            field: "statistic".into(),
            row: 0,
            value: x,
        });
    }
    if x <= 0.0 {
        return Ok(1.0);
    }
    let d = FisherSnedecor::new(d1, d2).map_err(|_| out_of_range("df", d1))?;
    Ok(d.sf(x))
}

/// Upper tail of the standard normal, P(Z > x) (see the module docs for the method).
///
/// # Formula
/// ```text
/// P(Z > x) = ½ Q(½, x²/2) for x ≥ 0,   1 − ½ Q(½, x²/2) for x < 0
/// ```
pub fn normal_sf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x.is_infinite() {
        return if x > 0.0 { 0.0 } else { 1.0 };
    }
    // statrs' Q(a, x) panics at x = 0 (and x² underflows to 0 below about 1e−154), while
    // P(Z > x) = ½ − x·φ(0) + O(x³) rounds to ½ for |x| < 1e−17.
    if x.abs() < 1e-17 {
        return 0.5;
    }
    if x.abs() > 40.0 {
        return if x > 0.0 { 0.0 } else { 1.0 };
    }
    let half_tail = 0.5 * gamma_ur(0.5, 0.5 * x * x);
    if x >= 0.0 { half_tail } else { 1.0 - half_tail }
}

fn std_normal() -> Normal {
    Normal::standard()
}

fn students_t(df: f64) -> Result<StudentsT, InputError> {
    StudentsT::new(0.0, 1.0, df).map_err(|_| out_of_range("df", df))
}

fn check_df(field: &str, df: f64) -> Result<(), InputError> {
    if df > 0.0 {
        Ok(())
    } else {
        Err(out_of_range(field, df))
    }
}

fn out_of_range(field: &str, value: f64) -> InputError {
    InputError::OutOfRange {
        field: field.into(),
        value,
        expected: "> 0".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Tol;

    /// Arguments whose square underflows once made statrs' Q(½, 0) panic.
    #[test]
    fn normal_sf_near_zero_is_one_half() {
        for x in [
            1e-300,
            -1e-300,
            1e-160,
            1e-18,
            -1e-18,
            0.0,
            -0.0,
            f64::MIN_POSITIVE,
        ] {
            assert!((normal_sf(x) - 0.5).abs() < 1e-16, "{x:e}");
        }
        assert!(
            (normal_sf(1e-9) - (0.5 - 1e-9 / (2.0 * std::f64::consts::PI).sqrt())).abs() < 1e-17
        );
    }

    // Reference values from R 4.2.2 (`options(digits = 17)`):
    //   x <- c(0.5, 1, 2, 3, 5, 8, 10, 20); pnorm(-x); pt(-x, 10); pt(-x, 499)
    //   qt(0.975, c(10, 499, 23)); qnorm(c(0.975, 1e-10)); 2 * pnorm(-3)
    const X: [f64; 8] = [0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 10.0, 20.0];
    const R_PNORM: [f64; 8] = [
        3.0853753872598694e-01,
        1.5865525393145705e-01,
        2.2750131948179212e-02,
        1.3498980316300946e-03,
        2.8665157187919391e-07,
        6.2209605742717849e-16,
        7.6198530241605269e-24,
        2.7536241186062337e-89,
    ];
    const R_PT10: [f64; 8] = [
        3.1394680287148646e-01,
        1.7044656615103004e-01,
        3.6694017385370196e-02,
        6.6718275112847940e-03,
        2.6866680137822624e-04,
        5.8874713948330681e-06,
        7.9477658779820508e-07,
        1.0730311586021232e-09,
    ];
    const R_PT499: [f64; 8] = [
        3.0864774539223039e-01,
        1.5889758805593601e-01,
        2.3020883393927966e-02,
        1.4173826179085668e-03,
        3.9757259410644702e-07,
        4.3805938573558106e-15,
        6.9859628526351761e-22,
        4.3597373287234901e-66,
    ];

    #[test]
    fn tails_match_r_to_13_digits() {
        for (i, &x) in X.iter().enumerate() {
            let z = Reference::Normal;
            Tol::rel(1e-13)
                .check(&format!("pnorm(-{x})"), z.cdf(-x).unwrap(), R_PNORM[i])
                .unwrap();
            Tol::rel(1e-13)
                .check(&format!("pnorm sf {x}"), z.sf(x).unwrap(), R_PNORM[i])
                .unwrap();
            let t10 = Reference::StudentT { df: 10.0 };
            Tol::rel(1e-13)
                .check(&format!("pt(-{x}, 10)"), t10.sf(x).unwrap(), R_PT10[i])
                .unwrap();
            let t499 = Reference::StudentT { df: 499.0 };
            Tol::rel(1e-12)
                .check(&format!("pt(-{x}, 499)"), t499.cdf(-x).unwrap(), R_PT499[i])
                .unwrap();
        }
        Tol::rel(1e-14)
            .check(
                "1 - pnorm(-1)",
                Reference::Normal.cdf(1.0).unwrap(),
                1.0 - R_PNORM[1],
            )
            .unwrap();
    }

    #[test]
    fn matches_r() {
        let z = Reference::Normal;
        Tol::rel(1e-14)
            .check(
                "qnorm(.975)",
                z.quantile(0.975).unwrap(),
                1.9599639845400536,
            )
            .unwrap();
        Tol::rel(1e-14)
            .check(
                "qnorm(1e-10)",
                z.quantile(1e-10).unwrap(),
                -6.3613409024040557,
            )
            .unwrap();
        Tol::rel(1e-13)
            .check(
                "2*pnorm(-3)",
                z.p_value(3.0, Alternative::TwoSided).unwrap(),
                0.0026997960632601892,
            )
            .unwrap();
        let t10 = Reference::StudentT { df: 10.0 };
        Tol::rel(1e-13)
            .check(
                "qt(.975,10)",
                t10.quantile(0.975).unwrap(),
                2.2281388519862739,
            )
            .unwrap();
        let t499 = Reference::StudentT { df: 499.0 };
        Tol::rel(1e-12)
            .check(
                "qt(.975,499)",
                t499.quantile(0.975).unwrap(),
                1.9647293909876884,
            )
            .unwrap();
        let t23 = Reference::StudentT { df: 23.0 };
        Tol::rel(1e-12)
            .check(
                "qt(.975,23)",
                t23.quantile(0.975).unwrap(),
                2.0686576104190482,
            )
            .unwrap();
        Tol::rel(1e-12)
            .check("chisq", chisq_sf(3.841458820694124, 1.0).unwrap(), 0.05)
            .unwrap();
        Tol::rel(1e-12)
            .check("F", f_sf(4.964602743730711, 1.0, 10.0).unwrap(), 0.05)
            .unwrap();
        let tinf = Reference::StudentT { df: f64::INFINITY };
        Tol::rel(1e-14)
            .check("t inf", tinf.quantile(0.975).unwrap(), 1.9599639845400536)
            .unwrap();
    }

    #[test]
    fn tail_keeps_relative_accuracy() {
        let p = Reference::Normal
            .p_value(10.0, Alternative::TwoSided)
            .unwrap();
        Tol::rel(1e-13)
            .check("2*pnorm(-10)", p, 2.0 * R_PNORM[6])
            .unwrap();
        let pt = Reference::StudentT { df: 499.0 }
            .p_value(20.45, Alternative::TwoSided)
            .unwrap();
        assert!(pt > 0.0 && pt < 1e-60, "{pt}");
    }

    #[test]
    fn t_quantile_for_very_large_df() {
        // R 4.2.2: qt(0.975, c(1e5, 1e6, 4e8)); qt(0.001, 2e5); qt(0.975, c(5000, 10000, 30000)).
        let q = |p: f64, df: f64| Reference::StudentT { df }.quantile(p).unwrap();
        Tol::rel(1e-14)
            .check("5000", q(0.975, 5000.0), 1.9604385517065075)
            .unwrap();
        // Just past the switch to the expansion (R: qt(0.975, 1001)).
        Tol::rel(1e-14)
            .check("1001", q(0.975, 1001.0), 1.9623367052808791)
            .unwrap();
        Tol::rel(1e-14)
            .check("1e4", q(0.975, 1e4), 1.9602012398906257)
            .unwrap();
        Tol::rel(1e-14)
            .check("3e4", q(0.975, 3e4), 1.9600430633839345)
            .unwrap();
        Tol::rel(1e-14)
            .check("1e5", q(0.975, 1e5), 1.9599877075346088)
            .unwrap();
        Tol::rel(1e-14)
            .check("1e6", q(0.975, 1e6), 1.9599663568141066)
            .unwrap();
        Tol::rel(1e-14)
            .check("4e8", q(0.975, 4e8), 1.9599639904707318)
            .unwrap();
        Tol::rel(1e-14)
            .check("2e5", q(0.001, 2e5), -3.0902730573051986)
            .unwrap();
    }

    #[test]
    fn centre_and_far_tails() {
        Tol::abs(0.0)
            .check("sf(0)", Reference::Normal.sf(0.0).unwrap(), 0.5)
            .unwrap();
        Tol::abs(0.0)
            .check("sf(-0)", Reference::Normal.sf(-0.0).unwrap(), 0.5)
            .unwrap();
        Tol::abs(0.0)
            .check("sf(1e200)", Reference::Normal.sf(1e200).unwrap(), 0.0)
            .unwrap();
        Tol::abs(0.0)
            .check("cdf(1e200)", Reference::Normal.cdf(1e200).unwrap(), 1.0)
            .unwrap();
        // R 4.2.2: pnorm(-30) = 4.906713927148187e-198.
        Tol::rel(1e-12)
            .check(
                "sf(30)",
                Reference::Normal.sf(30.0).unwrap(),
                4.906713927148187e-198,
            )
            .unwrap();
    }

    #[test]
    fn bad_arguments_are_errors() {
        assert!(Reference::StudentT { df: 0.0 }.sf(1.0).is_err());
        assert!(Reference::Normal.quantile(1.0).is_err());
        assert!(Reference::Normal.sf(f64::NAN).is_err());
        assert!(chisq_sf(1.0, -1.0).is_err());
    }
}
