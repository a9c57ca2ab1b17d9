//! Exact values of simple LaTeX number expressions, for the boxed-answer equivalence check
//! ([`super::equiv`]).
//!
//! A value is a finite sum `Σ c · π^k · √m` with rational `c` ([`Ratio`]), integer `k` and
//! square-free `m ≥ 1`, kept in a canonical form, so two expressions are equal exactly when
//! their values compare equal: `\frac{\sqrt{12}}{4}` = `\frac{\sqrt3}{2}`, `0.5` = `\frac12`,
//! `\frac{2\pi}{3}` = `\frac{2}{3}\pi`, `8.7 \times 10^{8}` = `870000000`.
//!
//! Recognised: integers; decimals (`.5`, `2.50`); scientific notation (`7.02e5`, `1e-8`);
//! `+ - * / \cdot \times`; juxtaposition as multiplication (`2\pi`, `3\sqrt{2}`; so a mixed
//! number `2\frac{1}{2}` is read as 2·½, not 2½); grouping with `( ) [ ] { }`; `\frac`,
//! `\dfrac`, `\tfrac` with braced or one-character arguments (`\frac12`); `\sqrt{…}` and
//! `\sqrt2` (square roots of non-negative rationals only); integer powers `^2`, `^{-1}`;
//! `\pi` and `π`.
//!
//! Not recognised (parsing fails, and the caller falls back to string comparison): variables
//! and functions (`x`, `\sin`, `e` as a constant), other roots (`\sqrt[3]{2}`), fractional
//! exponents, division by a sum (`\frac{1}{1+\sqrt2}`), `\infty`, and anything whose exact
//! value overflows `i128` (e.g. `2^{200}`) or needs a radicand above 10^10, sums of more
//! than 32 distinct terms, and inputs over 1000 characters (these bounds keep the cost
//! small on hostile input).

use std::collections::BTreeMap;

use super::rational::Ratio;

/// `Σ coefficient · π^pi_power · √radicand`, zero coefficients removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    /// `(pi_power, radicand)` → coefficient; radicands are square-free.
    terms: BTreeMap<(i32, u64), Ratio>,
}

// Bounds that keep every parse cheap on hostile input.
const MAX_LEN: usize = 1000; // characters; longer answers are not "simple numbers"
const MAX_RADICAND: u128 = 10_000_000_000; // trial division up to 10^5
const MAX_TERMS: usize = 32;
const MAX_DEPTH: usize = 64;
const MAX_EXPONENT: i128 = 256;

impl Value {
    fn rational(r: Ratio) -> Value {
        Value {
            terms: BTreeMap::new(),
        }
        .plus_term((0, 1), r)
        .unwrap_or_else(|| Value {
            terms: BTreeMap::new(),
        })
    }

    fn pi() -> Value {
        Value {
            terms: BTreeMap::from([((1, 1), Ratio::ONE)]),
        }
    }

    /// The rational value, if the value has no π or root part.
    pub fn as_rational(&self) -> Option<Ratio> {
        match self.terms.len() {
            0 => Some(Ratio::ZERO),
            1 => self.terms.get(&(0, 1)).copied(),
            _ => None,
        }
    }

    fn plus_term(mut self, key: (i32, u64), c: Ratio) -> Option<Value> {
        if self.terms.len() >= MAX_TERMS && !self.terms.contains_key(&key) {
            return None;
        }
        let sum = self
            .terms
            .get(&key)
            .copied()
            .unwrap_or(Ratio::ZERO)
            .checked_add(c)?;
        if sum.is_zero() {
            self.terms.remove(&key);
        } else {
            self.terms.insert(key, sum);
        }
        Some(self)
    }

    fn add(&self, o: &Value) -> Option<Value> {
        o.terms
            .iter()
            .try_fold(self.clone(), |acc, (&k, &c)| acc.plus_term(k, c))
    }

    fn neg(&self) -> Option<Value> {
        self.sub_from(&Value {
            terms: BTreeMap::new(),
        })
    }

    /// `o - self`.
    fn sub_from(&self, o: &Value) -> Option<Value> {
        self.terms.iter().try_fold(o.clone(), |acc, (&k, &c)| {
            acc.plus_term(k, c.checked_neg()?)
        })
    }

