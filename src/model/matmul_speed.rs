//! `repro model matmul-speed`: the time of one f32 matrix product `[m, k] × [k, n]` through
//! burn's `matmul` on the chosen device (on the CPU, burn-flex calling the `gemm` crate), or, for
//! a shape with a batch, `[b, m, k] × [k, n]` through burn's `linear`, as a model's layers
//! compute it (burn then folds the batch into the rows or runs `b` products, by its own rule),
//! so that a kernel can be compared with another tool's at the exact shapes of a training step
//! (`scripts/bench_vs_torch.py`, its `matmul` rows).

use std::time::Instant;

use anyhow::{Context, Result, bail};

use burn::tensor::module::linear;
use burn::tensor::{Device, Tensor, TensorData};

use super::device::DeviceKind;
use super::speed::median_seconds;

/// One product's shape: `[m, k] × [k, n]`, or `[batch, m, k] × [k, n]` (a linear layer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub batch: Option<usize>,
    pub m: usize,
    pub k: usize,
    pub n: usize,
}

impl Shape {
    /// Multiply-adds count twice: `2 b m k n`.
    pub fn flops(&self) -> f64 {
        2.0 * (self.batch.unwrap_or(1) * self.m * self.k * self.n) as f64
    }
}

/// Parses `MxKxN` (e.g. `1808x256x768`) or `BxMxKxN` (e.g. `8x226x256x768`).
pub fn parse_shape(text: &str) -> Result<Shape> {
    let dims: Vec<&str> = text.split('x').collect();
    let (batch, [m, k, n]) = match dims.as_slice() {
        [m, k, n] => (None, [m, k, n]),
        [b, m, k, n] => (Some(b), [m, k, n]),
        _ => bail!("matmul shape {text:?}: write it as MxKxN or BxMxKxN, e.g. 1808x256x768"),
    };
    let dim = |name: &str, value: &str| -> Result<usize> {
        let parsed: usize = value.trim().parse().with_context(|| {
            format!("matmul shape {text:?}: {name} = {value:?} is not a whole number")
        })?;
        if parsed == 0 {
            bail!("matmul shape {text:?}: {name} must be at least 1");
        }
        Ok(parsed)
    };
    let shape = Shape {
        batch: batch.map(|b| dim("B", b)).transpose()?,
        m: dim("M", m)?,
        k: dim("K", k)?,
        n: dim("N", n)?,
    };
    let rows = shape.batch.unwrap_or(1).saturating_mul(shape.m);
    let largest = [
        rows.saturating_mul(shape.k),
        shape.k.saturating_mul(shape.n),
        rows.saturating_mul(shape.n),
    ]
    .into_iter()
    .max()
    .unwrap_or(0);
    if largest > MAX_OPERAND_ELEMENTS {
        bail!(
            "matmul shape {text:?}: an operand of {largest} f32 values ({:.1} GiB) is larger \
             than the 1 GiB per operand this command allows; choose smaller dimensions",
            largest as f64 * 4.0 / (1u64 << 30) as f64
        );
    }
    Ok(shape)
}

/// The largest input or output a product may have: 1 GiB of f32.
const MAX_OPERAND_ELEMENTS: usize = 1 << 28;

/// Fixed values in [−1, 1), the same for every run.
fn fixed_matrix(rows: usize, cols: usize, salt: usize, device: &Device) -> Tensor<2> {
    let values: Vec<f32> = (0..rows * cols)
        .map(|i| ((i.wrapping_mul(7919) ^ salt) % 1000) as f32 / 500.0 - 1.0)
        .collect();
    Tensor::from_data(TensorData::new(values, [rows, cols]), device)
}

/// Untimed products before the timed ones: the first products of a process run slower (rayon
/// starting its threads, the allocator taking fresh memory).
const WARM_UP: usize = 5;

