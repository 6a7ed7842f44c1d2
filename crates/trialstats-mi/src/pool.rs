//! Rubin's rules.

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};
use std::error::Error;
use std::fmt;
use std::sync::Arc;

use trialstats_core::{InputError, Level, LinalgError, Reference};
use trialstats_ordinal::OrdinalError;

/// What pooling can fail with.
///
/// # Examples
/// ```
/// use trialstats_core::Level;
/// use trialstats_mi::{MiError, pool_scalar};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let e = pool_scalar("arm", &[1.2], &[0.04], 22.0, Level::P95);
/// assert_eq!(e, Err(MiError::TooFewImputations(1)));
/// let e = pool_scalar("arm", &[1.2, 1.3], &[0.0, 0.0], 22.0, Level::P95);
/// assert!(matches!(e, Err(MiError::ZeroVariance { ref term }) if term == "arm"));
/// assert!(pool_scalar("arm", &[1.2, 1.3], &[0.04, -0.01], 22.0, Level::P95).is_err()); // negative
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MiError {
    /// Invalid input.
    #[error(transparent)]
    Input(#[from] InputError),
    /// A completed data set could not be built as a table.
    #[error(transparent)]
    Data(#[from] trialstats_data::DataError),
    /// Fewer than two completed-data analyses.
    #[error("pooling needs at least 2 imputations; got {0}")]
    TooFewImputations(usize),
    /// The analyses do not have the same parameters.
    #[error("imputation {imputation} has parameters {got:?}, but the first has {expected:?}")]
    Mismatch {
        /// 1-based imputation.
        imputation: usize,
        /// Its names.
        got: Vec<String>,
        /// The first's names.
        expected: Vec<String>,
    },
    /// Every completed-data analysis reports a variance of zero for a parameter: its standard
    /// error, riv and fmi are undefined.
    #[error(
        "every imputation reports a variance of zero for `{term}`: the completed-data analyses give it no sampling variance, so Rubin's rules cannot pool it"
    )]
    ZeroVariance {
        /// The parameter.
        term: String,
    },
    /// An imputation specification that cannot be run (the message names the column).
    #[error("{0}")]
    Spec(String),
    /// An imputation model could not be fitted.
    #[error("imputing `{column}` (chain {chain}, iteration {iteration}): {source}")]
    Imputation {
        /// Column being imputed.
        column: String,
        /// Iteration, 1-based.
        iteration: usize,
        /// Chain, 1-based.
        chain: usize,
        /// What failed.
        #[source]
        source: ImputationFailure,
    },
    /// The analysis of a completed data set failed.
    #[error("analysis of imputation {imputation}: {source}")]
    Analysis {
        /// Imputation, 1-based.
        imputation: usize,
        /// The analysis's own error.
        #[source]
        source: AnalysisFailure,
    },
}

/// Why one imputation model could not be fitted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ImputationFailure {
    /// A linear-algebra failure (a singular X'X or information matrix).
    #[error(transparent)]
    Linalg(#[from] LinalgError),
    /// The proportional-odds imputation model failed.
    #[error(transparent)]
    Ordinal(#[from] OrdinalError),
    /// The logistic imputation model did not converge.
    #[error("the logistic imputation model did not converge in {steps} Newton steps")]
    NotConverged {
        /// Newton steps taken.
        steps: usize,
    },
    /// polr asked for a column that is not categorical.
    #[error("polr needs a categorical column")]
    NotCategorical,
}

/// The error of a user's completed-data analysis in [`crate::Imputed::analyse`], kept as the
/// analysis returned it (reach it with [`std::error::Error::source`] and `downcast_ref`).
#[derive(Clone)]
pub struct AnalysisFailure(Arc<dyn Error + Send + Sync>);

impl AnalysisFailure {
    /// Wraps an analysis error.
    pub fn new(e: impl Into<Box<dyn Error + Send + Sync>>) -> Self {
        AnalysisFailure(Arc::from(e.into()))
    }

    /// The analysis's error.
    pub fn inner(&self) -> &(dyn Error + Send + Sync + 'static) {
        self.0.as_ref()
    }
}

impl fmt::Debug for AnalysisFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for AnalysisFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Error for AnalysisFailure {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(self.0.as_ref())
    }
}

