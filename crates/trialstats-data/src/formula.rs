//! The formula subset of R/Wilkinson notation that the command line and the models accept.
//!
//! ```text
//! formula  := response '~' rhs
//! rhs      := ['-'] product (('+' | '-') product)*
//! product  := colon ('*' colon)*            a*b = a + b + a:b
//! colon    := atom (':' atom)*              interaction
//! atom     := variable | '0' | '1' | '(' rhs ')'
//! variable := NAME | `quoted name` | factor(NAME [, ref = "level"]) | FUNC '(' arith ')'
//! arith    := arithmetic over columns and numbers: + - * / ^, unary -, parentheses, FUNC calls
//! FUNC     := log | log1p | exp | sqrt | log10 | log2 | abs | I
//! ```
//! The response may be a function call too (`log(y) ~ x`). Inside a function's parentheses the
//! operators are arithmetic, as in R (`I(age^2)`, `log(y + 1)`); outside, they are the formula's.
//! `- 1` or `+ 0` removes the intercept; `- term` removes a term. Terms are ordered as R's
//! `terms()` does: by interaction order, then by first appearance; variables inside an interaction
//! keep their order of first appearance in the formula.
//!
//! # References
//! Wilkinson & Rogers (1973), "Symbolic description of factorial models for analysis of
//! variance", *Applied Statistics* 22(3):392–399, doi:10.2307/2346786.
//! Chambers & Hastie (1992), *Statistical Models in S*, ch. 2.

use serde::{Deserialize, Serialize};

use crate::error::DataError;
use crate::expr::{Expr, Func, Op};

/// One variable of a formula: a column, possibly wrapped in `factor()`, or a transformation of
/// columns (`log(x)`, `I(age^2)`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Variable {
    /// The column name; for a transformation, its name as R deparses it (`log(x)`).
    pub column: String,
    /// Whether it is wrapped in `factor()` (a numeric code made categorical).
    pub factor: bool,
    /// The reference level given by `factor(col, ref = "level")`.
    pub reference: Option<String>,
    /// The transformation, for a variable computed from columns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expr: Option<Expr>,
}