/// The seconds of `repeat` products after `WARM_UP` untimed ones. Each ends when one element of
/// its output is on the host: the whole product has then been computed (a GPU's queued work
/// included), and the time holds no copy of the output, as torch's `a @ b` holds none.
fn product_seconds(shape: Shape, repeat: usize, device: &Device) -> Vec<f64> {
    let rows = shape.batch.unwrap_or(1) * shape.m;
    let a = fixed_matrix(rows, shape.k, 1, device);
    let b = fixed_matrix(shape.k, shape.n, 2, device);
    let product = || {
        let started = Instant::now();
        match shape.batch {
            None => {
                let out = a.clone().matmul(b.clone());
                out.slice([0..1, 0..1]).into_data();
            }
            Some(batch) => {
                let x = a.clone().reshape([batch, shape.m, shape.k]);
                let out = linear(x, b.clone(), None);
                out.slice([0..1, 0..1, 0..1]).into_data();
            }
        }
        started.elapsed().as_secs_f64()
    };
    for _ in 0..WARM_UP {
        product();
    }
    (0..repeat).map(|_| product()).collect()
}

/// One JSON line per shape: `{"batch", "m", "k", "n", "seconds": [...], "gflops"}` (GFLOP/s of
/// the median; `batch` is null for a plain product).
pub fn matmul_speed_command(
    shapes: &[String],
    repeat: usize,
    device: DeviceKind,
) -> Result<String> {
    if shapes.is_empty() {
        bail!("--shapes needs at least one MxKxN");
    }
    if repeat == 0 {
        bail!("--repeat must be at least 1");
    }
    let shapes = shapes
        .iter()
        .map(|text| parse_shape(text))
        .collect::<Result<Vec<_>>>()?;
    let device = device.device()?;
    let mut out = String::new();
    for shape in shapes {
        let seconds = product_seconds(shape, repeat, &device);
        let median = median_seconds(&seconds);
        let line = serde_json::json!({
            "batch": shape.batch,
            "m": shape.m,
            "k": shape.k,
            "n": shape.n,
            "seconds": seconds,
            "gflops": shape.flops() / median / 1e9,
        });
        out += &(line.to_string() + "\n");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shape_is_read_as_m_by_k_by_n() {
        assert_eq!(
            parse_shape("1808x256x768").unwrap(),
            Shape {
                batch: None,
                m: 1808,
                k: 256,
                n: 768
            }
        );
        assert_eq!(parse_shape("8x226x256x768").unwrap().batch, Some(8));
        assert_eq!(parse_shape("2x2x3x4").unwrap().flops(), 96.0);
        assert_eq!(parse_shape("2x3x4").unwrap().flops(), 48.0);
    }

    #[test]
    fn a_malformed_shape_is_refused_with_what_to_write() {
        for (text, expected) in [
            ("1808x256", "write it as MxKxN"),
            ("1808x256x768x2x1", "write it as MxKxN"),
            ("0x1808x256x768", "B must be at least 1"),
            ("100000x100000x100000", "choose smaller dimensions"),
            ("1808xbx768", "K = \"b\" is not a whole number"),
            ("0x256x768", "M must be at least 1"),
        ] {
            let error = format!("{:#}", parse_shape(text).unwrap_err());
            assert!(error.contains(expected), "{text}: {error}");
        }
    }

    #[test]
    fn every_shape_gets_its_line_with_the_median_rate() {
        let shapes = [
            "3x4x5".to_string(),
            "1x1x1".to_string(),
            "2x3x4x5".to_string(),
        ];
        let out = matmul_speed_command(&shapes, 3, DeviceKind::Cpu).unwrap();
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[2]["batch"].as_u64(), Some(2));
        assert!(lines[0]["batch"].is_null());
        assert_eq!(
            (
                lines[0]["m"].as_u64(),
                lines[0]["k"].as_u64(),
                lines[0]["n"].as_u64()
            ),
            (Some(3), Some(4), Some(5))
        );
        assert_eq!(lines[1]["seconds"].as_array().unwrap().len(), 3);
        assert!(lines[0]["gflops"].as_f64().unwrap() > 0.0);
        assert!(matmul_speed_command(&[], 3, DeviceKind::Cpu).is_err());
        assert!(matmul_speed_command(&shapes, 0, DeviceKind::Cpu).is_err());
    }
}
