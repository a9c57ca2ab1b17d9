//! GGUF, the single-file model format of llama.cpp and ggml, read into memory and turned into a
//! Hugging Face model folder (`repro model import FILE.gguf -o DIR`).
//!
//! - this file — the container: header, typed metadata, tensor infos, alignment, data offset
//! - `value` — the typed metadata values
//! - `dequant` — the ggml block formats (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K,
//!   Q5_K, Q6_K) to f32
//! - `tensors` — GGUF tensor names to Hugging Face names; undoing llama.cpp's q/k row permutation
//! - `hparams` — `llama.*` metadata to a [`crate::model::ModelConfig`]
//! - `tokenizer` — `tokenizer.ggml.*` metadata to a `tokenizer.json`
//! - `import` — writing the folder
//!
//! The layout follows the GGUF specification (ggml `docs/gguf.md`; `ggml/include/gguf.h`):
//!
//! ```text
//! magic "GGUF" | version u32 | tensor_count u64 | kv_count u64
//! kv_count × (key: string, value_type: u32, value)
//! tensor_count × (name: string, n_dims: u32, dims: n_dims × u64, ggml_type: u32, offset: u64)
//! padding to `general.alignment` (default 32) | tensor data
//! ```
//!
//! Strings are a u64 byte length and UTF-8 bytes without a terminator; an array is its element
//! type (u32), a u64 count and the elements; everything is little-endian. Version 1 used u32
//! counts and lengths; versions 2 and 3 (3 only adds big-endian files, which are refused here)
//! are read. Every read is bounds-checked: a truncated or corrupt file is an error that names the
//! file and the field, never a panic.

pub mod dequant;
pub mod hparams;
pub mod import;
pub mod tensors;
pub mod tokenizer;
mod value;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

pub use dequant::GgmlType;
pub use value::Value;

/// The four bytes every GGUF file starts with.
const MAGIC: &[u8; 4] = b"GGUF";
/// Tensor data alignment when `general.alignment` is absent (`GGUF_DEFAULT_ALIGNMENT`).
const DEFAULT_ALIGNMENT: u64 = 32;
/// Nesting limit for arrays of arrays, so a hostile file cannot exhaust the stack.
const MAX_ARRAY_DEPTH: usize = 8;
/// ggml tensors have at most four dimensions (`GGML_MAX_DIMS`).
const MAX_DIMS: u32 = 4;

/// Where one tensor lies and how it is stored.
#[derive(Clone, Debug, PartialEq)]
pub struct TensorInfo {
    pub name: String,
    /// ggml order: `dims[0]` varies fastest (the columns of a matrix), the reverse of
    /// PyTorch's shape.
    pub dims: Vec<u64>,
    pub ggml_type: GgmlType,
    /// Byte offset from the start of the tensor data section.
    pub offset: u64,
}

impl TensorInfo {
    /// Number of elements.
    pub fn len(&self) -> u64 {
        self.dims.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The shape in PyTorch (row-major, slowest first) order.
    pub fn torch_shape(&self) -> Vec<usize> {
        self.dims.iter().rev().map(|&d| d as usize).collect()
    }
}

/// A GGUF file read into memory.
pub struct GgufFile {
    pub path: PathBuf,
    pub version: u32,
    pub metadata: BTreeMap<String, Value>,
    pub tensors: Vec<TensorInfo>,
    pub alignment: u64,
    /// Byte offset of the tensor data section in the file.
    pub data_offset: u64,
    bytes: Vec<u8>,
}

impl GgufFile {
    /// Reads and parses the file at `path`; every error names it.
    pub fn open(path: &Path) -> Result<Self> {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        Self::parse(path, bytes)
            .with_context(|| format!("{} is not a valid GGUF file", path.display()))
    }

