//! The pipeline on a small simulated trial: its numbers against the crates called directly, its
//! determinism, and its handling of broken input files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use trialstats_core::Clusters;
use trialstats_core::Level;
use trialstats_core::table::fmt_num;
use trialstats_data::{DataTable, Formula, FrameOptions, ModelFrame};
use trialstats_paper::render::files;
use trialstats_paper::{Options, PaperError, Report, analyse};
use trialstats_robust::{CrType, Ols, Vcov};
use trialstats_sim::{SimParams, derive, simulate};
use trialstats_twosample::wilcox_test;

fn small() -> DataTable {
    let p = SimParams {
        regions: 2,
        clusters_per_arm_per_region: 3,
        participants_per_arm: 60,
        ..SimParams::default()
    };
    simulate(&p, 11).unwrap().table
}

fn quick() -> Options {
    Options {
        wild_reps: 199,
        mi_m: 3,
        mi_maxit: 5,
        ..Options::default()
    }
}

fn run(t: &DataTable) -> Result<Report, PaperError> {
    analyse(t, &quick(), &mut |_, _, _| {})
}

#[test]
fn numbers_agree_with_the_crates_called_directly() {
    let t = small();
    let r = run(&t).unwrap();
    let d = derive(&t).unwrap().table;
    // Primary: risk_12 ~ intervention + risk_0, CR1 by community.
    let f = Formula::parse("risk_12 ~ intervention + risk_0").unwrap();
    let opts = FrameOptions {
        clusters: vec!["cluster".into()],
        ..FrameOptions::default()
    };
    let mf = ModelFrame::new(&d, &f, &opts).unwrap();
    let cl = &mf.clusters[0];
    let inf = Ols::new(&mf.x, mf.y().unwrap())
        .unwrap()
        .clusters(cl)
        .unwrap()
        .fit()
        .unwrap()
        .infer(
            &Vcov::Cluster {
                clusters: cl.clone(),
                kind: CrType::Cr1,
            },
            Level::P95,
        )
        .unwrap();
    let direct = &inf.coefficients[1];
    let e = r.effects.iter().find(|e| e.key == "risk_diff").unwrap();
    assert!((e.estimate - direct.estimate).abs() < 1e-14);
    assert!((e.ci_low - direct.ci_low).abs() < 1e-14);
    assert!((e.p_value - direct.p_value).abs() < 1e-14);
    assert_eq!((e.n, e.clusters), (mf.x.nrows(), 12));
    // Flow.
    let arm = d.numeric("intervention").unwrap();
    let r12 = d.numeric("risk_12").unwrap();
    for a in 0..2 {
        let n = arm.iter().filter(|g| **g == Some(a as f64)).count();
        let k = (0..d.nrows())
            .filter(|&i| arm[i] == Some(a as f64) && r12[i].is_some())
            .count();
        assert_eq!((r.flow.randomised[a], r.flow.analysed[a]), (n, k));
    }
    assert_eq!(r.flow.clusters, [6, 6]);
    // Duration: the Wilcoxon p of Table 1 and of the targets.
    let dur = d.numeric("duration").unwrap();
    let by = |a: f64| -> Vec<f64> {
        (0..d.nrows())
            .filter(|&i| arm[i] == Some(a))
            .filter_map(|i| dur[i])
            .collect()
    };
    let p = wilcox_test(
        &by(1.0),
        &by(0.0),
        trialstats_twosample::Exact::Auto,
        trialstats_twosample::Continuity::Corrected,
    )
    .unwrap()
    .p_value;
    let row = r
        .targets
        .iter()
        .find(|t| t.quantity.starts_with("diabetes duration, Wilcoxon"))
        .unwrap();
    assert!((row.reproduced.unwrap() - p).abs() < 1e-15);
    let t1 = r
        .table1
        .rows
        .iter()
        .find(|row| row[0].starts_with("duration"))
        .unwrap();
    assert_eq!(t1[4], trialstats_core::table::fmt_p(p));
    // The MMAS-8 odds ratio: the change in category, Clmm with 7 adaptive nodes.
    let c0 = d.numeric("mmas8_cat_0").unwrap();
    let c12 = d.numeric("mmas8_cat_12").unwrap();
    let cluster = d.numeric("cluster").unwrap();
    let rows: Vec<usize> = (0..d.nrows())
        .filter(|&i| c0[i].is_some() && c12[i].is_some())
        .collect();
    let change: Vec<f64> = rows
        .iter()
        .map(|&i| c12[i].unwrap() - c0[i].unwrap())
        .collect();
    let lo = change.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = change.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let codes: Vec<usize> = change.iter().map(|v| (v - lo) as usize).collect();
    let levels: Vec<String> = (0..=(hi - lo) as usize)
        .map(|k| format!("{}", lo + k as f64))
        .collect();
    let x = nalgebra::DMatrix::from_fn(rows.len(), 1, |i, _| arm[rows[i]].unwrap());
    let ids: Vec<String> = rows
        .iter()
        .map(|&i| format!("{}", cluster[i].unwrap()))
        .collect();
    let cl = Clusters::from_labels("cluster", &ids).unwrap();
    let fit = trialstats_ordinal::Clmm::new(&codes, &levels, &x, &cl)
        .unwrap()
        .names(&["intervention"])
        .unwrap()
        .quadrature(trialstats_ordinal::Quadrature::Adaptive { nodes: 7 })
        .fit()
        .unwrap();
    let b = fit
        .infer(Level::P95)
        .unwrap()
        .coefficients
        .into_iter()
        .find(|c| c.term == "intervention")
        .unwrap();
    let e = r.effects.iter().find(|e| e.key == "mmas8_or").unwrap();
    assert!(
        (e.estimate.ln() - b.estimate).abs() < 1e-9,
        "{} v. {}",
        e.estimate.ln(),
        b.estimate
    );
    // Published-target rows carry the reproduced numbers.
    let n_uc = r
        .targets
        .iter()
        .find(|t| t.quantity == "participants, usual care")
        .unwrap();
    assert_eq!(n_uc.reproduced, Some(60.0));
}

