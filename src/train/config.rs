//! Parameters of the `fine_tune` experiment kind: one method of the paper on one task with one
//! model, every hyperparameter named once with its default (Table 1 and specification §1.4–1.5
//! and the code). CPU-scale experiments override the sizes in their files.
//!
//! Batch sizes are counted in **prompts** (RL) or **examples** (SFT); each RL prompt brings
//! `rollouts` sequences.

use crate::algo::schedule::HintSchedule;
use crate::algo::uft::{HintReduction, LossWeights};
use crate::experiment::Cell;
use crate::experiment::schema::{Default, Kind, Param, Schema};
use crate::model::presets;
use crate::tasks::generate::{CountdownOptions, LogicOptions, TaskOptions};

use super::optimizer::AdamWConfig;
use super::rl::{HintUnit, OldLogprobs, RlConfig};
use super::sft::SftConfig;

/// The methods compared in the paper (specification §1.6), plus the untrained base model.
pub const METHODS: &[&str] = &[
    "base",
    "sft",
    "rft",
    "sft_rft",
    "r3",
    "stage",
    "rft_cosine",
    "uft",
];

const TASKS: &[&str] = &["countdown", "logic", "math"];

const fn int(name: &'static str, min: i64, max: i64, default: i64, doc: &'static str) -> Param {
    Param {
        name,
        kind: Kind::Int { min, max },
        default: Default::Int(default),
        doc,
    }
}

const fn float(name: &'static str, min: f64, max: f64, default: f64, doc: &'static str) -> Param {
    Param {
        name,
        kind: Kind::Float { min, max },
        default: Default::Float(default),
        doc,
    }
}

