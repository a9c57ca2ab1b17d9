//! Knights-and-Knaves statement grammar: sampling, evaluation, the official Python-tuple
//! rendering (`ground_truth.statements`) and the natural-language rendering.
//!
//! Grammar and sampler follow `lib_kk.py` of the K&K benchmark (AlphaPav/mem-kk-logic,
//! `KKProblemSampler._sample_statement`, `format_statement`): assertions
//! `('telling-truth', i)` / `('lying', i)`, `('not', s)`, `('and', s1, s2, ...)`,
//! `('or', ...)`, `('->', s1, s2)`, `('<=>', s1, s2)`. People are 0-based indices.
//! The official data (Logic-RL) uses depth 2 and width 2; checked on all 5,000 rows: every
//! statement is an assertion or one operator over assertions, `and`/`or` always have two
//! operands, and nobody ever says `('lying', self)`.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// One inhabitant's claim.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Statement {
    /// `('telling-truth', i)`: "i is a knight".
    Truth(usize),
    /// `('lying', i)`: "i is a knave".
    Lie(usize),
    Not(Box<Statement>),
    And(Vec<Statement>),
    Or(Vec<Statement>),
    /// `('->', a, b)`: "If a then b".
    Implies(Box<Statement>, Box<Statement>),
    /// `('<=>', a, b)`: "a if and only if b".
    Iff(Box<Statement>, Box<Statement>),
}

impl Statement {
    /// Truth value when bit `i` of `knights` is set iff inhabitant `i` is a knight.
    pub fn eval(&self, knights: u64) -> bool {
        match self {
            Statement::Truth(i) => knights >> i & 1 == 1,
            Statement::Lie(i) => knights >> i & 1 == 0,
            Statement::Not(s) => !s.eval(knights),
            Statement::And(v) => v.iter().all(|s| s.eval(knights)),
            Statement::Or(v) => v.iter().any(|s| s.eval(knights)),
            Statement::Implies(a, b) => !a.eval(knights) || b.eval(knights),
            Statement::Iff(a, b) => a.eval(knights) == b.eval(knights),
        }
    }

    /// Python `repr` of the tuple, e.g. `('or', ('telling-truth', 1), ('lying', 2))`.
    pub fn to_python(&self) -> String {
        let join = |tag: &str, parts: &[&Statement]| {
            let inner: Vec<String> = parts.iter().map(|s| s.to_python()).collect();
            format!("('{tag}', {})", inner.join(", "))
        };
        match self {
            Statement::Truth(i) => format!("('telling-truth', {i})"),
            Statement::Lie(i) => format!("('lying', {i})"),
            Statement::Not(s) => join("not", &[s]),
            Statement::And(v) => join("and", &v.iter().collect::<Vec<_>>()),
            Statement::Or(v) => join("or", &v.iter().collect::<Vec<_>>()),
            Statement::Implies(a, b) => join("->", &[a, b]),
            Statement::Iff(a, b) => join("<=>", &[a, b]),
        }
    }

    /// The people mentioned, in order and with repeats (`lib_kk._find_mentioned_people`).
    pub fn mentioned(&self) -> Vec<usize> {
        match self {
            Statement::Truth(i) | Statement::Lie(i) => vec![*i],
            Statement::Not(s) => s.mentioned(),
            Statement::And(v) | Statement::Or(v) => v.iter().flat_map(|s| s.mentioned()).collect(),
            Statement::Implies(a, b) | Statement::Iff(a, b) => {
                [a.mentioned(), b.mentioned()].concat()
            }
        }
    }

    /// Natural-language claim, as `lib_kk.format_statement` with the knight/knave wording:
    /// "Zoey is a knight or Ethan is a knave", "If A then B", "A if and only if B",
    /// "Ethan is not a knight". Operands deeper than the official depth 2 (never produced
    /// with the default options) are rendered recursively in parentheses, an extension.
    pub fn to_text(&self, names: &[String]) -> String {
        match self {
            Statement::Not(s) => match **s {
                Statement::Truth(i) => format!("{} is not a knight", names[i]),
                Statement::Lie(i) => format!("{} is not a knave", names[i]),
                _ => format!("it is not the case that {}", s.operand_text(names)),
            },
            Statement::And(v) | Statement::Or(v) => {
                let sep = if matches!(self, Statement::And(_)) {
                    " and "
                } else {
                    " or "
                };
                v.iter()
                    .map(|s| s.operand_text(names))
                    .collect::<Vec<_>>()
                    .join(sep)
            }
            Statement::Implies(a, b) => format!(
                "If {} then {}",
                a.operand_text(names),
                b.operand_text(names)
            ),
            Statement::Iff(a, b) => format!(
                "{} if and only if {}",
                a.operand_text(names),
                b.operand_text(names)
            ),
            Statement::Truth(i) => format!("{} is a knight", names[*i]),
            Statement::Lie(i) => format!("{} is a knave", names[*i]),
        }
    }