impl PartialEq for AnalysisFailure {
    /// Two failures are equal when they are the same error or print the same.
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0.to_string() == other.0.to_string()
    }
}

/// An estimator's output that can be pooled: estimates, their covariance and names.
pub trait Estimates {
    /// Parameter names.
    fn names(&self) -> Vec<String>;
    /// Estimates q̂.
    fn estimates(&self) -> DVector<f64>;
    /// Covariance of q̂ (only the diagonal is used by the scalar rules).
    fn covariance(&self) -> DMatrix<f64>;
}

impl Estimates for trialstats_core::Inference {
    fn names(&self) -> Vec<String> {
        self.coefficients.iter().map(|c| c.term.clone()).collect()
    }
    fn estimates(&self) -> DVector<f64> {
        DVector::from_iterator(
            self.coefficients.len(),
            self.coefficients.iter().map(|c| c.estimate),
        )
    }
    fn covariance(&self) -> DMatrix<f64> {
        self.vcov.clone()
    }
}

/// One pooled parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PooledTerm {
    /// Name.
    pub term: String,
    /// q̄, the mean of the estimates.
    pub estimate: f64,
    /// √t.
    pub std_error: f64,
    /// Degrees of freedom: Barnard–Rubin when the complete-data df is finite, Rubin's otherwise.
    pub df: f64,
    /// Rubin's (1987) df, (m − 1)/λ².
    pub df_rubin: f64,
    /// q̄/√t.
    pub statistic: f64,
    /// Two-sided p from t(df).
    pub p_value: f64,
    /// Lower limit.
    pub ci_low: f64,
    /// Upper limit.
    pub ci_high: f64,
    /// ū, the mean within-imputation variance.
    pub ubar: f64,
    /// b, the between-imputation variance.
    pub b: f64,
    /// t = ū + (1 + 1/m) b.
    pub t: f64,
    /// Relative increase in variance r = (1 + 1/m) b/ū.
    pub riv: f64,
    /// λ = (1 + 1/m) b/t.
    pub lambda: f64,
    /// Fraction of missing information (r + 2/(df + 3))/(1 + r).
    pub fmi: f64,
}

/// The pooled analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pooled {
    /// Number of imputations m.
    pub m: usize,
    /// The complete-data df used (∞ for large-sample models).
    pub df_complete: f64,
    /// One row per parameter.
    pub terms: Vec<PooledTerm>,
}

