//! The bodies of the fuzz targets of trialstats, one function each: every input parser and
//! estimator must answer any bytes with a result or a typed error, never a panic, a hang or a
//! silent NaN.
//!
//! Two drivers run them: libFuzzer (`fuzz/`, `cargo +nightly fuzz run <target>`, coverage-guided)
//! and this crate's tests (proptest over arbitrary bytes, on the stable toolchain, in CI). A
//! crash found by either becomes a regression test here.
#![forbid(unsafe_code)]
// A harness asserts its properties: a failed assertion is the finding.
#![allow(clippy::panic, clippy::expect_used)]

use trialstats_core::nalgebra::DMatrix;
use trialstats_core::{Clusters, Level};
use trialstats_data::{Column, DataTable, Formula, FrameOptions, ModelFrame};
use trialstats_instruments::eq5d::{HealthState, Version, value_sets};
use trialstats_instruments::{Dds, DdsVersion, Eq5d, Instrument, Mmas8, Phq9, Sdsca};
use trialstats_robust::{CrType, HcType, Logit, Ols, Vcov};
use trialstats_twosample::{
    Continuity, Exact, FisherControl, MonteCarlo, Variances, chisq_test, fisher_test_with,
    hodges_lehmann, t_test, wilcox_test,
};
use trialstats_ukpds::{Equation, ProfileBuilder};

/// The CSV reader returns a table or an error for any bytes; a table it returns writes back to
/// CSV and reads back to the same CSV.
pub fn csv_reader(data: &[u8]) {
    if let Ok(t) = DataTable::from_csv_reader("fuzz.csv", data) {
        let csv = t.to_csv();
        let back = DataTable::from_csv_str("fuzz.csv", &csv).expect("a written table reads back");
        assert_eq!(back.to_csv(), csv);
    }
}

/// The formula parser accepts or rejects any text; a parsed formula builds a model frame (or a
/// clear error) on a small table.
pub fn formula(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(f) = Formula::parse(text) {
        let t = DataTable::new(
            "fuzz",
            vec![
                Column::numeric("y", vec![Some(1.0), Some(2.0), Some(4.0), None]),
                Column::numeric("x", vec![Some(0.5), Some(1.5), Some(-1.0), Some(2.0)]),
                Column::categorical("g", &[Some("a"), Some("b"), Some("a"), Some("c")]),
            ],
        )
        .expect("a valid table");
        let _ = ModelFrame::new(&t, &f, &FrameOptions::default());
    }
}

/// Every scorer scores or rejects any row of text answers.
pub fn instrument_rows(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let fields: Vec<Option<&str>> = text
        .split(',')
        .map(|f| if f.is_empty() { None } else { Some(f) })
        .collect();
    let _ = Phq9::default().score_answers(&fields);
    let _ = Dds::new(DdsVersion::Dds17).score_answers(&fields);
    let _ = Dds::new(DdsVersion::Dds4).score_answers(&fields);
    let _ = Mmas8::default().score_answers(&fields);
    let _ = Sdsca::default().score_answers(&fields);
    for vs in value_sets() {
        if let Ok(e) = Eq5d::new(vs.id) {
            if let Ok(s) = e.score_answers(&fields) {
                assert!(s.index.is_none_or(f64::is_finite));
            }
            let _ = e.from_state_column().score_answers(&fields);
        }
    }
    for v in [Version::ThreeLevel, Version::FiveLevel] {
        let _ = HealthState::parse(text, v, "fuzz");
    }
}

/// The UKPDS profile builder and both equations return a risk in [0, 1] or an error for any
/// inputs (ten little-endian f64s).
pub fn ukpds_rows(data: &[u8]) {
    if data.len() < 80 {
        return;
    }
    let f = |i: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&data[8 * i..8 * i + 8]);
        f64::from_le_bytes(b)
    };
    let b = ProfileBuilder {
        age_at_diagnosis: f(0),
        duration: f(1),
        female: f(2),
        afro_caribbean: f(3),
        smoker: f(4),
        hba1c: f(5),
        sbp: f(6),
        tc_hdl: f(7),
        atrial_fibrillation: f(8),
    };
    if let Ok(p) = b.build() {
        for eq in [Equation::Chd, Equation::Stroke] {
            if let Ok(r) = eq.risk(&p, f(9)) {
                assert!((0.0..=1.0).contains(&r.risk), "risk {} for {b:?}", r.risk);
            }
        }
        if let Ok(later) = p.one_year_later() {
            let _ = Equation::Chd.risk(&later, 5.0);
        }
    }
}

