//! The model is the model people think it is: tiny random Qwen2 and Llama checkpoints made by
//! Hugging Face transformers (`scripts/make_parity_fixture.py`) give the same logits (max |Δ| <
//! 1e-4) and the same greedy tokens in repro, one prompt at a time and left-padded in a batch,
//! with and without the KV cache. Also: bf16 and sharded checkpoints load, a checkpoint saved by
//! repro reloads bit for bit, and a missing or mis-shaped tensor is named in the error.

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use repro::model::batch::{Inputs, left_pad};
use repro::model::checkpoint;
use repro::model::generate::{GenerateOptions, generate};
use repro::model::sampling::Sampling;
use repro::model::tokenizer::Tokenizer;
use repro::model::weights::SaveDtype;
use repro::model::{DeviceKind, Transformer};
use safetensors::SafeTensors;
use serde_json::Value;

use crate::scratch;

/// The CPU unless `REPRO_DEVICE` names another backend (`REPRO_DEVICE=wgpu cargo test --features wgpu`).
fn device() -> Device {
    std::env::var("REPRO_DEVICE")
        .map_or(Ok(DeviceKind::Cpu), |name| name.parse())
        .and_then(DeviceKind::device)
        .unwrap()
}

const ARCHITECTURES: [&str; 2] = ["qwen2", "llama"];

fn fixture(arch: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/parity")
        .join(arch)
}

struct Expected {
    prompts: Vec<String>,
    input_ids: Vec<Vec<u32>>,
    greedy: Vec<Vec<u32>>,
    /// Per prompt: [len × vocab] row-major.
    logits: Vec<Vec<f32>>,
}

fn expected(arch: &str) -> Expected {
    let dir = fixture(arch);
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let ids = |key: &str| -> Vec<Vec<u32>> { serde_json::from_value(json[key].clone()).unwrap() };
    let bytes = std::fs::read(dir.join("expected_logits.safetensors")).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let prompts: Vec<String> = serde_json::from_value(json["prompts"].clone()).unwrap();
    let logits = (0..prompts.len())
        .map(|i| {
            let view = st.tensor(&format!("logits.{i}")).unwrap();
            view.data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect()
        })
        .collect();
    Expected {
        prompts,
        input_ids: ids("input_ids"),
        greedy: ids("greedy"),
        logits,
    }
}

