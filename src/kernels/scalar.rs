//! Portable lanes: a 4-wide f32 "vector" made of a plain array. Natively LLVM turns these into SSE/NEON code; in
//! wasm without `simd128` they stay scalar. Same interface as `simd128.rs`, so each kernel body is written once.

/// Four f32 lanes.
#[derive(Copy, Clone, Debug)]
#[repr(transparent)]
pub struct V4([f32; 4]);

#[allow(clippy::should_implement_trait)] // the lane interface is methods, the same in every lane file
impl V4 {
    /// All lanes zero.
    #[inline(always)]
    pub fn zero() -> Self {
        V4([0.0; 4])
    }
    /// All lanes `x`.
    #[inline(always)]
    pub fn splat(x: f32) -> Self {
        V4([x; 4])
    }
    /// Loads 4 floats from `p` (no alignment needed).
    ///
    /// # Safety
    /// `p..p+4` must be readable.
    #[inline(always)]
    pub unsafe fn load(p: *const f32) -> Self {
        V4([*p, *p.add(1), *p.add(2), *p.add(3)])
    }
    /// Stores 4 floats to `p` (no alignment needed).
    ///
    /// # Safety
    /// `p..p+4` must be writable.
    #[inline(always)]
    pub unsafe fn store(self, p: *mut f32) {
        *p = self.0[0];
        *p.add(1) = self.0[1];
        *p.add(2) = self.0[2];
        *p.add(3) = self.0[3];
    }
    /// `self + a * b`, lane-wise (two roundings, like plain simd128).
    #[inline(always)]
    pub fn mul_add(self, a: V4, b: V4) -> Self {
        V4([
            self.0[0] + a.0[0] * b.0[0],
            self.0[1] + a.0[1] * b.0[1],
            self.0[2] + a.0[2] * b.0[2],
            self.0[3] + a.0[3] * b.0[3],
        ])
    }
    /// Lane-wise sum.
    #[inline(always)]
    pub fn add(self, o: V4) -> Self {
        V4([self.0[0] + o.0[0], self.0[1] + o.0[1], self.0[2] + o.0[2], self.0[3] + o.0[3]])
    }
    /// Lane-wise product.
    #[inline(always)]
    pub fn mul(self, o: V4) -> Self {
        V4([self.0[0] * o.0[0], self.0[1] * o.0[1], self.0[2] * o.0[2], self.0[3] * o.0[3]])
    }
    /// Lane-wise maximum (NaN handling unspecified).
    #[inline(always)]
    pub fn max(self, o: V4) -> Self {
        V4([self.0[0].max(o.0[0]), self.0[1].max(o.0[1]), self.0[2].max(o.0[2]), self.0[3].max(o.0[3])])
    }
    /// Lane-wise difference.
    #[inline(always)]
    pub fn sub(self, o: V4) -> Self {
        V4([self.0[0] - o.0[0], self.0[1] - o.0[1], self.0[2] - o.0[2], self.0[3] - o.0[3]])
    }
    /// Lane-wise quotient.
    #[inline(always)]
    pub fn div(self, o: V4) -> Self {
        V4([self.0[0] / o.0[0], self.0[1] / o.0[1], self.0[2] / o.0[2], self.0[3] / o.0[3]])
    }
    /// Lane-wise minimum (NaN handling unspecified).
    #[inline(always)]
    pub fn min(self, o: V4) -> Self {
        V4([self.0[0].min(o.0[0]), self.0[1].min(o.0[1]), self.0[2].min(o.0[2]), self.0[3].min(o.0[3])])
    }
    /// `2^n` for lanes holding integers `n` in `-126..=127` (built from the exponent bits; other inputs unspecified).
    #[inline(always)]
    pub fn pow2i(self) -> Self {
        V4(self.0.map(|n| f32::from_bits(((n as i32 + 127) << 23) as u32)))
    }
    /// The lanes of `src` that are NaN, the lanes of `self` elsewhere.
    #[inline(always)]
    pub fn keep_nan(self, src: V4) -> Self {
        V4(std::array::from_fn(|i| if src.0[i].is_nan() { src.0[i] } else { self.0[i] }))
    }
    /// `|self|` with the sign of `sign`, lane-wise.
    #[inline(always)]
    pub fn copysign(self, sign: V4) -> Self {
        V4(std::array::from_fn(|i| self.0[i].copysign(sign.0[i])))
    }
    /// Lane-wise `if x < 0 { a } else { b }` (NaN in `x` picks `b`).
    #[inline(always)]
    pub fn select_neg(x: V4, a: V4, b: V4) -> Self {
        V4(std::array::from_fn(|i| if x.0[i] < 0.0 { a.0[i] } else { b.0[i] }))
    }
    /// The lanes as an array.
    #[inline(always)]
    pub fn to_array(self) -> [f32; 4] {
        self.0
    }
}
