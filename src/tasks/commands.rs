//! What `repro data ...` and `repro score` do, as library functions.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};

use super::data;
use super::example::Example;
use super::generate::{generate_countdown, generate_logic};
use super::reward::Verdict;

/// Generated task families.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GeneratedTask {
    Countdown,
    Logic,
}

/// `repro data generate`: `n` examples from `seed`, written in the official schema.
pub fn generate(task: GeneratedTask, n: usize, seed: u64, split: &str, out: &Path) -> Result<()> {
    let examples: Vec<Example> = match task {
        GeneratedTask::Countdown => generate_countdown(seed, n),
        GeneratedTask::Logic => generate_logic(seed, n),
    }
    .into_iter()
    .map(Example::from)
    .collect();
    data::write(out, &examples, split)
}

/// `repro data inspect`: row count, task mix, and the first example rendered.
pub fn inspect(path: &Path) -> Result<String> {
    let examples = data::load(path)?;
    let mut mix: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for e in &examples {
        *mix.entry((e.data_source.as_str(), e.ground_truth.task_name()))
            .or_default() += 1;
    }
    let mut out = format!("{}: {} rows\n", path.display(), examples.len());
    for ((source, task), count) in mix {
        out += &format!("  {count:>6}  {source} (scored as {task})\n");
    }
    if let Some(e) = examples.first() {
        let with_hints = examples.iter().filter(|e| !e.hint.is_empty()).count();
        out += &format!(
            "  {with_hints} rows have hints\n\nfirst row, prompt:\n{}\n",
            e.question
        );
        if let Some(answer) = &e.answer {
            out += &format!("\nfirst row, reference answer:\n{answer}\n");
        }
        out += &format!("\nfirst row, ground truth: {:?}\n", e.ground_truth);
    }
    Ok(out)
}

/// The outcome of `repro score`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreReport {
    pub scored: usize,
    /// Fraction with score 1.0 (the paper's reported accuracy).
    pub accuracy: f64,
    /// Fraction with score ≥ 0.1 (a parsable answer).
    pub format_accuracy: f64,
    pub mean_score: f64,
    /// How many completions each rule decided.
    pub rules: BTreeMap<&'static str, usize>,
    /// One record per completion, in the order scored.
    pub scores: Vec<CompletionScore>,
}

/// How one completion scored (the rows of `repro score --out`).
#[derive(Debug, Clone, PartialEq)]
pub struct CompletionScore {
    /// The row of the task file it answers.
    pub index: usize,
    pub data_source: String,
    pub score: f64,
    pub verdict: &'static str,
    /// The rule that decided the score.
    pub rule: &'static str,
    /// The answer the official rule extracted, if any.
    pub answer: Option<String>,
    pub completion: String,
}

impl ScoreReport {
    /// Writes the per-completion records: Parquet, or JSON lines when `path` ends in `.jsonl`.
    pub fn write(&self, path: &Path) -> Result<()> {
        if path.extension().is_some_and(|e| e == "jsonl") {
            let mut text = String::new();
            for s in &self.scores {
                let line = serde_json::json!({
                    "index": s.index,
                    "data_source": s.data_source,
                    "score": s.score,
                    "verdict": s.verdict,
                    "rule": s.rule,
                    "answer": s.answer,
                    "completion": s.completion,
                });
                text.push_str(&line.to_string());
                text.push('\n');
            }
            return crate::store::write_text(path, &text);
        }
        crate::metrics::write_scores(path, &self.scores)
    }
}

impl fmt::Display for ScoreReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "scored {} completions", self.scored)?;
        writeln!(f, "accuracy         {:.4}  (score = 1.0)", self.accuracy)?;
        writeln!(
            f,
            "format accuracy  {:.4}  (score ≥ 0.1)",
            self.format_accuracy
        )?;
        writeln!(f, "mean score       {:.4}", self.mean_score)?;
        writeln!(f, "decided by rule:")?;
        for (rule, count) in &self.rules {
            writeln!(f, "  {count:>7}  {rule}")?;
        }
        Ok(())
    }
}

/// `repro score`: scores a JSON-lines file of completions against a task file. Each line is
/// `{"completion": "..."}` (for row = line number) or `{"index": i, "completion": "..."}`; the
/// completion is the response to the row's prompt (the prompt is put in front, as the official
/// reward reads prompt + response). Without a completions file, the file's own `answer` column is
/// scored instead (a check of the data and the verifiers).
pub fn score(data_path: &Path, completions: Option<&Path>) -> Result<ScoreReport> {
    let examples = data::load(data_path)?;
    let mut pairs: Vec<(usize, String)> = Vec::new();
    match completions {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            for (line_no, line) in text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
            {
                let at = || format!("{}:{}", path.display(), line_no + 1);
                let value: serde_json::Value =
                    serde_json::from_str(line).map_err(|e| anyhow!("{}: not JSON: {e}", at()))?;
                let completion = value["completion"]
                    .as_str()
                    .ok_or_else(|| anyhow!("{}: needs a string field \"completion\"", at()))?;
                let index = match &value["index"] {
                    serde_json::Value::Null => line_no,
                    v => v.as_u64().ok_or_else(|| {
                        anyhow!("{}: \"index\" must be a non-negative integer", at())
                    })? as usize,
                };
                if index >= examples.len() {
                    bail!(
                        "{}: index {index} is past the {} rows of {}",
                        at(),
                        examples.len(),
                        data_path.display()
                    );
                }
                pairs.push((index, completion.to_string()));
            }
        }
        None => {
            for (i, e) in examples.iter().enumerate() {
                let answer = e.answer.clone().ok_or_else(|| {
                    anyhow!("{}: row {i} has no answer to score", data_path.display())
                })?;
                pairs.push((i, answer));
            }
        }
    }
    if pairs.is_empty() {
        bail!("nothing to score");
    }
    let mut rules = BTreeMap::new();
    let mut scores = Vec::with_capacity(pairs.len());
    let (mut correct, mut parsable, mut total) = (0usize, 0usize, 0.0);
    for (index, completion) in pairs {
        let example = &examples[index];
        let reward = example.score_response(&completion);
        correct += usize::from(reward.verdict == Verdict::Correct);
        parsable += usize::from(reward.verdict != Verdict::Unparsable);
        total += reward.total;
        *rules.entry(reward.rule.as_str()).or_default() += 1;
        scores.push(CompletionScore {
            index,
            data_source: example.data_source.clone(),
            score: reward.total,
            verdict: reward.verdict.as_str(),
            rule: reward.rule.as_str(),
            answer: example.parsed_answer(&completion),
            completion,
        });
    }
    let n = scores.len() as f64;
    Ok(ScoreReport {
        scored: scores.len(),
        accuracy: correct as f64 / n,
        format_accuracy: parsable as f64 / n,
        mean_score: total / n,
        rules,
        scores,
    })
}
