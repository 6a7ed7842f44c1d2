//! The value sets: coefficients (signed additive terms; level 1 is 0), ids, citations and the
//! verification status from the project's instrument specification.

// Published coefficients, not approximations of mathematical constants (US 5L PD4 is −0.318).
#![allow(clippy::approx_constant)]

use serde::Serialize;

use super::tables::{CROSSWALK_COLUMNS, australia, crosswalk};
use super::{HealthState, Version};
use crate::error::ScoreError;

/// How far a value set's numbers were checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    /// All states agree across at least two independent sources.
    TwoSource,
    /// Sources disagree; see the value set's `note`.
    Disputed,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Model {
    /// 3L additive; `coef[d] = [level 2, level 3]`.
    Additive3L {
        constant: f64,
        n3: f64,
        coef: [[f64; 2]; 5],
        d1: f64,
        i2sq: f64,
        i3: f64,
        i3sq: f64,
    },
    /// 5L additive; `coef[d] = [level 2, 3, 4, 5]`.
    Additive5L {
        constant: f64,
        coef: [[f64; 4]; 5],
        n5: f64,
    },
    /// Xie et al. 2016.
    Canada5L,
    /// Lookup of the published Viney 2011 table.
    Australia3L,
    /// Lookup of the van Hout 2012 table, column index.
    Crosswalk(usize),
}

/// A value set: how to turn a health state into an index value.
///
/// # Examples
/// ```
/// use trialstats_instruments::{value_set, Version};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let vs = value_set("eq5d5l_en_devlin2018")?;
/// assert_eq!(vs.version, Version::FiveLevel);
/// assert!(!vs.doi.is_empty() && !vs.reference.is_empty());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValueSet {
    /// Id, e.g. `eq5d3l_uk_dolan1997`.
    pub id: &'static str,
    /// Country (and method when a country has several).
    pub country: &'static str,
    /// Version of the states it scores (the crosswalk scores 5L states).
    pub version: Version,
    /// The paper.
    pub reference: &'static str,
    /// The paper's DOI.
    pub doi: &'static str,
    /// Verification status.
    pub status: Verification,
    /// Caveats, empty when none.
    pub note: &'static str,
    model: Model,
}

impl ValueSet {
    /// The index value of a state.
    ///
    /// # Errors
    /// [`ScoreError::WrongVersion`] for a state of the other version.
    ///
    /// # Examples
    /// ```
    /// use trialstats_instruments::{value_set, HealthState, Version};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // Published worst-state values (tests/eq5d.rs): US 5L (Pickard 2019) 55555 = −0.573,
    /// // Australia 3L (Viney 2011) 33333 = −0.217, van Hout crosswalk UK 44441 = 0.226.
    /// let worst5 = HealthState::new(Version::FiveLevel, [5; 5])?;
    /// assert!((value_set("eq5d5l_us_pickard2019")?.index(&worst5)? + 0.573).abs() < 0.0005);
    /// let worst3 = HealthState::new(Version::ThreeLevel, [3; 5])?;
    /// assert!((value_set("eq5d3l_au_viney2011")?.index(&worst3)? + 0.217).abs() < 1e-12);
    /// let s = HealthState::new(Version::FiveLevel, [4, 4, 4, 4, 1])?;
    /// assert!((value_set("eq5d5l_cw_uk")?.index(&s)? - 0.226).abs() < 1e-12);
    /// assert!(value_set("eq5d3l_uk_dolan1997")?.index(&worst5).is_err()); // never crosswalked
    /// # Ok(()) }
    /// ```
    pub fn index(&self, state: &HealthState) -> Result<f64, ScoreError> {
        if state.version() != self.version {
            return Err(ScoreError::WrongVersion {
                state: state.code(),
                given: state.version().label(),
                expected: self.version.label(),
                value_set: self.id,
            });
        }
        let lv = state.levels();
        Ok(match self.model {
            Model::Additive3L {
                constant,
                n3,
                coef,
                d1,
                i2sq,
                i3,
                i3sq,
            } => {
                let n_gt1 = lv.iter().filter(|&&l| l > 1).count();
                let n2 = lv.iter().filter(|&&l| l == 2).count();
                let n3_count = lv.iter().filter(|&&l| l == 3).count();
                let mut v = 1.0;
                if n_gt1 > 0 {
                    v += constant;
                }
                if n3_count > 0 {
                    v += n3;
                }
                for (d, &l) in lv.iter().enumerate() {
                    if l > 1 {
                        v += coef[d][usize::from(l - 2)];
                    }
                }
                let d1_ = n_gt1.saturating_sub(1) as f64;
                let i2 = n2.saturating_sub(1) as f64;
                let i3_ = n3_count.saturating_sub(1) as f64;
                v + d1 * d1_ + i2sq * i2 * i2 + i3 * i3_ + i3sq * i3_ * i3_
            }
            Model::Additive5L { constant, coef, n5 } => {
                let mut v = 1.0;
                if lv.iter().any(|&l| l > 1) {
                    v += constant;
                }
                if lv.contains(&5) {
                    v += n5;
                }
                for (d, &l) in lv.iter().enumerate() {
                    if l > 1 {
                        v += coef[d][usize::from(l - 2)];
                    }
                }
                v
            }
            Model::Canada5L => {
                const LINEAR: [f64; 5] = [-0.0389, -0.0458, -0.0195, -0.0444, -0.0376];
                const SEVERE: [f64; 5] = [-0.0510, -0.0584, -0.1103, -0.1409, -0.1277];
                let mut v = 1.1351;
                let mut n45 = 0i32;
                for (d, &l) in lv.iter().enumerate() {
                    v += f64::from(l) * LINEAR[d];
                    if l >= 4 {
                        v += SEVERE[d];
                        n45 += 1;
                    }
                }
                if n45 >= 1 {
                    v += 0.0085 * f64::from((n45 - 1) * (n45 - 1));
                }
                v
            }
            Model::Australia3L => australia()?[state.ordinal()][0],
            Model::Crosswalk(col) => crosswalk()?[state.ordinal()][col],
        })
    }
}

