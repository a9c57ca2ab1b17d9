//! The verifiers against every official row: the reference answer scores 1.0, a wrong final
//! answer 0.1, and no answer tags 0; LUFFY ground truths written as `\boxed{..}` score correct.
//! The rows come from `scripts/export_official_jsonl.py` via `REPRO_OFFICIAL_JSONL`; each test
//! is skipped (with a message) when that is not set.

use repro::tasks::reward::Reward;
use repro::tasks::verify::{Scorer, boxed, choice, countdown, hendrycks, logic};
use serde_json::Value;
use std::collections::BTreeMap;

fn load(name: &str) -> Option<Vec<Value>> {
    let Some(path) =
        std::env::var_os("REPRO_OFFICIAL_JSONL").map(|d| std::path::Path::new(&d).join(name))
    else {
        println!("skipping: {name} not available (set REPRO_OFFICIAL_JSONL)");
        return None;
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(
            text.lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect(),
        ),
        Err(_) => {
            println!("skipping: {} not found", path.display());
            None
        }
    }
}

fn numbers(gt: &Value) -> Vec<i64> {
    gt["numbers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_i64().unwrap())
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect()
}

fn bools(v: &Value) -> Vec<bool> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_bool().unwrap())
        .collect()
}

/// Replace the content of the last `<answer> … </answer>` of `answer`.
fn with_final(answer: &str, new_final: &str) -> String {
    let open = answer.rfind("<answer>").unwrap() + "<answer>".len();
    let close = answer.rfind("</answer>").unwrap();
    format!("{} {} {}", &answer[..open], new_final, &answer[close..])
}

fn final_of(answer: &str) -> &str {
    let open = answer.rfind("<answer>").unwrap() + "<answer>".len();
    answer[open..answer.rfind("</answer>").unwrap()].trim()
}

fn no_tags(answer: &str) -> String {
    answer.replace("<answer>", "").replace("</answer>", "")
}

#[derive(Default)]
struct Tally(BTreeMap<String, usize>);

impl Tally {
    fn add(&mut self, variant: &str, r: Reward) {
        *self
            .0
            .entry(format!("{variant:>8} {:.1} {}", r.total, r.rule.as_str()))
            .or_default() += 1;
    }
    fn print(&self, file: &str) {
        for (k, v) in &self.0 {
            println!("{file:32} {k:40} {v}");
        }
    }
}

fn score_row(row: &Value, text: &str) -> Reward {
    let gt = &row["ground_truth"];
    match Scorer::for_data_source(row["data_source"].as_str().unwrap()).unwrap() {
        Scorer::Countdown => countdown::score(text, &numbers(gt), target_int(&gt["target"])),
        Scorer::Logic => logic::score(text, &strings(&gt["names"]), &bools(&gt["solution"])),
        Scorer::Math => hendrycks::score_math(text, gt["target"].as_str().unwrap()),
        Scorer::Numeric => hendrycks::score_numeric(text, gt["target"].as_str().unwrap()),
    }
}

/// `int(ground_truth['target'])`: an int in the Countdown files, a string in the ood file.
fn target_int(v: &Value) -> i64 {
    v.as_i64()
        .unwrap_or_else(|| v.as_str().unwrap().trim().parse().unwrap())
}

/// A wrong final answer of the row's kind.
fn wrong_final(row: &Value) -> String {
    let fin = final_of(row["answer"].as_str().unwrap()).to_string();
    match row["data_source"].as_str().unwrap() {
        "countdown" => {
            // Same numbers, different value: all numbers added, or subtracted if that is right.
            let n = numbers(&row["ground_truth"]);
            let t = target_int(&row["ground_truth"]["target"]);
            let sep = if n.iter().sum::<i64>() == t {
                " - "
            } else {
                " + "
            };
            n.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(sep)
        }
        "kk_logic" => {
            // Flip the first role.
            let (k, v) = (fin.find("knight"), fin.find("knave"));
            match (k, v) {
                (Some(a), Some(b)) if a < b => fin.replacen("knight", "knave", 1),
                (Some(_), None) => fin.replacen("knight", "knave", 1),
                _ => fin.replacen("knave", "knight", 1),
            }
        }
        _ => "\\frac{1}{7919}".to_string(),
    }
}

