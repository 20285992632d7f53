//! A peak probe: independent multiply-add chains held in registers, no memory traffic, so its FLOP rate is what one
//! thread of this engine can attain with these lanes (simd128 `mul` + `add`, or relaxed-simd FMA where built with
//! it). GEMM speed is reported against it.

use crate::kernels::V4;

/// Runs `iters` rounds of 12 independent chains `acc = b + acc * a` of 4 lanes (96 FLOP per round, counting a
/// multiply-add as 2) and returns a value that depends on every chain, so the work cannot be optimised away. Twelve
/// chains cover the latency of a dependent multiply and add (or FMA) on two ports and still fit, with the two
/// constants, in 16 vector registers.
pub fn peak_probe(iters: usize, seed: f32) -> f32 {
    let a = V4::splat(0.999_999);
    let b = V4::splat(1e-7 * seed);
    let mut acc = [V4::splat(seed); 12];
    for _ in 0..iters {
        for x in acc.iter_mut() {
            *x = b.mul_add(*x, a);
        }
    }
    let mut s = V4::zero();
    for x in acc {
        s = s.add(x);
    }
    s.to_array().iter().sum()
}

/// FLOP done by [`peak_probe`] for `iters` rounds.
pub fn peak_probe_flops(iters: usize) -> f64 {
    iters as f64 * 96.0
}
