//! AdamW with clipping on the global gradient norm, as PyTorch does it (`torch.optim.AdamW`,
//! `torch.nn.utils.clip_grad_norm_`), which is what the paper's code uses. burn's own optimizer
//! clips each tensor separately and keys its state on random parameter ids; this one clips the
//! norm of all gradients together and keys its state on the parameter's path in the model, so
//! the state saved with a checkpoint finds its parameters again after a reload.
//!
//! ```text
//! g ← g · min(1, max_norm / (‖g‖₂ + 1e-6))              (over all parameters at once)
//! m ← β₁ m + (1 − β₁) g,     v ← β₂ v + (1 − β₂) g²
//! θ ← θ (1 − lr · λ)
//! θ ← θ − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
//! ```

use std::collections::BTreeMap;

use anyhow::Context;
use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};

use crate::model::weights::{HostTensor, SaveDtype, read_safetensors, write_safetensors};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamWConfig {
    pub beta1: f64,
    pub beta2: f64,
    pub epsilon: f64,
    pub weight_decay: f64,
    /// Clip the global gradient norm to this (PyTorch `clip_grad_norm_`); `None` = no clipping.
    pub max_grad_norm: Option<f64>,
}

impl AdamWConfig {
    /// verl's actor optimizer: betas (0.9, 0.999), weight decay 0.01, clip 1.0.
    pub const RL: AdamWConfig = AdamWConfig {
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-8,
        weight_decay: 0.01,
        max_grad_norm: Some(1.0),
    };
    /// verl's SFT trainer: betas (0.9, 0.95), weight decay 0.01, clip 1.0.
    pub const SFT: AdamWConfig = AdamWConfig {
        beta2: 0.95,
        ..Self::RL
    };
}

/// The optimizer: its settings, the step count and the moments of every parameter by path.
pub struct AdamW {
    pub config: AdamWConfig,
    /// Updates applied so far (t in the bias corrections).
    pub steps: u64,
    /// path → (first moment, second moment), flattened, without autodiff.
    pub moments: BTreeMap<String, (Tensor<1>, Tensor<1>)>,
}

impl AdamW {
    pub fn new(config: AdamWConfig) -> Self {
        AdamW {
            config,
            steps: 0,
            moments: BTreeMap::new(),
        }
    }

    /// Clips, then applies one update to every parameter that has a gradient. Returns the model
    /// and the gradient norm before clipping.
    pub fn step<M: Module>(&mut self, model: M, mut grads: GradientsParams, lr: f64) -> (M, f64) {
        let mut norm = GradNorm {
            grads: &grads,
            sum_of_squares: 0.0,
        };
        model.visit(&mut norm);
        let grad_norm = norm.sum_of_squares.sqrt();
        let scale = match self.config.max_grad_norm {
            Some(max) => (max / (grad_norm + 1e-6)).min(1.0),
            None => 1.0,
        };
        self.steps += 1;
        let mut update = Update {
            optimizer: self,
            grads: &mut grads,
            lr,
            scale,
            path: Vec::new(),
        };
        let model = model.map(&mut update);
        (model, grad_norm)
    }
}

impl AdamW {
    /// Writes the step count and every moment (by parameter path) as safetensors.
    pub fn save(&self, path: &std::path::Path) -> anyhow::Result<()> {
        let mut tensors = vec![(
            STEPS_KEY.to_string(),
            HostTensor {
                shape: vec![1],
                data: vec![self.steps as f32],
            },
        )];
        for (name, (m, v)) in &self.moments {
            for (moment, tensor) in [("m", m), ("v", v)] {
                let key = format!("{name}.{moment}");
                let host = HostTensor::of(tensor.clone())
                    .with_context(|| format!("cannot save optimizer moment {key}"))?;
                tensors.push((key, host));
            }
        }
        write_safetensors(path, &tensors, SaveDtype::F32)
    }

    /// The optimizer saved by [`AdamW::save`], its moments on `device` (without autodiff).
    pub fn load(
        path: &std::path::Path,
        config: AdamWConfig,
        device: &Device,
    ) -> anyhow::Result<Self> {
        let mut tensors = read_safetensors(path)?;
        let steps = tensors
            .remove(STEPS_KEY)
            .and_then(|t| t.data.first().copied())
            .with_context(|| format!("{} has no optimizer step count", path.display()))?;
        let tensor = |t: HostTensor| {
            let len = t.data.len();
            Tensor::<1>::from_data(TensorData::new(t.data, [len]), device)
        };
        let mut moments = BTreeMap::new();
        let names: Vec<String> = tensors
            .keys()
            .filter_map(|k| k.strip_suffix(".m").map(str::to_string))
            .collect();
        for name in names {
            let m = tensors.remove(&format!("{name}.m")).expect("listed");
            let v = tensors
                .remove(&format!("{name}.v"))
                .with_context(|| format!("{} lacks the second moment of {name}", path.display()))?;
            moments.insert(name, (tensor(m), tensor(v)));
        }
        Ok(AdamW {
            config,
            steps: steps as u64,
            moments,
        })
    }
}