#[test]
fn official_uft_files() {
    for file in [
        "uft_countdown_train.jsonl",
        "uft_countdown_test.jsonl",
        "uft_kk_logic_train.jsonl",
        "uft_kk_logic_test.jsonl",
        "uft_math_test.jsonl",
    ] {
        let Some(rows) = load(file) else { continue };
        let mut tally = Tally::default();
        let mut failures = Vec::new();
        let start = std::time::Instant::now();
        for row in &rows {
            let q = row["question"].as_str().unwrap();
            let a = row["answer"].as_str().unwrap();
            let right = score_row(row, &format!("{q}{a}"));
            let wrong = score_row(row, &format!("{q}{}", with_final(a, &wrong_final(row))));
            let bare = score_row(row, &format!("{q}{}", no_tags(a)));
            tally.add("right", right);
            tally.add("wrong", wrong);
            tally.add("no_tags", bare);
            // A final answer containing a newline is not on the last line: the official
            // extraction finds no tag, so every variant scores 0 (reproduced, not fixed).
            let multiline = final_of(a).contains('\n') && row["data_source"] != "kk_logic";
            let (want_right, want_wrong) = if multiline { (0.0, 0.1) } else { (1.0, 0.1) };
            if right.total != want_right || wrong.total != want_wrong || bare.total != 0.0 {
                failures.push(format!(
                    "{:?} {:?} {:?} :: {}",
                    right.rule,
                    wrong.rule,
                    bare.rule,
                    final_of(a)
                ));
            }
            if row["data_source"] == "kk_logic" {
                // The official reference is parsed from solution_text_format.
                let gt = &row["ground_truth"];
                let parsed =
                    logic::parse_solution_text(gt["solution_text_format"].as_str().unwrap());
                let columns: Vec<(String, bool)> = strings(&gt["names"])
                    .into_iter()
                    .zip(bools(&gt["solution"]))
                    .collect();
                assert_eq!(parsed, columns);
            }
        }
        println!(
            "{file}: {:?} per row (3 variants)",
            start.elapsed() / rows.len() as u32
        );
        tally.print(file);
        for f in failures.iter().take(10) {
            println!("  FAIL {f}");
        }
        assert!(
            failures.is_empty(),
            "{file}: {} rows off target",
            failures.len()
        );
    }
}

#[test]
fn official_ood_file() {
    let Some(rows) = load("uft_ood_test.jsonl") else {
        return;
    };
    let mut tally = Tally::default();
    for row in &rows {
        let q = row["question"].as_str().unwrap();
        let a = row["answer"].as_str().unwrap();
        let r = score_row(row, &format!("{q}{a}"));
        tally.add(row["data_source"].as_str().unwrap(), r);
        if !r.is_correct() {
            println!(
                "  not 1.0: {} {:?} answer={:?} target={:?}",
                row["data_source"],
                r.rule,
                final_of(a),
                row["ground_truth"]["target"]
            );
        }
    }
    tally.print("uft_ood_test.jsonl");
}

#[test]
fn luffy_boxed_ground_truth() {
    for file in [
        "luffy_valid.all.jsonl",
        "luffy_valid.arc_c.jsonl",
        "luffy_valid.gpqa.jsonl",
    ] {
        let Some(rows) = load(file) else { continue };
        let mut tally = Tally::default();
        for row in &rows {
            let gt = row["ground_truth"].as_str().unwrap();
            let response =
                format!("<think> reasoning </think> So the final answer is $\\boxed{{{gt}}}$.");
            let r = if file.contains("arc_c") || file.contains("gpqa") {
                let letter = gt.chars().next().unwrap();
                let r = choice::score(&response, letter);
                tally.add(
                    "answer:",
                    choice::score(&format!("Thinking...\nANSWER: {gt}"), letter),
                );
                let other = match letter {
                    'A' => 'B',
                    '1' => '2',
                    c if c.is_ascii_digit() => '1',
                    _ => 'A',
                };
                tally.add("wrong", choice::score(&format!("ANSWER: {other}"), letter));
                r
            } else {
                let wrong = boxed::score(&format!("\\boxed{{{gt} + 1}}"), gt);
                if wrong.is_correct() {
                    println!("  '{gt} + 1' equals {gt:?}");
                }
                tally.add("wrong", wrong);
                boxed::score(&response, gt)
            };
            tally.add(row["data_source"].as_str().unwrap(), r);
            if !r.is_correct() {
                println!("  not 1.0: {} {:?} gt={gt:?}", row["data_source"], r.rule);
            }
        }
        tally.print(file);
    }
}
