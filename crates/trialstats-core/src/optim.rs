//! One Newton–Raphson minimiser with step-halving, shared by every iterative fit.
//!
//! The model supplies the objective (a negative log-likelihood), its gradient and Hessian through
//! [`Objective`]; [`newton`] runs the iterations; every tolerance sits in [`Control`].
//!
//! # Algorithm
//! At θₜ with gradient g and Hessian H, the step is d = −H⁻¹g (Cholesky). If H is not positive
//! definite, a ridge λI is added, starting at λ = 10⁻⁸·(1 + max |H_jj|) and growing tenfold, up to
//! 20 times (Levenberg–Marquardt); if that fails too the step is steepest descent scaled by
//! 1/(1 + max |H_jj|). The step is then halved until the objective does not increase beyond
//! rounding (`f(θ + d) ≤ f(θ) + 64 ε (1 + |f(θ)|)`), at most `max_halvings` times.
//!
//! # Convergence
//! The fit has converged when max |g| ≤ `grad_tol`, or when an accepted full Newton step moved every
//! parameter by at most `step_tol · (1 + |θ_j|)` (quadratic convergence then puts the next error
//! below rounding).
//!
//! # References
//! Nocedal & Wright (2006), *Numerical Optimization*, 2nd ed., ch. 3 (line search) and §3.4
//! (Hessian modification). R ordinal's `clm.fit` uses the same step-halving Newton scheme
//! (Christensen 2019, `ordinal` reference manual, `clm.control`).

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use crate::error::LinalgError;
use crate::inference::{Convergence, Termination};
use crate::linalg::{Spd, condition_number};

/// Tolerances and limits of [`newton`]. The defaults are chosen to converge to (near) machine
/// precision on well-conditioned likelihoods, tighter than R's defaults so that results match R
/// to its printed digits.
///
/// # Examples
/// ```
/// use trialstats_core::Control;
/// let c = Control { max_iter: 25, ..Control::default() };
/// assert_eq!((c.max_iter, c.max_halvings), (25, 30));
/// assert_eq!((c.grad_tol, c.step_tol), (1e-9, 1e-10));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Control {
    /// Maximum number of Newton iterations. Default 100.
    pub max_iter: u32,
    /// Converged when max |gradient| ≤ `grad_tol`. Default `1e-9`.
    pub grad_tol: f64,
    /// Converged when a full Newton step changes every θ_j by ≤ `step_tol · (1 + |θ_j|)`.
    /// Default `1e-10`.
    pub step_tol: f64,
    /// Maximum number of step halvings per iteration. Default 30.
    pub max_halvings: u32,
}

impl Default for Control {
    fn default() -> Self {
        Self {
            max_iter: 100,
            grad_tol: 1e-9,
            step_tol: 1e-10,
            max_halvings: 30,
        }
    }
}

/// The objective, gradient and Hessian at one point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// f(θ); may be `+∞` outside the domain.
    pub value: f64,
    /// ∇f(θ).
    pub gradient: DVector<f64>,
    /// ∇²f(θ), symmetric.
    pub hessian: DMatrix<f64>,
}

impl Evaluation {
    /// An evaluation at a point outside the domain (of `n` parameters): f = +∞ with a zero
    /// gradient and Hessian, which makes the optimiser halve its step.
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::optim::Evaluation;
    /// let e = Evaluation::infeasible(2);
    /// assert_eq!(e.value, f64::INFINITY);
    /// assert_eq!(e.gradient.len(), 2);
    /// assert_eq!(e.hessian.shape(), (2, 2));
    /// ```
    pub fn infeasible(n: usize) -> Self {
        Self {
            value: f64::INFINITY,
            gradient: DVector::zeros(n),
            hessian: DMatrix::zeros(n, n),
        }
    }
}

/// A function to minimise, with analytic derivatives.
pub trait Objective {
    /// The model's error type; it must be able to carry linear-algebra failures.
    type Error: From<LinalgError>;