    /// Parses GGUF bytes; `path` is only kept for messages.
    pub fn parse(path: &Path, bytes: Vec<u8>) -> Result<Self> {
        let mut reader = Reader::new(&bytes);
        let magic = reader
            .take(4)
            .context("the file is shorter than its magic number")?;
        if magic != MAGIC {
            bail!("it starts with {magic:02x?}, not the GGUF magic {MAGIC:02x?} (\"GGUF\")");
        }
        let version = reader.u32().context("cannot read the version")?;
        match version {
            2 | 3 => {}
            1 => bail!("GGUF version 1 (32-bit counts) is not supported; versions 2 and 3 are"),
            v if v.swap_bytes() == 2 || v.swap_bytes() == 3 => {
                bail!("the file is big-endian GGUF; only little-endian files are supported")
            }
            v => bail!("GGUF version {v} is not supported; versions 2 and 3 are"),
        }
        let tensor_count = reader.u64().context("cannot read the tensor count")?;
        let kv_count = reader.u64().context("cannot read the metadata count")?;
        // Each key/value takes at least 12 bytes and each tensor info at least 24: a count the
        // file cannot hold is corruption, caught before anything is allocated for it.
        reader.check_count(kv_count, 12, "metadata key/values")?;
        reader.check_count(tensor_count, 24, "tensor infos")?;

        let mut metadata = BTreeMap::new();
        for index in 0..kv_count {
            let key = reader
                .string()
                .with_context(|| format!("cannot read the key of metadata entry {index}"))?;
            let value = reader
                .typed_value(0)
                .with_context(|| format!("cannot read the value of metadata key `{key}`"))?;
            if metadata.insert(key.clone(), value).is_some() {
                bail!("metadata key `{key}` appears twice");
            }
        }
        let alignment = match metadata.get("general.alignment") {
            None => DEFAULT_ALIGNMENT,
            Some(Value::U32(a)) if *a > 0 && a.is_power_of_two() => u64::from(*a),
            Some(other) => bail!(
                "general.alignment must be a positive power of two (uint32), found {other} ({})",
                other.type_name()
            ),
        };

        let mut tensors = Vec::new();
        for index in 0..tensor_count {
            let info = reader
                .tensor_info()
                .with_context(|| format!("cannot read tensor info {index}"))?;
            tensors.push(info);
        }
        let data_offset =
            align_up(reader.position() as u64, alignment).context("the data offset overflows")?;
        let file = GgufFile {
            path: path.to_path_buf(),
            version,
            metadata,
            tensors,
            alignment,
            data_offset,
            bytes,
        };
        file.check_tensors()?;
        Ok(file)
    }

    /// Checks that every tensor is aligned, lies inside the file and has a unique name.
    fn check_tensors(&self) -> Result<()> {
        let mut names = std::collections::BTreeSet::new();
        for info in &self.tensors {
            if !names.insert(info.name.as_str()) {
                bail!("tensor `{}` appears twice", info.name);
            }
            if info.offset % self.alignment != 0 {
                bail!(
                    "tensor `{}` starts at offset {}, not a multiple of the alignment {}",
                    info.name,
                    info.offset,
                    self.alignment
                );
            }
            self.tensor_bytes(info)?;
        }
        Ok(())
    }

    /// The raw bytes of one tensor, checked against its type's block size and the file's end.
    pub fn tensor_bytes(&self, info: &TensorInfo) -> Result<&[u8]> {
        let size = info
            .ggml_type
            .byte_size(info.len(), info.dims.first().copied().unwrap_or(1))
            .with_context(|| format!("tensor `{}` (dims {:?})", info.name, info.dims))?;
        let start = self
            .data_offset
            .checked_add(info.offset)
            .with_context(|| format!("tensor `{}`: its offset overflows", info.name))?;
        let end = start
            .checked_add(size)
            .with_context(|| format!("tensor `{}`: its size overflows", info.name))?;
        let (start, end) = (usize::try_from(start)?, usize::try_from(end)?);
        self.bytes.get(start..end).with_context(|| {
            format!(
                "tensor `{}` needs bytes {start}..{end}, but the file has {} (truncated?)",
                info.name,
                self.bytes.len()
            )
        })
    }

    /// One tensor's values as f32, in PyTorch order (the same bytes, ggml dims reversed).
    pub fn dequantize(&self, info: &TensorInfo) -> Result<Vec<f32>> {
        let bytes = self.tensor_bytes(info)?;
        dequant::dequantize(info.ggml_type, bytes, info.len() as usize)
            .with_context(|| format!("cannot dequantize tensor `{}`", info.name))
    }

