//! Aggregate functions whose partial states merge across partitions: the sufficient statistics
//! of least squares and of one Newton step of the logit, with or without `GROUP BY` a cluster.
//!
//! Each function maps a row of its arguments to a vector u (and, for the logit, a few more
//! values v) and sums `u uᵀ` (its upper triangle) and v. Every product is rounded once, as a
//! plain double-precision product, and added to a double-double accumulator by TwoSum (the
//! `Sum2` of Ogita, Rump & Oishi 2005, its error terms kept in a second vector): the sum of the
//! rounded products is then exact to about 2⁻¹⁰⁶ of its terms' magnitude, whatever the order of
//! the rows, the batches or the partitions. So the result does not depend on how DataFusion
//! splits and merges the work (its batch boundaries move from run to run when partitions are
//! repartitioned round-robin): the rounded sums are the same bits, but for a carry that falls
//! exactly on a rounding boundary, and each is within one rounding of the exact sum of the
//! rounded products.
//!
//! The state, and the value, is one `List<Float64>`: `[n, hi₁ … hi_S, lo₁ … lo_S]`, the number of
//! rows and the S = q(q+1)/2 + L sums as unevaluated double-double pairs, so that the caller
//! rounds once at the end ([`Sums::from_list`]). Rows with a null in any argument are skipped, as
//! SQL aggregates skip nulls; a value that is not finite is an error naming the argument.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Float64Array, ListArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, EmitTo, Expr, GroupsAccumulator, Signature,
    Volatility,
};
use nalgebra::{DMatrix, DVector};
use trialstats_core::compensated::{Dd, OuterProductSums};

/// What a row contributes.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
enum RowMap {
    /// u = the arguments z: Σ z zᵀ (with z = (x, y): XᵀX, Xᵀy and yᵀy).
    Moments { width: usize },
    /// The logit at β, arguments (x, y): u = √w x with w = p(1 − p), v = ((y − p) x, ℓ).
    Logit { beta: Vec<f64> },
    /// Least-squares scores at β, arguments (x, y): u = e x / (1 − h)^a with e = y − xᵀβ,
    /// h = xᵀBx and a = 0, ½ or 1 (HC0/HC1, HC2, HC3).
    Scores {
        beta: Vec<f64>,
        bread: Vec<f64>,
        adjust: Adjust,
    },
}

/// The leverage adjustment of [`RowMap::Scores`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
enum Adjust {
    None,
    Sqrt,
    Full,
}

impl RowMap {
    fn n_args(&self) -> usize {
        match self {
            RowMap::Moments { width } => *width,
            RowMap::Logit { beta } | RowMap::Scores { beta, .. } => beta.len() + 1,
        }
    }
    /// Length of u.
    fn q(&self) -> usize {
        match self {
            RowMap::Moments { width } => *width,
            RowMap::Logit { beta } | RowMap::Scores { beta, .. } => beta.len(),
        }
    }
    /// Length of v.
    fn extra(&self) -> usize {
        match self {
            RowMap::Logit { beta } => beta.len() + 1,
            _ => 0,
        }
    }

    /// Maps the row `z` to u and v.
    #[inline]
    fn map(&self, z: &[f64], u: &mut [f64], v: &mut [f64]) {
        match self {
            RowMap::Moments { .. } => u.copy_from_slice(z),
            RowMap::Logit { beta } => {
                let k = beta.len();
                let (x, y) = (&z[..k], z[k]);
                let eta: f64 = x.iter().zip(beta).map(|(a, b)| a * b).sum();
                let p = trialstats_robust::logit::sigmoid(eta);
                let w = p * (1.0 - p);
                let sw = w.sqrt();
                let r = y - p;
                for j in 0..k {
                    u[j] = sw * x[j];
                    v[j] = r * x[j];
                }
                // ℓ = yη − log(1 + e^η), without overflow.
                v[k] = y * eta - (eta.max(0.0) + (-eta.abs()).exp().ln_1p());
            }
            RowMap::Scores {
                beta,
                bread,
                adjust,
            } => {
                let k = beta.len();
                let (x, y) = (&z[..k], z[k]);
                let fitted: f64 = x.iter().zip(beta).map(|(a, b)| a * b).sum();
                let mut e = y - fitted;
                if *adjust != Adjust::None {
                    let mut h = 0.0;
                    for (b, xb) in x.iter().enumerate() {
                        let col = &bread[b * k..(b + 1) * k];
                        h += xb * x.iter().zip(col).map(|(a, c)| a * c).sum::<f64>();
                    }
                    e /= match adjust {
                        Adjust::Sqrt => (1.0 - h).sqrt(),
                        _ => 1.0 - h,
                    };
                }
                for j in 0..k {
                    u[j] = e * x[j];
                }
            }
        }
    }
}