#[test]
fn same_data_and_seed_give_the_same_bytes() {
    let t = small();
    let a = files(&run(&t).unwrap()).unwrap();
    let b = files(&run(&t).unwrap()).unwrap();
    assert_eq!(a, b);
    let names: Vec<&str> = a.iter().map(|(n, _)| n.as_str()).collect();
    for want in [
        "report.md",
        "report.html",
        "flow.svg",
        "forest.svg",
        "results.json",
        "table1.csv",
        "targets.csv",
    ] {
        assert!(names.contains(&want), "{want}");
    }
    let html = &a.iter().find(|(n, _)| n == "report.html").unwrap().1;
    assert!(
        html.starts_with("<!DOCTYPE html>") && html.contains("<svg") && html.ends_with("</html>\n")
    );
    assert!(
        !html.contains("src=\"http"),
        "the page must be self-contained"
    );
}

#[test]
fn numeric_tables_hold_the_printed_numbers_at_full_precision() {
    let r = run(&small()).unwrap();
    let out = files(&r).unwrap();
    let csv = |name: &str| -> DataTable {
        let text = &out.iter().find(|(n, _)| n == name).expect(name).1;
        // A ragged row (a cell in the wrong column count) is an error here.
        DataTable::from_csv_reader(name, text.as_bytes()).expect(name)
    };
    for name in [
        "table1_numeric.csv",
        "table2_numeric.csv",
        "primary_numeric.csv",
        "table3_numeric.csv",
        "secondary_numeric.csv",
        "targets_numeric.csv",
        "effects.csv",
    ] {
        assert!(csv(name).nrows() > 0, "{name}");
    }
    // Every effect to the bit.
    let effects = csv("effects.csv");
    assert_eq!(effects.nrows(), r.effects.len());
    for (col, get) in [
        (
            "estimate",
            (|e| e.estimate) as fn(&trialstats_paper::Effect) -> f64,
        ),
        ("ci_low", |e| e.ci_low),
        ("ci_high", |e| e.ci_high),
        ("p", |e| e.p_value),
    ] {
        let v = effects.numeric(col).unwrap();
        for (x, e) in v.iter().zip(&r.effects) {
            assert_eq!(
                x.map(f64::to_bits),
                Some(get(e).to_bits()),
                "{col} of {}",
                e.key
            );
        }
    }
    // The primary table's numbers are the printed ones before rounding.
    let primary = csv("primary_numeric.csv");
    let est = primary.numeric("estimate").unwrap();
    let lo = primary.numeric("ci_low").unwrap();
    for (i, row) in r.primary.rows.iter().enumerate() {
        assert_eq!(row[1], fmt_num(est[i].unwrap(), 4));
        assert!(
            row[2].starts_with(&fmt_num(lo[i].unwrap(), 4)),
            "{}",
            row[2]
        );
    }
    // Table 1: each mean (SD) cell is the numeric row's mean and SD to one decimal.
    let t1 = csv("table1_numeric.csv");
    let (var, group, mean, sd) = (
        t1.column("variable").unwrap(),
        t1.column("group").unwrap(),
        t1.numeric("mean").unwrap(),
        t1.numeric("sd").unwrap(),
    );
    let mut checked = 0;
    for i in 0..t1.nrows() {
        let (Some(m), Some(s)) = (mean[i], sd[i]) else {
            continue;
        };
        let name = var.text(i).unwrap();
        let col = if group.text(i).unwrap() == "usual care" {
            1
        } else {
            2
        };
        let row = r
            .table1
            .rows
            .iter()
            .find(|row| row[0].starts_with(&name))
            .unwrap();
        // Median [IQR] rows print other columns of the same row.
        if !row[col].contains('[') {
            assert_eq!(row[col], format!("{m:.1} ({s:.1})"), "{name}");
            checked += 1;
        }
    }
    assert!(checked >= 4, "{checked} mean (SD) cells checked");
}

