//! Damaged inputs and artifacts: bit flips in a real results folder and a real model folder,
//! NaN weights, a tokenizer from another model. Never a panic; every damaged file named; `repro
//! run` recomputes a damaged cell to the same bytes; `repro verify` finds a flipped byte; a
//! killed pretraining resumes to a byte-identical base model.

use std::path::{Path, PathBuf};
use std::process::Output;

/// RFT on a tiny random model, two seeds: a cell with seed parts, model folders and samples.
const SMALL: &str = "name = \"dmg\"\nkind = \"fine_tune\"\nseeds = [0, 1]\n[defaults]\n\
    method = \"rft\"\ntrain_size = 8\ntest_size = 2\nsteps = 2\nprompts_per_step = 2\nrollouts = 2\n\
    mini_batch_prompts = 2\nmicro_batch_prompts = 2\nmax_new_tokens = 6\ntest_freq = 1\nlr = 1e-3\n";

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Exit code 101 is Rust's panic; a panic message would also reach stderr.
fn assert_no_panic(output: &Output, what: &str) {
    let err = stderr(output);
    assert!(
        output.status.code() != Some(101) && !err.contains("panicked"),
        "{what}: {err}"
    );
}

fn flip(path: &Path, offset: usize, bit: u8) {
    let mut bytes = std::fs::read(path).unwrap();
    let at = offset % bytes.len();
    bytes[at] ^= 1 << bit;
    std::fs::write(path, bytes).unwrap();
}

fn cell_dir(results: &Path, file: &Path) -> repro::store::CellDir {
    let experiment = repro::experiment::Experiment::from_file(file).unwrap();
    repro::store::CellDir::new(results, &experiment.name, &experiment.cells[0].id)
}

fn small_results(name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let dir = crate::scratch(name);
    let file = dir.join("dmg.toml");
    std::fs::write(&file, SMALL).unwrap();
    let results = dir.join("results");
    let out = crate::run_quiet(&file, &results);
    assert!(out.status.success(), "{}", stderr(&out));
    (dir, file, results)
}