impl Variable {
    /// The label R gives the variable: `col`, or `factor(col)`.
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::Formula;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let f = Formula::parse(r#"y ~ factor(site, ref = "B") + age"#)?;
    /// assert_eq!(f.variables[0].label(), "factor(site)");
    /// assert_eq!(f.variables[0].reference.as_deref(), Some("B"));
    /// assert_eq!(f.variables[1].label(), "age");
    /// # Ok(()) }
    /// ```
    pub fn label(&self) -> String {
        if self.factor {
            format!("factor({})", self.column)
        } else {
            self.column.clone()
        }
    }
}

/// A model term: a set of variables (one for a main effect, more for an interaction), held as
/// indices into [`Formula::variables`] in increasing order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Term(pub Vec<usize>);

impl Term {
    /// Interaction order (number of variables).
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::Formula;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // R: attr(terms(y ~ a*b*c), "order") = 1 1 1 2 2 2 3
    /// let f = Formula::parse("y ~ a*b*c")?;
    /// let order: Vec<usize> = f.terms.iter().map(|t| t.order()).collect();
    /// assert_eq!(order, [1, 1, 1, 2, 2, 2, 3]);
    /// # Ok(()) }
    /// ```
    pub fn order(&self) -> usize {
        self.0.len()
    }
}

/// A parsed formula.
///
/// # Examples
/// ```
/// use trialstats_data::Formula;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let f = Formula::parse("hba1c ~ arm + age")?;
/// assert_eq!((f.response.as_str(), f.intercept), ("hba1c", true));
/// assert_eq!(f.variables.len(), 2);
/// assert!(Formula::parse("~ arm").is_err()); // no response
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Formula {
    /// The text as given.
    pub text: String,
    /// The response column (for a transformed response, its name as R deparses it).
    pub response: String,
    /// The transformation of a transformed response (`log(y)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_expr: Option<Expr>,
    /// The distinct right-hand-side variables, in order of first appearance.
    pub variables: Vec<Variable>,
    /// The terms, in R's order (by interaction order, then by appearance).
    pub terms: Vec<Term>,
    /// Whether the model has an intercept.
    pub intercept: bool,
}

impl Formula {
    /// Parses a formula.
    ///
    /// # Errors
    /// [`DataError::FormulaSyntax`] giving the character position of the problem.
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::Formula;
    /// let f = Formula::parse("y ~ a*b - 1").unwrap();
    /// assert_eq!(f.term_labels(), vec!["a", "b", "a:b"]);
    /// assert!(!f.intercept);
    /// ```
    pub fn parse(text: &str) -> Result<Self, DataError> {
        let tokens = tokenize(text)?;
        let mut p = Parser {
            text,
            tokens,
            pos: 0,
            variables: Vec::new(),
            depth: 0,
        };
        let mut response_expr = None;
        let response = match p.next() {
            Some(Tok {
                kind: Kind::Name(n),
                at,
            }) if p.at_call() => {
                let e = p.call(&n, at)?;
                let label = e.deparse();
                response_expr = Some(e);
                label
            }
            Some(Tok {
                kind: Kind::Name(n),
                ..
            }) => n,
            Some(t) => return Err(p.error_at(t.at, "expected the response variable before `~`")),
            None => return Err(p.error_at(text.chars().count() + 1, "the formula is empty")),
        };
        match p.next() {
            Some(Tok {
                kind: Kind::Tilde, ..
            }) => {}
            Some(t) => return Err(p.error_at(t.at, "expected `~` after the response")),
            None => {
                return Err(p.error_at(text.chars().count() + 1, "expected `~` after the response"));
            }
        }
        let rhs = p.rhs()?;
        if let Some(t) = p.peek() {
            let at = t.at;
            return Err(p.error_at(
                at,
                "unexpected text after the formula (unbalanced parenthesis?)",
            ));
        }
        let intercept = rhs.intercept.unwrap_or(true);
        let mut terms: Vec<Term> = Vec::new();
        for t in rhs.add {
            if !rhs.remove.contains(&t) && !terms.contains(&t) {
                terms.push(t);
            }
        }
        // Stable sort by order keeps first appearance within each order, as R's terms().
        terms.sort_by_key(Term::order);
        if terms.is_empty() && !intercept {
            return Err(DataError::FormulaSyntax {
                formula: text.to_owned(),
                position: text.chars().count(),
                message: "the model has neither an intercept nor any term".into(),
            });
        }
        Ok(Self {
            text: text.to_owned(),
            response,
            response_expr,
            variables: p.variables,
            terms,
            intercept,
        })
    }

    /// The data columns the formula reads (through transformations too), each once.
    ///
    /// ```
    /// use trialstats_data::Formula;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let f = Formula::parse("log(y) ~ I(w / h^2) + factor(arm)")?;
    /// assert_eq!(f.columns(), ["y", "w", "h", "arm"]);
    /// # Ok(()) }
    /// ```
    pub fn columns(&self) -> Vec<&str> {
        let mut out: Vec<&str> = match &self.response_expr {
            Some(e) => e.columns(),
            None => vec![self.response.as_str()],
        };
        for v in &self.variables {
            let cols = match &v.expr {
                Some(e) => e.columns(),
                None => vec![v.column.as_str()],
            };
            for c in cols {
                if !out.contains(&c) {
                    out.push(c);
                }
            }
        }
        out
    }

    /// The terms' labels as R prints them: `a`, `factor(b)`, `a:b`.
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::Formula;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // R: attr(terms(y ~ a:b + c + a), "term.labels") = "c" "a" "a:b"
    /// assert_eq!(Formula::parse("y ~ a:b + c + a")?.term_labels(), ["c", "a", "a:b"]);
    /// // R: attr(terms(y ~ x*z - x), "term.labels") = "z" "x:z"
    /// assert_eq!(Formula::parse("y ~ x*z - x")?.term_labels(), ["z", "x:z"]);
    /// # Ok(()) }
    /// ```
    pub fn term_labels(&self) -> Vec<String> {
        self.terms.iter().map(|t| self.term_label(t)).collect()
    }

