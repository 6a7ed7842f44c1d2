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
    // The HbA1c tails by arm among those with a 12-month HbA1c (17/108, 22/98; 12/108, 11/98),
    // within about 3 SEs of a mean over 30 seeds (SDs over 100 seeds 3.6, 4.0, 3.0, 2.9 points).
    for (q, tol) in [
        ("HbA1c > 8 % at baseline, usual care", 2.0),
        ("HbA1c > 8 % at baseline, intervention", 2.2),
        ("HbA1c ≥ 8.5 % at baseline, usual care", 1.7),
        ("HbA1c ≥ 8.5 % at baseline, intervention", 1.6),
    ] {
        let (name, published, mean) = get(q);
        let published = published.unwrap();
        assert!(
            (mean - published).abs() <= tol,
            "{name}: mean over seeds {mean}, published {published}"
        );
    }
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

/// Participants per community (id order), from a simulated table.
fn community_sizes(t: &DataTable) -> Vec<(usize, bool, usize)> {
    let cluster = t.numeric("cluster").unwrap();
    let arm = t.column("arm").unwrap();
    let mut out: Vec<(usize, bool, usize)> = Vec::new();
    for (i, c) in cluster.iter().enumerate() {
        let c = c.unwrap() as usize;
        let int = arm.data.text(i).as_deref() == Some(schema::ARM_INTERVENTION);
        match out.iter_mut().find(|x| x.0 == c) {
            Some(x) => x.2 += 1,
            None => out.push((c, int, 1)),
        }
    }
    out
}

/// Mean of `f(row)` over the rows of community `c` where it is defined.
fn community_mean(t: &DataTable, c: usize, f: impl Fn(usize) -> Option<f64>) -> f64 {
    let cluster = t.numeric("cluster").unwrap();
    let v: Vec<f64> = (0..t.nrows())
        .filter(|&i| cluster[i] == Some(c as f64))
        .filter_map(f)
        .collect();
    v.iter().sum::<f64>() / v.len() as f64
}

#[test]
fn unequal_cluster_sizes_have_the_chosen_coefficient_of_variation() {
    // 100 communities per arm of mean size 20, 10 trials: the mean realised CV of the sizes is
    // the chosen one within about 3 standard errors (the realised CV of one arm has SD about
    // 0.07 at CV 0.6, measured over 20 trials).
    for cv in [0.0, 0.3, 0.6] {
        let mut realised = Vec::new();
        for seed in 0..10 {
            let p = SimParams {
                regions: 10,
                clusters_per_arm_per_region: 10,
                participants_per_arm: 2000,
                cluster_size_cv: Some(cv),
                ..SimParams::default()
            };
            let t = simulate(&p, seed).unwrap().table;
            for arm in [false, true] {
                let sizes: Vec<f64> = community_sizes(&t)
                    .iter()
                    .filter(|x| x.1 == arm)
                    .map(|x| x.2 as f64)
                    .collect();
                assert_eq!(sizes.len(), 100);
                assert_eq!(sizes.iter().map(|&s| s as usize).sum::<usize>(), 2000);
                assert!(sizes.iter().all(|&s| s >= 2.0));
                let (mean, sd) = trialstats_core::stats::mean_sd(&sizes).unwrap();
                realised.push(sd / mean);
            }
        }
        let mean = realised.iter().sum::<f64>() / realised.len() as f64;
        assert!(
            (mean - cv).abs() <= 0.1 * cv,
            "cv {cv}: mean realised {mean}"
        );
    }
}

#[test]
fn a_merged_community_shares_its_groups_effects() {
    // Communities differ a great deal in how HbA1c changed (ICC 0.95: community effect SD about
    // 3.6 times the individual change SD of 0.84): a merged community changes as the group it
    // joined does.
    let p = SimParams {
        participants_per_arm: 360,
        cluster_size_range: (20, 40),
        icc: 0.95,
        merged_clusters: 2,
        dropout: (0.0, 0.0),
        ..SimParams::default()
    };
    let trial = simulate(&p, 5).unwrap();
    let t = &trial.table;
    let (h0, h12) = (
        t.numeric("hba1c_0").unwrap(),
        t.numeric("hba1c_12").unwrap(),
    );
    let change = |i: usize| Some(h12[i]? - h0[i]?);
    let sizes = community_sizes(t);
    let region = t.numeric("region").unwrap();
    let cluster = t.numeric("cluster").unwrap();
    let region_of = |c: usize| {
        let row = (0..t.nrows()).find(|&i| cluster[i] == Some(c as f64));
        region[row.unwrap()].unwrap() as usize
    };
    let size = |c: usize| *sizes.iter().find(|x| x.0 == c).unwrap();
    assert_eq!(trial.merged.len(), 2);
    for &(c, into) in &trial.merged {
        assert!(size(c).1 && size(into).1, "both intervention communities");
        assert_eq!(region_of(c), region_of(into));
        // The smallest intervention community of its region.
        assert!(
            sizes
                .iter()
                .filter(|x| x.1 && region_of(x.0) == region_of(c))
                .all(|x| x.2 >= size(c).2)
        );
        // SE of the difference about 0.84 × √(1/20 + 1/20) = 0.27.
        let d = community_mean(t, c, change) - community_mean(t, into, change);
        assert!(
            d.abs() < 0.8,
            "merged {c} into {into}: mean changes differ by {d}"
        );
    }
    // Communities not merged differ far more (SD of a difference about 4).
    let others: Vec<f64> = sizes
        .iter()
        .filter(|x| !trial.merged.iter().any(|m| m.0 == x.0))
        .map(|x| community_mean(t, x.0, change))
        .collect();
    let (_, sd) = trialstats_core::stats::mean_sd(&others).unwrap();
    assert!(sd > 1.5, "{sd}");
}

