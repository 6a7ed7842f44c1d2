//! NIST Statistical Reference Datasets for linear least squares (StRD), certified values.
//!
//! Source: NIST/ITL StRD, "Linear Least Squares Regression", all eleven datasets (Norris,
//! Pontius, NoInt1, NoInt2, Filip, Longley, Wampler1–5), certified to 15 significant digits; the
//! files in `data/nist/` are NIST's own (provenance in `data/nist/README.md`).
//!
//! The measure is NIST's log relative error, LRE = −log₁₀(|got − want|/|want|) (−log₁₀|got| when
//! the certified value is 0), the number of correct significant digits, taken over every
//! certified estimate, standard deviation of an estimate, the residual standard deviation and
//! R². We require at least 11 on every dataset but Filip, and at least 7 on Filip: its degree-10
//! polynomial has κ(X) ≈ 1.7·10¹⁵ unscaled (R's `lm` declares it rank deficient, though it is not
//! in exact arithmetic). A backward-stable solver alone keeps about 16 − log₁₀ κ digits; the
//! fit's iterative refinement with residuals in double-double arithmetic recovers the rest.

// Test code: a failed unwrap is a failed test, reported with its value.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use trialstats_core::Level;
use trialstats_core::nalgebra::DMatrix;
use trialstats_robust::{Ols, Vcov};

/// Log relative error: the number of correct significant digits (capped at 15, NIST's digits).
fn lre(got: f64, want: f64) -> f64 {
    let e = if want.abs() == 0.0 {
        got.abs()
    } else {
        (got - want).abs() / want.abs()
    };
    if e.abs() == 0.0 {
        15.0
    } else {
        (-e.log10()).min(15.0)
    }
}

/// One dataset: certified (estimate, sd) per parameter, residual sd, R², and the data (y, x…).
struct Strd {
    params: Vec<(f64, f64)>,
    residual_sd: f64,
    r_squared: f64,
    rows: Vec<Vec<f64>>,
}

fn num(s: &str) -> f64 {
    s.parse().unwrap_or_else(|_| panic!("not a number: {s:?}"))
}

/// Reads a NIST .dat file: the certified block, then the data from the line the header names.
fn read(text: &str) -> Strd {
    let lines: Vec<&str> = text.lines().collect();
    let data_line = lines
        .iter()
        .find_map(|l| {
            let l = l.trim();
            let rest = l.strip_prefix("Data")?.trim().strip_prefix("(lines")?;
            rest.split_whitespace().next()?.parse::<usize>().ok()
        })
        .expect("the header names the data lines");
    let mut params = Vec::new();
    let (mut residual_sd, mut r_squared) = (None, None);
    for l in &lines[..data_line - 1] {
        let f: Vec<&str> = l.split_whitespace().collect();
        match f.as_slice() {
            [b, est, sd] if b.starts_with('B') && b[1..].parse::<usize>().is_ok() => {
                params.push((num(est), num(sd)));
            }
            ["Standard", "Deviation", v] => residual_sd = Some(num(v)),
            ["R-Squared", v] => r_squared = Some(num(v)),
            _ => {}
        }
    }
    let rows = lines[data_line - 1..]
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split_whitespace().map(num).collect())
        .collect();
    Strd {
        params,
        residual_sd: residual_sd.unwrap(),
        r_squared: r_squared.unwrap(),
        rows,
    }
}

/// The design: powers 0..=degree of x (without the 0th when `intercept` is false), or the
/// columns as given with an intercept (Longley).
fn design(s: &Strd, degree: Option<usize>, intercept: bool) -> (DMatrix<f64>, Vec<f64>) {
    let y: Vec<f64> = s.rows.iter().map(|r| r[0]).collect();
    let n = s.rows.len();
    let x = match degree {
        Some(d) => {
            let first = usize::from(!intercept);
            DMatrix::from_fn(n, d + 1 - first, |i, j| {
                s.rows[i][1].powi((j + first) as i32)
            })
        }
        None => {
            let p = s.rows[0].len() - 1;
            DMatrix::from_fn(n, p + 1, |i, j| if j == 0 { 1.0 } else { s.rows[i][j] })
        }
    };
    (x, y)
}

/// The smallest LRE over every certified value, with what it was.
fn check(name: &str, text: &str, degree: Option<usize>, intercept: bool) -> (f64, String) {
    let s = read(text);
    let (x, y) = design(&s, degree, intercept);
    assert_eq!(x.ncols(), s.params.len(), "{name}: parameters");
    let fit = Ols::new(&x, &y).unwrap().fit().unwrap();
    let inf = fit.infer(&Vcov::Iid, Level::P95).unwrap();
    let mut worst = (f64::INFINITY, String::new());
    let mut see = |what: String, got: f64, want: f64| {
        let d = lre(got, want);
        if d < worst.0 {
            worst = (d, format!("{what}: {got:e} v. certified {want:e}"));
        }
    };
    for (j, &(b, sd)) in s.params.iter().enumerate() {
        see(format!("B{j}"), fit.coefficients()[j], b);
        see(format!("sd(B{j})"), inf.coefficients[j].std_error, sd);
    }
    see("residual sd".into(), fit.sigma2().sqrt(), s.residual_sd);
    see("R²".into(), fit.r_squared(), s.r_squared);
    worst
}

