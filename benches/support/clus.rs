//! The `clus` and `ord` families of the shared benchmark data sets, regenerated bit for bit from
//! their specification (SplitMix64 streams, Irwin–Hall normals; the project's
//! `bench/DATASETS.md`), so that the Rust benches and the Python/R peers time the same data.
#![allow(dead_code)]

/// SplitMix64's increment (the golden ratio in 64 bits).
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn key(family: u64, stream: u64) -> u64 {
    mix(family.wrapping_mul(GOLDEN).wrapping_add(stream))
}

fn uniform(key: u64, i: u64) -> f64 {
    let raw = mix(key.wrapping_add((i + 1).wrapping_mul(GOLDEN)));
    ((raw >> 12) as f64 + 0.5) * 2f64.powi(-52)
}

fn normal(key: u64, i: u64) -> f64 {
    let u = |j: u64| uniform(key, j);
    ((((u(4 * i) + u(4 * i + 1)) + u(4 * i + 2)) + u(4 * i + 3)) - 2.0) * 1.7320508075688772
}

fn cluster(key: u64, i: u64, g: usize) -> usize {
    (uniform(key, i) * g as f64).floor() as usize
}

/// One `clus_n{N}_k{k}` data set, column by column.
pub struct Clus {
    /// Continuous outcome.
    pub y: Vec<f64>,
    /// Binary outcome.
    pub ybin: Vec<f64>,
    /// x1 (treatment, constant within g24) … xk, each of length N.
    pub x: Vec<Vec<f64>>,
    /// Cluster ids with G = 24.
    pub g24: Vec<usize>,
    /// Cluster ids with G = 1000.
    pub g1000: Vec<usize>,
    /// Cluster ids with G = N/10.
    pub gn10: Vec<usize>,
}

/// Generates `clus_n{n}_k{k}` exactly as specified.
pub fn generate(n: usize, k: usize) -> Clus {
    let n10 = n / 10;
    let g24: Vec<usize> = (0..n as u64).map(|i| cluster(key(1, 1), i, 24)).collect();
    let g1000: Vec<usize> = (0..n as u64).map(|i| cluster(key(1, 2), i, 1000)).collect();
    let gn10: Vec<usize> = (0..n as u64).map(|i| cluster(key(1, 3), i, n10)).collect();
    let a24: Vec<f64> = (0..24).map(|i| normal(key(1, 10), i)).collect();
    let a1000: Vec<f64> = (0..1000).map(|i| normal(key(1, 11), i)).collect();
    let an10: Vec<f64> = (0..n10 as u64).map(|i| normal(key(1, 12), i)).collect();
    let mut x = vec![
        g24.iter()
            .map(|&g| if g < 12 { 1.0 } else { 0.0 })
            .collect::<Vec<f64>>(),
    ];
    for j in 2..=k as u64 {
        x.push((0..n as u64).map(|i| normal(key(1, 100 + j), i)).collect());
    }
    let mut y = Vec::with_capacity(n);
    let mut ybin = Vec::with_capacity(n);
    for i in 0..n {
        let mut lp = 1.0;
        lp += 0.5 * x[0][i];
        for j in 2..=k {
            lp += (1.0 / j as f64) * x[j - 1][i];
        }
        lp += 0.3 * a24[g24[i]];
        lp += 0.3 * a1000[g1000[i]];
        lp += 0.3 * an10[gn10[i]];
        y.push(lp + normal(key(1, 20), i as u64));
        let eta = 0.5 * (lp - 1.0) - 0.5;
        let p = 1.0 / (1.0 + (-eta).exp());
        ybin.push(if uniform(key(1, 21), i as u64) < p {
            1.0
        } else {
            0.0
        });
    }
    Clus {
        y,
        ybin,
        x,
        g24,
        g1000,
        gn10,
    }
}

/// Kahan–Babuška summation: close enough to Python's `math.fsum` for a 1e−12 check.
fn fsum(v: &[f64]) -> f64 {
    let (mut s, mut c) = (0.0f64, 0.0f64);
    for &x in v {
        let t = s + x;
        c += if s.abs() >= x.abs() {
            (s - t) + x
        } else {
            (x - t) + s
        };
        s = t;
    }
    s + c
}

