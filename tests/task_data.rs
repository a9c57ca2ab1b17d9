//! Task files: generated data in the official schema, the official files read through polars,
//! and `repro data` / `repro score` as a reviewer uses them.

use polars::prelude::*;
use repro::tasks::commands::{GeneratedTask, generate, score};
use repro::tasks::data;
use repro::tasks::example::GroundTruth;

use crate::{official, repro, scratch};

#[test]
fn generated_files_round_trip_and_are_byte_identical_for_a_seed() {
    let dir = scratch("data-generate");
    for task in [GeneratedTask::Countdown, GeneratedTask::Logic] {
        let (a, b) = (dir.join("a.parquet"), dir.join("b.parquet"));
        generate(task, 40, 9, "train", &a).unwrap();
        generate(task, 40, 9, "train", &b).unwrap();
        assert_eq!(
            std::fs::read(&a).unwrap(),
            std::fs::read(&b).unwrap(),
            "{task:?}"
        );
        let examples = data::load(&a).unwrap();
        assert_eq!(examples.len(), 40);
        let report = score(&a, None).unwrap();
        assert_eq!(report.accuracy, 1.0, "{task:?}: {report}");
        let expected: Vec<_> = match task {
            GeneratedTask::Countdown => repro::tasks::generate::generate_countdown(9, 40),
            GeneratedTask::Logic => repro::tasks::generate::generate_logic(9, 40),
        }
        .into_iter()
        .map(repro::tasks::example::Example::from)
        .collect();
        assert_eq!(examples, expected, "what is written is what is read back");
    }
}

