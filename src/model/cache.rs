//! The key/value cache of incremental decoding: per layer, keys and values preallocated for the
//! whole generation (`[batch, kv_heads, capacity, head_dim]`) and filled in place, so a decode
//! step attends over what earlier steps computed instead of recomputing it.

use burn::tensor::{Device, Tensor};

use super::config::ModelConfig;

pub struct KvCache {
    layers: Vec<LayerCache>,
    /// Positions filled so far (the same for every row: rows are left-padded).
    len: usize,
    capacity: usize,
}

pub struct LayerCache {
    /// [batch, kv_heads, capacity, head_dim]
    keys: Tensor<4>,
    /// [batch, kv_heads, capacity, head_dim]
    values: Tensor<4>,
}

impl KvCache {
    pub fn new(config: &ModelConfig, batch: usize, capacity: usize, device: &Device) -> Self {
        let shape = [batch, config.num_kv_heads, capacity, config.head_dim];
        let layers = (0..config.num_layers)
            .map(|_| LayerCache {
                keys: Tensor::zeros(shape, device),
                values: Tensor::zeros(shape, device),
            })
            .collect();
        KvCache {
            layers,
            len: 0,
            capacity,
        }
    }

    /// Positions already cached.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Called by the model after every layer has appended `new` positions.
    pub(super) fn advance(&mut self, new: usize) {
        self.len += new;
    }

    pub(super) fn layer(&mut self, index: usize) -> (&mut LayerCache, usize, usize) {
        (&mut self.layers[index], self.len, self.capacity)
    }

    /// Row `i` becomes old row `rows[i]`: finished sequences leave the batch, and a shared
    /// prompt's cache is copied to each of its rollouts.
    pub fn select_rows(&mut self, rows: &Tensor<1, burn::tensor::Int>) {
        for layer in &mut self.layers {
            layer.keys.inplace(|keys| keys.select(0, rows.clone()));
            layer
                .values
                .inplace(|values| values.select(0, rows.clone()));
        }
    }
}

impl LayerCache {
    /// Writes the new keys and values at positions `start..start + new` and returns everything
    /// cached so far.
    ///
    /// # Shapes
    /// keys, values: [batch, kv_heads, new, head_dim] → [batch, kv_heads, start + new, head_dim]
    pub fn append(
        &mut self,
        keys: Tensor<4>,
        values: Tensor<4>,
        start: usize,
        capacity: usize,
    ) -> (Tensor<4>, Tensor<4>) {
        let [batch, heads, new, head_dim] = keys.dims();
        let end = start + new;
        assert!(
            end <= capacity,
            "KV cache overflow: {end} positions, capacity {capacity}"
        );
        let range = [0..batch, 0..heads, start..end, 0..head_dim];
        self.keys
            .inplace(|cached| cached.slice_assign(range.clone(), keys));
        self.values
            .inplace(|cached| cached.slice_assign(range, values));
        let filled = [0..batch, 0..heads, 0..end, 0..head_dim];
        (
            self.keys.clone().slice(filled.clone()),
            self.values.clone().slice(filled),
        )
    }
}