#[test]
fn bit_flips_in_results_never_panic_and_run_heals_them_to_the_same_bytes() {
    let (dir, file, results) = small_results("damage-results");
    let cell = cell_dir(&results, &file);
    let pristine = dir.join("pristine");
    crate::copy_dir(&results, &pristine);
    let verified = crate::repro(["verify", results.to_str().unwrap()]);
    assert!(verified.status.success(), "{}", stderr(&verified));

    let metrics = cell.metrics();
    let size = std::fs::metadata(&metrics).unwrap().len() as usize;
    let experiment = results.join("dmg");
    for (k, offset) in (0..size).step_by(size / 24 + 1).enumerate() {
        flip(&metrics, offset, (k % 8) as u8);
        for command in ["table", "plot", "verify"] {
            let mut args = vec![command, experiment.to_str().unwrap()];
            let figures = dir.join("figures");
            if command == "plot" {
                args.extend(["--out", figures.to_str().unwrap()]);
            }
            let out = crate::repro(&args);
            assert_no_panic(&out, &format!("{command} after a flip at byte {offset}"));
            if command == "verify" {
                assert!(
                    !out.status.success(),
                    "verify misses a flip at byte {offset}"
                );
                assert!(stdout_and_err(&out).contains("metrics.parquet"));
            }
        }
        // `run` sees the damage, rebuilds the table from the seed parts: the same bytes again.
        let out = crate::run_quiet(&file, &results);
        assert_no_panic(&out, &format!("run after a flip at byte {offset}"));
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(
            std::fs::read(&metrics).unwrap(),
            std::fs::read(cell_dir(&pristine, &file).metrics()).unwrap(),
            "the healed metrics differ (flip at byte {offset})"
        );
    }

    // A flipped byte in a seed's weights: verify names the file, run recomputes that seed.
    let weights = cell.seed_model(1).join("model.safetensors");
    let size = std::fs::metadata(&weights).unwrap().len() as usize;
    flip(&weights, size - 3, 2);
    let out = crate::repro(["verify", results.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        stdout_and_err(&out).contains("seed-1/model.safetensors: changed"),
        "{}",
        stdout_and_err(&out)
    );
    let out = crate::run_quiet(&file, &results);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        crate::repro(["verify", results.to_str().unwrap()])
            .status
            .success()
    );
    let diff = crate::repro([
        "diff",
        experiment.to_str().unwrap(),
        pristine.join("dmg").to_str().unwrap(),
    ]);
    assert!(
        diff.status.success(),
        "{}",
        String::from_utf8_lossy(&diff.stdout)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

fn stdout_and_err(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(out))
}

#[test]
fn damaged_model_folders_give_errors_that_name_the_file() {
    let (dir, file, results) = small_results("damage-model");
    let model = cell_dir(&results, &file).seed_model(0);
    let eval = |model: &Path| {
        crate::repro([
            "eval",
            "--model",
            model.to_str().unwrap(),
            "--task",
            "countdown",
            "--n",
            "2",
            "--max-new-tokens",
            "4",
        ])
    };
    assert!(eval(&model).status.success());

    // Bit flips anywhere in each file of the folder: an error or a run, never a panic.
    for name in ["config.json", "tokenizer.json", "model.safetensors"] {
        let broken = dir.join(format!("broken-{name}"));
        crate::copy_dir(&model, &broken);
        let path = broken.join(name);
        let size = std::fs::metadata(&path).unwrap().len() as usize;
        for (k, offset) in (0..size).step_by(size / 12 + 1).enumerate() {
            flip(&path, offset, (k % 8) as u8);
            assert_no_panic(&eval(&broken), &format!("{name}, flip at byte {offset}"));
            flip(&path, offset, (k % 8) as u8); // undo
        }
    }

    // NaN weights are refused, naming the tensor.
    let nan = dir.join("nan");
    crate::copy_dir(&model, &nan);
    let weights = nan.join("model.safetensors");
    let mut bytes = std::fs::read(&weights).unwrap();
    let header = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let first = 8 + header; // the first f32 of the first tensor
    bytes[first..first + 4].copy_from_slice(&f32::NAN.to_le_bytes());
    std::fs::write(&weights, bytes).unwrap();
    let out = eval(&nan);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("holds NaN or infinite values"),
        "{}",
        stderr(&out)
    );

    // A tokenizer with more tokens than the model's embedding has rows.
    let mismatched = dir.join("mismatched");
    crate::copy_dir(&model, &mismatched);
    let config = mismatched.join("config.json");
    let text = std::fs::read_to_string(&config).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let vocab = json["vocab_size"].as_u64().unwrap();
    let smaller = text.replace(
        &format!("\"vocab_size\": {vocab}"),
        &format!("\"vocab_size\": {}", vocab - 10),
    );
    assert_ne!(smaller, text);
    std::fs::write(&config, smaller).unwrap();
    let out = eval(&mismatched);
    assert_no_panic(&out, "tokenizer larger than the vocabulary");
    assert!(
        stderr(&out).contains("the tokenizer belongs to another model"),
        "{}",
        stderr(&out)
    );

    // A path that does not exist is not "a folder without tokenizer.json".
    let out = eval(&dir.join("nowhere"));
    assert!(stderr(&out).contains("does not exist"), "{}", stderr(&out));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A base model's pretraining killed midway continues from its checkpoint to the same bytes.
#[test]
fn kill_9_during_pretraining_resumes_to_a_byte_identical_base_model() {
    use std::time::{Duration, Instant};
    let dir = crate::scratch("pretrain-kill");
    let file = dir.join("base.toml");
    std::fs::write(
        &file,
        "name = \"base\"\nkind = \"fine_tune\"\nseeds = [0]\n[defaults]\ninit = \"pretrained\"\n\
         model = \"tiny-125k\"\ntokenizer = \"word\"\nprompt_template = \"short\"\n\
         pretrain_steps = 60\npretrain_batch = 4\ncountdown_max_numbers = 3\n\
         countdown_max_value = 9\ncountdown_max_target = 27\nmethod = \"base\"\ntrain_size = 8\n\
         test_size = 2\nmax_new_tokens = 4\n",
    )
    .unwrap();
    let straight = dir.join("straight");
    let out = crate::run_quiet(&file, &straight);
    assert!(out.status.success(), "{}", stderr(&out));

    let interrupted = dir.join("interrupted");
    let bases = interrupted.join("base_models");
    let mut child = crate::spawn_run(&file, &interrupted);
    let start = Instant::now();
    // Wait for the third checkpoint (step 18 of 60), then kill.
    let reached = || {
        std::fs::read_dir(&bases).ok().and_then(|entries| {
            entries.flatten().find_map(|e| {
                let latest = e.path().join("LATEST");
                std::fs::read_to_string(latest).ok()
            })
        })
    };
    while reached().is_none_or(|name| name.as_str() < "sft-000018")
        && start.elapsed() < Duration::from_secs(120)
    {
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let finished = |root: &Path| -> Option<PathBuf> {
        std::fs::read_dir(root.join("base_models"))
            .ok()?
            .flatten()
            .map(|e| e.path())
            .find(|p| p.join("pretrain.toml").is_file())
    };
    assert!(
        finished(&interrupted).is_none(),
        "the kill should land before pretraining ends"
    );
    let out = crate::run_quiet(&file, &interrupted);
    assert!(out.status.success(), "{}", stderr(&out));
    let (a, b) = (
        finished(&straight).unwrap(),
        finished(&interrupted).unwrap(),
    );
    for name in [
        "model.safetensors",
        "tokenizer.json",
        "pretrain_metrics.parquet",
    ] {
        assert!(
            std::fs::read(a.join(name)).unwrap() == std::fs::read(b.join(name)).unwrap(),
            "{name} differs after the resume"
        );
    }
    let leftovers: Vec<_> = std::fs::read_dir(&bases)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| n.to_string_lossy().ends_with(".work"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "checkpoints are removed: {leftovers:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
