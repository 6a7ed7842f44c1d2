//! The generator: one seeded pass that writes one row per participant in the trial schema.
//!
//! # Model
//! - Design: `regions` strata, each with `clusters_per_arm_per_region` clusters per arm allocated
//!   by a seeded permutation; cluster sizes spread within `cluster_size_range` around the mean,
//!   or log-normal with a chosen coefficient of variation; optionally intervention communities
//!   merged into another's group or with no group at all.
//! - Baseline: sex; age N(μ, σ) truncated to 25–75; duration log-normal by arm (medians 7 and 9
//!   years), at least 1.1 years and diagnosed at 20 or later; HbA1c a normal body below 8 % with
//!   an exponential tail above it; SBP normal; HDL and the TC/HDL ratio log-normal with sex
//!   shifts; triglycerides log-normal; LDL by Friedewald; weight, height, waist normal by sex.
//! - 12 months: each measure m (on its scale) is `μ + ρ (m₀ − μ) + √(1 − ρ²) σ ε + common change
//!   \+ arm effect + u_cluster`, with u_cluster ~ N(0, icc/(1 − icc) · (1 − ρ²) σ²), so the
//!   within-person change has the chosen ICC; each latent trait's change has its own community
//!   effect (`icc_outcomes`), on the logistic latent scale for physical activity.
//! - Survey answers come from latent traits (depression, distress, physical burden, adherence,
//!   self-care), each item a threshold of trait + noise: PHQ-9 items 0–3, the four DDS-4 items
//!   1–6 (by their DDS-17 numbers 14, 6, 16, 3), EQ-5D-3L levels and VAS, MMAS-8 yes/no and
//!   A–E, SDSCA days 0–7 with smoking, physical activity more than 3 times a week, and the two
//!   support items on 1–5.
//! - Missing data: no 12-month data with probability `dropout` by arm, moved by HbA1c at baseline
//!   (missing at random, the default) or at 12 months (not at random), or not at all (completely
//!   at random): `dropout_mechanism`; single survey items unanswered with probability
//!   `item_nonresponse`.

use trialstats_core::rng::Rng;
use trialstats_data::{Column, DataTable};

use crate::error::SimError;
use crate::params::{DropoutMechanism, SimParams};
use crate::schema::{ARM_INTERVENTION, ARM_USUAL_CARE};

/// A simulated trial: the table and what made it.
///
/// # Examples
/// ```
/// use trialstats_sim::schema::ARM_INTERVENTION;
/// use trialstats_sim::{SimParams, simulate};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // A smaller trial: 2 regions × 3 clusters per arm, 60 participants per arm.
/// let p = SimParams { regions: 2, clusters_per_arm_per_region: 3, participants_per_arm: 60, ..SimParams::default() };
/// let trial = simulate(&p, 1)?;
/// assert_eq!((trial.table.nrows(), trial.seed), (120, 1));
/// assert_eq!(trial.params, p); // what made it travels with it
/// let arm = trial.table.column("arm")?;
/// let n_int = (0..120).filter(|&i| arm.data.text(i).as_deref() == Some(ARM_INTERVENTION)).count();
/// assert_eq!(n_int, 60);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Trial {
    /// One row per participant, in the trial schema ([`crate::schema`]).
    pub table: DataTable,
    /// The seed.
    pub seed: u64,
    /// The parameters.
    pub params: SimParams,
    /// Intervention communities merged into another's peer group (`merged_clusters`): (the
    /// community, the community whose group it joined), by community id.
    pub merged: Vec<(usize, usize)>,
    /// Intervention communities with no peer group (`non_implemented_clusters`), by id; a
    /// community merged into one of them is listed too.
    pub non_implemented: Vec<usize>,
}