const PARAMS: &[Param] = &[
    Param {
        name: "method",
        kind: Kind::Choice(METHODS),
        default: Default::Str("uft"),
        doc: "base (evaluate only), sft, rft, sft_rft (SFT, then RFT from its final model), r3 (uniform \
              hint length, no log-likelihood), stage (staircase hints), rft_cosine (UFT's schedule, \
              β = 0), uft (cosine/Binomial hints + β·hint log-likelihood)",
    },
    Param {
        name: "task",
        kind: Kind::Choice(TASKS),
        default: Default::Str("countdown"),
        doc: "training task: generated data, or the official files in `data_dir` (math needs them)",
    },
    Param {
        name: "data_dir",
        kind: Kind::Text,
        default: Default::Str(""),
        doc: "folder of the official data files (countdown_train.parquet, kk_logic_test.parquet, \
              math_test.parquet, ood_test.parquet, ...); empty: generated data",
    },
    Param {
        name: "benchmarks",
        kind: Kind::Choice(&["own", "generated", "table2", "suite"]),
        default: Default::Str("own"),
        doc: "test sets the final model is scored on: own (the task's), generated (Countdown and \
              Logic, for the cross-task Table 2 analogue), table2 (the nine Table 2 benchmarks, \
              greedy, from data_dir), suite (the §8 suite from the LUFFY files in data_dir, one \
              sample per row at eval_temperature)",
    },
    Param {
        name: "device",
        kind: Kind::Choice(&["cpu", "wgpu", "cuda"]),
        default: Default::Str("cpu"),
        doc: "where to train: cpu (burn's flex backend), or a GPU backend repro was built with",
    },
    Param {
        name: "model",
        kind: Kind::Choice(&presets::NAMES),
        default: Default::Str("tiny-1m"),
        doc: "model preset: a tiny one (CPU) or one of the paper's five (weights in models_dir)",
    },
    Param {
        name: "init",
        kind: Kind::Choice(&["random", "pretrained"]),
        default: Default::Str("random"),
        doc: "random: seeded random weights and a tokenizer trained on the task; pretrained: the \
              base model — for tiny presets the one the pretrain stage makes (cached in \
              <results>/base_models), for the paper's models the Hugging Face folder in models_dir",
    },
    Param {
        name: "models_dir",
        kind: Kind::Text,
        default: Default::Str("models"),
        doc: "folder holding the paper's models as Hugging Face folders (models/Qwen2.5-0.5B, ...)",
    },
    Param {
        name: "model_path",
        kind: Kind::Text,
        default: Default::Str(""),
        doc: "a model folder to start from instead of the preset's usual weights (config.json, \
              model.safetensors, tokenizer.json: a Hugging Face folder, `repro model import`'s \
              output or a committed base model in results/base_models), or a llama.cpp .gguf \
              file (imported once into <results>/base_models/imported/); `model` names its \
              preset, whose shapes it must have; needs init = \"pretrained\"",
    },
    int(
        "pretrain_steps",
        1,
        1_000_000,
        1500,
        "pretrain stage of a tiny base model: optimizer steps on the generated corpus",
    ),
    int(
        "pretrain_batch",
        1,
        4096,
        16,
        "pretrain stage: documents per step",
    ),
    float(
        "pretrain_lr",
        0.0,
        1.0,
        2e-3,
        "pretrain stage: peak learning rate (cosine, 5 % warmup)",
    ),
    int(
        "train_size",
        8,
        1_000_000,
        10_240,
        "generated training problems (official Countdown train: 10,240)",
    ),
    int(
        "test_size",
        1,
        100_000,
        1024,
        "generated test problems, another generator seed (official Countdown test: 1,024)",
    ),
    Param {
        name: "test_split",
        kind: Kind::Choice(&["test", "validation"]),
        default: Default::Str("test"),
        doc: "which generated problems score the model: test (generator seed 1, the study's) or \
              validation (generator seed 2, for choosing hyperparameters without seeing the test set)",
    },
    int(
        "logic_min_people",
        2,
        12,
        3,
        "fewest inhabitants of a generated Logic puzzle (official: 3)",
    ),
    int(
        "logic_max_people",
        2,
        12,
        7,
        "most inhabitants of a generated Logic puzzle (official: 7)",
    ),
    int(
        "countdown_min_numbers",
        2,
        5,
        3,
        "fewest numbers of a generated Countdown problem (official: 3)",
    ),
    int(
        "countdown_max_numbers",
        2,
        5,
        4,
        "most numbers of a generated Countdown problem (official: 4)",
    ),
    int(
        "countdown_max_value",
        2,
        10_000,
        99,
        "numbers of a generated Countdown problem are drawn from 1..=this (official: 99)",
    ),
    int(
        "countdown_max_target",
        10,
        100_000,
        100,
        "targets of a generated Countdown problem are drawn from 10..=this (official: 100)",
    ),
    Param {
        name: "prompt_template",
        kind: Kind::Choice(&["official", "short"]),
        default: Default::Str("official"),
        doc: "frame of generated Countdown prompts: official (the official template, byte for \
              byte) or short (`User: <task sentence>\\nAssistant: <think> `, a declared deviation \
              for from-scratch models; README)",
    },
    Param {
        name: "tokenizer",
        kind: Kind::Choice(&["bpe", "word"]),
        default: Default::Str("bpe"),
        doc: "tokenizer of a tiny model: bpe (byte-level BPE of `vocab` tokens) or word (words \
              whole, every digit and mark its own token; the vocabulary is the corpus's pieces)",
    },
    int(
        "vocab",
        300,
        100_000,
        512,
        "BPE vocabulary trained on the corpus or the training problems (tokenizer = bpe)",
    ),
    // RL (§1.4).
    int("steps", 0, 100_000, 500, "T: RL steps (Table 1)"),
    int(
        "t_hint",
        1,
        100_000,
        300,
        "T_hint: hints stop after this step (Table 1; 60 % of T)",
    ),
    float(
        "p_high",
        0.0,
        1.0,
        0.95,
        "hint probability at the first step",
    ),
    float("p_low", 0.0, 1.0, 0.05, "hint probability at T_hint"),
    int(
        "prompts_per_step",
        1,
        100_000,
        256,
        "prompts per RL step (Table 1 training batch)",
    ),
    int("rollouts", 1, 64, 4, "n: completions per prompt (paper: 4)"),
    int(
        "mini_batch_prompts",
        1,
        100_000,
        64,
        "prompts per optimizer update (Table 1 mini-batch)",
    ),
    int(
        "micro_batch_prompts",
        1,
        100_000,
        4,
        "prompts per forward/backward pass (the code: 4)",
    ),
    float(
        "lr",
        0.0,
        1.0,
        1e-6,
        "RL learning rate, constant (the code's actor lr)",
    ),
    float(
        "beta",
        0.0,
        10.0,
        0.001,
        "β: weight of the hint log-likelihood (uft, stage; Table 1: 0.001)",
    ),
    float(
        "kl_coef",
        0.0,
        10.0,
        0.001,
        "weight of the k3 KL to the initial model",
    ),
    float(
        "entropy_coef",
        0.0,
        10.0,
        0.001,
        "weight of the entropy bonus",
    ),
    float("clip", 0.0, 1.0, 0.2, "PPO clip ε"),
    int(
        "max_new_tokens",
        1,
        4096,
        1024,
        "response length cap (Table 1 response context)",
    ),
    float(
        "temperature",
        0.01,
        10.0,
        1.0,
        "rollout sampling temperature",
    ),
    int(
        "save_freq",
        1,
        100_000,
        25,
        "checkpoint every this many steps; an interrupted run resumes from the latest",
    ),
    int(
        "test_freq",
        1,
        100_000,
        25,
        "evaluate every this many RL steps (the code: 25)",
    ),
    int(
        "eval_samples",
        0,
        1024,
        0,
        "k > 0: also evaluate the final model with k sampled completions per test problem \
         (mean@k and unbiased pass@k); 0: greedy only, as the paper",
    ),
    float(
        "eval_temperature",
        0.01,
        10.0,
        0.6,
        "sampling temperature of that extra evaluation (the §8 protocol: 0.6)",
    ),
    Param {
        name: "hint_unit",
        kind: Kind::Choice(&["segment", "token"]),
        default: Default::Str("segment"),
        doc: "what a hint length counts: segment (k ~ Binomial(min(5, sentences), p) sentence groups, \
              the code) or token (l ~ Binomial(solution tokens, p), the paper's wording read per token)",
    },
    Param {
        name: "old_logprobs",
        kind: Kind::Choice(&["rollout", "recompute"]),
        default: Default::Str("rollout"),
        doc: "where π_old of the PPO ratio comes from: rollout (the log-probabilities sampled with each token, \
              one forward fewer per step) or recompute (a separate forward before the update, verl's \
              compute_log_prob); equal up to float rounding",
    },
    Param {
        name: "hint_reduction",
        kind: Kind::Choice(&["token_mean", "sequence_sum"]),
        default: Default::Str("token_mean"),
        doc: "hint log-likelihood: token-mean over the micro-batch (code) or per-sequence sum (eq. 3.3)",
    },
    // SFT (§1.5).
    int("sft_epochs", 1, 1000, 5, "SFT epochs (Table 1: 5)"),
    int("sft_max_steps", 1, 100_000, 500, "cap on SFT steps"),
    int(
        "sft_batch",
        1,
        100_000,
        256,
        "examples per SFT step (the code: 256)",
    ),
    int(
        "sft_micro_batch",
        1,
        100_000,
        16,
        "examples per forward/backward pass (the code: 16)",
    ),
    float(
        "sft_lr",
        0.0,
        1.0,
        1e-5,
        "peak SFT learning rate, cosine with 10 % warmup (the code: 1e-5)",
    ),
];

