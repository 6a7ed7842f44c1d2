//! PHQ-9, DDS, SDSCA and MMAS-8 against worked examples of the published scoring rules, bad input,
//! and properties (range and monotonicity after reverse-keying).
//!
//! Expected values are computed by hand from the rules in the cited papers (Kroenke 2001 and
//! Spitzer 1999 for PHQ-9; Polonsky 2005 and Fisher 2008/2012 for the DDS; Toobert 2000 for the
//! SDSCA); each case states its arithmetic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use trialstats_instruments::{
    Dds, DdsItem, DdsLevel, DdsResponse, DdsVersion, Instrument, MissingPolicy, Phq9, Phq9Response,
    ScoreError, Sdsca, SdscaResponse, Severity, Syndrome, score_rows,
};

fn phq(codes: [Option<f64>; 9], policy: MissingPolicy) -> trialstats_instruments::Phq9Score {
    Phq9::with_policy(policy).score_response(&Phq9Response::from_codes(&codes).unwrap())
}

fn all(c: [f64; 9]) -> [Option<f64>; 9] {
    c.map(Some)
}

#[test]
fn phq9_totals_bands_and_the_dsm_algorithm() {
    // 3+3+2+2+2 = 12 → moderate; items 1–5 ≥ 2 → 5 symptoms with item 1 ≥ 2 → major.
    let s = phq(
        all([3., 3., 2., 2., 2., 0., 0., 0., 0.]),
        MissingPolicy::Reject,
    );
    assert_eq!(s.total, Some(12.0));
    assert_eq!(s.severity, Some(Severity::Moderate));
    assert_eq!(s.syndrome, Some(Syndrome::MajorDepressive));
    assert_eq!(
        (s.phq2, s.phq2_positive, s.phq8),
        (Some(6.0), Some(true), Some(12.0))
    );
    assert_eq!(s.item9_flag, Some(false));
    // Items 1, 3 at 2 and item 9 at 1 (any frequency counts for item 9): 3 symptoms → other.
    let s = phq(
        all([2., 0., 2., 0., 0., 0., 0., 0., 1.]),
        MissingPolicy::Reject,
    );
    assert_eq!(s.total, Some(5.0));
    assert_eq!(s.severity, Some(Severity::Mild));
    assert_eq!(s.syndrome, Some(Syndrome::OtherDepressive));
    assert_eq!(s.item9_flag, Some(true));
    // Many symptoms but neither item 1 nor item 2 at ≥ 2 → no syndrome, whatever the total.
    let s = phq(
        all([1., 1., 3., 3., 3., 3., 3., 3., 0.]),
        MissingPolicy::Reject,
    );
    assert_eq!(s.total, Some(20.0));
    assert_eq!(s.severity, Some(Severity::Severe));
    assert_eq!(s.syndrome, Some(Syndrome::None));
    // Band edges: 4 minimal, 9 mild, 10 moderate, 14 moderate, 15 moderately severe, 19, 20.
    for (t, b) in [
        (4.0, Severity::Minimal),
        (9.0, Severity::Mild),
        (10.0, Severity::Moderate),
        (14.0, Severity::Moderate),
        (15.0, Severity::ModeratelySevere),
        (19.0, Severity::ModeratelySevere),
        (20.0, Severity::Severe),
    ] {
        assert_eq!(Severity::of(t), b, "{t}");
    }
    assert_eq!(Severity::of(27.0).code(), 5);
}

#[test]
fn phq9_missing_items_follow_the_policy() {
    let c = [
        Some(1.),
        Some(1.),
        Some(1.),
        Some(1.),
        Some(1.),
        Some(1.),
        Some(1.),
        None,
        None,
    ];
    let s = phq(c, MissingPolicy::Reject);
    assert_eq!((s.total, s.severity, s.syndrome), (None, None, None));
    assert_eq!(s.n_missing, 2);
    // Prorated: 7 × 9 / 7 = 9 → mild; the algorithm is never computed with missing items.
    let s = phq(c, MissingPolicy::Prorate { max_missing: 2 });
    assert_eq!(s.total, Some(9.0));
    assert_eq!(s.severity, Some(Severity::Mild));
    assert_eq!(s.syndrome, None);
    assert!(s.prorated);
    // Unrounded: 2+1+0+0+0+0+0 = 3 over 7 answered → 3 × 9/7.
    let c = [
        Some(2.),
        Some(1.),
        Some(0.),
        None,
        Some(0.),
        Some(0.),
        Some(0.),
        None,
        Some(0.),
    ];
    let s = phq(c, MissingPolicy::Prorate { max_missing: 2 });
    assert!((s.total.unwrap() - 27.0 / 7.0).abs() < 1e-15);
    let mut c3 = c;
    c3[0] = None;
    assert_eq!(
        phq(c3, MissingPolicy::Prorate { max_missing: 2 }).total,
        None
    );
}

