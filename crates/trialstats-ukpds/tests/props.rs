//! Invariants: risk in [0, 1], non-decreasing in horizon, duration, age at diagnosis, HbA1c, SBP and
//! the lipid ratio.

// Test code: a failed unwrap is a failed test, reported with its value.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use trialstats_ukpds::{Equation, ProfileBuilder};

fn profile() -> impl Strategy<Value = ProfileBuilder> {
    (
        20.0f64..80.0,
        0.0f64..30.0,
        0..2u8,
        0..2u8,
        0..2u8,
        0..2u8,
        4.0f64..14.0,
        90.0f64..220.0,
        1.5f64..10.0,
    )
        .prop_map(|(age, dur, f, ac, s, af, h, sbp, r)| ProfileBuilder {
            age_at_diagnosis: age,
            duration: dur,
            female: f64::from(f),
            afro_caribbean: f64::from(ac),
            smoker: f64::from(s),
            atrial_fibrillation: f64::from(af),
            hba1c: h,
            sbp,
            tc_hdl: r,
        })
}

fn risk(eq: Equation, b: ProfileBuilder, t: f64) -> f64 {
    eq.risk(&b.build().unwrap(), t).unwrap().risk
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn monotone_and_bounded(b in profile(), t in 0.5f64..20.0, dt in 0.0f64..5.0) {
        for eq in [Equation::Chd, Equation::Stroke] {
            let r = risk(eq, b, t);
            prop_assert!((0.0..=1.0).contains(&r));
            prop_assert!(risk(eq, b, t + dt) >= r);
            let raised = [
                ProfileBuilder { duration: b.duration + dt, ..b },
                ProfileBuilder { age_at_diagnosis: b.age_at_diagnosis + dt, ..b },
                ProfileBuilder { hba1c: b.hba1c + dt, ..b },
                ProfileBuilder { sbp: b.sbp + dt * 10.0, ..b },
                ProfileBuilder { tc_hdl: b.tc_hdl + dt, ..b },
            ];
            for (j, p) in raised.iter().enumerate() {
                let higher = risk(eq, *p, t);
                prop_assert!(higher >= r, "{:?} covariate {}: {} < {}", eq, j, higher, r);
            }
        }
    }
}