fn expit(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

fn round_to(x: f64, dp: i32) -> f64 {
    let f = 10f64.powi(dp);
    (x * f).round() / f
}

/// Count of thresholds below `z` (an ordinal item from a latent value).
fn level(z: f64, thresholds: &[f64]) -> f64 {
    thresholds.iter().filter(|&&t| z > t).count() as f64
}

/// Output columns, filled row by row.
struct Columns {
    names: Vec<String>,
    numeric: Vec<Vec<Option<f64>>>,
    text_names: Vec<String>,
    text: Vec<Vec<Option<String>>>,
    order: Vec<(bool, usize)>,
}

impl Columns {
    fn new() -> Self {
        Self {
            names: Vec::new(),
            numeric: Vec::new(),
            text_names: Vec::new(),
            text: Vec::new(),
            order: Vec::new(),
        }
    }

    fn num(&mut self, name: &str, v: Option<f64>) {
        match self.names.iter().position(|n| n == name) {
            Some(i) => self.numeric[i].push(v),
            None => {
                self.names.push(name.to_string());
                self.numeric.push(vec![v]);
                self.order.push((false, self.names.len() - 1));
            }
        }
    }

    fn txt(&mut self, name: &str, v: Option<String>) {
        match self.text_names.iter().position(|n| n == name) {
            Some(i) => self.text[i].push(v),
            None => {
                self.text_names.push(name.to_string());
                self.text.push(vec![v]);
                self.order.push((true, self.text_names.len() - 1));
            }
        }
    }

    fn into_table(self, source: &str) -> Result<DataTable, SimError> {
        let cols = self
            .order
            .iter()
            .map(|&(is_text, i)| {
                if is_text {
                    Column::categorical(&self.text_names[i], &self.text[i])
                } else {
                    Column::numeric(&self.names[i], self.numeric[i].clone())
                }
            })
            .collect();
        Ok(DataTable::new(source, cols)?)
    }
}

/// Splits `n` into `g` sizes within `lo..=hi`, spread by random moves.
fn cluster_sizes(n: usize, g: usize, lo: usize, hi: usize, rng: &mut Rng) -> Vec<usize> {
    let mut s = vec![n / g; g];
    for x in s.iter_mut().take(n % g) {
        *x += 1;
    }
    for _ in 0..(20 * g) {
        let a = rng.below(g as u64) as usize;
        let b = rng.below(g as u64) as usize;
        if a != b && s[a] > lo && s[b] < hi {
            s[a] -= 1;
            s[b] += 1;
        }
    }
    s
}

/// Splits `n` into `g` log-normal sizes with coefficient of variation `cv`: rounded by largest
/// remainders to add up to `n`, then raised to at least 2 by taking from the largest.
fn cluster_sizes_cv(n: usize, g: usize, cv: f64, rng: &mut Rng) -> Vec<usize> {
    let s2 = (1.0 + cv * cv).ln();
    let raw: Vec<f64> = (0..g)
        .map(|_| (s2.sqrt() * rng.normal() - s2 / 2.0).exp())
        .collect();
    let total: f64 = raw.iter().sum();
    let exact: Vec<f64> = raw.iter().map(|x| x * n as f64 / total).collect();
    let mut sizes: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
    let mut order: Vec<usize> = (0..g).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())));
    let short = n - sizes.iter().sum::<usize>();
    for &k in order.iter().take(short) {
        sizes[k] += 1;
    }
    while let Some(small) = (0..g).find(|&k| sizes[k] < 2) {
        let big = (0..g)
            .max_by_key(|&k| (sizes[k], std::cmp::Reverse(k)))
            .unwrap_or(small);
        sizes[big] -= 1;
        sizes[small] += 1;
    }
    sizes
}

/// Indices of the community effects on the 12-month changes: the six clinical measures (in units
/// of each measure's change SD, scaled by `icc`), then the latent traits (on their own scales).
mod eff {
    pub(super) const HBA1C: usize = 0;
    pub(super) const SBP: usize = 1;
    pub(super) const RATIO: usize = 2;
    pub(super) const HDL: usize = 3;
    pub(super) const TG: usize = 4;
    pub(super) const WEIGHT: usize = 5;
    pub(super) const DEPRESSION: usize = 6;
    pub(super) const DISTRESS: usize = 7;
    pub(super) const PHYSICAL: usize = 8;
    pub(super) const ADHERENCE: usize = 9;
    pub(super) const SELF_CARE: usize = 10;
    pub(super) const ACTIVITY: usize = 11;
    pub(super) const AVAILABILITY: usize = 12;
    pub(super) const SATISFACTION: usize = 13;
    pub(super) const COUNT: usize = 14;
}