    fn mul(&self, o: &Value) -> Option<Value> {
        let mut out = Value {
            terms: BTreeMap::new(),
        };
        for (&(k1, m1), &c1) in &self.terms {
            for (&(k2, m2), &c2) in &o.terms {
                // √m1·√m2 = g·√(m1/g · m2/g) with g = gcd(m1, m2); the result is square-free.
                let g = gcd(m1, m2);
                let m = u128::from(m1 / g) * u128::from(m2 / g);
                if m > MAX_RADICAND {
                    return None;
                }
                let c = c1
                    .checked_mul(c2)?
                    .checked_mul(Ratio::int(i128::from(g))?)?;
                out = out.plus_term((k1.checked_add(k2)?, m as u64), c)?;
            }
        }
        Some(out)
    }

    /// `self / o` when `o` is a single non-zero term.
    fn div(&self, o: &Value) -> Option<Value> {
        let [(&(k, m), &c)] = o.terms.iter().collect::<Vec<_>>()[..] else {
            return None;
        };
        // 1 / (c π^k √m) = 1/(c·m) · π^-k · √m
        let inv_c = Ratio::ONE.checked_div(c.checked_mul(Ratio::int(i128::from(m))?)?)?;
        self.mul(&Value {
            terms: BTreeMap::from([((k.checked_neg()?, m), inv_c)]),
        })
    }

    fn pow(&self, exp: &Value) -> Option<Value> {
        let e = exp.as_rational().filter(|e| e.is_integer())?.numer();
        if e.abs() > MAX_EXPONENT {
            return None;
        }
        let mut acc = Value::rational(Ratio::ONE);
        for _ in 0..e.abs() {
            acc = acc.mul(self)?;
        }
        if e < 0 {
            Value::rational(Ratio::ONE).div(&acc)
        } else {
            Some(acc)
        }
    }

    /// `√self` for a non-negative rational `p/q`: `√(p·q) / q`, square factors pulled out.
    fn sqrt(&self) -> Option<Value> {
        let r = self.as_rational().filter(|r| *r >= Ratio::ZERO)?;
        let n = u128::try_from(r.numer())
            .ok()?
            .checked_mul(u128::try_from(r.denom()).ok()?)?;
        if n > MAX_RADICAND {
            return None;
        }
        let (square_root, radicand) = split_square(n as u64);
        let c = Ratio::new(i128::from(square_root), r.denom())?;
        Value {
            terms: BTreeMap::new(),
        }
        .plus_term((0, radicand), c)
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// `n = s² · r` with `r` square-free; returns `(s, r)` (trial division, `n <= 10^10`).
fn split_square(mut n: u64) -> (u64, u64) {
    let (mut s, mut r, mut p) = (1u64, 1u64, 2u64);
    while p * p <= n {
        while n.is_multiple_of(p * p) {
            n /= p * p;
            s *= p;
        }
        if n.is_multiple_of(p) {
            n /= p;
            r *= p;
        }
        p += 1;
    }
    (s, r * n)
}

/// Parses a whole expression; `None` if any part is not recognised.
pub fn parse(s: &str) -> Option<Value> {
    if s.chars().nth(MAX_LEN).is_some() {
        return None;
    }
    let chars: Vec<char> = s.chars().filter(|c| !c.is_whitespace()).collect();
    let mut p = Parser {
        s: &chars,
        pos: 0,
        depth: 0,
    };
    let v = p.expr()?;
    (p.pos == chars.len()).then_some(v)
}

struct Parser<'a> {
    s: &'a [char],
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.s.get(self.pos).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        let hit = self.peek() == Some(c);
        self.pos += usize::from(hit);
        hit
    }