    /// The tensor named `name`, if the file has one.
    pub fn tensor(&self, name: &str) -> Option<&TensorInfo> {
        self.tensors.iter().find(|t| t.name == name)
    }

    /// A metadata value that must be present.
    pub fn get(&self, key: &str) -> Result<&Value> {
        self.metadata
            .get(key)
            .with_context(|| format!("{} has no metadata key `{key}`", self.path.display()))
    }

    /// A required string.
    pub fn string(&self, key: &str) -> Result<&str> {
        let value = self.get(key)?;
        value.as_str().with_context(|| {
            format!(
                "metadata `{key}` must be a string, found {value} ({})",
                value.type_name()
            )
        })
    }

    /// An optional unsigned integer of any width.
    pub fn optional_u64(&self, key: &str) -> Result<Option<u64>> {
        self.metadata
            .get(key)
            .map(|value| {
                value.as_u64().with_context(|| {
                    format!(
                        "metadata `{key}` must be a non-negative integer, found {value} ({})",
                        value.type_name()
                    )
                })
            })
            .transpose()
    }

    /// A required unsigned integer of any width.
    pub fn u64(&self, key: &str) -> Result<u64> {
        self.optional_u64(key)?
            .with_context(|| format!("{} has no metadata key `{key}`", self.path.display()))
    }

    /// An optional float (an integer is accepted too).
    pub fn optional_f64(&self, key: &str) -> Result<Option<f64>> {
        self.metadata
            .get(key)
            .map(|value| {
                value.as_f64().with_context(|| {
                    format!(
                        "metadata `{key}` must be a number, found {value} ({})",
                        value.type_name()
                    )
                })
            })
            .transpose()
    }

    /// An optional string.
    pub fn optional_string(&self, key: &str) -> Result<Option<&str>> {
        match self.metadata.get(key) {
            None => Ok(None),
            Some(_) => self.string(key).map(Some),
        }
    }