/// One community's effects on the 12-month changes ([`eff`]): each latent trait's effect has
/// variance icc/(1 − icc) times the trait's individual noise variance.
fn community_effects(p: &SimParams, r: &mut Rng) -> [f64; eff::COUNT] {
    let ratio = |icc: f64| (icc / (1.0 - icc)).sqrt();
    let o = &p.icc_outcomes;
    let logistic_sd = std::f64::consts::PI / 3f64.sqrt();
    let mut sd = [ratio(p.icc); eff::COUNT];
    sd[eff::DEPRESSION] = 0.71 * ratio(o.depression);
    sd[eff::DISTRESS] = 0.71 * ratio(o.distress);
    sd[eff::PHYSICAL] = 0.6 * ratio(o.physical_function);
    sd[eff::ADHERENCE] = 0.71 * ratio(o.adherence);
    sd[eff::SELF_CARE] = 0.71 * ratio(o.self_care);
    sd[eff::ACTIVITY] = logistic_sd * ratio(o.physical_activity);
    sd[eff::AVAILABILITY] = 0.8 * ratio(o.support);
    sd[eff::SATISFACTION] = 0.8 * ratio(o.support);
    sd.map(|s| s * r.normal())
}

/// One participant's clinical values and latent traits at one visit.
#[derive(Debug, Clone, Copy)]
struct Visit {
    hba1c: f64,
    sbp: f64,
    lratio: f64,
    lhdl: f64,
    ltg: f64,
    weight: f64,
    smoker: bool,
    dep: f64,
    dis: f64,
    phys: f64,
    adh: f64,
    care: f64,
    pa: bool,
    avail: f64,
    satis: f64,
}

/// What stays with a participant across visits: the arm (1 intervention) and the person-level
/// errors of diastolic pressure and waist.
#[derive(Debug, Clone, Copy)]
struct Person {
    arm: f64,
    dbp_e0: f64,
    waist_e0: f64,
}

