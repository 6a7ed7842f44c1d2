//! The ordered logit with nested random intercepts (community ⊃ participant, two times each)
//! against R: `ordinal::clmm(y ~ arm * time + x1 + (1 | community) + (1 | community:pid))`
//! (ordinal 2022.11.16, R 4.2.2) for the joint Laplace approximation, and a brute-force product
//! Gauss–Hermite rule (60 × 60 nodes, checked against 100 × 100) for the exact likelihood that
//! nested adaptive quadrature approximates. References made by `tests/data/make_nested_ref.R`
//! into `tests/data/reference_nested.txt`.
//!
//! The references' own inexactness: clmm's optimum (nlminb, inner mode search tightened to
//! gradTol 1e−10) is polished by Newton steps on the Laplace likelihood computed directly in the
//! script (numDeriv's Richardson derivatives; the polished optimum's gradient is recorded), and
//! the brute-force optimum likewise; standard errors come from numDeriv's Hessian there, ours
//! from second differences (about 1e−7 relative). Tolerances: 1e−6 on estimates, 1e−8 on
//! log-likelihoods, 1e−5 relative on SEs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use trialstats_core::Clusters;
use trialstats_core::nalgebra::DMatrix;
use trialstats_data::DataTable;
use trialstats_ordinal::{NestedClmm, OrdinalError, Quadrature};

fn refs() -> HashMap<String, Vec<f64>> {
    include_str!("data/reference_nested.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(" = "))
        .filter_map(|(k, v)| {
            let nums: Option<Vec<f64>> = v.split_whitespace().map(|x| x.parse().ok()).collect();
            nums.map(|n| (k.trim().to_owned(), n))
        })
        .collect()
}

fn get(r: &HashMap<String, Vec<f64>>, key: &str) -> Vec<f64> {
    r.get(key)
        .cloned()
        .unwrap_or_else(|| panic!("no reference {key}"))
}

/// `got` within `tol` (absolute) of R's `want` (core's comparison).
fn close(what: &str, got: f64, want: f64, tol: f64) {
    if let Err(e) = trialstats_core::testing::Tol::abs(tol).check(what, got, want) {
        panic!("{e}");
    }
}

struct Data {
    y: Vec<usize>,
    x: DMatrix<f64>,
    community: Clusters,
    pid: Clusters,
}

fn data() -> Data {
    let t =
        DataTable::from_csv_str("nested_trial.csv", include_str!("data/nested_trial.csv")).unwrap();
    let y = t.numeric("y").unwrap();
    let keep: Vec<usize> = (0..t.nrows()).filter(|&i| y[i].is_some()).collect();
    let num = |c: &str| -> Vec<f64> {
        let v = t.numeric(c).unwrap();
        keep.iter().map(|&i| v[i].unwrap()).collect()
    };
    let text = |c: &str| -> Vec<String> {
        let col = t.column(c).unwrap();
        keep.iter()
            .map(|&i| col.data.text(i).unwrap().to_string())
            .collect()
    };
    let (arm, time, x1) = (num("arm"), num("time"), num("x1"));
    let community = text("community");
    let pid: Vec<String> = community
        .iter()
        .zip(text("pid"))
        .map(|(c, p)| format!("{c}:{p}"))
        .collect();
    Data {
        y: keep.iter().map(|&i| y[i].unwrap() as usize - 1).collect(),
        x: DMatrix::from_fn(keep.len(), 4, |i, j| match j {
            0 => arm[i],
            1 => time[i],
            2 => x1[i],
            _ => arm[i] * time[i],
        }),
        community: Clusters::from_labels("community", &community).unwrap(),
        pid: Clusters::from_labels("community:pid", &pid).unwrap(),
    }
}

fn model(d: &Data, q: Quadrature) -> NestedClmm<'_> {
    NestedClmm::new(&d.y, &["1", "2", "3", "4"], &d.x, &d.community, &d.pid)
        .unwrap()
        .names(&["arm", "time", "x1", "arm:time"])
        .unwrap()
        .quadrature(q)
}

