//! # Paperlab
//!
//! Small, faithful re-implementations of ICLR-2019-era machine-learning papers, written once in Rust and run both
//! natively (training the shipped models, tests, benchmarks) and in the browser as WebAssembly (the labs).
//!
//! Module tree:
//! - [`kernels`]: the hot loops (packed, blocked GEMM with a simd128 micro-kernel and a scalar twin; the
//!   interval products bound propagation needs; cumax, the ON-LSTM's cumulative softmax). Each fast kernel has a plain twin used as the test oracle.
//! - [`nn`]: layers with forward and backward side by side (linear, conv2d, ReLU, softmax cross-entropy, LSTM),
//!   magnitude-pruning masks, Adam, seeded initialisation and RNG.
//! - [`io`]: safetensors load/save with a metadata map.
//! - [`data`]: loaders for the shipped datasets (MNIST digits; the English text and a character vocabulary).
//! - [`labs`]: one module per paper, pure Rust, no wasm-bindgen and no DOM.
//! - `wasm` (only on `wasm32`): thin `#[wasm_bindgen]` facades, one per lab.
//!
//! Threads are one Cargo feature, `parallel`: rayon natively, rayon on Web Workers (wasm-bindgen-rayon) in the
//! browser. Without it every parallel loop runs sequentially and gives bit-identical results.

pub mod data;
pub mod error;
pub mod io;
pub mod kernels;
pub mod labs;
pub mod nn;
pub mod nd;
pub mod par;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::{Error, Result};
