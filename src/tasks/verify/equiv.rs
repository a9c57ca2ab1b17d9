//! Mathematical equivalence of a boxed answer and a reference answer, for the §8 benchmark
//! suite (LUFFY protocol: AIME, AMC, MATH-500, Minerva, OlympiadBench).
//!
//! LUFFY grades with a Python math-equivalence checker; this is our own, deterministic
//! and dependency-free approximation of it. [`math_equal`] decides, in order:
//!
//! 1. **Cleaning** of both strings: whitespace trimmed; `$` and `\$` removed; spacing
//!    commands (`\, \; \: \! \ ~`, `\displaystyle`) removed; `\left` / `\right` removed;
//!    degrees (`^{\circ}`, `^\circ`, `\circ`, `°`) removed; percent (`\%`, `%`) removed (so
//!    `50\%` equals `50`, as in the Hendrycks normalisation); `\dfrac`/`\tfrac` → `\frac`;
//!    a wrapper `\text{…}`, `\textbf{…}`, `\mathrm{…}`, `\mbox{…}` or `\boxed{…}` around the
//!    whole answer unwrapped (up to four nested); one trailing `.` dropped.
//! 2. **Strings**: equal cleaned strings, or equal after the Hendrycks `strip_string`
//!    ([`super::hendrycks`]) → equivalent.
//! 3. **Structure**: LaTeX thousands separators `{,}` and well-formed `1,234,567` are
//!    removed. An answer wrapped in `( )` / `[ ]` (in any combination, i.e. intervals) with
//!    top-level commas is a tuple: brackets must be the same and the elements equal in
//!    order. `\{ … \}` with commas is a set: same elements in any order. Other top-level
//!    commas make a list, compared as a multiset (`1, 2` equals `2,1`; lists of more than
//!    64 elements in order). Everything else is one element.
//! 4. **Elements**: a leading `x =` / `\theta =` / `x_1 =` is dropped; a trailing unit
//!    (`\text{…}`, `\mbox{…}`, `\mathrm{…}`) after a number is dropped; then both sides are
//!    parsed as exact values ([`latex_value`]: integers, decimals, scientific notation,
//!    fractions, square roots, `\pi`, integer powers) and compared exactly. If either side
//!    does not parse, the elements must be equal strings after `strip_string`.
//!
//! Not done: numeric tolerance (`0.333` ≠ `\frac13`), symbolic algebra (`2x+1` vs `1+2x`,
//! `e`, trigonometric values), case-insensitive text (`\text{Evelyn}` ≠ `evelyn`), mixed
//! numbers (`2\frac12` is read as 2·½), equations beyond one short left-hand side.

use super::hendrycks::strip_string;
use super::latex_value;
use super::py;

/// Whether `given` is mathematically equivalent to `truth` (rules in the module docs).
pub fn math_equal(given: &str, truth: &str) -> bool {
    let (a, b) = (clean(given), clean(truth));
    if a == b {
        return true;
    }
    if a.is_empty() || b.is_empty() {
        return false;
    }
    if matches!((strip_string(&a), strip_string(&b)), (Ok(x), Ok(y)) if x == y) {
        return true;
    }
    match (structure(&a), structure(&b)) {
        (Shape::Tuple(o1, c1, x), Shape::Tuple(o2, c2, y)) => {
            o1 == o2
                && c1 == c2
                && x.len() == y.len()
                && x.iter().zip(&y).all(|(p, q)| element_equal(p, q))
        }
        (Shape::Set(x), Shape::Set(y)) | (Shape::List(x), Shape::List(y)) => same_multiset(&x, &y),
        (Shape::Single(x), Shape::Single(y)) => element_equal(&x, &y),
        _ => false,
    }
}

/// Step 1 of the module docs.
pub fn clean(s: &str) -> String {
    let mut s = py::strip(s).to_string();
    for (from, to) in [
        ("\\$", ""),
        ("$", ""),
        ("\\displaystyle", ""),
        ("\\left", ""),
        ("\\right", ""),
        ("\\,", ""),
        ("\\;", ""),
        ("\\:", ""),
        ("\\!", ""),
        ("\\ ", ""),
        ("~", ""),
        ("^{\\circ}", ""),
        ("^\\circ", ""),
        ("\\circ", ""),
        ("°", ""),
        ("\\%", ""),
        ("%", ""),
        ("\\dfrac", "\\frac"),
        ("\\tfrac", "\\frac"),
    ] {
        s = s.replace(from, to);
    }
    let mut s = py::strip(&s).to_string();
    // At most a few nested wrappers (each unwrap scans the string).
    for _ in 0..4 {
        let wrappers = ["\\text", "\\textbf", "\\mathrm", "\\mbox", "\\boxed"];
        match wrappers.iter().find_map(|cmd| unwrap_command(&s, cmd)) {
            Some(inner) => s = py::strip(inner).to_string(),
            None => break,
        }
    }
    if let Some(stripped) = s.strip_suffix('.') {
        s = stripped.to_string();
    }
    s
}