/// [`RowMap`] on the wire: doubles as their bits.
#[derive(serde::Serialize, serde::Deserialize)]
enum Wire {
    Moments {
        width: usize,
    },
    Logit {
        beta: Vec<u64>,
    },
    Scores {
        beta: Vec<u64>,
        bread: Vec<u64>,
        adjust: Adjust,
    },
}

/// Index of the (a, b) entry, a ≤ b, of the packed upper triangle.
#[inline]
fn upper(a: usize, b: usize) -> usize {
    b * (b + 1) / 2 + a
}

/// One of this crate's aggregate functions (see the module docs). Make one with
/// [`moments`], [`logit_step`] or [`ls_scores`]; call it on expressions with
/// [`StatisticsUdaf::call`].
#[derive(Clone)]
pub struct StatisticsUdaf {
    name: &'static str,
    map: Arc<RowMap>,
    signature: Signature,
    /// Told the number of rows of each batch the function reads (not part of its identity).
    observer: Option<RowObserver>,
}

/// A function told the number of rows of each batch an aggregate reads, on the thread that
/// reads it (so it must be cheap and thread-safe): progress reports.
pub type RowObserver = Arc<dyn Fn(u64) + Send + Sync>;

impl std::fmt::Debug for StatisticsUdaf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatisticsUdaf")
            .field("name", &self.name)
            .field("map", &self.map)
            .finish_non_exhaustive()
    }
}

impl StatisticsUdaf {
    fn new(name: &'static str, map: RowMap) -> Self {
        let n = map.n_args();
        Self {
            name,
            map: Arc::new(map),
            signature: Signature::uniform(n, vec![DataType::Float64], Volatility::Immutable),
            observer: None,
        }
    }

    /// The same function, telling `observer` the rows of each batch it reads (in a
    /// distributed plan the executors' copies have no observer).
    pub fn observed(mut self, observer: RowObserver) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The aggregate expression on `args` (each cast to Float64 by the function's signature).
    pub fn call(&self, args: Vec<Expr>) -> Expr {
        AggregateUDF::from(self.clone()).call(args)
    }

    /// The function's parameters as bytes, for a distributed plan (see [`crate::codec`]).
    pub(crate) fn encode(&self) -> Vec<u8> {
        // Parameters as the bits of each double, so that they travel exactly.
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<u64>>();
        let wire = match &*self.map {
            RowMap::Moments { width } => Wire::Moments { width: *width },
            RowMap::Logit { beta } => Wire::Logit { beta: bits(beta) },
            RowMap::Scores {
                beta,
                bread,
                adjust,
            } => Wire::Scores {
                beta: bits(beta),
                bread: bits(bread),
                adjust: *adjust,
            },
        };
        serde_json::to_vec(&wire).unwrap_or_default()
    }

    /// The function [`StatisticsUdaf::encode`] wrote, if `name` is one of this crate's.
    pub(crate) fn decode(name: &str, bytes: &[u8]) -> Option<std::result::Result<Self, String>> {
        let name: &'static str = match name {
            "ts_moments" => "ts_moments",
            "ts_logit_step" => "ts_logit_step",
            "ts_ls_scores" => "ts_ls_scores",
            _ => return None,
        };
        let floats = |v: Vec<u64>| v.into_iter().map(f64::from_bits).collect::<Vec<f64>>();
        Some(
            serde_json::from_slice::<Wire>(bytes)
                .map_err(|e| format!("{name}: parameters that do not decode: {e}"))
                .map(|wire| {
                    let map = match wire {
                        Wire::Moments { width } => RowMap::Moments { width },
                        Wire::Logit { beta } => RowMap::Logit { beta: floats(beta) },
                        Wire::Scores {
                            beta,
                            bread,
                            adjust,
                        } => RowMap::Scores {
                            beta: floats(beta),
                            bread: floats(bread),
                            adjust,
                        },
                    };
                    Self::new(name, map)
                }),
        )
    }

