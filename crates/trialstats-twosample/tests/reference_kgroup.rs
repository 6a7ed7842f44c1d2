//! Against R 4.2.2: the exact Wilcoxon interval at larger n, tests with more than two groups,
//! and Fisher's exact test on r × c tables. The script is `data/kgroup.R` and its output
//! `data/kgroup.out` (every number printed with `sprintf("%.17g")`); the data are the CSV files
//! beside them (R wrote them, and the tests read the same files).
//!
//! Tolerances: 1e−9 relative for closed forms (R's own are exact to rounding), 1e−6 for Fisher
//! (R's FEXACT compares table probabilities with a relative tolerance of 1e−7), and the exact
//! interval's limits exactly (they are data values: differences x_i − y_j).

// Test code: a failed unwrap is a failed test, reported with its value.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use trialstats_core::Level;
use trialstats_core::testing::Tol;
use trialstats_twosample::{Continuity, Exact, Variances};
use trialstats_twosample::{MannWhitney, hodges_lehmann, wilcox_test};

fn two_columns(text: &str) -> (Vec<f64>, Vec<f64>) {
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for line in text.lines().skip(1) {
        let mut f = line.split(',').map(|v| v.trim().parse::<f64>().unwrap());
        x.push(f.next().unwrap());
        y.push(f.next().unwrap());
    }
    (x, y)
}

#[test]
fn exact_wilcoxon_interval_at_n_400_is_fast_and_matches_r() {
    // R: r <- wilcox.test(x, y, exact = TRUE, conf.int = TRUE) on data/wilcox400.csv (no ties):
    // W = 90119, p = 0.0019347988622133274, estimate 0.222775, CI 0.08042 to 0.36874; R took
    // 312 s here. Found by the CLI fault campaign: n = 200 ran > 60 s (the distribution was
    // recomputed for every candidate quantile), n = 2,000 > 1.5 GB.
    let (x, y) = two_columns(include_str!("data/wilcox400.csv"));
    assert_eq!((x.len(), y.len()), (400, 400));
    let r = wilcox_test(&x, &y, Exact::Always, Continuity::Corrected).unwrap();
    assert_eq!(r.statistic, Some(90119.0));
    Tol::rel(1e-9)
        .check("p", r.p_value, 0.0019347988622133274)
        .unwrap();
    let (est, (lo, hi)) =
        hodges_lehmann(&x, &y, Level::P95, Exact::Always, Continuity::Corrected).unwrap();
    Tol::rel(1e-12).check("estimate", est, 0.222775).unwrap();
    Tol::rel(1e-12)
        .check("ci low", lo, 0.080419999999999991)
        .unwrap();
    Tol::rel(1e-12)
        .check("ci high", hi, 0.36873999999999996)
        .unwrap();
}

#[test]
fn exact_wilcoxon_at_n_50_matches_r() {
    // R: wilcox.test(x, y, exact = TRUE, conf.int = TRUE, conf.level = 0.95 / 0.9) on
    // data/wilcox50.csv: W = 1350, p = 0.49440965731377218, estimate 0.162695, CI (0.95)
    // −0.25306 to 0.56968, CI (0.9) −0.19898 to 0.49165.
    let (x, y) = two_columns(include_str!("data/wilcox50.csv"));
    let r = wilcox_test(&x, &y, Exact::Always, Continuity::Corrected).unwrap();
    assert_eq!(r.statistic, Some(1350.0));
    Tol::rel(1e-9)
        .check("p", r.p_value, 0.49440965731377218)
        .unwrap();
    let (est, (lo, hi)) =
        hodges_lehmann(&x, &y, Level::P95, Exact::Always, Continuity::Corrected).unwrap();
    Tol::rel(1e-12)
        .check("estimate", est, 0.16269499999999998)
        .unwrap();
    Tol::rel(1e-12)
        .check("ci low", lo, -0.25306000000000006)
        .unwrap();
    Tol::rel(1e-12)
        .check("ci high", hi, 0.56967999999999996)
        .unwrap();
    let (_, (lo, hi)) =
        hodges_lehmann(&x, &y, Level::P90, Exact::Always, Continuity::Corrected).unwrap();
    Tol::rel(1e-12)
        .check("ci low 0.9", lo, -0.19897999999999999)
        .unwrap();
    Tol::rel(1e-12)
        .check("ci high 0.9", hi, 0.49165000000000003)
        .unwrap();
    // The normal approximation, found as R finds it (uniroot at tol.root = 1e−4, step for step):
    // estimate 0.16230550681023126, interval −0.25311519274010996 to 0.56970783316541995. The
    // estimate is the root of the statistic without the continuity correction (R sets correct <-
    // FALSE before it), and its zero set is the interval between the 1250th and 1251st
    // differences (0.16196 and 0.16343): R's estimate is the point its iteration reaches.
    let (est, (lo, hi)) =
        hodges_lehmann(&x, &y, Level::P95, Exact::Never, Continuity::Corrected).unwrap();
    Tol::rel(1e-12)
        .check("approx estimate", est, 0.16230550681023126)
        .unwrap();
    Tol::rel(1e-12)
        .check("approx low", lo, -0.25311519274010996)
        .unwrap();
    Tol::rel(1e-12)
        .check("approx high", hi, 0.56970783316541995)
        .unwrap();
}