#[test]
fn phq9_bad_input_names_item_and_value() {
    let e = Phq9Response::from_codes(&[Some(0.); 10]).unwrap_err();
    assert_eq!(e.to_string(), "PHQ-9: expected 9 items, got 10");
    let mut c = [Some(0.); 9];
    c[2] = Some(4.0);
    let e = Phq9Response::from_codes(&c).unwrap_err();
    assert_eq!(
        e.to_string(),
        "PHQ-9 item 3: \"4\" is not an allowed answer (allowed: 0, 1, 2 or 3)"
    );
    c[2] = Some(1.5);
    assert!(matches!(
        Phq9Response::from_codes(&c),
        Err(ScoreError::NotInteger { .. })
    ));
    let e = Phq9::default()
        .score_answers(&[
            Some("0"),
            Some("x"),
            None,
            None,
            None,
            None,
            None,
            None,
            None,
        ])
        .unwrap_err();
    assert!(e.to_string().starts_with("PHQ-9 item 2: \"x\""), "{e}");
    // Item 10 read only when asked for, and kept out of the total.
    let with10 = Phq9 {
        with_item10: true,
        ..Phq9::default()
    };
    let mut row = vec![Some("1"); 9];
    row.push(Some("3"));
    let s = with10.score_answers(&row).unwrap();
    assert_eq!((s.total, s.difficulty), (Some(9.0), Some(3)));
    assert!(matches!(
        Phq9::default().score_answers(&row),
        Err(ScoreError::WrongItemCount {
            expected: 9,
            got: 10,
            ..
        })
    ));
}

fn dds_all(v: f64) -> DdsResponse {
    let mut r = DdsResponse::new();
    for i in DdsItem::ALL {
        r.set(i, Some(v)).unwrap();
    }
    r
}

#[test]
fn dds_means_subscales_and_levels() {
    let s = Dds::new(DdsVersion::Dds17).score_response(&dds_all(3.0));
    assert_eq!((s.mean, s.level), (Some(3.0), Some(DdsLevel::High)));
    // Emotional burden items at 6, the rest at 1: EB = 6, others 1, total (5·6 + 12)/17.
    let mut r = dds_all(1.0);
    for i in DdsItem::ALL {
        if i.subscale() == trialstats_instruments::dds::Subscale::EmotionalBurden {
            r.set(i, Some(6.0)).unwrap();
        }
    }
    let s = Dds::new(DdsVersion::Dds17).score_response(&r);
    assert_eq!(s.emotional_burden, Some(6.0));
    assert_eq!(
        (
            s.physician_distress,
            s.regimen_distress,
            s.interpersonal_distress
        ),
        (Some(1.0), Some(1.0), Some(1.0))
    );
    assert!((s.mean.unwrap() - 42.0 / 17.0).abs() < 1e-15);
    assert_eq!(s.level, Some(DdsLevel::Moderate));
    // Subscale sizes of Polonsky 2005: 5, 4, 5, 3.
    let count = |sub| DdsItem::ALL.iter().filter(|i| i.subscale() == sub).count();
    use trialstats_instruments::dds::Subscale::*;
    assert_eq!(
        [
            EmotionalBurden,
            PhysicianDistress,
            RegimenDistress,
            InterpersonalDistress
        ]
        .map(count),
        [5, 4, 5, 3]
    );
    // DDS-4 = mean(2, 2, 1, 1) = 1.5 → little; DDS-2 = mean(2, 2) = 2 → moderate.
    let mut r = DdsResponse::new();
    r.set(DdsItem::Overwhelmed, Some(2.0)).unwrap();
    r.set(DdsItem::FailingRoutine, Some(2.0)).unwrap();
    r.set(DdsItem::NotMotivated, Some(1.0)).unwrap();
    r.set(DdsItem::AngryScaredDepressed, Some(1.0)).unwrap();
    let s4 = Dds::new(DdsVersion::Dds4).score_response(&r);
    assert_eq!((s4.mean, s4.level), (Some(1.5), Some(DdsLevel::Little)));
    let s2 = Dds::new(DdsVersion::Dds2).score_response(&r);
    assert_eq!((s2.mean, s2.level), (Some(2.0), Some(DdsLevel::Moderate)));
    assert_eq!(Dds::new(DdsVersion::Dds17).score_response(&r).mean, None);
    // Columns by 2005-form number.
    assert_eq!(
        Dds::new(DdsVersion::Dds4).columns(),
        ["dds14", "dds6", "dds16", "dds3"]
    );
}