    /// Value, gradient and Hessian at `theta`.
    ///
    /// # Errors
    /// Whatever the model cannot evaluate (a value of `+∞` is not an error).
    fn evaluate(&self, theta: &DVector<f64>) -> Result<Evaluation, Self::Error>;

    /// Value only, used during step-halving; defaults to [`Objective::evaluate`]. Return `+∞`
    /// (not an error) outside the domain, so that the step is halved.
    ///
    /// # Errors
    /// As [`Objective::evaluate`].
    fn value(&self, theta: &DVector<f64>) -> Result<f64, Self::Error> {
        Ok(self.evaluate(theta)?.value)
    }
}

/// The outcome of [`newton`]: the last point, its derivatives and the convergence report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Minimum {
    /// The minimiser θ̂ (or the last iterate when not converged).
    pub theta: DVector<f64>,
    /// f(θ̂).
    pub value: f64,
    /// ∇f(θ̂).
    pub gradient: DVector<f64>,
    /// ∇²f(θ̂).
    pub hessian: DMatrix<f64>,
    /// How the iterations ended. A fit that did not converge is returned, not an error: the
    /// model decides whether that is a warning or an error.
    pub convergence: Convergence,
}

/// Minimises `objective` from `start` by Newton–Raphson with step-halving (see the module docs).
///
/// # Errors
/// The objective's own errors; [`LinalgError::NonFinite`] (converted) if the starting value,
/// gradient or Hessian is not finite.
///
/// # Examples
/// ```
/// use nalgebra::{DMatrix, DVector};
/// use trialstats_core::optim::{newton, Control, Evaluation, Objective};
/// use trialstats_core::LinalgError;
///
/// /// f(θ) = exp(θ) − 2θ, minimised at θ = ln 2.
/// struct F;
/// impl Objective for F {
///     type Error = LinalgError;
///     fn evaluate(&self, t: &DVector<f64>) -> Result<Evaluation, LinalgError> {
///         let e = t[0].exp();
///         Ok(Evaluation {
///             value: e - 2.0 * t[0],
///             gradient: DVector::from_element(1, e - 2.0),
///             hessian: DMatrix::from_element(1, 1, e),
///         })
///     }
/// }
/// let m = newton(&F, DVector::from_element(1, 3.0), &Control::default()).unwrap();
/// assert!(m.convergence.converged());
/// assert!((m.theta[0] - 2f64.ln()).abs() < 1e-14);
/// ```
pub fn newton<O: Objective>(
    objective: &O,
    start: DVector<f64>,
    control: &Control,
) -> Result<Minimum, O::Error> {
    let eval = objective.evaluate(&start)?;
    newton_from(objective, start, eval, control)
}

