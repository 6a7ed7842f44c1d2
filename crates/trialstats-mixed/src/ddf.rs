//! Denominator degrees of freedom for the fixed effects: Satterthwaite (lmerTest) and
//! Kenward–Roger (pbkrtest; Stata `mixed, dfmethod(kroger)`), and the inference table.

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};
use trialstats_core::{Coef, CovarianceInfo, Inference, Level, Reference};

use crate::error::MixedError;
use crate::lmm::{LmmFit, Method, inverse_from_lower};
use crate::numdiff;

/// How the fixed effects' tests get their degrees of freedom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Ddf {
    /// Satterthwaite's approximation (lmerTest's default; Stata `dfmethod(satterthwaite)`).
    #[default]
    Satterthwaite,
    /// Kenward–Roger: the adjusted covariance and its df (REML fits; pbkrtest, Stata
    /// `dfmethod(kroger)`).
    KenwardRoger,
    /// n − p, the residual df (Stata `dfmethod(residual)`).
    Residual,
}

/// The Kenward–Roger adjustment of a fit.
#[derive(Debug, Clone, PartialEq)]
pub struct KenwardRoger {
    /// The adjusted covariance Φ_A of β̂.
    pub vcov: DMatrix<f64>,
    /// The df of each coefficient's t test.
    pub df: Vec<f64>,
}

/// Largest group (in rows) for which the Kenward–Roger terms are computed with dense blocks.
pub const KR_MAX_GROUP: usize = 2000;

