//! UKPDS 56 and 60: published worked examples, an independent evaluation of the formulas written
//! here (not by calling the crate), every case of the specification's §7 and every rejection of §6.

// Test code: a failed unwrap is a failed test, reported with its value.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use trialstats_ukpds::{Equation, Hba1c, ProfileBuilder, UkpdsError};

/// The equations transcribed independently: the log-linear sum of ln risk ratios, and the hazard
/// summed as the closed-form geometric series without expm1.
fn independent(eq: Equation, p: &ProfileBuilder, t: f64) -> (f64, f64) {
    let (lnq, d) = match eq {
        Equation::Chd => (
            0.0112f64.ln()
                + (p.age_at_diagnosis - 55.0) * 1.059f64.ln()
                + p.female * 0.525f64.ln()
                + p.afro_caribbean * 0.390f64.ln()
                + p.smoker * 1.350f64.ln()
                + (p.hba1c - 6.72) * 1.183f64.ln()
                + (p.sbp - 135.7) / 10.0 * 1.088f64.ln()
                + (p.tc_hdl.ln() - 1.59) * 3.845f64.ln(),
            1.078f64,
        ),
        _ => (
            0.00186f64.ln()
                + (p.age_at_diagnosis - 55.0) * 1.092f64.ln()
                + p.female * 0.700f64.ln()
                + p.smoker * 1.547f64.ln()
                + p.atrial_fibrillation * 8.554f64.ln()
                + (p.sbp - 135.5) / 10.0 * 1.122f64.ln()
                + (p.tc_hdl - 5.11) * 1.138f64.ln(),
            1.145f64,
        ),
    };
    let q = lnq.exp();
    let h = q * d.powf(p.duration) * (1.0 - d.powf(t)) / (1.0 - d);
    (q, 1.0 - (-h).exp())
}

fn check(eq: Equation, p: ProfileBuilder, t: f64) -> f64 {
    let prof = p.build().unwrap();
    let r = eq.risk(&prof, t).unwrap();
    let (q, risk) = independent(eq, &p, t);
    assert!(
        (r.q - q).abs() <= 1e-12 * q.max(1e-300) + 1e-15,
        "q {} vs {q}",
        r.q
    );
    assert!(
        (r.risk - risk).abs() <= 1e-12,
        "{eq:?} {p:?} T={t}: {} vs {risk}",
        r.risk
    );
    assert!((0.0..=1.0).contains(&r.risk));
    r.risk
}

fn man() -> ProfileBuilder {
    ProfileBuilder {
        age_at_diagnosis: 45.0,
        duration: 0.0,
        hba1c: 7.5,
        sbp: 160.0,
        tc_hdl: 4.9,
        ..ProfileBuilder::default()
    }
}

#[test]
fn ukpds56_worked_example() {
    // Stevens et al. 2001: q = 0.00883, 20-year CHD risk 33 % (reference 0.008826, 0.3263).
    let p = man().build().unwrap();
    let r = Equation::Chd.risk(&p, 20.0).unwrap();
    assert!((r.q - 0.008826).abs() < 5e-7, "{}", r.q);
    assert!((r.risk - 0.3263).abs() < 5e-5, "{}", r.risk);
    assert!((r.risk - 0.33).abs() < 0.005);
    check(Equation::Chd, man(), 20.0);
}

#[test]
fn ukpds60_worked_example() {
    // Kothari et al. 2002: q = 0.00212, 5-year stroke 6.9 %; smoker 10.5 % (reference 0.002118,
    // 0.06927, 0.10511).
    let b = ProfileBuilder {
        age_at_diagnosis: 55.0,
        duration: 12.0,
        hba1c: 7.0,
        sbp: 147.0,
        tc_hdl: 5.65 / 1.11,
        ..ProfileBuilder::default()
    };
    let r = Equation::Stroke.risk(&b.build().unwrap(), 5.0).unwrap();
    assert!((r.q - 0.002118).abs() < 5e-7, "{}", r.q);
    assert!((r.risk - 0.06927).abs() < 5e-6, "{}", r.risk);
    let s = ProfileBuilder { smoker: 1.0, ..b };
    let r = Equation::Stroke.risk(&s.build().unwrap(), 5.0).unwrap();
    assert!((r.risk - 0.10511).abs() < 5e-6, "{}", r.risk);
}