/// Rubin's rules for one scalar parameter.
///
/// # Formula
/// ```text
/// q̄ = Σq/m,  ū = Σu/m,  b = Σ(q − q̄)²/(m − 1),  t = ū + (1 + 1/m) b
/// r = (1 + 1/m) b/ū,  λ = (1 + 1/m) b/t,  ν_old = (m − 1)/λ²
/// ν_obs = (ν_com + 1)/(ν_com + 3) · ν_com (1 − λ),  ν = ν_old ν_obs/(ν_old + ν_obs)  (ν = ν_old if ν_com = ∞)
/// fmi = (r + 2/(ν + 3))/(1 + r)
/// ```
/// As R mice (3.15), λ is floored at 10⁻⁴ in the df, so that b = 0 (identical imputations) gives
/// a finite df and never NaN; the fmi follows that df, except for a large-sample analysis
/// (ν_com = ∞) with b = 0, whose fmi is exactly 0 (the limit of Rubin's formula).
///
/// # References
/// Rubin (1987), *Multiple Imputation for Nonresponse in Surveys*, Wiley. Barnard & Rubin (1999),
/// Biometrika 86(4):948–955, doi:10.1093/biomet/86.4.948. van Buuren (2018), *Flexible Imputation
/// of Missing Data*, 2nd ed., §2.3.
///
/// # Errors
/// [`MiError::TooFewImputations`]; [`InputError::Length`]; [`InputError::NonFinite`] or
/// [`InputError::OutOfRange`] for negative variances or a total variance that overflows;
/// [`MiError::ZeroVariance`] when every variance is zero.
///
/// # Examples
/// ```
/// use trialstats_core::Level;
/// use trialstats_mi::pool_scalar;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let q = [1.2, 1.5, 1.1, 1.4, 1.3]; // the estimate in each of m = 5 imputations
/// let u = [0.04, 0.05, 0.045, 0.05, 0.04]; // its variance in each
/// let r = pool_scalar("arm", &q, &u, 22.0, Level::P95)?;
/// // R (mice 3.15): s <- pool.scalar(q, u, n = 25, k = 3): qbar 1.3, b 0.025, t 0.075,
/// // df 8.1735946586258912, r 0.66666666666666641, fmi 0.507396056207714
/// assert!((r.estimate - 1.3).abs() < 1e-15 && (r.b - 0.025).abs() < 1e-15 && (r.t - 0.075).abs() < 1e-15);
/// assert!((r.df - 8.1735946586258912).abs() < 1e-12 && (r.riv - 2.0 / 3.0).abs() < 1e-14);
/// assert!((r.fmi - 0.507396056207714).abs() < 1e-13);
/// // R: s$qbar + c(-1, 1) * qt(0.975, s$df) * sqrt(s$t) = 0.67080180747510687, 1.9291981925248933
/// assert!((r.ci_low - 0.67080180747510687).abs() < 1e-12 && (r.ci_high - 1.9291981925248933).abs() < 1e-12);
/// // A large-sample analysis: R pool.scalar(q, u)$df = 25.000000000000014, Rubin's (m − 1)/λ²
/// let big = pool_scalar("arm", &q, &u, f64::INFINITY, Level::P95)?;
/// assert!((big.df - 25.0).abs() < 1e-12 && big.df == big.df_rubin);
/// # Ok(()) }
/// ```
pub fn pool_scalar(
    term: &str,
    estimates: &[f64],
    variances: &[f64],
    df_complete: f64,
    level: Level,
) -> Result<PooledTerm, MiError> {
    let m = estimates.len();
    if m < 2 {
        return Err(MiError::TooFewImputations(m));
    }
    if variances.len() != m {
        return Err(InputError::Length {
            field: "variances".into(),
            got: variances.len(),
            reference: "estimates".into(),
            expected: m,
        }
        .into());
    }
    for (row, (&q, &u)) in estimates.iter().zip(variances).enumerate() {
        if !q.is_finite() || !u.is_finite() {
            return Err(InputError::NonFinite {
                field: format!("imputation {} of {term}", row + 1),
                row,
                value: if q.is_finite() { u } else { q },
            }
            .into());
        }
        if u < 0.0 {
            return Err(InputError::OutOfRange {
                field: format!("variance of {term}"),
                value: u,
                expected: "≥ 0".into(),
            }
            .into());
        }
    }
    if df_complete.is_nan() || df_complete <= 0.0 {
        return Err(InputError::OutOfRange {
            field: "df_complete".into(),
            value: df_complete,
            expected: "> 0 (or infinite)".into(),
        }
        .into());
    }
    let mf = m as f64;
    // The estimates were checked finite above, so the moments exist.
    let (qbar, b) = trialstats_core::stats::mean_var(estimates).unwrap_or((f64::NAN, f64::NAN));
    let ubar = variances.iter().sum::<f64>() / mf;
    if ubar <= 0.0 {
        return Err(MiError::ZeroVariance {
            term: term.to_owned(),
        });
    }
    let t = ubar + (1.0 + 1.0 / mf) * b;
    if !t.is_finite() {
        // Estimates so far apart (an estimate of 1e308) that their variance overflows.
        return Err(InputError::OutOfRange {
            field: format!("total variance of {term} (ū + (1 + 1/m)b)"),
            value: t,
            expected: "finite: the estimates or variances are too large to pool".into(),
        }
        .into());
    }
    let riv = (1.0 + 1.0 / mf) * b / ubar;
    let lambda = (1.0 + 1.0 / mf) * b / t;
    let lam = lambda.max(1e-4);
    let df_rubin = (mf - 1.0) / (lam * lam);
    let df = if df_complete.is_infinite() {
        df_rubin
    } else {
        let dfobs = (df_complete + 1.0) / (df_complete + 3.0) * df_complete * (1.0 - lam);
        df_rubin * dfobs / (df_rubin + dfobs)
    };
    // With b = 0 and a large-sample analysis, Rubin's ν is infinite before λ is floored, and
    // the fmi is its limit r/(1 + r) = 0 exactly (mice evaluates it at the floored df, 2/(ν + 3)
    // ≈ 5e−9/(m − 1)). Otherwise the fmi follows the (floored) df, as mice.
    let fmi = if b == 0.0 && df_complete.is_infinite() {
        0.0
    } else {
        (riv + 2.0 / (df + 3.0)) / (1.0 + riv)
    };
    let se = t.sqrt();
    let reference = Reference::StudentT { df };
    let statistic = qbar / se;
    let p_value = reference.p_value(statistic, trialstats_core::Alternative::TwoSided)?;
    let q = reference.quantile(level.upper_tail_probability())?;
    Ok(PooledTerm {
        term: term.to_owned(),
        estimate: qbar,
        std_error: se,
        df,
        df_rubin,
        statistic,
        p_value,
        ci_low: qbar - q * se,
        ci_high: qbar + q * se,
        ubar,
        b,
        t,
        riv,
        lambda,
        fmi,
    })
}