    /// The label of one term.
    ///
    /// # Examples
    /// ```
    /// use trialstats_data::Formula;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let f = Formula::parse("y ~ factor(arm) * time")?;
    /// assert_eq!(f.term_label(&f.terms[2]), "factor(arm):time");
    /// # Ok(()) }
    /// ```
    pub fn term_label(&self, t: &Term) -> String {
        t.0.iter()
            .filter_map(|&v| self.variables.get(v).map(Variable::label))
            .collect::<Vec<_>>()
            .join(":")
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Name(String),
    Number(String),
    Str(String),
    Tilde,
    Plus,
    Minus,
    Star,
    Colon,
    LParen,
    RParen,
    Comma,
    Equals,
    Caret,
    Slash,
}

#[derive(Debug, Clone)]
struct Tok {
    kind: Kind,
    /// 1-based character position.
    at: usize,
}

fn tokenize(text: &str) -> Result<Vec<Tok>, DataError> {
    let chars: Vec<char> = text.chars().collect();
    let err = |at: usize, message: &str| DataError::FormulaSyntax {
        formula: text.to_owned(),
        position: at,
        message: message.to_owned(),
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let at = i + 1;
        let simple = match c {
            '~' => Some(Kind::Tilde),
            '+' => Some(Kind::Plus),
            '-' => Some(Kind::Minus),
            '*' => Some(Kind::Star),
            ':' => Some(Kind::Colon),
            '(' => Some(Kind::LParen),
            ')' => Some(Kind::RParen),
            ',' => Some(Kind::Comma),
            '=' => Some(Kind::Equals),
            '^' => Some(Kind::Caret),
            '/' => Some(Kind::Slash),
            _ => None,
        };
        if let Some(kind) = simple {
            out.push(Tok { kind, at });
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '`' || c == '"' || c == '\'' {
            let close = chars[i + 1..].iter().position(|&d| d == c).ok_or_else(|| {
                err(
                    at,
                    &format!(
                        "unterminated {}",
                        if c == '`' {
                            "backquoted name"
                        } else {
                            "string"
                        }
                    ),
                )
            })?;
            let s: String = chars[i + 1..i + 1 + close].iter().collect();
            if s.is_empty() {
                return Err(err(at, "empty name"));
            }
            out.push(Tok {
                kind: if c == '`' {
                    Kind::Name(s)
                } else {
                    Kind::Str(s)
                },
                at,
            });
            i += close + 2;
        } else if c.is_alphabetic() || c == '.' || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '.' || chars[i] == '_')
            {
                i += 1;
            }
            out.push(Tok {
                kind: Kind::Name(chars[start..i].iter().collect()),
                at,
            });
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '.' || chars[i] == '_')
            {
                i += 1;
            }
            out.push(Tok {
                kind: Kind::Number(chars[start..i].iter().collect()),
                at,
            });
        } else {
            return Err(err(at, &format!("unexpected character `{c}`")));
        }
    }
    Ok(out)
}

/// The terms a piece of formula adds and removes, and what it says of the intercept.
#[derive(Default)]
struct Rhs {
    add: Vec<Term>,
    remove: Vec<Term>,
    intercept: Option<bool>,
}

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Tok>,
    pos: usize,
    variables: Vec<Variable>,
    /// Parentheses open at the current position (bounded by [`MAX_DEPTH`]).
    depth: usize,
}

/// Deepest nesting of parentheses a formula may have. The parser descends once per level, so
/// the bound keeps its stack small whatever the input (no model needs more than a few levels).
pub const MAX_DEPTH: usize = 64;

/// A parsed operand: either a list of terms or an intercept marker (`0` / `1`).
enum Operand {
    Terms(Vec<Term>),
    Intercept(bool, usize),
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn end_position(&self) -> usize {
        self.text.chars().count() + 1
    }
    fn error_at(&self, at: usize, message: &str) -> DataError {
        DataError::FormulaSyntax {
            formula: self.text.to_owned(),
            position: at,
            message: message.to_owned(),
        }
    }

    fn rhs(&mut self) -> Result<Rhs, DataError> {
        let mut out = Rhs::default();
        let mut sign_plus = true;
        if matches!(
            self.peek(),
            Some(Tok {
                kind: Kind::Minus,
                ..
            })
        ) {
            self.pos += 1;
            sign_plus = false;
        }
        loop {
            match self.product()? {
                Operand::Intercept(one, _) => out.intercept = Some(one == sign_plus),
                Operand::Terms(ts) => {
                    if sign_plus {
                        out.add.extend(ts);
                    } else {
                        out.remove.extend(ts);
                    }
                }
            }
            match self.peek().map(|t| &t.kind) {
                Some(Kind::Plus) => sign_plus = true,
                Some(Kind::Minus) => sign_plus = false,
                _ => break,
            }
            self.pos += 1;
        }
        Ok(out)
    }