#[test]
fn a_group_that_never_ran_has_none_of_the_interventions_effects() {
    // The intervention lowers SBP by 30 mmHg where its group ran; no community effects.
    let p = SimParams {
        icc: 0.0,
        arm_effect_clinical: (0.0, -30.0, 0.0, 0.0),
        merged_clusters: 2,
        non_implemented_clusters: 3,
        dropout: (0.0, 0.0),
        ..SimParams::default()
    };
    let trial = simulate(&p, 6).unwrap();
    let t = &trial.table;
    let (h0, h12) = (t.numeric("sbp_0").unwrap(), t.numeric("sbp_12").unwrap());
    let change = |i: usize| Some(h12[i]? - h0[i]?);
    let sizes = community_sizes(t);
    // Three groups, and any community merged into one of them.
    let joined = |c: usize| {
        trial
            .merged
            .iter()
            .any(|m| m.0 == c && trial.non_implemented.contains(&m.1))
    };
    assert_eq!(
        trial.non_implemented.len(),
        3 + sizes.iter().filter(|x| joined(x.0)).count()
    );
    let uc: Vec<usize> = sizes.iter().filter(|x| !x.1).map(|x| x.0).collect();
    let uc_mean = uc
        .iter()
        .map(|&c| community_mean(t, c, change))
        .sum::<f64>()
        / uc.len() as f64;
    for &(c, int, _) in &sizes {
        if int {
            // Each community's mean change has SE about 12.5 / √10 = 4 mmHg.
            let m = community_mean(t, c, change) - uc_mean;
            if trial.non_implemented.contains(&c) {
                assert!(m.abs() < 12.0, "community {c} without a group: {m}");
            } else {
                assert!((m + 30.0).abs() < 12.0, "community {c} with a group: {m}");
            }
        }
    }
}

