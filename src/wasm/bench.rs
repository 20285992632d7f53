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

/// Conv2d (NCHW, no bias) on fixed deterministic operands kept in wasm memory: `run` times the forward,
/// `run_backward` the input and weight gradients (what a training step needs), for `bench.html`.
#[wasm_bindgen]
pub struct ConvBench {
    s: crate::kernels::conv::ConvShape,
    x: Vec<f32>,
    w: Vec<f32>,
    dy: Vec<f32>,
    y: Vec<f32>,
    dx: Vec<f32>,
    dw: Vec<f32>,
}

#[wasm_bindgen]
impl ConvBench {
    /// Batch `n`, `c` -> `o` channels, `h` x `w` input, square kernel `k`, the same stride and padding both ways.
    #[wasm_bindgen(constructor)]
    #[allow(clippy::too_many_arguments)]
    pub fn new(n: usize, c: usize, h: usize, w: usize, o: usize, k: usize, stride: usize, pad: usize) -> Result<ConvBench, JsError> {
        let s = crate::kernels::conv::ConvShape::new(n, c, h, w, o, k, stride, pad);
        s.check("ConvBench").map_err(js_err)?;
        if s.x_len() > 1 << 26 || s.y_len() > 1 << 26 {
            return Err(JsError::new("ConvBench: at most 2^26 elements per tensor"));
        }
        Ok(ConvBench {
            s,
            x: fill(s.x_len(), 7, 13, 6.0),
            w: fill(s.w_len(), 5, 11, 5.0),
            dy: fill(s.y_len(), 3, 7, 3.0),
            y: vec![0.0; s.y_len()],
            dx: vec![0.0; s.x_len()],
            dw: vec![0.0; s.w_len()],
        })
    }
    /// Runs the forward `reps` times.
    pub fn run(&mut self, reps: usize) -> Result<(), JsError> {
        for _ in 0..reps {
            crate::kernels::conv::conv2d(&self.s, &self.x, &self.w, None, &mut self.y).map_err(js_err)?;
        }
        Ok(())
    }
    /// Runs the backward (input and weight gradients of the loss gradient `dy`) `reps` times.
    pub fn run_backward(&mut self, reps: usize) -> Result<(), JsError> {
        use crate::kernels::conv::{conv2d_backward, ConvGrads};
        for _ in 0..reps {
            let grads = ConvGrads { dx: Some(&mut self.dx), dw: Some(&mut self.dw), db: None };
            conv2d_backward(&self.s, &self.x, &self.w, &self.dy, grads).map_err(js_err)?;
        }
        Ok(())
    }
    /// Runs the input gradient alone (the transposed convolution of `dy`) `reps` times.
    pub fn run_dx(&mut self, reps: usize) -> Result<(), JsError> {
        for _ in 0..reps {
            crate::kernels::conv::conv2d_transpose(&self.s, &self.w, &self.dy, &mut self.dx).map_err(js_err)?;
        }
        Ok(())
    }
    /// The input x (N x C x H x W).
    pub fn x(&self) -> Vec<f32> {
        self.x.clone()
    }
    /// The weight (O x C x K x K).
    pub fn w(&self) -> Vec<f32> {
        self.w.clone()
    }
    /// The loss gradient dy (N x O x OH x OW) the backward uses.
    pub fn dy(&self) -> Vec<f32> {
        self.dy.clone()
    }
    /// The last forward result.
    pub fn y(&self) -> Vec<f32> {
        self.y.clone()
    }
    /// The last input gradient.
    pub fn dx(&self) -> Vec<f32> {
        self.dx.clone()
    }
    /// The last weight gradient.
    pub fn dw(&self) -> Vec<f32> {
        self.dw.clone()
    }
    /// The forward of the first `images` images by the seven-loop twin (f64 sums): the reference.
    pub fn reference(&self, images: usize) -> Result<Vec<f32>, JsError> {
        let sn = crate::kernels::conv::ConvShape { n: images.min(self.s.n), ..self.s };
        let mut y = vec![0.0; sn.y_len()];
        crate::kernels::conv::conv2d_naive(&sn, &self.x[..sn.x_len()], &self.w, None, &mut y).map_err(js_err)?;
        Ok(y)
    }
}

/// Row kernels on a fixed `rows` x `n` matrix in wasm memory: softmax or layer norm (γ = 1 + small, β small,
/// ε = 1e-5), ours or the scalar twin, for `bench.html`.
#[wasm_bindgen]
pub struct RowBench {
    rows: usize,
    n: usize,
    x: Vec<f32>,
    y: Vec<f32>,
    gamma: Vec<f32>,
    beta: Vec<f32>,
    mean: Vec<f32>,
    rstd: Vec<f32>,
}

#[wasm_bindgen]
impl RowBench {
    /// A `rows` x `n` input with deterministic values in [-3, 3].
    #[wasm_bindgen(constructor)]
    pub fn new(rows: usize, n: usize) -> Result<RowBench, JsError> {
        if rows == 0 || n == 0 || rows * n > 1 << 26 {
            return Err(JsError::new("RowBench: rows and n must be >= 1, rows * n at most 2^26"));
        }
        Ok(RowBench {
            rows,
            n,
            x: fill(rows * n, 7, 61, 30.0),
            y: vec![0.0; rows * n],
            gamma: fill(n, 3, 5, -8.0),
            beta: fill(n, 5, 7, 3.0),
            mean: vec![0.0; rows],
            rstd: vec![0.0; rows],
        })
    }
    /// Runs `kind` `reps` times: "softmax", "softmax-scalar", "layernorm" or "layernorm-scalar".
    pub fn run(&mut self, kind: &str, reps: usize) -> Result<(), JsError> {
        use crate::kernels::act::{layer_norm, layer_norm_naive, softmax, softmax_naive};
        let xm = MatRef::new(&self.x, self.rows, self.n);
        for _ in 0..reps {
            match kind {
                "softmax" => softmax(xm, &mut self.y, self.n),
                "softmax-scalar" => softmax_naive(xm, &mut self.y, self.n),
                "layernorm" => layer_norm(&self.x, &self.gamma, &self.beta, 1e-5, &mut self.y, &mut self.mean, &mut self.rstd),
                "layernorm-scalar" => {
                    layer_norm_naive(&self.x, &self.gamma, &self.beta, 1e-5, &mut self.y, &mut self.mean, &mut self.rstd)
                }
                _ => return Err(JsError::new(&format!("RowBench: unknown kernel {kind:?}"))),
            }
            .map_err(js_err)?;
        }
        Ok(())
    }
    /// The input (rows x n).
    pub fn x(&self) -> Vec<f32> {
        self.x.clone()
    }
    /// γ of the layer norm (n).
    pub fn gamma(&self) -> Vec<f32> {
        self.gamma.clone()
    }
    /// β of the layer norm (n).
    pub fn beta(&self) -> Vec<f32> {
        self.beta.clone()
    }
    /// The last result (rows x n).
    pub fn y(&self) -> Vec<f32> {
        self.y.clone()
    }
}
