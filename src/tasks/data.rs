//! Task files in Parquet, read and written through polars.
//!
//! Two schemas are read:
//! - the paper's (liumy2010/UFT `data/*.parquet`): `data_source`, `prompt`, `question`, `hint`,
//!   `answer`, `reward_model.ground_truth` (a struct whose fields depend on the task),
//!   `extra_info`;
//! - the LUFFY suite's (§8): `data_source`, `prompt` (chat list; the last message is the
//!   problem), `reward_model.ground_truth` (a string: the answer or the option letter).
//!
//! The schema is recognised by the type of `reward_model.ground_truth`; the ground truth of each
//! row is chosen by its exact `data_source` name. Generated data is written in the paper's schema.

use std::fs::File;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use polars::prelude::*;

use super::example::{Example, GroundTruth};
use crate::store::write_atomic;

/// Reads a task file of either schema.
pub fn load(path: &Path) -> Result<Vec<Example>> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    crate::store::read_guarded(path, || {
        let df = ParquetReader::new(file)
            .finish()
            .map_err(|e| anyhow!("{} is not a readable Parquet file: {e}", path.display()))?;
        Reader { df: &df, path }.examples()
    })
}

struct Reader<'a> {
    df: &'a DataFrame,
    path: &'a Path,
}

impl Reader<'_> {
    fn column(&self, name: &str) -> Result<&Column> {
        self.df.column(name).map_err(|_| {
            let have: Vec<&str> = self
                .df
                .get_column_names()
                .into_iter()
                .map(|n| n.as_str())
                .collect();
            anyhow!(
                "{}: missing column `{name}` (columns: {})",
                self.path.display(),
                have.join(", ")
            )
        })
    }

    fn bad(&self, column: &str, what: impl std::fmt::Display) -> anyhow::Error {
        anyhow!("{}: column `{column}` {what}", self.path.display())
    }

    /// A struct column's field as a Series.
    fn field(&self, series: &Series, name: &str, path: &str) -> Result<Series> {
        let s = series
            .struct_()
            .map_err(|_| self.bad(path, format!("is {}, expected a struct", series.dtype())))?;
        s.field_by_name(name)
            .map_err(|_| self.bad(&format!("{path}.{name}"), "is missing"))
    }

    fn strings(&self, series: &Series, path: &str) -> Result<Vec<Option<String>>> {
        let s = series
            .str()
            .map_err(|_| self.bad(path, format!("is {}, expected strings", series.dtype())))?;
        Ok((0..s.len()).map(|i| s.get(i).map(str::to_string)).collect())
    }

    fn examples(&self) -> Result<Vec<Example>> {
        let n = self.df.height();
        let sources = self.strings(
            self.column("data_source")?.as_materialized_series(),
            "data_source",
        )?;
        let ground_truth = self.field(
            self.column("reward_model")?.as_materialized_series(),
            "ground_truth",
            "reward_model",
        )?;
        let luffy = ground_truth.dtype() == &DataType::String;
        let question: Vec<Option<String>> = if luffy {
            self.last_messages()?
        } else {
            self.strings(
                self.column("question")?.as_materialized_series(),
                "question",
            )?
        };
        let hints: Vec<Vec<String>> = match (luffy, self.df.column("hint")) {
            (false, _) => {
                self.string_lists(self.column("hint")?.as_materialized_series(), "hint")?
            }
            (true, Ok(c)) => self.string_lists(c.as_materialized_series(), "hint")?,
            (true, Err(_)) => vec![Vec::new(); n],
        };
        let answers: Vec<Option<String>> = match self.df.column("answer") {
            Ok(c) => self.strings(c.as_materialized_series(), "answer")?,
            Err(_) => vec![None; n],
        };
        let truths = if luffy {
            self.luffy_truths(&ground_truth, &sources)?
        } else {
            self.uft_truths(&ground_truth, &sources)?
        };
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let data_source = sources[i]
                .clone()
                .ok_or_else(|| self.bad("data_source", format!("is null in row {i}")))?;
            let question = question[i]
                .clone()
                .ok_or_else(|| self.bad("question", format!("is null in row {i}")))?;
            // Eval-only rows carry `['']` as their hint.
            let hint = if hints[i].iter().all(String::is_empty) {
                Vec::new()
            } else {
                hints[i].clone()
            };
            out.push(Example {
                data_source,
                question,
                hint,
                answer: answers[i].clone(),
                ground_truth: truths[i].clone(),
            });
        }
        Ok(out)
    }

    fn last_messages(&self) -> Result<Vec<Option<String>>> {
        let prompt = self.column("prompt")?.as_materialized_series();
        let lists = prompt
            .list()
            .map_err(|_| self.bad("prompt", "is not a list of messages"))?;
        let mut out = Vec::with_capacity(lists.len());
        for i in 0..lists.len() {
            let Some(messages) = lists.get_as_series(i) else {
                out.push(None);
                continue;
            };
            let contents = self.strings(
                &self.field(&messages, "content", "prompt")?,
                "prompt.content",
            )?;
            out.push(contents.last().cloned().flatten());
        }
        Ok(out)
    }

    fn string_lists(&self, series: &Series, path: &str) -> Result<Vec<Vec<String>>> {
        let lists = series.list().map_err(|_| {
            self.bad(
                path,
                format!("is {}, expected a list of strings", series.dtype()),
            )
        })?;
        (0..lists.len())
            .map(|i| match lists.get_as_series(i) {
                Some(s) => Ok(self.strings(&s, path)?.into_iter().flatten().collect()),
                None => Ok(Vec::new()),
            })
            .collect()
    }

    fn int_lists(&self, series: &Series, path: &str) -> Result<Vec<Option<Vec<i64>>>> {
        let lists = series.list().map_err(|_| {
            self.bad(
                path,
                format!("is {}, expected a list of integers", series.dtype()),
            )
        })?;
        (0..lists.len())
            .map(|i| {
                let Some(s) = lists.get_as_series(i) else {
                    return Ok(None);
                };
                let s = s.cast(&DataType::Int64).map_err(|e| self.bad(path, e))?;
                let ints = s.i64().map_err(|e| self.bad(path, e))?;
                Ok(Some((0..ints.len()).filter_map(|i| ints.get(i)).collect()))
            })
            .collect()
    }

    /// The ground truth of each row of the paper's schema, by `data_source`.
    fn uft_truths(&self, gt: &Series, sources: &[Option<String>]) -> Result<Vec<GroundTruth>> {
        const GT: &str = "reward_model.ground_truth";
        let fields: Vec<String> = gt
            .struct_()
            .map_err(|_| self.bad(GT, "is not a struct"))?
            .struct_fields()
            .iter()
            .map(|f| f.name().to_string())
            .collect();
        let get = |name: &str| -> Result<Option<Series>> {
            Ok(if fields.iter().any(|f| f == name) {
                Some(self.field(gt, name, GT)?)
            } else {
                None
            })
        };
        // `target` is an integer in the Countdown files and a string in the evaluation file.
        let target: Option<Vec<Option<String>>> = match get("target")? {
            Some(s) => Some(
                self.strings(
                    &s.cast(&DataType::String)
                        .map_err(|e| self.bad("target", e))?,
                    "target",
                )?,
            ),
            None => None,
        };
        let numbers = get("numbers")?
            .map(|s| self.int_lists(&s, &format!("{GT}.numbers")))
            .transpose()?;
        let names = get("names")?
            .map(|s| self.string_lists(&s, &format!("{GT}.names")))
            .transpose()?;
        let solution = match get("solution")? {
            Some(s) => {
                let lists = s
                    .list()
                    .map_err(|_| self.bad("solution", "is not a list"))?;
                let mut out = Vec::with_capacity(lists.len());
                for i in 0..lists.len() {
                    let row = lists.get_as_series(i).map(|s| {
                        s.bool()
                            .map(|b| (0..b.len()).filter_map(|j| b.get(j)).collect::<Vec<bool>>())
                    });
                    out.push(
                        row.transpose()
                            .map_err(|e| self.bad("solution", e))?
                            .unwrap_or_default(),
                    );
                }
                Some(out)
            }
            None => None,
        };
        let text_format = get("solution_text_format")?
            .map(|s| self.strings(&s, "solution_text_format"))
            .transpose()?;
        let statements = get("statements")?
            .map(|s| self.strings(&s, "statements"))
            .transpose()?;

        let need = |what: &Option<Vec<Option<String>>>, name: &str, i: usize| -> Result<String> {
            what.as_ref().and_then(|v| v[i].clone()).ok_or_else(|| {
                self.bad(
                    &format!("{GT}.{name}"),
                    format!("is missing for row {i} ({:?})", sources[i]),
                )
            })
        };
        let mut out = Vec::with_capacity(sources.len());
        for (i, source) in sources.iter().enumerate() {
            let source = source.as_deref().unwrap_or_default();
            let truth = match source {
                "countdown" => {
                    let target = need(&target, "target", i)?;
                    let target: i64 = target.trim().parse().map_err(|_| {
                        self.bad("target", format!("row {i}: `{target}` is not an integer"))
                    })?;
                    let numbers = numbers.as_ref().and_then(|v| v[i].clone()).ok_or_else(|| {
                        self.bad(&format!("{GT}.numbers"), format!("is missing for row {i}"))
                    })?;
                    GroundTruth::Countdown { numbers, target }
                }
                "kk_logic" => GroundTruth::Logic {
                    names: names
                        .as_ref()
                        .map(|v| v[i].clone())
                        .ok_or_else(|| self.bad(&format!("{GT}.names"), "is missing"))?,
                    solution: solution
                        .as_ref()
                        .map(|v| v[i].clone())
                        .ok_or_else(|| self.bad(&format!("{GT}.solution"), "is missing"))?,
                    solution_text_format: need(&text_format, "solution_text_format", i)?,
                    statements: need(&statements, "statements", i)?,
                },
                "openai/gsm8k" | "aime" | "amc" => GroundTruth::Numeric {
                    target: need(&target, "target", i)?,
                },
                "DigitalLearningGmbH/MATH-lighteval"
                | "math500"
                | "minerva"
                | "olympiad_bench"
                | "cais/hle" => GroundTruth::Math {
                    target: need(&target, "target", i)?,
                },
                other => bail!(
                    "{}: row {i}: unknown data_source `{other}` (known: countdown, kk_logic, openai/gsm8k, aime, amc, DigitalLearningGmbH/MATH-lighteval, math500, minerva, olympiad_bench)",
                    self.path.display()
                ),
            };
            out.push(truth);
        }
        Ok(out)
    }

    /// The ground truth of each LUFFY row: a letter for the multiple-choice sets, else a
    /// boxed-answer target.
    fn luffy_truths(&self, gt: &Series, sources: &[Option<String>]) -> Result<Vec<GroundTruth>> {
        let targets = self.strings(gt, "reward_model.ground_truth")?;
        targets
            .into_iter()
            .zip(sources)
            .enumerate()
            .map(|(i, (target, source))| {
                let target = target.ok_or_else(|| {
                    self.bad("reward_model.ground_truth", format!("is null in row {i}"))
                })?;
                Ok(match source.as_deref().unwrap_or_default() {
                    "arc_c" | "gpqa" | "mmlu_pro" => {
                        let label = target
                            .trim()
                            .chars()
                            .next()
                            .filter(|_| target.trim().chars().count() == 1);
                        let label = label.ok_or_else(|| {
                            self.bad(
                                "reward_model.ground_truth",
                                format!("row {i}: `{target}` is not one option label"),
                            )
                        })?;
                        GroundTruth::Choice { label }
                    }
                    _ => GroundTruth::Boxed { target },
                })
            })
            .collect()
    }
}