/// The argument of `s` when `s` is exactly `\cmd{…}` (one balanced group).
fn unwrap_command<'a>(s: &'a str, cmd: &str) -> Option<&'a str> {
    let body = s
        .strip_prefix(cmd)?
        .trim_start()
        .strip_prefix('{')?
        .strip_suffix('}')?;
    balanced(body).then_some(body)
}

/// Braces balance and never close more than they opened.
fn balanced(s: &str) -> bool {
    let mut depth = 0i64;
    for c in s.chars() {
        depth += match c {
            '{' => 1,
            '}' => -1,
            _ => 0,
        };
        if depth < 0 {
            return false;
        }
    }
    depth == 0
}

/// Longest list compared as a multiset.
const MAX_UNORDERED: usize = 64;

enum Shape {
    /// Opening bracket, closing bracket, elements.
    Tuple(char, char, Vec<String>),
    Set(Vec<String>),
    List(Vec<String>),
    Single(String),
}

/// Step 3 of the module docs.
fn structure(s: &str) -> Shape {
    let s = drop_thousands_separators(&s.replace("{,}", ""));
    if let Some(inner) = s.strip_prefix("\\{").and_then(|t| t.strip_suffix("\\}")) {
        let items = split_top_level(inner);
        if items.len() > 1 {
            return Shape::Set(items);
        }
    }
    let (first, last) = (s.chars().next(), s.chars().last());
    if let (Some(open @ ('(' | '[')), Some(close @ (')' | ']'))) = (first, last) {
        let inner = &s[1..s.len() - 1];
        let items = split_top_level(inner);
        if items.len() > 1 && items.iter().all(|i| nesting_ok(i)) {
            return Shape::Tuple(open, close, items);
        }
    }
    let items = split_top_level(&s);
    if items.len() > 1 {
        Shape::List(items)
    } else {
        Shape::Single(s)
    }
}

/// `1,234,567.5` → `1234567.5`, only when the whole string is such a number.
fn drop_thousands_separators(s: &str) -> String {
    let body = s.strip_prefix('-').unwrap_or(s);
    let int_part = body.split('.').next().unwrap_or("");
    let groups: Vec<&str> = int_part.split(',').collect();
    let well_formed = groups.len() > 1
        && (1..=3).contains(&groups[0].len())
        && groups[1..].iter().all(|g| g.len() == 3)
        && groups.iter().all(|g| g.chars().all(|c| c.is_ascii_digit()))
        && body
            .split('.')
            .nth(1)
            .is_none_or(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_digit()))
        && body.matches('.').count() <= 1;
    if well_formed {
        s.replace(',', "")
    } else {
        s.to_string()
    }
}

/// Splits on commas outside any `()`, `[]`, `{}` nesting; elements trimmed.
fn split_top_level(s: &str) -> Vec<String> {
    let (mut out, mut depth, mut current) = (Vec::new(), 0i64, String::new());
    for c in s.chars() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(current.trim().to_string());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    out.push(current.trim().to_string());
    out
}

/// Brackets inside an element never close below zero (so `(1),(2)` is not a tuple).
fn nesting_ok(s: &str) -> bool {
    let mut depth = 0i64;
    s.chars().all(|c| {
        depth += match c {
            '(' | '[' | '{' => 1,
            ')' | ']' | '}' => -1,
            _ => 0,
        };
        depth >= 0
    })
}

/// Equal lists in any order; lists longer than [`MAX_UNORDERED`] must match in order
/// (the search is quadratic).
fn same_multiset(x: &[String], y: &[String]) -> bool {
    if x.len() != y.len() {
        return false;
    }
    if x.len() > MAX_UNORDERED {
        return x.iter().zip(y).all(|(a, b)| element_equal(a, b));
    }
    let mut used = vec![false; y.len()];
    x.iter().all(|a| {
        let hit = (0..y.len()).find(|&j| !used[j] && element_equal(a, &y[j]));
        hit.map(|j| used[j] = true).is_some()
    })
}

/// Step 4 of the module docs.
fn element_equal(x: &str, y: &str) -> bool {
    let (x, y) = (drop_unit(drop_variable(x)), drop_unit(drop_variable(y)));
    if let (Some(a), Some(b)) = (latex_value::parse(x), latex_value::parse(y)) {
        return a == b;
    }
    let squash = |s: &str| s.split_whitespace().collect::<String>();
    match (strip_string(x), strip_string(y)) {
        (Ok(a), Ok(b)) => a == b,
        _ => squash(x) == squash(y),
    }
}

