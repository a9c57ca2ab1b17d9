//! Evaluation of the arithmetic expressions that the Countdown scorer passes to Python's
//! `eval` (`liumy2010/UFT:verl/utils/reward_score/countdown.py`, `evaluate_equation`),
//! without `eval`: a tokenizer and a recursive-descent parser that evaluate as they parse.
//!
//! What Python accepts from the characters `[0-9+\-*/().]` and whitespace, and what we do:
//!
//! | Python | here |
//! |---|---|
//! | int literals `7`, `00`; `05` is a `SyntaxError` | same |
//! | float literals `3.5`, `3.`, `.5`, `05.5` | the exact value of the same binary float |
//! | `+ - * /`, unary `+`/`-`, `//` (floor division), `**` (power, right-associative, binds tighter than a unary minus on its left: `-2**2 == -4`, `2**-1 == 0.5`) | same precedence and associativity |
//! | `/` and `//` by zero: `ZeroDivisionError`; `0 ** -1` likewise | [`EvalError::ZeroDivision`] |
//! | `()` (empty tuple), `...` (Ellipsis), calls such as `2(3)`: a tuple/Ellipsis result or a `TypeError` | [`EvalError::NotReal`] |
//! | negative base to a fractional power, e.g. `(-8)**(1/3)`: a complex number | [`EvalError::NotReal`] |
//! | more than 200 nested parentheses: `SyntaxError` ("too many nested parentheses") | same limit |
//! | `\r` (a newline to the tokenizer) outside parentheses: `SyntaxError`; inside: ignored | same |
//! | whitespace other than space, tab, form feed (e.g. `\v`, U+00A0), any other character | [`EvalError::Syntax`] |
//!
//! **Values.** Python computes with unbounded ints and binary floats; we compute exact
//! rationals ([`Ratio`], i128) and switch to `f64` only when the exact value is not
//! available: an `i128` overflow, or a power with a fractional exponent whose result is
//! irrational (`2**0.5`). In the `f64` regime the operations follow CPython's float rules
//! ([`super::pyfloat`]). Deliberate differences:
//!
//! * Python rounds the result of every float operation to 53 bits; we do not. That changes
//!   the Countdown verdict only (a) when the value lies within rounding distance of the
//!   tolerance edge `target ± 1e-5` — about 1e-12 for values near the 10–100 targets, but
//!   more than 1e-5 itself once |value| passes ~1e11; or (b) when `//` floors a `/` result
//!   that is an integer exactly but a hair off it in binary: `1 // (1/10)` is 9.0 in Python
//!   (1/10 rounds up), 10 here. Float *literals* are taken at their binary value, so
//!   `1 // .1` is 9 in both.
//! * Past `i128` Python keeps exact big integers, we keep `f64`: `(99**99 + 1) - 99**99` is
//!   1 in Python and 0.0 here. Python would also take unbounded time on `9**9**99`; we fail
//!   fast with [`EvalError::Overflow`]. An int *literal* beyond `i128` (39+ digits) is
//!   [`EvalError::Overflow`] (Python: an exact int); such literals never pass the
//!   Countdown numbers check, which runs first.
//! * CPython 3.11 raises `RecursionError` for expressions nested about 3000 levels deep
//!   (e.g. 3000 unary minus signs); we evaluate any length.
//! * Complex arithmetic is not modelled: `-((-4)**(1/2))**2` is `4 + 0j` ≈ 4 in Python,
//!   `NotReal` here.
//!
//! Cost is linear in the input; recursion depth is bounded by the 200-parenthesis limit.

use super::pyfloat::{self, FloatError};
use super::rational::Ratio;

/// Python's parenthesis nesting limit (CPython tokenizer `MAXLEVEL`).
pub const MAX_PAREN_DEPTH: usize = 200;

/// A real value computed by [`eval_python`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// An exact rational.
    Exact(Ratio),
    /// A binary float (see the module docs for when this happens).
    Float(f64),
}

impl Value {
    /// The value as `f64` (rounded when exact).
    pub fn to_f64(self) -> f64 {
        match self {
            Value::Exact(r) => r.to_f64(),
            Value::Float(f) => f,
        }
    }

