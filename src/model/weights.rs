//! Parameters by Hugging Face name: where they come from (a checkpoint folder, or a seeded
//! random initialisation), how they become burn modules, and how a model is written back as a
//! checkpoint that transformers can open.
//!
//! Hugging Face stores a linear layer's weight as `[out, in]`; burn's `Linear` holds `[in, out]`.
//! The transpose happens here, on the host, once per load or save.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use burn::module::Param;
use burn::nn::{Linear, RmsNorm};
use burn::tensor::{Device, Tensor, TensorData};
use memmap2::Mmap;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use safetensors::{Dtype, SafeTensors};

/// A float tensor on the host, row-major, in Hugging Face layout.
#[derive(Clone, Debug, PartialEq)]
pub struct HostTensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

impl HostTensor {
    /// Any float tensor, as it is laid out, read back from its device.
    pub fn of<const D: usize>(tensor: Tensor<D>) -> Result<Self> {
        let shape = tensor.dims().to_vec();
        Ok(HostTensor {
            shape,
            data: to_f32_vec(tensor)?,
        })
    }

    /// A burn `[in, out]` linear weight as Hugging Face's `[out, in]`.
    pub fn linear_weight(tensor: Tensor<2>) -> Result<Self> {
        let [d_in, d_out] = tensor.dims();
        Ok(HostTensor {
            shape: vec![d_out, d_in],
            data: transpose(&to_f32_vec(tensor)?, d_in, d_out),
        })
    }
}

/// A tensor's values on the host. Reading back can fail on a GPU (a driver fault, a lost
/// device): that is an error for the caller to name, not a panic.
fn to_f32_vec<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>> {
    tensor
        .try_into_vec_as::<f32>()
        .map_err(|e| anyhow::anyhow!("the device could not hand the tensor back: {e:?}"))
}

/// `[rows, cols]` row-major → `[cols, rows]` row-major.
fn transpose(data: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    transposed(|i| data[i], rows, cols)
}

/// The `[cols, rows]` row-major transpose of the `[rows, cols]` row-major matrix whose element
/// `i` is `value(i)`, in 32 × 32 tiles so that neither side is walked with a stride that misses
/// the cache on every element. Bands of 32 output rows are filled in parallel, so the first
/// touch of the fresh buffer (most of a load's time on a virtual machine that clears each new
/// page slowly) is shared by the pool's threads.
fn transposed(value: impl Fn(usize) -> f32 + Sync, rows: usize, cols: usize) -> Vec<f32> {
    const TILE: usize = 32;
    let mut out = vec![0.0; rows * cols];
    if rows == 0 {
        return out;
    }
    out.par_chunks_mut(TILE * rows)
        .enumerate()
        .for_each(|(band, out)| {
            let c0 = band * TILE;
            let c1 = (c0 + TILE).min(cols);
            for r0 in (0..rows).step_by(TILE) {
                for r in r0..(r0 + TILE).min(rows) {
                    for c in c0..c1 {
                        out[(c - c0) * rows + r] = value(r * cols + c);
                    }
                }
            }
        });
    out
}

