//! `repro model speed`: the time of one no-grad forward at a fixed shape on fixed tokens, so
//! forward-only speed can be compared with other tools (`scripts/bench_vs_torch.py`) and across
//! commits (the criterion benchmarks in `benches/model.rs` use the same token rows).

use std::path::Path;
use std::time::Instant;

use anyhow::{Result, bail};

use super::batch::{Inputs, right_pad};
use super::checkpoint;
use super::device::DeviceKind;

/// Fixed pseudo-random token rows (a 64-bit linear congruential sequence, Knuth's MMIX
/// constants), identical across commits and reproducible in any language.
pub fn fixed_token_rows(batch: usize, len: usize, vocab: usize, salt: u64) -> Vec<Vec<u32>> {
    let mut state = 0x2545_f491_4f6c_dd1d ^ salt;
    (0..batch)
        .map(|_| {
            (0..len)
                .map(|_| {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    ((state >> 33) % vocab as u64) as u32
                })
                .collect()
        })
        .collect()
}

/// One warm-up forward, then `repeat` timed ones over `batch × len` tokens (salt 1): a JSON
/// line `{"batch", "len", "tokens_per_second", "seconds": [...]}`.
pub fn speed_command(
    model: &Path,
    batch: usize,
    len: usize,
    repeat: usize,
    device: DeviceKind,
) -> Result<String> {
    if batch == 0 || len == 0 || repeat == 0 {
        bail!("--batch, --len and --repeat must be at least 1");
    }
    let device = device.device()?;
    let (_, transformer) = checkpoint::load_with_tokenizer(model, &device)?;
    let rows = fixed_token_rows(batch, len, transformer.config().vocab_size, 1);
    let (tokens, valid) = right_pad(&rows, 0);
    let forward = || {
        let started = Instant::now();
        transformer
            .forward(Inputs::full(&tokens, &valid, &device))
            .into_data();
        started.elapsed().as_secs_f64()
    };
    forward();
    let seconds: Vec<f64> = (0..repeat).map(|_| forward()).collect();
    let mut sorted = seconds.clone();
    sorted.sort_by(f64::total_cmp);
    let median = crate::plot::series::median(&sorted);
    Ok(serde_json::json!({
        "batch": batch,
        "len": len,
        "tokens_per_second": (batch * len) as f64 / median,
        "seconds": seconds,
    })
    .to_string()
        + "\n")
}

#[cfg(test)]
mod tests {
    use super::fixed_token_rows;

    #[test]
    fn fixed_token_rows_are_the_documented_sequence() {
        let rows = fixed_token_rows(2, 3, 1000, 1);
        // The same sequence computed in Python (scripts/bench_vs_torch.py's `fixed_tokens`).
        assert_eq!(rows, [[118, 433, 290], [77, 927, 970]]);
        assert_eq!(rows, fixed_token_rows(2, 3, 1000, 1));
        assert_ne!(rows, fixed_token_rows(2, 3, 1000, 2));
    }
}
