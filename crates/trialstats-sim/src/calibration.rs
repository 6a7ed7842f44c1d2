//! The calibration report: summary statistics of a trial data set next to every published number
//! they should reproduce (Riddell et al. 2016, BMC Public Health, doi:10.1186/s12889-016-3538-3;
//! process evaluation Aziz et al. 2018; Cochrane extraction), with the difference.
//!
//! It works on any table in the schema: on simulated data it checks the simulator, on real data
//! it is a Table-1-style comparison with the published trial.

use serde::Serialize;
use trialstats_core::table::{Align, fmt_num};
use trialstats_core::{Clusters, Table};
use trialstats_data::DataTable;
use trialstats_models::ols;
use trialstats_twosample::{Continuity, Exact, wilcox_test};

use crate::derive::derive;
use crate::error::SimError;

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalibrationRow {
    /// What is compared.
    pub quantity: String,
    /// The published value (`None` where the paper gives none).
    pub published: Option<f64>,
    /// The value in the data.
    pub simulated: Option<f64>,
    /// simulated − published.
    pub difference: Option<f64>,
    /// Source or caveat.
    pub note: String,
}

fn row(
    quantity: &str,
    published: Option<f64>,
    simulated: Option<f64>,
    note: &str,
) -> CalibrationRow {
    // A statistic of no data (e.g. an SD of one value) is reported as missing, never as NaN.
    let simulated = simulated.filter(|v| v.is_finite());
    CalibrationRow {
        quantity: quantity.to_string(),
        published,
        simulated,
        difference: published.zip(simulated).map(|(p, s)| s - p),
        note: note.to_string(),
    }
}

fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let s = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    (m, s)
}

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// The values of `col` in one arm (`arm` holds 0/1), missing values left out.
fn values_in_arm(col: &[Option<f64>], arm: &[Option<f64>], intervention: bool) -> Vec<f64> {
    let code = f64::from(u8::from(intervention));
    col.iter()
        .zip(arm)
        .filter(|(_, a)| **a == Some(code))
        .filter_map(|(v, _)| *v)
        .collect()
}

/// Computes the report.
///
/// # Errors
/// [`SimError::Data`] when the table lacks schema columns; [`SimError::Model`] when the
/// primary model cannot be fitted.
///
/// # Examples
/// ```
/// use trialstats_sim::{SimParams, calibration, simulate};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let rows = calibration(&simulate(&SimParams::default(), 5)?.table)?;
/// // The design margins are reproduced exactly: 24 clusters, 120 participants per arm.
/// assert_eq!((rows[0].quantity.as_str(), rows[0].simulated), ("clusters", Some(24.0)));
/// assert_eq!((rows[1].published, rows[1].simulated), (Some(120.0), Some(120.0)));
/// assert_eq!(rows[1].difference, Some(0.0));
/// // Every difference is simulated − published.
/// for r in &rows {
///     if let (Some(p), Some(s), Some(d)) = (r.published, r.simulated, r.difference) {
///         assert_eq!(d, s - p);
///     }
/// }
/// # Ok(()) }
/// ```
pub fn calibration(table: &DataTable) -> Result<Vec<CalibrationRow>, SimError> {
    let d = derive(table)?.table;
    let num = |c: &str| d.numeric(c);
    let arm = num("intervention")?;
    let n = d.nrows();
    let by_arm = |col: &[Option<f64>], i_arm: bool| values_in_arm(col, arm, i_arm);
    let mut out = Vec::new();
    let ids: Vec<f64> = num("cluster")?.iter().flatten().copied().collect();
    let g = if ids.is_empty() {
        0
    } else {
        Clusters::from_numbers("cluster", &ids)?.n_clusters()
    };
    out.push(row("clusters", Some(24.0), Some(g as f64), "P Methods"));
    let ones = vec![Some(1.0); n];
    out.push(row(
        "participants, usual care",
        Some(120.0),
        Some(by_arm(&ones, false).len() as f64),
        "Coch (may be planned numbers)",
    ));
    out.push(row(
        "participants, intervention",
        Some(120.0),
        Some(by_arm(&ones, true).len() as f64),
        "Coch",
    ));
    let age: Vec<f64> = num("age")?.iter().flatten().copied().collect();
    out.push(row(
        "age, mean (years)",
        Some(60.9),
        Some(mean_sd(&age).0),
        "Coch",
    ));
    let female: Vec<f64> = num("female")?.iter().flatten().copied().collect();
    let male_pct = 100.0 * (1.0 - female.iter().sum::<f64>() / female.len() as f64);
    out.push(row("male (%)", Some(50.8), Some(male_pct), "Coch"));
    let dur = num("duration")?;
    let (mut dc, mut di) = (by_arm(dur, false), by_arm(dur, true));
    out.push(row(
        "duration median, usual care (years)",
        Some(7.0),
        median(&mut dc),
        "P Results",
    ));
    out.push(row(
        "duration median, intervention (years)",
        Some(9.0),
        median(&mut di),
        "P Results",
    ));
    let p = wilcox_test(&di, &dc, Exact::Auto, Continuity::Corrected)
        .map(|t| t.p_value)
        .ok();
    out.push(row("duration, Wilcoxon p", Some(0.01), p, "P Results"));
    let risk0 = num("risk_0")?;
    for (f, label, m, s) in [(0.0, "men", 11.5, 7.5), (1.0, "women", 4.2, 2.8)] {
        let v: Vec<f64> = (0..n)
            .filter(|&i| num("female").ok().and_then(|c| c[i]) == Some(f))
            .filter_map(|i| risk0[i].map(|r| 100.0 * r))
            .collect();
        let (mm, ss) = mean_sd(&v);
        out.push(row(
            &format!("UKPDS 5-year risk, {label}, mean (%)"),
            Some(m),
            Some(mm),
            "P Results (baseline, both arms)",
        ));
        out.push(row(
            &format!("UKPDS 5-year risk, {label}, SD (%)"),
            Some(s),
            Some(ss),
            "P Results",
        ));
    }
    let rc: Vec<f64> = by_arm(risk0, false);
    let ri: Vec<f64> = by_arm(risk0, true);
    out.push(row(
        "UKPDS risk, intervention − usual care at baseline (%)",
        None,
        Some(100.0 * (mean_sd(&ri).0 - mean_sd(&rc).0)),
        "P: higher in the intervention arm (direction only)",
    ));
    for (col, label, uc, int) in [
        (
            "hba1c_gt8_0",
            "HbA1c > 8 %",
            100.0 * 17.0 / 108.0,
            100.0 * 22.0 / 98.0,
        ),
        (
            "hba1c_ge85_0",
            "HbA1c ≥ 8.5 %",
            100.0 * 12.0 / 108.0,
            100.0 * 11.0 / 98.0,
        ),
    ] {
        // Among those with a 12-month HbA1c, as the published denominators are.
        let h12 = num("hba1c_12")?;
        let v: Vec<Option<f64>> = num(col)?.iter().zip(h12).map(|(x, h)| h.and(*x)).collect();
        for (is_i, name, target) in [(false, "usual care", uc), (true, "intervention", int)] {
            let x = by_arm(&v, is_i);
            let pct = 100.0 * x.iter().sum::<f64>() / x.len() as f64;
            out.push(row(
                &format!("{label} at baseline, {name}, of those with a 12-month HbA1c (%)"),
                Some(target),
                Some(pct),
                "P Results (17/108, 22/98; 12/108, 11/98)",
            ));
        }
    }
    out.extend(follow_up_rows(&d)?);
    Ok(out)
}