#[test]
fn centring_values_give_q0() {
    let c = ProfileBuilder {
        age_at_diagnosis: 55.0,
        duration: 3.0,
        hba1c: 6.72,
        sbp: 135.7,
        tc_hdl: 1.59f64.exp(),
        ..ProfileBuilder::default()
    };
    let p = c.build().unwrap();
    assert!((Equation::Chd.q(&p) - 0.0112).abs() < 1e-15);
    let s = ProfileBuilder {
        sbp: 135.5,
        tc_hdl: 5.11,
        ..c
    };
    assert!((Equation::Stroke.q(&s.build().unwrap()) - 0.00186).abs() < 1e-15);
}

#[test]
fn every_combination_and_sweep_agrees_with_the_independent_formula() {
    for eq in [Equation::Chd, Equation::Stroke] {
        for female in [0.0, 1.0] {
            for ac in [0.0, 1.0] {
                for smoker in [0.0, 1.0] {
                    for af in [0.0, 1.0] {
                        let b = ProfileBuilder {
                            female,
                            afro_caribbean: ac,
                            smoker,
                            atrial_fibrillation: af,
                            ..man()
                        };
                        for t in [0.5, 1.0, 5.0, 10.0, 20.0, 50.0] {
                            check(eq, b, t);
                        }
                    }
                }
            }
        }
        for d in 0..=40 {
            check(
                eq,
                ProfileBuilder {
                    duration: f64::from(d),
                    age_at_diagnosis: 50.0,
                    ..man()
                },
                5.0,
            );
        }
        // Ages outside 25–65 are computed, with a warning.
        for age in [18.0, 25.0, 40.0, 65.0, 70.0, 85.0] {
            let b = ProfileBuilder {
                age_at_diagnosis: age,
                ..man()
            };
            check(eq, b, 5.0);
            let warned = !b.build().unwrap().warnings.is_empty();
            assert_eq!(warned, !(25.0..=65.0).contains(&age), "age {age}");
        }
        for h in [4.0, 6.0, 7.2, 9.0, 12.0, 15.0] {
            check(eq, ProfileBuilder { hba1c: h, ..man() }, 5.0);
        }
        for s in [90.0, 120.0, 140.0, 180.0, 220.0] {
            check(eq, ProfileBuilder { sbp: s, ..man() }, 5.0);
        }
        for r in [1.5, 3.0, 4.0, 6.0, 10.0] {
            check(eq, ProfileBuilder { tc_hdl: r, ..man() }, 5.0);
        }
    }
}

#[test]
fn saturation_and_very_low_risk() {
    // Saturation: rounds to exactly 1, not an error.
    let high = ProfileBuilder {
        age_at_diagnosis: 100.0,
        duration: 20.0,
        smoker: 1.0,
        hba1c: 20.0,
        sbp: 290.0,
        tc_hdl: 29.0,
        atrial_fibrillation: 1.0,
        ..ProfileBuilder::default()
    };
    let r = Equation::Stroke.risk(&high.build().unwrap(), 50.0).unwrap();
    assert!((r.risk - 1.0).abs() == 0.0, "{}", r.risk);
    let low = ProfileBuilder {
        age_at_diagnosis: 20.0,
        duration: 0.0,
        female: 1.0,
        afro_caribbean: 1.0,
        hba1c: 4.0,
        sbp: 90.0,
        tc_hdl: 1.5,
        ..ProfileBuilder::default()
    };
    let r = check(Equation::Chd, low, 0.5);
    assert!(r > 0.0 && r < 1e-3, "{r}");
}

#[test]
fn trial_participant_at_baseline_and_twelve_months() {
    // Duration + 1, age at diagnosis fixed: the hazard is multiplied by d exactly.
    let b = ProfileBuilder {
        age_at_diagnosis: 56.0,
        duration: 8.0,
        hba1c: 7.2,
        sbp: 135.0,
        tc_hdl: 4.0,
        ..ProfileBuilder::default()
    };
    let p0 = b.build().unwrap();
    let p1 = p0.one_year_later().unwrap();
    assert!((p1.duration - 9.0).abs() == 0.0 && (p1.age_at_diagnosis - 56.0).abs() == 0.0);
    let r0 = check(Equation::Chd, b, 5.0);
    let r1 = check(Equation::Chd, ProfileBuilder { duration: 9.0, ..b }, 5.0);
    let h = |r: f64| -(-r).ln_1p();
    assert!((h(r1) / h(r0) - 1.078).abs() < 1e-12);
    // Spec §8 illustration: this man's 5-year CHD risk is about 9.8 %.
    let man64 = ProfileBuilder {
        age_at_diagnosis: 56.0,
        duration: 8.0,
        ..b
    };
    let r = Equation::Chd
        .risk(&man64.build().unwrap(), 5.0)
        .unwrap()
        .risk;
    assert!((r - 0.098).abs() < 0.002, "{r}");
}