    /// Consumes the command `\name` if it is next (and not a prefix of a longer name).
    fn eat_command(&mut self, name: &str) -> bool {
        let len = name.chars().count();
        let end = self.pos + 1 + len;
        let matches = self.peek() == Some('\\')
            && self
                .s
                .get(self.pos + 1..end)
                .is_some_and(|w| w.iter().copied().eq(name.chars()))
            && !self.s.get(end).is_some_and(|c| c.is_ascii_alphabetic());
        if matches {
            self.pos = end;
        }
        matches
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// `expr := term (('+' | '-') term)*`
    fn expr(&mut self) -> Option<Value> {
        self.enter()?;
        let mut acc = self.term()?;
        loop {
            if self.eat('+') {
                acc = acc.add(&self.term()?)?;
            } else if self.eat('-') {
                acc = self.term()?.sub_from(&acc)?;
            } else {
                self.depth -= 1;
                return Some(acc);
            }
        }
    }

    /// `term := factor (('*' | '\cdot' | '\times' | '/' | juxtaposition) factor)*`
    fn term(&mut self) -> Option<Value> {
        let mut acc = self.factor()?;
        loop {
            if self.eat('*') || self.eat_command("cdot") || self.eat_command("times") {
                acc = acc.mul(&self.factor()?)?;
            } else if self.eat('/') {
                acc = acc.div(&self.factor()?)?;
            } else if self.starts_primary() {
                acc = acc.mul(&self.power()?)?;
            } else {
                return Some(acc);
            }
        }
    }

    fn starts_primary(&self) -> bool {
        match self.peek() {
            Some(c) if c.is_ascii_digit() || "([{π".contains(c) => true,
            Some('\\') => ["frac", "dfrac", "tfrac", "sqrt", "pi"].iter().any(|n| {
                let end = self.pos + 1 + n.len();
                self.s
                    .get(self.pos + 1..end)
                    .is_some_and(|w| w.iter().copied().eq(n.chars()))
            }),
            _ => false,
        }
    }

    /// `factor := ('+' | '-') factor | power`
    fn factor(&mut self) -> Option<Value> {
        self.enter()?;
        let v = if self.eat('-') {
            self.factor()?.neg()?
        } else if self.eat('+') {
            self.factor()?
        } else {
            self.power()?
        };
        self.depth -= 1;
        Some(v)
    }

    /// `power := primary ['^' argument]`
    fn power(&mut self) -> Option<Value> {
        let base = self.primary()?;
        if self.eat('^') {
            base.pow(&self.argument()?)
        } else {
            Some(base)
        }
    }

    /// A command argument: `{expr}` or a single digit / `\pi`.
    fn argument(&mut self) -> Option<Value> {
        self.enter()?;
        let v = if self.eat('{') {
            let v = self.expr()?;
            self.eat('}').then_some(v)
        } else if let Some(d) = self.peek().and_then(|c| c.to_digit(10)) {
            self.pos += 1;
            Some(Value::rational(Ratio::int(i128::from(d))?))
        } else if self.eat_command("pi") || self.eat('π') {
            Some(Value::pi())
        } else {
            None
        }?;
        self.depth -= 1;
        Some(v)
    }

    fn primary(&mut self) -> Option<Value> {
        for (open, close) in [('(', ')'), ('[', ']'), ('{', '}')] {
            if self.eat(open) {
                let v = self.expr()?;
                return self.eat(close).then_some(v);
            }
        }
        if self.eat_command("frac") || self.eat_command("dfrac") || self.eat_command("tfrac") {
            let num = self.argument()?;
            return num.div(&self.argument()?);
        }
        if self.eat_command("sqrt") {
            return self.argument()?.sqrt();
        }
        if self.eat_command("pi") || self.eat('π') {
            return Some(Value::pi());
        }
        self.number()
    }

    /// `digits ['.' digits] [('e' | 'E') ['+' | '-'] digits]` or `'.' digits`.
    fn number(&mut self) -> Option<Value> {
        let start = self.pos;
        let digits = |p: &mut Self| {
            let from = p.pos;
            while p.peek().is_some_and(|c| c.is_ascii_digit()) {
                p.pos += 1;
            }
            p.s[from..p.pos].iter().collect::<String>()
        };
        let int_part = digits(self);
        let frac_part = if self.eat('.') {
            digits(self)
        } else {
            String::new()
        };
        if int_part.is_empty() && frac_part.is_empty() {
            self.pos = start;
            return None;
        }
        let digits_all = format!("{int_part}{frac_part}");
        let significant = digits_all.trim_start_matches('0');
        if significant.len() > 38 {
            return None;
        }
        let num = if significant.is_empty() {
            0
        } else {
            significant.parse().ok()?
        };
        let mut value = Ratio::new(
            num,
            10i128.checked_pow(u32::try_from(frac_part.len()).ok()?)?,
        )?;
        // Scientific notation: only 'e' directly followed by a (signed) digit.
        let mark = self.pos;
        if self.eat('e') || self.eat('E') {
            let negative = self.eat('-');
            if !negative {
                self.eat('+');
            }
            let exp = digits(self);
            if exp.is_empty() {
                self.pos = mark;
            } else {
                let e: i128 = exp.parse().ok().filter(|e: &i128| *e <= MAX_EXPONENT)?;
                let scale = Ratio::int(10)?.checked_pow(if negative { -e } else { e })?;
                value = value.checked_mul(scale)?;
            }
        }
        Some(Value::rational(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: &str, b: &str) -> bool {
        match (parse(a), parse(b)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        }
    }

    #[test]
    fn equal_values() {
        let pairs = [
            ("0.5", r"\frac12"),
            ("36.0", "36"),
            ("24.310", "24.31"),
            (r"\dfrac{14}{3}", r"\frac{28}{6}"),
            (r"\frac{\sqrt{12}}{4}", r"\frac{\sqrt3}{2}"),
            (r"\frac{2\pi}{3}", r"\frac{2}{3}\pi"),
            (r"8.7 \times 10^{8}", "870000000"),
            ("7.02e5", "702000"),
            ("1e-8", r"10^{-8}"),
            (r"2-\sqrt{3}", r"-\sqrt3+2"),
            (r"\frac{9}{32} \sqrt{2}", r"\frac{9\sqrt2}{32}"),
            (r"\sqrt{8}", r"2\sqrt{2}"),
            (r"\sqrt{2}\cdot\sqrt{6}", r"2\sqrt3"),
            (r"\frac{1}{\sqrt2}", r"\frac{\sqrt2}{2}"),
            (r"(1+\sqrt2)^2", r"3+2\sqrt2"),
            ("-.25", r"-\frac{1}{4}"),
            ("-.25", r"\frac{-1}{4}"),
            (r"\pi/2", r"\frac{\pi}{2}"),
            ("2^{10}", "1024"),
        ];
        for (a, b) in pairs {
            assert!(same(a, b), "{a} vs {b}");
        }
    }

    #[test]
    fn different_or_unparsed() {
        assert!(!same("0.333", r"\frac13"));
        assert!(!same(r"\sqrt2", "1.414"));
        assert!(!same(r"\pi", "3.14"));
        assert!(!same("-1", "1"));
        for s in [
            "x",
            r"\sin x",
            r"\sqrt[3]{2}",
            "2^{1/2}",
            r"\frac{1}{1+\sqrt2}",
            "2^{200}",
            "",
            "1..2",
            "e",
            r"\infty",
        ] {
            assert_eq!(parse(s), None, "{s}");
        }
        assert_eq!(parse(&"(".repeat(10_000)), None); // too long
        assert_eq!(parse(&"(".repeat(500)), None); // too deep
    }

    #[test]
    fn hostile_inputs_are_cheap() {
        let start = std::time::Instant::now();
        let roots = r"\sqrt{9999999967}".repeat(55); // 55 large square roots, 990 chars
        assert!(parse(&roots).is_none()); // the radicand product overflows the bound
        let sum: String = (2..60).map(|p| format!(r"+\sqrt{{{p}}}")).collect();
        assert!(parse(&format!("({sum})^{{256}}")).is_none()); // too many terms
        assert!(parse(&"1".repeat(2000)).is_none());
        println!("hostile latex values in {:?}", start.elapsed());
    }

    #[test]
    fn square_parts() {
        assert_eq!(split_square(72), (6, 2));
        assert_eq!(split_square(1), (1, 1));
        assert_eq!(split_square(9_999_999_967), (1, 9_999_999_967)); // a large prime
    }
}
