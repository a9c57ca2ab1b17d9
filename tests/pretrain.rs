//! The pretrain stage and the study built on it: a base model is trained once per recipe and
//! reused, and a study rerun with the same seeds gives the same numbers exactly.

use std::path::Path;

use repro::metrics::read_experiment;
use repro::runner::diff::is_wall_clock;

const STUDY: &str = r#"name = "study"
kind = "fine_tune"
seeds = [0]

[defaults]
init = "pretrained"
model = "tiny-125k"
tokenizer = "word"
prompt_template = "short"
pretrain_steps = 3
pretrain_batch = 4
countdown_max_numbers = 3
countdown_max_value = 9
countdown_max_target = 27
train_size = 8
test_size = 4
steps = 2
t_hint = 1
prompts_per_step = 2
rollouts = 2
mini_batch_prompts = 2
micro_batch_prompts = 2
max_new_tokens = 12
test_freq = 1
lr = 1e-3

[sweep]
method = ["base", "uft"]
"#;

/// Every row except wall-clock measurements.
fn deterministic_rows(results: &Path) -> Vec<(String, u64, u64, String, u64)> {
    let mut rows: Vec<_> = read_experiment(&results.join("study"))
        .unwrap()
        .into_iter()
        .flat_map(|cell| {
            let id = cell.cell.clone();
            cell.rows
                .into_iter()
                .filter(|r| !is_wall_clock(&r.metric))
                .map(move |r| (id.clone(), r.seed, r.step, r.metric, r.value.to_bits()))
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn a_base_model_is_pretrained_once_and_a_rerun_reproduces_every_number() {
    let dir = crate::scratch("pretrain");
    let file = dir.join("study.toml");
    std::fs::write(&file, STUDY).unwrap();

    let first = dir.join("first");
    let out = crate::run_quiet(&file, &first);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bases: Vec<_> = std::fs::read_dir(first.join("base_models"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(bases.len(), 1, "both cells share one base model: {bases:?}");
    let recipe = bases[0].join("pretrain.toml");
    let written = std::fs::metadata(&recipe).unwrap().modified().unwrap();
    let rows = deterministic_rows(&first);
    assert!(rows.iter().any(|r| r.3 == "test_accuracy"), "final scores");

    // A new experiment under the same results root reuses the cached base model.
    let other = STUDY
        .replace("name = \"study\"", "name = \"other\"")
        .replace("\"uft\"", "\"rft\"");
    let other_file = dir.join("other.toml");
    std::fs::write(&other_file, other).unwrap();
    let out = crate::run_quiet(&other_file, &first);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::metadata(&recipe).unwrap().modified().unwrap(),
        written
    );

    // The same file in a fresh results root: the base model is trained again, identically,
    // and every metric is bit for bit the same.
    let second = dir.join("second");
    let out = crate::run_quiet(&file, &second);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(deterministic_rows(&second), rows);
    let report = repro::runner::diff::diff(&first.join("study"), &second.join("study")).unwrap();
    assert!(report.identical(), "{}", report.describe());
    assert_eq!(report.cells_compared, 2);
    assert!(report.files_compared >= 2 * 4, "{}", report.describe());
    // One changed byte in a final model is found.
    let tampered = dir.join("tampered");
    crate::copy_dir(&second.join("study"), &tampered);
    let weights_file = std::fs::read_dir(&tampered)
        .unwrap()
        .map(|e| e.unwrap().path().join("models/seed-0/model.safetensors"))
        .find(|p| p.is_file())
        .expect("a final model");
    let mut bytes = std::fs::read(&weights_file).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&weights_file, bytes).unwrap();
    let report = repro::runner::diff::diff(&first.join("study"), &tampered).unwrap();
    assert!(!report.identical());
    assert_eq!(report.files_differing.len(), 1, "{}", report.describe());
    assert!(report.files_differing[0].ends_with("models/seed-0/model.safetensors"));
    let weights = |root: &Path| {
        std::fs::read(
            root.join("base_models")
                .join(bases[0].file_name().unwrap())
                .join("model.safetensors"),
        )
        .unwrap()
    };
    assert_eq!(weights(&first), weights(&second));
}

/// The default study's base models are committed, so that its first run does not pretrain
/// them; a change to the corpus or the pretrain loop changes their recipe hash and must come
/// with the retrained models (`rm -rf results/base_models && repro run
/// experiments/pretrain.toml`), which that file makes: its recipes are the study's.
#[test]
fn the_default_study_finds_its_base_models_committed_and_pretrain_toml_makes_them() {
    use repro::experiment::{Experiment, LoadOptions};
    use repro::train::config::{FineTuneConfig, Init};
    let base_models = |file: &str| {
        let study = Experiment::load(Path::new(file), &LoadOptions::default()).unwrap();
        // Cells may also name a committed base model by its folder (claim iii's 4-number
        // cells do); it must then be one that the recipes make.
        let mut named = Vec::new();
        let mut folders: Vec<String> = study
            .cells
            .iter()
            .filter_map(|cell| match FineTuneConfig::from_cell(cell, 0).init {
                Init::Pretrained(recipe) => Some(recipe.folder_name()),
                Init::Checkpoint(path) => {
                    named.push(path.file_name().unwrap().to_string_lossy().into_owned());
                    None
                }
                other => panic!("{file} starts from pretrained tiny models, not {other:?}"),
            })
            .collect();
        folders.sort();
        folders.dedup();
        for name in named {
            assert!(
                folders.contains(&name),
                "{file} names {name}, not one of {folders:?}"
            );
        }
        folders
    };
    let folders = base_models("experiments/table1.toml");
    assert_eq!(folders.len(), 3, "{folders:?}");
    assert_eq!(base_models("experiments/pretrain.toml"), folders);
    assert!(folders.contains(&base_models("experiments/search.toml")[0]));
    for folder in folders {
        let done = Path::new("results/base_models")
            .join(&folder)
            .join("pretrain.toml");
        assert!(
            done.is_file(),
            "{} is not committed: the recipe changed, retrain and commit the base models",
            done.display()
        );
    }
}

/// `model_path` names a model folder; its shapes must be the preset's, and the check says
/// which dimension differs.
#[test]
fn model_path_is_checked_against_the_preset() {
    let dir = crate::scratch("model-path");
    let base = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/results/base_models/tiny-500k-2b48b23a"
    );
    let check = |model: &str, path: &str| {
        let file = dir.join(format!("{model}.toml"));
        std::fs::write(
            &file,
            format!(
                "name = \"p\"\nkind = \"fine_tune\"\nseeds = [0]\n[defaults]\ninit = \"pretrained\"\n\
                 model = \"{model}\"\nmodel_path = \"{path}\"\nmethod = \"base\"\n\
                 countdown_max_numbers = 3\ncountdown_max_value = 9\ncountdown_max_target = 27\n"
            ),
        )
        .unwrap();
        let out = crate::repro(["check", file.to_str().unwrap()]);
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, err) = check("tiny-500k", base);
    assert!(ok, "{err}");
    let (ok, err) = check("tiny-1m", base);
    assert!(!ok);
    assert!(
        err.contains("model_path")
            && err.contains("hidden_size 96 in")
            && err.contains("expects 128"),
        "{err}"
    );
    // A folder that is not there yet passes `check` (the file is valid) and stops `run` before
    // anything starts, naming it.
    let (ok, err) = check("tiny-500k", "/nowhere/model");
    assert!(ok, "{err}");
    let out = crate::repro([
        "run",
        dir.join("tiny-500k.toml").to_str().unwrap(),
        "--results",
        dir.join("results").to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("the model folder /nowhere/model (it does not exist or has no config.json)"),
        "{err}"
    );
}

/// A model fine-tuned from a Hugging Face folder keeps the folder's tokenizer and generation
/// configuration beside its weights, so other tools open it as they opened the source.
#[test]
fn a_fine_tuned_model_keeps_its_sources_companion_files() {
    let dir = crate::scratch("companions");
    let source = dir.join("source");
    std::fs::create_dir_all(&source).unwrap();
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("results/base_models/tiny-500k-2b48b23a");
    for file in ["config.json", "model.safetensors", "tokenizer.json"] {
        std::fs::copy(base.join(file), source.join(file)).unwrap();
    }
    let generation = "{\"eos_token_id\": 2, \"max_new_tokens\": 64}";
    let tokenizer_config = "{\"model_max_length\": 512, \"chat_template\": \"{{ x }}\"}";
    std::fs::write(source.join("generation_config.json"), generation).unwrap();
    std::fs::write(source.join("tokenizer_config.json"), tokenizer_config).unwrap();
    let file = dir.join("e.toml");
    std::fs::write(
        &file,
        format!(
            "name = \"e\"\nkind = \"fine_tune\"\nseeds = [0]\n[defaults]\ninit = \"pretrained\"\n\
             model = \"tiny-500k\"\nmodel_path = \"{}\"\nmethod = \"sft\"\ntokenizer = \"word\"\n\
             prompt_template = \"short\"\nbenchmarks = \"own\"\n\
             countdown_max_numbers = 3\ncountdown_max_value = 9\ncountdown_max_target = 27\n\
             train_size = 8\ntest_size = 2\nsft_epochs = 1\nsft_batch = 4\nsft_micro_batch = 4\n\
             max_new_tokens = 8\n",
            source.display()
        ),
    )
    .unwrap();
    let results = dir.join("results");
    let out = crate::repro([
        "run",
        file.to_str().unwrap(),
        "--results",
        results.to_str().unwrap(),
        "-q",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exp = repro::experiment::Experiment::from_file(&file).unwrap();
    let model = results
        .join("e")
        .join(&exp.cells[0].id)
        .join("models/seed-0");
    assert_eq!(
        std::fs::read_to_string(model.join("generation_config.json")).unwrap(),
        generation
    );
    assert_eq!(
        std::fs::read_to_string(model.join("tokenizer_config.json")).unwrap(),
        tokenizer_config
    );
    assert!(model.join("model.safetensors").is_file());
}
