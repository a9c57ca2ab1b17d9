//! The whole decoder: token embedding, the layers, a final RMSNorm and the output projection
//! (tied to the embedding when `tie_word_embeddings`).

use anyhow::Result;
use burn::module::{Module, Param};
use burn::nn::{Linear, RmsNorm};
use burn::tensor::module::embedding;
use burn::tensor::{Device, Tensor};

use super::batch::Inputs;
use super::cache::KvCache;
use super::config::ModelConfig;
use super::layers::{DecoderLayer, grouped_mask, visit_linear, visit_tensor};
use super::rope::Rope;
use super::weights::{Builder, HostTensor, WeightSource};

#[derive(Module, Debug)]
pub struct Transformer {
    /// [vocab, hidden]
    embed_tokens: Param<Tensor<2>>,
    layers: Vec<DecoderLayer>,
    norm: RmsNorm,
    /// `None` when the output projection is the transposed embedding.
    lm_head: Option<Linear>,
    rope: Rope,
    #[module(skip)]
    config: ModelConfig,
}

impl Transformer {
    /// Builds the model, taking every parameter from `source` by its Hugging Face name.
    pub fn build(
        config: &ModelConfig,
        source: &mut dyn WeightSource,
        device: &Device,
    ) -> Result<Self> {
        config.validate()?;
        let mut builder = Builder::new(source, device);
        let (vocab, d) = (config.vocab_size, config.hidden_size);
        let embed_tokens = builder.matrix("model.embed_tokens.weight", vocab, d)?;
        let layers = (0..config.num_layers)
            .map(|i| DecoderLayer::build(&mut builder, config, &format!("model.layers.{i}")))
            .collect::<Result<Vec<_>>>()?;
        let norm = builder.rms_norm("model.norm", d, config.rms_norm_eps)?;
        let lm_head = match config.tie_word_embeddings {
            true => None,
            false => Some(builder.linear("lm_head", d, vocab, false)?),
        };
        builder.finish()?;
        Ok(Transformer {
            embed_tokens,
            layers,
            norm,
            lm_head,
            rope: Rope::new(config, device),
            config: config.clone(),
        })
    }

    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// The final hidden states, after the last norm. With a cache, `inputs` holds only the new
    /// positions and the cache supplies (and receives) the keys and values of earlier ones.
    ///
    /// # Shapes
    /// inputs.tokens: [batch, seq] → [batch, seq, hidden]
    pub fn hidden(&self, inputs: Inputs, mut cache: Option<&mut KvCache>) -> Tensor<3> {
        let Inputs {
            tokens,
            positions,
            mask,
        } = inputs;
        let [_, seq] = tokens.dims();
        let angles = self.rope.angles(positions);
        let mask = grouped_mask(mask, &self.config);
        let mut x = embedding(self.embed_tokens.val(), tokens); // [batch, seq, hidden]
        for (index, layer) in self.layers.iter().enumerate() {
            let slot = cache.as_deref_mut().map(|cache| cache.layer(index));
            x = layer.forward(x, &angles, &mask, slot);
        }
        if let Some(cache) = cache {
            cache.advance(seq);
        }
        self.norm.forward(x)
    }

    /// # Shapes
    /// hidden: [batch, seq, hidden] → logits [batch, seq, vocab]
    pub fn logits(&self, hidden: Tensor<3>) -> Tensor<3> {
        let [batch, seq, d] = hidden.dims();
        match &self.lm_head {
            Some(head) => head.forward(hidden),
            None => {
                let flat = hidden.reshape([batch * seq, d]); // [batch · seq, hidden]
                let logits = flat.matmul(self.embed_tokens.val().transpose()); // [batch · seq, vocab]
                logits.reshape([batch, seq, self.config.vocab_size])
            }
        }
    }

    /// Logits of every position.
    ///
    /// # Shapes
    /// inputs.tokens: [batch, seq] → [batch, seq, vocab]
    pub fn forward(&self, inputs: Inputs) -> Tensor<3> {
        self.logits(self.hidden(inputs, None))
    }

    /// Every parameter under its Hugging Face name and in Hugging Face layout, on the host.
    /// Fails, naming the tensor, where the device cannot hand a parameter back.
    pub fn visit_named(&self, visit: &mut dyn FnMut(String, HostTensor)) -> Result<()> {
        visit_tensor(
            "model.embed_tokens.weight".into(),
            self.embed_tokens.val(),
            visit,
        )?;
        for (i, layer) in self.layers.iter().enumerate() {
            layer.visit_named(&format!("model.layers.{i}"), visit)?;
        }
        visit_tensor("model.norm.weight".into(), self.norm.gamma.val(), visit)?;
        if let Some(head) = &self.lm_head {
            visit_linear("lm_head", head, visit)?;
        }
        Ok(())
    }
}
