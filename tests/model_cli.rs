//! The model commands as a newcomer runs them: train a tokenizer on generated task data, create
//! a tiny random model, generate from it; and the errors for a wrong folder or a missing backend.

use crate::{repro, scratch};

fn stdout(output: &std::process::Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn tokenizer_train_then_model_init_then_generate() {
    let dir = scratch("model-cli");
    let data = dir.join("countdown.parquet");
    let tokenizer = dir.join("tokenizer.json");
    let model = dir.join("tiny");
    let run = |args: &[&str]| repro(args.iter().map(|a| a.to_string()).collect::<Vec<_>>());
    stdout(&run(&[
        "data",
        "generate",
        "countdown",
        "-n",
        "200",
        "-o",
        data.to_str().unwrap(),
    ]));
    stdout(&run(&[
        "tokenizer",
        "train",
        "--data",
        data.to_str().unwrap(),
        "--vocab",
        "400",
        "-o",
        tokenizer.to_str().unwrap(),
    ]));
    stdout(&run(&[
        "model",
        "init",
        "--preset",
        "tiny-1m",
        "--tokenizer",
        tokenizer.to_str().unwrap(),
        "-o",
        model.to_str().unwrap(),
    ]));
    for file in ["config.json", "model.safetensors", "tokenizer.json"] {
        assert!(model.join(file).is_file(), "{file}");
    }
    let info = stdout(&run(&["model", "info", model.to_str().unwrap()]));
    assert!(info.contains("vocabulary        400"), "{info}");

    let generate = |extra: &[&str]| {
        let mut args = vec![
            "generate",
            "--model",
            model.to_str().unwrap(),
            "--prompt",
            "Using the numbers [3, 7, 25]",
            "--max-new-tokens",
            "8",
        ];
        args.extend_from_slice(extra);
        stdout(&run(&args))
    };
    let greedy = generate(&[]);
    assert!(
        greedy.contains("completion 1 (8 tokens, ended by max tokens"),
        "{greedy}"
    );
    let text = |out: &str| {
        out.lines()
            .filter(|l| !l.contains("tokens/s"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        text(&greedy),
        text(&generate(&[])),
        "greedy decoding is deterministic"
    );
    let sampled = generate(&["--n", "3", "--temperature", "1.0", "--seed", "4"]);
    assert_eq!(sampled.matches("--- completion").count(), 3);
    assert_eq!(
        text(&sampled),
        text(&generate(&[
            "--n",
            "3",
            "--temperature",
            "1.0",
            "--seed",
            "4"
        ]))
    );

    // `repro model speed` at 2 × 16 tokens, 3 timed runs, with `extra` flags: its JSON line.
    let model_speed = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["model", "speed", "--model", model.to_str().unwrap()];
        args.extend(["--batch", "2", "--len", "16", "--repeat", "3"]);
        args.extend(extra);
        serde_json::from_str(&stdout(&run(&args))).expect("one JSON line")
    };
    let speed = model_speed(&[]);
    assert_eq!(speed["batch"], 2);
    assert_eq!(speed["len"], 16);
    let seconds = speed["seconds"].as_array().expect("seconds");
    assert_eq!(seconds.len(), 3);
    assert!(seconds.iter().all(|s| s.as_f64().unwrap() > 0.0));
    assert!(speed["tokens_per_second"].as_f64().unwrap() > 0.0);
    assert_eq!(speed["work"], "forward");

    let train = model_speed(&["--train"]);
    assert_eq!(train["work"], "train");
    assert_eq!(train["seconds"].as_array().expect("seconds").len(), 3);
    // The same rows at every step: the warm-up and 3 timed steps train on them, so the loss falls.
    let losses: Vec<f64> = train["losses"]
        .as_array()
        .expect("losses")
        .iter()
        .map(|l| l.as_f64().unwrap())
        .collect();
    assert_eq!(losses.len(), 4);
    assert!(losses[3] < losses[0], "{losses:?}");
}

#[test]
fn model_errors_say_what_is_wrong() {
    let dir = scratch("model-cli-errors");
    let output = repro([
        "generate",
        "--model",
        dir.to_str().unwrap(),
        "--prompt",
        "hi",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    // An empty folder lacks config.json first; with a config, the tokenizer is what is missing.
    assert!(
        stderr.contains("a model folder needs config.json"),
        "{stderr}"
    );
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/parity/qwen2");
    std::fs::copy(format!("{fixture}/config.json"), dir.join("config.json")).unwrap();
    let output = repro([
        "generate",
        "--model",
        dir.to_str().unwrap(),
        "--prompt",
        "hi",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("has no tokenizer.json"), "{stderr}");

    let output = repro(["model", "info", "gpt-5"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unknown model preset \"gpt-5\"") && stderr.contains("qwen2.5-0.5b"),
        "{stderr}"
    );

    if !cfg!(feature = "cuda") {
        let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/parity/qwen2");
        let output = repro([
            "generate", "--model", fixture, "--prompt", "9 * 9", "--device", "cuda",
        ]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--features cuda"), "{stderr}");
    }
}
