//! From the schema's raw columns to the analysis variables: UKPDS risk, instrument scores, ratios.
//!
//! Every derived value is computed row by row; a row whose inputs are invalid (a clinical value
//! out of the UKPDS range, an out-of-range survey answer) gets a missing value for that variable
//! only, and the problem is listed (row, variable, message) — never a silent change.
//!
//! Derived columns, for t = 0 and 12: `intervention` (0/1), `tc_hdl_t`, `bmi_t`, `risk_t`
//! (UKPDS 56 five-year CHD risk as a proportion; at 12 months with age and duration one year
//! on), `hba1c_gt8_t`, `hba1c_ge85_t`, `phq9_total_t` and `phq9_cat_t` (band 1–5), `dds4_t`
//! (mean item score), `eq5d_t` (EQ-5D-3L index, Australian value set), `mmas8_score_t` and
//! `mmas8_cat_t` (1 low, 2 medium, 3 high; only with the crate's `mmas8` feature, whose use states
//! that the user holds the MMAS-8 licence), `fv_days_t`, `exercise_days_t`, `bg_test_days_t`
//! (SDSCA items 3, 6, 7).

use serde::Serialize;
use trialstats_data::{Column, DataTable};
use trialstats_instruments::{Dds, DdsVersion, Eq5d, Instrument, Phq9, ScoreError};

use crate::error::SimError;
use trialstats_ukpds::{Equation, ProfileBuilder};

use crate::schema::ARM_INTERVENTION;

/// Scores one row of raw answers into output values.
type RowScorer<'a> = &'a dyn Fn(&[Option<&str>]) -> Result<Vec<Option<f64>>, ScoreError>;

/// A value that could not be derived.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowProblem {
    /// 1-based row.
    pub row: usize,
    /// Derived variable.
    pub variable: String,
    /// Why.
    pub message: String,
}

/// The input table with the derived columns appended, and the problems met.
#[derive(Debug, Clone)]
pub struct Derived {
    /// The table.
    pub table: DataTable,
    /// Values that could not be derived.
    pub problems: Vec<RowProblem>,
}

struct Reader<'a> {
    t: &'a DataTable,
}

impl Reader<'_> {
    fn num(&self, name: &str) -> Result<Vec<Option<f64>>, SimError> {
        Ok(self.t.numeric(name).map(<[_]>::to_vec)?)
    }

    fn text(&self, name: &str) -> Result<Vec<Option<String>>, SimError> {
        let c = self.t.column(name)?;
        Ok((0..self.t.nrows()).map(|i| c.data.text(i)).collect())
    }
}

/// Derives the analysis variables.
///
/// # Errors
/// [`SimError::Data`] when a schema column is missing or of the wrong type (check with
/// [`crate::schema::check`] first to list them all).
///
/// # Examples
/// ```
/// use trialstats_sim::{SimParams, derive, simulate};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let trial = simulate(&SimParams::default(), 3)?;
/// let d = derive(&trial.table)?;
/// // The derived columns are appended to the schema's.
/// assert!(d.table.ncols() > trial.table.ncols());
/// let arm = d.table.numeric("intervention")?;
/// assert_eq!(arm.iter().filter(|a| **a == Some(1.0)).count(), 120);
/// // The UKPDS 5-year risk is a proportion.
/// assert!(d.table.numeric("risk_0")?.iter().flatten().all(|r| *r > 0.0 && *r < 1.0));
/// # Ok(()) }
/// ```
pub fn derive(table: &DataTable) -> Result<Derived, SimError> {
    let rd = Reader { t: table };
    let n = table.nrows();
    let mut problems = Vec::new();
    let mut out: Vec<Column> = table.columns().to_vec();
    let arm = rd.text("arm")?;
    out.push(Column::numeric(
        "intervention",
        arm.iter()
            .map(|a| {
                a.as_ref()
                    .map(|a| f64::from(u8::from(a == ARM_INTERVENTION)))
            })
            .collect(),
    ));
    let female = rd.num("female")?;
    let age = rd.num("age")?;
    let duration = rd.num("duration")?;
    let afro = rd.num("afro_caribbean")?;
    let height = rd.num("height")?;
    for t in [0, 12] {
        let col = |s: &str| format!("{s}_{t}");
        let hba1c = rd.num(&col("hba1c"))?;
        let sbp = rd.num(&col("sbp"))?;
        let tc = rd.num(&col("tc"))?;
        let hdl = rd.num(&col("hdl"))?;
        let smoker = rd.num(&col("smoker"))?;
        let weight = rd.num(&col("weight"))?;
        let ratio: Vec<Option<f64>> = (0..n)
            .map(|i| match (tc[i], hdl[i]) {
                (Some(a), Some(b)) if b > 0.0 => Some(a / b),
                _ => None,
            })
            .collect();
        let bmi: Vec<Option<f64>> = (0..n)
            .map(|i| match (weight[i], height[i]) {
                (Some(w), Some(h)) if h > 0.0 => Some(w / (h * h)),
                _ => None,
            })
            .collect();
        let mut risk = Vec::with_capacity(n);
        for i in 0..n {
            let inputs = (
                age[i],
                duration[i],
                female[i],
                afro[i],
                smoker[i],
                hba1c[i],
                sbp[i],
                ratio[i],
            );
            let (Some(a), Some(d), Some(f), Some(ac), Some(s), Some(h), Some(p), Some(r)) = inputs
            else {
                risk.push(None);
                continue;
            };
            let years = f64::from(t) / 12.0;
            let b = ProfileBuilder {
                age_at_diagnosis: a - d,
                duration: d + years,
                female: f,
                afro_caribbean: ac,
                smoker: s,
                hba1c: h,
                sbp: p,
                tc_hdl: r,
                atrial_fibrillation: 0.0,
            };
            match b.build().and_then(|pr| Equation::Chd.risk(&pr, 5.0)) {
                Ok(k) => risk.push(Some(k.risk)),
                Err(e) => {
                    problems.push(RowProblem {
                        row: i + 1,
                        variable: col("risk"),
                        message: e.to_string(),
                    });
                    risk.push(None);
                }
            }
        }
        out.push(Column::numeric(&col("tc_hdl"), ratio));
        out.push(Column::numeric(&col("bmi"), bmi));
        out.push(Column::numeric(&col("risk"), risk));
        out.push(Column::numeric(
            &col("hba1c_gt8"),
            hba1c
                .iter()
                .map(|h| h.map(|h| f64::from(u8::from(h > 8.0))))
                .collect(),
        ));
        out.push(Column::numeric(
            &col("hba1c_ge85"),
            hba1c
                .iter()
                .map(|h| h.map(|h| f64::from(u8::from(h >= 8.5))))
                .collect(),
        ));
        derive_instruments(&rd, t, &mut out, &mut problems)?;
    }
    let table = DataTable::new(table.source(), out)?;
    Ok(Derived { table, problems })
}