    /// Whether `|value - target| < 1e-5`, as `countdown.compute_score` tests it
    /// (exactly for exact values, in `f64` for floats).
    pub fn within_1e5_of(self, target: i64) -> bool {
        match self {
            Value::Exact(r) => r.within_1e5_of(target as i128),
            Value::Float(f) => (f - target as f64).abs() < 1e-5,
        }
    }
}

/// Why an expression has no real value, as Python would fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvalError {
    /// `SyntaxError` at compile time.
    Syntax,
    /// `ZeroDivisionError`.
    ZeroDivision,
    /// `OverflowError`, or a value past what we can represent (see module docs).
    Overflow,
    /// The result is not a real number: a tuple, Ellipsis, a complex number, or a
    /// `TypeError` from calling a number.
    NotReal,
}

/// Evaluates `expr` as Python's `eval` would (see the module docs for the differences).
pub fn eval_python(expr: &str) -> Result<Value, EvalError> {
    let tokens = tokenize(expr)?;
    let mut parser = Parser {
        src: expr,
        toks: &tokens,
        pos: 0,
    };
    let value = parser.expr()?;
    if parser.pos != tokens.len() {
        return Err(EvalError::Syntax);
    }
    value
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok {
    /// A number literal: byte range in the source, and whether it has a `.`.
    Num {
        start: usize,
        end: usize,
    },
    Plus,
    Minus,
    Star,
    DoubleStar,
    Slash,
    DoubleSlash,
    LParen,
    RParen,
    Ellipsis,
}

/// Python's tokenizer restricted to the characters that reach `eval` here.
fn tokenize(src: &str) -> Result<Vec<Tok>, EvalError> {
    let b = src.as_bytes();
    let (mut i, mut depth, mut out) = (0, 0usize, Vec::new());
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        match c {
            b' ' | b'\t' | b'\x0c' => i += 1,
            // A newline ends the logical line unless a parenthesis is open.
            b'\r' | b'\n' if depth > 0 => i += 1,
            b'0'..=b'9' => {
                let start = i;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                if i < b.len() && b[i] == b'.' {
                    i += 1;
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                } else if c == b'0' && b[start..i].iter().any(|&d| d != b'0') {
                    return Err(EvalError::Syntax); // leading zeros in an int literal
                }
                out.push(Tok::Num { start, end: i });
            }
            b'.' if next.is_some_and(|n| n.is_ascii_digit()) => {
                let start = i;
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                out.push(Tok::Num { start, end: i });
            }
            b'.' if src[i..].starts_with("...") => {
                out.push(Tok::Ellipsis);
                i += 3;
            }
            b'+' | b'-' | b'(' | b')' => {
                out.push(match c {
                    b'+' => Tok::Plus,
                    b'-' => Tok::Minus,
                    b'(' => {
                        depth += 1;
                        if depth > MAX_PAREN_DEPTH {
                            return Err(EvalError::Syntax);
                        }
                        Tok::LParen
                    }
                    _ => {
                        depth = depth.checked_sub(1).ok_or(EvalError::Syntax)?;
                        Tok::RParen
                    }
                });
                i += 1;
            }
            b'*' | b'/' => {
                let doubled = next == Some(c);
                out.push(match (c, doubled) {
                    (b'*', false) => Tok::Star,
                    (b'*', true) => Tok::DoubleStar,
                    (_, false) => Tok::Slash,
                    (_, true) => Tok::DoubleSlash,
                });
                i += if doubled { 2 } else { 1 };
            }
            _ => return Err(EvalError::Syntax),
        }
    }
    Ok(out)
}

/// A value or the runtime error Python would raise while computing it. Runtime errors
/// are carried along (not returned at once) because a later `SyntaxError` takes
/// precedence: Python compiles the whole expression before evaluating any of it.
type Eval = Result<Value, EvalError>;

struct Parser<'a> {
    src: &'a str,
    toks: &'a [Tok],
    pos: usize,
}

#[derive(Clone, Copy)]
enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    FloorDiv,
    Pow,
}