#[test]
fn mann_whitney_distribution_against_its_recursion() {
    // The Gaussian-binomial construction against R's cwilcox recursion
    // f(k; m, n) = f(k − n; m − 1, n) + f(k; m, n − 1), counted exactly in integers.
    for (m, n) in [(1, 1), (1, 7), (3, 4), (5, 5), (8, 3), (12, 17)] {
        let mut table = vec![vec![vec![0u128; m * n + 1]; n + 1]; m + 1];
        for (mm, row) in table.iter_mut().enumerate() {
            for (nn, f) in row.iter_mut().enumerate() {
                if mm == 0 || nn == 0 {
                    f[0] = 1;
                }
            }
        }
        for mm in 1..=m {
            for nn in 1..=n {
                for k in 0..=mm * nn {
                    let a = if k >= nn {
                        table[mm - 1][nn][k - nn]
                    } else {
                        0
                    };
                    let b = if k <= mm * (nn - 1) {
                        table[mm][nn - 1][k]
                    } else {
                        0
                    };
                    table[mm][nn][k] = a + b;
                }
            }
        }
        let counts = &table[m][n];
        let total: u128 = counts.iter().sum();
        let d = MannWhitney::new(m, n).unwrap();
        let mut acc = 0u128;
        for (k, c) in counts.iter().enumerate() {
            acc += c;
            let want = acc as f64 / total as f64;
            Tol::rel(1e-14)
                .check(&format!("P(W ≤ {k}; {m}, {n})"), d.cdf(k as f64), want)
                .unwrap();
        }
        // Symmetric in m and n.
        let e = MannWhitney::new(n, m).unwrap();
        for k in 0..=m * n {
            Tol::rel(1e-14)
                .check("swap", e.cdf(k as f64), d.cdf(k as f64))
                .unwrap();
        }
    }
}

#[test]
fn the_exact_distribution_is_bounded() {
    assert!(MannWhitney::new(2000, 2000).is_err());
    let e = wilcox_test(&[0.5], &[0.1], Exact::Always, Continuity::Corrected);
    assert!(e.is_ok());
}

#[test]
fn mann_whitney_400_by_400_against_exact_integers() {
    // P(W ≤ k) for m = n = 400 from the same product computed in exact integer arithmetic
    // (Python 3.11 integers: c[k] = p[k] − p[k − n − i] + c[k − i], i = 1..400, divided by
    // C(800, 400) with fractions.Fraction, then rounded once to a double). In double precision
    // this construction loses about 6 digits near the centre at this size; in double-double it
    // keeps every digit.
    let d = MannWhitney::new(400, 400).unwrap();
    for (k, want) in [
        (0usize, 5.317948384759284e-240),
        (10, 7.391948254815404e-238),
        (1000, 3.2586595329753676e-207),
        (60391, 7.791513748994123e-10),
        (66927, 3.0361066457683892e-05),
        (73463, 0.02272245118394601),
        (76731, 0.15871110158861707),
        (79990, 0.4988409480438405),
        (80000, 0.50006100282002),
    ] {
        Tol::rel(1e-14)
            .check(&format!("P(W ≤ {k})"), d.cdf(k as f64), want)
            .unwrap();
    }
    // Above the centre, by symmetry: P(W ≤ mn − 1 − k) = 1 − P(W ≤ k).
    Tol::rel(1e-14)
        .check(
            "upper",
            d.cdf(160_000.0 - 1.0 - 73463.0),
            1.0 - 0.02272245118394601,
        )
        .unwrap();
}

