//! Design matrices from R-style formulas on the embedded public datasets.
//!
//! Shows what every model of the workspace starts from: `rating ~ temp + contact` on the `wine`
//! data of R package ordinal (Randall 1989), and `y ~ x` on Petersen's (2009) clustered-SE test
//! data with firms as clusters. Run with `cargo run --release --example design_matrix`
//! (`-- --quick` is accepted for CI and changes nothing here: the example is already quick).

use std::error::Error;

use trialstats::core::Table;
use trialstats::core::table::{Align, fmt_num};
use trialstats::data::{Formula, FrameOptions, ModelFrame, datasets};

fn describe(mf: &ModelFrame) -> Table {
    let mut t = Table::new(&["column", "mean", "min", "max"]);
    t.set_align(0, Align::Left);
    for (j, name) in mf.column_names.iter().enumerate() {
        let c = mf.x.column(j);
        t.push_row(vec![
            name.clone(),
            fmt_num(c.mean(), 5),
            fmt_num(c.min(), 5),
            fmt_num(c.max(), 5),
        ]);
    }
    t.title = Some(format!(
        "{}: {} rows used, {} dropped",
        mf.formula,
        mf.nobs(),
        mf.dropped.count()
    ));
    t.notes.extend(mf.warnings.iter().cloned());
    t
}

fn main() -> Result<(), Box<dyn Error>> {
    let wine = datasets::wine()?;
    let f = Formula::parse("rating ~ temp + contact")?;
    let mf = ModelFrame::new(&wine, &f, &FrameOptions::default())?;
    println!("{}", describe(&mf));

    let petersen = datasets::petersen()?;
    let f = Formula::parse("y ~ x")?;
    let opts = FrameOptions {
        clusters: vec!["firm".into(), "year".into()],
        ..FrameOptions::default()
    };
    let mf = ModelFrame::new(&petersen, &f, &opts)?;
    println!("{}", describe(&mf));
    for c in &mf.clusters {
        println!(
            "clusters `{}`: G = {}, sizes {}–{}",
            c.name(),
            c.n_clusters(),
            c.sizes().iter().min().unwrap_or(&0),
            c.sizes().iter().max().unwrap_or(&0)
        );
    }

    let nhanes = datasets::nhanes2()?;
    let f = Formula::parse("chl ~ age + hyp + bmi")?;
    let mf = ModelFrame::new(&nhanes, &f, &FrameOptions::default())?;
    println!("\n{}", describe(&mf));
    Ok(())
}