impl Parser<'_> {
    fn peek(&self) -> Option<Tok> {
        self.toks.get(self.pos).copied()
    }

    fn eat(&mut self, t: Tok) -> bool {
        let hit = self.peek() == Some(t);
        self.pos += usize::from(hit);
        hit
    }

    /// `expr := term (('+' | '-') term)*`
    fn expr(&mut self) -> Result<Eval, EvalError> {
        let mut acc = self.term()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Plus) => BinOp::Add,
                Some(Tok::Minus) => BinOp::Sub,
                _ => return Ok(acc),
            };
            self.pos += 1;
            let rhs = self.term()?;
            acc = binop(op, acc, rhs);
        }
    }

    /// `term := factor (('*' | '/' | '//') factor)*`
    fn term(&mut self) -> Result<Eval, EvalError> {
        let mut acc = self.factor()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Star) => BinOp::Mul,
                Some(Tok::Slash) => BinOp::Div,
                Some(Tok::DoubleSlash) => BinOp::FloorDiv,
                _ => return Ok(acc),
            };
            self.pos += 1;
            let rhs = self.factor()?;
            acc = binop(op, acc, rhs);
        }
    }

    /// `factor := ('+' | '-')* power` and `power := primary ['**' factor]`, parsed as one
    /// flat chain `s0 p0 ** s1 p1 ** … ** sn pn` and folded from the right, so long chains
    /// of signs or powers do not recurse.
    fn factor(&mut self) -> Result<Eval, EvalError> {
        let mut chain: Vec<(bool, Eval)> = Vec::new();
        loop {
            let mut negate = false;
            while let Some(t @ (Tok::Plus | Tok::Minus)) = self.peek() {
                negate ^= t == Tok::Minus;
                self.pos += 1;
            }
            chain.push((negate, self.primary()?));
            if !self.eat(Tok::DoubleStar) {
                break;
            }
        }
        let (negate, last) = chain.pop().expect("chain has at least one item");
        let mut acc = sign(negate, last);
        while let Some((negate, base)) = chain.pop() {
            acc = sign(negate, binop(BinOp::Pow, base, acc));
        }
        Ok(acc)
    }

    /// `primary := atom ('(' [['*' | '**'] expr] ')')*` — a call, which always fails at
    /// run time here because no value is callable.
    fn primary(&mut self) -> Result<Eval, EvalError> {
        let mut acc = self.atom()?;
        while self.eat(Tok::LParen) {
            let arg = if self.eat(Tok::RParen) {
                None
            } else {
                let _unpack = self.eat(Tok::Star) || self.eat(Tok::DoubleStar);
                let arg = self.expr()?;
                self.expect_rparen()?;
                Some(arg)
            };
            // Python evaluates the callee, then the argument, then raises TypeError.
            acc = acc
                .and_then(|_| arg.unwrap_or(Ok(Value::Float(0.0))))
                .and(Err(EvalError::NotReal));
        }
        Ok(acc)
    }

    /// `atom := NUMBER | '...' | '(' ')' | '(' expr ')'`
    fn atom(&mut self) -> Result<Eval, EvalError> {
        match self.peek() {
            Some(Tok::Num { start, end }) => {
                self.pos += 1;
                Ok(number(&self.src[start..end]))
            }
            Some(Tok::Ellipsis) => {
                self.pos += 1;
                Ok(Err(EvalError::NotReal))
            }
            Some(Tok::LParen) => {
                self.pos += 1;
                if self.eat(Tok::RParen) {
                    return Ok(Err(EvalError::NotReal)); // the empty tuple
                }
                let inner = self.expr()?;
                self.expect_rparen()?;
                Ok(inner)
            }
            _ => Err(EvalError::Syntax),
        }
    }

    fn expect_rparen(&mut self) -> Result<(), EvalError> {
        if self.eat(Tok::RParen) {
            Ok(())
        } else {
            Err(EvalError::Syntax)
        }
    }
}

/// The value of a number literal. An int literal is exact (beyond `i128`, i.e. 39+
/// digits, [`EvalError::Overflow`], where Python would keep an exact int). A float literal
/// is what Python makes of it — the nearest binary float — taken exactly when that fits a
/// [`Ratio`] (so `.1` is 3602879701896397/2^55, and `90 // .1` is 899 as in Python), else
/// as an `f64`.
fn number(text: &str) -> Eval {
    if text.contains('.') {
        let x: f64 = text.parse().map_err(|_| EvalError::Syntax)?;
        return Ok(Ratio::from_f64(x).map_or(Value::Float(x), Value::Exact));
    }
    let significant = text.trim_start_matches('0');
    if significant.is_empty() {
        return Ok(Value::Exact(Ratio::ZERO));
    }
    let n: i128 = significant.parse().map_err(|_| EvalError::Overflow)?;
    Ratio::int(n).map(Value::Exact).ok_or(EvalError::Overflow)
}