fn table(text: &str) -> Vec<Vec<f64>> {
    text.lines()
        .skip(1)
        .map(|l| {
            l.split(',')
                .map(|v| v.trim().parse::<f64>().unwrap())
                .collect()
        })
        .collect()
}

#[test]
fn fisher_r_by_c_matches_r() {
    // R: fisher.test(T, workspace = 2e8)$p.value on data/table_T*.csv (R took 0.06 s on T2,
    // 104 s on T6).
    use trialstats_twosample::fisher_test;
    for (name, text, want) in [
        (
            "T1 3×3",
            include_str!("data/table_T1.csv"),
            0.28236022876835382,
        ),
        (
            "T2 10×2",
            include_str!("data/table_T2.csv"),
            0.0032795581442576814,
        ),
        (
            "T3 2×5",
            include_str!("data/table_T3.csv"),
            0.071167738350400161,
        ),
        (
            "T4 4×3",
            include_str!("data/table_T4.csv"),
            0.057119290112840247,
        ),
        (
            "T5 3×4",
            include_str!("data/table_T5.csv"),
            0.0087595014558034725,
        ),
    ] {
        let t = table(text);
        let r = fisher_test(&t, Level::P95).unwrap();
        assert_eq!(r.method, "Fisher's Exact Test for Count Data", "{name}");
        Tol::rel(1e-6).check(name, r.p_value, want).unwrap();
    }
}

#[test]
fn fisher_beyond_the_workspace_is_a_seeded_monte_carlo_p() {
    // T6 (30 × 2, n = 329). Here the network stops at its workspace (about a second) and the
    // p-value is simulated (100,000 tables, seed 1), the same on every run. R's simulation,
    // `set.seed(1); fisher.test(T6, simulate.p.value = TRUE, B = 1e5)$p.value`, gives
    // 0.04915951: ours must agree within 5 SDs of the difference of two such simulations
    // (√(2·p(1 − p)/1e5) ≈ 9.7e−4). R's "exact" FEXACT answer with workspace = 2e8 (104 s),
    // 0.00019582144131277205, is not the exact p-value: both simulations and Pearson's
    // χ² (p = 0.054) contradict it; FEXACT is known to misbehave on large sparse 2 × k tables.
    // Found by the CLI fault campaign: 10 × 2 with n = 100 ran over 30 s and 200 × 2 over 110 s
    // by full enumeration.
    use trialstats_twosample::{FisherControl, MonteCarlo, fisher_test_with};
    let t = table(include_str!("data/table_T6.csv"));
    // A smaller workspace than the default (4e6) keeps the test quick in a debug build; the
    // default is exceeded too (the method names it).
    let control = FisherControl {
        workspace: 200_000,
        fallback: Some(MonteCarlo {
            reps: 100_000,
            seed: 1,
        }),
    };
    let r = fisher_test_with(&t, Level::P95, &control).unwrap();
    assert!(
        r.method
            .contains("simulated p-value (based on 100000 replicates, seed 1"),
        "{}",
        r.method
    );
    let r_sim = 0.04915951;
    let sd = (2.0 * r_sim * (1.0 - r_sim) / 100_000.0f64).sqrt();
    assert!(
        (r.p_value - r_sim).abs() < 5.0 * sd,
        "{} v. {r_sim}",
        r.p_value
    );
    assert_eq!(r, fisher_test_with(&t, Level::P95, &control).unwrap());
    // Without a fallback, a typed error.
    let none = FisherControl {
        fallback: None,
        ..control
    };
    assert!(fisher_test_with(&t, Level::P95, &none).is_err());
    // The 200 × 2 shape: answered, not a hang.
    let big: Vec<Vec<f64>> = (0..200)
        .map(|i| vec![(i % 5 + 1) as f64, ((3 * i) % 7 + 1) as f64])
        .collect();
    let quick = FisherControl {
        fallback: Some(MonteCarlo {
            reps: 2000,
            seed: 1,
        }),
        ..control
    };
    let r = fisher_test_with(&big, Level::P95, &quick).unwrap();
    assert!(r.method.contains("simulated"), "{}", r.method);
    assert!((0.0..=1.0).contains(&r.p_value));
}