    /// An optional array (of any element type).
    pub fn optional_array(&self, key: &str) -> Result<Option<&[Value]>> {
        self.metadata
            .get(key)
            .map(|value| {
                value.as_array().with_context(|| {
                    format!(
                        "metadata `{key}` must be an array, found {value} ({})",
                        value.type_name()
                    )
                })
            })
            .transpose()
    }
}

/// `offset` rounded up to a multiple of `alignment` (a power of two), or `None` on overflow.
fn align_up(offset: u64, alignment: u64) -> Option<u64> {
    offset
        .checked_add(alignment - 1)
        .map(|v| v / alignment * alignment)
}

/// Little-endian reads from a byte slice that fail, rather than panic, past its end.
struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, position: 0 }
    }

    fn position(&self) -> usize {
        self.position
    }

    fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.position)
    }

    /// The next `n` bytes.
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.position.checked_add(n).context("a length overflows")?;
        let slice = self.bytes.get(self.position..end).with_context(|| {
            format!(
                "unexpected end of file: {n} bytes needed at offset {}, {} left",
                self.position,
                self.remaining()
            )
        })?;
        self.position = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let slice = self.take(N)?;
        let mut out = [0; N];
        out.copy_from_slice(slice);
        Ok(out)
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// Fails when `count` items of at least `min_size` bytes each cannot fit in what is left.
    fn check_count(&self, count: u64, min_size: u64, what: &str) -> Result<()> {
        let needed = count.saturating_mul(min_size);
        if needed > self.remaining() as u64 {
            bail!(
                "the header announces {count} {what}, which cannot fit in the {} bytes left \
                 at offset {} (corrupt or truncated)",
                self.remaining(),
                self.position
            );
        }
        Ok(())
    }

    /// A u64 length and that many bytes of UTF-8.
    fn string(&mut self) -> Result<String> {
        let len = self.u64().context("cannot read a string length")?;
        let len = usize::try_from(len).context("a string length does not fit in memory")?;
        let at = self.position;
        let bytes = self
            .take(len)
            .context("a string runs past the end of the file")?;
        String::from_utf8(bytes.to_vec())
            .map_err(|e| anyhow::anyhow!("the string at offset {at} is not UTF-8: {e}"))
    }

    /// A u32 type tag followed by a value of that type.
    fn typed_value(&mut self, depth: usize) -> Result<Value> {
        let tag = self.u32().context("cannot read a value type")?;
        self.value(tag, depth)
    }

    /// A value of `gguf_type` `tag`.
    fn value(&mut self, tag: u32, depth: usize) -> Result<Value> {
        Ok(match tag {
            0 => Value::U8(u8::from_le_bytes(self.array()?)),
            1 => Value::I8(i8::from_le_bytes(self.array()?)),
            2 => Value::U16(u16::from_le_bytes(self.array()?)),
            3 => Value::I16(i16::from_le_bytes(self.array()?)),
            4 => Value::U32(self.u32()?),
            5 => Value::I32(i32::from_le_bytes(self.array()?)),
            6 => Value::F32(f32::from_le_bytes(self.array()?)),
            7 => match self.array::<1>()? {
                [0] => Value::Bool(false),
                [1] => Value::Bool(true),
                [other] => bail!("a bool must be 0 or 1, found {other}"),
            },
            8 => Value::String(self.string()?),
            9 => {
                if depth >= MAX_ARRAY_DEPTH {
                    bail!("arrays are nested more than {MAX_ARRAY_DEPTH} deep");
                }
                let element = self.u32().context("cannot read an array's element type")?;
                let count = self.u64().context("cannot read an array's length")?;
                self.check_count(count, min_value_size(element)?, "array elements")?;
                let mut items = Vec::with_capacity(count as usize);
                for index in 0..count {
                    items.push(
                        self.value(element, depth + 1)
                            .with_context(|| format!("array element {index}"))?,
                    );
                }
                Value::Array(items)
            }
            10 => Value::U64(self.u64()?),
            11 => Value::I64(i64::from_le_bytes(self.array()?)),
            12 => Value::F64(f64::from_le_bytes(self.array()?)),
            other => bail!("unknown value type {other} (gguf_type is 0..=12)"),
        })
    }

    /// name, n_dims u32, dims u64 × n_dims, ggml_type u32, offset u64.
    fn tensor_info(&mut self) -> Result<TensorInfo> {
        let name = self.string().context("cannot read the tensor name")?;
        let n_dims = self
            .u32()
            .with_context(|| format!("tensor `{name}`: cannot read its number of dimensions"))?;
        if n_dims == 0 || n_dims > MAX_DIMS {
            bail!("tensor `{name}` has {n_dims} dimensions; ggml allows 1 to {MAX_DIMS}");
        }
        let mut dims = Vec::with_capacity(n_dims as usize);
        for _ in 0..n_dims {
            dims.push(
                self.u64()
                    .with_context(|| format!("tensor `{name}`: cannot read its dimensions"))?,
            );
        }
        if dims
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d))
            .is_none_or(|n| n > (1 << 40))
        {
            bail!("tensor `{name}` has implausible dimensions {dims:?}");
        }
        let tag = self
            .u32()
            .with_context(|| format!("tensor `{name}`: cannot read its type"))?;
        let ggml_type = GgmlType::from_id(tag).with_context(|| format!("tensor `{name}`"))?;
        let offset = self
            .u64()
            .with_context(|| format!("tensor `{name}`: cannot read its offset"))?;
        Ok(TensorInfo {
            name,
            dims,
            ggml_type,
            offset,
        })
    }
}

/// The fewest bytes one value of `gguf_type` `tag` occupies (for sanity-checking counts).
fn min_value_size(tag: u32) -> Result<u64> {
    Ok(match tag {
        0 | 1 | 7 => 1,
        2 | 3 => 2,
        4 | 5 | 6 => 4,
        8 => 8,
        9 => 12,
        10..=12 => 8,
        other => bail!("unknown array element type {other} (gguf_type is 0..=12)"),
    })
}

#[cfg(test)]
pub(crate) mod testing;

#[cfg(test)]
mod tests;
