//! The grouping structure of a random-intercept model, reduced once to the sums the profiled
//! likelihood needs, so that each evaluation costs O(G q²) (nested) or O(K q²) (one factor, K
//! distinct group sizes), whatever the number of rows.
//!
//! # Algebra
//! With A = [X y] (q = p + 1 columns), θ_b the inner (participant, or the only) factor's relative
//! SD and θ_a the outer (community) factor's, the relative covariance of one community's rows is
//! V₀ = I + θ_b² Σ_j 1_j 1_j' + θ_a² 1 1'. Two Sherman–Morrison steps give, with s_j = A_j'1 the
//! column sums of participant j (n_j rows), w_j = 1/(1 + n_j θ_b²), m_g = Σ_j n_j w_j,
//! t_g = Σ_j w_j s_j and d_g = θ_a²/(1 + θ_a² m_g):
//!
//! ```text
//! A'V₀⁻¹A   = A'A − Σ_j θ_b² w_j s_j s_j' − Σ_g d_g t_g t_g'
//! log|V₀|   = −Σ_j log w_j + Σ_g log(1 + θ_a² m_g)
//! ```
//!
//! The first sum depends on j only through n_j, so it is kept as one matrix per distinct size.

use nalgebra::{DMatrix, DVector};

/// One class of inner groups of equal size: the size, the count, and Σ s_j s_j' over them.
#[derive(Debug, Clone)]
pub(crate) struct SizeClass {
    pub n: f64,
    pub count: f64,
    pub outer: DMatrix<f64>,
}

/// One outer group's inner groups, by size: (size, count, Σ s_j).
#[derive(Debug, Clone)]
pub(crate) struct OuterGroup {
    pub classes: Vec<(usize, f64, DVector<f64>)>,
}

/// The reduced structure.
#[derive(Debug, Clone)]
pub(crate) struct Structure {
    /// A'A.
    pub ata: DMatrix<f64>,
    /// Inner groups by size.
    pub sizes: Vec<SizeClass>,
    /// Outer groups (nested models only).
    pub outer: Option<Vec<OuterGroup>>,
}

/// A'V₀⁻¹A and log|V₀| at θ.
pub(crate) struct Evaluated {
    pub m: DMatrix<f64>,
    pub logdet_v: f64,
}

impl Structure {
    /// Reduces A (n × q, row-major access by `a(i, k)`) with inner codes `inner` (0..J) and, for a
    /// nested model, the outer code of each inner group `outer_of` (0..G).
    pub fn new(
        a: &DMatrix<f64>,
        inner: &[usize],
        n_inner: usize,
        outer_of: Option<(&[usize], usize)>,
    ) -> Self {
        let q = a.ncols();
        let ata = a.tr_mul(a);
        // Column sums and sizes of each inner group.
        let mut sums = DMatrix::<f64>::zeros(q, n_inner);
        let mut size = vec![0usize; n_inner];
        for k in 0..q {
            let col = a.column(k);
            for (i, &j) in inner.iter().enumerate() {
                sums[(k, j)] += col[i];
            }
        }
        for &j in inner {
            size[j] += 1;
        }
        let mut distinct: Vec<usize> = size.clone();
        distinct.sort_unstable();
        distinct.dedup();
        let sizes = distinct
            .iter()
            .map(|&n| {
                let mut outer = DMatrix::<f64>::zeros(q, q);
                let mut count = 0.0;
                for j in (0..n_inner).filter(|&j| size[j] == n) {
                    let s = sums.column(j);
                    outer.ger(1.0, &s, &s, 1.0);
                    count += 1.0;
                }
                SizeClass {
                    n: n as f64,
                    count,
                    outer,
                }
            })
            .collect();
        let outer = outer_of.map(|(of, g)| {
            let mut groups: Vec<OuterGroup> = vec![
                OuterGroup {
                    classes: Vec::new()
                };
                g
            ];
            for j in 0..n_inner {
                let n = size[j];
                let cl = &mut groups[of[j]].classes;
                let s = sums.column(j);
                match cl.iter_mut().find(|c| c.0 == n) {
                    Some(c) => {
                        c.1 += 1.0;
                        c.2 += s;
                    }
                    None => cl.push((n, 1.0, s.into_owned())),
                }
            }
            groups
        });
        Self { ata, sizes, outer }
    }

    /// A'V₀⁻¹A and log|V₀| at θ = (θ_b) or (θ_a, θ_b).
    pub fn evaluate(&self, theta_outer: f64, theta_inner: f64) -> Evaluated {
        let tb2 = theta_inner * theta_inner;
        let ta2 = theta_outer * theta_outer;
        let mut m = self.ata.clone();
        let mut logdet_v = 0.0;
        for c in &self.sizes {
            let w = 1.0 / (1.0 + c.n * tb2);
            m -= &c.outer * (tb2 * w);
            logdet_v -= c.count * w.ln();
        }
        if let Some(groups) = &self.outer {
            let q = m.nrows();
            let mut t = DVector::<f64>::zeros(q);
            for g in groups {
                t.fill(0.0);
                let mut mg = 0.0;
                for (n, count, s) in &g.classes {
                    let n = *n as f64;
                    let w = 1.0 / (1.0 + n * tb2);
                    mg += count * n * w;
                    t.axpy(w, s, 1.0);
                }
                let d = ta2 / (1.0 + ta2 * mg);
                m.ger(-d, &t, &t, 1.0);
                logdet_v += (1.0 + ta2 * mg).ln();
            }
        }
        Evaluated { m, logdet_v }
    }
}