/// Writes one visit (month `t`, observed or not) of one participant: the clinical measures and
/// every survey item, each item possibly unanswered.
fn write_visit(
    cols: &mut Columns,
    r: &mut Rng,
    p: &SimParams,
    (t, obs): (u32, bool),
    person: &Person,
    visit: &Visit,
) {
    let at12 = t == 12;
    let v = |x: f64| obs.then_some(x);
    let Visit {
        hba1c,
        sbp,
        lratio,
        lhdl,
        ltg,
        weight,
        smoker,
        dep,
        dis,
        phys,
        adh,
        care,
        pa,
        avail,
        satis,
    } = *visit;
    let Person {
        arm: a,
        dbp_e0,
        waist_e0,
    } = *person;
    let hdl = lhdl.exp();
    let tc = lratio.exp() * hdl;
    let tg = ltg.exp();
    let ldl = (tc - hdl - tg / 2.2).max(0.5);
    let dbp = 20.0 + 0.42 * sbp + dbp_e0 + if at12 { 3.0 * r.normal() } else { 0.0 };
    let waist = 45.0 + 0.65 * weight + waist_e0 + if at12 { 2.0 * r.normal() } else { 0.0 };
    cols.num(&format!("smoker_{t}"), v(f64::from(u8::from(smoker))));
    cols.num(&format!("hba1c_{t}"), v(round_to(hba1c, 1)));
    cols.num(&format!("sbp_{t}"), v(sbp.round()));
    cols.num(&format!("dbp_{t}"), v(dbp.round()));
    cols.num(&format!("tc_{t}"), v(round_to(tc, 1)));
    cols.num(&format!("hdl_{t}"), v(round_to(hdl, 2)));
    cols.num(&format!("ldl_{t}"), v(round_to(ldl, 1)));
    cols.num(&format!("tg_{t}"), v(round_to(tg, 1)));
    cols.num(&format!("weight_{t}"), v(round_to(weight, 1)));
    cols.num(&format!("waist_{t}"), v(waist.round()));
    // Survey items; each may be left unanswered.
    let item = |r: &mut Rng, x: f64| (obs && r.uniform() >= p.item_nonresponse).then_some(x);
    for k in 1..=9 {
        let z = 0.8 * dep + 0.6 * r.normal();
        let x = level(z, &[0.5, 1.3, 1.8]);
        let x = item(r, x);
        cols.num(&format!("phq{k}_{t}"), x);
    }
    for k in [14, 6, 16, 3] {
        let z = 0.8 * dis + 0.6 * r.normal();
        let x = 1.0 + level(z, &[-0.3, 0.5, 1.1, 1.6, 2.1]);
        let x = item(r, x);
        cols.num(&format!("dds{k}_{t}"), x);
    }
    for (name, t1, trait_) in [
        ("mo", 0.385, phys),
        ("sc", 1.4, phys),
        ("ua", 0.67, phys),
        ("pd", 0.0, phys),
        ("ad", 0.52, dep),
    ] {
        let z = 0.7 * trait_ + 0.7 * r.normal();
        let x = 1.0 + level(z, &[t1, t1 + 1.5]);
        let x = item(r, x);
        cols.num(&format!("{name}_{t}"), x);
    }
    let vas = (75.0 - 8.0 * phys - 5.0 * dep + 10.0 * r.normal()).clamp(0.0, 100.0);
    let x = item(r, vas.round());
    cols.num(&format!("eqvas_{t}"), x);
    // MMAS-8: items 1–4, 6, 7 answered "no" when adherent, item 5 "yes".
    for k in 1..=7 {
        let c = [0.8, 1.2, 2.0, 1.4, 2.5, 1.6, 1.5][k - 1];
        let adherent = r.uniform() < expit(c + 1.3 * adh);
        let yes = if k == 5 { adherent } else { !adherent };
        let ans = (obs && r.uniform() >= p.item_nonresponse)
            .then(|| if yes { "yes" } else { "no" }.to_string());
        cols.txt(&format!("mmas{k}_{t}"), ans);
    }
    let z8 = 1.3 * adh + 1.2 * r.normal();
    let opt = 4 - level(z8, &[-2.2, -1.4, -0.6, 0.2]) as usize;
    let ans = (obs && r.uniform() >= p.item_nonresponse)
        .then(|| ["A", "B", "C", "D", "E"][opt].to_string());
    cols.txt(&format!("mmas8_{t}"), ans);
    // SDSCA days.
    let means = [5.0, 4.8, 3.8, 2.5, 3.5, 2.2, 4.5, 3.8, 3.5, 1.5];
    let effects = [
        0.0,
        0.0,
        p.arm_effect_sdsca_days.0,
        0.0,
        0.0,
        p.arm_effect_sdsca_days.1,
        p.arm_effect_sdsca_days.2,
        0.0,
        0.0,
        0.0,
    ];
    for k in 0..10 {
        let shift = if at12 { a * effects[k] } else { 0.0 };
        let days = (means[k] + shift + 1.6 * care + 1.4 * r.normal())
            .round()
            .clamp(0.0, 7.0);
        let x = item(r, days);
        cols.num(&format!("sdsca{}_{t}", k + 1), x);
    }
    let x = item(r, f64::from(u8::from(smoker)));
    cols.num(&format!("sdsca11_{t}"), x);
    let cigs = if smoker {
        (5.0 + 15.0 * r.uniform()).round()
    } else {
        0.0
    };
    let x = item(r, cigs);
    cols.num(&format!("sdsca12_{t}"), x);
    cols.num(&format!("pa3_{t}"), v(f64::from(u8::from(pa))));
    let x = item(r, 1.0 + level(avail, &[-1.5, -0.6, 0.3, 1.2]));
    cols.num(&format!("support_avail_{t}"), x);
    let x = item(r, 1.0 + level(satis, &[-1.5, -0.6, 0.3, 1.2]));
    cols.num(&format!("support_satis_{t}"), x);
}

