//! ggml's tensor storage types and their dequantization to f32.
//!
//! The block layouts and formulas are those of llama.cpp's `ggml/src/ggml-common.h` (the
//! `block_q*` structs) and `ggml/src/ggml-quants.c` (`dequantize_row_*`), as restated in the
//! `gguf` Python package (`gguf/quants.py`, which transformers' GGUF loader calls). The float
//! operations are done in the same order as there (`d * q + m`, `(d * scale) * q`, …), so the
//! values agree bit for bit with both.
//!
//! A block covers `block_size` consecutive values of one row (ggml's `ne[0]` axis) and occupies
//! `type_size` bytes; the row length must be a multiple of the block size.

use anyhow::{Result, bail};
use half::{bf16, f16};

/// `QK_K`: the values in one super-block of the k-quants.
const QK_K: usize = 256;
/// Bytes of the packed 6-bit scales and mins of Q4_K and Q5_K (`K_SCALE_SIZE`).
const K_SCALE_SIZE: usize = 12;

/// The `ggml_type` ids this importer reads (`enum ggml_type` in `ggml.h`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GgmlType {
    F32,
    F16,
    Q4_0,
    Q4_1,
    Q5_0,
    Q5_1,
    Q8_0,
    Q4K,
    Q5K,
    Q6K,
    BF16,
}

impl GgmlType {
    /// The type with `ggml_type` id `id`, or an error naming the id.
    pub fn from_id(id: u32) -> Result<Self> {
        Ok(match id {
            0 => GgmlType::F32,
            1 => GgmlType::F16,
            2 => GgmlType::Q4_0,
            3 => GgmlType::Q4_1,
            6 => GgmlType::Q5_0,
            7 => GgmlType::Q5_1,
            8 => GgmlType::Q8_0,
            12 => GgmlType::Q4K,
            13 => GgmlType::Q5K,
            14 => GgmlType::Q6K,
            30 => GgmlType::BF16,
            other => bail!(
                "ggml type {other}{} is not supported (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, \
                 Q8_0, Q4_K, Q5_K and Q6_K are)",
                known_name(other).map_or(String::new(), |name| format!(" ({name})"))
            ),
        })
    }

    /// ggml's name for the type.
    pub fn name(self) -> &'static str {
        match self {
            GgmlType::F32 => "F32",
            GgmlType::F16 => "F16",
            GgmlType::Q4_0 => "Q4_0",
            GgmlType::Q4_1 => "Q4_1",
            GgmlType::Q5_0 => "Q5_0",
            GgmlType::Q5_1 => "Q5_1",
            GgmlType::Q8_0 => "Q8_0",
            GgmlType::Q4K => "Q4_K",
            GgmlType::Q5K => "Q5_K",
            GgmlType::Q6K => "Q6_K",
            GgmlType::BF16 => "BF16",
        }
    }

    /// Values per block (`ggml_blck_size`).
    pub fn block_size(self) -> usize {
        match self {
            GgmlType::F32 | GgmlType::F16 | GgmlType::BF16 => 1,
            GgmlType::Q4_0 | GgmlType::Q4_1 | GgmlType::Q5_0 | GgmlType::Q5_1 | GgmlType::Q8_0 => {
                32
            }
            GgmlType::Q4K | GgmlType::Q5K | GgmlType::Q6K => QK_K,
        }
    }

    /// Bytes per block (`ggml_type_size`).
    pub fn type_size(self) -> usize {
        match self {
            GgmlType::F32 => 4,
            GgmlType::F16 | GgmlType::BF16 => 2,
            // f16 d; u8 qs[16]
            GgmlType::Q4_0 => 2 + 16,
            // f16 d, m; u8 qs[16]
            GgmlType::Q4_1 => 2 + 2 + 16,
            // f16 d; u8 qh[4]; u8 qs[16]
            GgmlType::Q5_0 => 2 + 4 + 16,
            // f16 d, m; u8 qh[4]; u8 qs[16]
            GgmlType::Q5_1 => 2 + 2 + 4 + 16,
            // f16 d; i8 qs[32]
            GgmlType::Q8_0 => 2 + 32,
            // f16 d, dmin; u8 scales[12]; u8 qs[128]
            GgmlType::Q4K => 2 + 2 + K_SCALE_SIZE + QK_K / 2,
            // f16 d, dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]
            GgmlType::Q5K => 2 + 2 + K_SCALE_SIZE + QK_K / 8 + QK_K / 2,
            // u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d
            GgmlType::Q6K => QK_K / 2 + QK_K / 4 + QK_K / 16 + 2,
        }
    }

    /// Bytes of a tensor of `len` values whose rows have `row_len` values; an error when rows
    /// do not split into whole blocks.
    pub fn byte_size(self, len: u64, row_len: u64) -> Result<u64> {
        let block = self.block_size() as u64;
        if row_len % block != 0 {
            bail!(
                "rows of {row_len} values do not split into {} blocks of {block}",
                self.name()
            );
        }
        Ok(len / block * self.type_size() as u64)
    }
}

