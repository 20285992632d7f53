//! Benchmark hooks for `bench.html` / `make bench`: a GEMM with its operands kept inside wasm memory (so timing
//! measures the kernel, not copies), the naive twin for checking, and the peak probe. Timing is done in JS with
//! `performance.now()` around `run`.

use wasm_bindgen::prelude::*;

use super::js_err;
use crate::kernels::gemm::{gemm, gemm_naive, MatRef};

/// `C = A B` on fixed deterministic operands of shape M x K and K x N (row-major), optionally with B transposed
/// in memory (`b_t`: B stored N x K, as a `Linear` weight is).
#[wasm_bindgen]
pub struct GemmBench {
    m: usize,
    k: usize,
    n: usize,
    b_t: bool,
    a: Vec<f32>,
    b: Vec<f32>,
    c: Vec<f32>,
}

fn fill(n: usize, mul: usize, modulo: usize, off: f32) -> Vec<f32> {
    (0..n).map(|i| ((i * mul % modulo) as f32 - off) * 0.1).collect()
}

#[wasm_bindgen]
impl GemmBench {
    /// Operands with the same deterministic values the JS peers get from [`GemmBench::a`] / [`GemmBench::b`].
    #[wasm_bindgen(constructor)]
    pub fn new(m: usize, k: usize, n: usize, b_t: bool) -> Result<GemmBench, JsError> {
        if m == 0 || k == 0 || n == 0 || m * k > 1 << 26 || k * n > 1 << 26 || m * n > 1 << 26 {
            return Err(JsError::new(&format!("GemmBench: {m}x{k}x{n} must be non-empty and at most 2^26 elements per operand")));
        }
        Ok(GemmBench { m, k, n, b_t, a: fill(m * k, 7, 13, 6.0), b: fill(k * n, 5, 11, 5.0), c: vec![0.0; m * n] })
    }
    fn bref(&self) -> MatRef<'_> {
        if self.b_t {
            MatRef::new(&self.b, self.n, self.k).t()
        } else {
            MatRef::new(&self.b, self.k, self.n)
        }
    }
    /// Runs the GEMM `reps` times.
    pub fn run(&mut self, reps: usize) -> Result<(), JsError> {
        for _ in 0..reps {
            let b = if self.b_t { MatRef::new(&self.b, self.n, self.k).t() } else { MatRef::new(&self.b, self.k, self.n) };
            gemm(1.0, MatRef::new(&self.a, self.m, self.k), b, 0.0, &mut self.c, self.n, 1).map_err(js_err)?;
        }
        Ok(())
    }
    /// A (M x K, row-major), for the peers.
    pub fn a(&self) -> Vec<f32> {
        self.a.clone()
    }
    /// B as stored (K x N, or N x K when transposed).
    pub fn b(&self) -> Vec<f32> {
        self.b.clone()
    }
    /// The last result C (M x N).
    pub fn c(&self) -> Vec<f32> {
        self.c.clone()
    }
    /// C computed by the plain three-loop twin (the reference every implementation is checked against).
    pub fn reference(&self) -> Result<Vec<f32>, JsError> {
        let mut c = vec![0.0; self.m * self.n];
        gemm_naive(1.0, MatRef::new(&self.a, self.m, self.k), self.bref(), 0.0, &mut c, self.n, 1).map_err(js_err)?;
        Ok(c)
    }
}

/// The peak probe: returns a checksum; time it from JS and divide [`peak_probe_flops`] by the seconds.
#[wasm_bindgen]
pub fn peak_probe(iters: usize, seed: f32) -> f32 {
    crate::kernels::peak::peak_probe(iters, seed)
}

/// FLOP performed by `peak_probe(iters)`.
#[wasm_bindgen]
pub fn peak_probe_flops(iters: usize) -> f64 {
    crate::kernels::peak::peak_probe_flops(iters)
}

/// The lane implementation and register tile this module runs, e.g. `"simd128 4x8"`.
#[wasm_bindgen]
pub fn gemm_kernel_name() -> String {
    let (mr, nr, name) = crate::kernels::gemm::tile();
    format!("{} {name} {mr}x{nr}", crate::kernels::lanes())
}
