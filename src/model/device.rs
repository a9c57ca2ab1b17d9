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
        "this repro was built without GPU support for wgpu; rebuild with `cargo build --release --features wgpu`"
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