/// As [`newton`], from a start whose evaluation the caller already has (for example because it
/// inspected the starting Hessian), saving one evaluation.
///
/// # Errors
/// As [`newton`].
///
/// # Examples
/// ```
/// use nalgebra::{DMatrix, DVector};
/// use trialstats_core::optim::{newton_from, Control, Evaluation, Objective};
/// use trialstats_core::LinalgError;
///
/// /// f(θ) = θ⁴/4 − θ: f′(θ) = θ³ − 1 vanishes at θ = 1.
/// struct F;
/// impl Objective for F {
///     type Error = LinalgError;
///     fn evaluate(&self, t: &DVector<f64>) -> Result<Evaluation, LinalgError> {
///         let x = t[0];
///         Ok(Evaluation {
///             value: x.powi(4) / 4.0 - x,
///             gradient: DVector::from_element(1, x.powi(3) - 1.0),
///             hessian: DMatrix::from_element(1, 1, 3.0 * x * x),
///         })
///     }
/// }
/// # fn main() -> Result<(), LinalgError> {
/// let start = DVector::from_element(1, 2.0);
/// let eval = F.evaluate(&start)?; // e.g. to inspect the starting Hessian first
/// let m = newton_from(&F, start, eval, &Control::default())?;
/// assert!((m.theta[0] - 1.0).abs() < 1e-12 && (m.value + 0.75).abs() < 1e-15);
/// # Ok(()) }
/// ```
pub fn newton_from<O: Objective>(
    objective: &O,
    start: DVector<f64>,
    start_eval: Evaluation,
    control: &Control,
) -> Result<Minimum, O::Error> {
    let mut theta = start;
    let mut eval = start_eval;
    check_eval(&eval)?;
    let mut iterations = 0u32;
    let status = loop {
        if max_abs(&eval.gradient) <= control.grad_tol {
            break Termination::Converged;
        }
        if iterations >= control.max_iter {
            break Termination::MaxIterations;
        }
        let step = newton_step(&eval);
        let mut scale = 1.0;
        let tolerance = 64.0 * f64::EPSILON * (1.0 + eval.value.abs());
        // The full step is evaluated with its derivatives at once (the common case: accepted, so
        // the evaluation is reused); shorter steps are screened by value only.
        let mut accepted = None;
        let full = &theta + &step;
        let full_eval = objective.evaluate(&full)?;
        if full_eval.value.is_finite() && full_eval.value <= eval.value + tolerance {
            accepted = Some((full, 0, Some(full_eval)));
        } else {
            for halvings in 1..=control.max_halvings {
                scale *= 0.5;
                let trial = &theta + &step * scale;
                let v = objective.value(&trial)?;
                if v.is_finite() && v <= eval.value + tolerance {
                    accepted = Some((trial, halvings, None));
                    break;
                }
            }
        }
        iterations += 1;
        let Some((next, halvings, next_eval)) = accepted else {
            // No step lowers the value by more than its rounding (`tolerance`). When the
            // quadratic model predicts a decrease below that rounding too (−½ gᵀ·step, at most
            // a few ulps of the value), the minimum is reached to the precision the objective
            // can be evaluated with (an integrated likelihood's inner optimisations add noise
            // of that size); otherwise the step truly fails.
            let predicted = -0.5 * eval.gradient.dot(&step);
            if predicted.is_finite() && predicted.abs() <= tolerance {
                break Termination::Converged;
            }
            break Termination::StepHalvingFailed;
        };
        let small_step = halvings == 0
            && step
                .iter()
                .zip(theta.iter())
                .all(|(d, t)| d.abs() <= control.step_tol * (1.0 + t.abs()));
        theta = next;
        eval = match next_eval {
            Some(e) => e,
            None => objective.evaluate(&theta)?,
        };
        check_eval(&eval)?;
        if small_step {
            break Termination::Converged;
        }
    };
    let convergence = Convergence {
        iterations,
        max_abs_gradient: max_abs(&eval.gradient),
        hessian_condition: condition_number(&eval.hessian),
        status,
    };
    Ok(Minimum {
        theta,
        value: eval.value,
        gradient: eval.gradient,
        hessian: eval.hessian,
        convergence,
    })
}

fn max_abs(v: &DVector<f64>) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

fn check_eval(eval: &Evaluation) -> Result<(), LinalgError> {
    if !eval.value.is_finite() {
        return Err(LinalgError::NonFinite {
            what: "objective".into(),
            row: 0,
            col: 0,
        });
    }
    if let Some(i) = eval.gradient.iter().position(|g| !g.is_finite()) {
        return Err(LinalgError::NonFinite {
            what: "gradient".into(),
            row: i,
            col: 0,
        });
    }
    crate::linalg::check_finite("Hessian", &eval.hessian)
}

/// d = −H⁻¹g, with a ridge or a steepest-descent fallback when H is not positive definite.
fn newton_step(eval: &Evaluation) -> DVector<f64> {
    if let Ok(spd) = Spd::new(eval.hessian.clone(), "Hessian") {
        if let Ok(d) = spd.solve(&eval.gradient) {
            return -d;
        }
    }
    let k = eval.hessian.nrows();
    let diag_max = eval
        .hessian
        .diagonal()
        .iter()
        .fold(0.0_f64, |m, x| m.max(x.abs()));
    let mut lambda = 1e-8 * (1.0 + diag_max);
    for _ in 0..20 {
        let h = &eval.hessian + DMatrix::<f64>::identity(k, k) * lambda;
        if let Ok(spd) = Spd::new(h, "Hessian + ridge") {
            if let Ok(d) = spd.solve(&eval.gradient) {
                return -d;
            }
        }
        lambda *= 10.0;
    }
    -&eval.gradient / (1.0 + diag_max)
}

