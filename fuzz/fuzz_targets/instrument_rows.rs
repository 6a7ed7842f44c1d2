//! Every scorer must score or reject any row of text answers without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trialstats_instruments::eq5d::{HealthState, Version, value_sets};
use trialstats_instruments::{Dds, DdsVersion, Eq5d, Instrument, Mmas8, Phq9, Sdsca};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
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
            let _ = e.score_answers(&fields);
            let _ = e.from_state_column().score_answers(&fields);
        }
    }
    for v in [Version::ThreeLevel, Version::FiveLevel] {
        let _ = HealthState::parse(text, v, "fuzz");
    }
});