/// Groups of `y` by `g` from a CSV with columns y,g (levels in order of first appearance).
fn groups(text: &str) -> Vec<Vec<f64>> {
    let mut names: Vec<String> = Vec::new();
    let mut out: Vec<Vec<f64>> = Vec::new();
    for line in text.lines().skip(1) {
        let mut f = line.split(',');
        let y: f64 = f.next().unwrap().trim().parse().unwrap();
        let g = f.next().unwrap().trim().trim_matches('"').to_string();
        match names.iter().position(|n| *n == g) {
            Some(i) => out[i].push(y),
            None => {
                names.push(g);
                out.push(vec![y]);
            }
        }
    }
    out
}

#[test]
fn kruskal_wallis_and_anova_match_r() {
    use trialstats_twosample::{kruskal_wallis, oneway};
    // R: kruskal.test(y ~ g); the uncorrected statistic by hand (Stata's kwallis prints both);
    // oneway.test(y ~ g, var.equal = TRUE) and oneway.test(y ~ g) on data/kw3.csv (3 groups,
    // ties) and data/kw4.csv (4 groups of 10).
    let cases = [
        (
            include_str!("data/kw3.csv"),
            [
                0.21070315976857426,
                0.90000804223211694,
                0.20939849624059548,
            ],
            [0.34729939476318666, 2.0, 15.0, 0.71212758274432442],
            [
                0.37600458162719375,
                2.0,
                7.9910153391434458,
                0.69813039156660928,
            ],
        ),
        (
            include_str!("data/kw4.csv"),
            [3.0414425427872978, 0.38527958242478927, 3.0340243902439141],
            [1.2282409779664736, 3.0, 36.0, 0.31358702923794435],
            [
                1.0199681492828963,
                3.0,
                19.928075362416582,
                0.40480920526783559,
            ],
        ),
    ];
    for (text, kw, aov, welch) in cases {
        let g = groups(text);
        let slices: Vec<&[f64]> = g.iter().map(Vec::as_slice).collect();
        let k = kruskal_wallis(&slices).unwrap();
        let tol = Tol::rel(1e-9);
        tol.check("H", k.test.statistic.unwrap(), kw[0]).unwrap();
        tol.check("p", k.test.p_value, kw[1]).unwrap();
        tol.check("H without ties", k.uncorrected, kw[2]).unwrap();
        assert_eq!(k.test.df, Some((g.len() - 1) as f64));
        for (r, want) in [
            (oneway(&slices, Variances::Equal).unwrap(), aov),
            (oneway(&slices, Variances::Unequal).unwrap(), welch),
        ] {
            tol.check("F", r.statistic.unwrap(), want[0]).unwrap();
            tol.check("df1", r.df.unwrap(), want[1]).unwrap();
            tol.check("df2", r.df2.unwrap(), want[2]).unwrap();
            tol.check("p", r.p_value, want[3]).unwrap();
        }
    }
}

#[test]
fn chisq_r_by_c_matches_r() {
    // R: chisq.test(T, correct = FALSE) (Pearson, as Stata's tabulate, chi2): statistic, df, p.
    use trialstats_twosample::chisq_test;
    for (name, text, stat, df, p) in [
        (
            "T1",
            include_str!("data/table_T1.csv"),
            5.3250000000000011,
            4.0,
            0.25554569864697468,
        ),
        (
            "T2",
            include_str!("data/table_T2.csv"),
            24.0,
            9.0,
            0.0043013108435008673,
        ),
        (
            "T3",
            include_str!("data/table_T3.csv"),
            9.0586363636363636,
            4.0,
            0.059650445117464673,
        ),
        (
            "T4",
            include_str!("data/table_T4.csv"),
            11.660634920634919,
            6.0,
            0.06998221865244561,
        ),
        (
            "T5",
            include_str!("data/table_T5.csv"),
            17.176007100270773,
            6.0,
            0.0086576995608302967,
        ),
        (
            "T6",
            include_str!("data/table_T6.csv"),
            42.210553877877736,
            29.0,
            0.053757720431083844,
        ),
    ] {
        let r = chisq_test(&table(text), Continuity::Uncorrected).unwrap();
        let tol = Tol::rel(1e-9);
        tol.check(name, r.statistic.unwrap(), stat).unwrap();
        assert_eq!(r.df, Some(df), "{name}");
        tol.check(name, r.p_value, p).unwrap();
    }
}