    fn key(&self) -> (usize, Vec<u64>) {
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<u64>>();
        match &*self.map {
            RowMap::Moments { width } => (*width, Vec::new()),
            RowMap::Logit { beta } => (0, bits(beta)),
            RowMap::Scores {
                beta,
                bread,
                adjust,
            } => {
                let mut b = bits(beta);
                b.extend(bits(bread));
                b.push(*adjust as u64);
                (1, b)
            }
        }
    }
}

impl PartialEq for StatisticsUdaf {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.key() == other.key()
    }
}
impl Eq for StatisticsUdaf {}
impl Hash for StatisticsUdaf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        self.key().hash(state);
    }
}

/// Σ z zᵀ of the `width` arguments z (packed upper triangle): with z = (x₁ … x_k, y), XᵀX, Xᵀy
/// and yᵀy. Grouped by a cluster column, the per-cluster X_gᵀX_g and X_gᵀy_g of every
/// cluster-robust covariance of least squares.
///
/// # Examples
/// ```
/// use trialstats_datafusion::aggregate::moments;
/// use datafusion::prelude::{col, lit};
/// // In a query: SELECT g, ts_moments(1.0, x, y) FROM t GROUP BY g
/// let expr = moments(3).call(vec![lit(1.0), col("x"), col("y")]);
/// assert!(expr.to_string().contains("ts_moments"));
/// ```
pub fn moments(width: usize) -> StatisticsUdaf {
    StatisticsUdaf::new("ts_moments", RowMap::Moments { width })
}

/// One Newton step of the logit at `beta`, on the arguments (x₁ … x_k, y): Σ wᵢxᵢxᵢᵀ with
/// wᵢ = pᵢ(1 − pᵢ) (the information), Σ (yᵢ − pᵢ)xᵢ (the score) and the log-likelihood
/// Σ yᵢηᵢ − log(1 + e^ηᵢ). Grouped by a cluster column, the cluster score sums of CR0/CR1.
pub fn logit_step(beta: &[f64]) -> StatisticsUdaf {
    StatisticsUdaf::new(
        "ts_logit_step",
        RowMap::Logit {
            beta: beta.to_vec(),
        },
    )
}

/// Σ uᵢuᵢᵀ of the least-squares scores uᵢ = eᵢxᵢ/(1 − hᵢ)^a at `beta`, on the arguments
/// (x₁ … x_k, y): eᵢ = yᵢ − xᵢᵀβ, hᵢ = xᵢᵀBxᵢ with `bread` B = (XᵀX)⁻¹ (k × k), and a = 0 for
/// `power` 0 (HC0, HC1), ½ for 1 (HC2), 1 for 2 (HC3): the meat of the HC covariances, which need
/// a second pass once β̂ is known.
pub fn ls_scores(beta: &[f64], bread: &DMatrix<f64>, power: u8) -> StatisticsUdaf {
    StatisticsUdaf::new(
        "ts_ls_scores",
        RowMap::Scores {
            beta: beta.to_vec(),
            bread: bread.as_slice().to_vec(),
            adjust: match power {
                0 => Adjust::None,
                1 => Adjust::Sqrt,
                _ => Adjust::Full,
            },
        },
    )
}

fn list_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Float64, true)))
}

