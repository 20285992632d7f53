//! WebAssembly SIMD128 lanes behind the same interface as `scalar.rs`. Chosen at compile time by
//! `cfg(target_feature = "simd128")` (set for wasm32 in `.cargo/config.toml`).

use core::arch::wasm32::*;

/// Four f32 lanes in one `v128`.
#[derive(Copy, Clone, Debug)]
#[repr(transparent)]
pub struct V4(v128);

#[allow(clippy::should_implement_trait)] // the lane interface is methods, the same in every lane file
impl V4 {
    /// All lanes zero.
    #[inline(always)]
    pub fn zero() -> Self {
        V4(f32x4_splat(0.0))
    }
    /// All lanes `x`.
    #[inline(always)]
    pub fn splat(x: f32) -> Self {
        V4(f32x4_splat(x))
    }
    /// Loads 4 floats from `p` (no alignment needed).
    ///
    /// # Safety
    /// `p..p+4` must be readable.
    #[inline(always)]
    pub unsafe fn load(p: *const f32) -> Self {
        V4(v128_load(p as *const v128))
    }
    /// Stores 4 floats to `p` (no alignment needed).
    ///
    /// # Safety
    /// `p..p+4` must be writable.
    #[inline(always)]
    pub unsafe fn store(self, p: *mut f32) {
        v128_store(p as *mut v128, self.0)
    }
    /// `self + a * b`, lane-wise. With `relaxed-simd` enabled this is a fused multiply-add where the engine has one.
    #[inline(always)]
    pub fn mul_add(self, a: V4, b: V4) -> Self {
        #[cfg(target_feature = "relaxed-simd")]
        {
            V4(f32x4_relaxed_madd(a.0, b.0, self.0))
        }
        #[cfg(not(target_feature = "relaxed-simd"))]
        {
            V4(f32x4_add(self.0, f32x4_mul(a.0, b.0)))
        }
    }
    /// Lane-wise sum.
    #[inline(always)]
    pub fn add(self, o: V4) -> Self {
        V4(f32x4_add(self.0, o.0))
    }
    /// Lane-wise product.
    #[inline(always)]
    pub fn mul(self, o: V4) -> Self {
        V4(f32x4_mul(self.0, o.0))
    }
    /// Lane-wise maximum (NaN handling unspecified).
    #[inline(always)]
    pub fn max(self, o: V4) -> Self {
        V4(f32x4_pmax(self.0, o.0))
    }
    /// Lane-wise difference.
    #[inline(always)]
    pub fn sub(self, o: V4) -> Self {
        V4(f32x4_sub(self.0, o.0))
    }
    /// Lane-wise quotient.
    #[inline(always)]
    pub fn div(self, o: V4) -> Self {
        V4(f32x4_div(self.0, o.0))
    }
    /// Lane-wise minimum (NaN handling unspecified).
    #[inline(always)]
    pub fn min(self, o: V4) -> Self {
        V4(f32x4_pmin(self.0, o.0))
    }
    /// `2^n` for lanes holding integers `n` in `-126..=127` (built from the exponent bits; other inputs unspecified).
    #[inline(always)]
    pub fn pow2i(self) -> Self {
        let n = i32x4_trunc_sat_f32x4(self.0);
        V4(i32x4_shl(i32x4_add(n, i32x4_splat(127)), 23))
    }
    /// The lanes of `src` that are NaN, the lanes of `self` elsewhere.
    #[inline(always)]
    pub fn keep_nan(self, src: V4) -> Self {
        V4(v128_bitselect(self.0, src.0, f32x4_eq(src.0, src.0)))
    }
    /// `|self|` with the sign of `sign`, lane-wise.
    #[inline(always)]
    pub fn copysign(self, sign: V4) -> Self {
        V4(v128_bitselect(sign.0, self.0, f32x4_splat(-0.0)))
    }
    /// Lane-wise `if x < 0 { a } else { b }` (NaN in `x` picks `b`).
    #[inline(always)]
    pub fn select_neg(x: V4, a: V4, b: V4) -> Self {
        V4(v128_bitselect(a.0, b.0, f32x4_lt(x.0, f32x4_splat(0.0))))
    }
    /// The lanes as an array.
    #[inline(always)]
    pub fn to_array(self) -> [f32; 4] {
        [
            f32x4_extract_lane::<0>(self.0),
            f32x4_extract_lane::<1>(self.0),
            f32x4_extract_lane::<2>(self.0),
            f32x4_extract_lane::<3>(self.0),
        ]
    }
}