/// Where parameters come from. `take` is asked once per name with the shape the config implies.
pub trait WeightSource {
    fn take(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f32>>;
    /// The `[rows, cols]` tensor `name` as `[cols, rows]`; a source that can convert and
    /// transpose in one pass overrides it.
    fn take_transposed(&mut self, name: &str, rows: usize, cols: usize) -> Result<Vec<f32>> {
        Ok(transpose(&self.take(name, &[rows, cols])?, rows, cols))
    }
    /// Called after the last `take`: an error for anything left over that would be silently ignored.
    fn finish(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Builds burn modules from a [`WeightSource`].
pub struct Builder<'a> {
    source: &'a mut dyn WeightSource,
    device: Device,
}

impl<'a> Builder<'a> {
    pub fn new(source: &'a mut dyn WeightSource, device: &Device) -> Self {
        Builder {
            source,
            device: device.clone(),
        }
    }

    /// A `[rows, cols]` matrix stored as is (the embedding).
    pub fn matrix(&mut self, name: &str, rows: usize, cols: usize) -> Result<Param<Tensor<2>>> {
        let data = self.source.take(name, &[rows, cols])?;
        Ok(Param::from_tensor(Tensor::from_data(
            TensorData::new(data, [rows, cols]),
            &self.device,
        )))
    }

    fn vector(&mut self, name: &str, len: usize) -> Result<Param<Tensor<1>>> {
        let data = self.source.take(name, &[len])?;
        Ok(Param::from_tensor(Tensor::from_data(
            TensorData::new(data, [len]),
            &self.device,
        )))
    }

    /// `{name}.weight` as `[d_out, d_in]` (and `{name}.bias`), held by burn as `[d_in, d_out]`.
    pub fn linear(&mut self, name: &str, d_in: usize, d_out: usize, bias: bool) -> Result<Linear> {
        let weight = self
            .source
            .take_transposed(&format!("{name}.weight"), d_out, d_in)?;
        let weight = TensorData::new(weight, [d_in, d_out]);
        let bias = match bias {
            true => Some(self.vector(&format!("{name}.bias"), d_out)?),
            false => None,
        };
        Ok(Linear {
            weight: Param::from_tensor(Tensor::from_data(weight, &self.device)),
            bias,
        })
    }

    pub fn rms_norm(&mut self, name: &str, d: usize, epsilon: f64) -> Result<RmsNorm> {
        Ok(RmsNorm {
            gamma: self.vector(&format!("{name}.weight"), d)?,
            epsilon,
        })
    }

    pub fn finish(self) -> Result<()> {
        self.source.finish()
    }
}

/// Seeded random initialisation as transformers does it: weights ~ N(0, 0.02²)
/// (`initializer_range`), biases 0, norm scales 1.
pub struct RandomInit {
    rng: ChaCha8Rng,
    std: f32,
}

impl RandomInit {
    pub fn new(seed: u64) -> Self {
        RandomInit {
            rng: ChaCha8Rng::seed_from_u64(seed),
            std: 0.02,
        }
    }
}

impl WeightSource for RandomInit {
    fn take(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
        let len = shape.iter().product();
        Ok(if name.ends_with("norm.weight") {
            vec![1.0; len]
        } else if name.ends_with(".bias") {
            vec![0.0; len]
        } else {
            (0..len)
                .map(|_| self.std * standard_normal(&mut self.rng))
                .collect()
        })
    }
}

/// Box–Muller, one draw per call.
fn standard_normal(rng: &mut ChaCha8Rng) -> f32 {
    use rand::RngExt;
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random();
    ((-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()) as f32
}

/// The tensors of a Hugging Face checkpoint folder: `model.safetensors`, or the shards listed
/// in `model.safetensors.index.json`. Values are converted to f32 (from f32, bf16 or f16).
///
/// The files are memory-mapped, not read: their pages come from the page cache, and each tensor
/// is converted straight into the buffer the model keeps. Reading a 540 MB checkpoint into a
/// buffer and copying each tensor out of it again touched twice its size in fresh memory, which
/// a virtual machine can be slow to hand over (the kernel clears every new page).
pub struct CheckpointWeights {
    dir: PathBuf,
    files: Vec<(PathBuf, Mmap)>,
    /// name → where its bytes lie, converted to f32 when taken.
    tensors: BTreeMap<String, RawTensor>,
    tied_embeddings: bool,
}

struct RawTensor {
    /// Index into `files`.
    file: usize,
    dtype: Dtype,
    shape: Vec<usize>,
    bytes: Range<usize>,
}

/// Tensors a checkpoint may hold that the model does not use.
fn ignorable(name: &str) -> bool {
    name.ends_with("rotary_emb.inv_freq")
}

impl CheckpointWeights {
    pub fn open(dir: &Path, tied_embeddings: bool) -> Result<Self> {
        let mut files = Vec::new();
        let mut tensors = BTreeMap::new();
        for path in checkpoint_files(dir)? {
            let file =
                File::open(&path).with_context(|| format!("cannot read {}", path.display()))?;
            // SAFETY: the map is only read. Another process truncating the file while it is
            // mapped would fault the read (SIGBUS): checkpoints are not written in place
            // (`write_safetensors` renames a finished temporary file over the old one).
            let map = unsafe { Mmap::map(&file) }
                .with_context(|| format!("cannot read {}", path.display()))?;
            let st = SafeTensors::deserialize(&map)
                .with_context(|| format!("{} is not a valid safetensors file", path.display()))?;
            for (name, view) in st.tensors() {
                let start = view.data().as_ptr() as usize - map.as_ptr() as usize;
                let raw = RawTensor {
                    file: files.len(),
                    dtype: view.dtype(),
                    shape: view.shape().to_vec(),
                    bytes: start..start + view.data().len(),
                };
                tensors.insert(name, raw);
            }
            files.push((path, map));
        }
        Ok(CheckpointWeights {
            dir: dir.to_path_buf(),
            files,
            tensors,
            tied_embeddings,
        })
    }

    /// The tensor `name`, checked against the shape the config implies: its file and bytes.
    fn raw(&mut self, name: &str, shape: &[usize]) -> Result<(RawTensor, &Path, &[u8])> {
        let Some(raw) = self.tensors.remove(name) else {
            bail!(
                "tensor `{name}` (shape {shape:?}) is missing from the checkpoint in {}; \
                 is config.json the one that came with these weights?",
                self.dir.display()
            );
        };
        let (path, map) = &self.files[raw.file];
        if raw.shape != shape {
            bail!(
                "tensor `{name}` in {} has shape {:?}, but config.json implies {shape:?}",
                path.display(),
                raw.shape
            );
        }
        let bytes = &map[raw.bytes.clone()];
        Ok((raw, path, bytes))
    }
}

/// Weights that are NaN or infinite are a damaged file, named by tensor and file.
fn finite(values: Vec<f32>, name: &str, path: &Path) -> Result<Vec<f32>> {
    match values.par_iter().all(|v| v.is_finite()) {
        true => Ok(values),
        false => bail!(
            "tensor `{name}` in {} holds NaN or infinite values: the weights are damaged",
            path.display()
        ),
    }
}

impl WeightSource for CheckpointWeights {
    fn take(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
        let (raw, path, bytes) = self.raw(name, shape)?;
        let values = to_f32(raw.dtype, bytes)
            .with_context(|| format!("tensor `{name}` in {}", path.display()))?;
        finite(values, name, path)
    }

    fn take_transposed(&mut self, name: &str, rows: usize, cols: usize) -> Result<Vec<f32>> {
        let (raw, path, bytes) = self.raw(name, &[rows, cols])?;
        let (_, value) =
            element(raw.dtype).with_context(|| format!("tensor `{name}` in {}", path.display()))?;
        finite(transposed(|i| value(bytes, i), rows, cols), name, path)
    }

    fn finish(&mut self) -> Result<()> {
        // A tied checkpoint may still carry a copy of the embedding as `lm_head.weight`.
        if self.tied_embeddings {
            self.tensors.remove("lm_head.weight");
        }
        let unused: Vec<&String> = self
            .tensors
            .keys()
            .filter(|name| !ignorable(name))
            .collect();
        if !unused.is_empty() {
            let shown: Vec<&str> = unused.iter().take(5).map(|s| s.as_str()).collect();
            bail!(
                "the checkpoint in {} has {} tensor(s) the model does not use (e.g. {}); \
                 the architecture in config.json does not match the weights",
                self.dir.display(),
                unused.len(),
                shown.join(", ")
            );
        }
        Ok(())
    }
}

/// `model.safetensors`, or every shard named by `model.safetensors.index.json`.
fn checkpoint_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let single = dir.join("model.safetensors");
    let index = dir.join("model.safetensors.index.json");
    if index.exists() {
        let text = std::fs::read_to_string(&index)
            .with_context(|| format!("cannot read {}", index.display()))?;
        let json: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not valid JSON", index.display()))?;
        let map = json
            .get("weight_map")
            .and_then(|m| m.as_object())
            .with_context(|| format!("{} has no `weight_map` object", index.display()))?;
        let shards: BTreeSet<&str> = map.values().filter_map(|v| v.as_str()).collect();
        let files: Vec<PathBuf> = shards.iter().map(|shard| dir.join(shard)).collect();
        if let Some(missing) = files.iter().find(|f| !f.exists()) {
            bail!(
                "{} lists the shard {}, which does not exist",
                index.display(),
                missing.display()
            );
        }
        return Ok(files);
    }
    if single.exists() {
        return Ok(vec![single]);
    }
    let found: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot open the model folder {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    bail!(
        "no weights in {}: expected model.safetensors or model.safetensors.index.json with its shards \
         (found: {}); PyTorch .bin checkpoints must be converted to safetensors first",
        dir.display(),
        if found.is_empty() {
            "nothing".to_string()
        } else {
            found.join(", ")
        }
    )
}

/// Every tensor of one safetensors file as f32, by name.
pub fn read_safetensors(path: &Path) -> Result<BTreeMap<String, HostTensor>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let st = SafeTensors::deserialize(&bytes)
        .with_context(|| format!("{} is not a valid safetensors file", path.display()))?;
    st.tensors()
        .into_iter()
        .map(|(name, view)| {
            let data = to_f32(view.dtype(), view.data())
                .with_context(|| format!("tensor `{name}` in {}", path.display()))?;
            Ok((
                name,
                HostTensor {
                    shape: view.shape().to_vec(),
                    data,
                },
            ))
        })
        .collect()
}

/// The width in bytes of one little-endian f32, bf16 or f16 value, and how to read the `i`-th.
type Element = (usize, fn(&[u8], usize) -> f32);

fn element(dtype: Dtype) -> Result<Element> {
    Ok(match dtype {
        Dtype::F32 => (4, |b, i| {
            f32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]])
        }),
        Dtype::BF16 => (2, |b, i| {
            half::bf16::from_le_bytes([b[2 * i], b[2 * i + 1]]).to_f32()
        }),
        Dtype::F16 => (2, |b, i| {
            half::f16::from_le_bytes([b[2 * i], b[2 * i + 1]]).to_f32()
        }),
        other => bail!("dtype {other:?} is not supported (f32, bf16 and f16 are)"),
    })
}

