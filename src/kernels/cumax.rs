//! `cumax(x) = cumsum(softmax(x))` (Shen et al., ICLR 2019, section 4, eq. 6), the activation of the ON-LSTM's
//! master gates, row by row, with its backward.
//!
//! Legend: R rows, N entries per row (N = D_m, the number of master-gate levels). Rows are contiguous, row-major.
//!
//! Numerics: the row maximum is subtracted before `exp`, so any finite input is safe (`exp` of the shifted values
//! is in `[0, 1]`, the sum is in `[1, N]`). The prefix sums of non-negative numbers never decrease under rounding,
//! and scaling by one positive number keeps that order, so the output is non-decreasing; the last entry is set to
//! exactly 1 and any rounding overshoot of its neighbours is clipped to 1. A row holding NaN or +inf comes out
//! all NaN; -inf entries get probability 0.
//!
//! [`cumax_rows`] runs the max reduction and the final scaling on [`V4`] lanes (simd128 in wasm); [`cumax_naive`] is
//! its plain twin and test oracle.

use super::V4;

/// Plain twin of [`cumax_rows`]: for each row of `x` (R x N), `out = cumsum(softmax(row))`, one division per entry.
///
/// Panics if `x.len() != out.len()`, `n == 0`, or the length is not a multiple of `n`.
pub fn cumax_naive(x: &[f32], out: &mut [f32], n: usize) {
    assert!(n > 0 && x.len() == out.len() && x.len() % n == 0, "cumax_naive: {} inputs, {} outputs, rows of {n}", x.len(), out.len());
    for (xr, yr) in x.chunks(n).zip(out.chunks_mut(n)) {
        let mx = xr.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        let mut s = 0.0f32;
        for (y, &v) in yr.iter_mut().zip(xr) {
            s += (v - mx).exp();
            *y = s;
        }
        for y in yr.iter_mut() {
            *y /= s;
        }
    }
}

/// `cumax` of every row of `x` (R x N) into `out` (R x N): `out[r][k] = sum_{j <= k} softmax(x[r])[j]`, in `[0, 1]`,
/// non-decreasing along the row, last entry exactly 1. Paper section 4, eq. 6.
///
/// Panics if `x.len() != out.len()`, `n == 0`, or the length is not a multiple of `n`.
pub fn cumax_rows(x: &[f32], out: &mut [f32], n: usize) {
    assert!(n > 0 && x.len() == out.len() && x.len() % n == 0, "cumax_rows: {} inputs, {} outputs, rows of {n}", x.len(), out.len());
    let n4 = n - n % 4;
    for (xr, yr) in x.chunks(n).zip(out.chunks_mut(n)) {
        // Row maximum: four lanes, then the tail.
        let mut m = V4::splat(f32::NEG_INFINITY);
        for k in (0..n4).step_by(4) {
            // SAFETY: k + 4 <= n4 <= xr.len().
            m = m.max(unsafe { V4::load(xr.as_ptr().add(k)) });
        }
        let mut mx = m.to_array().into_iter().fold(f32::NEG_INFINITY, f32::max);
        for &v in &xr[n4..] {
            mx = mx.max(v);
        }
        // exp and the prefix sum are sequential.
        let mut s = 0.0f32;
        for (y, &v) in yr.iter_mut().zip(xr) {
            s += (v - mx).exp();
            *y = s;
        }
        let inv = V4::splat(1.0 / s);
        for k in (0..n4).step_by(4) {
            // SAFETY: k + 4 <= n4 <= yr.len().
            unsafe { V4::load(yr.as_ptr().add(k)).mul(inv).store(yr.as_mut_ptr().add(k)) };
        }
        let inv1 = 1.0 / s;
        for y in &mut yr[n4..] {
            *y *= inv1;
        }
        // s * (1/s) may round to 1 + ulp: pin the end at 1 and clip the (few) entries above it.
        yr[n - 1] = 1.0;
        for y in yr[..n - 1].iter_mut().rev() {
            if *y > 1.0 {
                *y = 1.0;
            } else {
                break;
            }
        }
        if !s.is_finite() || !mx.is_finite() {
            yr.fill(f32::NAN);
        }
    }
}

/// Backward of [`cumax_rows`]: given its output `y` and the loss gradient `dy` (both R x N), writes `dx` (R x N).
///
/// With `p = softmax(x)` (recovered as `p_j = y_j - y_{j-1}`) and `r_j = sum_{k >= j} dy_k` (the backward of the
/// prefix sum), `dx_j = p_j (r_j - sum_i p_i r_i)` (the backward of softmax).
///
/// Panics on mismatched lengths or `n == 0`.
pub fn cumax_backward(y: &[f32], dy: &[f32], dx: &mut [f32], n: usize) {
    assert!(n > 0 && y.len() == dy.len() && y.len() == dx.len() && y.len() % n == 0, "cumax_backward: lengths {} {} {} with rows of {n}", y.len(), dy.len(), dx.len());
    for ((yr, dyr), dxr) in y.chunks(n).zip(dy.chunks(n)).zip(dx.chunks_mut(n)) {
        let mut r = 0.0f32;
        for j in (0..n).rev() {
            r += dyr[j];
            dxr[j] = r; // r_j for now
        }
        let mut dot = 0.0f32;
        let mut prev = 0.0f32;
        for j in 0..n {
            dot += (yr[j] - prev) * dxr[j];
            prev = yr[j];
        }
        let mut prev = 0.0f32;
        for j in 0..n {
            let p = yr[j] - prev;
            prev = yr[j];
            dxr[j] = p * (dxr[j] - dot);
        }
    }
}
