//! Wald inference from a covariance: the coefficient table and joint tests.

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};
use trialstats_core::dist::chisq_sf;
use trialstats_core::linalg::Spd;
use trialstats_core::{Coef, Inference, InputError, Level, Reference};

use crate::error::SandwichError;
use crate::model::EstimatingEquations;
use crate::sandwich::vcov;
use crate::types::{Covariance, Vcov};

/// Wald tests and `level` confidence intervals for every parameter of a model under covariance
/// `how`: the coefficient table of an [`Inference`]. Each coefficient uses its own reference
/// distribution (t with the covariance's df, per coefficient for CR2; z for ML models).
///
/// # Errors
/// As [`vcov()`](crate::vcov()); [`InputError::OutOfRange`] for a zero SE.
pub fn inference<M: EstimatingEquations + ?Sized>(
    m: &M,
    how: &Vcov,
    level: Level,
) -> Result<Inference, SandwichError> {
    let cov = vcov(m, how)?;
    let mut coefficients = Vec::with_capacity(m.n_params());
    for (j, name) in m.param_names().iter().enumerate() {
        let reference = match cov.df.get(j).copied().flatten() {
            Some(df) => Reference::StudentT { df },
            None => Reference::Normal,
        };
        let se = cov.matrix[(j, j)].max(0.0).sqrt();
        coefficients.push(Coef::wald(name, m.estimates()[j], se, reference, level)?);
    }
    Ok(Inference {
        nobs: m.nobs(),
        n_clusters: cov.info.n_clusters.first().copied(),
        covariance: cov.info,
        coefficients,
        vcov: cov.matrix,
        convergence: None,
        notes: Vec::new(),
    })
}

/// The result of a Wald test of linear restrictions Rθ = r.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaldTest {
    /// The restrictions, as text (`x1 = 0, x2 = 0`).
    pub hypothesis: String,
    /// F = W/q with a t-based covariance, W itself (χ²) with a normal one.
    pub statistic: f64,
    /// Numerator df q (number of restrictions).
    pub df1: usize,
    /// Denominator df (the covariance's t df: N−K, or G−1 when clustered); `None` for χ².
    pub df2: Option<f64>,
    /// p-value.
    pub p_value: f64,
}

/// Wald test that the parameters named in `terms` are jointly zero.
///
/// # Formula
/// ```text
/// W = (Rθ̂)ᵀ (R V̂ Rᵀ)⁻¹ (Rθ̂);   F = W/q ~ F(q, ν) with ν the covariance's df, else W ~ χ²_q
/// ```
/// As Stata's `test` after `regress, vce(cluster)` (F with G−1 denominator df) and after ML
/// commands (χ²). With CR2 the denominator df is G−1 (not clubSandwich's Hotelling-T²
/// approximation).
///
/// # Errors
/// [`SandwichError::UnknownTerm`] naming a term not in the model; [`trialstats_core::LinalgError`]
/// if R V̂ Rᵀ is singular.
pub fn wald_test(
    names: &[String],
    estimates: &DVector<f64>,
    cov: &Covariance,
    terms: &[&str],
) -> Result<WaldTest, SandwichError> {
    let mut idx = Vec::with_capacity(terms.len());
    for t in terms {
        let j = names
            .iter()
            .position(|n| n == t)
            .ok_or_else(|| SandwichError::UnknownTerm {
                term: (*t).to_owned(),
                available: names.to_vec(),
            })?;
        idx.push(j);
    }
    let q = idx.len();
    if q == 0 {
        return Err(InputError::Empty {
            field: "terms".into(),
        }
        .into());
    }
    let theta = DVector::from_iterator(q, idx.iter().map(|&j| estimates[j]));
    let v = DMatrix::from_fn(q, q, |a, b| cov.matrix[(idx[a], idx[b])]);
    let w = theta.dot(&Spd::new(v, "R V Rᵀ")?.solve(&theta)?);
    let hypothesis = terms
        .iter()
        .map(|t| format!("{t} = 0"))
        .collect::<Vec<_>>()
        .join(", ");
    // The covariance's reference df: N−K, G−1 (CR2 included), or None for z.
    let df2 = cov.info.reference.df();
    Ok(match df2 {
        Some(d2) => {
            let f = w / q as f64;
            WaldTest {
                hypothesis,
                statistic: f,
                df1: q,
                df2: Some(d2),
                p_value: trialstats_core::dist::f_sf(f, q as f64, d2)?,
            }
        }
        None => WaldTest {
            hypothesis,
            statistic: w,
            df1: q,
            df2: None,
            p_value: chisq_sf(w, q as f64)?,
        },
    })
}
