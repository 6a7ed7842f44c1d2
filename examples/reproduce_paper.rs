//! The main job of the workspace: the whole published analysis plan of the Australasian Peers for
//! Progress diabetes trial (Riddell et al. 2016, BMC Public Health, doi:10.1186/s12889-016-3538-3)
//! on the embedded default data — the seeded simulator's trial — or on your own data, reported as
//! the paper reports it, next to every published number. It runs the embedded analysis plan
//! `riddell2016` (`trialstats run riddell2016` is the same run): Stata 13's conventions, every
//! choice the paper leaves open an assumption, with its alternatives run side by side.
//!
//! ```sh
//! cargo run --release --example reproduce_paper                          # simulated trial, seed 2016
//! cargo run --release --example reproduce_paper -- --data mytrial.dta    # your data (CSV, .dta, Parquet, Excel)
//! cargo run --release --example reproduce_paper -- --out report/ --seed 7
//! ```
//! Prints the tables; writes `report.md`, `report.html` (self-contained, with the figures),
//! `flow.svg`, `forest.svg`, every table as CSV twice (as printed, and `*_numeric.csv` with the
//! numbers in their own columns at full precision), `effects.csv` and `results.json` to `--out` (default
//! `target/reproduce/`). Same data and seed, same bytes. `--quick` uses 999 bootstrap draws and
//! 5 imputations (for CI).

use std::error::Error;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use trialstats::data::{DataTable, ReadOptions};
use trialstats::paper::{Options, default_data, reproduce};
use trialstats::plan::report::{files, text};

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| -> Option<String> {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let quick = args.iter().any(|a| a == "--quick");
    let seed: u64 = match value("--seed") {
        Some(s) => s
            .parse()
            .map_err(|_| format!("--seed takes a whole number, not `{s}`"))?,
        None => 2016,
    };
    let out = PathBuf::from(value("--out").unwrap_or_else(|| "target/reproduce".into()));
    let table = match value("--data") {
        Some(path) => DataTable::read(std::path::Path::new(&path), &ReadOptions::default())?,
        None => default_data(seed)?,
    };
    let opts = Options { seed, quick };
    let terminal = std::io::stderr().is_terminal();
    let mut progress = |step: &str, done: usize, total: usize| {
        if terminal {
            let mut e = std::io::stderr().lock();
            let _ = write!(e, "\r\x1b[2K[{done}/{total}] {step}");
            if done == total {
                let _ = writeln!(e);
            }
            let _ = e.flush();
        }
    };
    let report = reproduce(&table, &opts, &mut progress)?;
    print!("{}", text(&report));
    std::fs::create_dir_all(&out)?;
    let written = files(&report)?;
    for (name, contents) in &written {
        std::fs::write(out.join(name), contents)?;
    }
    println!(
        "\nWrote {} files to {} (open report.html in a browser).",
        written.len(),
        out.display()
    );
    Ok(())
}
