//! Tests of the Countdown generator: determinism, exact validity of every generated
//! problem, reproduction of the official rows, and the distribution report.

use super::*;
use std::collections::BTreeMap;

/// Independent exact checker: evaluates an infix equation over rationals (i128 num/den),
/// returning its value and the integers it mentions. `None` on a syntax error or ÷0.
fn eval_exact(src: &str) -> Option<((i128, i128), Vec<i64>)> {
    fn reduce((n, d): (i128, i128)) -> Option<(i128, i128)> {
        if d == 0 {
            return None;
        }
        let (mut a, mut b) = (n.abs(), d.abs());
        while b != 0 {
            (a, b) = (b, a % b);
        }
        let g = a.max(1) * d.signum();
        Some((n / g, d / g))
    }
    struct P<'a> {
        t: Vec<&'a str>,
        i: usize,
        nums: Vec<i64>,
    }
    impl P<'_> {
        fn expr(&mut self) -> Option<(i128, i128)> {
            let mut v = self.term()?;
            while let Some(&op @ ("+" | "-")) = self.t.get(self.i) {
                self.i += 1;
                let w = self.term()?;
                v = reduce(if op == "+" {
                    (v.0 * w.1 + w.0 * v.1, v.1 * w.1)
                } else {
                    (v.0 * w.1 - w.0 * v.1, v.1 * w.1)
                })?;
            }
            Some(v)
        }
        fn term(&mut self) -> Option<(i128, i128)> {
            let mut v = self.atom()?;
            while let Some(&op @ ("*" | "/")) = self.t.get(self.i) {
                self.i += 1;
                let w = self.atom()?;
                v = reduce(if op == "*" {
                    (v.0 * w.0, v.1 * w.1)
                } else {
                    (v.0 * w.1, v.1 * w.0)
                })?;
            }
            Some(v)
        }
        fn atom(&mut self) -> Option<(i128, i128)> {
            let tok = *self.t.get(self.i)?;
            self.i += 1;
            if tok == "(" {
                let v = self.expr()?;
                (self.t.get(self.i) == Some(&")")).then(|| self.i += 1)?;
                return Some(v);
            }
            let n: i64 = tok.parse().ok()?;
            self.nums.push(n);
            Some((n as i128, 1))
        }
    }
    let spaced = src.replace('(', " ( ").replace(')', " ) ");
    let mut p = P {
        t: spaced.split_whitespace().collect(),
        i: 0,
        nums: vec![],
    };
    let v = p.expr()?;
    (p.i == p.t.len()).then_some((v, p.nums))
}

/// Parses an official final equation into an [`Expr`], matching leaves to prompt positions.
fn parse_official(src: &str, numbers: &[i64]) -> Expr {
    fn go(s: &str, numbers: &[i64], used: &mut Vec<bool>) -> Expr {
        let s = s.trim();
        let mut depth = 0;
        for (k, c) in s.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                '+' | '-' | '*' | '/' if depth == 0 => {
                    let op = match c {
                        '+' => Op::Add,
                        '-' => Op::Sub,
                        '*' => Op::Mul,
                        _ => Op::Div,
                    };
                    let unwrap = |x: &str| {
                        let x = x.trim();
                        x.strip_prefix('(')
                            .and_then(|x| x.strip_suffix(')'))
                            .unwrap_or(x)
                            .to_string()
                    };
                    let l = go(&unwrap(&s[..k]), numbers, used);
                    let r = go(&unwrap(&s[k + 1..]), numbers, used);
                    return Expr::combine(op, l, r)
                        .expect("official intermediate results are valid");
                }
                _ => {}
            }
        }
        let value: i64 = s.parse().expect("number");
        let index = (0..numbers.len())
            .find(|&k| numbers[k] == value && !used[k])
            .expect("number in prompt");
        used[index] = true;
        Expr::Num { value, index }
    }
    go(src, numbers, &mut vec![false; numbers.len()])
}

fn official_rows(file: &str) -> Option<Vec<serde_json::Value>> {
    crate::tasks::official_rows(&format!(
        "uft/{}",
        file.trim_start_matches("uft_").trim_end_matches(".jsonl")
    ))
}