fn sign(negate: bool, v: Eval) -> Eval {
    match v? {
        _ if !negate => v,
        Value::Exact(r) => Ok(r
            .checked_neg()
            .map_or(Value::Float(-r.to_f64()), Value::Exact)),
        Value::Float(f) => Ok(Value::Float(-f)),
    }
}

/// Applies `op`, left operand's error first (Python's evaluation order).
fn binop(op: BinOp, a: Eval, b: Eval) -> Eval {
    let (a, b) = (a?, b?);
    if let (Value::Exact(x), Value::Exact(y)) = (a, b)
        && let Some(result) = exact_op(op, x, y)
    {
        return result;
    }
    float_op(op, a.to_f64(), b.to_f64())
}

/// The exact result, or `None` when it does not fit (the caller then uses `f64`).
fn exact_op(op: BinOp, x: Ratio, y: Ratio) -> Option<Eval> {
    let zero_division = Some(Err(EvalError::ZeroDivision));
    let exact = match op {
        BinOp::Add => x.checked_add(y),
        BinOp::Sub => x.checked_sub(y),
        BinOp::Mul => x.checked_mul(y),
        BinOp::Div | BinOp::FloorDiv if y.is_zero() => return zero_division,
        BinOp::Div => x.checked_div(y),
        BinOp::FloorDiv => x.checked_div(y).and_then(|q| Ratio::int(q.floor())),
        BinOp::Pow if x.is_zero() && y < Ratio::ZERO => return zero_division,
        BinOp::Pow if y.is_integer() => x.checked_pow(y.numer()),
        // A fractional power of a negative number is complex in Python.
        BinOp::Pow if x < Ratio::ZERO => return Some(Err(EvalError::NotReal)),
        // x ** (p/q) is rational only if x is a perfect q-th power.
        BinOp::Pow => x.root(y.denom()).and_then(|r| r.checked_pow(y.numer())),
    };
    exact.map(|r| Ok(Value::Exact(r)))
}

