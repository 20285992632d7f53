//! Activations and row-wise normalisations on [`V4`] lanes (simd128 in wasm, auto-vectorised natively), each with a
//! plain scalar twin (`*_naive`, on `std`'s `f32` functions) that is its test oracle.
//!
//! Legend: R rows, N entries per row (softmax), D features per row (layer norm).
//!
//! - [`exp`]: `e^x`, vectorised. Method: `n = round(x log2 e)`, `r = x - n ln 2` (Cody–Waite, ln 2 split in a
//!   9-bit head and a tail, so `n * head` is exact), `e^r` by its degree-7 Taylor polynomial on `|r| <= ln 2 / 2`
//!   (truncation below 0.05 ulp), scaled by `2^n` as two exact powers of two so that subnormal results round once.
//!   Maximum error [`EXP_MAX_ULP`] ulps over the whole f32 range against f64 `exp` (tests/kernels_act.rs). Inputs:
//!   NaN -> NaN, +inf -> +inf, -inf -> +0; `x > 88.7228` overflows to +inf, `x < -103.98` underflows to +0.
//! - [`sigmoid`] `1 / (1 + e^-x)` in its stable form (`e^x / (1 + e^x)` for `x < 0`), [`tanh`] (from `expm1` of
//!   `-2|x|`, accurate near 0), [`gelu`] (the tanh approximation of Hendrycks & Gimpel 2016, eq. in section 2:
//!   `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`), [`relu`]; each with its backward. NaN in -> NaN out.
//! - [`softmax`] and [`log_softmax`], row-wise over a strided matrix (the row maximum is subtracted first, so any
//!   finite row is safe; a row holding NaN or +inf, or only -inf, comes out NaN; other -inf entries get 0 / -inf).
//! - [`layer_norm`] and [`layer_norm_backward`] (Ba et al. 2016): `y = (x - mean) * rstd * gamma + beta` with
//!   `rstd = 1 / sqrt(var + eps)`, biased variance, per row of D features.
//!
//! Every function checks lengths and returns [`Error::Shape`] rather than panicking; outputs are only written.

use crate::error::{Error, Result};
use crate::kernels::gemm::MatRef;
use crate::kernels::V4;

/// Maximum error of [`exp`] / [`exp_f32`] in units in the last place of the exact result (subnormal results: ulps of
/// 2^-149), checked by tests/kernels_act.rs on every 97th f32 bit pattern (44 million inputs over the whole range)
/// plus the 40,000 inputs around each of the overflow, subnormal and underflow thresholds and 0; the largest error
/// seen there is 1.18 ulp (at x = 48.18), so the bound leaves a margin for inputs between the samples.
pub const EXP_MAX_ULP: f64 = 1.5;

const LOG2E: f32 = std::f32::consts::LOG2_E;
/// ln 2 = LN2_HI + LN2_LO; LN2_HI = 355/512 has 9 significant bits, so `n * LN2_HI` is exact for |n| <= 2^15.
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
/// 1.5 * 2^23: adding and subtracting it rounds a float of magnitude < 2^22 to the nearest integer (ties to even).
const ROUND: f32 = 12_582_912.0;
/// Taylor coefficients 1/k! for k = 7 down to 2.
const INV_FACT: [f32; 6] = [1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5];

#[inline(always)]
fn round_int(v: V4) -> V4 {
    v.add(V4::splat(ROUND)).sub(V4::splat(ROUND))
}

/// `(n, r, e^r - 1)` with `x = n ln 2 + r`, `|r| <= ln 2 / 2`, for `x` already clamped to a finite range.
#[inline(always)]
fn exp_parts(x: V4) -> (V4, V4) {
    let n = round_int(x.mul(V4::splat(LOG2E)));
    let r = x.sub(n.mul(V4::splat(LN2_HI))).sub(n.mul(V4::splat(LN2_LO)));
    // e^r - 1 = r (1 + r (1/2 + r (1/6 + ... + r / 7!)))
    let mut q = V4::splat(INV_FACT[0]);
    for &c in &INV_FACT[1..] {
        q = V4::splat(c).mul_add(q, r);
    }
    let q = V4::splat(1.0).mul_add(q, r);
    (n, r.mul(q))
}