/// The person-level means of the clinical measures (by sex), to which the 12-month values
/// regress.
#[derive(Debug, Clone, Copy)]
struct Means {
    sbp: f64,
    lratio: f64,
    lhdl: f64,
    ltg: f64,
    weight: f64,
}

/// The 12-month visit from the baseline `b`: whether it is observed (`dropout_mechanism`), and
/// the values (regression to the means `m` with stability ρ, the common change, the arm effects
/// where the intervention was `delivered`, and the community effects `u`).
fn follow_up(
    r: &mut Rng,
    p: &SimParams,
    (intervention, delivered): (bool, bool),
    u: &[f64; eff::COUNT],
    b: &Visit,
    m: &Means,
) -> (bool, Visit) {
    let rho = p.stability;
    let resid = (1.0 - rho * rho).sqrt();
    let a = if delivered { 1.0 } else { 0.0 };
    let base_drop = if intervention {
        p.dropout.1
    } else {
        p.dropout.0
    };
    let drop_draw = r.uniform();
    let next = |x0: f64, mu: f64, sd: f64, shift: f64, uc: f64, r: &mut Rng| {
        mu + rho * (x0 - mu) + resid * sd * (r.normal() + uc) + shift
    };
    let hba1c12 = next(
        b.hba1c,
        7.2,
        1.0,
        p.common_change.0 + a * p.arm_effect_clinical.0,
        u[eff::HBA1C],
        r,
    )
    .max(4.5);
    let drop_logit = logit(base_drop)
        + match p.dropout_mechanism {
            DropoutMechanism::Mcar => 0.0,
            DropoutMechanism::Mar { log_or } => log_or * (b.hba1c - 7.0),
            DropoutMechanism::Mnar { log_or } => log_or * (hba1c12 - 7.0),
        };
    let observed12 = drop_draw >= expit(drop_logit);
    let sbp12 = next(
        b.sbp,
        m.sbp,
        p.sbp.1,
        p.common_change.1 + a * p.arm_effect_clinical.1,
        u[eff::SBP],
        r,
    );
    // The ratio's and HDL's innovations are correlated as their levels are (−0.7).
    let e_ratio = r.normal();
    let lratio12 = m.lratio
        + rho * (b.lratio - m.lratio)
        + resid * p.tc_hdl.1 * (e_ratio + u[eff::RATIO])
        + (p.common_change.2 + a * p.arm_effect_clinical.2) / 4.3;
    let lhdl12 = m.lhdl
        + rho * (b.lhdl - m.lhdl)
        + resid * 0.22 * (-0.7 * e_ratio + 0.714 * r.normal() + u[eff::HDL]);
    let ltg12 = next(b.ltg, m.ltg, 0.45, -0.02, u[eff::TG], r);
    let weight12 = next(
        b.weight,
        m.weight,
        16.0,
        p.common_change.3 + a * p.arm_effect_clinical.3,
        u[eff::WEIGHT],
        r,
    );
    let smoker12 = if b.smoker {
        r.uniform() > 0.1
    } else {
        r.uniform() < 0.01
    };
    let dep12 = 0.7 * b.dep + 0.71 * r.normal() + u[eff::DEPRESSION];
    let dis12 = 0.7 * b.dis + 0.71 * r.normal() + u[eff::DISTRESS];
    let phys12 = 0.8 * b.phys + 0.6 * r.normal() + u[eff::PHYSICAL];
    let adh_shift = a * p.arm_effect_mmas8_or.ln() / 1.7;
    let adh12 = 0.7 * b.adh + 0.71 * r.normal() + adh_shift + u[eff::ADHERENCE];
    let care12 = 0.7 * b.care + 0.71 * r.normal() + u[eff::SELF_CARE];
    // Physical activity: 90 % of the active stay active and enough of the inactive start to
    // make the arm's increase, each on the logit scale moved by the community effect.
    let p0 = if intervention {
        p.physical_activity_baseline.1
    } else {
        p.physical_activity_baseline.0
    };
    let inc = if delivered {
        p.physical_activity_increase.1
    } else {
        p.physical_activity_increase.0
    };
    let stay_or_start = if b.pa {
        0.9
    } else {
        (inc + 0.1 * p0) / (1.0 - p0)
    };
    let pa12 = r.uniform() < expit(logit(stay_or_start) + u[eff::ACTIVITY]);
    let avail12 =
        0.6 * b.avail + 0.8 * r.normal() + a * p.arm_effect_support.0 / 0.9 + u[eff::AVAILABILITY];
    let satis12 =
        0.6 * b.satis + 0.8 * r.normal() + a * p.arm_effect_support.1 / 0.9 + u[eff::SATISFACTION];
    let follow_up = Visit {
        hba1c: hba1c12,
        sbp: sbp12,
        lratio: lratio12,
        lhdl: lhdl12,
        ltg: ltg12,
        weight: weight12,
        smoker: smoker12,
        dep: dep12,
        dis: dis12,
        phys: phys12,
        adh: adh12,
        care: care12,
        pa: pa12,
        avail: avail12,
        satis: satis12,
    };
    (observed12, follow_up)
}