/// Scores the instruments of month `t` row by row (PHQ-9, DDS-4, EQ-5D-3L with the Australian
/// value set, MMAS-8 with the `mmas8` feature, SDSCA days), appending their columns to `out`; a
/// row that cannot be scored gets missing values and a problem.
fn derive_instruments(
    rd: &Reader<'_>,
    t: u32,
    out: &mut Vec<Column>,
    problems: &mut Vec<RowProblem>,
) -> Result<(), SimError> {
    let n = rd.t.nrows();
    let phq9 = Phq9::default();
    let dds4 = Dds::new(DdsVersion::Dds4);
    let eq5d = Eq5d::new("eq5d3l_au_viney2011")?;
    #[cfg(feature = "mmas8")]
    let mmas8 = trialstats_instruments::Mmas8::default();
    // Instruments: each row scored or given a problem.
    let mut score =
        |name: &str, cols: Vec<String>, f: RowScorer<'_>, outs: &[&str]| -> Result<(), SimError> {
            let data: Vec<Vec<Option<String>>> =
                cols.iter().map(|c| rd.text(c)).collect::<Result<_, _>>()?;
            let mut values: Vec<Vec<Option<f64>>> = vec![Vec::with_capacity(n); outs.len()];
            for i in 0..n {
                let answers: Vec<Option<&str>> = data.iter().map(|c| c[i].as_deref()).collect();
                let row = if answers.iter().all(Option::is_none) {
                    vec![None; outs.len()]
                } else {
                    f(&answers).unwrap_or_else(|e| {
                        problems.push(RowProblem {
                            row: i + 1,
                            variable: format!("{name}_{t}"),
                            message: e.to_string(),
                        });
                        vec![None; outs.len()]
                    })
                };
                for (k, v) in row.into_iter().enumerate() {
                    values[k].push(v);
                }
            }
            for (k, o) in outs.iter().enumerate() {
                out.push(Column::numeric(&format!("{o}_{t}"), values[k].clone()));
            }
            Ok(())
        };
    let with_t = |cols: Vec<String>| cols.into_iter().map(|c| format!("{c}_{t}")).collect();
    score(
        "phq9",
        with_t(phq9.columns()),
        &|a| {
            let s = phq9.score_answers(a)?;
            Ok(vec![s.total, s.severity.map(|b| f64::from(b.code()))])
        },
        &["phq9_total", "phq9_cat"],
    )?;
    score(
        "dds4",
        with_t(dds4.columns()),
        &|a| Ok(vec![dds4.score_answers(a)?.mean]),
        &["dds4"],
    )?;
    score(
        "eq5d",
        with_t(eq5d.columns()),
        &|a| Ok(vec![eq5d.score_answers(a)?.index]),
        &["eq5d"],
    )?;
    #[cfg(feature = "mmas8")]
    score(
        "mmas8",
        with_t(mmas8.columns()),
        &|a| {
            let s = mmas8.score_answers(a)?;
            Ok(vec![s.score, s.category.map(|c| f64::from(c.code()))])
        },
        &["mmas8_score", "mmas8_cat"],
    )?;
    for (item, name) in [(3, "fv_days"), (6, "exercise_days"), (7, "bg_test_days")] {
        let v = rd.num(&format!("sdsca{item}_{t}"))?;
        for (i, x) in v.iter().enumerate() {
            if let Some(x) = x {
                if !(0.0..=7.0).contains(x) || x.fract() != 0.0 {
                    problems.push(RowProblem {
                        row: i + 1,
                        variable: format!("{name}_{t}"),
                        message: format!("SDSCA item {item} = {x} is not 0–7 days"),
                    });
                }
            }
        }
        let clean = v
            .iter()
            .map(|x| x.filter(|x| (0.0..=7.0).contains(x) && x.fract() == 0.0))
            .collect();
        out.push(Column::numeric(&format!("{name}_{t}"), clean));
    }
    Ok(())
}