/// Reads values from bytes: each pair of bytes a number in [−32.768, 32.767] with three
/// decimals, so ties, zeros and constants are common.
fn values(bytes: &[u8]) -> Vec<f64> {
    bytes
        .chunks_exact(2)
        .map(|c| f64::from(i16::from_le_bytes([c[0], c[1]])) / 1000.0)
        .collect()
}

fn check_p(what: &str, p: f64) {
    assert!((0.0..=1.0).contains(&p), "{what}: p = {p}");
}

/// Two samples from the bytes (split at the first byte's position): the t tests, the Wilcoxon
/// test (exact and approximate) and the Hodges–Lehmann interval answer with p in [0, 1] and
/// finite estimates, or an error.
pub fn two_sample(data: &[u8]) {
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let v = values(rest);
    let at = usize::from(split).min(v.len());
    let (x, y) = v.split_at(at);
    for variances in [Variances::Equal, Variances::Unequal] {
        if let Ok(r) = t_test(x, y, variances, Level::P95) {
            check_p("t", r.p_value);
            assert!(r.ci.is_some_and(|(a, b)| a.is_finite() && b.is_finite() && a <= b));
        }
    }
    for exact in [Exact::Auto, Exact::Always, Exact::Never] {
        for continuity in [Continuity::Corrected, Continuity::Uncorrected] {
            if let Ok(r) = wilcox_test(x, y, exact, continuity) {
                check_p("wilcoxon", r.p_value);
            }
            if let Ok((est, (lo, hi))) = hodges_lehmann(x, y, Level::P95, exact, continuity) {
                assert!(est.is_finite() && lo.is_finite() && hi.is_finite());
                assert!(lo <= hi, "interval [{lo}, {hi}]");
            }
        }
    }
}

/// An r × c table of small counts from the bytes: chi-square and Fisher (network, then a small
/// simulation) answer with p in [0, 1], or an error for an empty margin.
pub fn contingency(data: &[u8]) {
    if data.len() < 2 {
        return;
    }
    let (r, c) = (2 + usize::from(data[0] % 4), 2 + usize::from(data[1] % 4));
    let cells = &data[2..];
    if cells.len() < r * c {
        return;
    }
    let t: Vec<Vec<f64>> = (0..r)
        .map(|i| (0..c).map(|j| f64::from(cells[i * c + j] % 9)).collect())
        .collect();
    for continuity in [Continuity::Corrected, Continuity::Uncorrected] {
        if let Ok(x) = chisq_test(&t, continuity) {
            check_p("chisq", x.p_value);
        }
    }
    let control = FisherControl {
        workspace: 20_000,
        fallback: Some(MonteCarlo { reps: 200, seed: 1 }),
    };
    if let Ok(f) = fisher_test_with(&t, Level::P95, &control) {
        check_p("fisher", f.p_value);
    }
}

