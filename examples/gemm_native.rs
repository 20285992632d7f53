//! Native GEMM benchmark: our packed kernel against the `matrixmultiply` crate (ndarray's GEMM), square sizes and
//! the shapes the labs use, interleaved so machine drift hits both alike. Prints GFLOP/s median (min-max) over
//! timed batches after a warm-up, and checks both results against each other first.
//!
//! Run: `make bench` or `cargo run --release --example gemm_native [--features parallel]`.

#[cfg(target_arch = "wasm32")]
fn main() {} // native only; `wasm-pack test` builds examples for wasm32 too

#[cfg(not(target_arch = "wasm32"))]
use std::time::Instant;

#[cfg(not(target_arch = "wasm32"))]
use paperlab::kernels::gemm::{gemm, tile, MatRef};

#[cfg(not(target_arch = "wasm32"))]
fn ours(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
    gemm(1.0, MatRef::new(a, m, k), MatRef::new(b, k, n), 0.0, c, n, 1).unwrap();
}

#[cfg(not(target_arch = "wasm32"))]
fn theirs(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
    // SAFETY: row-major buffers of the stated sizes.
    unsafe {
        matrixmultiply::sgemm(m, k, n, 1.0, a.as_ptr(), k as isize, 1, b.as_ptr(), n as isize, 1, 0.0, c.as_mut_ptr(), n as isize, 1);
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn stats(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    let (tm, tn, name) = tile();
    println!("native GEMM, f32, row-major; ours: {name} {tm}x{tn} tile, {} thread(s); matrixmultiply 0.3 (its own AVX/FMA dispatch, 1 thread)", paperlab::par::threads());
    println!("{:>22} {:>24} {:>24} {:>7}", "M x K x N", "ours GFLOP/s", "matrixmultiply GFLOP/s", "ratio");
    let shapes: &[(usize, usize, usize, &str)] = &[
        (64, 64, 64, ""),
        (128, 128, 128, ""),
        (256, 256, 256, ""),
        (512, 512, 512, ""),
        (1024, 1024, 1024, ""),
        (256, 784, 300, "MLP layer, batch 256"),
        (1000, 256, 784, "CROWN-IBP Lambda W_0"),
        (2560, 256, 256, "CROWN-IBP Lambda W_1"),
    ];
    for &(m, k, n, what) in shapes {
        let a: Vec<f32> = (0..m * k).map(|i| ((i * 7 % 13) as f32 - 6.0) * 0.1).collect();
        let b: Vec<f32> = (0..k * n).map(|i| ((i * 5 % 11) as f32 - 5.0) * 0.1).collect();
        let mut c1 = vec![0.0f32; m * n];
        let mut c2 = vec![0.0f32; m * n];
        ours(m, k, n, &a, &b, &mut c1);
        theirs(m, k, n, &a, &b, &mut c2);
        let maxd = c1.iter().zip(&c2).map(|(x, y)| (x - y).abs() / (1.0 + y.abs())).fold(0.0f32, f32::max);
        assert!(maxd < 1e-3, "results differ by {maxd}");
        let flop = 2.0 * (m * n * k) as f64;
        let reps = ((0.05e9 / flop) as usize).max(1);
        let (mut t1, mut t2) = (Vec::new(), Vec::new());
        for round in 0..12 {
            for which in 0..2 {
                let t = Instant::now();
                for _ in 0..reps {
                    if which == 0 { ours(m, k, n, &a, &b, &mut c1) } else { theirs(m, k, n, &a, &b, &mut c2) }
                }
                let g = flop * reps as f64 / t.elapsed().as_secs_f64() / 1e9;
                if round >= 2 {
                    if which == 0 { t1.push(g) } else { t2.push(g) }
                }
            }
        }
        let (o, omin, omax) = stats(t1);
        let (p, pmin, pmax) = stats(t2);
        println!("{:>22} {:>8.1} ({:5.1}-{:5.1}) {:>8.1} ({:5.1}-{:5.1}) {:>6.2}x  {what}", format!("{m}x{k}x{n}"), o, omin, omax, p, pmin, pmax, o / p);
    }
}
