//! Transformations inside a formula, as R users write them: `log(y)`, `log1p(x)`, `exp()`,
//! `sqrt()`, `log10()`, `log2()`, `abs()`, and `I()` around arithmetic (`I(age^2)`,
//! `I(weight / height^2)`).

use serde::{Deserialize, Serialize};

/// A function of a formula.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Func {
    /// Natural logarithm.
    Log,
    /// ln(1 + x).
    Log1p,
    /// e^x.
    Exp,
    /// √x.
    Sqrt,
    /// Base-10 logarithm.
    Log10,
    /// Base-2 logarithm.
    Log2,
    /// |x|.
    Abs,
    /// R's `I()`: arithmetic as written.
    Identity,
}

impl Func {
    /// The function a name calls, if it is one.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "log" => Func::Log,
            "log1p" => Func::Log1p,
            "exp" => Func::Exp,
            "sqrt" => Func::Sqrt,
            "log10" => Func::Log10,
            "log2" => Func::Log2,
            "abs" => Func::Abs,
            "I" => Func::Identity,
            _ => return None,
        })
    }

    /// The name as R writes it.
    pub fn name(self) -> &'static str {
        match self {
            Func::Log => "log",
            Func::Log1p => "log1p",
            Func::Exp => "exp",
            Func::Sqrt => "sqrt",
            Func::Log10 => "log10",
            Func::Log2 => "log2",
            Func::Abs => "abs",
            Func::Identity => "I",
        }
    }

    /// The names a formula may call (besides `factor()`).
    pub const NAMES: &'static str = "log, log1p, exp, sqrt, log10, log2, abs, I";

    /// The function's value at `x`.
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::expr::Func;
    /// assert_eq!(Func::Log1p.apply(0.0), 0.0);
    /// assert_eq!(Func::Abs.apply(-2.5), 2.5);
    /// ```
    pub fn apply(self, x: f64) -> f64 {
        match self {
            Func::Log => x.ln(),
            Func::Log1p => x.ln_1p(),
            Func::Exp => x.exp(),
            Func::Sqrt => x.sqrt(),
            Func::Log10 => x.log10(),
            Func::Log2 => x.log2(),
            Func::Abs => x.abs(),
            Func::Identity => x,
        }
    }
}

/// An arithmetic operator inside `I()` (or a function's argument).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Op {
    /// +
    Add,
    /// −
    Sub,
    /// ×
    Mul,
    /// ÷
    Div,
    /// ^
    Pow,
}

/// An expression over columns.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Expr {
    /// A column.
    Column(String),
    /// A number, as written.
    Number(String),
    /// −e.
    Neg(Box<Expr>),
    /// a op b.
    Binary(Op, Box<Expr>, Box<Expr>),
    /// f(e).
    Call(Func, Box<Expr>),
}

impl Expr {
    /// The expression as R deparses it (the name of its model term): `log(y)`, `I(age^2)`,
    /// `log(y + 1)`, `I(weight/height^2)`.
    ///
    /// ```
    /// use trialstats_data::Formula;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let f = Formula::parse("log(y) ~ I(age ^ 2) + sqrt(x+1)")?;
    /// assert_eq!(f.response, "log(y)");
    /// assert_eq!(f.term_labels(), ["I(age^2)", "sqrt(x + 1)"]);
    /// # Ok(()) }
    /// ```
    pub fn deparse(&self) -> String {
        self.deparse_at(0)
    }

    /// Precedence: 1 + −, 2 × ÷, 3 unary −, 4 ^.
    fn deparse_at(&self, outer: u8) -> String {
        let (text, own) = match self {
            Expr::Column(c) => {
                let plain = c
                    .chars()
                    .all(|ch| ch.is_alphanumeric() || ch == '.' || ch == '_')
                    && !c.starts_with(|ch: char| ch.is_ascii_digit());
                (if plain { c.clone() } else { format!("`{c}`") }, 5)
            }
            Expr::Number(n) => (n.clone(), 5),
            Expr::Call(f, e) => (format!("{}({})", f.name(), e.deparse_at(0)), 5),
            Expr::Neg(e) => (format!("-{}", e.deparse_at(3)), 3),
            Expr::Binary(op, a, b) => {
                let (sym, p) = match op {
                    Op::Add => (" + ", 1),
                    Op::Sub => (" - ", 1),
                    Op::Mul => (" * ", 2),
                    Op::Div => ("/", 2),
                    Op::Pow => ("^", 4),
                };
                // Left-associative except ^, which is right-associative.
                let (lp, rp) = if *op == Op::Pow {
                    (p + 1, p)
                } else {
                    (p, p + 1)
                };
                (format!("{}{sym}{}", a.deparse_at(lp), b.deparse_at(rp)), p)
            }
        };
        if own < outer {
            format!("({text})")
        } else {
            text
        }
    }

    /// The columns the expression reads, in order of first appearance, each once.
    pub fn columns(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_columns(&mut out);
        out
    }

    fn collect_columns<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Expr::Column(c) => {
                if !out.contains(&c.as_str()) {
                    out.push(c);
                }
            }
            Expr::Number(_) => {}
            Expr::Neg(e) | Expr::Call(_, e) => e.collect_columns(out),
            Expr::Binary(_, a, b) => {
                a.collect_columns(out);
                b.collect_columns(out);
            }
        }
    }

    /// The value with `column(name)` giving each column's value (which the caller has checked
    /// to be present and finite).
    pub fn eval(&self, column: &dyn Fn(&str) -> f64) -> f64 {
        match self {
            Expr::Column(c) => column(c),
            Expr::Number(n) => n.parse().unwrap_or(f64::NAN),
            Expr::Neg(e) => -e.eval(column),
            Expr::Call(f, e) => f.apply(e.eval(column)),
            Expr::Binary(op, a, b) => {
                let (a, b) = (a.eval(column), b.eval(column));
                match op {
                    Op::Add => a + b,
                    Op::Sub => a - b,
                    Op::Mul => a * b,
                    Op::Div => a / b,
                    Op::Pow => a.powf(b),
                }
            }
        }
    }
}