/// `e^x` on four lanes; see the module header for the method, the error bound and the special values.
#[inline(always)]
pub fn exp_v4(x: V4) -> V4 {
    let xc = x.max(V4::splat(-104.0)).min(V4::splat(89.0));
    let (n, pm1) = exp_parts(xc);
    let p = V4::splat(1.0).add(pm1);
    // 2^n for n in [-150, 129] as two factors in [-75, 65], each a normal power of two.
    let n1 = round_int(n.mul(V4::splat(0.5)));
    let n2 = n.sub(n1);
    p.mul(n1.pow2i()).mul(n2.pow2i()).keep_nan(x)
}

/// `e^z - 1` for `z <= 0` (z = -inf allowed, NaN not): accurate near 0, where `e^z - 1` would cancel.
#[inline(always)]
fn expm1_nonpos(z: V4) -> V4 {
    let zc = z.max(V4::splat(-87.0));
    let (n, pm1) = exp_parts(zc);
    let s = n.pow2i();
    s.mul(pm1).add(s.sub(V4::splat(1.0)))
}

/// `tanh(x)` on four lanes: `tanh |x| = -u / (2 + u)` with `u = e^{-2|x|} - 1`, sign restored.
#[inline(always)]
pub fn tanh_v4(x: V4) -> V4 {
    let a = x.copysign(V4::splat(1.0));
    let u = expm1_nonpos(a.mul(V4::splat(-2.0)));
    let t = V4::zero().sub(u).div(V4::splat(2.0).add(u));
    t.copysign(x).keep_nan(x)
}

/// The logistic function on four lanes, stable form.
#[inline(always)]
pub fn sigmoid_v4(x: V4) -> V4 {
    let e = exp_v4(x.copysign(V4::splat(-1.0)));
    let q = V4::splat(1.0).div(V4::splat(1.0).add(e));
    V4::select_neg(x, e.mul(q), q)
}

const GELU_K0: f32 = 0.797_884_6; // sqrt(2 / pi)
const GELU_K1: f32 = 0.044_715;
/// Beyond |x| = 20 the tanh in GELU is exactly ±1 in f32; clamping there keeps x^3 finite.
const GELU_CLIP: f32 = 20.0;

#[inline(always)]
fn gelu_tanh_arg(x: V4) -> (V4, V4) {
    let xc = x.max(V4::splat(-GELU_CLIP)).min(V4::splat(GELU_CLIP));
    let x2 = xc.mul(xc);
    let u = V4::splat(GELU_K0).mul(xc.add(V4::splat(GELU_K1).mul(x2).mul(xc)));
    (xc, tanh_v4(u))
}

/// GELU (tanh approximation) on four lanes; `gelu(-inf) = -0`, `gelu(+inf) = +inf`.
#[inline(always)]
pub fn gelu_v4(x: V4) -> V4 {
    let (_, t) = gelu_tanh_arg(x);
    let xo = x.max(V4::splat(-GELU_CLIP));
    V4::splat(0.5).mul(xo).mul(V4::splat(1.0).add(t)).keep_nan(x)
}

/// `d gelu / dx` on four lanes.
#[inline(always)]
fn gelu_grad_v4(x: V4) -> V4 {
    let (xc, t) = gelu_tanh_arg(x);
    let one = V4::splat(1.0);
    let du = V4::splat(GELU_K0).mul(one.add(V4::splat(3.0 * GELU_K1).mul(xc).mul(xc)));
    let sech2 = one.sub(t.mul(t));
    V4::splat(0.5).mul(one.add(t)).add(V4::splat(0.5).mul(xc).mul(sech2).mul(du)).keep_nan(x)
}