/// Simulates one participant (`who`: id, region, community, randomised to the intervention, the
/// intervention delivered) with the community's effects `u` on the 12-month changes, and writes
/// both visits.
fn participant(
    cols: &mut Columns,
    r: &mut Rng,
    p: &SimParams,
    (id, region, cluster, intervention, delivered): (u32, usize, usize, bool, bool),
    u: &[f64; eff::COUNT],
) {
    let a = if delivered { 1.0 } else { 0.0 };
    cols.num("id", Some(f64::from(id)));
    cols.num("region", Some(region as f64));
    cols.num("cluster", Some(cluster as f64));
    cols.txt(
        "arm",
        Some(
            if intervention {
                ARM_INTERVENTION
            } else {
                ARM_USUAL_CARE
            }
            .to_string(),
        ),
    );
    let female = r.uniform() < p.female;
    let fe = if female { 1.0 } else { 0.0 };
    let age = loop {
        let x = p.age.0 + p.age.1 * r.normal();
        if (25.0..=75.0).contains(&x) {
            break x.floor();
        }
    };
    let med = if intervention {
        p.duration_median.1
    } else {
        p.duration_median.0
    };
    let duration = (med.ln() + p.duration_sdlog * r.normal())
        .exp()
        .clamp(1.1, (age - 20.0).max(1.1));
    cols.num("female", Some(fe));
    cols.num("age", Some(age));
    cols.num("duration", Some(round_to(duration, 1)));
    cols.num(
        "afro_caribbean",
        Some(f64::from(u8::from(r.uniform() < p.afro_caribbean))),
    );
    cols.num(
        "af",
        Some(f64::from(u8::from(r.uniform() < p.atrial_fibrillation))),
    );
    let height = if female {
        1.62 + 0.065 * r.normal()
    } else {
        1.75 + 0.07 * r.normal()
    };
    cols.num("height", Some(round_to(height, 2)));
    let smoker0 = r.uniform() < p.smoker;
    // Baseline clinical values.
    let (tail_share, tail_excess) = if intervention {
        p.hba1c_tail.1
    } else {
        p.hba1c_tail.0
    };
    let hba1c0 = if r.uniform() < tail_share {
        8.0 + tail_excess * -(1.0 - r.uniform()).ln() + 0.05
    } else {
        (p.hba1c_body.0 + p.hba1c_body.1 * r.normal()).clamp(4.8, 8.0)
    };
    let sbp_mu = p.sbp.0 - fe * p.sbp.2;
    let sbp0 = sbp_mu + p.sbp.1 * r.normal();
    let lr_mu = p.tc_hdl.0.ln() - fe * p.tc_hdl.2;
    let z_ratio = r.normal();
    let lratio0 = lr_mu + p.tc_hdl.1 * z_ratio;
    // Low HDL goes with a high ratio (correlation −0.7 on the log scale), which keeps
    // total cholesterol = ratio × HDL at a realistic spread (SD about 1 mmol/L).
    let lhdl_mu = 1.1f64.ln() + 0.2 * fe;
    let lhdl0 = lhdl_mu + 0.22 * (-0.7 * z_ratio + 0.714 * r.normal());
    let ltg_mu = 1.6f64.ln();
    let ltg0 = ltg_mu + 0.45 * r.normal();
    let w_mu = if female { 80.0 } else { 92.0 };
    let weight0 = w_mu + 16.0 * r.normal();
    let dbp_e0 = 7.0 * r.normal();
    let waist_e0 = 6.0 * r.normal();
    // Latent traits at baseline.
    let dep0 = r.normal();
    let dis0 = 0.5 * dep0 + 0.87 * r.normal();
    let phys0 = 0.3 * ((weight0 - w_mu) / 16.0) + 0.2 * ((age - 61.0) / 8.5) + 0.9 * r.normal();
    let adh0 = r.normal();
    let care0 = r.normal();
    let pa0 = r.uniform()
        < if intervention {
            p.physical_activity_baseline.1
        } else {
            p.physical_activity_baseline.0
        };
    let avail0 = r.normal();
    let satis0 = 0.6 * avail0 + 0.8 * r.normal();
    let baseline = Visit {
        hba1c: hba1c0,
        sbp: sbp0,
        lratio: lratio0,
        lhdl: lhdl0,
        ltg: ltg0,
        weight: weight0,
        smoker: smoker0,
        dep: dep0,
        dis: dis0,
        phys: phys0,
        adh: adh0,
        care: care0,
        pa: pa0,
        avail: avail0,
        satis: satis0,
    };
    let means = Means {
        sbp: sbp_mu,
        lratio: lr_mu,
        lhdl: lhdl_mu,
        ltg: ltg_mu,
        weight: w_mu,
    };
    let (observed12, follow_up) = follow_up(r, p, (intervention, delivered), u, &baseline, &means);
    let person = Person {
        arm: a,
        dbp_e0,
        waist_e0,
    };
    for (t, obs, visit) in [(0, true, &baseline), (12, observed12, &follow_up)] {
        write_visit(cols, r, p, (t, obs), &person, visit);
    }
}

