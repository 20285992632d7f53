//! The hot loops. Each fast kernel sits behind one safe function and has a plain twin (`*_naive`) that is the test
//! oracle. Lane code lives in `simd128.rs` (wasm32 with `simd128`) or `scalar.rs` (everything else, which LLVM
//! auto-vectorises natively); [`V4`] is whichever is compiled in, so kernel bodies are written once.

pub mod conv;
pub mod cumax;
pub mod gemm;
pub mod interval;
pub mod peak;

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod scalar;
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
pub use scalar::V4;

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd128;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub use simd128::V4;

#[cfg(target_arch = "x86_64")]
mod x86;

pub use cumax::{cumax_naive, cumax_rows};
pub use gemm::{gemm, gemm_naive, matmul, MatRef};

/// Name of the lane implementation compiled in: `"simd128+relaxed"`, `"simd128"` or `"scalar"`.
pub fn lanes() -> &'static str {
    if cfg!(all(target_arch = "wasm32", target_feature = "simd128", target_feature = "relaxed-simd")) {
        "simd128+relaxed"
    } else if cfg!(all(target_arch = "wasm32", target_feature = "simd128")) {
        "simd128"
    } else {
        "scalar"
    }
}
