//! The UKPDS risk engine equations for people with type 2 diabetes: UKPDS 56, the risk of a first
//! fatal or non-fatal coronary heart disease event, and UKPDS 60, the risk of a first fatal or
//! non-fatal stroke.
//!
//! # Model
//! Both are parametric proportional-hazards models whose hazard rises geometrically with the time
//! since diagnosis of diabetes. For a person who is event-free now, D years after diagnosis, the
//! probability of a first event within the next T years is
//! ```text
//! R(T | D) = 1 − exp(−q · d^D · (1 − d^T)/(1 − d)),   q = q₀ · Π β_k^(x_k)
//! ```
//! computed as H = q·exp(D ln d)·expm1(T ln d)/(d − 1), R = −expm1(−H). Competing mortality is not
//! modelled (the papers' net risk). For extreme inputs R rounds to exactly 1.
//!
//! # Age at diagnosis, not current age
//! The age covariate of both equations is the **age at diagnosis of diabetes**; the time since
//! then enters only through d^D. Current age = age at diagnosis + D. Re-evaluating the same person
//! a year later with unchanged risk factors changes only D → D + 1 and multiplies the hazard by d —
//! the "both groups aged by one year" effect of a 12-month trial ([`Profile::one_year_later`]).
//! Entering current age in the age term counts the duration twice (an extra factor β_age^D): a
//! bug found in public code. [`Profile`] therefore takes the age at diagnosis and the duration, and
//! never a current age.
//!
//! # UKPDS 66
//! The fatal-CHD and fatal-stroke equations (UKPDS 66) are **not implemented**: their coefficients
//! could not be confirmed from the original publication (only from one secondary code base), and
//! the rule that combines them with the event models is not published.
//!
//! # References
//! Stevens RJ, Kothari V, Adler AI, Stratton IM, Holman RR (2001). The UKPDS risk engine: a model
//! for the risk of coronary heart disease in type II diabetes (UKPDS 56). Clin Sci 101:671–679,
//! doi:10.1042/cs1010671.
//! Kothari V, Stevens RJ, Adler AI, Stratton IM, Manley SE, Neil HA, Holman RR (2002). UKPDS 60:
//! risk of stroke in type 2 diabetes estimated by the UK Prospective Diabetes Study risk engine.
//! Stroke 33:1776–1781, doi:10.1161/01.STR.0000020091.07144.C7.
#![forbid(unsafe_code)]

pub mod batch;
pub mod equation;
pub mod error;
pub mod profile;

pub use batch::{BatchInput, evaluate_batch};
pub use equation::{Equation, Risk};
pub use error::UkpdsError;
pub use profile::{Hba1c, Profile, ProfileBuilder};
