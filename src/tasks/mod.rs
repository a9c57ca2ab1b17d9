//! The paper's tasks: prompts, official reward functions and data generators.
//!
//! - `example`  — `Example` and `GroundTruth`: one row of a task file, prompted and scored
//! - `data`     — reading the official and LUFFY Parquet schemas, writing generated data
//! - `commands` — `repro data generate|inspect` and `repro score`
//! - `prompt`   — the TinyZero-style prompt template shared by every task (spec §5.2)
//! - `reward`   — `Reward`, `Verdict`, `Rule`: what a verifier returns
//! - `verify`   — reproductions of the official reward functions (spec §5.3, §8)
//! - `generate` — Countdown and Knights-and-Knaves generators in the official format

pub mod commands;
pub mod data;
pub mod example;
pub mod generate;
pub mod prompt;
pub mod reward;
pub mod verify;

/// The official rows of `../shared/datasets/<name>.parquet` (e.g. `uft/countdown_test`), read
/// through `data::load`, as JSON objects with the keys `data_source`, `question`, `prompt`,
/// `hint`, `answer` and `ground_truth` — or `None` (the caller skips) when the file is absent.
#[cfg(test)]
pub(crate) fn official_rows(name: &str) -> Option<Vec<serde_json::Value>> {
    use example::GroundTruth;
    use serde_json::json;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/datasets")
        .join(format!("{name}.parquet"));
    if !path.is_file() {
        println!("skipping: {} not present", path.display());
        return None;
    }
    let rows = data::load(&path)
        .expect("official files load")
        .into_iter()
        .map(|e| {
            let ground_truth = match &e.ground_truth {
                GroundTruth::Countdown { numbers, target } => {
                    json!({ "numbers": numbers, "target": target })
                }
                GroundTruth::Logic {
                    names,
                    solution,
                    solution_text_format,
                    statements,
                } => json!({
                    "names": names, "solution": solution,
                    "solution_text_format": solution_text_format, "statements": statements,
                }),
                GroundTruth::Math { target }
                | GroundTruth::Numeric { target }
                | GroundTruth::Boxed { target } => json!({ "target": target }),
                GroundTruth::Choice { label } => json!({ "target": label.to_string() }),
            };
            json!({
                "data_source": e.data_source, "question": e.question, "prompt": e.question,
                "hint": e.hint, "answer": e.answer, "ground_truth": ground_truth,
            })
        });
    Some(rows.collect())
}
