//! Throughput of the model stack on fixed inputs: forward tokens/s, generation tokens/s at batch
//! 1/16/64 with and without the KV cache, and one forward+backward+AdamW step, for the tiny
//! presets and for a Qwen2.5-0.5B-shaped model with random weights; and an f32 matmul as the
//! machine's reference peak, measured in the same run.
//!
//! `cargo bench --bench model` (all), `cargo bench --bench model -- tiny` (skip the 0.5B model).
//! Achieved FLOP/s = tokens/s × `ModelConfig::flops_per_token` (2 × weights touched per token).

use std::time::{Duration, Instant};

use burn::module::Module;
use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::{Device, Tensor, TensorData};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use repro::model::batch::{Inputs, right_pad};
use repro::model::generate::{GenerateOptions, generate};
use repro::model::logprobs::token_logprobs;
use repro::model::presets;
use repro::model::sampling::Sampling;
// Fixed pseudo-random token rows, identical across commits (shared with `repro model speed`).
use repro::model::speed::fixed_token_rows as token_rows;
use repro::model::weights::RandomInit;
use repro::model::{DeviceKind, ModelConfig, Transformer};

/// The CPU unless `REPRO_DEVICE` names another backend (`REPRO_DEVICE=cuda cargo bench
/// --features cuda --bench model`).
fn device() -> Device {
    std::env::var("REPRO_DEVICE")
        .map_or(Ok(DeviceKind::Cpu), |name| name.parse())
        .and_then(DeviceKind::device)
        .expect("a usable device")
}

fn model(config: &ModelConfig, device: &Device) -> Transformer {
    Transformer::build(config, &mut RandomInit::new(0), device).expect("a preset builds")
}

fn options(max_new_tokens: usize, use_cache: bool) -> GenerateOptions {
    // Sampled at T = 1 from random weights: rows rarely hit token 0, and no stop token is set,
    // so every row generates exactly `max_new_tokens`.
    GenerateOptions {
        max_new_tokens,
        sampling: Sampling::at_temperature(1.0),
        stop_tokens: vec![],
        pad_token: 0,
        seed: 0,
        use_cache,
    }
}

fn matmul_peak(c: &mut Criterion) {
    let device = device();
    let n: usize = 1024;
    let values: Vec<f32> = (0..n * n)
        .map(|i| ((i * 7919) % 1000) as f32 / 1000.0)
        .collect();
    let a = Tensor::<2>::from_data(TensorData::new(values.clone(), [n, n]), &device);
    let b = Tensor::<2>::from_data(TensorData::new(values, [n, n]), &device);
    let mut group = c.benchmark_group("matmul");
    group.throughput(Throughput::Elements((2 * n * n * n) as u64)); // FLOPs
    group.bench_function("f32_1024", |bench| {
        bench.iter(|| a.clone().matmul(b.clone()).into_data())
    });
    group.finish();
}

fn forward(c: &mut Criterion, name: &str, config: &ModelConfig, batch: usize, len: usize) {
    let device = device();
    let model = model(config, &device);
    let rows = token_rows(batch, len, config.vocab_size, 1);
    let (tokens, valid) = right_pad(&rows, 0);
    let mut group = c.benchmark_group(format!("{name}/forward"));
    group
        .sample_size(10)
        .throughput(Throughput::Elements((batch * len) as u64));
    group.bench_function(format!("{batch}x{len}"), |bench| {
        bench.iter(|| {
            model
                .forward(Inputs::full(&tokens, &valid, &device))
                .into_data()
        })
    });
    group.finish();
}

fn generation(
    c: &mut Criterion,
    name: &str,
    config: &ModelConfig,
    batches: &[usize],
    new_tokens: usize,
    caches: &[bool],
) {
    let device = device();
    let model = model(config, &device);
    let mut group = c.benchmark_group(format!("{name}/generate_{new_tokens}"));
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    for &batch in batches {
        let prompts = token_rows(batch, 16, config.vocab_size, 2);
        group.throughput(Throughput::Elements((batch * new_tokens) as u64));
        for &use_cache in caches {
            let label = if use_cache { "kv_cache" } else { "no_cache" };
            group.bench_with_input(
                BenchmarkId::new(label, batch),
                &prompts,
                |bench, prompts| {
                    bench.iter(|| {
                        generate(&model, prompts, &options(new_tokens, use_cache), &device)
                    })
                },
            );
        }
    }
    group.finish();
}

/// Forward, backward and an AdamW step on the token-mean negative log-likelihood (an SFT step).
fn train_step(c: &mut Criterion, name: &str, config: &ModelConfig, batch: usize, len: usize) {
    let device = device().autodiff();
    let mut model = Some(model(config, &device));
    let mut optimizer = AdamWConfig::new().init();
    let rows = token_rows(batch, len, config.vocab_size, 3);
    let mut group = c.benchmark_group(format!("{name}/train_step"));
    group
        .sample_size(10)
        .throughput(Throughput::Elements((batch * len) as u64));
    group.bench_function(format!("{batch}x{len}"), |bench| {
        bench.iter_custom(|iterations| {
            let started = Instant::now();
            for _ in 0..iterations {
                let current = model
                    .take()
                    .expect("the model is put back after every step");
                let scored = token_logprobs(&current, &rows, 0, 1.0, &device);
                let loss =
                    (scored.logprobs * scored.valid.clone()).sum().neg() / scored.valid.sum();
                let grads = GradientsParams::from_grads(loss.backward(), &current);
                model = Some(optimizer.step(1e-4, current, grads));
            }
            started.elapsed()
        })
    });
    group.finish();
    drop(model.map(|m| m.valid()));
}

/// Whether `REPRO_DEVICE` names a GPU backend: the GPU runs add the shapes a GPU is for
/// (generation at batch 64 for tiny-16m and the 0.5B model, larger 0.5B batches), which would
/// take minutes each on 2 CPU cores.
fn on_gpu() -> bool {
    std::env::var("REPRO_DEVICE").is_ok_and(|name| name != "cpu")
}

fn tiny(c: &mut Criterion) {
    matmul_peak(c);
    for name in ["tiny-1m", "tiny-4m", "tiny-16m"] {
        let config = presets::by_name(name).unwrap();
        forward(c, name, &config, 8, 128);
        train_step(c, name, &config, 8, 128);
    }
    let config = presets::by_name("tiny-4m").unwrap();
    generation(c, "tiny-4m", &config, &[1, 16, 64], 32, &[true, false]);
    generation(c, "tiny-4m", &config, &[16], 128, &[true, false]);
    if on_gpu() {
        let config = presets::by_name("tiny-16m").unwrap();
        generation(c, "tiny-16m", &config, &[64], 64, &[true]);
    }
}

fn qwen_05b(c: &mut Criterion) {
    let config = presets::by_name("qwen2.5-0.5b").unwrap();
    match on_gpu() {
        false => {
            forward(c, "qwen2.5-0.5b", &config, 1, 64);
            generation(c, "qwen2.5-0.5b", &config, &[1, 16], 16, &[true]);
            train_step(c, "qwen2.5-0.5b", &config, 1, 64);
        }
        true => {
            forward(c, "qwen2.5-0.5b", &config, 8, 512);
            generation(c, "qwen2.5-0.5b", &config, &[1, 16, 64], 64, &[true]);
            train_step(c, "qwen2.5-0.5b", &config, 8, 512);
        }
    }
}

criterion_group! {
    name = benches;
    // No report plots: they need a system font, and the figures that matter are printed.
    config = Criterion::default().without_plots();
    targets = tiny, qwen_05b
}
criterion_main!(benches);
