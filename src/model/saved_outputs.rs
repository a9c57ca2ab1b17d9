//! Under autodiff, `exp` and `sigmoid` keep their forward output for the backward instead of
//! computing it again from the input (the patched burn-autodiff, vendor/burn-autodiff/PATCHES.md,
//! change 2). The gradient must be the one the recomputation gave, bit for bit: d exp(x) = g ⊙
//! exp(x), d σ(x) = (g ⊙ σ(x)) ⊙ (1 − σ(x)) as burn-flex's `sigmoid_backward` computes it. Saving the
//! wrong tensor (the input, say) fails these.

use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Tensor, TensorData};

use super::weights::HostTensor;

fn host(tensor: Tensor<1>) -> Vec<f32> {
    HostTensor::of(tensor).expect("f32 tensor").data
}

/// Inputs in [−12, 12) and upstream gradients in [−1, 1), both fixed.
fn inputs_and_weights(device: &Device) -> (Tensor<1>, Tensor<1>) {
    let n = 4099u32;
    let spread = |salt: u32, scale: f32| {
        let data: Vec<f32> = (0..n)
            .map(|i| ((i.wrapping_mul(2654435761) ^ salt) % 10_000) as f32 / 10_000.0 * scale)
            .collect();
        Tensor::<1>::from_data(TensorData::new(data, [n as usize]), device)
    };
    (spread(7, 24.0) - 12.0, spread(11, 2.0) - 1.0)
}

/// The gradient of Σ (f(x) ⊙ w) with respect to x, and f(x) and w on the host.
fn gradient(f: impl Fn(Tensor<1>) -> Tensor<1>) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let device = Device::flex().autodiff();
    let (x, w) = inputs_and_weights(&device);
    let x = x.require_grad();
    let y = f(x.clone());
    let grads = (y.clone() * w.clone()).sum().backward();
    let dx = x.grad(&grads).expect("tracked input");
    (host(dx), host(y.detach()), host(w))
}

fn bits(values: &[f32]) -> Vec<u32> {
    values.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn the_gradient_of_exp_is_the_upstream_gradient_times_the_saved_output() {
    let (dx, y, w) = gradient(|x| x.exp());
    let want: Vec<f32> = w.iter().zip(&y).map(|(w, y)| w * y).collect();
    assert_eq!(bits(&dx), bits(&want));
}

#[test]
fn the_gradient_of_sigmoid_is_flexs_sigmoid_backward_of_the_saved_output() {
    let (dx, s, w) = gradient(sigmoid);
    // burn-flex's `sigmoid_backward`: (grad · s) · (1 − s).
    let want: Vec<f32> = w.iter().zip(&s).map(|(w, s)| w * s * (1.0 - s)).collect();
    assert_eq!(bits(&dx), bits(&want));
}