impl AggregateUDFImpl for StatisticsUdaf {
    fn name(&self) -> &str {
        self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(list_type())
    }
    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let mut acc = RowAccumulator::new(Arc::clone(&self.map), self.name);
        acc.observer = self.observer.clone();
        Ok(Box::new(acc))
    }
    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(
            format_state_name(args.name, "sums"),
            list_type(),
            true,
        ))])
    }
    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }
    fn create_groups_accumulator(
        &self,
        _args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(GroupedAccumulator {
            buffers: Buffers::default(),
            map: Arc::clone(&self.map),
            name: self.name,
            groups: Vec::new(),
            observer: self.observer.clone(),
        }))
    }
}

/// The arguments as Float64 arrays, checked for count and type.
fn float_args<'a>(
    values: &'a [ArrayRef],
    map: &RowMap,
    name: &str,
) -> Result<Vec<&'a Float64Array>> {
    if values.len() != map.n_args() {
        return exec_err!(
            "{name} takes {} arguments, got {}",
            map.n_args(),
            values.len()
        );
    }
    values
        .iter()
        .map(|a| {
            a.as_primitive_opt::<Float64Type>().ok_or_else(|| {
                datafusion::error::DataFusionError::Execution(format!(
                    "{name}: argument of type {} (Float64 expected)",
                    a.data_type()
                ))
            })
        })
        .collect()
}

/// Reads row `i` into `z`: `Ok(false)` when an argument is null there; an error for a value
/// that is not finite.
#[inline]
fn read_row(
    cols: &[&Float64Array],
    nulls: bool,
    i: usize,
    z: &mut [f64],
    name: &str,
) -> Result<bool> {
    for (j, c) in cols.iter().enumerate() {
        if nulls && c.is_null(i) {
            return Ok(false);
        }
        let v = c.value(i);
        if !v.is_finite() {
            return exec_err!("{name}: argument {} is {v} (not finite)", j + 1);
        }
        z[j] = v;
    }
    Ok(true)
}

/// Reusable buffers of one accumulator: the mapped rows u (row-major, a row every `stride`
/// values: the state's padded width, the padding never written, so zero) and v, and the
/// arguments z of a row for the maps other than the moments (whose u is z).
#[derive(Debug, Default)]
struct Buffers {
    u: Vec<f64>,
    v: Vec<f64>,
    z: Vec<f64>,
}

impl Buffers {
    /// Room for `rows` rows.
    fn reserve(&mut self, rows: usize, stride: usize, map: &RowMap) {
        if self.u.len() < rows * stride {
            self.u.resize(rows * stride, 0.0);
        }
        if self.v.len() < rows * map.extra() {
            self.v.resize(rows * map.extra(), 0.0);
        }
        if self.z.len() < map.n_args() {
            self.z.resize(map.n_args(), 0.0);
        }
    }

    /// Maps every row of the batch; returns the rows used (those without a null), packed from
    /// the start of u and v.
    fn fill_all(
        &mut self,
        map: &RowMap,
        cols: &[&Float64Array],
        nulls: bool,
        stride: usize,
        name: &str,
    ) -> Result<usize> {
        let rows = cols.first().map_or(0, |c| c.len());
        if nulls || !matches!(map, RowMap::Moments { .. }) {
            return self.fill_rows(map, cols, nulls, 0..rows, stride, name);
        }
        // The moments of a batch without nulls: u is z, each row's entries gathered from the
        // columns (the columns checked finite first, eight values at a time).
        self.reserve(rows, stride, map);
        let mut columns: Vec<&[f64]> = Vec::with_capacity(cols.len());
        for (j, c) in cols.iter().enumerate() {
            let values = &c.values()[..rows];
            let finite = values
                .chunks(8)
                .all(|w| w.iter().fold(true, |ok, v| ok & v.is_finite()));
            if !finite {
                let v = values
                    .iter()
                    .find(|v| !v.is_finite())
                    .copied()
                    .unwrap_or(f64::NAN);
                return exec_err!("{name}: argument {} is {v} (not finite)", j + 1);
            }
            columns.push(values);
        }
        for (i, dst) in self.u.chunks_exact_mut(stride).take(rows).enumerate() {
            for (d, c) in dst.iter_mut().zip(&columns) {
                *d = c[i];
            }
        }
        Ok(rows)
    }