#[test]
fn the_laplace_fit_is_clmms() {
    let r = refs();
    let d = data();
    assert_eq!(d.y.len(), get(&r, "nobs")[0] as usize);
    let m = model(&d, Quadrature::Laplace);
    // The same approximation: our log-likelihood at R's polished optimum is the script's.
    let psi = get(&r, "laplace.psi");
    close(
        "Laplace log-likelihood at R's optimum",
        m.log_likelihood(&psi).unwrap(),
        get(&r, "laplace.loglik")[0],
        1e-9,
    );
    let fit = m.fit().unwrap();
    for (j, (got, want)) in fit.estimates().iter().zip(&psi).enumerate() {
        close(&fit.names()[j], *got, *want, 1e-6);
    }
    close(
        "log-likelihood",
        fit.loglik(),
        get(&r, "laplace.loglik")[0],
        1e-8,
    );
    assert!(fit.loglik() >= get(&r, "laplace.loglik")[0] - 1e-10);
    // clmm's own optimum (before the polish) is within its tolerance.
    close(
        "clmm's log-likelihood",
        fit.loglik(),
        get(&r, "clmm.loglik")[0],
        1e-6,
    );
    for (j, want) in get(&r, "laplace.se").iter().enumerate() {
        if want.is_finite() {
            close(
                &format!("se {}", fit.names()[j]),
                fit.vcov()[(j, j)].sqrt(),
                *want,
                1e-5 * want,
            );
        }
    }
}

#[test]
fn nested_quadrature_converges_to_the_exact_likelihood() {
    let r = refs();
    let d = data();
    // At a point away from the optima, the value with more nodes approaches the brute-force
    // integral (exact to ~1e−12 here).
    let psi2 = get(&r, "point2.psi");
    let exact = get(&r, "point2.brute")[0];
    let err = |nodes: usize| {
        (model(&d, Quadrature::Adaptive { nodes })
            .log_likelihood(&psi2)
            .unwrap()
            - exact)
            .abs()
    };
    let (e3, e7, e15) = (err(3), err(7), err(15));
    assert!(e15 < 1e-8 && e15 < e7 && e7 < e3, "{e3:e} {e7:e} {e15:e}");
    // The Laplace value there is the script's.
    close(
        "Laplace at point 2",
        model(&d, Quadrature::Laplace)
            .log_likelihood(&psi2)
            .unwrap(),
        get(&r, "point2.laplace")[0],
        1e-9,
    );
    // The fit with 15 nodes at each level is the brute-force optimum.
    let fit = model(&d, Quadrature::Adaptive { nodes: 15 }).fit().unwrap();
    let psib = get(&r, "brute.psi");
    for (j, (got, want)) in fit.estimates().iter().zip(&psib).enumerate() {
        close(&fit.names()[j], *got, *want, 1e-6);
    }
    close(
        "log-likelihood",
        fit.loglik(),
        get(&r, "brute.loglik")[0],
        1e-8,
    );
    for (j, want) in get(&r, "brute.se").iter().enumerate() {
        close(
            &format!("se {}", fit.names()[j]),
            fit.vcov()[(j, j)].sqrt(),
            *want,
            1e-5 * want,
        );
    }
}

#[test]
fn participants_in_two_communities_are_not_nested() {
    let d = data();
    let reused: Vec<String> = (0..d.y.len()).map(|i| format!("p{}", i % 7)).collect();
    let inner = Clusters::from_labels("pid", &reused).unwrap();
    let err = NestedClmm::new(&d.y, &["1", "2", "3", "4"], &d.x, &d.community, &inner).unwrap_err();
    assert!(matches!(err, OrdinalError::NotNested(_)), "{err}");
    assert!(err.to_string().contains("not nested"), "{err}");
}

#[test]
fn a_vanishing_variance_is_reported_at_its_boundary() {
    // Communities made of unrelated participants (community = participant number mod 30, so
    // each holds participants from across the trial's real communities): no variance between
    // them is left beyond the participants', and the community SD runs to 0.
    let d = data();
    let mixed: Vec<String> = d
        .pid
        .codes()
        .iter()
        .map(|&j| format!("k{}", j % 30))
        .collect();
    let outer = Clusters::from_labels("community", &mixed).unwrap();
    let fit = NestedClmm::new(&d.y, &["1", "2", "3", "4"], &d.x, &outer, &d.pid)
        .unwrap()
        .fit()
        .unwrap();
    let inf = fit.infer(trialstats_core::Level::P95).unwrap();
    assert!(inf.coefficients.iter().all(|c| c.std_error.is_finite()));
    assert_eq!(fit.at_boundary(), [true, false]);
    assert!(fit.sigma()[0].abs() == 0.0 && fit.sigma()[1] > 0.5);
    assert_eq!(inf.coefficients.len(), fit.names().len() - 1);
    assert!(inf.notes[0].contains("boundary"), "{:?}", inf.notes);
}