/// Checks the generator against the shared manifest's checksums of `clus_n1000_k5` (exact
/// integers, and sums to the last bits of `math.fsum`).
pub fn verify() -> Result<(), String> {
    let d = generate(1000, 5);
    let checks = [
        ("y", fsum(&d.y), 1160.5004870379614),
        ("ybin", fsum(&d.ybin), 411.0),
        ("x1", fsum(&d.x[0]), 495.0),
        ("x2", fsum(&d.x[1]), 18.83987759364285),
        ("x5", fsum(&d.x[4]), -22.70748453843838),
        ("g24", d.g24.iter().sum::<usize>() as f64, 11569.0),
        ("g1000", d.g1000.iter().sum::<usize>() as f64, 497995.0),
    ];
    for (name, got, want) in checks {
        if (got - want).abs() > 1e-12 * want.abs().max(1.0) {
            return Err(format!(
                "clus_n1000_k5 column {name}: sum {got} differs from the manifest's {want}"
            ));
        }
    }
    Ok(())
}

/// One `ord_n{N}_g{G}` data set: categories 0..=4 (the file's 1..=5 minus one), x1..x5, clusters.
pub struct Ord {
    /// Category codes 0..=4.
    pub y: Vec<usize>,
    /// x1 (cluster-level treatment) … x5.
    pub x: Vec<Vec<f64>>,
    /// Cluster ids in 0..G.
    pub g: Vec<usize>,
}

/// Generates `ord_n{n}_g{g}` exactly as specified.
pub fn generate_ord(n: usize, g: usize) -> Ord {
    let gid: Vec<usize> = (0..n as u64).map(|i| cluster(key(3, 1), i, g)).collect();
    let a: Vec<f64> = (0..g as u64).map(|i| normal(key(3, 10), i)).collect();
    let mut x = vec![
        gid.iter()
            .map(|&c| if c < g / 2 { 1.0 } else { 0.0 })
            .collect::<Vec<f64>>(),
    ];
    for j in 2..=5u64 {
        x.push((0..n as u64).map(|i| normal(key(3, 100 + j), i)).collect());
    }
    let y = (0..n)
        .map(|i| {
            let mut lp = 0.5 * x[0][i];
            for j in 2..=5usize {
                lp += (1.0 / j as f64) * x[j - 1][i];
            }
            lp += 0.8 * a[gid[i]];
            let u = uniform(key(3, 20), i as u64);
            let ys = lp + (u / (1.0 - u)).ln();
            [-1.5, -0.5, 0.5, 1.5].iter().filter(|&&c| ys > c).count()
        })
        .collect();
    Ord { y, x, g: gid }
}

/// Checks `ord_n1000_g24` against the shared manifest's checksums.
pub fn verify_ord() -> Result<(), String> {
    let d = generate_ord(1000, 24);
    let y: usize = d.y.iter().map(|c| c + 1).sum();
    let g: usize = d.g.iter().sum();
    let x1: f64 = d.x[0].iter().sum();
    let x2: f64 = d.x[1].iter().sum();
    if y != 3173 || g != 11344 || (x1 - 503.0).abs() > 0.0 || (x2 - -8.923347320967311).abs() > 1e-9
    {
        return Err(format!(
            "ord_n1000_g24 differs from the manifest: y {y}, g {g}, x1 {x1}, x2 {x2}"
        ));
    }
    Ok(())
}