#[test]
fn dds_half_rule_and_bad_input() {
    let mut r = DdsResponse::new();
    r.set(DdsItem::Overwhelmed, Some(4.0)).unwrap();
    r.set(DdsItem::FailingRoutine, Some(2.0)).unwrap();
    let half = Dds {
        version: DdsVersion::Dds4,
        policy: MissingPolicy::HalfRule,
    };
    assert_eq!(half.score_response(&r).mean, Some(3.0));
    assert_eq!(Dds::new(DdsVersion::Dds4).score_response(&r).mean, None);
    let e = Dds::new(DdsVersion::Dds2)
        .score_answers(&[Some("0"), Some("3")])
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "DDS-2 item 14 (Overwhelmed): \"0\" is not an allowed answer (allowed: 1, 2, 3, 4, 5 or 6)"
    );
    assert!(matches!(
        Dds::new(DdsVersion::Dds17).score_answers(&[Some("1"); 16]),
        Err(ScoreError::WrongItemCount {
            expected: 17,
            got: 16,
            ..
        })
    ));
}

#[test]
fn sdsca_scales_reverse_item_4_and_flag_inconsistent_smoking() {
    let codes = [7., 5., 3., 2., 1., 0., 7., 7., 4., 2., 0., 0.].map(Some);
    let s = Sdsca::score_response(&SdscaResponse::from_codes(&codes).unwrap());
    // general (7+5)/2; specific (3 + (7−2))/2; exercise (1+0)/2; testing 7; foot (4+2)/2.
    assert_eq!(s.general_diet, Some(6.0));
    assert_eq!(s.specific_diet, Some(4.0));
    assert_eq!(s.exercise, Some(0.5));
    assert_eq!(s.blood_glucose_testing, Some(7.0));
    assert_eq!(s.foot_care, Some(3.0));
    assert_eq!(s.items[3], Some(2));
    assert!(s.warnings.is_empty());
    let mut c = codes;
    c[11] = Some(10.0);
    let s = Sdsca::score_response(&SdscaResponse::from_codes(&c).unwrap());
    assert_eq!(s.warnings.len(), 1);
    let mut c = codes;
    c[5] = None;
    let s = Sdsca::score_response(&SdscaResponse::from_codes(&c).unwrap());
    assert_eq!((s.exercise, s.general_diet), (None, Some(6.0)));
    c[5] = Some(8.0);
    let e = SdscaResponse::from_codes(&c).unwrap_err();
    assert_eq!(
        e.to_string(),
        "SDSCA item 6: \"8\" is not an allowed answer (allowed: 0 to 7 days)"
    );
    c[5] = Some(0.0);
    c[10] = Some(2.0);
    assert!(SdscaResponse::from_codes(&c).is_err());
    let prorate = Sdsca {
        policy: MissingPolicy::Prorate { max_missing: 1 },
    };
    assert!(matches!(
        prorate.score(&SdscaResponse::default()),
        Err(ScoreError::UnsupportedPolicy {
            instrument: "SDSCA",
            ..
        })
    ));
}

#[test]
fn batch_scoring_keeps_going_past_a_bad_row() {
    let rows = vec![
        vec![Some("1"); 9],
        vec![
            Some("1"),
            Some("7"),
            None,
            None,
            None,
            None,
            None,
            None,
            None,
        ],
        vec![None; 9],
    ];
    let out = score_rows(&Phq9::default(), rows);
    assert_eq!(out[0].as_ref().unwrap().total, Some(9.0));
    assert!(out[1].as_ref().unwrap_err().to_string().contains("item 2"));
    assert_eq!(out[2].as_ref().unwrap().total, None);
}

#[cfg(feature = "mmas8")]
mod mmas8 {
    use super::*;
    use trialstats_instruments::mmas8::Item8Scoring;
    use trialstats_instruments::{Mmas8, Mmas8Category};

    fn score(row: [&str; 8], scoring: Item8Scoring) -> (Option<f64>, Option<Mmas8Category>) {
        let m = Mmas8 {
            item8_scoring: scoring,
            ..Mmas8::default()
        };
        let s = m.score_answers(&row.map(Some)).unwrap();
        (s.score, s.category)
    }

    #[test]
    fn scoring_rule_and_categories() {
        let w = Item8Scoring::Weighted;
        // No on 1–4, 6, 7 (1 each), yes on 5 (1), option A (1) → 8, high.
        let best = ["no", "no", "no", "no", "yes", "no", "no", "A"];
        assert_eq!(score(best, w), (Some(8.0), Some(Mmas8Category::High)));
        let mut r = best;
        r[0] = "yes";
        assert_eq!(score(r, w), (Some(7.0), Some(Mmas8Category::Medium)));
        r[7] = "C";
        assert_eq!(score(r, w).0, Some(6.5));
        r[4] = "0";
        assert_eq!(score(r, w), (Some(5.5), Some(Mmas8Category::Low)));
        let mut r = best;
        r[7] = "B";
        assert_eq!(score(r, w).0, Some(7.75));
        assert_eq!(score(r, Item8Scoring::Dichotomised).0, Some(7.0));
        r[7] = "0.25";
        assert_eq!(score(r, w).0, Some(7.25));
    }