/// An operation on floats, with CPython's results and errors ([`pyfloat`]).
fn float_op(op: BinOp, a: f64, b: f64) -> Eval {
    let v = match op {
        BinOp::Add => Ok(a + b),
        BinOp::Sub => Ok(a - b),
        BinOp::Mul => Ok(a * b),
        BinOp::Div => pyfloat::div(a, b),
        BinOp::FloorDiv => pyfloat::floor_div(a, b),
        BinOp::Pow => pyfloat::pow(a, b),
    };
    v.map(Value::Float).map_err(|e| match e {
        FloatError::ZeroDivision => EvalError::ZeroDivision,
        FloatError::Overflow => EvalError::Overflow,
        FloatError::Complex => EvalError::NotReal,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use EvalError::*;

    /// An exact expected value `n / d`.
    fn q(n: i128, d: i128) -> Result<Value, EvalError> {
        Ok(Value::Exact(Ratio::new(n, d).unwrap()))
    }

    #[test]
    fn matches_python_eval() {
        // Expected values from CPython 3.11 `eval(s, {"__builtins__": None}, {})`; where
        // Python returns a float we expect the exact value it rounds.
        let cases = [
            ("1+2*3", q(7, 1)),
            ("(1+2)*3", q(9, 1)),
            ("7/2", q(7, 2)),
            ("7//2", q(3, 1)),
            ("-7//2", q(-4, 1)),
            ("2**3**2", q(512, 1)),
            ("-2**2", q(-4, 1)),
            ("2**-1", q(1, 2)),
            ("(-2)**2", q(4, 1)),
            ("--5", q(5, 1)),
            ("+-+5", q(-5, 1)),
            ("2*-3", q(-6, 1)),
            ("2--3", q(5, 1)),
            ("00", q(0, 1)),
            ("00.5", q(1, 2)),
            ("05.", q(5, 1)),
            (".5+.5", q(1, 1)),
            ("0**0", q(1, 1)),
            ("4**0.5", q(2, 1)),
            ("8**(1/3)", q(2, 1)), // Python: 2.0
            ("(-8)**3", q(-512, 1)),
            ("7.5//2", q(3, 1)),
            ("(1+\r2)", q(3, 1)),
            ("1 +\t2", q(3, 1)),
            ("1\x0c+2", q(3, 1)),
            ("99**99-99**99+98", Ok(Value::Float(98.0))), // Python: int 98, exactly
            ("98+(1/99)**99", Ok(Value::Float(98.0))),
            ("2**99//2**98", q(2, 1)),
            ("1/3*3", q(1, 1)),
            ("((76 - 47) + 55) - 60", q(24, 1)),
            ("(1 + 2) / 3", q(1, 1)),
            ("2**0.5", Ok(Value::Float(std::f64::consts::SQRT_2))), // Python: 1.4142135623730951
            ("(3**(1/2))**2", Ok(Value::Float(2.9999999999999996))),
            ("05", Err(Syntax)),
            ("1..5", Err(Syntax)),
            ("1.5.5", Err(Syntax)),
            ("2***3", Err(Syntax)),
            ("1+\r2", Err(Syntax)),
            ("1\x0b+2", Err(Syntax)),
            ("1+", Err(Syntax)),
            ("*1", Err(Syntax)),
            ("(1", Err(Syntax)),
            ("1)", Err(Syntax)),
            ("", Err(Syntax)),
            ("   ", Err(Syntax)),
            ("(*1)", Err(Syntax)),
            ("1\u{a0}+2", Err(Syntax)),
            ("\u{663}+1", Err(Syntax)),
            ("...", Err(NotReal)),
            ("()", Err(NotReal)),
            ("()*3", Err(NotReal)),
            ("2(3)", Err(NotReal)),
            ("2(*3)", Err(NotReal)),
            ("(-8)**(1/3)", Err(NotReal)),
            ("2//0", Err(ZeroDivision)),
            ("1/0", Err(ZeroDivision)),
            ("0**-1", Err(ZeroDivision)),
            ("10**400/1", Err(Overflow)),
            ("9**9**99", Err(Overflow)), // Python never finishes
        ];
        for (src, want) in cases {
            assert_eq!(eval_python(src), want, "{src:?}");
        }
    }

    #[test]
    fn syntax_error_beats_runtime_error() {
        // Python compiles first: `1/0 +` never divides.
        assert_eq!(eval_python("1/0 +"), Err(Syntax));
        assert_eq!(eval_python("1/0 + ()"), Err(ZeroDivision)); // left operand first
        assert_eq!(eval_python("() + 1/0"), Err(NotReal));
    }

    #[test]
    fn floor_division_of_inexact_decimals() {
        // Float literals are binary, as in Python: 22 // 1.1 == 19.0, 90 // .1 == 899.0.
        assert_eq!(eval_python("22//1.1"), q(19, 1));
        assert_eq!(eval_python("90 // .1"), q(899, 1));
        assert_eq!(
            eval_python("1.1"),
            Ok(Value::Exact(Ratio::from_f64(1.1).unwrap()))
        );
        // A rounded `/` result is not modelled: Python gives 9.0 (documented deviation).
        assert_eq!(eval_python("1 // (1/10)"), q(10, 1));
    }

    #[test]
    fn paren_depth_limit_is_pythons() {
        let nest = |n: usize| format!("{}1{}", "(".repeat(n), ")".repeat(n));
        assert_eq!(eval_python(&nest(200)), q(1, 1));
        assert_eq!(eval_python(&nest(201)), Err(Syntax));
        assert_eq!(eval_python(&nest(100_000)), Err(Syntax));
    }

    #[test]
    fn long_inputs_do_not_recurse() {
        let minus = format!("{}7", "-".repeat(1_000_000));
        assert_eq!(eval_python(&minus), q(7, 1));
        let pow = vec!["1"; 100_000].join("**");
        assert_eq!(eval_python(&pow), q(1, 1));
        let sum = vec!["1"; 100_000].join("+");
        assert_eq!(eval_python(&sum), q(100_000, 1));
        // Python keeps 1000-digit ints exactly (this is 0 there); we report overflow.
        let huge = "9".repeat(1000);
        assert_eq!(eval_python(&format!("{huge}-{huge}")), Err(Overflow));
        // A float literal with 1000 digits is a float in Python too.
        assert_eq!(eval_python(&format!("1.{huge}")), q(2, 1)); // the float 2.0
        assert_eq!(
            eval_python(&format!("{huge}.5")),
            Ok(Value::Float(f64::INFINITY))
        );
    }
}