#[test]
fn cli_generates_inspects_and_scores_completions() {
    let dir = scratch("data-cli");
    let file = dir.join("cd.parquet");
    let (f, c) = (file.to_str().unwrap(), dir.join("c.jsonl"));
    let out = repro([
        "data",
        "generate",
        "countdown",
        "-n",
        "3",
        "--seed",
        "1",
        "-o",
        f,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let inspect = repro(["data", "inspect", f]);
    let text = String::from_utf8_lossy(&inspect.stdout);
    assert!(
        text.contains("3 rows")
            && text.contains("countdown (scored as countdown)")
            && text.contains("<think> "),
        "{text}"
    );

    let examples = data::load(&file).unwrap();
    let right = examples[0].answer.clone().unwrap();
    let lines = [
        serde_json::json!({ "completion": right }),
        serde_json::json!({ "completion": "nothing here" }),
        serde_json::json!({ "index": 2, "completion": " </think>\n<answer> 1 + 1 </answer>" }),
    ];
    std::fs::write(
        &c,
        lines
            .iter()
            .map(|l| l.to_string() + "\n")
            .collect::<String>(),
    )
    .unwrap();
    let out = repro(["score", "--data", f, "--completions", c.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("scored 3 completions")
            && text.contains("accuracy         0.3333")
            && text.contains("format accuracy  0.6667"),
        "{text}"
    );

    std::fs::write(&c, "{\"completion\": \"x\"}\nnot json\n").unwrap();
    let out = repro(["score", "--data", f, "--completions", c.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("c.jsonl:2: not JSON"));
}

#[test]
fn a_missing_column_is_named_with_the_file() {
    let dir = scratch("data-missing");
    let path = dir.join("bad.parquet");
    let mut df =
        DataFrame::new_infer_height(vec![Column::new("data_source".into(), ["countdown"])])
            .unwrap();
    ParquetWriter::new(std::fs::File::create(&path).unwrap())
        .finish(&mut df)
        .unwrap();
    let err = data::load(&path).unwrap_err().to_string();
    assert!(
        err.contains("bad.parquet") && err.contains("missing column `reward_model`"),
        "{err}"
    );
    std::fs::write(&path, b"garbage").unwrap();
    let err = data::load(&path).unwrap_err().to_string();
    assert!(err.contains("not a readable Parquet file"), "{err}");
}

/// `repro score`'s report on the official test splits' own reference answers (every row of
/// every official file is checked one by one in `official_data`).
#[test]
fn score_reports_the_official_reference_answers() {
    for (file, rows, correct) in [
        ("uft/countdown_test.parquet", 1024, 1024),
        ("uft/kk_logic_test.parquet", 500, 500),
        // One MATH answer spans two lines; the official rule reads only the last line → 0.
        ("uft/math_test.parquet", 1024, 1023),
    ] {
        let Some(path) = official(file) else { continue };
        let report = score(&path, None).unwrap();
        assert_eq!(report.scored, rows, "{file}");
        assert_eq!(
            (report.accuracy * rows as f64).round() as usize,
            correct,
            "{file}: {report}"
        );
    }
    if let Some(path) = official("uft/ood_test.parquet") {
        let examples = data::load(&path).unwrap();
        assert_eq!(examples.len(), 4927);
        assert!(
            examples
                .iter()
                .any(|e| matches!(e.ground_truth, GroundTruth::Numeric { .. }))
        );
    }
}

/// The default generated files are listed with their SHA-256 in `datasets/README.md`; the same
/// command must keep producing the same bytes.
#[test]
fn default_generated_test_files_match_their_published_checksums() {
    use sha2::{Digest, Sha256};
    let dir = scratch("data-checksums");
    for (task, expected) in [
        (
            GeneratedTask::Countdown,
            "0a543ac4e8f15ad90fa39a6c446ecb6192917c033f1d5210865fc9f97029110d",
        ),
        (
            GeneratedTask::Logic,
            "422f53131539e80442de8b5c69d3595f5a92bfb34f2c98d373150c323c1cc5c8",
        ),
    ] {
        let path = dir.join("test.parquet");
        generate(task, 500, 1, "test", &path).unwrap();
        let digest: String = Sha256::digest(std::fs::read(&path).unwrap())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(digest, expected, "{task:?}");
    }
}

/// `repro score --out` writes one row per completion, and its scores are `repro eval`'s own for
/// the same completions (eval's samples file, fed back as JSON lines).
#[test]
fn score_out_round_trips_eval_samples() {
    use polars::prelude::{ParquetReader, SerReader};
    let dir = crate::scratch("score-out");
    let data = dir.join("countdown.parquet");
    let generated = crate::repro([
        "data",
        "generate",
        "countdown",
        "-n",
        "4",
        "--seed",
        "1",
        "-o",
        data.to_str().unwrap(),
    ]);
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    let samples = dir.join("samples.parquet");
    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/parity/llama");
    let eval = crate::repro([
        "eval",
        "--model",
        model,
        "--data",
        data.to_str().unwrap(),
        "--max-new-tokens",
        "6",
        "--out",
        samples.to_str().unwrap(),
    ]);
    assert!(
        eval.status.success(),
        "{}",
        String::from_utf8_lossy(&eval.stderr)
    );
    let read = |path: &std::path::Path| {
        ParquetReader::new(std::fs::File::open(path).unwrap())
            .finish()
            .unwrap()
    };
    let frame = read(&samples);
    let problems: Vec<u64> = frame
        .column("problem")
        .unwrap()
        .u64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    let completions: Vec<String> = frame
        .column("completion")
        .unwrap()
        .str()
        .map(|c| {
            (0..c.len())
                .map(|i| c.get(i).unwrap_or_default().to_string())
                .collect()
        })
        .unwrap();
    let rewards: Vec<f64> = frame
        .column("reward")
        .unwrap()
        .f64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    // The eval's completions, then the data's own reference answer for row 0 (a correct score).
    let reference = repro::tasks::data::load(&data).unwrap()[0]
        .answer
        .clone()
        .unwrap();
    let mut lines: Vec<String> = problems
        .iter()
        .zip(&completions)
        .map(|(i, c)| serde_json::json!({"index": i, "completion": c}).to_string())
        .collect();
    lines.push(serde_json::json!({"index": 0, "completion": reference}).to_string());
    let jsonl = dir.join("completions.jsonl");
    std::fs::write(&jsonl, lines.join("\n")).unwrap();

    for out in ["scores.parquet", "scores.jsonl"] {
        let out = dir.join(out);
        let scored = crate::repro([
            "score",
            "--data",
            data.to_str().unwrap(),
            "--completions",
            jsonl.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(
            scored.status.success(),
            "{}",
            String::from_utf8_lossy(&scored.stderr)
        );
        let (scores, indices, verdicts): (Vec<f64>, Vec<u64>, Vec<String>) =
            if out.extension().unwrap() == "jsonl" {
                let rows: Vec<serde_json::Value> = std::fs::read_to_string(&out)
                    .unwrap()
                    .lines()
                    .map(|l| serde_json::from_str(l).unwrap())
                    .collect();
                (
                    rows.iter().map(|r| r["score"].as_f64().unwrap()).collect(),
                    rows.iter().map(|r| r["index"].as_u64().unwrap()).collect(),
                    rows.iter()
                        .map(|r| r["verdict"].as_str().unwrap().to_string())
                        .collect(),
                )
            } else {
                let f = read(&out);
                (
                    f.column("score")
                        .unwrap()
                        .f64()
                        .unwrap()
                        .into_no_null_iter()
                        .collect(),
                    f.column("index")
                        .unwrap()
                        .u64()
                        .unwrap()
                        .into_no_null_iter()
                        .collect(),
                    f.column("verdict")
                        .unwrap()
                        .str()
                        .map(|c| {
                            (0..c.len())
                                .map(|i| c.get(i).unwrap_or_default().to_string())
                                .collect()
                        })
                        .unwrap(),
                )
            };
        assert_eq!(scores.len(), rewards.len() + 1);
        assert_eq!(
            &scores[..rewards.len()],
            rewards.as_slice(),
            "score = eval's reward, row by row"
        );
        assert_eq!(&indices[..problems.len()], problems.as_slice());
        assert_eq!(scores[rewards.len()], 1.0);
        assert_eq!(verdicts[rewards.len()], "correct");
    }
}

/// `repro eval --lm-eval DIR` writes lm-evaluation-harness's layout: a results file whose
/// `acc,none` is eval's own accuracy, and a samples file with one line per problem holding that
/// problem's completions and scores (sampled: four per problem, pass@k beside them).
#[test]
fn eval_writes_the_lm_evaluation_harness_layout() {
    use polars::prelude::{ParquetReader, SerReader};
    let dir = crate::scratch("lm-eval");
    let data = dir.join("countdown.parquet");
    let generated = crate::repro([
        "data",
        "generate",
        "countdown",
        "-n",
        "3",
        "--seed",
        "1",
        "-o",
        data.to_str().unwrap(),
    ]);
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/parity/llama");
    let (samples, layout) = (dir.join("samples.parquet"), dir.join("lm-eval"));
    let eval = crate::repro([
        "eval",
        "--model",
        model,
        "--data",
        data.to_str().unwrap(),
        "--max-new-tokens",
        "6",
        "--samples",
        "4",
        "--temperature",
        "1",
        "--out",
        samples.to_str().unwrap(),
        "--lm-eval",
        layout.to_str().unwrap(),
    ]);
    assert!(
        eval.status.success(),
        "{}",
        String::from_utf8_lossy(&eval.stderr)
    );
    let frame = ParquetReader::new(std::fs::File::open(&samples).unwrap())
        .finish()
        .unwrap();
    let rewards: Vec<f64> = frame
        .column("reward")
        .unwrap()
        .f64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    let accuracy = rewards.iter().filter(|&&r| r >= 1.0).count() as f64 / rewards.len() as f64;

    let folder = layout.join("llama");
    let files: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let named = |prefix: &str| {
        folder.join(
            files
                .iter()
                .find(|f| f.starts_with(prefix))
                .unwrap_or_else(|| panic!("no {prefix}* in {files:?}")),
        )
    };
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(named("results_")).unwrap()).unwrap();
    let task = &results["results"]["countdown"];
    assert_eq!(task["acc,none"].as_f64().unwrap(), accuracy, "{results}");
    assert!(task["acc_stderr,none"].as_f64().is_some() && task["pass@4,none"].as_f64().is_some());
    assert_eq!(results["n-samples"]["countdown"]["effective"], 3);
    assert_eq!(
        results["configs"]["countdown"]["generation_kwargs"]["max_gen_toks"],
        6
    );
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(named("samples_countdown_"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["doc_id"], i);
        assert_eq!(line["filtered_resps"].as_array().unwrap().len(), 4);
        let mean = rewards[4 * i..4 * i + 4].iter().sum::<f64>() / 4.0;
        assert!((line["reward"].as_f64().unwrap() - mean).abs() < 1e-12);
    }
}