/// The minimum of `f` over [`lower`, `upper`] by Brent's method (golden-section steps and
/// parabolic interpolation), as R's `optimize` (its C routine `Brent_fmin`, from Brent's
/// `localmin`): returns (x, f(x)) with x within about `tol` of a local minimiser, after at most
/// `max_iter` steps.
///
/// # References
/// Brent (1973), *Algorithms for Minimization without Derivatives*, ch. 5.
///
/// # Examples
/// ```
/// use trialstats_core::optim::fmin;
/// let (x, fx) = fmin(&|x: f64| (x - 0.7).powi(2) + 1.0, 0.0, 2.0, 1e-10, 100);
/// // Accurate to about √ε·|x| + tol/3 in x, and so to about ε in f at a smooth minimum.
/// assert!((x - 0.7).abs() < 1e-7 && (fx - 1.0).abs() < 1e-14);
/// ```
pub fn fmin(
    f: &dyn Fn(f64) -> f64,
    lower: f64,
    upper: f64,
    tol: f64,
    max_iter: usize,
) -> (f64, f64) {
    // c = (3 − √5)/2, the golden-section fraction.
    let c = 0.5 * (3.0 - 5f64.sqrt());
    let eps = f64::EPSILON.sqrt();
    let (mut a, mut b) = (lower, upper);
    let mut v = a + c * (b - a);
    let (mut w, mut x) = (v, v);
    let (mut d, mut e) = (0.0f64, 0.0f64);
    let mut fx = f(x);
    let (mut fv, mut fw) = (fx, fx);
    let tol3 = tol / 3.0;
    for _ in 0..max_iter {
        let xm = 0.5 * (a + b);
        let tol1 = eps * x.abs() + tol3;
        let t2 = 2.0 * tol1;
        if (x - xm).abs() <= t2 - 0.5 * (b - a) {
            break;
        }
        let (mut p, mut q, mut r) = (0.0, 0.0, 0.0);
        if e.abs() > tol1 {
            // A parabola through x, v, w.
            r = (x - w) * (fx - fv);
            q = (x - v) * (fx - fw);
            p = (x - v) * q - (x - w) * r;
            q = 2.0 * (q - r);
            if q > 0.0 {
                p = -p;
            } else {
                q = -q;
            }
            r = e;
            e = d;
        }
        if p.abs() >= (0.5 * q * r).abs() || p <= q * (a - x) || p >= q * (b - x) {
            // A golden-section step.
            e = if x < xm { b - x } else { a - x };
            d = c * e;
        } else {
            // The parabolic step, not too close to a or b.
            d = p / q;
            let u = x + d;
            if u - a < t2 || b - u < t2 {
                d = if x < xm { tol1 } else { -tol1 };
            }
        }
        let u = if d.abs() >= tol1 {
            x + d
        } else if d > 0.0 {
            x + tol1
        } else {
            x - tol1
        };
        let fu = f(u);
        if fu <= fx {
            if u < x {
                b = x;
            } else {
                a = x;
            }
            (v, fv) = (w, fw);
            (w, fw) = (x, fx);
            (x, fx) = (u, fu);
        } else {
            if u < x {
                a = u;
            } else {
                b = u;
            }
            // Exact equality of stored points, as in Brent's algorithm.
            if fu <= fw || w.to_bits() == x.to_bits() {
                (v, fv) = (w, fw);
                (w, fw) = (u, fu);
            } else if fu <= fv || v.to_bits() == x.to_bits() || v.to_bits() == w.to_bits() {
                (v, fv) = (u, fu);
            }
        }
    }
    (x, fx)
}