/// All value sets.
///
/// # Examples
/// ```
/// use trialstats_instruments::eq5d::value_sets;
/// use trialstats_instruments::{HealthState, Version};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // Every 3L value set gives full health 11111 the value 1 (tests/eq5d.rs).
/// let full = HealthState::new(Version::ThreeLevel, [1; 5])?;
/// for vs in value_sets().iter().filter(|v| v.version == Version::ThreeLevel) {
///     assert!((vs.index(&full)? - 1.0).abs() < 1e-15, "{}", vs.id);
/// }
/// assert!(value_sets().iter().any(|v| v.id == "eq5d5l_cw_uk"));
/// # Ok(()) }
/// ```
pub fn value_sets() -> &'static [ValueSet] {
    &VALUE_SETS
}

/// The value set with id `id`.
///
/// # Errors
/// [`ScoreError::UnknownValueSet`] listing the known ids.
///
/// # Examples
/// ```
/// use trialstats_instruments::{value_set, HealthState, Version};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // Canada 5L (Xie 2016) gives 11111 the value 0.949, not 1 (published; tests/eq5d.rs).
/// let ca = value_set("eq5d5l_ca_xie2016")?;
/// assert!((ca.index(&HealthState::new(Version::FiveLevel, [1; 5])?)? - 0.949).abs() < 0.0005);
/// let e = value_set("uk").unwrap_err();
/// assert!(e.to_string().contains("eq5d3l_uk_dolan1997")); // lists the known ids
/// # Ok(()) }
/// ```
pub fn value_set(id: &str) -> Result<&'static ValueSet, ScoreError> {
    VALUE_SETS
        .iter()
        .find(|v| v.id == id)
        .ok_or_else(|| ScoreError::UnknownValueSet {
            id: id.to_string(),
            known: VALUE_SETS
                .iter()
                .map(|v| v.id)
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// A 3L additive model without the US/Italy ordinal terms; `c` = [MO2, MO3, SC2, …, AD3].
const fn a3(constant: f64, n3: f64, c: [f64; 10]) -> Model {
    Model::Additive3L {
        constant,
        n3,
        coef: [
            [c[0], c[1]],
            [c[2], c[3]],
            [c[4], c[5]],
            [c[6], c[7]],
            [c[8], c[9]],
        ],
        d1: 0.0,
        i2sq: 0.0,
        i3: 0.0,
        i3sq: 0.0,
    }
}

/// A 5L additive model; `c[d]` = [level 2, 3, 4, 5].
const fn a5(constant: f64, n5: f64, c: [[f64; 4]; 5]) -> Model {
    Model::Additive5L {
        constant,
        coef: c,
        n5,
    }
}

const fn cw(country: &'static str, id: &'static str, column: usize) -> ValueSet {
    ValueSet {
        id,
        country,
        version: Version::FiveLevel,
        reference: "van Hout B, Janssen MF, Feng YS, et al. Interim scoring for the EQ-5D-5L: mapping the EQ-5D-5L to EQ-5D-3L value sets. Value Health 2012;15:708–15 (EuroQol crosswalk calculator table)",
        doi: "10.1016/j.jval.2012.02.008",
        status: Verification::TwoSource,
        note: "5L→3L crosswalk: lookup of the published table",
        model: Model::Crosswalk(column),
    }
}

const fn col(name: &str) -> usize {
    let mut i = 0;
    while i < CROSSWALK_COLUMNS.len() {
        if const_eq(CROSSWALK_COLUMNS[i], name) {
            return i;
        }
        i += 1;
    }
    usize::MAX // unreachable for the names used below; a wrong name fails to index at compile time
}

const fn const_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

const T3: Version = Version::ThreeLevel;
const T5: Version = Version::FiveLevel;
const OK: Verification = Verification::TwoSource;

static VALUE_SETS: [ValueSet; 35] = [
    // ---- EQ-5D-3L ----
    ValueSet {
        id: "eq5d3l_uk_dolan1997",
        country: "United Kingdom (MVH TTO)",
        version: T3,
        reference: "Dolan P. Modeling valuations for EuroQol health states. Med Care 1997;35:1095–108",
        doi: "10.1097/00005650-199711000-00002",
        status: OK,
        note: "",
        model: a3(
            -0.081,
            -0.269,
            [
                -0.069, -0.314, -0.104, -0.214, -0.036, -0.094, -0.123, -0.386, -0.071, -0.236,
            ],
        ),
    },
    ValueSet {
        id: "eq5d3l_us_shaw2005",
        country: "United States (D1 model)",
        version: T3,
        reference: "Shaw JW, Johnson JA, Coons SJ. US valuation of the EQ-5D health states: development and testing of the D1 valuation model. Med Care 2005;43:203–20",
        doi: "10.1097/00005650-200503000-00003",
        status: OK,
        note: "full-precision (AHRQ) coefficients; tables built from 3-dp coefficients differ by up to 0.007",
        model: Model::Additive3L {
            constant: 0.0,
            n3: 0.0,
            coef: [
                [-0.146016, -0.557685],
                [-0.1753425, -0.4711896],
                [-0.1397295, -0.3742594],
                [-0.1728907, -0.5371011],
                [-0.156223, -0.4501876],
            ],
            d1: 0.1395949,
            i2sq: -0.0106868,
            i3: 0.1215579,
            i3sq: 0.0147963,
        },
    },
    ValueSet {
        id: "eq5d3l_au_viney2011",
        country: "Australia (TTO)",
        version: T3,
        reference: "Viney R, Norman R, King MT, et al. Time trade-off derived EQ-5D weights for Australia. Value Health 2011;14:928–36",
        doi: "10.1016/j.jval.2011.04.009",
        status: OK,
        note: "lookup of the published 243-state table (unrounded coefficients; 22 states adjusted for logical consistency)",
        model: Model::Australia3L,
    },
    ValueSet {
        id: "eq5d3l_nl_lamers2006",
        country: "Netherlands",
        version: T3,
        reference: "Lamers LM, McDonnell J, Stalmeier PF, Krabbe PF, Busschbach JJ. The Dutch tariff: results and arguments for an effective design for national EQ-5D valuation studies. Health Econ 2006;15:1121–32",
        doi: "10.1002/hec.1124",
        status: OK,
        note: "",
        model: a3(
            -0.071,
            -0.234,
            [
                -0.036, -0.161, -0.082, -0.152, -0.032, -0.057, -0.086, -0.329, -0.124, -0.325,
            ],
        ),
    },
    ValueSet {
        id: "eq5d3l_de_greiner2005",
        country: "Germany",
        version: T3,
        reference: "Greiner W, Claes C, Busschbach JJ, von der Schulenburg JM. Validating the EQ-5D with time trade off for the German population. Eur J Health Econ 2005;6:124–30",
        doi: "10.1007/s10198-004-0264-z",
        status: OK,
        note: "no usual-activities terms and no AD2 term",
        model: a3(
            -0.001,
            -0.323,
            [
                -0.099, -0.327, -0.087, -0.174, 0.0, 0.0, -0.112, -0.315, 0.0, -0.065,
            ],
        ),
    },
    ValueSet {
        id: "eq5d3l_jp_tsuchiya2002",
        country: "Japan",
        version: T3,
        reference: "Tsuchiya A, Ikeda S, Ikegami N, et al. Estimating an EQ-5D population value set: the case of Japan. Health Econ 2002;11:341–53",
        doi: "10.1002/hec.673",
        status: OK,
        note: "",
        model: a3(
            -0.152,
            0.0,
            [
                -0.075, -0.418, -0.054, -0.102, -0.044, -0.133, -0.08, -0.194, -0.063, -0.112,
            ],
        ),
    },
    ValueSet {
        id: "eq5d3l_es_badia2001",
        country: "Spain",
        version: T3,
        reference: "Badia X, Roset M, Herdman M, Kind P. A comparison of United Kingdom and Spanish general population time trade-off values for EQ-5D health states. Med Decis Making 2001;21:7–16",
        doi: "10.1177/0272989X0102100102",
        status: OK,
        note: "",
        model: a3(
            -0.024,
            -0.291,
            [
                -0.106, -0.43, -0.134, -0.309, -0.071, -0.195, -0.089, -0.261, -0.062, -0.144,
            ],
        ),
    },
    ValueSet {
        id: "eq5d3l_dk_wittrup2009",
        country: "Denmark",
        version: T3,
        reference: "Wittrup-Jensen KU, Lauridsen J, Gudex C, Pedersen KM. Generation of a Danish TTO value set for EQ-5D health states. Scand J Public Health 2009;37:459–66",
        doi: "10.1177/1403494809105287",
        status: OK,
        note: "",
        model: a3(
            -0.114,
            0.0,
            [
                -0.053, -0.411, -0.063, -0.192, -0.048, -0.144, -0.062, -0.396, -0.068, -0.367,
            ],
        ),
    },
    ValueSet {
        id: "eq5d3l_fr_chevalier2013",
        country: "France",
        version: T3,
        reference: "Chevalier J, de Pouvourville G. Valuing EQ-5D using time trade-off in France. Eur J Health Econ 2013;14:57–66",
        doi: "10.1007/s10198-011-0351-x",
        status: OK,
        note: "",
        model: a3(
            0.0,
            -0.174,
            [
                -0.155, -0.372, -0.212, -0.326, -0.156, -0.189, -0.112, -0.265, -0.09, -0.204,
            ],
        ),
    },
    ValueSet {
        id: "eq5d3l_ca_bansback2012",
        country: "Canada",
        version: T3,
        reference: "Bansback N, Tsuchiya A, Brazier J, Anis A. Canadian valuation of EQ-5D health states: preliminary value set and considerations for future valuation studies. PLoS One 2012;7:e31115",
        doi: "10.1371/journal.pone.0031115",
        status: OK,
        note: "",
        model: a3(
            -0.111,
            0.0,
            [
                -0.046, -0.322, -0.071, -0.224, -0.072, -0.105, -0.045, -0.298, -0.063, -0.28,
            ],
        ),
    },
    ValueSet {
        id: "eq5d3l_it_scalone2013",
        country: "Italy",
        version: T3,
        reference: "Scalone L, Cortesi PA, Ciampichini R, et al. Italian population-based values of EQ-5D health states. Value Health 2013;16:814–22",
        doi: "10.1016/j.jval.2013.04.008",
        status: OK,
        note: "D1 term, no constant",
        model: Model::Additive3L {
            constant: 0.0,
            n3: 0.0,
            coef: [
                [-0.076, -0.518],
                [-0.1, -0.289],
                [-0.085, -0.198],
                [-0.098, -0.334],
                [-0.095, -0.213],
            ],
            d1: 0.043,
            i2sq: 0.0,
            i3: 0.0,
            i3sq: 0.0,
        },
    },
    ValueSet {
        id: "eq5d3l_pl_golicki2010",
        country: "Poland",
        version: T3,
        reference: "Golicki D, Jakubczyk M, Niewada M, Wrona W, Busschbach JJ. Valuation of EQ-5D health states in Poland: first TTO-based social value set in Central and Eastern Europe. Value Health 2010;13:289–97",
        doi: "10.1111/j.1524-4733.2009.00596.x",
        status: OK,
        note: "",
        model: a3(
            -0.049,
            0.0,
            [
                -0.052, -0.331, -0.054, -0.235, -0.046, -0.212, -0.057, -0.489, -0.026, -0.207,
            ],
        ),
    },
    ValueSet {
        id: "eq5d3l_kr_lee2009",
        country: "South Korea",
        version: T3,
        reference: "Lee YK, Nam HS, Chuang LH, et al. South Korean time trade-off values for EQ-5D health states: modeling with observed values for 101 health states. Value Health 2009;12:1187–93",
        doi: "10.1111/j.1524-4733.2009.00579.x",
        status: OK,
        note: "",
        model: a3(
            -0.05,
            -0.05,
            [
                -0.096, -0.418, -0.046, -0.136, -0.051, -0.208, -0.037, -0.151, -0.043, -0.158,
            ],
        ),
    },
    ValueSet {
        id: "eq5d3l_zw_jelsma2003",
        country: "Zimbabwe",
        version: T3,
        reference: "Jelsma J, Hansen K, de Weerdt W, de Cock P, Kind P. How do Zimbabweans value health states? Popul Health Metr 2003;1:11",
        doi: "10.1186/1478-7954-1-11",
        status: OK,
        note: "",
        model: a3(
            -0.1,
            0.0,
            [
                -0.056, -0.204, -0.092, -0.231, -0.043, -0.135, -0.067, -0.302, -0.046, -0.173,
            ],
        ),
    },
    // ---- EQ-5D-5L ----
    ValueSet {
        id: "eq5d5l_en_devlin2018",
        country: "England",
        version: T5,
        reference: "Devlin NJ, Shah KK, Feng Y, Mulhern B, van Hout B. Valuing health-related quality of life: an EQ-5D-5L value set for England. Health Econ 2018;27:7–22",
        doi: "10.1002/hec.3564",
        status: OK,
        note: "",
        model: a5(
            0.0,
            0.0,
            [
                [-0.058, -0.076, -0.207, -0.274],
                [-0.05, -0.08, -0.164, -0.203],
                [-0.05, -0.063, -0.162, -0.184],
                [-0.063, -0.084, -0.276, -0.335],
                [-0.078, -0.104, -0.285, -0.289],
            ],
        ),
    },
    ValueSet {
        id: "eq5d5l_us_pickard2019",
        country: "United States",
        version: T5,
        reference: "Pickard AS, Law EH, Jiang R, et al. United States valuation of EQ-5D-5L health states using an international protocol. Value Health 2019;22:931–41",
        doi: "10.1016/j.jval.2019.02.009",
        status: OK,
        note: "",
        model: a5(
            0.0,
            0.0,
            [
                [-0.096, -0.122, -0.237, -0.322],
                [-0.089, -0.107, -0.22, -0.261],
                [-0.068, -0.101, -0.255, -0.255],
                [-0.06, -0.098, -0.318, -0.414],
                [-0.057, -0.123, -0.299, -0.321],
            ],
        ),
    },
    ValueSet {
        id: "eq5d5l_au_norman2023",
        country: "Australia",
        version: T5,
        reference: "Norman R, Mulhern B, Lancsar E, et al. The use of a discrete choice experiment including both duration and dead for the development of an EQ-5D-5L value set for Australia. PharmacoEconomics 2023;41:427–38",
        doi: "10.1007/s40273-023-01243-0",
        status: OK,
        note: "UA2 is 0; an extra −0.153 when any dimension is at level 5",
        model: a5(
            0.0,
            -0.153,
            [
                [-0.039, -0.067, -0.237, -0.242],
                [-0.03, -0.058, -0.213, -0.221],
                [0.0, -0.055, -0.162, -0.162],
                [-0.044, -0.081, -0.276, -0.285],
                [-0.032, -0.066, -0.238, -0.238],
            ],
        ),
    },
    ValueSet {
        id: "eq5d5l_nl_versteegh2016",
        country: "Netherlands",
        version: T5,
        reference: "Versteegh MM, Vermeulen KM, Evers SMAA, et al. Dutch tariff for the five-level version of EQ-5D. Value Health 2016;19:343–52",
        doi: "10.1016/j.jval.2016.01.003",
        status: OK,
        note: "published 3-dp coefficients",
        model: a5(
            -0.047,
            0.0,
            [
                [-0.035, -0.057, -0.166, -0.203],
                [-0.038, -0.061, -0.168, -0.168],
                [-0.039, -0.087, -0.192, -0.192],
                [-0.066, -0.092, -0.36, -0.415],
                [-0.07, -0.145, -0.356, -0.421],
            ],
        ),
    },
    ValueSet {
        id: "eq5d5l_de_ludwig2018",
        country: "Germany",
        version: T5,
        reference: "Ludwig K, Graf von der Schulenburg JM, Greiner W. German value set for the EQ-5D-5L. PharmacoEconomics 2018;36:663–74",
        doi: "10.1007/s40273-018-0615-8",
        status: Verification::Disputed,
        note: "AD4 disputed: −0.244 (used here; eq5d and valueEQ5D) v. −0.224 (eq5dsuite); states with AD = 4 may be 0.020 off",
        model: a5(
            0.0,
            0.0,
            [
                [-0.026, -0.042, -0.139, -0.224],
                [-0.05, -0.056, -0.169, -0.26],
                [-0.036, -0.049, -0.129, -0.209],
                [-0.057, -0.109, -0.404, -0.612],
                [-0.03, -0.082, -0.244, -0.356],
            ],
        ),
    },
    ValueSet {
        id: "eq5d5l_jp_shiroiwa2016",
        country: "Japan (cTTO)",
        version: T5,
        reference: "Shiroiwa T, Ikeda S, Noto S, et al. Comparison of value set based on DCE and/or TTO data: scoring for EQ-5D-5L health states in Japan. Value Health 2016;19:648–54",
        doi: "10.1016/j.jval.2016.03.1834",
        status: OK,
        note: "the cTTO model",
        model: a5(
            -0.0609,
            0.0,
            [
                [-0.0639, -0.1126, -0.179, -0.2429],
                [-0.0436, -0.0767, -0.1243, -0.1597],
                [-0.0504, -0.0911, -0.1479, -0.1748],
                [-0.0445, -0.0682, -0.1314, -0.1912],
                [-0.0718, -0.1105, -0.1682, -0.196],
            ],
        ),
    },
    ValueSet {
        id: "eq5d5l_es_ramosgoni2018",
        country: "Spain",
        version: T5,
        reference: "Ramos-Goñi JM, Craig BM, Oppe M, et al. Handling data quality issues to estimate the Spanish EQ-5D-5L value set using a hybrid interval regression approach. Value Health 2018;21:596–604",
        doi: "10.1016/j.jval.2017.10.023",
        status: OK,
        note: "7-dp coefficients",
        model: a5(
            0.0,
            0.0,
            [
                [-0.0839717, -0.0992505, -0.2497363, -0.337318],
                [-0.0500236, -0.053293, -0.1640509, -0.1961494],
                [-0.0440448, -0.0489321, -0.1351463, -0.153155],
                [-0.077983, -0.1011491, -0.2454973, -0.3818179],
                [-0.0807394, -0.1275334, -0.2704687, -0.3477585],
            ],
        ),
    },
    ValueSet {
        id: "eq5d5l_dk_jensen2021",
        country: "Denmark",
        version: T5,
        reference: "Jensen CE, Sørensen SS, Gudex C, Jensen MB, Pedersen KM, Ehlers LH. The Danish EQ-5D-5L value set: a hybrid model using cTTO and DCE data. Appl Health Econ Health Policy 2021;19:579–91",
        doi: "10.1007/s40258-021-00639-3",
        status: OK,
        note: "",
        model: a5(
            0.0,
            0.0,
            [
                [-0.041, -0.054, -0.157, -0.22],
                [-0.035, -0.05, -0.144, -0.209],
                [-0.033, -0.04, -0.139, -0.174],
                [-0.048, -0.094, -0.381, -0.537],
                [-0.072, -0.191, -0.43, -0.618],
            ],
        ),
    },
    ValueSet {
        id: "eq5d5l_fr_andrade2020",
        country: "France",
        version: T5,
        reference: "Andrade LF, Ludwig K, Goni JMR, Oppe M, de Pouvourville G. A French value set for the EQ-5D-5L. PharmacoEconomics 2020;38:413–25",
        doi: "10.1007/s40273-019-00876-4",
        status: OK,
        note: "",
        model: a5(
            0.0,
            0.0,
            [
                [-0.03759, -0.04774, -0.17949, -0.32509],
                [-0.03656, -0.050781, -0.172251, -0.258331],
                [-0.03313, -0.03979, -0.15689, -0.24005],
                [-0.02198, -0.04704, -0.26374, -0.44399],
                [-0.02046, -0.04683, -0.20005, -0.25803],
            ],
        ),
    },
    ValueSet {
        id: "eq5d5l_cn_luo2017",
        country: "China",
        version: T5,
        reference: "Luo N, Liu G, Li M, Guan H, Jin X, Rand-Hendriksen K. Estimating an EQ-5D-5L value set for China. Value Health 2017;20:662–9",
        doi: "10.1016/j.jval.2016.11.016",
        status: OK,
        note: "",
        model: a5(
            0.0,
            0.0,
            [
                [-0.066, -0.158, -0.287, -0.345],
                [-0.048, -0.116, -0.21, -0.253],
                [-0.045, -0.107, -0.194, -0.233],
                [-0.058, -0.138, -0.252, -0.302],
                [-0.049, -0.118, -0.215, -0.258],
            ],
        ),
    },
    ValueSet {
        id: "eq5d5l_ca_xie2016",
        country: "Canada",
        version: T5,
        reference: "Xie F, Pullenayegum E, Gaebel K, et al. A time trade-off-derived value set of the EQ-5D-5L for Canada. Med Care 2016;54:98–105",
        doi: "10.1097/MLR.0000000000000447",
        status: OK,
        note: "linear-in-level model; 11111 = 0.9489",
        model: Model::Canada5L,
    },
    // ---- 5L → 3L crosswalk (van Hout 2012), the ten original countries ----
    cw("Denmark (crosswalk)", "eq5d5l_cw_dk", col("Denmark")),
    cw("France (crosswalk)", "eq5d5l_cw_fr", col("France")),
    cw("Germany (crosswalk)", "eq5d5l_cw_de", col("Germany")),
    cw("Japan (crosswalk)", "eq5d5l_cw_jp", col("Japan")),
    cw(
        "Netherlands (crosswalk)",
        "eq5d5l_cw_nl",
        col("Netherlands"),
    ),
    cw("Spain (crosswalk)", "eq5d5l_cw_es", col("Spain")),
    cw("Thailand (crosswalk)", "eq5d5l_cw_th", col("Thailand")),
    cw("United Kingdom (crosswalk)", "eq5d5l_cw_uk", col("UK")),
    cw("United States (crosswalk)", "eq5d5l_cw_us", col("USA")),
    cw("Zimbabwe (crosswalk)", "eq5d5l_cw_zw", col("Zimbabwe")),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_crosswalk_columns_resolve() {
        let mut ids: Vec<_> = VALUE_SETS.iter().map(|v| v.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), VALUE_SETS.len());
        for v in &VALUE_SETS {
            if let Model::Crosswalk(c) = v.model {
                assert!(c < CROSSWALK_COLUMNS.len(), "{}", v.id);
            }
        }
    }
}