    fn operand_text(&self, names: &[String]) -> String {
        match self {
            Statement::Truth(_) | Statement::Lie(_) => self.to_text(names),
            _ => format!("({})", self.to_text(names)),
        }
    }
}

/// The `statements` field: a Python tuple of the claims (`(s0, s1, ...)`; `(s0,)` for one).
pub fn statements_to_python(statements: &[Statement]) -> String {
    let parts: Vec<String> = statements.iter().map(Statement::to_python).collect();
    if parts.len() == 1 {
        format!("({},)", parts[0])
    } else {
        format!("({})", parts.join(", "))
    }
}

/// Samples the claim of `person` among `n_people`, as `KKProblemSampler._sample_statement`:
/// a die with six faces picks assertion / `not` / `and` / `or` / `->` / `<=>`; at depth 1
/// only assertions; `and`/`or` take 2..=`width` distinct operands, `->`/`<=>` two distinct
/// ones, one level shallower; `('lying', person)` about oneself is never drawn.
pub fn sample_statement(
    rng: &mut ChaCha8Rng,
    n_people: usize,
    person: usize,
    depth: usize,
    width: usize,
) -> Statement {
    let dice = rng.random_range(0..6u32);
    if depth <= 1 || dice == 0 {
        loop {
            let lying = rng.random_bool(0.5);
            let who = rng.random_range(0..n_people);
            if !(lying && who == person) {
                return if lying {
                    Statement::Lie(who)
                } else {
                    Statement::Truth(who)
                };
            }
        }
    }
    let distinct = |rng: &mut ChaCha8Rng, count: usize| {
        let mut subs: Vec<Statement> = Vec::with_capacity(count);
        while subs.len() < count {
            let s = sample_statement(rng, n_people, person, depth - 1, width);
            if !subs.contains(&s) {
                subs.push(s);
            }
        }
        subs
    };
    match dice {
        1 => Statement::Not(Box::new(distinct(rng, 1).remove(0))),
        2 | 3 => {
            let count = rng.random_range(2..=width.max(2));
            let subs = distinct(rng, count);
            if dice == 2 {
                Statement::And(subs)
            } else {
                Statement::Or(subs)
            }
        }
        _ => {
            let mut subs = distinct(rng, 2).into_iter();
            let (a, b) = (
                Box::new(subs.next().unwrap()),
                Box::new(subs.next().unwrap()),
            );
            if dice == 4 {
                Statement::Implies(a, b)
            } else {
                Statement::Iff(a, b)
            }
        }
    }
}

