//! The simulator: reproducibility, the schema, calibration to the published numbers (averaged
//! over seeds, since one trial is one draw), and its input checks.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use trialstats_data::{Column, DataTable};
use trialstats_sim::{SimError, SimParams, calibration, derive, schema, simulate};

#[test]
fn same_seed_same_bytes_and_the_schema_is_complete() {
    let p = SimParams::default();
    let a = simulate(&p, 7).unwrap().table.to_csv();
    let b = simulate(&p, 7).unwrap().table.to_csv();
    assert_eq!(a, b);
    assert_ne!(a, simulate(&p, 8).unwrap().table.to_csv());
    let t = simulate(&p, 7).unwrap().table;
    assert_eq!(schema::check(&t), Ok(()));
    assert_eq!(t.nrows(), 240);
    // Read back from CSV, the table is the same.
    let back = DataTable::from_csv_str("back.csv", &a).unwrap();
    assert_eq!(back.to_csv(), a);
}

#[test]
fn a_table_missing_columns_lists_them_all() {
    let t = DataTable::new(
        "mine.csv",
        vec![
            Column::numeric("id", vec![Some(1.0)]),
            Column::numeric("age", vec![Some(60.0)]),
        ],
    )
    .unwrap();
    let missing = schema::check(&t).unwrap_err();
    assert!(missing.contains(&"cluster".to_string()));
    assert!(missing.contains(&"hba1c_12".to_string()));
    assert!(missing.contains(&"support_satis_12".to_string()));
    assert!(!missing.contains(&"age".to_string()));
    assert_eq!(missing.len(), schema::columns().len() - 2);
}

#[test]
fn calibrated_to_the_published_numbers_on_average() {
    // Mean over 30 seeds of each calibrated statistic, against its published value, with a
    // tolerance of about 3 standard errors of that mean (SDs over seeds measured at 100 seeds).
    let reps = 30;
    let mut sums: Vec<(String, Option<f64>, f64)> = Vec::new();
    for seed in 0..reps {
        let t = simulate(&SimParams::default(), 100 + seed).unwrap();
        let rows = calibration(&t.table).unwrap();
        if sums.is_empty() {
            sums = rows
                .iter()
                .map(|r| (r.quantity.clone(), r.published, 0.0))
                .collect();
        }
        for (k, r) in rows.iter().enumerate() {
            sums[k].2 += r.simulated.unwrap() / reps as f64;
        }
    }
    let get = |q: &str| sums.iter().find(|s| s.0.starts_with(q)).unwrap().clone();
    for (q, tol) in [
        ("clusters", 0.0),
        ("participants, usual care", 0.0),
        ("age, mean", 0.35),
        ("male (%)", 2.0),
        ("duration median, usual care", 0.35),
        ("duration median, intervention", 0.45),
        ("UKPDS 5-year risk, men, mean", 0.6),
        ("UKPDS 5-year risk, men, SD", 0.9),
        ("UKPDS 5-year risk, women, mean", 0.2),
        ("UKPDS 5-year risk, women, SD", 0.3),
        ("with 12-month data, usual care", 2.5),
        ("with 12-month data, intervention", 3.0),
        ("UKPDS risk difference at 12 months", 0.003),
        ("… its 95 % CI half-width", 0.0015),
    ] {
        let (name, published, mean) = get(q);
        let published = published.unwrap();
        assert!(
            (mean - published).abs() <= tol + 1e-9,
            "{name}: mean over seeds {mean}, published {published}"
        );
    }
    // Pooled HbA1c tails (the published per-arm shares differ by chance): 39/206 and 23/206.
    let gt8 = (get("HbA1c > 8 %, usual care").2 + get("HbA1c > 8 %, intervention").2) / 2.0;
    let ge85 = (get("HbA1c ≥ 8.5 %, usual care").2 + get("HbA1c ≥ 8.5 %, intervention").2) / 2.0;
    assert!((gt8 - 100.0 * 39.0 / 206.0).abs() < 1.5, "{gt8}");
    assert!((ge85 - 100.0 * 23.0 / 206.0).abs() < 1.5, "{ge85}");
    // Both arms' risk falls a little over the year, despite ageing.
    assert!(get("UKPDS risk change, usual care").2 < 0.0);
    assert!(get("UKPDS risk change, intervention").2 < 0.0);
}

#[test]
fn derivation_keeps_bad_values_out_of_that_variable_only() {
    let t = simulate(&SimParams::default(), 3).unwrap().table;
    let csv = t.to_csv();
    // Row 1: an impossible TC/HDL (HDL of 0.01 makes the ratio 400) and a PHQ-9 item of 7.
    let mut lines: Vec<String> = csv.lines().map(String::from).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let hdl = header.iter().position(|h| *h == "hdl_0").unwrap();
    let phq = header.iter().position(|h| *h == "phq3_0").unwrap();
    let mut cells: Vec<String> = lines[1].split(',').map(String::from).collect();
    cells[hdl] = "0.01".into();
    cells[phq] = "7".into();
    lines[1] = cells.join(",");
    let broken = DataTable::from_csv_str("broken.csv", &lines.join("\n")).unwrap();
    let d = derive(&broken).unwrap();
    let vars: Vec<(usize, &str)> = d
        .problems
        .iter()
        .map(|p| (p.row, p.variable.as_str()))
        .collect();
    assert!(vars.contains(&(1, "risk_0")), "{:?}", d.problems);
    assert!(vars.contains(&(1, "phq9_0")), "{:?}", d.problems);
    let risk = d.table.numeric("risk_0").unwrap();
    assert!(risk[0].is_none() && risk[1].is_some());
    assert!(d.table.numeric("eq5d_0").unwrap()[0].is_some());
}

#[test]
fn bad_parameters_are_refused_with_their_name() {
    let named = |p: &SimParams| match simulate(p, 1) {
        Err(SimError::Parameter { parameter, reason }) => (parameter, reason),
        other => panic!("expected a parameter error, got {other:?}"),
    };
    let p = SimParams {
        cluster_size_range: (1, 15),
        ..SimParams::default()
    };
    let (name, reason) = named(&p);
    assert_eq!(name, "cluster_size_range");
    assert!(reason.contains("cluster of one"));
    let p = SimParams {
        dropout: (0.1, 1.5),
        ..SimParams::default()
    };
    assert_eq!(named(&p).0, "dropout (intervention)");
    let p = SimParams {
        participants_per_arm: 500,
        ..SimParams::default()
    };
    let (name, reason) = named(&p);
    assert_eq!(name, "participants_per_arm");
    assert!(reason.contains("cannot be split"));
}

#[test]
fn trial_sizes_are_bounded() {
    // Found while looking for the fault campaign's patterns elsewhere: simulate --params with
    // 1.5e8 participants per arm ran without end towards an allocation failure.
    let p = SimParams {
        participants_per_arm: 150_000_000,
        ..SimParams::default()
    };
    assert!(
        p.check()
            .unwrap_err()
            .to_string()
            .contains("exceeds 100000")
    );
    let p = SimParams {
        regions: usize::MAX,
        clusters_per_arm_per_region: 3,
        ..SimParams::default()
    };
    assert!(
        p.check()
            .unwrap_err()
            .to_string()
            .contains("exceeds 100000")
    );
}