/// Writes examples in the paper's schema (as the official Countdown / K&K files), atomically.
pub fn write(path: &Path, examples: &[Example], split: &str) -> Result<()> {
    let n = examples.len();
    let strings = |name: &str, f: &dyn Fn(&Example) -> String| {
        Series::new(name.into(), examples.iter().map(f).collect::<Vec<_>>())
    };
    let string_list = |name: &str, f: &dyn Fn(&Example) -> Vec<String>| {
        let rows: Vec<Series> = examples
            .iter()
            .map(|e| Series::new("".into(), f(e)))
            .collect();
        Series::new(name.into(), rows)
    };
    let struct_of = |name: &str, fields: Vec<Series>| -> Result<Series> {
        Ok(StructChunked::from_series(name.into(), n, fields.iter())?.into_series())
    };

    let prompt: Vec<Series> = examples
        .iter()
        .map(|e| -> Result<Series> {
            let content = Series::new("content".into(), [e.question.as_str()]);
            let role = Series::new("role".into(), ["user"]);
            Ok(StructChunked::from_series("".into(), 1, [content, role].iter())?.into_series())
        })
        .collect::<Result<_>>()?;
    let ground_truth = ground_truth_struct(examples, &struct_of, &string_list)?;
    let columns: Vec<Series> = vec![
        strings("data_source", &|e| e.data_source.clone()),
        Series::new("prompt".into(), prompt),
        string_list("hint", &|e| e.hint.clone()),
        strings("question", &|e| e.question.clone()),
        strings("answer", &|e| e.answer.clone().unwrap_or_default()),
        strings("ability", &|_| "math".into()),
        struct_of(
            "reward_model",
            vec![
                ground_truth.with_name("ground_truth".into()),
                strings("style", &|_| "rule".into()),
            ],
        )?,
        struct_of(
            "extra_info",
            vec![
                Series::new("index".into(), (0..n as i64).collect::<Vec<_>>()),
                strings("split", &|_| split.to_string()),
            ],
        )?,
    ];
    let mut df = DataFrame::new(n, columns.into_iter().map(Column::from).collect())?;
    write_atomic(path, |file| {
        ParquetWriter::new(file)
            .with_compression(ParquetCompression::Zstd(None))
            .finish(&mut df)?;
        Ok(())
    })
}