/// `e^x` for one value: the same lanes as [`exp`], so bit-identical to it.
#[inline]
pub fn exp_f32(x: f32) -> f32 {
    exp_v4(V4::splat(x)).to_array()[0]
}

/// The logistic function for one value, bit-identical to [`sigmoid`].
#[inline]
pub fn sigmoid_f32(x: f32) -> f32 {
    sigmoid_v4(V4::splat(x)).to_array()[0]
}

/// `tanh` for one value, bit-identical to [`tanh`].
#[inline]
pub fn tanh_f32(x: f32) -> f32 {
    tanh_v4(V4::splat(x)).to_array()[0]
}

fn same_len(op: &'static str, a: usize, b: usize) -> Result<()> {
    if a != b {
        return Err(Error::shape(op, format!("input has {a} elements but the output has {b}; pass slices of one length")));
    }
    Ok(())
}

/// Applies a lane function to every element of `x` into `y` (the tail padded to four lanes, so every element goes
/// through the same code).
#[inline(always)]
fn map1(x: &[f32], y: &mut [f32], f: impl Fn(V4) -> V4) {
    let n4 = x.len() / 4 * 4;
    for (xs, ys) in x[..n4].chunks_exact(4).zip(y[..n4].chunks_exact_mut(4)) {
        // SAFETY: both chunks hold 4 floats.
        unsafe { f(V4::load(xs.as_ptr())).store(ys.as_mut_ptr()) };
    }
    let mut t = [0.0f32; 4];
    let rest = x.len() - n4;
    if rest > 0 {
        t[..rest].copy_from_slice(&x[n4..]);
        let v = f(unsafe { V4::load(t.as_ptr()) }).to_array();
        y[n4..].copy_from_slice(&v[..rest]);
    }
}

/// As [`map1`] with two inputs.
#[inline(always)]
fn map2(a: &[f32], b: &[f32], y: &mut [f32], f: impl Fn(V4, V4) -> V4) {
    let n4 = a.len() / 4 * 4;
    for ((as_, bs), ys) in a[..n4].chunks_exact(4).zip(b[..n4].chunks_exact(4)).zip(y[..n4].chunks_exact_mut(4)) {
        // SAFETY: all chunks hold 4 floats.
        unsafe { f(V4::load(as_.as_ptr()), V4::load(bs.as_ptr())).store(ys.as_mut_ptr()) };
    }
    let rest = a.len() - n4;
    if rest > 0 {
        let (mut ta, mut tb) = ([0.0f32; 4], [0.0f32; 4]);
        ta[..rest].copy_from_slice(&a[n4..]);
        tb[..rest].copy_from_slice(&b[n4..]);
        let v = unsafe { f(V4::load(ta.as_ptr()), V4::load(tb.as_ptr())) }.to_array();
        y[n4..].copy_from_slice(&v[..rest]);
    }
}