pub const SCHEMA: Schema = Schema {
    params: PARAMS,
    method_param: "method",
    method_options: &[],
};

/// Where the model starts.
#[derive(Clone, Debug, PartialEq)]
pub enum Init {
    /// Seeded random weights, with a tokenizer trained on the task's data.
    Random,
    /// A tiny preset's base model from the pretrain stage.
    Pretrained(super::pretrain::PretrainConfig),
    /// A Hugging Face folder (the paper's models).
    Checkpoint(std::path::PathBuf),
}

/// Which test sets the final model is scored on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Benchmarks {
    Own,
    Generated,
    Table2,
    Suite,
}

/// A `fine_tune` cell, typed.
#[derive(Clone, Debug, PartialEq)]
pub struct FineTuneConfig {
    pub method: String,
    pub task: String,
    pub model: String,
    pub init: Init,
    /// The official data files (`None`: generated data).
    pub data_dir: Option<std::path::PathBuf>,
    pub benchmarks: Benchmarks,
    /// How hard the generated problems are (both tasks: the final model is scored on both).
    pub tasks: TaskOptions,
    pub device: crate::model::DeviceKind,
    pub train_size: usize,
    pub test_size: usize,
    /// Generator seed of the generated test problems (1: test, 2: validation).
    pub test_seed: u64,
    pub vocab: usize,
    pub rl: RlConfig,
    pub sft: SftConfig,
    pub test_freq: u64,
    pub save_freq: u64,
    /// Sampled completions per test problem in the final extra evaluation (0: none).
    pub eval_samples: usize,
    pub eval_temperature: f32,
}