/// `x = 5` → `5` when the left side is one variable (`x`, `\theta`, `x_1`, `a_{n}`).
fn drop_variable(s: &str) -> &str {
    let Some((lhs, rhs)) = s.split_once('=') else {
        return s;
    };
    if rhs.contains('=') {
        return s;
    }
    let lhs = lhs.trim();
    let (name, subscript) = lhs.split_once('_').unwrap_or((lhs, ""));
    let name = name.strip_prefix('\\').unwrap_or(name);
    let subscript = subscript.trim_start_matches('{').trim_end_matches('}');
    let is_variable = !name.is_empty()
        && name.len() <= 8
        && name.chars().all(|c| c.is_ascii_alphabetic())
        && subscript.chars().all(|c| c.is_ascii_alphanumeric());
    if is_variable { rhs.trim() } else { s }
}

/// `10 \text{cm}` → `10` (a trailing unit group after something else).
fn drop_unit(s: &str) -> &str {
    for cmd in ["\\text", "\\mbox", "\\mathrm"] {
        if let Some(i) = s.rfind(cmd) {
            let (head, tail) = (&s[..i], &s[i..]);
            if !head.trim().is_empty() && unwrap_command(tail, cmd).is_some() {
                return head.trim();
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equivalent_pairs() {
        let pairs = [
            ("3", "3"),
            ("36", "36.0"),
            (r"\dfrac{14}{3}", r"\frac{14}{3}"),
            ("14/3", r"\frac{14}{3}"),
            (r"$\frac{7}{5}$", "1.4"),
            (r"\left( 3, \frac{\pi}{2} \right)", r"(3,\frac{\pi}{2})"),
            (r"(3, \pi/2)", r"\left( 3, \frac{\pi}{2} \right)"),
            (r"[\frac{1}{2}, 8]", "[0.5, 8]"),
            (r"90^\circ, 60^{\circ}", r"$90^{\circ}$,$60^{\circ}$"),
            ("60, 90", "90, 60"),
            (r"\{1, 2\}", r"\{2, 1\}"),
            (r"\text{Evelyn}", "Evelyn"),
            (r"\textbf{(C)}", "(C)"),
            ("x = 5", "5"),
            (r"M=\frac{9}{32} \sqrt{2}", r"\frac{9\sqrt{2}}{32}"),
            (r"10\text{ cm}", "10"),
            (r"10 \mbox{cm}", "10"),
            ("50\\%", "50"),
            ("1,000,000", "1000000"),
            ("1{,}000", "1000"),
            (r"8.7 \times 10^{8}", "8.7e8"),
            (r"336^\circ", "336"),
            ("045", "45"),
            (r"2-\sqrt{3}", r"2 - \sqrt3"),
            ("p - q", "p-q"),
            (r"\$18.90", "18.9"),
            ("5.", "5"),
        ];
        for (a, b) in pairs {
            assert!(math_equal(a, b), "{a} vs {b}");
            assert!(math_equal(b, a), "{b} vs {a}");
        }
    }

    #[test]
    fn different_pairs() {
        let pairs = [
            ("3", "4"),
            ("(1, 2)", "[1, 2]"),
            ("(1, 2)", "(2, 1)"),
            ("1, 2", "1, 2, 3"),
            ("1,000", "1"),
            ("0.333", r"\frac{1}{3}"),
            ("p + q", "p - q"),
            (r"\text{Evelyn}", "evelyn"),
            ("", "0"),
            ("x = 5", "y = 6"),
            (r"2\frac{1}{2}", r"\frac{5}{2}"),
        ];
        for (a, b) in pairs {
            assert!(!math_equal(a, b), "{a} vs {b}");
        }
    }

    #[test]
    fn hostile_inputs_are_cheap() {
        let start = std::time::Instant::now();
        let list = vec!["1"; 300_000].join(",");
        assert!(math_equal(&list, &list));
        assert!(!math_equal(&list, &format!("{list},1")));
        let nested = format!("{}1{}", r"\text{".repeat(100_000), "}".repeat(100_000));
        assert!(!math_equal(&nested, "1"));
        let long = r"\frac{1}{2}\sqrt{3}".repeat(50_000);
        assert!(math_equal(&long, &long));
        assert!(!math_equal(&long, "1"));
        println!("hostile equivalence inputs in {:?}", start.elapsed());
    }

    #[test]
    fn cleaning_steps() {
        assert_eq!(clean(r" $\displaystyle \frac{1}{2}$. "), r"\frac{1}{2}");
        assert_eq!(clean(r"\text{\textbf{yes}}"), "yes");
        assert_eq!(clean(r"\text{a} and \text{b}"), r"\text{a} and \text{b}");
        assert_eq!(drop_variable(r"\theta = 30"), "30");
        assert_eq!(drop_variable("a_{n} = 2"), "2");
        assert_eq!(drop_variable("2x = 4"), "2x = 4");
        assert_eq!(drop_unit(r"5 \text{ meters}"), "5");
        assert_eq!(drop_unit(r"\text{meters}"), r"\text{meters}");
        assert_eq!(drop_thousands_separators("12,345.5"), "12345.5");
        assert_eq!(drop_thousands_separators("12,34"), "12,34");
    }
}