fn logits_of(model: &Transformer, rows: &[Vec<u32>], device: &Device) -> Vec<f32> {
    let (tokens, valid) = left_pad(rows, 0);
    model
        .forward(Inputs::full(&tokens, &valid, device))
        .try_into_vec_as::<f32>()
        .unwrap()
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn greedy(max_new_tokens: usize, use_cache: bool) -> GenerateOptions {
    GenerateOptions {
        max_new_tokens,
        sampling: Sampling::GREEDY,
        stop_tokens: vec![],
        pad_token: 0,
        seed: 0,
        use_cache,
    }
}

#[test]
fn the_tokenizer_gives_the_transformers_token_ids() {
    for arch in ARCHITECTURES {
        let tokenizer = Tokenizer::from_model_dir(&fixture(arch)).unwrap();
        let expected = expected(arch);
        for (prompt, ids) in expected.prompts.iter().zip(&expected.input_ids) {
            assert_eq!(
                &tokenizer.encode(prompt).unwrap(),
                ids,
                "{arch}: {prompt:?}"
            );
            assert_eq!(&tokenizer.decode(ids).unwrap(), prompt);
        }
    }
}

#[test]
fn logits_match_transformers_one_prompt_at_a_time_and_left_padded() {
    let device = device();
    for arch in ARCHITECTURES {
        let model = checkpoint::load(&fixture(arch), &device).unwrap();
        let expected = expected(arch);
        let vocab = model.config().vocab_size;
        for (ids, want) in expected.input_ids.iter().zip(&expected.logits) {
            let got = logits_of(&model, std::slice::from_ref(ids), &device);
            let diff = max_abs_diff(&got, want);
            println!("{arch}: {} tokens, max |Δ logit| = {diff:e}", ids.len());
            assert!(diff < 1e-4, "{arch}: max |Δ logit| = {diff:e} for {ids:?}");
        }
        // All four prompts in one left-padded batch: each row's real positions must agree too.
        let got = logits_of(&model, &expected.input_ids, &device);
        let width = expected.input_ids.iter().map(Vec::len).max().unwrap();
        for (row, (ids, want)) in expected.input_ids.iter().zip(&expected.logits).enumerate() {
            let start = (row * width + width - ids.len()) * vocab;
            let diff = max_abs_diff(&got[start..start + ids.len() * vocab], want);
            assert!(
                diff < 1e-4,
                "{arch}: padded row {row}: max |Δ logit| = {diff:e}"
            );
        }
    }
}

#[test]
fn greedy_tokens_match_transformers_with_and_without_the_cache() {
    let device = device();
    for arch in ARCHITECTURES {
        let model = checkpoint::load(&fixture(arch), &device).unwrap();
        let expected = expected(arch);
        for use_cache in [true, false] {
            // Batched (left-padded prompts of 3 to 19 tokens) and one prompt at a time.
            let batched = generate(&model, &expected.input_ids, &greedy(12, use_cache), &device);
            for (completion, want) in batched.iter().zip(&expected.greedy) {
                assert_eq!(
                    &completion.tokens, want,
                    "{arch}, cache {use_cache}, batched"
                );
            }
            // Repeated prompts (the rollouts of one GRPO prompt share a prefill).
            let picks = [1, 1, 3, 1];
            let repeated: Vec<Vec<u32>> = picks
                .iter()
                .map(|&i| expected.input_ids[i].clone())
                .collect();
            let out = generate(&model, &repeated, &greedy(12, use_cache), &device);
            for (completion, i) in out.iter().zip(picks) {
                assert_eq!(
                    completion.tokens, expected.greedy[i],
                    "{arch}, cache {use_cache}, repeated"
                );
            }
            let single = generate(
                &model,
                &expected.input_ids[..1],
                &greedy(12, use_cache),
                &device,
            );
            assert_eq!(
                single[0].tokens, expected.greedy[0],
                "{arch}, cache {use_cache}, alone"
            );
        }
    }
}

#[test]
fn generation_stops_at_a_stop_token_and_reports_log_probabilities() {
    let device = device();
    let model = checkpoint::load(&fixture("qwen2"), &device).unwrap();
    let expected = expected("qwen2");
    // Make the fourth greedy token of prompt 0 a stop token: the row ends there.
    let stop = expected.greedy[0][3];
    let options = GenerateOptions {
        stop_tokens: vec![stop],
        ..greedy(12, true)
    };
    let out = generate(&model, &expected.input_ids, &options, &device);
    let first_stop = expected.greedy[0].iter().position(|&t| t == stop).unwrap();
    assert_eq!(out[0].tokens, expected.greedy[0][..=first_stop]);
    assert!(out[0].stopped);
    // Greedy log-probabilities are log-softmax of the logits at T = 1: check the first token
    // against the last row of the transformers logits.
    let vocab = model.config().vocab_size;
    let last = &expected.logits[0][(expected.input_ids[0].len() - 1) * vocab..];
    let max = last.iter().copied().fold(f32::MIN, f32::max);
    let log_z = max + last.iter().map(|l| (l - max).exp()).sum::<f32>().ln();
    let want = last[expected.greedy[0][0] as usize] - log_z;
    assert!(
        (out[0].logprobs[0] - want).abs() < 1e-4,
        "{} vs {want}",
        out[0].logprobs[0]
    );
}

#[test]
fn sampling_is_deterministic_per_seed_and_independent_of_the_batch() {
    let device = device();
    let model = checkpoint::load(&fixture("llama"), &device).unwrap();
    let prompts = expected("llama").input_ids;
    let options = |seed| GenerateOptions {
        sampling: Sampling::at_temperature(1.0),
        seed,
        ..greedy(10, true)
    };
    let first = generate(&model, &prompts, &options(7), &device);
    assert_eq!(first, generate(&model, &prompts, &options(7), &device));
    assert_ne!(first, generate(&model, &prompts, &options(8), &device));
    // Row 0 alone draws from the same stream as row 0 of the batch.
    assert_eq!(
        generate(&model, &prompts[..1], &options(7), &device)[0].tokens,
        first[0].tokens
    );
    // The cached and uncached paths sample the same tokens.
    let uncached = GenerateOptions {
        use_cache: false,
        ..options(7)
    };
    assert_eq!(
        generate(&model, &prompts, &uncached, &device)[0].tokens,
        first[0].tokens
    );
}

#[test]
fn a_saved_checkpoint_reloads_bit_for_bit_and_bf16_stays_close() {
    let device = device();
    let dir = scratch("save-reload");
    for arch in ARCHITECTURES {
        let model = checkpoint::load(&fixture(arch), &device).unwrap();
        let ids = expected(arch).input_ids;
        let reference = logits_of(&model, &ids, &device);
        let f32_dir = dir.join(format!("{arch}-f32"));
        checkpoint::save(&model, &f32_dir, SaveDtype::F32).unwrap();
        let reloaded = checkpoint::load(&f32_dir, &device).unwrap();
        assert_eq!(logits_of(&reloaded, &ids, &device), reference, "{arch}");
        assert_eq!(reloaded.config(), model.config());
        let bf16_dir = dir.join(format!("{arch}-bf16"));
        checkpoint::save(&model, &bf16_dir, SaveDtype::BF16).unwrap();
        let diff = max_abs_diff(
            &logits_of(
                &checkpoint::load(&bf16_dir, &device).unwrap(),
                &ids,
                &device,
            ),
            &reference,
        );
        // bf16 keeps 8 bits of mantissa (relative error ≤ 2⁻⁹ per weight); logits here have std ≈ 1.6.
        assert!(
            diff > 0.0 && diff < 0.3,
            "{arch}: bf16 max |Δ logit| = {diff}"
        );
    }
}

/// Rewrites a fixture's tensors into `dir` through `edit`, as one file or as shards with an index.
fn rewrite(
    arch: &str,
    dir: &Path,
    shards: usize,
    edit: impl Fn(&str, Vec<usize>, Vec<u8>) -> Option<(Vec<usize>, Vec<u8>)>,
) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::copy(fixture(arch).join("config.json"), dir.join("config.json")).unwrap();
    let bytes = std::fs::read(fixture(arch).join("model.safetensors")).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut names: Vec<String> = st.names().into_iter().map(str::to_string).collect();
    names.sort();
    let tensors: Vec<(String, Vec<usize>, Vec<u8>)> = names
        .iter()
        .filter_map(|name| {
            let view = st.tensor(name).unwrap();
            edit(name, view.shape().to_vec(), view.data().to_vec())
                .map(|(shape, data)| (name.clone(), shape, data))
        })
        .collect();
    let per_shard = tensors.len().div_ceil(shards);
    let mut weight_map = serde_json::Map::new();
    for (index, chunk) in tensors.chunks(per_shard).enumerate() {
        let file = if shards == 1 {
            "model.safetensors".to_string()
        } else {
            format!("model-{:05}-of-{shards:05}.safetensors", index + 1)
        };
        let views: Vec<(String, safetensors::tensor::TensorView)> = chunk
            .iter()
            .map(|(name, shape, data)| {
                weight_map.insert(name.clone(), Value::String(file.clone()));
                (
                    name.clone(),
                    safetensors::tensor::TensorView::new(
                        safetensors::Dtype::F32,
                        shape.clone(),
                        data,
                    )
                    .unwrap(),
                )
            })
            .collect();
        safetensors::serialize_to_file(views, None, &dir.join(&file)).unwrap();
    }
    if shards > 1 {
        let index = serde_json::json!({"metadata": {}, "weight_map": weight_map});
        std::fs::write(dir.join("model.safetensors.index.json"), index.to_string()).unwrap();
    }
}

