//! Tests of the Logic generator: determinism, uniqueness of every generated puzzle,
//! reproduction of the official rows, and the distribution report.

use super::*;
use crate::tasks::generate::logic_statements::parse_statements;
use std::collections::BTreeMap;

fn official_rows() -> Vec<(&'static str, Vec<serde_json::Value>)> {
    ["uft/kk_logic_test", "uft/kk_logic_train"]
        .into_iter()
        .filter_map(|file| crate::tasks::official_rows(file).map(|rows| (file, rows)))
        .collect()
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn deterministic_and_prefix_stable() {
    let a = generate_logic(11, 30);
    assert_eq!(a, generate_logic(11, 30));
    assert_eq!(&a[..7], &generate_logic(11, 7)[..]);
    assert_eq!(logic_example(11, 20, &LogicOptions::default()), a[20]);
    assert_ne!(a, generate_logic(12, 30));
}

#[test]
fn generated_puzzles_are_unique_and_well_formed() {
    for ex in generate_logic(2025, 300) {
        let GroundTruth::Logic {
            names,
            solution,
            solution_text_format,
            statements,
        } = &ex.ground_truth
        else {
            panic!("wrong ground truth")
        };
        assert_eq!(ex.data_source, "kk_logic");
        assert!((3..=7).contains(&names.len()));
        assert!(names.iter().all(|n| NAMES.contains(&n.as_str())));
        let mut distinct = names.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), names.len(), "names are distinct");
        // Exactly one satisfying assignment, by brute force, and it is `solution`.
        let parsed = parse_statements(statements).unwrap();
        assert_eq!(parsed.len(), names.len());
        assert_eq!(statements_to_python(&parsed), *statements);
        let sols: Vec<Vec<bool>> = (0..1u64 << names.len())
            .map(|m| {
                (0..names.len())
                    .map(|i| m >> i & 1 == 1)
                    .collect::<Vec<bool>>()
            })
            .filter(|a| {
                parsed.iter().zip(a).all(|(s, &k)| {
                    s.eval(a.iter().enumerate().map(|(i, &b)| u64::from(b) << i).sum()) == k
                })
            })
            .collect();
        assert_eq!(sols, vec![solution.clone()]);
        // Hints concatenate to the solution text; the answer wraps the solution lines.
        assert!(
            ex.hint[0].starts_with("Assume ")
                || ex.hint[0].contains(" cannot be a knight, because ")
        );
        let tail = ex.hint[ex.hint.len() - names.len()..].concat();
        assert_eq!(tail, format!("Therefore, {solution_text_format}"));
        assert_eq!(
            ex.answer,
            prompt::render_answer(&ex.hint, solution_text_format)
        );
        assert_eq!(ex.final_answer(), solution_text_format);
        assert!(
            ex.question
                .contains(&format!("You meet {} inhabitants: ", names.len()))
        );
        assert!(ex.question.ends_with("So who is a knight and who is a knave? Show your work in <think> </think> tags. And return the final answer in <answer> </answer> tags, for example <answer> (1) Zoey is a knight\n(2) Oliver is a knight\n(3)... </answer>.\nAssistant: Let me solve this step by step.\n<think> "));
    }
}

#[test]
fn people_range_option() {
    let opts = LogicOptions {
        min_people: 2,
        max_people: 2,
        ..Default::default()
    };
    for ex in generate_logic_with(1, 20, &opts) {
        let GroundTruth::Logic { names, .. } = &ex.ground_truth else {
            panic!()
        };
        assert_eq!(names.len(), 2);
    }
}

/// Official rows: the unique solution, the hints, the answer and (with the saying
/// template of each claim recovered from the text) the question are reproduced.
#[test]
fn official_rows_reproduced() {
    for (file, rows) in official_rows() {
        let (mut questions, mut hints) = (0usize, 0usize);
        for row in &rows {
            let gt = &row["ground_truth"];
            let names = strings(&gt["names"]);
            let statements = parse_statements(gt["statements"].as_str().unwrap()).unwrap();
            let solution: Vec<bool> = gt["solution"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b.as_bool().unwrap())
                .collect();
            assert_eq!(solve_all(&statements), vec![solution.clone()]);
            let question = row["question"].as_str().unwrap();
            // Recover each claim's template: the one whose sentence appears in the question.
            let templates: Vec<usize> = (0..names.len())
                .map(|i| {
                    let content = statements[i].to_text(&names);
                    (0..SAYING_TEMPLATES.len())
                        .find(|&t| {
                            question.contains(&format!(
                                " {}",
                                statement_sentence(t, &names[i], &content)
                            ))
                        })
                        .unwrap_or(0)
                })
                .collect();
            let ex = build_logic_example(names, &statements, &templates);
            let GroundTruth::Logic {
                solution_text_format,
                ..
            } = &ex.ground_truth
            else {
                panic!()
            };
            assert_eq!(
                Some(solution_text_format.as_str()),
                gt["solution_text_format"].as_str()
            );
            assert_eq!(Some(ex.answer.as_str()), row["answer"].as_str());
            hints += usize::from(ex.hint == strings(&row["hint"]));
            questions += usize::from(ex.question == question);
        }
        println!(
            "{file}: questions {questions}/{n}, hints {hints}/{n} reproduced exactly",
            n = rows.len()
        );
        assert_eq!((questions, hints), (rows.len(), rows.len()), "{file}");
    }
}