#[test]
fn dropout_follows_the_chosen_mechanism() {
    use trialstats_sim::DropoutMechanism;
    // 4000 per arm; a strong dependence (log-odds 1.5 per 1 % HbA1c).
    let base = SimParams {
        regions: 10,
        clusters_per_arm_per_region: 20,
        participants_per_arm: 4000,
        cluster_size_range: (10, 30),
        ..SimParams::default()
    };
    let with = |m: DropoutMechanism| {
        simulate(
            &SimParams {
                dropout_mechanism: m,
                ..base.clone()
            },
            21,
        )
        .unwrap()
        .table
    };
    let baseline_gap = |t: &DataTable| {
        // Mean baseline HbA1c of those who dropped out minus that of those who stayed.
        let (h0, h12) = (
            t.numeric("hba1c_0").unwrap(),
            t.numeric("hba1c_12").unwrap(),
        );
        let mean = |stay: bool| {
            let v: Vec<f64> = (0..t.nrows())
                .filter(|&i| h12[i].is_some() == stay)
                .filter_map(|i| h0[i])
                .collect();
            v.iter().sum::<f64>() / v.len() as f64
        };
        mean(false) - mean(true)
    };
    let observed_mean_12 = |t: &DataTable| {
        let v: Vec<f64> = t
            .numeric("hba1c_12")
            .unwrap()
            .iter()
            .flatten()
            .copied()
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let mcar = with(DropoutMechanism::Mcar);
    let mar = with(DropoutMechanism::Mar { log_or: 1.5 });
    let mnar = with(DropoutMechanism::Mnar { log_or: 1.5 });
    // MCAR: those who leave look like those who stay (SE of the gap about 0.03).
    assert!(baseline_gap(&mcar).abs() < 0.1, "{}", baseline_gap(&mcar));
    // MAR: those who leave had higher baseline HbA1c.
    assert!(baseline_gap(&mar) > 0.3, "{}", baseline_gap(&mar));
    // MNAR on the 12-month value: the same trial (same draws) observed with the high 12-month
    // values missing has a lower observed 12-month mean than under MCAR.
    assert!(observed_mean_12(&mnar) < observed_mean_12(&mcar) - 0.15);
    // A parameter file names the mechanism by `kind`.
    let p: SimParams =
        serde_json::from_str(r#"{"dropout_mechanism": {"kind": "mnar", "log_or": 0.5}}"#).unwrap();
    assert_eq!(p.dropout_mechanism, DropoutMechanism::Mnar { log_or: 0.5 });
    assert!(
        serde_json::from_str::<SimParams>(r#"{"dropout_mechanism": {"kind": "mar"}}"#).is_err()
    );
}

#[test]
fn each_outcome_has_its_own_icc() {
    // The between-community share of the PHQ-9 sum's 12-month change (one-way ANOVA ICC) with
    // the depression ICC at 0 and at 0.6, the clinical ICC unchanged.
    let icc_of_change = |depression: f64| {
        let p = SimParams {
            regions: 10,
            clusters_per_arm_per_region: 5,
            participants_per_arm: 1000,
            cluster_size_range: (20, 20),
            icc_outcomes: trialstats_sim::OutcomeIcc {
                depression,
                ..Default::default()
            },
            dropout: (0.0, 0.0),
            ..SimParams::default()
        };
        let t = simulate(&p, 8).unwrap().table;
        let phq = |time: u32, i: usize| -> Option<f64> {
            (1..=9)
                .map(|k| t.numeric(&format!("phq{k}_{time}")).unwrap()[i])
                .sum()
        };
        let cluster = t.numeric("cluster").unwrap();
        let mut groups: std::collections::BTreeMap<i64, Vec<f64>> = Default::default();
        for (i, c) in cluster.iter().enumerate() {
            if let (Some(a), Some(b)) = (phq(0, i), phq(12, i)) {
                groups.entry(c.unwrap() as i64).or_default().push(b - a);
            }
        }
        let all: Vec<f64> = groups.values().flatten().copied().collect();
        let grand = all.iter().sum::<f64>() / all.len() as f64;
        let (g, n) = (groups.len() as f64, all.len() as f64);
        let ssb: f64 = groups
            .values()
            .map(|v| {
                let m = v.iter().sum::<f64>() / v.len() as f64;
                v.len() as f64 * (m - grand).powi(2)
            })
            .sum();
        let ssw: f64 = groups
            .values()
            .map(|v| {
                let m = v.iter().sum::<f64>() / v.len() as f64;
                v.iter().map(|x| (x - m).powi(2)).sum::<f64>()
            })
            .sum();
        let (msb, msw) = (ssb / (g - 1.0), ssw / (n - g));
        let m0 = n / g;
        (msb - msw) / (msb + (m0 - 1.0) * msw)
    };
    let low = icc_of_change(0.0);
    let high = icc_of_change(0.6);
    assert!(low.abs() < 0.04, "{low}");
    assert!(high > 0.2, "{high}");
}

#[test]
fn design_options_out_of_range_are_refused_with_their_name() {
    let name = |p: SimParams| match p.check() {
        Err(SimError::Parameter { parameter, .. }) => parameter,
        other => panic!("expected a parameter error, got {other:?}"),
    };
    let d = SimParams::default;
    assert_eq!(
        name(SimParams {
            cluster_size_cv: Some(-0.1),
            ..d()
        }),
        "cluster_size_cv"
    );
    assert_eq!(
        name(SimParams {
            merged_clusters: 10,
            ..d()
        }),
        "merged_clusters"
    );
    assert_eq!(
        name(SimParams {
            non_implemented_clusters: 13,
            ..d()
        }),
        "non_implemented_clusters"
    );
    assert_eq!(
        name(SimParams {
            physical_activity_increase: (0.091, 0.8),
            ..d()
        }),
        "physical_activity_increase"
    );
    let icc = trialstats_sim::OutcomeIcc {
        support: 1.0,
        ..Default::default()
    };
    assert_eq!(
        name(SimParams {
            icc_outcomes: icc,
            ..d()
        }),
        "icc_outcomes.support"
    );
    // At the edges: 9 merges leave each region one group; every group may fail to run.
    assert!(
        SimParams {
            merged_clusters: 9,
            non_implemented_clusters: 3,
            ..d()
        }
        .check()
        .is_ok()
    );
}