#[test]
fn a_sharded_checkpoint_loads_to_the_same_model() {
    let device = device();
    let dir = scratch("sharded").join("qwen2");
    rewrite("qwen2", &dir, 3, |_, shape, data| Some((shape, data)));
    assert!(dir.join("model-00003-of-00003.safetensors").exists());
    let ids = expected("qwen2").input_ids;
    let whole = checkpoint::load(&fixture("qwen2"), &device).unwrap();
    let sharded = checkpoint::load(&dir, &device).unwrap();
    assert_eq!(
        logits_of(&sharded, &ids, &device),
        logits_of(&whole, &ids, &device)
    );
}

#[test]
fn a_missing_or_misshaped_tensor_is_named_in_the_error() {
    let device = device();
    let root = scratch("bad-checkpoints");
    let missing = root.join("missing");
    rewrite("qwen2", &missing, 1, |name, shape, data| {
        (name != "model.layers.1.self_attn.k_proj.bias").then_some((shape, data))
    });
    let error = format!("{:#}", checkpoint::load(&missing, &device).err().unwrap());
    assert!(
        error.contains("`model.layers.1.self_attn.k_proj.bias`") && error.contains("missing"),
        "{error}"
    );

    let misshaped = root.join("misshaped");
    rewrite("qwen2", &misshaped, 1, |name, shape, data| {
        Some(if name == "model.layers.0.mlp.up_proj.weight" {
            (vec![shape[1], shape[0]], data)
        } else {
            (shape, data)
        })
    });
    let error = format!("{:#}", checkpoint::load(&misshaped, &device).err().unwrap());
    assert!(
        error.contains("`model.layers.0.mlp.up_proj.weight`")
            && error.contains("[64, 128]")
            && error.contains("[128, 64]"),
        "{error}"
    );

    let extra = root.join("extra");
    rewrite("llama", &extra, 1, |_, shape, data| Some((shape, data)));
    let config = std::fs::read_to_string(extra.join("config.json"))
        .unwrap()
        .replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 1");
    std::fs::write(extra.join("config.json"), config).unwrap();
    let error = format!("{:#}", checkpoint::load(&extra, &device).err().unwrap());
    assert!(
        error.contains("does not use") && error.contains("model.layers.1."),
        "{error}"
    );

    let empty = root.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    std::fs::copy(
        fixture("llama").join("config.json"),
        empty.join("config.json"),
    )
    .unwrap();
    let error = format!("{:#}", checkpoint::load(&empty, &device).err().unwrap());
    assert!(
        error.contains("no weights in") && error.contains("config.json"),
        "{error}"
    );
}
