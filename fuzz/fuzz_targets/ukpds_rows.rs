//! The UKPDS row parser (profile builder and both equations) must return a risk in [0, 1] or an
//! error for any inputs, never panic or NaN.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trialstats_ukpds::{Equation, ProfileBuilder};

fuzz_target!(|data: &[u8]| {
    if data.len() < 80 {
        return;
    }
    let f = |i: usize| f64::from_le_bytes(data[8 * i..8 * i + 8].try_into().expect("8 bytes"));
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
});