impl FineTuneConfig {
    pub fn from_cell(cell: &Cell, seed: u64) -> Self {
        let int = |name| cell.get(name).as_int();
        let float = |name| cell.get(name).as_float();
        let method = cell.get("method").as_str().to_string();
        let (p_low, p_high, t_hint) = (float("p_low"), float("p_high"), int("t_hint") as u64);
        let schedule = match method.as_str() {
            "uft" | "rft_cosine" => HintSchedule::Uft {
                p_low,
                p_high,
                t_hint,
            },
            "r3" => HintSchedule::R3,
            "stage" => HintSchedule::Stage { t_hint },
            _ => HintSchedule::None,
        };
        // β multiplies the hint term for UFT and staged RL; R³ and RFT (cosine) turn it off (§1.6).
        let hint_weight = match method.as_str() {
            "r3" | "rft_cosine" => 0.0,
            _ => float("beta"),
        };
        let hint_reduction = match cell.get("hint_reduction").as_str() {
            "sequence_sum" => HintReduction::SequenceSum,
            _ => HintReduction::TokenMean,
        };
        let model = cell.get("model").as_str().to_string();
        let model_path = cell.get("model_path").as_str();
        let init = match cell.get("init").as_str() {
            "random" => Init::Random,
            _ if !model_path.is_empty() => Init::Checkpoint(model_path.into()),
            _ if presets::is_tiny(&model) => Init::Pretrained(super::pretrain::PretrainConfig {
                model: model.clone(),
                tokenizer: match cell.get("tokenizer").as_str() {
                    "word" => super::pretrain::TokenizerKind::Word,
                    _ => super::pretrain::TokenizerKind::Bpe {
                        vocab: int("vocab") as usize,
                    },
                },
                steps: int("pretrain_steps") as u64,
                batch: int("pretrain_batch") as usize,
                lr: float("pretrain_lr"),
                tasks: task_options(cell),
            }),
            _ => Init::Checkpoint(
                std::path::Path::new(cell.get("models_dir").as_str())
                    .join(presets::hub_folder(&model)),
            ),
        };
        let data_dir = match cell.get("data_dir").as_str() {
            "" => None,
            dir => Some(std::path::PathBuf::from(dir)),
        };
        FineTuneConfig {
            task: cell.get("task").as_str().to_string(),
            model,
            init,
            data_dir,
            tasks: task_options(cell),
            benchmarks: match cell.get("benchmarks").as_str() {
                "generated" => Benchmarks::Generated,
                "table2" => Benchmarks::Table2,
                "suite" => Benchmarks::Suite,
                _ => Benchmarks::Own,
            },
            device: cell
                .get("device")
                .as_str()
                .parse()
                .expect("the schema admits only known devices"),
            train_size: int("train_size") as usize,
            test_size: int("test_size") as usize,
            test_seed: match cell.get("test_split").as_str() {
                "validation" => 2,
                _ => 1,
            },
            vocab: int("vocab") as usize,
            rl: RlConfig {
                schedule,
                hint_unit: match cell.get("hint_unit").as_str() {
                    "token" => HintUnit::Token,
                    _ => HintUnit::Segment,
                },
                old_logprobs: match cell.get("old_logprobs").as_str() {
                    "recompute" => OldLogprobs::Recompute,
                    _ => OldLogprobs::Rollout,
                },
                steps: int("steps") as u64,
                prompts_per_step: int("prompts_per_step") as usize,
                rollouts: int("rollouts") as usize,
                mini_batch_prompts: int("mini_batch_prompts") as usize,
                micro_batch_prompts: int("micro_batch_prompts") as usize,
                lr: float("lr"),
                optimizer: AdamWConfig::RL,
                loss: LossWeights {
                    hint: hint_weight,
                    kl: float("kl_coef"),
                    entropy: float("entropy_coef"),
                    clip: float("clip"),
                    hint_reduction,
                },
                max_new_tokens: int("max_new_tokens") as usize,
                temperature: float("temperature") as f32,
                seed,
            },
            sft: SftConfig {
                epochs: int("sft_epochs") as u64,
                max_steps: int("sft_max_steps") as u64,
                batch_examples: int("sft_batch") as usize,
                micro_batch_examples: int("sft_micro_batch") as usize,
                lr: float("sft_lr"),
                warmup_ratio: 0.1,
                optimizer: AdamWConfig::SFT,
                seed,
            },
            test_freq: int("test_freq") as u64,
            save_freq: int("save_freq") as u64,
            eval_samples: int("eval_samples") as usize,
            eval_temperature: float("eval_temperature") as f32,
            method,
        }
    }