    fn product(&mut self) -> Result<Operand, DataError> {
        let first = self.colon()?;
        if !matches!(
            self.peek(),
            Some(Tok {
                kind: Kind::Star,
                ..
            })
        ) {
            return Ok(first);
        }
        let mut acc = self.terms_of(first)?;
        while let Some(Tok {
            kind: Kind::Star,
            at,
            ..
        }) = self.peek().cloned()
        {
            self.pos += 1;
            let rhs = self.colon()?;
            let rhs = self.terms_of(rhs)?;
            self.check_expansion(acc.len(), rhs.len(), at)?;
            let mut next = acc.clone();
            next.extend(rhs.iter().cloned());
            for a in &acc {
                for b in &rhs {
                    next.push(union(a, b));
                }
            }
            acc = distinct(next);
            if acc.len() > MAX_TERMS {
                return Err(self.error_at(
                    at,
                    &format!("the interactions expand to more than {MAX_TERMS} terms"),
                ));
            }
        }
        Ok(Operand::Terms(acc))
    }

    fn colon(&mut self) -> Result<Operand, DataError> {
        let first = self.atom()?;
        if !matches!(
            self.peek(),
            Some(Tok {
                kind: Kind::Colon,
                ..
            })
        ) {
            return Ok(first);
        }
        let mut acc = self.terms_of(first)?;
        while let Some(Tok {
            kind: Kind::Colon,
            at,
            ..
        }) = self.peek().cloned()
        {
            self.pos += 1;
            let rhs = self.atom()?;
            let rhs = self.terms_of(rhs)?;
            self.check_expansion(acc.len(), rhs.len(), at)?;
            let mut next = Vec::new();
            for a in &acc {
                for b in &rhs {
                    next.push(union(a, b));
                }
            }
            acc = distinct(next);
            if acc.len() > MAX_TERMS {
                return Err(self.error_at(
                    at,
                    &format!("the interactions expand to more than {MAX_TERMS} terms"),
                ));
            }
        }
        Ok(Operand::Terms(acc))
    }

    /// Refuses a crossing whose raw product (before merging duplicates) is far beyond the term
    /// cap, before computing it: the work, not only the result, must stay bounded.
    fn check_expansion(&self, left: usize, right: usize, at: usize) -> Result<(), DataError> {
        if left.saturating_mul(right) > 16 * MAX_TERMS {
            return Err(self.error_at(
                at,
                &format!("the interactions expand to more than {MAX_TERMS} terms"),
            ));
        }
        Ok(())
    }

    fn terms_of(&self, op: Operand) -> Result<Vec<Term>, DataError> {
        match op {
            Operand::Terms(t) => Ok(t),
            Operand::Intercept(_, at) => {
                Err(self.error_at(at, "`0` and `1` cannot be part of an interaction"))
            }
        }
    }

    fn atom(&mut self) -> Result<Operand, DataError> {
        let end = self.end_position();
        let Some(tok) = self.next() else {
            return Err(self.error_at(end, "expected a term at the end of the formula"));
        };
        match tok.kind {
            Kind::Number(n) => match n.as_str() {
                "0" => Ok(Operand::Intercept(false, tok.at)),
                "1" => Ok(Operand::Intercept(true, tok.at)),
                _ => Err(self.error_at(
                    tok.at,
                    &format!("`{n}` is not a term (only 0 and 1 may stand alone)"),
                )),
            },
            Kind::LParen => {
                if self.depth >= MAX_DEPTH {
                    return Err(self.error_at(
                        tok.at,
                        &format!("parentheses are nested more than {MAX_DEPTH} deep"),
                    ));
                }
                self.depth += 1;
                let inner = self.rhs();
                self.depth -= 1;
                let inner = inner?;
                match self.next() {
                    Some(Tok {
                        kind: Kind::RParen, ..
                    }) => {}
                    Some(t) => return Err(self.error_at(t.at, "expected `)`")),
                    None => {
                        return Err(
                            self.error_at(end, "expected `)` before the end of the formula")
                        );
                    }
                }
                if !inner.remove.is_empty() || inner.intercept.is_some() {
                    return Err(self.error_at(tok.at, "a parenthesised group may only add terms"));
                }
                Ok(Operand::Terms(inner.add))
            }
            Kind::Name(name) => {
                if name == "factor"
                    && matches!(
                        self.peek(),
                        Some(Tok {
                            kind: Kind::LParen,
                            ..
                        })
                    )
                {
                    self.pos += 1;
                    let var = self.factor_args(tok.at)?;
                    return Ok(Operand::Terms(vec![Term(vec![self.intern(var)])]));
                }
                if self.at_call() {
                    let e = self.call(&name, tok.at)?;
                    let var = Variable {
                        column: e.deparse(),
                        factor: false,
                        reference: None,
                        expr: Some(e),
                    };
                    return Ok(Operand::Terms(vec![Term(vec![self.intern(var)])]));
                }
                let var = Variable {
                    column: name,
                    factor: false,
                    reference: None,
                    expr: None,
                };
                Ok(Operand::Terms(vec![Term(vec![self.intern(var)])]))
            }
            _ => Err(self.error_at(tok.at, "expected a term")),
        }
    }