/// Simulates one trial.
///
/// # Errors
/// [`SimError::Parameter`] for invalid parameters.
///
/// # Examples
/// ```
/// use trialstats_sim::{SimParams, schema, simulate};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let trial = simulate(&SimParams::default(), 7)?;
/// let t = &trial.table;
/// assert_eq!((t.nrows(), trial.seed), (240, 7)); // 120 per arm, 24 clusters of 5–15
/// assert_eq!(schema::check(t), Ok(()));
/// // The same seed gives the same trial, byte for byte; another seed another.
/// assert_eq!(simulate(&SimParams::default(), 7)?.table.to_csv(), t.to_csv());
/// assert_ne!(simulate(&SimParams::default(), 8)?.table.to_csv(), t.to_csv());
/// let mut clusters: Vec<f64> = t.numeric("cluster")?.iter().flatten().copied().collect();
/// clusters.sort_by(f64::total_cmp);
/// clusters.dedup();
/// assert_eq!(clusters.len(), 24);
/// # Ok(()) }
/// ```
pub fn simulate(params: &SimParams, seed: u64) -> Result<Trial, SimError> {
    params.check()?;
    let p = params;
    let mut rng = Rng::seed_from(seed);
    let r = &mut rng;
    // Allocation: within each region, a seeded permutation of its clusters.
    let per_region = 2 * p.clusters_per_arm_per_region;
    let mut clusters: Vec<(usize, usize, bool)> = Vec::new(); // (region, cluster id, intervention)
    for region in 0..p.regions {
        let mut arms: Vec<bool> = (0..per_region)
            .map(|k| k < p.clusters_per_arm_per_region)
            .collect();
        for i in (1..arms.len()).rev() {
            let j = r.below(i as u64 + 1) as usize;
            arms.swap(i, j);
        }
        for (k, &arm) in arms.iter().enumerate() {
            clusters.push((region + 1, region * per_region + k + 1, arm));
        }
    }
    let g_arm = p.regions * p.clusters_per_arm_per_region;
    let sizes = |r: &mut Rng| match p.cluster_size_cv {
        Some(cv) => cluster_sizes_cv(p.participants_per_arm, g_arm, cv, r),
        None => {
            let (lo, hi) = p.cluster_size_range;
            cluster_sizes(p.participants_per_arm, g_arm, lo, hi, r)
        }
    };
    let sizes_i = sizes(r);
    let sizes_c = sizes(r);
    let (mut ki, mut kc) = (0, 0);
    let size: Vec<usize> = clusters
        .iter()
        .map(|&(_, _, intervention)| {
            if intervention {
                ki += 1;
                sizes_i[ki - 1]
            } else {
                kc += 1;
                sizes_c[kc - 1]
            }
        })
        .collect();
    // Merges: in each region in turn, its smallest unmerged intervention community joins the
    // group of another unmerged one, chosen at random. `group[j]` is the community whose peer
    // group community j's participants attend (itself unless merged).
    let n = clusters.len();
    let mut group: Vec<usize> = (0..n).collect();
    for k in 0..p.merged_clusters {
        let region = k % p.regions + 1;
        let open: Vec<usize> = (0..n)
            .filter(|&j| clusters[j].0 == region && clusters[j].2 && group[j] == j)
            .collect();
        let Some(&source) = open.iter().min_by_key(|&&j| (size[j], j)) else {
            continue; // not reached: `check` leaves every region a group to join
        };
        let targets: Vec<usize> = open.iter().copied().filter(|&j| j != source).collect();
        if targets.is_empty() {
            continue;
        }
        let target = targets[r.below(targets.len() as u64) as usize];
        for g in &mut group {
            if *g == source {
                *g = target;
            }
        }
    }
    // Groups that never ran: chosen at random among the intervention groups.
    let mut groups: Vec<usize> = (0..n).filter(|&j| clusters[j].2 && group[j] == j).collect();
    for i in 0..p.non_implemented_clusters.min(groups.len()) {
        let j = i + r.below((groups.len() - i) as u64) as usize;
        groups.swap(i, j);
    }
    let not_run = &groups[..p.non_implemented_clusters.min(groups.len())];
    let effects: Vec<[f64; eff::COUNT]> = (0..n).map(|_| community_effects(p, r)).collect();
    let mut cols = Columns::new();
    let mut id: u32 = 0;
    for (j, &(region, cluster, intervention)) in clusters.iter().enumerate() {
        let delivered = intervention && !not_run.contains(&group[j]);
        for _ in 0..size[j] {
            id += 1;
            participant(
                &mut cols,
                r,
                p,
                (id, region, cluster, intervention, delivered),
                &effects[group[j]],
            );
        }
    }
    let merged = (0..n)
        .filter(|&j| group[j] != j)
        .map(|j| (clusters[j].1, clusters[group[j]].1))
        .collect();
    let mut non_implemented: Vec<usize> = (0..n)
        .filter(|&j| not_run.contains(&group[j]))
        .map(|j| clusters[j].1)
        .collect();
    non_implemented.sort_unstable();
    let table = cols.into_table(&format!("simulated trial (seed {seed})"))?;
    Ok(Trial {
        table,
        seed,
        params: params.clone(),
        merged,
        non_implemented,
    })
}