    pub fn runs_sft(&self) -> bool {
        runs_sft(&self.method)
    }

    pub fn runs_rl(&self) -> bool {
        !matches!(self.method.as_str(), "base" | "sft")
    }

    /// A rough cost of the cell, in SFT sequences of a 1-parameter model, so that `repro run
    /// --jobs N` can start the longest cells first: the sequences each stage trains on (an RL
    /// rollout, generated, scored and trained on, counts as 2.2 SFT sequences), and the test
    /// problems each evaluation decodes, times the square root of the model's parameters.
    /// Measured on the CPU study (2026-12-03, 2 cores, `--jobs 2`): an RFT cell took 2.2× an
    /// SFT cell of as many sequences, and tiny-500k 1.5–2.0× the time of tiny-125k for 4× the
    /// parameters (per-operation costs dominate models this small).
    pub fn estimated_work(&self) -> f64 {
        let sft = if self.runs_sft() {
            (self.sft.total_steps(self.train_size) as usize * self.sft.batch_examples) as f64
        } else {
            0.0
        };
        let (rl, evaluations) = if self.runs_rl() {
            let rollouts = self.rl.steps as usize * self.rl.prompts_per_step * self.rl.rollouts;
            (
                2.2 * rollouts as f64,
                1 + self.rl.steps / self.test_freq.max(1),
            )
        } else {
            (0.0, 2)
        };
        let decoded = (evaluations as usize * self.test_size) as f64;
        let parameters = presets::by_name(&self.model)
            .map(|shape| shape.num_parameters())
            .unwrap_or(1);
        (sft + rl + decoded) * (parameters as f64).sqrt()
    }
}

/// Whether `method` begins with an SFT stage.
pub fn runs_sft(method: &str) -> bool {
    matches!(method, "sft" | "sft_rft")
}

/// The generators' options: the official ones with the cell's sizes.
pub fn task_options(cell: &Cell) -> TaskOptions {
    let int = |name| cell.get(name).as_int();
    TaskOptions {
        countdown: CountdownOptions {
            min_numbers: int("countdown_min_numbers") as usize,
            max_numbers: int("countdown_max_numbers") as usize,
            number_range: (1, int("countdown_max_value")),
            target_range: (10, int("countdown_max_target")),
            template: match cell.get("prompt_template").as_str() {
                "short" => crate::tasks::prompt::Template::Short,
                _ => crate::tasks::prompt::Template::Official,
            },
            ..CountdownOptions::default()
        },
        logic: LogicOptions::with_people(
            int("logic_min_people") as usize,
            int("logic_max_people") as usize,
        ),
    }
}

/// `--steps N` / `--limit N`, for a smoke run of a file written for a longer one: at most N RL
/// steps and N SFT steps, with T_hint and the evaluation and checkpoint intervals shrunk by the
/// same factor (so the schedule keeps its shape), and at most N test problems.
pub fn scale_down(
    params: &mut std::collections::BTreeMap<&'static str, crate::experiment::Value>,
    steps: Option<i64>,
    limit: Option<i64>,
) {
    use crate::experiment::Value;
    if let Some(n) = steps {
        let old = params["steps"].as_int();
        if n < old {
            let scaled =
                |v: i64| ((v as f64 * n as f64 / old as f64).round() as i64).clamp(1, n.max(1));
            for name in ["t_hint", "test_freq", "save_freq"] {
                let v = scaled(params[name].as_int());
                params.insert(name, Value::Int(v));
            }
            params.insert("steps", Value::Int(n));
        }
        let sft = params["sft_max_steps"].as_int().min(n.max(1));
        params.insert("sft_max_steps", Value::Int(sft));
    }
    if let Some(n) = limit {
        let size = params["test_size"].as_int().min(n.max(1));
        params.insert("test_size", Value::Int(size));
    }
}

/// Whether a `model_path` names a llama.cpp GGUF file (imported into a model folder before use).
pub fn is_gguf(path: &std::path::Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gguf"))
}