type StructOf<'a> = dyn Fn(&str, Vec<Series>) -> Result<Series> + 'a;
type StringList<'a> = dyn Fn(&str, &dyn Fn(&Example) -> Vec<String>) -> Series + 'a;

fn ground_truth_struct(
    examples: &[Example],
    struct_of: &StructOf<'_>,
    string_list: &StringList<'_>,
) -> Result<Series> {
    let all = |pred: fn(&GroundTruth) -> bool| examples.iter().all(|e| pred(&e.ground_truth));
    if all(|g| matches!(g, GroundTruth::Countdown { .. })) {
        let numbers: Vec<Series> = examples
            .iter()
            .map(|e| match &e.ground_truth {
                GroundTruth::Countdown { numbers, .. } => Series::new("".into(), numbers.clone()),
                _ => unreachable!(),
            })
            .collect();
        let target: Vec<i64> = examples
            .iter()
            .map(|e| match &e.ground_truth {
                GroundTruth::Countdown { target, .. } => *target,
                _ => unreachable!(),
            })
            .collect();
        struct_of(
            "ground_truth",
            vec![
                Series::new("numbers".into(), numbers),
                Series::new("target".into(), target),
            ],
        )
    } else if all(|g| matches!(g, GroundTruth::Logic { .. })) {
        let logic = |e: &Example| match &e.ground_truth {
            GroundTruth::Logic {
                names,
                solution,
                solution_text_format,
                statements,
            } => (
                names.clone(),
                solution.clone(),
                solution_text_format.clone(),
                statements.clone(),
            ),
            _ => unreachable!(),
        };
        let solution: Vec<Series> = examples
            .iter()
            .map(|e| Series::new("".into(), logic(e).1))
            .collect();
        struct_of(
            "ground_truth",
            vec![
                string_list("names", &|e| logic(e).0),
                Series::new("solution".into(), solution),
                Series::new(
                    "solution_text_format".into(),
                    examples.iter().map(|e| logic(e).2).collect::<Vec<_>>(),
                ),
                Series::new(
                    "statements".into(),
                    examples.iter().map(|e| logic(e).3).collect::<Vec<_>>(),
                ),
            ],
        )
    } else {
        bail!("only files of one generated task (all Countdown or all Logic) can be written")
    }
}