    fn factor_args(&mut self, at: usize) -> Result<Variable, DataError> {
        let end = self.end_position();
        let column = match self.next() {
            Some(Tok {
                kind: Kind::Name(n),
                ..
            }) => n,
            Some(t) => return Err(self.error_at(t.at, "expected a column name inside factor()")),
            None => return Err(self.error_at(end, "expected a column name inside factor()")),
        };
        let mut reference = None;
        match self.next() {
            Some(Tok {
                kind: Kind::RParen, ..
            }) => {}
            Some(Tok {
                kind: Kind::Comma, ..
            }) => {
                match self.next() {
                    Some(Tok {
                        kind: Kind::Name(n),
                        ..
                    }) if n == "ref" => {}
                    Some(t) => return Err(self.error_at(t.at, "expected `ref = \"level\"`")),
                    None => return Err(self.error_at(end, "expected `ref = \"level\"`")),
                }
                match self.next() {
                    Some(Tok {
                        kind: Kind::Equals, ..
                    }) => {}
                    Some(t) => return Err(self.error_at(t.at, "expected `=` after `ref`")),
                    None => return Err(self.error_at(end, "expected `=` after `ref`")),
                }
                reference = match self.next() {
                    Some(Tok {
                        kind: Kind::Str(s) | Kind::Number(s) | Kind::Name(s),
                        ..
                    }) => Some(s),
                    Some(t) => return Err(self.error_at(t.at, "expected a level after `ref =`")),
                    None => return Err(self.error_at(end, "expected a level after `ref =`")),
                };
                match self.next() {
                    Some(Tok {
                        kind: Kind::RParen, ..
                    }) => {}
                    Some(t) => return Err(self.error_at(t.at, "expected `)` to close factor(")),
                    None => return Err(self.error_at(end, "expected `)` to close factor(")),
                }
            }
            Some(t) => {
                return Err(self.error_at(t.at, "expected `)` or `, ref = \"level\"` in factor()"));
            }
            None => return Err(self.error_at(at, "factor( is not closed")),
        }
        Ok(Variable {
            column,
            factor: true,
            reference,
            expr: None,
        })
    }

    /// Whether the next token opens a call's parentheses.
    fn at_call(&self) -> bool {
        matches!(
            self.peek(),
            Some(Tok {
                kind: Kind::LParen,
                ..
            })
        )
    }

    /// A call of function `name` (its `(` next): the argument, as arithmetic, and the `)`.
    fn call(&mut self, name: &str, at: usize) -> Result<Expr, DataError> {
        let Some(f) = Func::from_name(name) else {
            return Err(self.error_at(
                at,
                &format!(
                    "unknown function `{name}`; a formula may call factor(), {}",
                    Func::NAMES
                ),
            ));
        };
        if self.depth >= MAX_DEPTH {
            return Err(self.error_at(
                at,
                &format!("parentheses are nested more than {MAX_DEPTH} deep"),
            ));
        }
        self.pos += 1; // `(`
        self.depth += 1;
        let arg = self.arith();
        self.depth -= 1;
        let arg = arg?;
        self.close(name)?;
        Ok(Expr::Call(f, Box::new(arg)))
    }

    fn close(&mut self, name: &str) -> Result<(), DataError> {
        let end = self.end_position();
        match self.next() {
            Some(Tok {
                kind: Kind::RParen, ..
            }) => Ok(()),
            Some(t) => Err(self.error_at(t.at, &format!("expected `)` to close {name}("))),
            None => Err(self.error_at(end, &format!("`{name}(` is not closed"))),
        }
    }