    #[test]
    fn bad_and_missing_answers() {
        let m = Mmas8::default();
        let mut row = ["no", "no", "no", "no", "yes", "no", "no", "F"].map(Some);
        let e = m.score_answers(&row).unwrap_err();
        assert!(e.to_string().starts_with("MMAS-8 item 8: \"F\""), "{e}");
        row[7] = Some("0.3");
        assert!(m.score_answers(&row).is_err());
        row[7] = Some("A");
        row[2] = Some("maybe");
        assert!(
            m.score_answers(&row)
                .unwrap_err()
                .to_string()
                .contains("item 3")
        );
        row[2] = None;
        assert_eq!(m.score_answers(&row).unwrap().score, None);
        assert!(m.score_answers(&row[..7]).is_err());
    }

    proptest! {
        #[test]
        fn score_in_range_and_monotone_after_reverse_keying(
            yes in prop::array::uniform7(any::<bool>()), opt in 0u8..5, k in 0usize..8
        ) {
            let m = Mmas8::default();
            let resp = trialstats_instruments::Mmas8Response { yes: yes.map(Some), item8: Some(opt) };
            let s = m.score_response(&resp).score.unwrap();
            prop_assert!((0.0..=8.0).contains(&s));
            // One step towards adherence: "no" on items 1–4, 6, 7; "yes" on item 5; an earlier
            // option on item 8.
            let mut better = resp;
            if k == 7 {
                better.item8 = Some(opt.saturating_sub(1));
            } else {
                better.yes[k] = Some(k == 4);
            }
            prop_assert!(m.score_response(&better).score.unwrap() >= s);
        }
    }
}

proptest! {
    #[test]
    fn phq9_total_in_range_and_monotone(items in prop::array::uniform9(0u8..=3), k in 0usize..9) {
        let codes = items.map(|c| Some(f64::from(c)));
        let s = phq(codes, MissingPolicy::Reject);
        let t = s.total.unwrap();
        prop_assert!((0.0..=27.0).contains(&t));
        if items[k] < 3 {
            let mut up = codes;
            up[k] = Some(f64::from(items[k] + 1));
            let s2 = phq(up, MissingPolicy::Reject);
            prop_assert!(s2.total.unwrap() > t);
            prop_assert!(s2.severity.unwrap() >= s.severity.unwrap());
        }
    }

    #[test]
    fn dds_means_in_range_and_monotone(items in prop::array::uniform17(1u8..=6), k in 0usize..17) {
        let mut r = DdsResponse::new();
        for (i, v) in DdsItem::ALL.iter().zip(items) {
            r.set(*i, Some(f64::from(v))).unwrap();
        }
        let s = Dds::new(DdsVersion::Dds17).score_response(&r);
        let m = s.mean.unwrap();
        prop_assert!((1.0..=6.0).contains(&m));
        if items[k] < 6 {
            r.set(DdsItem::ALL[k], Some(f64::from(items[k] + 1))).unwrap();
            let s2 = Dds::new(DdsVersion::Dds17).score_response(&r);
            prop_assert!(s2.mean.unwrap() > m);
        }
    }

    #[test]
    fn sdsca_scales_in_range_and_monotone_after_reversal(days in prop::array::uniform10(0u8..=7), k in 0usize..10) {
        let mut codes: Vec<Option<f64>> = days.iter().map(|&d| Some(f64::from(d))).collect();
        codes.extend([Some(0.0), Some(0.0)]);
        let s = Sdsca::score_response(&SdscaResponse::from_codes(&codes).unwrap());
        let scales = |s: &trialstats_instruments::SdscaScore| {
            [s.general_diet, s.specific_diet, s.exercise, s.blood_glucose_testing, s.foot_care]
                .map(Option::unwrap)
        };
        for v in scales(&s) {
            prop_assert!((0.0..=7.0).contains(&v));
        }
        if days[k] < 7 {
            codes[k] = Some(f64::from(days[k] + 1));
            let s2 = Sdsca::score_response(&SdscaResponse::from_codes(&codes).unwrap());
            let (a, b) = (scales(&s)[k / 2], scales(&s2)[k / 2]);
            // Item 4 (index 3) is reverse-keyed: more high-fat days lower the specific-diet score.
            if k == 3 { prop_assert!(b < a); } else { prop_assert!(b > a); }
        }
    }
}
