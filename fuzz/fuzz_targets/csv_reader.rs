//! The CSV reader must return a table or an error for any bytes, never panic; a table it returns
//! must write back to CSV and read back to the same table.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trialstats_data::DataTable;

fuzz_target!(|data: &[u8]| {
    if let Ok(t) = DataTable::from_csv_reader("fuzz.csv", data) {
        let csv = t.to_csv();
        let back = DataTable::from_csv_str("fuzz.csv", &csv).expect("a written table reads back");
        assert_eq!(back.to_csv(), csv);
    }
});