fn numbers_target(row: &serde_json::Value) -> (Vec<i64>, i64) {
    let gt = &row["ground_truth"];
    let numbers = gt["numbers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    (numbers, gt["target"].as_i64().unwrap())
}

#[test]
fn deterministic_and_prefix_stable() {
    let a = generate_countdown(7, 40);
    assert_eq!(a, generate_countdown(7, 40));
    assert_eq!(&a[..10], &generate_countdown(7, 10)[..]);
    assert_eq!(
        countdown_example(7, 25, &CountdownOptions::default()),
        a[25]
    );
    assert_ne!(a, generate_countdown(8, 40));
}

#[test]
fn every_generated_problem_is_solved_exactly() {
    for ex in generate_countdown(2025, 400) {
        let GroundTruth::Countdown { numbers, target } = &ex.ground_truth else {
            panic!("wrong ground truth")
        };
        assert!((3..=4).contains(&numbers.len()));
        assert!(numbers.iter().all(|n| (1..=99).contains(n)) && (10..=100).contains(target));
        assert_eq!(ex.data_source, "countdown");
        assert_eq!(ex.hint.len(), numbers.len(), "n - 1 steps + the conclusion");
        assert_eq!(
            ex.answer,
            prompt::render_answer(&ex.hint, ex.final_answer())
        );
        assert_eq!(
            ex.question,
            prompt::render_question(
                &prompt::countdown_task_text(numbers, *target),
                prompt::COUNTDOWN_EXAMPLE
            )
        );
        // The final equation evaluates exactly to the target and uses each number once.
        let equation = ex
            .hint
            .last()
            .unwrap()
            .strip_prefix("Therefore, the final equation is ")
            .unwrap();
        assert_eq!(equation, ex.final_answer());
        let (value, mut used) = eval_exact(equation).expect("parsable equation");
        assert_eq!(value, (*target as i128, 1), "{equation} != {target}");
        let mut given = numbers.clone();
        used.sort_unstable();
        given.sort_unstable();
        assert_eq!(used, given);
        // The steps replay exactly on the multiset of available numbers.
        let mut pool = numbers.clone();
        for step in &ex.hint[..ex.hint.len() - 1] {
            let t: Vec<&str> = step.strip_suffix('\n').unwrap().split(' ').collect();
            let (a, b, c): (i64, i64, i64) = (
                t[0].parse().unwrap(),
                t[2].parse().unwrap(),
                t[4].parse().unwrap(),
            );
            let op = match t[1] {
                "+" => Op::Add,
                "-" => Op::Sub,
                "*" => Op::Mul,
                _ => Op::Div,
            };
            assert_eq!(op.apply(a, b), Some(c), "{step}");
            for x in [a, b] {
                let k = pool
                    .iter()
                    .position(|&p| p == x)
                    .expect("operand available");
                pool.swap_remove(k);
            }
            pool.push(c);
        }
        assert_eq!(pool, vec![*target]);
    }
}

#[test]
fn options_control_size_and_ranges() {
    let opts = CountdownOptions {
        min_numbers: 4,
        max_numbers: 4,
        number_range: (1, 20),
        target_range: (20, 30),
        ..Default::default()
    };
    for ex in generate_countdown_with(3, 30, &opts) {
        let GroundTruth::Countdown { numbers, target } = &ex.ground_truth else {
            panic!()
        };
        assert_eq!(numbers.len(), 4);
        assert!(numbers.iter().all(|n| (1..=20).contains(n)) && (20..=30).contains(target));
    }
}

#[test]
fn solvability_check_accepts_the_official_ranges_and_refuses_unreachable_targets() {
    assert_eq!(CountdownOptions::default().check_solvable(), Ok(()));
    let easy = CountdownOptions {
        min_numbers: 3,
        max_numbers: 3,
        number_range: (1, 9),
        target_range: (10, 27),
        ..Default::default()
    };
    assert_eq!(easy.check_solvable(), Ok(()));
    // 28 = 4 · 7 · 1 is reachable, but not as a sum of three numbers ≤ 9: the check is
    // sufficient, not necessary, and refuses it.
    let too_far = CountdownOptions {
        target_range: (10, 28),
        ..easy.clone()
    };
    let why = too_far.check_solvable().unwrap_err();
    assert!(why.contains("at most 27"), "{why}");
    // Every target of the easy range is generated, with three single-digit numbers.
    let targets: std::collections::BTreeSet<i64> = generate_countdown_with(5, 400, &easy)
        .iter()
        .map(|ex| match &ex.ground_truth {
            GroundTruth::Countdown { numbers, target } => {
                assert!(numbers.len() == 3 && numbers.iter().all(|n| (1..=9).contains(n)));
                *target
            }
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(targets, (10..=27).collect());
}

/// The official hints are reproduced from the official final equation, and the solver
/// finds every official solution (up to swapping `+`/`*` operands).
#[test]
fn official_rows_reproduced_and_solved() {
    for file in ["uft_countdown_test.jsonl", "uft_countdown_train.jsonl"] {
        let Some(rows) = official_rows(file) else {
            continue;
        };
        for row in &rows {
            let (numbers, target) = numbers_target(row);
            let hint: Vec<String> = row["hint"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h.as_str().unwrap().to_string())
                .collect();
            let equation = hint
                .last()
                .unwrap()
                .strip_prefix("Therefore, the final equation is ")
                .unwrap();
            let official = parse_official(equation, &numbers);
            let rebuilt = build_example(
                numbers.clone(),
                target,
                &official,
                prompt::Template::Official,
            );
            assert_eq!(rebuilt.hint, hint);
            assert_eq!(Some(rebuilt.answer.as_str()), row["answer"].as_str());
            assert_eq!(Some(rebuilt.question.as_str()), row["question"].as_str());
            let keys: HashSet<String> = solutions(&numbers, target)
                .iter()
                .map(Expr::canonical_key)
                .collect();
            assert!(
                keys.contains(&official.canonical_key()),
                "solver misses {equation} for {numbers:?} -> {target}"
            );
        }
        println!("{file}: {} rows reproduced", rows.len());
    }
}

/// Shape of an equation: numbers become `N`, operators `o`.
fn shape(eq: &str) -> String {
    let mut out = String::new();
    let mut prev_digit = false;
    for ch in eq.chars() {
        match ch {
            '0'..='9' if prev_digit => {}
            '0'..='9' => out.push('N'),
            '+' | '-' | '*' | '/' => out.push('o'),
            c => out.push(c),
        }
        prev_digit = ch.is_ascii_digit();
    }
    out
}

/// Distribution report (generated vs official):
/// `cargo test -- --ignored --nocapture countdown_distribution`.
#[test]
#[ignore]
fn countdown_distribution() {
    fn stats(items: impl Iterator<Item = (Vec<i64>, i64, Vec<String>)>) -> BTreeMap<String, f64> {
        let (mut c, mut problems, mut steps) = (BTreeMap::<String, f64>::new(), 0.0, 0.0);
        for (numbers, target, hint) in items {
            problems += 1.0;
            *c.entry(format!("count={}", numbers.len())).or_default() += 1.0;
            *c.entry(format!(
                "target {:>3}-{:>3}",
                target / 10 * 10,
                target / 10 * 10 + 9
            ))
            .or_default() += 1.0;
            *c.entry(format!("hint segments={}", hint.len()))
                .or_default() += 1.0;
            for n in &numbers {
                *c.entry(format!("number {:>2}-{:>2}", n / 10 * 10, n / 10 * 10 + 9))
                    .or_default() += 1.0 / numbers.len() as f64;
            }
            for step in &hint[..hint.len() - 1] {
                steps += 1.0;
                *c.entry(format!("step op {}", step.split(' ').nth(1).unwrap()))
                    .or_default() += 1.0;
            }
            let eq = hint
                .last()
                .unwrap()
                .trim_start_matches("Therefore, the final equation is ");
            *c.entry(format!("shape {}", shape(eq))).or_default() += 1.0;
        }
        for (k, v) in c.iter_mut() {
            *v /= if k.starts_with("step op") {
                steps
            } else {
                problems
            };
        }
        c
    }
    let generated = generate_countdown(1, 5000);
    let gen_stats = stats(generated.iter().map(|ex| {
        let GroundTruth::Countdown { numbers, target } = &ex.ground_truth else {
            panic!()
        };
        (numbers.clone(), *target, ex.hint.clone())
    }));
    let mut rows = official_rows("uft_countdown_train.jsonl").unwrap_or_default();
    rows.extend(official_rows("uft_countdown_test.jsonl").unwrap_or_default());
    let off_stats = stats(rows.iter().map(|r| {
        let (n, t) = numbers_target(r);
        (
            n,
            t,
            r["hint"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h.as_str().unwrap().to_string())
                .collect(),
        )
    }));
    println!(
        "{:<40} {:>10} {:>10}",
        "statistic (fraction; ops: of steps)", "generated", "official"
    );
    for key in gen_stats
        .keys()
        .chain(off_stats.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        let g = gen_stats.get(key).copied().unwrap_or(0.0);
        let o = off_stats.get(key).copied().unwrap_or(0.0);
        if g.max(o) >= 0.01 {
            println!("{key:<40} {g:>10.3} {o:>10.3}");
        }
    }
}