/// Little-endian f32, bf16 or f16 bytes as f32 values (in parallel, as in [`transposed`]).
fn to_f32(dtype: Dtype, bytes: &[u8]) -> Result<Vec<f32>> {
    let (width, value) = element(dtype)?;
    Ok((0..bytes.len() / width)
        .into_par_iter()
        .map(|i| value(bytes, i))
        .collect())
}

/// Which float format a checkpoint is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaveDtype {
    F32,
    BF16,
}

/// Writes named host tensors as one safetensors file (atomically: temporary file, then rename).
pub fn write_safetensors(
    path: &Path,
    tensors: &[(String, HostTensor)],
    dtype: SaveDtype,
) -> Result<()> {
    let encoded: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
        .iter()
        .map(|(name, t)| {
            let bytes = match dtype {
                SaveDtype::F32 => t.data.iter().flat_map(|v| v.to_le_bytes()).collect(),
                SaveDtype::BF16 => t
                    .data
                    .iter()
                    .flat_map(|v| half::bf16::from_f32(*v).to_le_bytes())
                    .collect(),
            };
            (name.clone(), t.shape.clone(), bytes)
        })
        .collect();
    let st_dtype = match dtype {
        SaveDtype::F32 => Dtype::F32,
        SaveDtype::BF16 => Dtype::BF16,
    };
    let views = encoded
        .iter()
        .map(|(name, shape, bytes)| {
            safetensors::tensor::TensorView::new(st_dtype, shape.clone(), bytes)
                .map(|view| (name.clone(), view))
                .with_context(|| format!("tensor `{name}` does not match its shape {shape:?}"))
        })
        .collect::<Result<Vec<_>>>()?;
    let metadata = Some(
        [("format".to_string(), "pt".to_string())]
            .into_iter()
            .collect(),
    );
    let bytes = safetensors::serialize(views, metadata).context("cannot encode safetensors")?;
    crate::store::write_atomic(path, |file| Ok(std::io::Write::write_all(file, &bytes)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transposing_twice_is_the_identity() {
        let data: Vec<f32> = (0..6).map(|i| i as f32).collect();
        let t = transpose(&data, 2, 3);
        assert_eq!(t, vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
        assert_eq!(transpose(&t, 3, 2), data);
    }

    #[test]
    fn a_checkpoint_converts_and_transposes_in_one_pass_as_in_two() {
        let dir = std::env::temp_dir().join(format!("repro-weights-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // 37 × 70 crosses the 32 × 32 tiles unevenly; 1 × 5 and 5 × 1 are degenerate.
        let shapes = [(37, 70), (1, 5), (5, 1)];
        let tensors: Vec<(String, HostTensor)> = shapes
            .iter()
            .map(|&(rows, cols)| {
                let data = (0..rows * cols).map(|i| (i as f32 * 0.37).sin()).collect();
                (
                    format!("w{rows}x{cols}"),
                    HostTensor {
                        shape: vec![rows, cols],
                        data,
                    },
                )
            })
            .collect();
        for dtype in [SaveDtype::F32, SaveDtype::BF16] {
            write_safetensors(&dir.join("model.safetensors"), &tensors, dtype).unwrap();
            for (name, tensor) in &tensors {
                let [rows, cols] = tensor.shape[..] else {
                    unreachable!()
                };
                let mut source = CheckpointWeights::open(&dir, false).unwrap();
                let plain = source.take(name, &[rows, cols]).unwrap();
                let mut source = CheckpointWeights::open(&dir, false).unwrap();
                let once = source.take_transposed(name, rows, cols).unwrap();
                for r in 0..rows {
                    for c in 0..cols {
                        assert_eq!(once[c * rows + r], plain[r * cols + c], "{name} {dtype:?}");
                    }
                }
                if dtype == SaveDtype::F32 {
                    assert_eq!(plain, tensor.data, "{name}");
                }
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_checkpoint_with_an_infinite_weight_is_refused_by_tensor_and_file() {
        let dir = std::env::temp_dir().join(format!("repro-weights-inf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("model.safetensors");
        let bad = HostTensor {
            shape: vec![2, 2],
            data: vec![1.0, f32::INFINITY, 0.0, 2.0],
        };
        write_safetensors(&path, &[("w".to_string(), bad)], SaveDtype::F32).unwrap();
        for transposed in [false, true] {
            let mut source = CheckpointWeights::open(&dir, false).unwrap();
            let error = match transposed {
                false => source.take("w", &[2, 2]),
                true => source.take_transposed("w", 2, 2),
            };
            let message = format!("{:#}", error.unwrap_err());
            assert!(message.contains("tensor `w`"), "{message}");
            assert!(message.contains(&path.display().to_string()), "{message}");
            assert!(message.contains("NaN or infinite"), "{message}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn half_precision_bytes_convert_exactly() {
        let bf16 = half::bf16::from_f32(1.5).to_le_bytes();
        let f16 = half::f16::from_f32(-0.25).to_le_bytes();
        assert_eq!(to_f32(Dtype::BF16, &bf16).unwrap(), vec![1.5]);
        assert_eq!(to_f32(Dtype::F16, &f16).unwrap(), vec![-0.25]);
        assert!(to_f32(Dtype::I64, &[0; 8]).is_err());
    }

    #[test]
    fn random_init_is_seeded_and_has_the_transformers_scale() {
        let a = RandomInit::new(3).take("w", &[4000]).unwrap();
        let b = RandomInit::new(3).take("w", &[4000]).unwrap();
        assert_eq!(a, b);
        let std = (a.iter().map(|v| v * v).sum::<f32>() / a.len() as f32).sqrt();
        assert!((std - 0.02).abs() < 0.001, "{std}");
        assert_eq!(
            RandomInit::new(3).take("model.norm.weight", &[2]).unwrap(),
            vec![1.0, 1.0]
        );
        assert_eq!(
            RandomInit::new(3).take("x.bias", &[2]).unwrap(),
            vec![0.0, 0.0]
        );
    }
}
