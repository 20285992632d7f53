//! x86-64 lanes for native builds: a 6 x 16 AVX2 + FMA register tile (12 ymm accumulators, 2 for B, 1 broadcast of A:
//! 15 of the 16 ymm registers), the shape of the BLIS Haswell kernel. Chosen at run time when the CPU has AVX2 and
//! FMA; otherwise the portable 4 x 8 kernel runs.

use core::arch::x86_64::*;

/// Rows of the tile.
pub const MR: usize = 6;
/// Columns of the tile.
pub const NR: usize = 16;

/// The accumulators of the tile: `acc[i][h] = sum_p a[p * MR + i] * b[p * NR + 8h..8h+8]`.
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn accumulate(kc: usize, a: *const f32, b: *const f32) -> [[__m256; 2]; MR] {
    let mut acc = [[_mm256_setzero_ps(); 2]; MR];
    for p in 0..kc {
        let b0 = _mm256_loadu_ps(b.add(p * NR));
        let b1 = _mm256_loadu_ps(b.add(p * NR + 8));
        for (i, row) in acc.iter_mut().enumerate() {
            let av = _mm256_set1_ps(*a.add(p * MR + i));
            row[0] = _mm256_fmadd_ps(av, b0, row[0]);
            row[1] = _mm256_fmadd_ps(av, b1, row[1]);
        }
    }
    acc
}

/// The tile written straight into C: `C[i * rsc + j] = alpha * tile + beta * C` (a product, then a sum, rounded as
/// the scalar write-back in the GEMM; C not read when `beta == 0`).
///
/// # Safety
/// As [`kernel`], and `c` must hold an `MR x NR` block with row stride `rsc`.
#[target_feature(enable = "avx2,fma")]
pub unsafe fn kernel_c(kc: usize, a: *const f32, b: *const f32, c: *mut f32, rsc: usize, alpha: f32, beta: f32) {
    let acc = accumulate(kc, a, b);
    let (va, vb) = (_mm256_set1_ps(alpha), _mm256_set1_ps(beta));
    for (i, row) in acc.iter().enumerate() {
        for (h, v) in row.iter().enumerate() {
            let dst = c.add(i * rsc + 8 * h);
            let t = _mm256_mul_ps(*v, va);
            let out = if beta == 0.0 { t } else { _mm256_add_ps(t, _mm256_mul_ps(_mm256_loadu_ps(dst), vb)) };
            _mm256_storeu_ps(dst, out);
        }
    }
}

/// `tile[i * NR + j] = sum_p a[p * MR + i] * b[p * NR + j]` over packed strips of depth `kc`.
///
/// # Safety
/// The CPU must support AVX2 and FMA; `a` must hold `kc * MR` floats, `b` `kc * NR`, `tile` `MR * NR`.
#[target_feature(enable = "avx2,fma")]
pub unsafe fn kernel(kc: usize, a: *const f32, b: *const f32, tile: *mut f32) {
    let acc = accumulate(kc, a, b);
    for (i, row) in acc.iter().enumerate() {
        _mm256_storeu_ps(tile.add(i * NR), row[0]);
        _mm256_storeu_ps(tile.add(i * NR + 8), row[1]);
    }
}