/// A root of `f` in [`lower`, `upper`] by Brent's method, step for step as R's `uniroot` (its C
/// routine `zeroin2`, from Forsythe, Malcolm & Moler's `zeroin`), given f at the ends, which
/// must differ in sign. It stops when the bracket is within `tol` (and 2ε|b|) or after
/// `max_iter` steps, returning the best end b. Reproducing R's steps matters where f is a step
/// function whose zero set is an interval (the Hodges–Lehmann estimate of `wilcox.test`): any
/// point of it is a root, and R's is the one its iteration reaches.
///
/// # References
/// Brent (1973), *Algorithms for Minimization without Derivatives*, ch. 4; Forsythe, Malcolm &
/// Moler (1977), *Computer Methods for Mathematical Computations*, `zeroin`.
///
/// # Examples
/// ```
/// use trialstats_core::optim::uniroot;
/// let f = |x: f64| x * x - 2.0;
/// let r = uniroot(&f, 0.0, 2.0, f(0.0), f(2.0), 1e-12, 1000);
/// assert!((r - 2f64.sqrt()).abs() < 1e-12);
/// ```
pub fn uniroot(
    f: &dyn Fn(f64) -> f64,
    lower: f64,
    upper: f64,
    f_lower: f64,
    f_upper: f64,
    tol: f64,
    max_iter: usize,
) -> f64 {
    let (mut a, mut b) = (lower, upper);
    let (mut fa, mut fb) = (f_lower, f_upper);
    let (mut c, mut fc) = (a, fa);
    if fa == 0.0 {
        return a;
    }
    if fb == 0.0 {
        return b;
    }
    for _ in 0..=max_iter {
        let prev_step = b - a;
        if fc.abs() < fb.abs() {
            a = b;
            b = c;
            c = a;
            fa = fb;
            fb = fc;
            fc = fa;
        }
        let tol_act = 2.0 * f64::EPSILON * b.abs() + tol / 2.0;
        let mut new_step = (c - b) / 2.0;
        if new_step.abs() <= tol_act || fb == 0.0 {
            return b;
        }
        // Interpolate when the last step was large enough and f is falling.
        if prev_step.abs() >= tol_act && fa.abs() > fb.abs() {
            let cb = c - b;
            let (mut p, mut q);
            // R compares a == c: c was last set from a (two distinct points so far).
            if a.to_bits() == c.to_bits() {
                // Linear (secant).
                let t1 = fb / fa;
                p = cb * t1;
                q = 1.0 - t1;
            } else {
                // Inverse quadratic.
                q = fa / fc;
                let t1 = fb / fc;
                let t2 = fb / fa;
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0));
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0);
            }
            if p > 0.0 {
                q = -q;
            } else {
                p = -p;
            }
            if p < 0.75 * cb * q - (tol_act * q).abs() / 2.0 && p < (prev_step * q / 2.0).abs() {
                new_step = p / q;
            }
        }
        if new_step.abs() < tol_act {
            new_step = if new_step > 0.0 { tol_act } else { -tol_act };
        }
        a = b;
        fa = fb;
        b += new_step;
        fb = f(b);
        if (fb > 0.0 && fc > 0.0) || (fb < 0.0 && fc < 0.0) {
            c = a;
            fc = fa;
        }
    }
    b
}

/// Central differences of `f` at `x`: g_a = (f(x + h_a e_a) − f(x − h_a e_a)) / 2h_a with
/// h_a = `rel`·(1 + |x_a|) (truncation error O(h²), rounding O(ε|f|/h): `rel` = 10⁻⁵ balances
/// them for a smooth f to about 10⁻¹⁰ relative).
///
/// # Errors
/// The first error of `f`.
///
/// # Examples
/// ```
/// use nalgebra::DVector;
/// use trialstats_core::optim::central_gradient;
/// let f = |x: &DVector<f64>| Ok::<_, ()>(x[0] * x[0] + 3.0 * x[1]);
/// let g = central_gradient(&f, &DVector::from_vec(vec![2.0, -1.0]), 1e-5).unwrap();
/// assert!((g[0] - 4.0).abs() < 1e-8 && (g[1] - 3.0).abs() < 1e-8);
/// ```
pub fn central_gradient<E>(
    f: &dyn Fn(&DVector<f64>) -> Result<f64, E>,
    x: &DVector<f64>,
    rel: f64,
) -> Result<DVector<f64>, E> {
    let mut g = DVector::zeros(x.len());
    central_steps(f, x, rel, |a, fp, fm, h| g[a] = (fp - fm) / (2.0 * h))?;
    Ok(g)
}