macro_rules! unary {
    ($(#[$doc:meta])* $name:ident, $inplace:ident, $naive:ident, $lanes:expr, $scalar:expr) => {
        #[doc = concat!("[`", stringify!($name), "`] in place, bit-identical to it.")]
        pub fn $inplace(x: &mut [f32]) {
            map_inplace(x, $lanes);
        }
        $(#[$doc])*
        ///
        /// # Errors
        /// [`Error::Shape`] when `x` and `y` differ in length.
        pub fn $name(x: &[f32], y: &mut [f32]) -> Result<()> {
            same_len(stringify!($name), x.len(), y.len())?;
            map1(x, y, $lanes);
            Ok(())
        }
        #[doc = concat!("The scalar twin of [`", stringify!($name), "`] (std's f32 functions, one element at a time).")]
        ///
        /// # Errors
        /// As the fast version.
        pub fn $naive(x: &[f32], y: &mut [f32]) -> Result<()> {
            same_len(stringify!($naive), x.len(), y.len())?;
            let f: fn(f32) -> f32 = $scalar;
            for (d, &v) in y.iter_mut().zip(x) {
                *d = f(v);
            }
            Ok(())
        }
    };
}

unary!(
    /// `y = e^x` element-wise, at most [`EXP_MAX_ULP`] ulps from the correctly rounded value.
    exp, exp_inplace, exp_naive, exp_v4, |v| v.exp()
);
unary!(
    /// `y = 1 / (1 + e^-x)` element-wise, in `[0, 1]`.
    sigmoid, sigmoid_inplace, sigmoid_naive, sigmoid_v4, |v| if v >= 0.0 { 1.0 / (1.0 + (-v).exp()) } else { v.exp() / (1.0 + v.exp()) }
);
unary!(
    /// `y = tanh(x)` element-wise, in `[-1, 1]`.
    tanh, tanh_inplace, tanh_naive, tanh_v4, |v| v.tanh()
);
unary!(
    /// `y = gelu(x)` element-wise, the tanh approximation `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`.
    gelu, gelu_inplace, gelu_naive, gelu_v4, |v| if v.is_nan() { v } else { let v = v.max(-GELU_CLIP); let c = v.min(GELU_CLIP); 0.5 * v * (1.0 + (GELU_K0 * (c + GELU_K1 * c * c * c)).tanh()) }
);
unary!(
    /// `y = max(x, 0)` element-wise (NaN stays NaN).
    relu, relu_inplace, relu_naive, |v: V4| v.max(V4::zero()).keep_nan(v), |v| if v.is_nan() || v > 0.0 { v } else { 0.0 }
);

fn same_len3(op: &'static str, a: usize, b: usize, c: usize) -> Result<()> {
    if a != b || a != c {
        return Err(Error::shape(op, format!("lengths {a}, {b} and {c} differ; pass slices of one length")));
    }
    Ok(())
}

/// Backward of [`sigmoid`] from its output: `dx = dy * y (1 - y)`.
///
/// # Errors
/// [`Error::Shape`] on different lengths.
pub fn sigmoid_backward(y: &[f32], dy: &[f32], dx: &mut [f32]) -> Result<()> {
    same_len3("sigmoid_backward", y.len(), dy.len(), dx.len())?;
    map2(y, dy, dx, |y, d| d.mul(y).mul(V4::splat(1.0).sub(y)));
    Ok(())
}

/// Backward of [`tanh`] from its output: `dx = dy * (1 - y^2)`.
///
/// # Errors
/// [`Error::Shape`] on different lengths.
pub fn tanh_backward(y: &[f32], dy: &[f32], dx: &mut [f32]) -> Result<()> {
    same_len3("tanh_backward", y.len(), dy.len(), dx.len())?;
    map2(y, dy, dx, |y, d| d.mul(V4::splat(1.0).sub(y.mul(y))));
    Ok(())
}

/// Backward of [`gelu`] from its input: `dx = dy * gelu'(x)`.
///
/// # Errors
/// [`Error::Shape`] on different lengths.
pub fn gelu_backward(x: &[f32], dy: &[f32], dx: &mut [f32]) -> Result<()> {
    same_len3("gelu_backward", x.len(), dy.len(), dx.len())?;
    map2(x, dy, dx, |x, d| d.mul(gelu_grad_v4(x)));
    Ok(())
}

/// Backward of [`relu`] from its input: `dx = dy * [x > 0]` (the subgradient 0 at 0).
///
/// # Errors
/// [`Error::Shape`] on different lengths.
pub fn relu_backward(x: &[f32], dy: &[f32], dx: &mut [f32]) -> Result<()> {
    same_len3("relu_backward", x.len(), dy.len(), dx.len())?;
    for ((d, &g), &v) in dx.iter_mut().zip(dy).zip(x) {
        *d = if v > 0.0 { g } else { 0.0 };
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// Softmax and log-softmax, row by row.

fn check_rows(op: &'static str, x: &MatRef, y: &[f32], rsy: usize) -> Result<()> {
    if x.rows == 0 || x.cols == 0 {
        return Ok(());
    }
    let last = (x.rows - 1).checked_mul(x.rs).and_then(|a| (x.cols - 1).checked_mul(x.cs).and_then(|b| a.checked_add(b)));
    if last.is_none_or(|l| l >= x.data.len()) {
        return Err(Error::shape(
            op,
            format!("x is {}x{} with strides ({}, {}) but has only {} elements", x.rows, x.cols, x.rs, x.cs, x.data.len()),
        ));
    }
    if x.rows > 1 && rsy < x.cols {
        return Err(Error::shape(op, format!("output row stride {rsy} is below the row length {}: rows would overlap", x.cols)));
    }
    let need = (x.rows - 1).checked_mul(rsy).and_then(|a| a.checked_add(x.cols));
    if need.is_none_or(|l| l > y.len()) {
        return Err(Error::shape(op, format!("output of {} rows of {} with row stride {rsy} needs more than {} elements", x.rows, x.cols, y.len())));
    }
    Ok(())
}

/// Copies row `i` of `x` into `dst` (contiguous), any column stride.
#[inline]
fn load_row(x: &MatRef, i: usize, dst: &mut [f32]) {
    let base = i * x.rs;
    if x.cs == 1 {
        dst.copy_from_slice(&x.data[base..base + x.cols]);
    } else {
        for (j, d) in dst.iter_mut().enumerate() {
            *d = x.data[base + j * x.cs];
        }
    }
}

/// Row maximum on lanes (NaN entries may or may not be seen; callers catch them through the exp sum).
#[inline]
fn row_max(r: &[f32]) -> f32 {
    let n4 = r.len() / 4 * 4;
    let mut m = V4::splat(f32::NEG_INFINITY);
    for c in r[..n4].chunks_exact(4) {
        // SAFETY: 4 floats.
        m = m.max(unsafe { V4::load(c.as_ptr()) });
    }
    r[n4..].iter().chain(m.to_array().iter()).fold(f32::NEG_INFINITY, |a, &b| a.max(b))
}

/// `sum exp(r - m)` on lanes, without storing the terms.
#[inline]
fn exp_sum(r: &[f32], m: f32) -> f32 {
    let n4 = r.len() / 4 * 4;
    let mv = V4::splat(m);
    let mut s = V4::zero();
    for c in r[..n4].chunks_exact(4) {
        // SAFETY: 4 floats.
        s = s.add(exp_v4(unsafe { V4::load(c.as_ptr()) }.sub(mv)));
    }
    s.to_array().iter().sum::<f32>() + r[n4..].iter().map(|&v| exp_f32(v - m)).sum::<f32>()
}

/// `r = exp(r - m)` in place on lanes; returns the sum.
#[inline]
fn exp_shift_sum(r: &mut [f32], m: f32) -> f32 {
    let n4 = r.len() / 4 * 4;
    let mv = V4::splat(m);
    let mut s = V4::zero();
    for c in r[..n4].chunks_exact_mut(4) {
        // SAFETY: 4 floats.
        unsafe {
            let e = exp_v4(V4::load(c.as_ptr()).sub(mv));
            e.store(c.as_mut_ptr());
            s = s.add(e);
        }
    }
    let mut sum: f32 = s.to_array().iter().sum();
    for v in &mut r[n4..] {
        *v = exp_f32(*v - m);
        sum += *v;
    }
    sum
}

/// Softmax of one contiguous row, in place: `r = exp(r - max) / sum`. A row with NaN or +inf, or only -inf, becomes
/// NaN.
pub fn softmax_row_inplace(r: &mut [f32]) {
    if r.is_empty() {
        return;
    }
    let m = row_max(r);
    let sum = if m.is_finite() { exp_shift_sum(r, m) } else { f32::NAN };
    if sum.is_nan() {
        r.fill(f32::NAN);
        return;
    }
    let inv = V4::splat(1.0 / sum);
    map_inplace(r, |v| v.mul(inv));
}

/// `ln sum_j e^{r_j}` of one row, stably (`max + ln sum e^{r - max}`); NaN for an empty row, a row with NaN or +inf,
/// or one of only -inf.
pub fn log_sum_exp(r: &[f32]) -> f32 {
    let m = if r.is_empty() { f32::NAN } else { row_max(r) };
    if !m.is_finite() {
        return f32::NAN;
    }
    m + exp_sum(r, m).ln()
}

/// Log-softmax of one contiguous row, in place: `r = r - max - ln(sum exp(r - max))`; NaN rows as in
/// [`softmax_row_inplace`].
pub fn log_softmax_row_inplace(r: &mut [f32]) {
    if r.is_empty() {
        return;
    }
    let m = row_max(r);
    let sum = if m.is_finite() { exp_sum(r, m) } else { f32::NAN };
    if sum.is_nan() {
        r.fill(f32::NAN);
        return;
    }
    let lse = V4::splat(m + sum.ln());
    map_inplace(r, |v| v.sub(lse));
}

#[inline(always)]
fn map_inplace(r: &mut [f32], f: impl Fn(V4) -> V4) {
    let n4 = r.len() / 4 * 4;
    for c in r[..n4].chunks_exact_mut(4) {
        // SAFETY: 4 floats.
        unsafe { f(V4::load(c.as_ptr())).store(c.as_mut_ptr()) };
    }
    for v in &mut r[n4..] {
        *v = f(V4::splat(*v)).to_array()[0];
    }
}

/// Row-wise softmax of the R x N strided matrix `x` into `y` (row `i` at `y[i * rsy..i * rsy + N]`; other
/// elements of `y` untouched). Each output row is non-negative and sums to 1 (up to rounding).
///
/// # Errors
/// [`Error::Shape`] when `x` is too short for its strides, or `y` for R rows of N with row stride `rsy`, or rows of
/// `y` would overlap.
pub fn softmax(x: MatRef, y: &mut [f32], rsy: usize) -> Result<()> {
    check_rows("softmax", &x, y, rsy)?;
    for i in 0..x.rows {
        let r = &mut y[i * rsy..i * rsy + x.cols];
        load_row(&x, i, r);
        softmax_row_inplace(r);
    }
    Ok(())
}

/// Row-wise log-softmax of `x` into `y`, as [`softmax`]: `y = x - max - ln(sum exp(x - max))`, every entry `<= 0`.
///
/// # Errors
/// As [`softmax`].
pub fn log_softmax(x: MatRef, y: &mut [f32], rsy: usize) -> Result<()> {
    check_rows("log_softmax", &x, y, rsy)?;
    for i in 0..x.rows {
        let r = &mut y[i * rsy..i * rsy + x.cols];
        load_row(&x, i, r);
        log_softmax_row_inplace(r);
    }
    Ok(())
}

/// The scalar twin of [`softmax`]: max, `exp` and the sum in plain f32 loops, one division per entry.
///
/// # Errors
/// As [`softmax`].
pub fn softmax_naive(x: MatRef, y: &mut [f32], rsy: usize) -> Result<()> {
    check_rows("softmax_naive", &x, y, rsy)?;
    for i in 0..x.rows {
        let row: Vec<f32> = (0..x.cols).map(|j| x.at(i, j)).collect();
        let mx = row.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        let s: f32 = row.iter().map(|&v| (v - mx).exp()).sum();
        for (j, &v) in row.iter().enumerate() {
            y[i * rsy + j] = (v - mx).exp() / s;
        }
    }
    Ok(())
}

/// The scalar twin of [`log_softmax`].
///
/// # Errors
/// As [`softmax`].
pub fn log_softmax_naive(x: MatRef, y: &mut [f32], rsy: usize) -> Result<()> {
    check_rows("log_softmax_naive", &x, y, rsy)?;
    for i in 0..x.rows {
        let row: Vec<f32> = (0..x.cols).map(|j| x.at(i, j)).collect();
        let mx = row.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        let lse = mx + row.iter().map(|&v| (v - mx).exp()).sum::<f32>().ln();
        for (j, &v) in row.iter().enumerate() {
            y[i * rsy + j] = v - lse;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// Layer norm.

/// Gradients [`layer_norm_backward`] writes (each overwritten; `None` skips one).
pub struct LnGrads<'a> {
    /// R x D.
    pub dx: Option<&'a mut [f32]>,
    /// D.
    pub dgamma: Option<&'a mut [f32]>,
    /// D.
    pub dbeta: Option<&'a mut [f32]>,
}

fn check_ln(op: &'static str, x: usize, d: usize, beta: usize, y: usize, rows: usize, rows2: usize) -> Result<()> {
    if d == 0 || beta != d || rows != rows2 || x != rows * d || y != x {
        return Err(Error::shape(
            op,
            format!("x ({x}) and y ({y}) must be R x D with D = gamma's length {d} (beta {beta}), R = mean's length {rows} (rstd {rows2})"),
        ));
    }
    Ok(())
}

/// Sum of a row on lanes.
#[inline]
fn lane_sum(r: &[f32], f: impl Fn(V4) -> V4, fs: impl Fn(f32) -> f32) -> f32 {
    let n4 = r.len() / 4 * 4;
    let mut s = V4::zero();
    for c in r[..n4].chunks_exact(4) {
        // SAFETY: 4 floats.
        s = s.add(f(unsafe { V4::load(c.as_ptr()) }));
    }
    s.to_array().iter().sum::<f32>() + r[n4..].iter().map(|&v| fs(v)).sum::<f32>()
}

/// Layer norm of each row of `x` (R x D): `y = (x - mean) * rstd * gamma + beta`, `rstd = 1 / sqrt(var + eps)`
/// (biased variance, two passes). Writes `y` (R x D) and the per-row `mean` and `rstd` (R each) the backward needs.
///
/// # Errors
/// [`Error::Shape`] when the lengths do not form R x D with D = `gamma.len()` and R = `mean.len()`;
/// [`Error::Range`] when `eps < 0` or is not finite.
pub fn layer_norm(x: &[f32], gamma: &[f32], beta: &[f32], eps: f32, y: &mut [f32], mean: &mut [f32], rstd: &mut [f32]) -> Result<()> {
    let d = gamma.len();
    check_ln("layer_norm", x.len(), d, beta.len(), y.len(), mean.len(), rstd.len())?;
    if !(eps >= 0.0 && eps.is_finite()) {
        return Err(Error::range("layer_norm eps", format!("{eps} must be finite and >= 0 (1e-5 is usual)")));
    }
    let inv_d = 1.0 / d as f32;
    for (i, (xr, yr)) in x.chunks_exact(d).zip(y.chunks_exact_mut(d)).enumerate() {
        let m = lane_sum(xr, |v| v, |v| v) * inv_d;
        let mv = V4::splat(m);
        let var = lane_sum(xr, |v| v.sub(mv).mul(v.sub(mv)), |v| (v - m) * (v - m)) * inv_d;
        let rs = 1.0 / (var + eps).sqrt();
        mean[i] = m;
        rstd[i] = rs;
        let rv = V4::splat(rs);
        let n4 = d / 4 * 4;
        for k in (0..n4).step_by(4) {
            // SAFETY: k + 4 <= n4 <= d for each of the four rows of length d.
            unsafe {
                let xh = V4::load(xr.as_ptr().add(k)).sub(mv).mul(rv);
                V4::load(beta.as_ptr().add(k)).mul_add(xh, V4::load(gamma.as_ptr().add(k))).store(yr.as_mut_ptr().add(k));
            }
        }
        for k in n4..d {
            yr[k] = beta[k] + (xr[k] - m) * rs * gamma[k];
        }
    }
    Ok(())
}

/// Backward of [`layer_norm`]: with `xhat = (x - mean) rstd` and `g = dy * gamma`,
/// `dx = rstd (g - mean(g) - xhat mean(g xhat))`, `dgamma = sum_rows dy xhat`, `dbeta = sum_rows dy`.
///
/// # Errors
/// As [`layer_norm`], and when `dy` or a gradient has the wrong length.
pub fn layer_norm_backward(x: &[f32], gamma: &[f32], mean: &[f32], rstd: &[f32], dy: &[f32], grads: LnGrads) -> Result<()> {
    let d = gamma.len();
    check_ln("layer_norm_backward", x.len(), d, d, dy.len(), mean.len(), rstd.len())?;
    let LnGrads { mut dx, dgamma, dbeta } = grads;
    if dx.as_ref().is_some_and(|v| v.len() != x.len())
        || dgamma.as_ref().is_some_and(|v| v.len() != d)
        || dbeta.as_ref().is_some_and(|v| v.len() != d)
    {
        return Err(Error::shape("layer_norm_backward", format!("dx must be R x D = {} and dgamma, dbeta D = {d}", x.len())));
    }
    let mut dg = vec![0.0f32; d];
    let mut dbt = vec![0.0f32; d];
    let inv_d = 1.0 / d as f32;
    let mut xh = vec![0.0f32; d];
    let mut g = vec![0.0f32; d];
    for (i, (xr, dyr)) in x.chunks_exact(d).zip(dy.chunks_exact(d)).enumerate() {
        let (m, rs) = (mean[i], rstd[i]);
        for k in 0..d {
            xh[k] = (xr[k] - m) * rs;
            g[k] = dyr[k] * gamma[k];
            dg[k] += dyr[k] * xh[k];
            dbt[k] += dyr[k];
        }
        if let Some(dx) = dx.as_deref_mut() {
            let mg = lane_sum(&g, |v| v, |v| v) * inv_d;
            let mut s = V4::zero();
            let n4 = d / 4 * 4;
            for k in (0..n4).step_by(4) {
                // SAFETY: k + 4 <= n4 <= d.
                s = unsafe { s.mul_add(V4::load(g.as_ptr().add(k)), V4::load(xh.as_ptr().add(k))) };
            }
            let mgx = (s.to_array().iter().sum::<f32>() + (n4..d).map(|k| g[k] * xh[k]).sum::<f32>()) * inv_d;
            let dxr = &mut dx[i * d..(i + 1) * d];
            for k in 0..d {
                dxr[k] = rs * (g[k] - mg - xh[k] * mgx);
            }
        }
    }
    if let Some(v) = dgamma {
        v.copy_from_slice(&dg);
    }
    if let Some(v) = dbeta {
        v.copy_from_slice(&dbt);
    }
    Ok(())
}

/// The scalar twin of [`layer_norm`]: mean, variance and the output in f64, per row.
///
/// # Errors
/// As [`layer_norm`].
pub fn layer_norm_naive(x: &[f32], gamma: &[f32], beta: &[f32], eps: f32, y: &mut [f32], mean: &mut [f32], rstd: &mut [f32]) -> Result<()> {
    let d = gamma.len();
    check_ln("layer_norm_naive", x.len(), d, beta.len(), y.len(), mean.len(), rstd.len())?;
    for (i, (xr, yr)) in x.chunks_exact(d).zip(y.chunks_exact_mut(d)).enumerate() {
        let m = xr.iter().map(|&v| v as f64).sum::<f64>() / d as f64;
        let var = xr.iter().map(|&v| (v as f64 - m).powi(2)).sum::<f64>() / d as f64;
        let rs = 1.0 / (var + eps as f64).sqrt();
        mean[i] = m as f32;
        rstd[i] = rs as f32;
        for k in 0..d {
            yr[k] = ((xr[k] as f64 - m) * rs * gamma[k] as f64 + beta[k] as f64) as f32;
        }
    }
    Ok(())
}