/// Pools completed-data analyses by Rubin's rules, parameter by parameter (`df_complete`: the
/// complete-data residual df, `f64::INFINITY` for large-sample models).
///
/// # Errors
/// [`MiError::TooFewImputations`]; [`MiError::Mismatch`] if the analyses differ in their
/// parameters; as [`pool_scalar`].
///
/// # Examples
/// ```
/// use trialstats_core::{Level, nalgebra::{DMatrix, DVector}};
/// use trialstats_mi::{Estimates, pool};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // Any estimator can be pooled: here two parameters with a diagonal covariance.
/// struct Fit([f64; 2], [f64; 2]);
/// impl Estimates for Fit {
///     fn names(&self) -> Vec<String> { vec!["arm".into(), "base".into()] }
///     fn estimates(&self) -> DVector<f64> { DVector::from_row_slice(&self.0) }
///     fn covariance(&self) -> DMatrix<f64> { DMatrix::from_diagonal(&DVector::from_row_slice(&self.1)) }
/// }
/// let fits = [Fit([1.2, -0.4], [0.04, 0.02]), Fit([1.5, -0.3], [0.05, 0.025]), Fit([1.1, -0.5], [0.045, 0.022]),
///             Fit([1.4, -0.35], [0.05, 0.021]), Fit([1.3, -0.45], [0.04, 0.024])];
/// let p = pool(&fits, 22.0, Level::P95)?;
/// // R (mice 3.15): pool.scalar(c(-0.4, -0.3, -0.5, -0.35, -0.45), c(0.02, 0.025, 0.022, 0.021, 0.024),
/// //    n = 25, k = 3): qbar -0.4, t 0.0299, df 12.242994276138955, fmi 0.34913227744593989
/// let base = &p.terms[1];
/// assert!((base.estimate + 0.4).abs() < 1e-15 && (base.t - 0.0299).abs() < 1e-15);
/// assert!((base.df - 12.242994276138955).abs() < 1e-11 && (base.fmi - 0.34913227744593989).abs() < 1e-13);
/// assert!((p.terms[0].df - 8.1735946586258912).abs() < 1e-12); // as in pool_scalar's example
/// # Ok(()) }
/// ```
pub fn pool<E: Estimates>(fits: &[E], df_complete: f64, level: Level) -> Result<Pooled, MiError> {
    if fits.len() < 2 {
        return Err(MiError::TooFewImputations(fits.len()));
    }
    let names = fits[0].names();
    let mut q = Vec::with_capacity(fits.len());
    let mut u = Vec::with_capacity(fits.len());
    for (i, f) in fits.iter().enumerate() {
        let n = f.names();
        if n != names {
            return Err(MiError::Mismatch {
                imputation: i + 1,
                got: n,
                expected: names,
            });
        }
        q.push(f.estimates());
        u.push(f.covariance().diagonal());
    }
    let terms = names
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let qs: Vec<f64> = q.iter().map(|v| v[j]).collect();
            let us: Vec<f64> = u.iter().map(|v| v[j]).collect();
            pool_scalar(name, &qs, &us, df_complete, level)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Pooled {
        m: fits.len(),
        df_complete,
        terms,
    })
}