/// Parses the official `statements` string (a Python tuple of tuples).
pub fn parse_statements(src: &str) -> Result<Vec<Statement>, String> {
    #[derive(Debug)]
    enum Item {
        Str(String),
        Int(usize),
        Tuple(Vec<Item>),
    }
    fn item(s: &[u8], pos: &mut usize) -> Result<Item, String> {
        while s.get(*pos) == Some(&b' ') {
            *pos += 1;
        }
        match s.get(*pos) {
            Some(b'(') => {
                *pos += 1;
                let mut items = Vec::new();
                loop {
                    while s.get(*pos) == Some(&b' ') {
                        *pos += 1;
                    }
                    if s.get(*pos) == Some(&b')') {
                        *pos += 1;
                        return Ok(Item::Tuple(items));
                    }
                    items.push(item(s, pos)?);
                    while s.get(*pos) == Some(&b' ') {
                        *pos += 1;
                    }
                    match s.get(*pos) {
                        Some(b',') => *pos += 1,
                        Some(b')') => {}
                        other => {
                            return Err(format!("expected ',' or ')' at {pos}, found {other:?}"));
                        }
                    }
                }
            }
            Some(b'\'') => {
                let end = s[*pos + 1..]
                    .iter()
                    .position(|&c| c == b'\'')
                    .ok_or("unterminated string")?;
                let text = String::from_utf8_lossy(&s[*pos + 1..*pos + 1 + end]).into_owned();
                *pos += end + 2;
                Ok(Item::Str(text))
            }
            Some(c) if c.is_ascii_digit() => {
                let start = *pos;
                while s.get(*pos).is_some_and(u8::is_ascii_digit) {
                    *pos += 1;
                }
                Ok(Item::Int(
                    std::str::from_utf8(&s[start..*pos])
                        .unwrap()
                        .parse()
                        .map_err(|e| format!("{e}"))?,
                ))
            }
            other => Err(format!("unexpected {other:?} at {pos}")),
        }
    }
    fn statement(it: &Item) -> Result<Statement, String> {
        let Item::Tuple(parts) = it else {
            return Err(format!("expected a tuple, got {it:?}"));
        };
        let Some(Item::Str(tag)) = parts.first() else {
            return Err("missing operator".into());
        };
        let subs = || {
            parts[1..]
                .iter()
                .map(statement)
                .collect::<Result<Vec<_>, _>>()
        };
        let two = || -> Result<(Box<Statement>, Box<Statement>), String> {
            let mut v = subs()?;
            if v.len() != 2 {
                return Err(format!("'{tag}' takes two operands"));
            }
            let b = v.pop().unwrap();
            Ok((Box::new(v.pop().unwrap()), Box::new(b)))
        };
        Ok(match (tag.as_str(), parts.get(1)) {
            ("telling-truth", Some(Item::Int(i))) if parts.len() == 2 => Statement::Truth(*i),
            ("lying", Some(Item::Int(i))) if parts.len() == 2 => Statement::Lie(*i),
            ("not", _) if parts.len() == 2 => Statement::Not(Box::new(statement(&parts[1])?)),
            ("and", _) if parts.len() >= 3 => Statement::And(subs()?),
            ("or", _) if parts.len() >= 3 => Statement::Or(subs()?),
            ("->", _) => two().map(|(a, b)| Statement::Implies(a, b))?,
            ("<=>", _) => two().map(|(a, b)| Statement::Iff(a, b))?,
            _ => return Err(format!("malformed statement with operator '{tag}'")),
        })
    }
    let bytes = src.trim().as_bytes();
    let mut pos = 0;
    let Item::Tuple(all) = item(bytes, &mut pos)? else {
        return Err("expected a tuple".into());
    };
    if pos != bytes.len() {
        return Err(format!("trailing text at {pos}"));
    }
    all.iter().map(statement).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    const OFFICIAL: &str = "(('not', ('telling-truth', 2)), ('or', ('telling-truth', 1), ('lying', 2)), ('<=>', ('telling-truth', 1), ('lying', 1)))";

    #[test]
    fn python_round_trip() {
        let parsed = parse_statements(OFFICIAL).unwrap();
        assert_eq!(parsed[0], Statement::Not(Box::new(Statement::Truth(2))));
        assert_eq!(statements_to_python(&parsed), OFFICIAL);
        assert_eq!(
            statements_to_python(&parsed[..1]),
            "(('not', ('telling-truth', 2)),)"
        );
        assert!(parse_statements("(('maybe', 1),)").is_err());
    }

    #[test]
    fn text_and_eval() {
        let names: Vec<String> = ["Michael", "Zoey", "Ethan"].map(String::from).to_vec();
        let s = parse_statements(OFFICIAL).unwrap();
        assert_eq!(s[0].to_text(&names), "Ethan is not a knight");
        assert_eq!(s[1].to_text(&names), "Zoey is a knight or Ethan is a knave");
        assert_eq!(
            s[2].to_text(&names),
            "Zoey is a knight if and only if Zoey is a knave"
        );
        let imp = Statement::Implies(Box::new(Statement::Lie(0)), Box::new(Statement::Truth(1)));
        assert_eq!(
            imp.to_text(&names),
            "If Michael is a knave then Zoey is a knight"
        );
        assert!(!s[2].eval(0b010) && !s[2].eval(0b000));
        assert!(imp.eval(0b011) && !imp.eval(0b000) && imp.eval(0b001));
        assert_eq!(s[1].mentioned(), vec![1, 2]);
    }

    #[test]
    fn sampler_respects_grammar() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for _ in 0..2000 {
            let s = sample_statement(&mut rng, 5, 3, 2, 2);
            match &s {
                Statement::Truth(_) => {}
                Statement::Lie(who) => assert_ne!(*who, 3),
                Statement::Not(x) => {
                    assert!(matches!(**x, Statement::Truth(_) | Statement::Lie(_)))
                }
                Statement::And(v) | Statement::Or(v) => assert!(v.len() == 2 && v[0] != v[1]),
                Statement::Implies(a, b) | Statement::Iff(a, b) => assert_ne!(a, b),
            }
            assert_eq!(
                parse_statements(&statements_to_python(std::slice::from_ref(&s))).unwrap(),
                vec![s]
            );
        }
    }
}