/// Names, solution, statements string and hint of one puzzle (for the distribution report).
type Row = (Vec<String>, Vec<bool>, String, Vec<String>);

/// Summary statistics of a set of puzzles: shares, per-size hint lengths, claim types.
fn stats(items: &[Row]) -> BTreeMap<String, f64> {
    let mut c = BTreeMap::<String, f64>::new();
    let (mut claims, mut people, mut sizes) = (0.0, 0.0, BTreeMap::<usize, f64>::new());
    let per_puzzle = 1.0 / items.len() as f64;
    for (names, solution, statements, hint) in items {
        let n = names.len();
        *sizes.entry(n).or_default() += 1.0;
        *c.entry(format!("people={n} share")).or_default() += per_puzzle;
        *c.entry(format!("people={n} mean hint segments"))
            .or_default() += hint.len() as f64;
        let max = c
            .entry(format!("people={n} max hint segments"))
            .or_default();
        *max = max.max(hint.len() as f64);
        people += n as f64;
        *c.entry("knight share".into()).or_default() +=
            solution.iter().filter(|&&k| k).count() as f64;
        for s in parse_statements(statements).unwrap() {
            claims += 1.0;
            let kind = match s {
                Statement::Truth(_) => "telling-truth",
                Statement::Lie(_) => "lying",
                Statement::Not(_) => "not",
                Statement::And(_) => "and",
                Statement::Or(_) => "or",
                Statement::Implies(..) => "->",
                Statement::Iff(..) => "<=>",
            };
            *c.entry(format!("claim type {kind}")).or_default() += 1.0;
        }
        for h in hint {
            let kind = if h.starts_with("Assume") {
                "Assume"
            } else if h.starts_with("No contradiction") {
                "No contradiction"
            } else if h.starts_with("We have") {
                "We have exhausted"
            } else if h.contains(" cannot be a ") {
                "cannot be"
            } else {
                "solution line"
            };
            *c.entry(format!("segment {kind} (per puzzle)")).or_default() += per_puzzle;
        }
    }
    for (n, count) in sizes {
        *c.get_mut(&format!("people={n} mean hint segments"))
            .unwrap() /= count;
    }
    c.iter_mut()
        .filter(|(k, _)| k.starts_with("claim type"))
        .for_each(|(_, v)| *v /= claims);
    *c.get_mut("knight share").unwrap() /= people;
    c
}

/// Distribution report (generated vs official):
/// `cargo test -- --ignored --nocapture logic_distribution`.
#[test]
#[ignore]
fn logic_distribution() {
    let row = |ex: &GeneratedExample| {
        let GroundTruth::Logic {
            names,
            solution,
            statements,
            ..
        } = &ex.ground_truth
        else {
            panic!()
        };
        (
            names.clone(),
            solution.clone(),
            statements.clone(),
            ex.hint.clone(),
        )
    };
    let generated: Vec<_> = generate_logic(1, 5000).iter().map(row).collect();
    let official: Vec<_> = official_rows()
        .into_iter()
        .flat_map(|(_, rows)| rows)
        .map(|r| {
            let gt = &r["ground_truth"];
            let solution = gt["solution"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b.as_bool().unwrap())
                .collect();
            (
                strings(&gt["names"]),
                solution,
                gt["statements"].as_str().unwrap().to_string(),
                strings(&r["hint"]),
            )
        })
        .collect();
    let (g, o) = (stats(&generated), stats(&official));
    println!("{:<44} {:>10} {:>10}", "statistic", "generated", "official");
    for key in g
        .keys()
        .chain(o.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        println!(
            "{key:<44} {:>10.3} {:>10.3}",
            g.get(key).copied().unwrap_or(0.0),
            o.get(key).copied().unwrap_or(0.0)
        );
    }
}