impl LmmFit<'_> {
    /// The full criterion at φ = (θ, σ) with β at its GLS value (lmerTest's `devfun_vp`):
    /// REML  log|V₀| + log|X'V₀⁻¹X| + (n − p) log(2πσ²) + r²(θ)/σ²,
    /// ML    log|V₀| + n log(2πσ²) + r²(θ)/σ².
    fn criterion_at(&self, phi: &[f64]) -> f64 {
        let k = self.theta.len();
        let sigma = phi[k];
        let Some(p) = self.model.profile(&self.structure, &phi[..k]) else {
            return f64::INFINITY;
        };
        let n = self.nobs as f64;
        let q = self.beta.len() as f64;
        let ln2ps = (2.0 * std::f64::consts::PI * sigma * sigma).ln();
        match self.method {
            Method::Reml => p.logdet_v + p.logdet_xx + (n - q) * ln2ps + p.r2 / (sigma * sigma),
            Method::Ml => p.logdet_v + n * ln2ps + p.r2 / (sigma * sigma),
        }
    }

    /// C(φ) = σ² (X'V₀⁻¹X)⁻¹, as a vector (column-major).
    fn vcov_at(&self, phi: &[f64]) -> DVector<f64> {
        let k = self.theta.len();
        let sigma = phi[k];
        let p = self.beta.len();
        match self.model.profile(&self.structure, &phi[..k]) {
            Some(pr) => {
                let c = inverse_from_lower(&pr.l_xx) * (sigma * sigma);
                DVector::from_column_slice(c.as_slice())
            }
            None => DVector::from_element(p * p, f64::NAN),
        }
    }

    /// Satterthwaite's df for the contrast L'β (lmerTest, Kuznetsova et al. 2017, J Stat Softw
    /// 82(13)): with φ = (θ, σ), A = 2 H⁻¹ the inverse observed information (H the Hessian of the
    /// criterion in φ, pseudo-inverted over eigenvalues above 1e−8), v = L'CL and g_l = L'(∂C/∂φ_l)L,
    ///
    /// ```text
    /// df = 2 v² / (g' A g)
    /// ```
    ///
    /// Derivatives are central differences with Richardson extrapolation, as numDeriv's. A
    /// variance at its boundary contributes nothing (∂C/∂θ = 0 there).
    ///
    /// # Errors
    /// [`MixedError::Contrast`] for a contrast of the wrong length.
    pub fn satterthwaite(&self, l: &[f64]) -> Result<f64, MixedError> {
        Ok(self.satterthwaite_all(&[l.to_vec()])?[0])
    }

    fn satterthwaite_all(&self, ls: &[Vec<f64>]) -> Result<Vec<f64>, MixedError> {
        let p = self.beta.len();
        for l in ls {
            if l.len() != p {
                return Err(MixedError::Contrast { got: l.len(), p });
            }
        }
        let mut phi = self.theta.clone();
        phi.push(self.sigma2.sqrt());
        let f = |x: &[f64]| self.criterion_at(x);
        let h = numdiff::hessian(&f, &phi);
        let eig = nalgebra::SymmetricEigen::new(h);
        let k = phi.len();
        let mut a = DMatrix::<f64>::zeros(k, k);
        for (i, lam) in eig.eigenvalues.iter().enumerate() {
            if *lam > 1e-8 {
                let v = eig.eigenvectors.column(i);
                a += (v * v.transpose()) * (2.0 / lam);
            }
        }
        let c = |x: &[f64]| self.vcov_at(x);
        let jac = numdiff::jacobian(&c, &phi);
        Ok(ls
            .iter()
            .map(|l| {
                let lv = DVector::from_column_slice(l);
                let v = lv.dot(&(&self.vcov * &lv));
                let g = DVector::from_iterator(
                    k,
                    (0..k).map(|j| {
                        let dc = DMatrix::from_column_slice(p, p, jac.column(j).as_slice());
                        lv.dot(&(dc * &lv))
                    }),
                );
                2.0 * v * v / g.dot(&(&a * &g))
            })
            .collect())
    }

    /// The Kenward–Roger adjusted covariance and each coefficient's df (Kenward & Roger 1997,
    /// Biometrics 53:983; as pbkrtest's `vcovAdj` and `Lb_ddf`). With ψ the variances (the
    /// grouping factors', then the residual's), G_i = ∂V/∂ψ_i (Z_iZ_i', and I), Φ = (X'V⁻¹X)⁻¹:
    ///
    /// ```text
    /// P_i = −X'V⁻¹G_iV⁻¹X,   Q_ij = X'V⁻¹G_iV⁻¹G_jV⁻¹X
    /// W   = 2 [tr(V⁻¹G_iV⁻¹G_j) − 2 tr(Φ Q_ij) + tr(Φ P_i Φ P_j)]⁻¹
    /// Φ_A = Φ + 2 Φ [Σ_ij W_ij (Q_ij − P_i Φ P_j)] Φ
    /// df  = 2 / (a' W a),   a_i = l'Φ P_i Φ l / l'Φ l        (one coefficient, l a unit vector)
    /// ```
    ///
    /// # Errors
    /// [`MixedError::Ddf`] for an ML fit (the adjustment is defined for REML) or a group larger
    /// than [`KR_MAX_GROUP`] rows (its terms are computed with dense blocks).
    pub fn kenward_roger(&self) -> Result<KenwardRoger, MixedError> {
        if self.method != Method::Reml {
            return Err(MixedError::Ddf {
                method: "Kenward–Roger",
                reason: "the adjustment is defined for REML fits; refit with REML".into(),
            });
        }
        let outer = self.model.groups();
        if let Some(&big) = outer.sizes().iter().max()
            && big > KR_MAX_GROUP
        {
            return Err(MixedError::Ddf {
                method: "Kenward–Roger",
                reason: format!(
                    "the largest {} has {big} rows, above the {KR_MAX_GROUP} its dense terms allow; use Satterthwaite",
                    outer.name()
                ),
            });
        }
        let x = self.model.x();
        let p = x.ncols();
        // ψ: the factors' variances then σ²; the generators G_i.
        let psi: Vec<f64> = self.components.iter().map(|c| c.variance).collect();
        let npsi = psi.len();
        let inner = self.model.inner();
        // Rows of each outer group, and their inner codes.
        let mut rows: Vec<Vec<usize>> = vec![Vec::new(); outer.n_clusters()];
        for (i, &g) in outer.codes().iter().enumerate() {
            rows[g].push(i);
        }
        let phi = &self.vcov;
        let mut pm: Vec<DMatrix<f64>> = vec![DMatrix::zeros(p, p); npsi];
        let mut qm: Vec<DMatrix<f64>> = vec![DMatrix::zeros(p, p); npsi * npsi];
        let mut tr = DMatrix::<f64>::zeros(npsi, npsi);
        for idx in &rows {
            let n = idx.len();
            let inner_codes: Option<Vec<usize>> =
                inner.map(|c| idx.iter().map(|&i| c.codes()[i]).collect());
            // G_i applied to an n × m matrix M (rows in this group's order).
            let apply = |which: usize, m: &DMatrix<f64>| -> DMatrix<f64> {
                let is_resid = which + 1 == npsi;
                if is_resid {
                    return m.clone();
                }
                if which == 0 {
                    // The outer factor: all rows share one level.
                    let s = m.row_sum();
                    let mut out = DMatrix::<f64>::zeros(n, m.ncols());
                    for r in 0..n {
                        out.row_mut(r).copy_from(&s);
                    }
                    return out;
                }
                // The inner factor: rows of one participant share a level.
                let codes = inner_codes.as_deref().unwrap_or(&[]);
                let mut out = DMatrix::<f64>::zeros(n, m.ncols());
                for a in 0..n {
                    for b in 0..n {
                        if codes[a] == codes[b] {
                            let row = m.row(b).into_owned();
                            let mut dst = out.row_mut(a);
                            dst += &row;
                        }
                    }
                }
                out
            };
            // V for this group.
            let eye = DMatrix::<f64>::identity(n, n);
            let mut v = DMatrix::<f64>::zeros(n, n);
            for (i, &ps) in psi.iter().enumerate() {
                v += apply(i, &eye) * ps;
            }
            let Some(chol) = v.cholesky() else {
                return Err(MixedError::Ddf {
                    method: "Kenward–Roger",
                    reason: "a group's covariance is not positive definite".into(),
                });
            };
            let s = chol.inverse();
            let xg = DMatrix::from_fn(n, p, |r, c| x[(idx[r], c)]);
            let y = &s * &xg; // V⁻¹X
            let sg: Vec<DMatrix<f64>> = (0..npsi).map(|i| apply(i, &s).transpose()).collect(); // V⁻¹G_i
            let t: Vec<DMatrix<f64>> = (0..npsi).map(|i| apply(i, &y)).collect(); // G_i V⁻¹X
            let st: Vec<DMatrix<f64>> = t.iter().map(|tj| &s * tj).collect(); // V⁻¹G_jV⁻¹X
            for i in 0..npsi {
                pm[i] -= y.tr_mul(&t[i]);
                for j in 0..npsi {
                    qm[i * npsi + j] += t[i].tr_mul(&st[j]);
                    let mut acc = 0.0;
                    for a in 0..n {
                        for b in 0..n {
                            acc += sg[i][(a, b)] * sg[j][(b, a)];
                        }
                    }
                    tr[(i, j)] += acc;
                }
            }
        }
        let mut ie2 = DMatrix::<f64>::zeros(npsi, npsi);
        for i in 0..npsi {
            for j in 0..npsi {
                ie2[(i, j)] = tr[(i, j)] - 2.0 * (phi * &qm[i * npsi + j]).trace()
                    + (phi * &pm[i] * phi * &pm[j]).trace();
            }
        }
        let w = pseudo_inverse(&ie2) * 2.0;
        let mut u = DMatrix::<f64>::zeros(p, p);
        for i in 0..npsi {
            for j in 0..npsi {
                u += (&qm[i * npsi + j] - &pm[i] * phi * &pm[j]) * w[(i, j)];
            }
        }
        let vcov = phi + phi * u * phi * 2.0;
        let ppp: Vec<DMatrix<f64>> = pm.iter().map(|pi| phi * pi * phi).collect(); // Φ P_i Φ
        let df = (0..p)
            .map(|c| {
                let v = phi[(c, c)];
                let a = DVector::from_iterator(npsi, ppp.iter().map(|m| m[(c, c)] / v));
                2.0 / a.dot(&(&w * &a))
            })
            .collect();
        Ok(KenwardRoger { vcov, df })
    }

    /// The fixed effects' table: t tests with `ddf`'s degrees of freedom, and `level` intervals
    /// (Kenward–Roger with its adjusted SEs).
    ///
    /// # Errors
    /// As [`LmmFit::kenward_roger`]; [`MixedError::Input`] for a non-positive SE.
    pub fn inference(&self, ddf: Ddf, level: Level) -> Result<Inference, MixedError> {
        let p = self.beta.len();
        let unit = |c: usize| {
            (0..p)
                .map(|k| f64::from(u8::from(k == c)))
                .collect::<Vec<f64>>()
        };
        let (vcov, dfs, label, description) = match ddf {
            Ddf::Satterthwaite => {
                let ls: Vec<Vec<f64>> = (0..p).map(unit).collect();
                (
                    self.vcov.clone(),
                    self.satterthwaite_all(&ls)?,
                    "satterthwaite",
                    "model-based covariance of the mixed model; t tests with Satterthwaite's degrees of freedom (lmerTest)",
                )
            }
            Ddf::KenwardRoger => {
                let kr = self.kenward_roger()?;
                (
                    kr.vcov,
                    kr.df,
                    "kenward-roger",
                    "Kenward–Roger adjusted covariance of the mixed model and its degrees of freedom (pbkrtest; Stata dfmethod(kroger))",
                )
            }
            Ddf::Residual => (
                self.vcov.clone(),
                vec![(self.nobs - p) as f64; p],
                "residual",
                "model-based covariance of the mixed model; t tests with n − p degrees of freedom",
            ),
        };
        let coefficients = (0..p)
            .map(|c| {
                Coef::wald(
                    &self.terms[c],
                    self.beta[c],
                    vcov[(c, c)].sqrt(),
                    Reference::StudentT { df: dfs[c] },
                    level,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let groups = self.model.groups();
        Ok(Inference {
            nobs: self.nobs,
            n_clusters: Some(groups.n_clusters()),
            covariance: CovarianceInfo {
                label: label.into(),
                description: description.into(),
                factor: None,
                cluster_vars: vec![groups.name().to_owned()],
                n_clusters: vec![groups.n_clusters()],
                reference: dfs
                    .first()
                    .map_or(Reference::Normal, |&df| Reference::StudentT { df }),
            },
            coefficients,
            vcov,
            convergence: Some(self.convergence.clone()),
            notes: self
                .singular
                .then(|| {
                    format!(
                        "boundary (singular) fit: {} estimated at 0",
                        self.components
                            .iter()
                            .zip(&self.theta)
                            .filter(|(_, t)| **t == 0.0)
                            .map(|(c, _)| format!("the {} variance", c.group))
                            .collect::<Vec<_>>()
                            .join(" and ")
                    )
                })
                .into_iter()
                .collect(),
        })
    }
}

/// The Moore–Penrose inverse of a symmetric matrix over eigenvalues above 1e−10 in size (as
/// pbkrtest's fallback `MASS::ginv`).
fn pseudo_inverse(m: &DMatrix<f64>) -> DMatrix<f64> {
    let eig = nalgebra::SymmetricEigen::new(m.clone());
    let k = m.nrows();
    let mut out = DMatrix::<f64>::zeros(k, k);
    for (i, lam) in eig.eigenvalues.iter().enumerate() {
        if lam.abs() > 1e-10 {
            let v = eig.eigenvectors.column(i);
            out += (v * v.transpose()) / *lam;
        }
    }
    out
}
