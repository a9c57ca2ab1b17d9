//! Turning rows of token ids into the tensors of one forward pass: token ids, per-token
//! positions and the attention mask, for left-padded prompts (generation), right-padded
//! sequences (training) and single decode steps against a KV cache.

use burn::tensor::{Bool, Device, Int, Tensor, TensorData};

/// The three inputs of a forward pass.
pub struct Inputs {
    /// [batch, new]
    pub tokens: Tensor<2, Int>,
    /// [batch, new]
    pub positions: Tensor<2, Int>,
    /// [batch, 1, new, past + new], `true` = may not attend
    pub mask: Tensor<4, Bool>,
}

impl Inputs {
    /// Inputs for `new` tokens per row following `past` cached ones. `valid[b]` covers all
    /// `past + new` positions and is `false` at padding.
    pub fn new(tokens: &[Vec<u32>], valid: &[Vec<bool>], past: usize, device: &Device) -> Self {
        assert_eq!(tokens.len(), valid.len(), "one validity row per token row");
        let positions: Vec<Vec<i64>> = valid
            .iter()
            .map(|row| positions(row)[past..].to_vec())
            .collect();
        Inputs {
            tokens: int_tensor(
                tokens
                    .iter()
                    .map(|row| row.iter().map(|&t| t as i64).collect())
                    .collect(),
                device,
            ),
            positions: int_tensor(positions, device),
            mask: blocked_keys(valid, past, device),
        }
    }

    /// A whole padded batch at once (no cache).
    pub fn full(tokens: &[Vec<u32>], valid: &[Vec<bool>], device: &Device) -> Self {
        Self::new(tokens, valid, 0, device)
    }
}

/// Rows padded on the left to a common length with `pad`, and their validity flags.
pub fn left_pad(rows: &[Vec<u32>], pad: u32) -> (Vec<Vec<u32>>, Vec<Vec<bool>>) {
    let len = rows.iter().map(Vec::len).max().unwrap_or(0);
    rows.iter()
        .map(|row| {
            let padding = len - row.len();
            let tokens = std::iter::repeat_n(pad, padding)
                .chain(row.iter().copied())
                .collect();
            let valid = std::iter::repeat_n(false, padding)
                .chain(std::iter::repeat_n(true, row.len()))
                .collect();
            (tokens, valid)
        })
        .unzip()
}

/// Rows padded on the right to a common length with `pad`, and their validity flags.
pub fn right_pad(rows: &[Vec<u32>], pad: u32) -> (Vec<Vec<u32>>, Vec<Vec<bool>>) {
    let len = rows.iter().map(Vec::len).max().unwrap_or(0);
    rows.iter()
        .map(|row| {
            let padding = len - row.len();
            let tokens = row
                .iter()
                .copied()
                .chain(std::iter::repeat_n(pad, padding))
                .collect();
            let valid = std::iter::repeat_n(true, row.len())
                .chain(std::iter::repeat_n(false, padding))
                .collect();
            (tokens, valid)
        })
        .unzip()
}

/// `true` where a query may *not* attend to a key: keys after the query, and padding keys.
/// Every query may attend to its own position, so no row of the softmax is empty.
///
/// # Shapes
/// valid: rows of `past + new` flags → [batch, 1, new, past + new]
pub fn blocked_keys(valid: &[Vec<bool>], past: usize, device: &Device) -> Tensor<4, Bool> {
    let batch = valid.len();
    let keys = valid.first().map_or(0, Vec::len);
    let new = keys - past;
    let mut blocked = Vec::with_capacity(batch * new * keys);
    for row in valid {
        assert_eq!(row.len(), keys, "every row of a batch has the same length");
        for query in past..keys {
            blocked.extend((0..keys).map(|key| key != query && !(key < query && row[key])));
        }
    }
    Tensor::from_data(TensorData::new(blocked, [batch, 1, new, keys]), device)
}

/// Each token's position: the number of real tokens before it in its row (so left padding does
/// not shift positions). Padding gets the position of the next real token.
pub fn positions(valid: &[bool]) -> Vec<i64> {
    let mut seen = 0;
    valid
        .iter()
        .map(|&real| {
            let position = seen;
            seen += real as i64;
            position
        })
        .collect()
}

fn int_tensor(rows: Vec<Vec<i64>>, device: &Device) -> Tensor<2, Int> {
    let batch = rows.len();
    let seq = rows.first().map_or(0, Vec::len);
    let flat: Vec<i64> = rows.into_iter().flatten().collect();
    Tensor::from_data(TensorData::new(flat, [batch, seq]), device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_skip_padding() {
        assert_eq!(
            positions(&[false, false, true, true, true]),
            vec![0, 0, 0, 1, 2]
        );
        assert_eq!(positions(&[true, true, false]), vec![0, 1, 2]);
    }

    #[test]
    fn the_mask_blocks_future_and_padding_but_never_a_whole_row() {
        let device = Device::flex();
        let valid = vec![vec![false, true, true]];
        let mask = blocked_keys(&valid, 0, &device)
            .try_into_vec_as::<bool>()
            .unwrap();
        #[rustfmt::skip]
        let expected = vec![
            false, true, true,   // the pad attends only to itself
            true, false, true,   // first real token: itself
            true, false, false,  // second: the first and itself
        ];
        assert_eq!(mask, expected);
        // A decode step: one new query after two cached keys.
        let step = blocked_keys(&valid, 2, &device)
            .try_into_vec_as::<bool>()
            .unwrap();
        assert_eq!(step, vec![true, false, false]);
    }
}