/// Names of ggml types that exist but are not read here, for a clearer refusal.
fn known_name(id: u32) -> Option<&'static str> {
    Some(match id {
        9 => "Q8_1",
        10 => "Q2_K",
        11 => "Q3_K",
        15 => "Q8_K",
        16 => "IQ2_XXS",
        17 => "IQ2_XS",
        18 => "IQ3_XXS",
        19 => "IQ1_S",
        20 => "IQ4_NL",
        21 => "IQ3_S",
        22 => "IQ2_S",
        23 => "IQ4_XS",
        24 => "I8",
        25 => "I16",
        26 => "I32",
        27 => "I64",
        28 => "F64",
        29 => "IQ1_M",
        34 => "TQ1_0",
        35 => "TQ2_0",
        _ => return None,
    })
}

/// `len` values of type `ty` from `bytes` as f32. `bytes` must be exactly the tensor's size.
pub fn dequantize(ty: GgmlType, bytes: &[u8], len: usize) -> Result<Vec<f32>> {
    let (block, size) = (ty.block_size(), ty.type_size());
    if len % block != 0 || bytes.len() != len / block * size {
        bail!(
            "{len} {} values need {} bytes, found {}",
            ty.name(),
            len.div_ceil(block) * size,
            bytes.len()
        );
    }
    let mut out = Vec::with_capacity(len);
    let blocks = bytes.chunks_exact(size);
    match ty {
        GgmlType::F32 => out.extend(blocks.map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))),
        GgmlType::F16 => out.extend(blocks.map(|b| f16::from_le_bytes([b[0], b[1]]).to_f32())),
        GgmlType::BF16 => out.extend(blocks.map(|b| bf16::from_le_bytes([b[0], b[1]]).to_f32())),
        GgmlType::Q4_0 => blocks.for_each(|b| q4_0(b, &mut out)),
        GgmlType::Q4_1 => blocks.for_each(|b| q4_1(b, &mut out)),
        GgmlType::Q5_0 => blocks.for_each(|b| q5_0(b, &mut out)),
        GgmlType::Q5_1 => blocks.for_each(|b| q5_1(b, &mut out)),
        GgmlType::Q8_0 => blocks.for_each(|b| q8_0(b, &mut out)),
        GgmlType::Q4K => blocks.for_each(|b| q4_k(b, &mut out)),
        GgmlType::Q5K => blocks.for_each(|b| q5_k(b, &mut out)),
        GgmlType::Q6K => blocks.for_each(|b| q6_k(b, &mut out)),
    }
    Ok(out)
}

/// The little-endian f16 at `at` of a block, as f32.
fn half_at(block: &[u8], at: usize) -> f32 {
    f16::from_le_bytes([block[at], block[at + 1]]).to_f32()
}

// The block functions below index only within a block whose length `dequantize` has checked
// (`chunks_exact(type_size)`), at offsets fixed by the layout: they cannot go out of bounds.

/// Q4_0: `y = d × (q − 8)`; the low nibbles of `qs` are values 0..16, the high ones 16..32.
fn q4_0(block: &[u8], out: &mut Vec<f32>) {
    let d = half_at(block, 0);
    let qs = &block[2..18];
    out.extend(qs.iter().map(|&q| d * ((q & 0x0F) as i32 - 8) as f32));
    out.extend(qs.iter().map(|&q| d * ((q >> 4) as i32 - 8) as f32));
}

/// Q4_1: `y = d × q + m`, nibbles as in Q4_0.
fn q4_1(block: &[u8], out: &mut Vec<f32>) {
    let (d, m) = (half_at(block, 0), half_at(block, 2));
    let qs = &block[4..20];
    out.extend(qs.iter().map(|&q| d * (q & 0x0F) as f32 + m));
    out.extend(qs.iter().map(|&q| d * (q >> 4) as f32 + m));
}

/// The fifth bit of value `j` of a Q5 block: bit `j` of the little-endian u32 `qh`.
fn fifth_bit(qh: u32, j: usize) -> u8 {
    (((qh >> j) & 1) as u8) << 4
}

/// Q5_0: `y = d × (q − 16)` with the nibble plus a fifth bit from `qh`.
fn q5_0(block: &[u8], out: &mut Vec<f32>) {
    let d = half_at(block, 0);
    let qh = u32::from_le_bytes([block[2], block[3], block[4], block[5]]);
    let qs = &block[6..22];
    let value = |q: u8, j: usize| d * ((q | fifth_bit(qh, j)) as i32 - 16) as f32;
    out.extend(qs.iter().enumerate().map(|(j, &q)| value(q & 0x0F, j)));
    out.extend(qs.iter().enumerate().map(|(j, &q)| value(q >> 4, j + 16)));
}

/// Q5_1: `y = d × q + m` with the nibble plus a fifth bit from `qh`.
fn q5_1(block: &[u8], out: &mut Vec<f32>) {
    let (d, m) = (half_at(block, 0), half_at(block, 2));
    let qh = u32::from_le_bytes([block[4], block[5], block[6], block[7]]);
    let qs = &block[8..24];
    let value = |q: u8, j: usize| d * (q | fifth_bit(qh, j)) as f32 + m;
    out.extend(qs.iter().enumerate().map(|(j, &q)| value(q & 0x0F, j)));
    out.extend(qs.iter().enumerate().map(|(j, &q)| value(q >> 4, j + 16)));
}