const STEPS_KEY: &str = "__steps__";

struct GradNorm<'a> {
    grads: &'a GradientsParams,
    sum_of_squares: f64,
}

impl ModuleVisitor for GradNorm<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(grad) = self.grads.get::<D>(param.id) {
            self.sum_of_squares += grad.square().sum().into_scalar::<f64>();
        }
    }
}

struct Update<'a> {
    optimizer: &'a mut AdamW,
    grads: &'a mut GradientsParams,
    lr: f64,
    scale: f64,
    path: Vec<String>,
}

impl ModuleMapper for Update<'_> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        let Some(grad) = self.grads.remove::<D>(id) else {
            return Param::from_mapped_value(id, tensor, mapper);
        };
        let c = self.optimizer.config;
        let t = self.optimizer.steps as i32;
        let shape = tensor.dims();
        let require_grad = tensor.is_require_grad();
        let theta = tensor.inner().reshape([-1]); // [n], no autodiff
        let grad = grad.reshape([-1]) * self.scale;
        let path = self.path.join(".");
        let (m, v) = match self.optimizer.moments.remove(&path) {
            Some(moments) => moments,
            None => (theta.zeros_like(), theta.zeros_like()),
        };
        let m = m * c.beta1 + grad.clone() * (1.0 - c.beta1);
        let v = v * c.beta2 + grad.square() * (1.0 - c.beta2);
        let step_size = self.lr / (1.0 - c.beta1.powi(t));
        let denominator = v.clone().sqrt() / (1.0 - c.beta2.powi(t)).sqrt() + c.epsilon;
        let theta = theta * (1.0 - self.lr * c.weight_decay) - m.clone() / denominator * step_size;
        self.optimizer.moments.insert(path, (m, v));
        let mut updated = Tensor::from_inner(theta.reshape(shape));
        if require_grad {
            updated = updated.require_grad();
        }
        Param::from_mapped_value(id, updated, mapper)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::module::Module;
    use burn::tensor::{Device, TensorData};

    #[derive(Module, Debug)]
    struct Pair {
        a: Param<Tensor<1>>,
        b: Param<Tensor<1>>,
    }

    fn pair(device: &Device) -> Pair {
        let a = Tensor::<1>::from_data(TensorData::new(vec![1.0f32, -2.0], [2]), device);
        let b = Tensor::<1>::from_data(TensorData::new(vec![0.5f32], [1]), device);
        Pair {
            a: Param::from_tensor(a),
            b: Param::from_tensor(b),
        }
    }

    /// loss = 3·a₀ + 4·a₁ + 0·b: gradient (3, 4 | 0), global norm 5.
    fn grads(model: &Pair) -> GradientsParams {
        let a = model.a.val();
        let device = a.device();
        let w = Tensor::<1>::from_data(TensorData::new(vec![3.0f32, 4.0], [2]), &device);
        let loss = (a * w).sum() + model.b.val().sum() * 0.0;
        GradientsParams::from_grads(loss.backward(), model)
    }

    #[test]
    fn one_step_matches_pytorch_adamw_with_global_clipping() {
        // torch: p = [1, -2]; g = [3, 4]; clip_grad_norm_(max 1) → g·(1/(5 + 1e-6)) = [0.6, 0.8];
        // AdamW(lr 0.1, betas (0.9, 0.999), eps 1e-8, wd 0.01), first step:
        // m̂ = g, v̂ = g², update = lr·g/(|g| + eps) ≈ lr·sign(g) → p·(1 − 0.001) − 0.1
        // = [0.999 − 0.1, −1.998 − 0.1] = [0.899, −2.098].
        let device = Device::flex().autodiff();
        let model = pair(&device);
        let mut adamw = AdamW::new(AdamWConfig::RL);
        let grads = grads(&model);
        let (model, norm) = adamw.step(model, grads, 0.1);
        assert!((norm - 5.0).abs() < 1e-6);
        let a = model.a.val().try_into_vec_as::<f32>().unwrap();
        assert!(
            (a[0] - 0.899).abs() < 1e-6 && (a[1] + 2.098).abs() < 1e-6,
            "{a:?}"
        );
        // b had a zero gradient: only weight decay moves it.
        let b = model.b.val().try_into_vec_as::<f32>().unwrap();
        assert!((b[0] - 0.5 * 0.999).abs() < 1e-6, "{b:?}");
        // The parameters still track gradients for the next step.
        let grads = self::grads(&model);
        let (_, norm) = adamw.step(model, grads, 0.1);
        assert!((norm - 5.0).abs() < 1e-6);
        assert_eq!(adamw.steps, 2);
        assert_eq!(adamw.moments.len(), 2);
    }
}