/// A small clustered data set from the bytes: OLS with every covariance, the logit and the
/// ordered logit fit, or fail with a typed error; a fit's standard errors are finite.
pub fn regression(data: &[u8]) {
    let v = values(data);
    let n = v.len() / 3;
    if n < 3 {
        return;
    }
    let x = DMatrix::from_fn(n, 3, |i, j| match j {
        0 => 1.0,
        1 => v[3 * i],
        _ => v[3 * i + 1],
    });
    let y: Vec<f64> = (0..n).map(|i| v[3 * i + 2]).collect();
    let labels: Vec<u8> = data.iter().take(n).map(|b| b % 5).collect();
    let Ok(clusters) = Clusters::from_labels("g", &labels) else {
        return;
    };
    if let Ok(fit) = Ols::new(&x, &y).and_then(|o| o.fit()) {
        let mut vcovs = vec![Vcov::Iid, Vcov::Hc(HcType::Hc1), Vcov::Hc(HcType::Hc3)];
        for kind in [CrType::Cr1, CrType::Cr2, CrType::Cr3 { jackknife: false }] {
            vcovs.push(Vcov::Cluster {
                clusters: clusters.clone(),
                kind,
            });
        }
        for how in vcovs {
            if let Ok(inf) = fit.infer(&how, Level::P95) {
                for c in &inf.coefficients {
                    assert!(
                        c.std_error.is_finite() && c.std_error > 0.0,
                        "{how:?}: {c:?}"
                    );
                    check_p("ols", c.p_value);
                }
            }
        }
    }
    let median = {
        let mut s = y.clone();
        s.sort_by(f64::total_cmp);
        s[n / 2]
    };
    let ybin: Vec<f64> = y.iter().map(|&v| f64::from(u8::from(v > median))).collect();
    if let Ok(fit) = Logit::new(&x, &ybin).and_then(|l| l.fit()) {
        if let Ok(inf) = fit.infer(&Vcov::Iid, Level::P95) {
            for c in &inf.coefficients {
                assert!(c.std_error.is_finite(), "logit: {c:?}");
            }
        }
    }
    // Three ordered categories by tertile; clm has no intercept column.
    let cats: Vec<usize> = y
        .iter()
        .map(|&v| usize::from(v > median) + usize::from(v > median + 1.0))
        .collect();
    let xs = x.columns(1, 2).into_owned();
    if let Ok(clm) = trialstats_ordinal::Clm::new(&cats, 3, &xs) {
        if let Ok(fit) = clm.fit() {
            if let Ok(inf) = fit.infer(&Vcov::Iid, Level::P95) {
                for c in &inf.coefficients {
                    assert!(c.std_error.is_finite(), "clm: {c:?}");
                }
            }
        }
    }
}

/// The data files of trialstats-data's format tests, the seeds of [`data_file`].
const SEEDS: [(&[u8], trialstats_data::read::FileFormat); 4] = [
    (
        include_bytes!("../../trialstats-data/tests/data/formats/trial_haven_118.dta"),
        trialstats_data::read::FileFormat::Dta,
    ),
    (
        include_bytes!("../../trialstats-data/tests/data/formats/trial_pandas_114.dta"),
        trialstats_data::read::FileFormat::Dta,
    ),
    (
        include_bytes!("../../trialstats-data/tests/data/formats/trial.parquet"),
        trialstats_data::read::FileFormat::Parquet,
    ),
    (
        include_bytes!("../../trialstats-data/tests/data/formats/trial.feather"),
        trialstats_data::read::FileFormat::ArrowIpc,
    ),
];

/// A real data file (Stata 118 or 114, Parquet, Feather; chosen by the first byte) damaged as
/// the rest of the bytes say (truncated, bytes overwritten): each reader returns a table or an
/// error naming the file, never panics; a table it returns has columns of equal length.
pub fn data_file(data: &[u8]) {
    let Some((&which, edits)) = data.split_first() else {
        return;
    };
    let (seed, format) = SEEDS[usize::from(which) % SEEDS.len()];
    let mut bytes = seed.to_vec();
    // Pairs of (position, value) overwrite bytes; a trailing odd byte truncates.
    for pair in edits.chunks(3) {
        match pair {
            [a, b, v] => {
                let at = (usize::from(*a) << 8 | usize::from(*b)) % bytes.len().max(1);
                if let Some(x) = bytes.get_mut(at) {
                    *x = *v;
                }
            }
            [a, b] => {
                let keep = (usize::from(*a) << 8 | usize::from(*b)) % (bytes.len() + 1);
                bytes.truncate(keep);
            }
            _ => {}
        }
    }
    let options = trialstats_data::read::ReadOptions::default();
    if let Ok(t) = DataTable::read_bytes("fuzz", &bytes, format, &options) {
        assert!(t.columns().iter().all(|c| c.data.len() == t.nrows()));
    }
}

/// Arbitrary bytes read as each binary format: a table or an error, never a panic.
pub fn data_bytes(data: &[u8]) {
    use trialstats_data::read::{FileFormat, ReadOptions};
    for format in [
        FileFormat::Dta,
        FileFormat::Parquet,
        FileFormat::ArrowIpc,
        FileFormat::Spreadsheet,
    ] {
        let _ = DataTable::read_bytes("fuzz", data, format, &ReadOptions::default());
    }
}