/// A model folder (or GGUF file) is complete and has the shapes of preset `model` (checked before a run, and
/// again when a seed loads it).
pub fn check_model_folder(model: &str, dir: &std::path::Path) -> anyhow::Result<()> {
    if is_gguf(dir) {
        let file = crate::model::gguf::GgufFile::open(dir)?;
        let config = crate::model::gguf::hparams::model_config(&file)
            .map_err(|e| e.context(format!("in {}", dir.display())))?;
        return presets::check_folder(model, &config, dir);
    }
    let (config, _) = crate::model::checkpoint::check_folder(dir)?;
    presets::check_folder(model, &config, &dir.join("config.json"))?;
    let weights = ["model.safetensors", "model.safetensors.index.json"];
    if !weights.iter().any(|w| dir.join(w).exists()) {
        anyhow::bail!(
            "{} is missing: a model folder needs its weights (or their index)",
            dir.join(weights[0]).display()
        );
    }
    Ok(())
}

/// Checks that involve several parameters of one cell (run by `repro check` and `repro run`).
pub fn check_cell(cell: &Cell) -> Result<(), (&'static str, String)> {
    let config = FineTuneConfig::from_cell(cell, 0);
    if config.runs_rl() {
        config
            .rl
            .validate(config.train_size)
            .map_err(|e| ("prompts_per_step", e.to_string()))?;
        if config.rl.rollouts == 1 {
            return Err((
                "rollouts",
                "one rollout per prompt makes every GRPO advantage 0 (a group is normalised \
                 against itself), so RL would learn nothing: use at least 2"
                    .into(),
            ));
        }
    }
    if config.runs_sft() {
        config
            .sft
            .validate(config.train_size)
            .map_err(|e| ("sft_batch", e.to_string()))?;
    }
    if config.rl.steps > 0 && matches!(config.method.as_str(), "uft" | "rft_cosine" | "stage") {
        let t_hint = cell.get("t_hint").as_int() as u64;
        if t_hint > config.rl.steps {
            return Err((
                "t_hint",
                format!("T_hint = {t_hint} exceeds the {} RL steps", config.rl.steps),
            ));
        }
    }
    for (fewest, most) in [
        ("logic_min_people", "logic_max_people"),
        ("countdown_min_numbers", "countdown_max_numbers"),
    ] {
        let (low, high) = (cell.get(fewest).as_int(), cell.get(most).as_int());
        if low > high {
            return Err((fewest, format!("{low} exceeds {most} = {high}")));
        }
    }
    let countdown = task_options(cell).countdown;
    if let Err(why) = countdown.check_solvable() {
        return Err(("countdown_max_target", why));
    }
    if cell.get("p_low").as_float() > cell.get("p_high").as_float() {
        return Err(("p_low", "p_low exceeds p_high".into()));
    }
    if config.init == Init::Random && !presets::is_tiny(&config.model) {
        return Err((
            "model",
            format!(
                "{} starts from its released weights: set init = \"pretrained\" (and models_dir)",
                config.model
            ),
        ));
    }
    let model_path = cell.get("model_path").as_str();
    if !model_path.is_empty() {
        if config.init == Init::Random {
            return Err((
                "model_path",
                "a model folder is a starting point: set init = \"pretrained\" with it".into(),
            ));
        }
        // A path that is not there yet is for `repro run`'s preflight to report (with how to
        // get it), so `repro check` still validates a file whose model is elsewhere.
        let path = std::path::Path::new(model_path);
        if path.exists() {
            check_model_folder(&config.model, path)
                .map_err(|e| ("model_path", format!("{e:#}")))?;
        }
    }
    if matches!(config.init, Init::Pretrained(_))
        && (config.task == "logic" || config.benchmarks == Benchmarks::Generated)
    {
        return Err((
            "task",
            "the tiny base models' corpus holds Countdown only (Knights and Knaves has no easier \
             size to pretrain on): train and score them on countdown, with benchmarks = \"own\", \
             or start from init = \"random\""
                .into(),
        ));
    }
    if config.data_dir.is_none()
        && (config.task == "math" || config.benchmarks == Benchmarks::Table2)
    {
        return Err((
            "data_dir",
            "MATH and the Table 2 and §8 benchmarks are not generated: set data_dir to the official files"
                .into(),
        ));
    }
    Ok(())
}