    /// arith := prod (('+' | '-') prod)*
    fn arith(&mut self) -> Result<Expr, DataError> {
        let mut e = self.arith_product()?;
        loop {
            let op = match self.peek().map(|t| &t.kind) {
                Some(Kind::Plus) => Op::Add,
                Some(Kind::Minus) => Op::Sub,
                _ => return Ok(e),
            };
            self.pos += 1;
            e = Expr::Binary(op, Box::new(e), Box::new(self.arith_product()?));
        }
    }

    /// prod := unary (('*' | '/') unary)*
    fn arith_product(&mut self) -> Result<Expr, DataError> {
        let mut e = self.arith_unary()?;
        loop {
            let op = match self.peek().map(|t| &t.kind) {
                Some(Kind::Star) => Op::Mul,
                Some(Kind::Slash) => Op::Div,
                _ => return Ok(e),
            };
            self.pos += 1;
            e = Expr::Binary(op, Box::new(e), Box::new(self.arith_unary()?));
        }
    }

    /// unary := '-' unary | power;   power := primary ('^' unary)?   (R: -x^2 is -(x^2))
    fn arith_unary(&mut self) -> Result<Expr, DataError> {
        if matches!(self.peek().map(|t| &t.kind), Some(Kind::Minus)) {
            self.pos += 1;
            return Ok(Expr::Neg(Box::new(self.arith_unary()?)));
        }
        let base = self.arith_primary()?;
        if matches!(self.peek().map(|t| &t.kind), Some(Kind::Caret)) {
            self.pos += 1;
            let exponent = self.arith_unary()?;
            return Ok(Expr::Binary(Op::Pow, Box::new(base), Box::new(exponent)));
        }
        Ok(base)
    }

    /// primary := NUMBER | NAME | FUNC '(' arith ')' | '(' arith ')'
    fn arith_primary(&mut self) -> Result<Expr, DataError> {
        let end = self.end_position();
        let Some(tok) = self.next() else {
            return Err(self.error_at(end, "expected a number or a column"));
        };
        match tok.kind {
            Kind::Number(n) => {
                if n.parse::<f64>().is_ok_and(f64::is_finite) {
                    Ok(Expr::Number(n))
                } else {
                    Err(self.error_at(tok.at, &format!("`{n}` is not a number")))
                }
            }
            Kind::Name(n) if self.at_call() => self.call(&n, tok.at),
            Kind::Name(n) => Ok(Expr::Column(n)),
            Kind::LParen => {
                if self.depth >= MAX_DEPTH {
                    return Err(self.error_at(
                        tok.at,
                        &format!("parentheses are nested more than {MAX_DEPTH} deep"),
                    ));
                }
                self.depth += 1;
                let e = self.arith();
                self.depth -= 1;
                let e = e?;
                self.close("")?;
                Ok(e)
            }
            _ => Err(self.error_at(tok.at, "expected a number or a column")),
        }
    }

    fn intern(&mut self, var: Variable) -> usize {
        if let Some(i) = self.variables.iter().position(|v| *v == var) {
            i
        } else {
            self.variables.push(var);
            self.variables.len() - 1
        }
    }
}

/// Most terms an interaction may expand to (a*b*…, k distinct variables, gives 2^k − 1): far
/// beyond any model a trial fits, and a guard against formulas that would take hours to expand.
const MAX_TERMS: usize = 1024;

/// The terms in order of first appearance, each once.
fn distinct(terms: Vec<Term>) -> Vec<Term> {
    let mut seen = std::collections::HashSet::with_capacity(terms.len());
    terms
        .into_iter()
        .filter(|t| seen.insert(t.clone()))
        .collect()
}