/// For each coordinate a of `x`: `each(a, f(x + h_a e_a), f(x − h_a e_a), h_a)` with
/// h_a = `rel`·(1 + |x_a|), the steps of [`central_gradient`] and [`gradient_differences`].
fn central_steps<T, E>(
    f: &dyn Fn(&DVector<f64>) -> Result<T, E>,
    x: &DVector<f64>,
    rel: f64,
    mut each: impl FnMut(usize, T, T, f64),
) -> Result<(), E> {
    let mut t = x.clone();
    for a in 0..x.len() {
        let h = rel * (1.0 + x[a].abs());
        t[a] = x[a] + h;
        let fp = f(&t)?;
        t[a] = x[a] - h;
        let fm = f(&t)?;
        t[a] = x[a];
        each(a, fp, fm, h);
    }
    Ok(())
}

/// Second central differences of `f` at `x` (1 + 2n + 2n(n − 1) values): the diagonal
/// (f(x + h_a) − 2f(x) + f(x − h_a))/h_a² and the cross terms from the four corners
/// (f(++) − f(+−) − f(−+) + f(−−))/4h_a h_b, with h_a = `rel`·(1 + |x_a|) (`rel` = 10⁻⁴ for an
/// error of about 10⁻⁸ relative on a smooth f).
///
/// # Errors
/// The first error of `f`.
///
/// # Examples
/// ```
/// use nalgebra::DVector;
/// use trialstats_core::optim::second_differences;
/// let f = |x: &DVector<f64>| Ok::<_, ()>(x[0] * x[0] * x[1]);
/// let h = second_differences(&f, &DVector::from_vec(vec![1.0, 2.0]), 1e-4).unwrap();
/// assert!((h[(0, 0)] - 4.0).abs() < 1e-6 && (h[(0, 1)] - 2.0).abs() < 1e-6);
/// ```
pub fn second_differences<E>(
    f: &dyn Fn(&DVector<f64>) -> Result<f64, E>,
    x: &DVector<f64>,
    rel: f64,
) -> Result<DMatrix<f64>, E> {
    let n = x.len();
    let h: Vec<f64> = x.iter().map(|v| rel * (1.0 + v.abs())).collect();
    let f0 = f(x)?;
    let at = |a: usize, da: f64, b: usize, db: f64| {
        let mut t = x.clone();
        t[a] += da;
        t[b] += db;
        f(&t)
    };
    let mut out = DMatrix::zeros(n, n);
    for a in 0..n {
        out[(a, a)] = (at(a, h[a], a, 0.0)? - 2.0 * f0 + at(a, -h[a], a, 0.0)?) / (h[a] * h[a]);
        for b in (a + 1)..n {
            let v = (at(a, h[a], b, h[b])? - at(a, h[a], b, -h[b])? - at(a, -h[a], b, h[b])?
                + at(a, -h[a], b, -h[b])?)
                / (4.0 * h[a] * h[b]);
            out[(a, b)] = v;
            out[(b, a)] = v;
        }
    }
    Ok(out)
}

/// A gradient function for [`gradient_differences`].
pub type GradientFn<'a, E> = dyn Fn(&DVector<f64>) -> Result<DVector<f64>, E> + 'a;