macro_rules! strd {
    ($test:ident, $file:literal, $degree:expr, $intercept:expr, $min:expr) => {
        #[test]
        fn $test() {
            let (lre, what) = check(
                $file,
                include_str!(concat!("../data/nist/", $file, ".dat")),
                $degree,
                $intercept,
            );
            assert!(lre >= $min, "{}: LRE {lre:.1} < {} at {what}", $file, $min);
        }
    };
}

strd!(norris, "Norris", Some(1), true, 11.0);
strd!(pontius, "Pontius", Some(2), true, 11.0);
strd!(noint1, "NoInt1", Some(1), false, 11.0);
strd!(noint2, "NoInt2", Some(1), false, 11.0);
strd!(filip, "Filip", Some(10), true, 7.0);

#[test]
fn filip_says_which_column_r_would_drop() {
    // R's lm (tolerance 1e-7) reports NA for x¹⁰; the fit is made and says so.
    let s = read(include_str!("../data/nist/Filip.dat"));
    let (x, y) = design(&s, Some(10), true);
    let names: Vec<String> = (0..=10).map(|j| format!("x{j}")).collect();
    let fit = Ols::new(&x, &y)
        .unwrap()
        .names(&names)
        .unwrap()
        .fit()
        .unwrap();
    let inf = fit.infer(&Vcov::Iid, Level::P95).unwrap();
    assert!(
        inf.notes
            .iter()
            .any(|n| n.starts_with("R's lm would report NA for `x10`")),
        "{:?}",
        inf.notes
    );
    // A design that is singular in exact arithmetic is still refused, naming the column.
    let mut dup = x.clone().insert_column(11, 0.0);
    let col = dup.column(1).clone_owned() * 2.0;
    dup.set_column(11, &col);
    let mut names = names;
    names.push("twice_x1".into());
    let e = Ols::new(&dup, &y)
        .unwrap()
        .names(&names)
        .unwrap()
        .fit()
        .unwrap_err();
    assert!(e.to_string().contains("`twice_x1`"), "{e}");
}
strd!(longley, "Longley", None, true, 11.0);
strd!(wampler1, "Wampler1", Some(5), true, 11.0);
strd!(wampler2, "Wampler2", Some(5), true, 11.0);
strd!(wampler3, "Wampler3", Some(5), true, 11.0);
strd!(wampler4, "Wampler4", Some(5), true, 11.0);
strd!(wampler5, "Wampler5", Some(5), true, 11.0);

/// The smallest LRE of every dataset, printed with `cargo test -- --nocapture` (the figures of
/// the closing note).
#[test]
fn report() {
    for (name, text, degree, intercept) in [
        (
            "Norris",
            include_str!("../data/nist/Norris.dat"),
            Some(1),
            true,
        ),
        (
            "Pontius",
            include_str!("../data/nist/Pontius.dat"),
            Some(2),
            true,
        ),
        (
            "NoInt1",
            include_str!("../data/nist/NoInt1.dat"),
            Some(1),
            false,
        ),
        (
            "NoInt2",
            include_str!("../data/nist/NoInt2.dat"),
            Some(1),
            false,
        ),
        (
            "Filip",
            include_str!("../data/nist/Filip.dat"),
            Some(10),
            true,
        ),
        (
            "Longley",
            include_str!("../data/nist/Longley.dat"),
            None,
            true,
        ),
        (
            "Wampler1",
            include_str!("../data/nist/Wampler1.dat"),
            Some(5),
            true,
        ),
        (
            "Wampler2",
            include_str!("../data/nist/Wampler2.dat"),
            Some(5),
            true,
        ),
        (
            "Wampler3",
            include_str!("../data/nist/Wampler3.dat"),
            Some(5),
            true,
        ),
        (
            "Wampler4",
            include_str!("../data/nist/Wampler4.dat"),
            Some(5),
            true,
        ),
        (
            "Wampler5",
            include_str!("../data/nist/Wampler5.dat"),
            Some(5),
            true,
        ),
    ] {
        let r = std::panic::catch_unwind(|| check(name, text, degree, intercept));
        match r {
            Ok((lre, what)) => println!("{name:9} min LRE {lre:5.1} ({what})"),
            Err(_) => println!("{name:9} failed"),
        }
    }
}