/// The follow-up rows of the report: the HbA1c denominators at 12 months, the primary analysis
/// (CR1 by cluster) and the change in risk by arm.
fn follow_up_rows(d: &DataTable) -> Result<Vec<CalibrationRow>, SimError> {
    let num = |c: &str| d.numeric(c);
    let arm = num("intervention")?;
    let n = d.nrows();
    let by_arm = |col: &[Option<f64>], i_arm: bool| values_in_arm(col, arm, i_arm);
    let risk0 = num("risk_0")?;
    let mut out = Vec::new();
    let h12 = num("hba1c_12")?;
    out.push(row(
        "with 12-month data, usual care",
        Some(108.0),
        Some(by_arm(h12, false).len() as f64),
        "HbA1c denominators of P; their meaning is not stated",
    ));
    out.push(row(
        "with 12-month data, intervention",
        Some(98.0),
        Some(by_arm(h12, true).len() as f64),
        "same",
    ));
    // The primary analysis: risk at 12 months on arm and baseline risk, CR1 by cluster.
    let fit = ols("risk_12 ~ intervention + risk_0")
        .cluster("cluster")
        .fit(d)?;
    let inf = fit.inference();
    if let Some(c) = inf.coef("intervention") {
        out.push(row(
            "UKPDS risk difference at 12 months (adjusted)",
            Some(0.0),
            Some(c.estimate),
            "P Results: 0, 95 % CI −0.011 to 0.011",
        ));
        out.push(row(
            "… its 95 % CI half-width (CR1)",
            Some(0.011),
            Some((c.ci_high - c.ci_low) / 2.0),
            "P Results",
        ));
    }
    let r12 = num("risk_12")?;
    let change = |is_i: bool| -> f64 {
        let v: Vec<f64> = (0..n)
            .filter(|&i| arm[i] == Some(f64::from(u8::from(is_i))))
            .filter_map(|i| Some(r12[i]? - risk0[i]?))
            .collect();
        100.0 * mean_sd(&v).0
    };
    out.push(row(
        "UKPDS risk change, usual care (%)",
        None,
        Some(change(false)),
        "P: small fall in both arms",
    ));
    out.push(row(
        "UKPDS risk change, intervention (%)",
        None,
        Some(change(true)),
        "P: small fall in both arms",
    ));
    Ok(out)
}

/// The report as a table (text, Markdown or CSV).
///
/// # Examples
/// ```
/// use trialstats_sim::{SimParams, calibration, report_table, simulate};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let rows = calibration(&simulate(&SimParams::default(), 5)?.table)?;
/// let t = report_table(&rows);
/// assert_eq!(t.header, ["quantity", "published", "simulated", "difference", "source / note"]);
/// assert_eq!(t.rows.len(), rows.len());
/// assert_eq!(t.rows[0], ["clusters", "24.00", "24.00", "0", "P Methods"]);
/// # Ok(()) }
/// ```
pub fn report_table(rows: &[CalibrationRow]) -> Table {
    let mut t = Table::new(&[
        "quantity",
        "published",
        "simulated",
        "difference",
        "source / note",
    ]);
    t.set_align(0, Align::Left);
    t.set_align(4, Align::Left);
    let f = |v: Option<f64>| v.map_or_else(|| "unknown".to_string(), |v| fmt_num(v, 4));
    for r in rows {
        t.push_row(vec![
            r.quantity.clone(),
            f(r.published),
            r.simulated.map_or_else(String::new, |v| fmt_num(v, 4)),
            r.difference.map_or_else(String::new, |v| fmt_num(v, 3)),
            r.note.clone(),
        ]);
    }
    t
}