/// The Hessian as central differences of an exact gradient `g` (2n gradients), symmetrised:
/// column a is (g(x + h_a e_a) − g(x − h_a e_a))/2h_a, h_a = `rel`·(1 + |x_a|).
///
/// # Errors
/// The first error of `g`.
///
/// # Examples
/// ```
/// use nalgebra::DVector;
/// use trialstats_core::optim::gradient_differences;
/// // f = x0² x1: g = (2 x0 x1, x0²).
/// let g = |x: &DVector<f64>| Ok::<_, ()>(DVector::from_vec(vec![2.0 * x[0] * x[1], x[0] * x[0]]));
/// let h = gradient_differences(&g, &DVector::from_vec(vec![1.0, 2.0]), 1e-5).unwrap();
/// assert!((h[(0, 0)] - 4.0).abs() < 1e-8 && (h[(1, 0)] - 2.0).abs() < 1e-8);
/// ```
pub fn gradient_differences<E>(
    g: &GradientFn<'_, E>,
    x: &DVector<f64>,
    rel: f64,
) -> Result<DMatrix<f64>, E> {
    let n = x.len();
    let mut out = DMatrix::zeros(n, n);
    central_steps(g, x, rel, |a, gp, gm, h| {
        out.column_mut(a).copy_from(&((gp - gm) / (2.0 * h)));
    })?;
    Ok((&out + out.transpose()) * 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Tol;

    /// Rosenbrock: f = (1 − a)² + 100 (b − a²)², minimum at (1, 1); H indefinite away from it.
    struct Rosenbrock;
    impl Objective for Rosenbrock {
        type Error = LinalgError;
        fn evaluate(&self, t: &DVector<f64>) -> Result<Evaluation, LinalgError> {
            let (a, b) = (t[0], t[1]);
            let value = (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2);
            let gradient = DVector::from_row_slice(&[
                -2.0 * (1.0 - a) - 400.0 * a * (b - a * a),
                200.0 * (b - a * a),
            ]);
            let hessian = DMatrix::from_row_slice(
                2,
                2,
                &[
                    2.0 - 400.0 * b + 1200.0 * a * a,
                    -400.0 * a,
                    -400.0 * a,
                    200.0,
                ],
            );
            Ok(Evaluation {
                value,
                gradient,
                hessian,
            })
        }
    }

    #[test]
    fn minimises_rosenbrock_from_the_classic_start() {
        let m = newton(
            &Rosenbrock,
            DVector::from_row_slice(&[-1.2, 1.0]),
            &Control::default(),
        )
        .unwrap();
        assert_eq!(m.convergence.status, Termination::Converged);
        // max |g| ≤ 1e-9 with the smallest Hessian eigenvalue ≈ 0.4 at (1, 1) bounds the error by ≈ 3e-9.
        Tol::abs(1e-8)
            .check_slice("theta", m.theta.as_slice(), &[1.0, 1.0])
            .unwrap();
        assert!(m.convergence.iterations < 50);
    }

    #[test]
    fn reports_iteration_limit() {
        let control = Control {
            max_iter: 2,
            ..Control::default()
        };
        let m = newton(&Rosenbrock, DVector::from_row_slice(&[-1.2, 1.0]), &control).unwrap();
        assert_eq!(m.convergence.status, Termination::MaxIterations);
        assert_eq!(m.convergence.iterations, 2);
    }

    /// f(θ) = θ on θ > 0 (+∞ elsewhere): no minimum; steps are halved towards the boundary.
    struct Unbounded;
    impl Objective for Unbounded {
        type Error = LinalgError;
        fn evaluate(&self, t: &DVector<f64>) -> Result<Evaluation, LinalgError> {
            Ok(Evaluation {
                value: if t[0] > 0.0 { t[0] } else { f64::INFINITY },
                gradient: DVector::from_element(1, 1.0),
                hessian: DMatrix::from_element(1, 1, 0.0),
            })
        }
    }

    #[test]
    fn never_returns_nan_without_a_status() {
        let m = newton(
            &Unbounded,
            DVector::from_element(1, 1.0),
            &Control {
                max_iter: 500,
                ..Control::default()
            },
        )
        .unwrap();
        assert!(!m.convergence.converged());
        assert!(m.theta[0].is_finite());
    }

    #[test]
    fn non_finite_start_is_an_error() {
        let e = newton(
            &Unbounded,
            DVector::from_element(1, -1.0),
            &Control::default(),
        )
        .unwrap_err();
        assert!(matches!(e, LinalgError::NonFinite { .. }));
    }
}