fn union(a: &Term, b: &Term) -> Term {
    let mut v: Vec<usize> = a.0.iter().chain(&b.0).copied().collect();
    v.sort_unstable();
    v.dedup();
    Term(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_and_huge_interactions_are_bounded() {
        // Found by fuzzing: a repeated factor in a long `*` chain used to double the term list at
        // every step (2^20 copies of one term, 13 s); duplicates are now merged as they arise.
        let chain = vec!["x"; 40].join("*");
        let f = Formula::parse(&format!("y ~ {chain}")).unwrap();
        assert_eq!(f.terms.len(), 1);
        // 13 distinct variables crossed would make 8191 terms: refused with the position.
        let vars: Vec<String> = (b'a'..=b'm').map(|c| (c as char).to_string()).collect();
        let e = Formula::parse(&format!("y ~ {}", vars.join("*"))).unwrap_err();
        assert!(
            e.to_string().contains("expand to more than 1024 terms"),
            "{e}"
        );
        // The fuzzer's input itself (slow-unit-f56b3f8c…, 13 s before the fix): a chain of 22
        // crossings of nine names: 2^9 − 1 = 511 distinct terms once duplicates merge.
        let slow = "_~\n.*.*t2.*..*.*t2.*.*t2.*.MMMMMMM*t2.*.MMMMMMMM*t2.*.MMMMMMMMMMMMMMMM*.MM.*.*t2.*.*t2.MMMMM*t2.*.M2t2\n";
        let f = Formula::parse(slow).unwrap();
        assert_eq!(f.terms.len(), 511);
        // The fuzzer's second slow input (slow-unit-87c0d2e8…, 75 s under instrumentation): 4094
        // terms, now over the cap.
        let slow2 = "_~\nn*.*t2.*..*MMMMMM*.M.*t2.*.*t2.*.MMMMMMM*p2.*.MMMMMMMM*t2.*.MMMMMMMMMMMMMMM*.MM.*.*t2.*.*t2.MM-MM*t2.*t0.t2..M2t2\n";
        assert!(
            Formula::parse(slow2)
                .unwrap_err()
                .to_string()
                .contains("more than 1024 terms")
        );
        // The third (slow-unit-e8fe8ffd…, 483 s under instrumentation): two large operands whose
        // raw product was computed before the cap applied; now refused before the product.
        let slow3 = "_~\n.2.*.*t2.*.MMMMMMM*t:..*.*t2.*.*t2.*.*.*t2.*.*t2.*.MMMMMMM*t:.*.MMMMMMMM*t2.*.MMM*.MMMM2.*.MMM*.M2.*.MMMMM";
        let e = Formula::parse(slow3).unwrap_err();
        assert!(e.to_string().contains("more than 1024 terms"), "{e}");
        // The fourth (slow-unit-e8947fd4…): 223 distinct terms once duplicates merge.
        let slow4 = "_~\n.*.*t2.*..*.*t2.*.*t2.*.MMMMMMM*t:..*.*t2.*.*t2.*.MMMMMMM*t:.*.MMMMMMMM*t2.*.MMM*.MMMMMMMM*t2.*.MMMMMMMMMMMMMMMM2t2\n";
        assert_eq!(Formula::parse(slow4).unwrap().terms.len(), 223);
    }

    #[test]
    fn deep_parentheses_are_refused_not_a_stack_overflow() {
        // Found by the CLI fault campaign: ~6,000 nested parentheses aborted the process with a
        // stack overflow. The depth is now bounded and the error names the position.
        let deep = format!("y ~ {}x{}", "(".repeat(6000), ")".repeat(6000));
        let e = Formula::parse(&deep).unwrap_err();
        assert_eq!(
            e,
            DataError::FormulaSyntax {
                formula: deep.clone(),
                position: 5 + MAX_DEPTH,
                message: format!("parentheses are nested more than {MAX_DEPTH} deep"),
            }
        );
        // At the bound, the formula still parses.
        let ok = format!("y ~ {}x{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert_eq!(Formula::parse(&ok).unwrap().term_labels(), vec!["x"]);
    }

    fn labels(f: &str) -> (Vec<String>, bool) {
        let f = Formula::parse(f).unwrap();
        (f.term_labels(), f.intercept)
    }

    #[test]
    fn r_term_order_and_expansion() {
        // Checked against R 4.x: attr(terms(f), "term.labels") and attr(, "intercept").
        assert_eq!(
            labels("rating ~ temp + contact"),
            (vec!["temp".into(), "contact".into()], true)
        );
        assert_eq!(
            labels("y ~ a*b + c"),
            (vec!["a".into(), "b".into(), "c".into(), "a:b".into()], true)
        );
        assert_eq!(
            labels("y ~ b:a + a"),
            (vec!["a".into(), "b:a".into()], true)
        );
        assert_eq!(
            labels("y ~ a*b*c - a:b:c").0,
            vec!["a", "b", "c", "a:b", "a:c", "b:c"]
        );
        assert_eq!(labels("y ~ x + 0"), (vec!["x".into()], false));
        assert_eq!(labels("y ~ -1 + x"), (vec!["x".into()], false));
        assert_eq!(labels("y ~ x - 1 + 1"), (vec!["x".into()], true));
        assert_eq!(labels("y ~ 1"), (vec![], true));
        assert_eq!(labels("y ~ x + x + x:x"), (vec!["x".into()], true));
        assert_eq!(labels("y ~ (a + b):c").0, vec!["a:c", "b:c"]);
        assert_eq!(
            labels("y ~ factor(g) + `odd name`").0,
            vec!["factor(g)", "odd name"]
        );
    }

    #[test]
    fn factor_reference() {
        let f = Formula::parse("y ~ factor(temp, ref = \"warm\") + factor(site, ref = 3)").unwrap();
        assert_eq!(f.variables[0].reference.as_deref(), Some("warm"));
        assert_eq!(f.variables[1].reference.as_deref(), Some("3"));
        assert!(f.variables[1].factor);
    }

    #[test]
    fn syntax_errors_point_at_the_character() {
        let cases = [
            ("y ~ x + + z", 9),
            ("y ~ x +", 8),
            ("y x", 3),
            ("~ x", 1),
            ("y ~ lg(x)", 5), // an unknown function, at its name
            ("y ~ x $ z", 7),
            ("y ~ (x + z", 11),
            ("y ~ 2", 5),
            ("y ~ factor(x, reff = 1)", 15),
            ("y ~ 0", 5),
            ("y ~ x)", 6),
        ];
        for (f, at) in cases {
            match Formula::parse(f) {
                Err(DataError::FormulaSyntax { position, .. }) => assert_eq!(position, at, "{f}"),
                other => panic!("{f}: {other:?}"),
            }
        }
        let e = Formula::parse("y ~ x + + z").unwrap_err();
        assert_eq!(
            e.to_string(),
            "formula syntax error at character 9 of `y ~ x + + z`: expected a term"
        );
    }

    #[test]
    fn transformations_parse_and_deparse_as_r() {
        let label = |f: &str| {
            Formula::parse(f)
                .map(|f| f.term_labels())
                .unwrap_or_else(|e| panic!("{f}: {e}"))
        };
        // R: deparse(quote(...)) of each.
        assert_eq!(label("y ~ I(-x^2)"), ["I(-x^2)"]);
        assert_eq!(label("y ~ I((-x)^2)"), ["I((-x)^2)"]);
        assert_eq!(label("y ~ I(x^2^3)"), ["I(x^2^3)"]);
        assert_eq!(label("y ~ I((x^2)^3)"), ["I((x^2)^3)"]);
        assert_eq!(label("y ~ I(a - (b - c))"), ["I(a - (b - c))"]);
        assert_eq!(label("y ~ I((a - b) - c)"), ["I(a - b - c)"]);
        assert_eq!(label("y ~ I(a / (b * c))"), ["I(a/(b * c))"]);
        assert_eq!(label("y ~ log(x) + log(x)"), ["log(x)"]);
        assert_eq!(label("y ~ log(x):z"), ["log(x):z"]);
        // -x^2 is -(x^2): at x = 3, -9.
        let f = Formula::parse("y ~ I(-x^2)").unwrap_or_else(|e| panic!("{e}"));
        let e = f.variables[0]
            .expr
            .as_ref()
            .unwrap_or_else(|| panic!("no expr"));
        assert_eq!(e.eval(&|_| 3.0).to_bits(), (-9.0f64).to_bits());
        // 2^3^2 is 2^9.
        let f = Formula::parse("y ~ I(x^3^2)").unwrap_or_else(|e| panic!("{e}"));
        let e = f.variables[0]
            .expr
            .as_ref()
            .unwrap_or_else(|| panic!("no expr"));
        assert_eq!(e.eval(&|_| 2.0).to_bits(), 512.0f64.to_bits());
        for bad in ["y ~ log(x", "y ~ I(x +)", "y ~ foo(x)", "y ~ I(1e999 * x)"] {
            assert!(Formula::parse(bad).is_err(), "{bad}");
        }
    }
}