    /// Maps the rows `rows` of the batch, in order; returns the rows used (those without a
    /// null), packed from the start of u and v.
    fn fill_rows(
        &mut self,
        map: &RowMap,
        cols: &[&Float64Array],
        nulls: bool,
        rows: impl ExactSizeIterator<Item = usize>,
        stride: usize,
        name: &str,
    ) -> Result<usize> {
        let (q, l) = (map.q(), map.extra());
        self.reserve(rows.len(), stride, map);
        let moments = matches!(map, RowMap::Moments { .. });
        let mut used = 0;
        for i in rows {
            let u = &mut self.u[used * stride..used * stride + q];
            if moments {
                if read_row(cols, nulls, i, u, name)? {
                    used += 1;
                }
            } else if read_row(cols, nulls, i, &mut self.z, name)? {
                map.map(&self.z, u, &mut self.v[used * l..(used + 1) * l]);
                used += 1;
            }
        }
        Ok(used)
    }
}

/// Sums of one state: the row count, the double-double sums of u uᵀ (vectorised, in
/// `trialstats_core`) and of v.
#[derive(Debug, Clone)]
struct State {
    n: u64,
    gram: OuterProductSums,
    v_hi: Box<[f64]>,
    v_lo: Box<[f64]>,
}

impl State {
    fn new(q: usize, l: usize) -> Self {
        Self {
            n: 0,
            gram: OuterProductSums::new(q),
            v_hi: vec![0.0; l].into_boxed_slice(),
            v_lo: vec![0.0; l].into_boxed_slice(),
        }
    }

    fn for_map(map: &RowMap) -> Self {
        Self::new(map.q(), map.extra())
    }

    /// The stride of the rows of u that [`State::add_rows`] takes.
    fn stride(&self) -> usize {
        self.gram.padded_width()
    }

    /// Adds mapped rows: the first `rows` of `u` (row-major, [`State::stride`] values a row)
    /// and of `v` (row-major, l values a row).
    fn add_rows(&mut self, u: &[f64], v: &[f64], rows: usize) {
        let l = self.v_hi.len();
        let (u, v) = (&u[..rows * self.stride()], &v[..rows * l]);
        self.gram.add_padded_rows(u);
        if l > 0 {
            for row in v.chunks_exact(l) {
                for ((h, lo), &x) in self.v_hi.iter_mut().zip(self.v_lo.iter_mut()).zip(row) {
                    two_sum_into(h, lo, x);
                }
            }
        }
        self.n += rows as u64;
    }

    fn heap_bytes(&self) -> usize {
        self.gram.heap_bytes() + 16 * self.v_hi.len()
    }

    /// The sums, packed: the upper triangle column by column, then v.
    fn sums(&self) -> Vec<Dd> {
        let q = self.gram.q();
        let mut out = Vec::with_capacity(q * (q + 1) / 2 + self.v_hi.len());
        for b in 0..q {
            for a in 0..=b {
                out.push(self.gram.get(a, b));
            }
        }
        out.extend(
            self.v_hi
                .iter()
                .zip(self.v_lo.iter())
                .map(|(h, l)| Dd::from_parts(*h, *l)),
        );
        out
    }

    /// Adds the state in row `i` of `list`.
    fn merge(&mut self, list: &ListArray, i: usize, name: &str) -> Result<()> {
        let q = self.gram.q();
        let mut sums = vec![Dd::ZERO; q * (q + 1) / 2 + self.v_hi.len()];
        merge_state(list, i, &mut self.n, &mut sums, name)?;
        let mut e = 0;
        for b in 0..q {
            for a in 0..=b {
                self.gram.add(a, b, sums[e]);
                e += 1;
            }
        }
        for ((h, l), d) in self
            .v_hi
            .iter_mut()
            .zip(self.v_lo.iter_mut())
            .zip(&sums[e..])
        {
            (*h, *l) = (Dd::from_parts(*h, *l) + *d).parts();
        }
        Ok(())
    }
}

