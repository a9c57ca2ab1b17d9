//! Choosing the compute device at run time. The CPU backend (burn's `flex`) is always built;
//! `wgpu` and `cuda` exist when repro is built with the cargo feature of the same name.

use std::fmt;
use std::str::FromStr;

use anyhow::{Result, bail};
use burn::tensor::Device;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum DeviceKind {
    /// burn's pure-Rust CPU backend (`flex`, multithreaded with rayon).
    #[default]
    Cpu,
    /// Any GPU through wgpu (Vulkan, Metal, DX12); needs `--features wgpu`.
    Wgpu,
    /// An NVIDIA GPU through CUDA; needs `--features cuda` and the driver at run time.
    Cuda,
    /// burn's deprecated ndarray CPU backend (`--features ndarray`), for comparison with flex.
    #[cfg(feature = "ndarray")]
    Ndarray,
}

impl DeviceKind {
    pub fn name(self) -> &'static str {
        match self {
            DeviceKind::Cpu => "cpu",
            DeviceKind::Wgpu => "wgpu",
            DeviceKind::Cuda => "cuda",
            #[cfg(feature = "ndarray")]
            DeviceKind::Ndarray => "ndarray",
        }
    }

    /// The burn device, or an error saying how to build repro with this backend.
    pub fn device(self) -> Result<Device> {
        match self {
            DeviceKind::Cpu => Ok(Device::flex()),
            DeviceKind::Wgpu => wgpu_device(),
            DeviceKind::Cuda => cuda_device(),
            #[cfg(feature = "ndarray")]
            #[allow(deprecated)]
            DeviceKind::Ndarray => Ok(Device::ndarray()),
        }
    }
}

#[cfg(feature = "wgpu")]
fn wgpu_device() -> Result<Device> {
    Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice))
}

#[cfg(not(feature = "wgpu"))]
fn wgpu_device() -> Result<Device> {
    bail!(
        "this repro was built without GPU support for wgpu; rebuild with `cargo build --release \
         --features wgpu` (as scripts/gpu_build.sh does) or `--features vulkan` (wgpu pinned to \
         Vulkan with CubeCL's SPIR-V compiler)"
    )
}

#[cfg(feature = "cuda")]
fn cuda_device() -> Result<Device> {
    Ok(Device::cuda(0))
}

#[cfg(not(feature = "cuda"))]
fn cuda_device() -> Result<Device> {
    bail!(
        "this repro was built without CUDA support; rebuild with `cargo build --release --features cuda`"
    )
}

/// A GPU adapter as wgpu reports it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Adapter {
    pub name: String,
    /// wgpu's device type: DiscreteGpu, IntegratedGpu, VirtualGpu, Cpu or Other.
    pub device_type: String,
    /// The graphics API: Vulkan, Metal, Dx12, Gl or BrowserWebGpu.
    pub backend: String,
    pub driver: String,
    /// A software rasteriser (Mesa's lavapipe or llvmpipe, SwiftShader): wgpu's `Cpu` type.
    pub software: bool,
}

/// Every adapter wgpu finds on this machine (the Vulkan driver is chosen by `VK_DRIVER_FILES` /
/// `VK_ICD_FILENAMES`); an error without `--features wgpu`.
#[cfg(feature = "wgpu")]
pub fn gpu_adapters() -> Result<Vec<Adapter>> {
    let instance =
        wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let adapters = block_on(instance.enumerate_adapters(wgpu::Backends::all()));
    Ok(adapters
        .iter()
        .map(|adapter| {
            let info = adapter.get_info();
            Adapter {
                name: info.name,
                device_type: format!("{:?}", info.device_type),
                backend: format!("{:?}", info.backend),
                driver: format!("{} {}", info.driver, info.driver_info)
                    .trim()
                    .to_string(),
                software: info.device_type == wgpu::DeviceType::Cpu,
            }
        })
        .collect())
}

#[cfg(not(feature = "wgpu"))]
pub fn gpu_adapters() -> Result<Vec<Adapter>> {
    wgpu_device().map(|_| Vec::new())
}

/// Drives a future that native wgpu resolves without waiting on anything else.
#[cfg(feature = "wgpu")]
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(value) = future.as_mut().poll(&mut context) {
            return value;
        }
        std::thread::yield_now();
    }
}

impl fmt::Display for DeviceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DeviceKind {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "cpu" => Ok(DeviceKind::Cpu),
            "wgpu" => Ok(DeviceKind::Wgpu),
            "cuda" => Ok(DeviceKind::Cuda),
            #[cfg(feature = "ndarray")]
            "ndarray" => Ok(DeviceKind::Ndarray),
            other => bail!("unknown device \"{other}\" (choose cpu, wgpu or cuda)"),
        }
    }
}
