//! The formula parser must accept or reject any text without panicking, and a parsed formula
//! must build a model frame (or a clear error) on a small table.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trialstats_data::{Column, DataTable, Formula, FrameOptions, ModelFrame};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
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
});