/// The `mice_n{N}` family: y, treat, z1…z6 and g, with about 20 % of y, z1…z4 missing at random
/// (driven by the always-observed z5, z6). Columns in file order; `None` = missing.
pub fn generate_mice(n: usize) -> Vec<(&'static str, Vec<Option<f64>>)> {
    let g: Vec<usize> = (0..n as u64).map(|i| cluster(key(4, 1), i, 24)).collect();
    let a: Vec<f64> = (0..24).map(|i| normal(key(4, 10), i)).collect();
    let treat: Vec<f64> = g.iter().map(|&g| if g < 12 { 1.0 } else { 0.0 }).collect();
    let c: Vec<f64> = (0..n as u64).map(|i| normal(key(4, 11), i)).collect();
    let z: Vec<Vec<f64>> = (1..=6u64)
        .map(|j| {
            (0..n as u64)
                .map(|i| 0.6 * c[i as usize] + 0.8 * normal(key(4, 100 + j), i))
                .collect()
        })
        .collect();
    let b = [0.5, 0.4, -0.3, 0.2, 0.2, 0.1];
    let y: Vec<f64> = (0..n)
        .map(|i| {
            let mut y = 1.0;
            y += 0.5 * treat[i];
            for j in 0..6 {
                y += b[j] * z[j][i];
            }
            y += 0.3 * a[g[i]];
            y + normal(key(4, 20), i as u64)
        })
        .collect();
    let sigmoid = |x: f64| 1.0 / (1.0 + (-x).exp());
    let mut cols: Vec<(&'static str, Vec<Option<f64>>)> = vec![
        ("y", y.into_iter().map(Some).collect()),
        ("treat", treat.into_iter().map(Some).collect()),
    ];
    let names = ["z1", "z2", "z3", "z4", "z5", "z6"];
    for (j, name) in names.iter().enumerate() {
        cols.push((name, z[j].iter().map(|&v| Some(v)).collect()));
    }
    cols.push(("g", g.iter().map(|&v| Some(v as f64)).collect()));
    // (var, driver, stream): var is missing where uniform < sigmoid(−1.5 + 0.8 · driver).
    for (var, driver, stream) in [(0, 6, 30), (2, 7, 31), (3, 6, 32), (4, 7, 33), (5, 6, 34)] {
        let d: Vec<f64> = cols[driver].1.iter().map(|v| v.unwrap_or(0.0)).collect();
        for (i, v) in cols[var].1.iter_mut().enumerate() {
            if uniform(key(4, stream), i as u64) < sigmoid(-1.5 + 0.8 * d[i]) {
                *v = None;
            }
        }
    }
    cols
}

/// Checks `mice_n1000` against the shared manifest (missing counts and sums of observed values).
pub fn verify_mice() -> Result<(), String> {
    let d = generate_mice(1000);
    let want = [
        ("y", 232, 818.6392680069512),
        ("treat", 0, 515.0),
        ("z1", 219, -72.79993748788009),
        ("z2", 230, 5.272733143763521),
        ("z3", 227, -28.73642275443703),
        ("z4", 204, 16.707041674490227),
        ("z5", 0, 44.863250441045814),
        ("z6", 0, 36.2176932756947),
        ("g", 0, 11172.0),
    ];
    for ((name, col), (wname, miss, sum)) in d.iter().zip(want) {
        let m = col.iter().filter(|v| v.is_none()).count();
        let s: f64 = col.iter().flatten().sum();
        if *name != wname || m != miss || (s - sum).abs() > 1e-9 * sum.abs().max(1.0) {
            return Err(format!(
                "mice_n1000 column {name}: {m} missing, sum {s}; the manifest says {miss}, {sum}"
            ));
        }
    }
    Ok(())
}

/// The `mice_m5_25cycles_n{N}` peer case's table: y, treat, z1…z6 (without g).
pub fn mice_table(n: usize) -> trialstats::data::DataTable {
    trialstats::data::DataTable::new(
        "mice",
        generate_mice(n)
            .into_iter()
            .filter(|(name, _)| *name != "g")
            .map(|(name, v)| trialstats::data::Column::numeric(name, v))
            .collect(),
    )
    .expect("a valid table")
}

/// The peer case itself: MICE (m = 5, maxit = 5, pmm, seed 1), then OLS
/// `y ~ treat + z1 + … + z6` on each completed set, pooled by Rubin's rules.
pub fn mice_case(table: &trialstats::data::DataTable) -> trialstats::mi::Pooled {
    let imp = trialstats::mi::Mice::new(table)
        .and_then(|m| m.m(5).maxit(5).seed(1).run(None))
        .expect("MICE runs");
    // Complete-data df N − K, those of each completed data set's OLS fit.
    trialstats::ols("y ~ treat + z1 + z2 + z3 + z4 + z5 + z6")
        .pool(&imp)
        .expect("pooling")
}

/// One `nest_n{N}_g{G}` data set (long format: two rows per participant, participants nested in
/// communities; family seed 5).
pub struct Nest {
    /// Continuous outcome.
    pub y: Vec<f64>,
    /// Binary outcome.
    pub ybin: Vec<f64>,
    /// Ordered outcome, 1..=4.
    pub ycat: Vec<usize>,
    /// Time (0, 1).
    pub time: Vec<f64>,
    /// Arm (community level).
    pub arm: Vec<f64>,
    /// Participant-level covariate.
    pub x1: Vec<f64>,
    /// Row-level covariate.
    pub x2: Vec<f64>,
    /// Community, 0..G.
    pub g: Vec<usize>,
    /// Participant, 0..N/2.
    pub pid: Vec<usize>,
}