fn edit(t: &DataTable, f: impl Fn(&str, usize, &mut String)) -> DataTable {
    let csv = t.to_csv();
    let mut lines = csv.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    let mut out = vec![header.join(",")];
    for (i, l) in lines.enumerate() {
        let mut cells: Vec<String> = l.split(',').map(String::from).collect();
        for (j, h) in header.iter().enumerate() {
            f(h, i + 1, &mut cells[j]);
        }
        out.push(cells.join(","));
    }
    DataTable::from_csv_str("broken.csv", &out.join("\n")).unwrap()
}

#[test]
fn broken_files_get_clear_errors_or_row_level_exclusions() {
    let t = small();
    // Missing columns: all of them named.
    let csv = t.to_csv();
    let keep: Vec<usize> = csv
        .lines()
        .next()
        .unwrap()
        .split(',')
        .enumerate()
        .filter(|(_, h)| *h != "hba1c_12" && *h != "sbp_0")
        .map(|(j, _)| j)
        .collect();
    let cut: Vec<String> = csv
        .lines()
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            keep.iter().map(|&j| c[j]).collect::<Vec<_>>().join(",")
        })
        .collect();
    let e = run(&DataTable::from_csv_str("cut.csv", &cut.join("\n")).unwrap()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "`cut.csv` lacks 2 column(s) of the trial schema: sbp_0, hba1c_12"
    );
    // An arm label that is neither arm.
    let bad_arm = edit(&t, |h, row, cell| {
        if h == "arm" && row == 5 {
            *cell = "placebo".into();
        }
    });
    let e = run(&bad_arm).unwrap_err();
    assert_eq!(
        e.to_string(),
        "`broken.csv` row 5, column `arm`: \"placebo\" is not valid; expected `usual_care` or `intervention`"
    );
    // A value out of clinical range: that row's UKPDS risk is left out (and listed); a bad
    // survey answer leaves out only that score; everything else runs.
    let out_of_range = edit(&t, |h, row, cell| {
        if h == "hdl_0" && row == 3 {
            *cell = "0.01".into();
        }
        if h == "phq2_12" && row == 7 {
            *cell = "9".into();
        }
    });
    let r = run(&out_of_range).unwrap();
    let vars: Vec<(usize, &str)> = r
        .problems
        .iter()
        .map(|p| (p.row, p.variable.as_str()))
        .collect();
    assert!(vars.contains(&(3, "risk_0")), "{vars:?}");
    assert!(vars.contains(&(7, "phq9_12")), "{vars:?}");
    let full = run(&t).unwrap();
    let n_of = |r: &Report| r.effects.iter().find(|e| e.key == "risk_diff").unwrap().n;
    let k = |r: &Report| r.effects.iter().find(|e| e.key == "hba1c").unwrap().n;
    assert!(n_of(&r) <= n_of(&full) && n_of(&full) - n_of(&r) <= 1);
    assert_eq!(k(&r), k(&full), "HbA1c does not lose the row");
    // A community of one participant: a warning, and the analysis runs.
    let single = edit(&t, |h, row, cell| {
        if h == "cluster" && row == 1 {
            *cell = "99".into();
        }
    });
    let r = run(&single).unwrap();
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("community 99 has one participant")),
        "{:?}",
        r.warnings
    );
}