#[test]
fn rejections_name_the_field_and_value() {
    let ok = man();
    let cases: Vec<(ProfileBuilder, &str)> = vec![
        (
            ProfileBuilder {
                sbp: f64::NAN,
                ..ok
            },
            "`sbp` is not a finite number (NaN)",
        ),
        (
            ProfileBuilder {
                hba1c: f64::INFINITY,
                ..ok
            },
            "`hba1c` is not a finite number (inf)",
        ),
        (
            ProfileBuilder { tc_hdl: 0.0, ..ok },
            "`tc_hdl` = 0 is impossible",
        ),
        (
            ProfileBuilder { tc_hdl: -2.0, ..ok },
            "`tc_hdl` = -2 is impossible",
        ),
        (
            ProfileBuilder { tc_hdl: 45.0, ..ok },
            "`tc_hdl` = 45 is impossible",
        ),
        (
            ProfileBuilder {
                duration: -1.0,
                ..ok
            },
            "`duration` = -1 is impossible",
        ),
        (
            ProfileBuilder {
                age_at_diagnosis: -5.0,
                ..ok
            },
            "`age_at_diagnosis` = -5 is impossible",
        ),
        (
            ProfileBuilder {
                age_at_diagnosis: 0.0,
                ..ok
            },
            "`age_at_diagnosis` = 0 is impossible",
        ),
        (
            ProfileBuilder {
                age_at_diagnosis: 70.0,
                duration: 60.0,
                ..ok
            },
            "`duration` = 60 is impossible",
        ),
        (
            ProfileBuilder { hba1c: 53.0, ..ok },
            "`hba1c` = 53 is impossible or in the wrong unit",
        ),
        (
            ProfileBuilder { hba1c: -1.0, ..ok },
            "`hba1c` = -1 is impossible",
        ),
        (ProfileBuilder { sbp: 0.0, ..ok }, "`sbp` = 0 is impossible"),
        (
            ProfileBuilder { sbp: 400.0, ..ok },
            "`sbp` = 400 is impossible",
        ),
        (
            ProfileBuilder { smoker: 2.0, ..ok },
            "`smoker` = 2 must be 0 or 1",
        ),
        (
            ProfileBuilder { female: 0.5, ..ok },
            "`female` = 0.5 must be 0 or 1",
        ),
        (
            ProfileBuilder {
                female: f64::NAN,
                ..ok
            },
            "`female` is not a finite number (NaN)",
        ),
    ];
    for (b, msg) in cases {
        let e = b.build().unwrap_err();
        assert!(e.to_string().starts_with(msg), "{e} / {msg}");
    }
    let p = ok.build().unwrap();
    for t in [0.0, -5.0, 51.0] {
        assert!(matches!(
            Equation::Chd.risk(&p, t),
            Err(UkpdsError::OutOfRange {
                field: "horizon",
                ..
            })
        ));
    }
    assert!(Equation::Chd.risk(&p, f64::NAN).is_err());
    // IFCC 53 mmol/mol is 7.0 %: accepted through its own constructor.
    assert!((Hba1c::mmol_per_mol(53.0).unwrap().percent_value() - 7.00044).abs() < 1e-5);
}

#[test]
fn batch_keeps_going_past_bad_rows() {
    use trialstats_ukpds::{BatchInput, evaluate_batch};
    let col = |v: &[f64]| v.iter().map(|x| Some(*x)).collect::<Vec<_>>();
    let age = col(&[45.0, 45.0, 45.0]);
    let dur = col(&[0.0, 0.0, 0.0]);
    let zero = col(&[0.0, 0.0, 0.0]);
    let hba1c = vec![Some(7.5), Some(53.0), None];
    let sbp = col(&[160.0, 160.0, 160.0]);
    let ratio = col(&[4.9, 4.9, 4.9]);
    let input = BatchInput {
        age_at_diagnosis: &age,
        duration: &dur,
        female: &zero,
        afro_caribbean: &zero,
        smoker: &zero,
        hba1c: &hba1c,
        sbp: &sbp,
        tc_hdl: &ratio,
        af: &[],
    };
    let out = evaluate_batch(&input, Equation::Chd, 20.0).unwrap();
    assert!((out[0].as_ref().unwrap().risk - 0.3263).abs() < 5e-5);
    assert!(matches!(
        out[1],
        Err(UkpdsError::OutOfRange { field: "hba1c", .. })
    ));
    assert_eq!(out[2], Err(UkpdsError::Missing { field: "hba1c" }));
    // The stroke equation needs `af`.
    let out = evaluate_batch(&input, Equation::Stroke, 5.0).unwrap();
    assert_eq!(out[0], Err(UkpdsError::Missing { field: "af" }));
}