/// `h + l += x`: TwoSum of h and x, its error added to l (Knuth; Ogita, Rump & Oishi's `Sum2`).
#[inline(always)]
fn two_sum_into(h: &mut f64, l: &mut f64, x: f64) {
    let s = *h + x;
    let bb = s - *h;
    *l += (*h - (s - bb)) + (x - bb);
    *h = s;
}

/// The ungrouped accumulator.
struct RowAccumulator {
    map: Arc<RowMap>,
    name: &'static str,
    state: State,
    buffers: Buffers,
    observer: Option<RowObserver>,
}

impl std::fmt::Debug for RowAccumulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowAccumulator")
            .field("name", &self.name)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl RowAccumulator {
    fn new(map: Arc<RowMap>, name: &'static str) -> Self {
        let state = State::for_map(&map);
        Self {
            map,
            name,
            state,
            buffers: Buffers::default(),
            observer: None,
        }
    }

    fn to_list(&self) -> ScalarValue {
        let sums = self.state.sums();
        ScalarValue::List(Arc::new(state_list(std::iter::once((
            self.state.n,
            &sums[..],
        )))))
    }
}

/// A `List<Float64>` array with one `[n, hi…, lo…]` list per state.
fn state_list<'a>(states: impl Iterator<Item = (u64, &'a [Dd])>) -> ListArray {
    ListArray::from_iter_primitive::<Float64Type, _, _>(states.map(|(n, sums)| {
        let mut out = Vec::with_capacity(1 + 2 * sums.len());
        out.push(Some(n as f64));
        out.extend(sums.iter().map(|d| Some(d.parts().0)));
        out.extend(sums.iter().map(|d| Some(d.parts().1)));
        Some(out)
    }))
}

/// Adds the state in row `i` of `list` to `(n, sums)`.
fn merge_state(list: &ListArray, i: usize, n: &mut u64, sums: &mut [Dd], name: &str) -> Result<()> {
    if list.is_null(i) {
        return Ok(());
    }
    let item = list.value(i);
    let Some(v) = item.as_primitive_opt::<Float64Type>() else {
        return exec_err!("{name}: a partial state of type {}", item.data_type());
    };
    let s = sums.len();
    if v.len() != 1 + 2 * s {
        return exec_err!(
            "{name}: a partial state of {} values ({} expected)",
            v.len(),
            1 + 2 * s
        );
    }
    let v = v.values();
    *n += v[0] as u64;
    for (j, d) in sums.iter_mut().enumerate() {
        *d = *d + Dd::from_parts(v[1 + j], v[1 + s + j]);
    }
    Ok(())
}

impl Accumulator for RowAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let map = Arc::clone(&self.map);
        let cols = float_args(values, &map, self.name)?;
        let nulls = cols.iter().any(|c| c.null_count() > 0);
        let rows = cols.first().map_or(0, |c| c.len());
        let stride = self.state.stride();
        let used = self
            .buffers
            .fill_all(&map, &cols, nulls, stride, self.name)?;
        self.state.add_rows(&self.buffers.u, &self.buffers.v, used);
        if let Some(o) = &self.observer {
            o(rows as u64);
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(self.to_list())
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.state.heap_bytes()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![self.to_list()])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let Some(list) = states.first().and_then(|a| a.as_list_opt::<i32>()) else {
            return exec_err!("{}: partial states are not a list", self.name);
        };
        for i in 0..list.len() {
            self.state.merge(list, i, self.name)?;
        }
        Ok(())
    }
}

/// The grouped accumulator (one state per cluster).
struct GroupedAccumulator {
    map: Arc<RowMap>,
    name: &'static str,
    groups: Vec<State>,
    buffers: Buffers,
    observer: Option<RowObserver>,
}

impl GroupedAccumulator {
    fn resize(&mut self, total: usize) {
        if self.groups.len() < total {
            self.groups.resize(total, State::for_map(&self.map));
        }
    }
}