/// Generates `nest_n{n}_g{g}` exactly as specified.
pub fn generate_nest(n: usize, g: usize) -> Nest {
    let p = n / 2;
    let per = p / g;
    let a: Vec<f64> = (0..g as u64).map(|i| normal(key(5, 10), i)).collect();
    let b: Vec<f64> = (0..p as u64).map(|i| normal(key(5, 11), i)).collect();
    let x1p: Vec<f64> = (0..p as u64).map(|i| normal(key(5, 101), i)).collect();
    let mut d = Nest {
        y: Vec::with_capacity(n),
        ybin: Vec::with_capacity(n),
        ycat: Vec::with_capacity(n),
        time: Vec::with_capacity(n),
        arm: Vec::with_capacity(n),
        x1: Vec::with_capacity(n),
        x2: Vec::with_capacity(n),
        g: Vec::with_capacity(n),
        pid: Vec::with_capacity(n),
    };
    for i in 0..n {
        let pid = i / 2;
        let t = (i % 2) as f64;
        let c = pid / per;
        let arm = if c < g / 2 { 1.0 } else { 0.0 };
        let x1 = x1p[pid];
        let x2 = normal(key(5, 102), i as u64);
        let mut lp = 0.2 * t;
        lp += 0.4 * (arm * t);
        lp += 0.5 * x1;
        lp += 0.25 * x2;
        lp += 0.5 * a[c];
        lp += 0.8 * b[pid];
        d.y.push((1.0 + lp) + normal(key(5, 20), i as u64));
        let prob = 1.0 / (1.0 + (-(lp - 0.3)).exp());
        d.ybin.push(if uniform(key(5, 21), i as u64) < prob {
            1.0
        } else {
            0.0
        });
        let u = uniform(key(5, 22), i as u64);
        let ystar = lp + (u / (1.0 - u)).ln();
        d.ycat
            .push(1 + [-1.0, 0.0, 1.0].iter().filter(|&&cut| ystar > cut).count());
        d.time.push(t);
        d.arm.push(arm);
        d.x1.push(x1);
        d.x2.push(x2);
        d.g.push(c);
        d.pid.push(pid);
    }
    d
}

/// The design `1, arm, time, x1, x2, arm:time` of `y ~ arm * time + x1 + x2`.
pub fn nest_design(d: &Nest) -> trialstats::core::nalgebra::DMatrix<f64> {
    trialstats::core::nalgebra::DMatrix::from_fn(d.y.len(), 6, |i, k| match k {
        0 => 1.0,
        1 => d.arm[i],
        2 => d.time[i],
        3 => d.x1[i],
        4 => d.x2[i],
        _ => d.arm[i] * d.time[i],
    })
}

/// Checks the nest generator against sums of the shared Python generator's columns
/// (`gen_data.make_nest`, `math.fsum`, computed for this check).
pub fn verify_nest() -> Result<(), String> {
    for (n, g, y, ybin, ycat, x1, x2) in [
        (
            2000,
            100,
            2384.8289906096347,
            987.0,
            5132.0,
            -15.592081133011254,
            32.97018194838425,
        ),
        (
            10000,
            1000,
            12011.308172876563,
            4809.0,
            26072.0,
            -63.04846828412463,
            -67.09495939623586,
        ),
    ] {
        let d = generate_nest(n, g);
        let ycat_sum: f64 = d.ycat.iter().map(|&c| c as f64).sum();
        for (name, got, want) in [
            ("y", fsum(&d.y), y),
            ("ybin", fsum(&d.ybin), ybin),
            ("ycat", ycat_sum, ycat),
            ("x1", fsum(&d.x1), x1),
            ("x2", fsum(&d.x2), x2),
        ] {
            if (got - want).abs() > 1e-11 * f64::abs(want).max(1.0) {
                return Err(format!(
                    "nest_n{n}_g{g} column {name}: sum {got} differs from the generator's {want}"
                ));
            }
        }
    }
    Ok(())
}