/// Q8_0: `y = q × d` with signed 8-bit `q`.
fn q8_0(block: &[u8], out: &mut Vec<f32>) {
    let d = half_at(block, 0);
    out.extend(block[2..34].iter().map(|&q| (q as i8) as f32 * d));
}

/// The 6-bit scale and min of sub-block `j` (0..8) from the 12 packed bytes of Q4_K/Q5_K
/// (`get_scale_min_k4` in ggml-quants.c).
fn scale_min_k4(j: usize, q: &[u8]) -> (u8, u8) {
    if j < 4 {
        (q[j] & 63, q[j + 4] & 63)
    } else {
        (
            (q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4),
            (q[j + 4] >> 4) | ((q[j] >> 6) << 4),
        )
    }
}

/// Q4_K: 8 sub-blocks of 32, each `y = (d × scale) × q − dmin × min`; each 32 bytes of `qs`
/// hold a pair of sub-blocks, the low nibbles first.
fn q4_k(block: &[u8], out: &mut Vec<f32>) {
    let (d, dmin) = (half_at(block, 0), half_at(block, 2));
    let scales = &block[4..4 + K_SCALE_SIZE];
    let qs = &block[4 + K_SCALE_SIZE..];
    for (pair, q) in qs.chunks_exact(32).enumerate() {
        let (sc1, m1) = scale_min_k4(2 * pair, scales);
        let (sc2, m2) = scale_min_k4(2 * pair + 1, scales);
        let (d1, m1) = (d * sc1 as f32, dmin * m1 as f32);
        let (d2, m2) = (d * sc2 as f32, dmin * m2 as f32);
        out.extend(q.iter().map(|&v| d1 * (v & 0x0F) as f32 - m1));
        out.extend(q.iter().map(|&v| d2 * (v >> 4) as f32 - m2));
    }
}

/// Q5_K: Q4_K plus a fifth bit per value from `qh` (bit `2·pair` for the low nibbles, bit
/// `2·pair + 1` for the high ones).
fn q5_k(block: &[u8], out: &mut Vec<f32>) {
    let (d, dmin) = (half_at(block, 0), half_at(block, 2));
    let scales = &block[4..4 + K_SCALE_SIZE];
    let qh = &block[4 + K_SCALE_SIZE..4 + K_SCALE_SIZE + QK_K / 8];
    let qs = &block[4 + K_SCALE_SIZE + QK_K / 8..];
    for (pair, q) in qs.chunks_exact(32).enumerate() {
        let (sc1, m1) = scale_min_k4(2 * pair, scales);
        let (sc2, m2) = scale_min_k4(2 * pair + 1, scales);
        let (d1, m1) = (d * sc1 as f32, dmin * m1 as f32);
        let (d2, m2) = (d * sc2 as f32, dmin * m2 as f32);
        let (u1, u2) = (1u8 << (2 * pair), 2u8 << (2 * pair));
        let high = |l: usize, mask: u8| if qh[l] & mask != 0 { 16 } else { 0 };
        out.extend(
            q.iter()
                .enumerate()
                .map(|(l, &v)| d1 * ((v & 0x0F) + high(l, u1)) as f32 - m1),
        );
        out.extend(
            q.iter()
                .enumerate()
                .map(|(l, &v)| d2 * ((v >> 4) + high(l, u2)) as f32 - m2),
        );
    }
}

/// Q6_K: 16 sub-blocks of 16, `y = (d × scale) × (q − 32)` with a 6-bit `q`: four bits from `ql`
/// and two from `qh`. Each half of the block (128 values) uses 64 bytes of `ql`, 32 of `qh` and
/// 8 scales; value `l + 32·k` (k = 0..4) of a half takes the nibble `k / 2` of `ql[l + 32·(k % 2)]`
/// and bits `2k, 2k+1` of `qh[l]`.
fn q6_k(block: &[u8], out: &mut Vec<f32>) {
    let ql_all = &block[0..QK_K / 2];
    let qh_all = &block[QK_K / 2..QK_K / 2 + QK_K / 4];
    let scales = &block[QK_K / 2 + QK_K / 4..QK_K / 2 + QK_K / 4 + QK_K / 16];
    let d = half_at(block, QK_K / 2 + QK_K / 4 + QK_K / 16);
    for half in 0..2 {
        let ql = &ql_all[64 * half..64 * half + 64];
        let qh = &qh_all[32 * half..32 * half + 32];
        let sc = &scales[8 * half..8 * half + 8];
        for k in 0..4 {
            for l in 0..32 {
                let low = (ql[l + 32 * (k % 2)] >> (4 * (k / 2))) & 0x0F;
                let high = (qh[l] >> (2 * k)) & 3;
                let q = (low | (high << 4)) as i32 - 32;
                let scale = sc[l / 16 + 2 * k] as i8;
                out.push(d * scale as f32 * q as f32);
            }
        }
    }
}

#[cfg(test)]
#[path = "dequant_tests.rs"]
mod tests;