impl GroupsAccumulator for GroupedAccumulator {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.resize(total_num_groups);
        let map = Arc::clone(&self.map);
        let cols = float_args(values, &map, self.name)?;
        let nulls = cols.iter().any(|c| c.null_count() > 0);
        let stride = State::for_map(&map).stride();
        // The batch's rows in order of their group (a sort of (group, row) pairs), so that each
        // group's rows are summed in one vectorised call.
        let mut rows_of: Vec<(usize, usize)> = Vec::with_capacity(group_indices.len());
        for (i, &g) in group_indices.iter().enumerate() {
            if opt_filter.is_some_and(|f| !f.is_valid(i) || !f.value(i)) {
                continue;
            }
            rows_of.push((g, i));
        }
        rows_of.sort_unstable();
        for run in rows_of.chunk_by(|a, b| a.0 == b.0) {
            let g = run[0].0;
            let used = self.buffers.fill_rows(
                &map,
                &cols,
                nulls,
                run.iter().map(|&(_, i)| i),
                stride,
                self.name,
            )?;
            self.groups[g].add_rows(&self.buffers.u, &self.buffers.v, used);
        }
        if let Some(o) = &self.observer {
            o(group_indices.len() as u64);
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let taken = emit_to.take_needed(&mut self.groups);
        let sums: Vec<(u64, Vec<Dd>)> = taken.iter().map(|g| (g.n, g.sums())).collect();
        Ok(Arc::new(state_list(sums.iter().map(|(n, s)| (*n, &s[..])))))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        Ok(vec![self.evaluate(emit_to)?])
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.resize(total_num_groups);
        let Some(list) = values.first().and_then(|a| a.as_list_opt::<i32>()) else {
            return exec_err!("{}: partial states are not a list", self.name);
        };
        for (i, &g) in group_indices.iter().enumerate() {
            self.groups[g].merge(list, i, self.name)?;
        }
        Ok(())
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let map = &self.map;
        let cols = float_args(values, map, self.name)?;
        let nulls = cols.iter().any(|c| c.null_count() > 0);
        let rows = cols.first().map_or(0, |c| c.len());
        let mut z = vec![0.0; map.n_args()];
        let mut u = vec![0.0; map.q()];
        let mut v = vec![0.0; map.extra()];
        let mut states = Vec::with_capacity(rows);
        for i in 0..rows {
            let mut state = State::for_map(map);
            let used = !opt_filter.is_some_and(|f| !f.is_valid(i) || !f.value(i))
                && read_row(&cols, nulls, i, &mut z, self.name)?;
            if used {
                map.map(&z, &mut u, &mut v);
                state.add_rows(&u, &v, 1);
            }
            states.push((state.n, state.sums()));
        }
        Ok(vec![Arc::new(state_list(
            states.iter().map(|(n, s)| (*n, &s[..])),
        ))])
    }

    fn size(&self) -> usize {
        // Every group's state has the same size.
        std::mem::size_of_val(self)
            + self.groups.capacity() * std::mem::size_of::<State>()
            + self.groups.len() * self.groups.first().map_or(0, State::heap_bytes)
    }
}

/// The sums of one state, rounded once: `n`, the packed Σ uuᵀ as a symmetric matrix and v.
#[derive(Debug, Clone, PartialEq)]
pub struct Sums {
    /// Number of rows summed.
    pub n: u64,
    /// Σ uᵢuᵢᵀ (q × q, symmetric), double-double sums rounded to double.
    pub gram: DMatrix<f64>,
    /// Σ vᵢ (empty for the least-squares functions).
    pub extra: DVector<f64>,
    /// The unrounded sums, packed: the upper triangle of Σ uuᵀ column by column, then Σ v.
    pub exact: Vec<Dd>,
}

impl Sums {
    /// Decodes the value of one of this crate's aggregate functions (a `[n, hi…, lo…]` list)
    /// for a function whose u has `q` entries and v has `l`.
    ///
    /// # Errors
    /// A value that is null or of the wrong length.
    pub fn from_list(list: &ListArray, row: usize, q: usize, l: usize) -> Result<Self> {
        let s = q * (q + 1) / 2 + l;
        let mut n = 0;
        let mut exact = vec![Dd::ZERO; s];
        if list.is_null(row) {
            return exec_err!("a null value of an aggregate of sufficient statistics");
        }
        merge_state(list, row, &mut n, &mut exact, "sufficient statistics")?;
        let mut gram = DMatrix::zeros(q, q);
        for b in 0..q {
            for a in 0..=b {
                let x = exact[upper(a, b)].value();
                gram[(a, b)] = x;
                gram[(b, a)] = x;
            }
        }
        let e = q * (q + 1) / 2;
        let extra = DVector::from_iterator(l, exact[e..].iter().map(|d| d.value()));
        Ok(Self {
            n,
            gram,
            extra,
            exact,
        })
    }

    /// The unrounded (a, b) entry of Σ uuᵀ.
    pub fn exact_gram(&self, a: usize, b: usize) -> Dd {
        let (a, b) = if a <= b { (a, b) } else { (b, a) };
        self.exact[upper(a, b)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_index_runs_column_by_column() {
        let mut e = 0;
        for b in 0..5 {
            for a in 0..=b {
                assert_eq!(upper(a, b), e);
                e += 1;
            }
        }
    }

    #[test]
    fn ungrouped_and_grouped_accumulators_agree_with_the_definition() -> Result<()> {
        // 300 rows (two full blocks and a partial one), three columns with a null.
        let n = 300;
        let cols: Vec<ArrayRef> = (0..3)
            .map(|j| {
                Arc::new(Float64Array::from_iter((0..n).map(|i| {
                    if j == 1 && i == 17 {
                        None
                    } else {
                        Some(((i * (j + 3)) % 11) as f64 * 0.25 - 1.0)
                    }
                }))) as ArrayRef
            })
            .collect();
        let udaf = moments(3);
        let mut acc = RowAccumulator::new(Arc::clone(&udaf.map), "ts_moments");
        acc.update_batch(&cols)?;
        let ScalarValue::List(list) = acc.evaluate()? else {
            return exec_err!("not a list");
        };
        let s = Sums::from_list(&list, 0, 3, 0)?;
        assert_eq!(s.n, 299);
        let value = |j: usize, i: usize| ((i * (j + 3)) % 11) as f64 * 0.25 - 1.0;
        for a in 0..3 {
            for b in 0..3 {
                let want: f64 = (0..n)
                    .filter(|&i| i != 17)
                    .map(|i| value(a, i) * value(b, i))
                    .sum();
                // Quarters: every product and sum is exact.
                assert_eq!(s.gram[(a, b)].to_bits(), want.to_bits());
            }
        }
        // Grouped: rows alternate between two groups; the two states merge to the same sums.
        let mut grouped = GroupedAccumulator {
            buffers: Buffers::default(),
            map: Arc::clone(&udaf.map),
            name: "ts_moments",
            groups: Vec::new(),
            observer: None,
        };
        let groups: Vec<usize> = (0..n).map(|i| i % 2).collect();
        grouped.update_batch(&cols, &groups, None, 2)?;
        let states = grouped.state(EmitTo::All)?;
        let mut merged = RowAccumulator::new(Arc::clone(&udaf.map), "ts_moments");
        merged.merge_batch(&states)?;
        let ScalarValue::List(list) = merged.evaluate()? else {
            return exec_err!("not a list");
        };
        assert_eq!(Sums::from_list(&list, 0, 3, 0)?, s);
        Ok(())
    }

    #[test]
    fn a_value_that_is_not_finite_is_an_error_naming_the_argument() {
        let cols: Vec<ArrayRef> = vec![
            Arc::new(Float64Array::from(vec![1.0, 2.0])),
            Arc::new(Float64Array::from(vec![1.0, f64::INFINITY])),
        ];
        let mut acc = RowAccumulator::new(Arc::new(RowMap::Moments { width: 2 }), "ts_moments");
        let err = acc.update_batch(&cols).map(|_| ()).unwrap_err().to_string();
        assert!(err.contains("argument 2 is inf"), "{err}");
    }
}
