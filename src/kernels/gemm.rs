//! General f32 matrix multiply, `C = alpha * A B + beta * C`, on strided views.
//!
//! Legend: M rows of A and C, K the shared dimension, N columns of B and C. MR x NR is the register tile of the
//! micro-kernel, MC x KC the block of A packed into L2, KC x NC the block of B packed into L3.
//!
//! The algorithm is the Goto/BLIS one: for each NC-wide column block of B and each KC-deep slice of it, pack that
//! slice of B into NR-wide strips; then for each MC-tall block of A (these blocks are the parallel tasks), pack it into
//! MR-tall strips and run the MR x NR micro-kernel over every (strip of A, strip of B) pair. Edges are zero-padded in
//! the packed buffers, so the micro-kernel has no edge case; only the write-back is clipped. `beta == 0` never reads C
//! (C may hold NaN), as in BLAS.

use crate::error::{Error, Result};
use crate::kernels::V4;

/// Rows of the portable register tile (simd128 / scalar lanes).
pub const MR: usize = 4;
/// Columns of the portable register tile (a multiple of 4 lanes).
pub const NR: usize = 8;
const NV: usize = NR / 4;
/// Depth of a packed block.
pub const KC: usize = 256;
/// Height of a packed block of A, in register tiles.
const MC_TILES: usize = 16;
/// Width of a packed block of B, in register tiles.
const NC_TILES: usize = 128;
/// Largest `mr * nr` of any micro-kernel.
const TILE_MAX: usize = 96;

/// A micro-kernel: computes an `mr x nr` tile from packed strips of depth `kc` into a row-major buffer.
#[derive(Copy, Clone)]
struct Kernel {
    mr: usize,
    nr: usize,
    run: unsafe fn(usize, *const f32, *const f32, *mut f32),
    /// The same tile written straight into C (row stride `rsc`, unit column stride): `C = alpha * tile + beta * C`,
    /// rounded exactly as the write-back in `macro_kernel` (a product, then a sum: no fused multiply-add), C not
    /// read when `beta == 0`.
    run_c: unsafe fn(usize, *const f32, *const f32, *mut f32, usize, f32, f32),
    name: &'static str,
}

/// The portable kernel writing a full tile straight into C (see [`Kernel::run_c`]).
unsafe fn portable_kernel_c(kc: usize, a: *const f32, b: *const f32, c: *mut f32, rsc: usize, alpha: f32, beta: f32) {
    let acc = micro_kernel(kc, a, b);
    let (va, vb) = (V4::splat(alpha), V4::splat(beta));
    for (i, row) in acc.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            let dst = c.add(i * rsc + 4 * j);
            let t = v.mul(va);
            let out = if beta == 0.0 { t } else { t.add(V4::load(dst).mul(vb)) };
            out.store(dst);
        }
    }
}

/// The portable kernel: the 4 x 8 tile on [`V4`] lanes (simd128 in wasm, auto-vectorised natively).
unsafe fn portable_kernel(kc: usize, a: *const f32, b: *const f32, tile: *mut f32) {
    let acc = micro_kernel(kc, a, b);
    for (i, row) in acc.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            v.store(tile.add(i * NR + 4 * j));
        }
    }
}

fn kernel() -> Kernel {
    static K: std::sync::OnceLock<Kernel> = std::sync::OnceLock::new();
    *K.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                return Kernel {
                    mr: super::x86::MR,
                    nr: super::x86::NR,
                    run: super::x86::kernel,
                    run_c: super::x86::kernel_c,
                    name: "avx2+fma",
                };
            }
        }
        Kernel { mr: MR, nr: NR, run: portable_kernel, run_c: portable_kernel_c, name: "portable" }
    })
}

/// The register tile `(rows, cols)` and name of the micro-kernel this machine runs (chosen once, at first use).
pub fn tile() -> (usize, usize, &'static str) {
    let k = kernel();
    (k.mr, k.nr, k.name)
}

/// A read-only strided matrix view: element `(i, j)` is `data[i * rs + j * cs]`.
#[derive(Copy, Clone, Debug)]
pub struct MatRef<'a> {
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
    /// Row stride in elements.
    pub rs: usize,
    /// Column stride in elements.
    pub cs: usize,
}

impl<'a> MatRef<'a> {
    /// A row-major `rows x cols` view of `data` (`data.len()` must be at least `rows * cols`; checked when used).
    pub fn new(data: &'a [f32], rows: usize, cols: usize) -> Self {
        MatRef { data, rows, cols, rs: cols, cs: 1 }
    }
    /// A view with explicit strides.
    pub fn strided(data: &'a [f32], rows: usize, cols: usize, rs: usize, cs: usize) -> Self {
        MatRef { data, rows, cols, rs, cs }
    }
    /// The transpose, without copying.
    pub fn t(self) -> Self {
        MatRef { data: self.data, rows: self.cols, cols: self.rows, rs: self.cs, cs: self.rs }
    }
    /// Element `(i, j)`; panics when out of bounds.
    #[inline]
    pub fn at(&self, i: usize, j: usize) -> f32 {
        self.data[i * self.rs + j * self.cs]
    }
    fn check(&self, op: &'static str, name: &str) -> Result<()> {
        if self.rows == 0 || self.cols == 0 {
            return Ok(());
        }
        let last = (self.rows - 1)
            .checked_mul(self.rs)
            .and_then(|x| (self.cols - 1).checked_mul(self.cs).and_then(|y| x.checked_add(y)));
        match last {
            Some(l) if l < self.data.len() => Ok(()),
            _ => Err(Error::shape(
                op,
                format!(
                    "{name} is {}x{} with strides ({}, {}) but has only {} elements",
                    self.rows,
                    self.cols,
                    self.rs,
                    self.cs,
                    self.data.len()
                ),
            )),
        }
    }
}

/// Whether the `m x n` layout with element `(i, j)` at `i * rs + j * cs` addresses some element twice.
///
/// Two elements collide when `di * rs == dj * cs` for some `(di, dj) != (0, 0)` with `|di| < m`, `|dj| < n`; as
/// strides are non-negative that needs either a zero stride along an axis of length > 1, or `1 <= di < m`,
/// `1 <= dj < n` with `di * rs == dj * cs`, whose smallest solution is `di = cs / g`, `dj = rs / g`
/// (`g = gcd(rs, cs)`). Exact both ways: interleaved layouts such as strides (2, 3) on 2 x 2 (offsets 0, 3, 2, 5)
/// are accepted.
pub(crate) fn strides_alias(m: usize, n: usize, rs: usize, cs: usize) -> bool {
    if m == 0 || n == 0 {
        return false;
    }
    if (n > 1 && cs == 0) || (m > 1 && rs == 0) {
        return true;
    }
    if m == 1 || n == 1 {
        return false;
    }
    let g = gcd(rs, cs);
    cs / g < m && rs / g < n
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

fn check_c(op: &'static str, c: &[f32], m: usize, n: usize, rsc: usize, csc: usize) -> Result<()> {
    if m == 0 || n == 0 {
        return Ok(());
    }
    let last = (m - 1).checked_mul(rsc).and_then(|x| (n - 1).checked_mul(csc).and_then(|y| x.checked_add(y)));
    match last {
        Some(l) if l < c.len() && !strides_alias(m, n, rsc, csc) => Ok(()),
        Some(l) if l < c.len() => Err(Error::shape(
            op,
            format!("C is {m}x{n} with strides ({rsc}, {csc}), which address some element twice; use distinct offsets (e.g. strides ({n}, 1))"),
        )),
        _ => {
            Err(Error::shape(op, format!("C is {m}x{n} with strides ({rsc}, {csc}) but has only {} elements", c.len())))
        }
    }
}

/// A is M x K and B is K x N, and each view fits its buffer.
fn check_ab(op: &'static str, a: &MatRef, b: &MatRef) -> Result<()> {
    if a.cols != b.rows {
        return Err(Error::shape(
            op,
            format!("inputs {}x{} and {}x{} are not compatible", a.rows, a.cols, b.rows, b.cols),
        ));
    }
    a.check(op, "A")?;
    b.check(op, "B")
}

fn check_shapes(op: &'static str, a: &MatRef, b: &MatRef, c: &[f32], rsc: usize, csc: usize) -> Result<()> {
    check_ab(op, a, b)?;
    check_c(op, c, a.rows, b.cols, rsc, csc)
}

/// `C = alpha * A B + beta * C` where `A` is M x K, `B` is K x N and `C` is M x N with element `(i, j)` at
/// `c[i * rsc + j * csc]`. With `beta == 0`, C is only written, never read.
///
/// Packed, cache-blocked, with a SIMD register-tiled micro-kernel; parallel over blocks of C under feature
/// `parallel` (results are bit-identical with and without threads: each element is summed in the same order).
///
/// # Errors
/// [`Error::Shape`] when `A.cols != B.rows`, when a view is too short for its shape and strides, or when C's
/// strides make two elements overlap (exact: every layout with distinct offsets is accepted, interleaved ones too).
pub fn gemm(alpha: f32, a: MatRef, b: MatRef, beta: f32, c: &mut [f32], rsc: usize, csc: usize) -> Result<()> {
    check_shapes("gemm", &a, &b, c, rsc, csc)?;
    // SAFETY: the checks above prove every index used below is in bounds and distinct.
    unsafe { gemm_at(alpha, a, b, beta, c.as_mut_ptr(), rsc, csc, true) };
    Ok(())
}

/// [`gemm`] on the calling thread only, for callers that are already parallel over independent products (the
/// convolution's batch). Bit-identical to [`gemm`].
///
/// # Errors
/// As [`gemm`].
pub(crate) fn gemm_serial(alpha: f32, a: MatRef, b: MatRef, beta: f32, c: &mut [f32], rsc: usize, csc: usize) -> Result<()> {
    check_shapes("gemm", &a, &b, c, rsc, csc)?;
    // SAFETY: as in `gemm`.
    unsafe { gemm_at(alpha, a, b, beta, c.as_mut_ptr(), rsc, csc, false) };
    Ok(())
}

/// [`gemm_serial`] into a C addressed by a raw pointer, for callers whose tasks write disjoint, interleaved blocks
/// of one output (the convolution's bands of output pixels and blocks of weight-gradient columns). Checks A and B;
/// C is the caller's promise.
///
/// # Errors
/// As [`gemm`] for A and B.
///
/// # Safety
/// `c` must be valid for reads and writes at every offset `i * rsc + j * csc` (i < M, j < N), those offsets must be
/// distinct, and no other thread may touch them during the call.
pub(crate) unsafe fn gemm_serial_ptr(alpha: f32, a: MatRef, b: MatRef, beta: f32, c: *mut f32, rsc: usize, csc: usize) -> Result<()> {
    check_ab("gemm", &a, &b)?;
    gemm_at(alpha, a, b, beta, c, rsc, csc, false);
    Ok(())
}

/// Row-major `A B` into a new vector (M x N).
///
/// # Errors
/// As [`gemm`].
pub fn matmul(a: MatRef, b: MatRef) -> Result<Vec<f32>> {
    let mut c = vec![0.0; a.rows * b.cols];
    let n = b.cols;
    gemm(1.0, a, b, 0.0, &mut c, n, 1)?;
    Ok(c)
}

/// The plain twin of [`gemm`]: three loops, f32 accumulation in K order. The test oracle.
///
/// # Errors
/// As [`gemm`].
pub fn gemm_naive(alpha: f32, a: MatRef, b: MatRef, beta: f32, c: &mut [f32], rsc: usize, csc: usize) -> Result<()> {
    check_shapes("gemm_naive", &a, &b, c, rsc, csc)?;
    for i in 0..a.rows {
        for j in 0..b.cols {
            let mut s = 0.0f32;
            for p in 0..a.cols {
                s += a.at(i, p) * b.at(p, j);
            }
            let dst = &mut c[i * rsc + j * csc];
            *dst = if beta == 0.0 { alpha * s } else { alpha * s + beta * *dst };
        }
    }
    Ok(())
}

/// The checked entry points' common tail: empty products, `C = beta * C` when K = 0 or alpha = 0, else the packed
/// product (threaded when `parallel`).
///
/// # Safety
/// A and B are checked; `c` is valid for reads and writes at every `i * rsc + j * csc` (i < M, j < N), those
/// offsets are distinct, and no other thread touches them during the call.
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_at(alpha: f32, a: MatRef, b: MatRef, beta: f32, c: *mut f32, rsc: usize, csc: usize, parallel: bool) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 || alpha == 0.0 {
        for i in 0..m {
            for j in 0..n {
                let x = c.add(i * rsc + j * csc);
                *x = if beta == 0.0 { 0.0 } else { beta * *x };
            }
        }
        return;
    }
    gemm_unchecked(m, k, n, alpha, a, b, beta, c, rsc, csc, parallel);
}

/// A raw output pointer that parallel tasks share; each task writes only its own disjoint elements through it (the
/// GEMM's blocks of C here, the convolution's bands and channel blocks in `conv.rs`).
#[derive(Copy, Clone)]
pub(crate) struct SendPtr(pub(crate) *mut f32);
// SAFETY: every user writes disjoint elements from each task (see gemm_unchecked and the conv callers).
unsafe impl Send for SendPtr {}
unsafe impl Sync for SendPtr {}
impl SendPtr {
    #[inline(always)]
    pub(crate) fn get(self) -> *mut f32 {
        self.0
    }
}

/// Multiply-adds (`m * n * k`) below which a product runs on one thread: under it, handing out blocks costs more than
/// it saves. Measured with `make bench`: in the browser 128³ (2²¹) gains on 2 threads (30 -> 34 GFLOP/s) now that
/// helpers linger between products; natively the same product loses (70 -> 56), so there the cut is 2²² (~160³).
#[cfg(target_arch = "wasm32")]
const PAR_MIN: usize = 1 << 21;
#[cfg(not(target_arch = "wasm32"))]
const PAR_MIN: usize = 1 << 22;
/// With threads, aim for at least this many blocks of C per thread, so a thread that starts late evens out.
const TASKS_PER_THREAD: usize = 4;
/// Largest packed B, in floats (16 MB): all K slices of a column block are packed at once.
const BPACK_MAX: usize = 1 << 22;

#[allow(clippy::too_many_arguments)]
unsafe fn gemm_unchecked(
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    a: MatRef,
    b: MatRef,
    beta: f32,
    c: *mut f32,
    rsc: usize,
    csc: usize,
    allow_threads: bool,
) {
    let threads = if allow_threads { crate::par::threads() } else { 1 };
    let kern = kernel();
    let (mr, nr) = (kern.mr, kern.nr);
    let (mc_max, nc_max) = (mr * MC_TILES, nr * NC_TILES);
    let par = threads > 1 && m.saturating_mul(n).saturating_mul(k) >= PAR_MIN;
    let cp = SendPtr(c);
    let slices = k.div_ceil(KC);
    // Cap the packed B at BPACK_MAX floats: a deep K narrows the column blocks instead.
    let nc_max = nc_max.min((BPACK_MAX / k).max(nr) / nr * nr);
    let nc_pad_max = nc_max.min(n.div_ceil(nr) * nr);
    // All K slices of one NC-wide column block of B are packed up front (slice `s` at `s * KC * nc_pad`), so each
    // block of C is one task that runs through every slice: one parallel region per column block, not per slice.
    with_buffer(&BPACK, k * nc_pad_max, |bpack| {
        for jc in (0..n).step_by(nc_max) {
            let nc = nc_max.min(n - jc);
            let nc_pad = nc.div_ceil(nr) * nr;
            let pack_slice = |s: usize, out: &mut [f32]| {
                let (pc, kc) = (s * KC, KC.min(k - s * KC));
                let bsub = MatRef { data: &b.data[pc * b.rs + jc * b.cs..], rows: kc, cols: nc, rs: b.rs, cs: b.cs };
                pack_b(&bsub, nr, out);
            };
            if par && slices > 1 {
                let bp = SendPtr(bpack.as_mut_ptr());
                crate::par::run_tasks(slices, |s| {
                    let len = KC.min(k - s * KC) * nc_pad;
                    // SAFETY: slice s owns bpack[s * KC * nc_pad..][..len]; slices are disjoint.
                    let out = std::slice::from_raw_parts_mut(bp.get().add(s * KC * nc_pad), len);
                    pack_slice(s, out);
                });
            } else {
                for s in 0..slices {
                    let len = KC.min(k - s * KC) * nc_pad;
                    pack_slice(s, &mut bpack[s * KC * nc_pad..s * KC * nc_pad + len]);
                }
            }
            // The task grid: blocks of rows of C (mc tall) x blocks of columns (ncb wide), both whole register tiles.
            let (mc, ncb) = if par {
                let want = threads * TASKS_PER_THREAD;
                let mc = mc_max.min(m.div_ceil(want).div_ceil(mr) * mr).max(mr * 4.min(m.div_ceil(mr)));
                let row_blocks = m.div_ceil(mc);
                let col_split = want.div_ceil(row_blocks).min(nc_pad / nr).max(1);
                (mc, nc.div_ceil(col_split).div_ceil(nr) * nr)
            } else {
                (mc_max, nc_pad)
            };
            let col_blocks = nc.div_ceil(ncb);
            let tasks = m.div_ceil(mc) * col_blocks;
            let bp: &[f32] = bpack;
            let run = |t: usize| {
                let (ib, jb) = (t / col_blocks, t % col_blocks);
                let ic = ib * mc;
                let mcc = mc.min(m - ic);
                let j0 = jb * ncb;
                let ncc = ncb.min(nc - j0);
                with_buffer(&APACK, mcc.div_ceil(mr) * mr * KC.min(k), |apack| {
                    for s in 0..slices {
                        let (pc, kc) = (s * KC, KC.min(k - s * KC));
                        let beta_eff = if s == 0 { beta } else { 1.0 };
                        let asub =
                            MatRef { data: &a.data[ic * a.rs + pc * a.cs..], rows: mcc, cols: kc, rs: a.rs, cs: a.cs };
                        let apack = &mut apack[..mcc.div_ceil(mr) * mr * kc];
                        pack_a(&asub, mr, apack);
                        let cblk = cp.get().add(ic * rsc + (jc + j0) * csc);
                        let bslice = &bp[s * KC * nc_pad + j0 * kc..];
                        // SAFETY: block (ic.., jc+j0..) of C is written by this task only.
                        macro_kernel(&kern, mcc, ncc, kc, alpha, apack, bslice, beta_eff, cblk, rsc, csc);
                    }
                });
            };
            if par && tasks > 1 {
                crate::par::run_tasks(tasks, run);
            } else {
                (0..tasks).for_each(run);
            }
        }
    });
}

thread_local! {
    static APACK: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
    static BPACK: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` on a per-thread packing buffer of at least `len` floats (contents unspecified: packing overwrites every
/// element it uses). Falls back to a fresh buffer if this thread's is already in use (a nested GEMM that rayon
/// scheduled onto a thread waiting inside another GEMM).
fn with_buffer<R>(
    key: &'static std::thread::LocalKey<std::cell::RefCell<Vec<f32>>>,
    len: usize,
    f: impl FnOnce(&mut [f32]) -> R,
) -> R {
    key.with(|cell| match cell.try_borrow_mut() {
        Ok(mut v) => {
            if v.len() < len {
                v.resize(len, 0.0);
            }
            f(&mut v[..len])
        }
        Err(_) => f(&mut vec![0.0; len]),
    })
}

/// Packs a KC x NC block of B into `nr`-wide strips, each stored K-major (`out[s*nr*kc + p*nr + j]`), zero-padded.
fn pack_b(b: &MatRef, nr: usize, out: &mut [f32]) {
    let (kc, nc) = (b.rows, b.cols);
    for (s, j0) in (0..nc).step_by(nr).enumerate() {
        let strip = &mut out[s * nr * kc..(s + 1) * nr * kc];
        let w = nr.min(nc - j0);
        if w == nr && b.cs == 1 {
            // Row p of the strip is nr contiguous floats of row p of B: fixed-size copies, no memcpy calls.
            match nr {
                8 => copy_rows::<8>(b, j0, strip),
                16 => copy_rows::<16>(b, j0, strip),
                _ => {
                    for p in 0..kc {
                        strip[p * nr..p * nr + nr].copy_from_slice(&b.data[p * b.rs + j0..p * b.rs + j0 + nr]);
                    }
                }
            }
        } else {
            for p in 0..kc {
                for j in 0..nr {
                    strip[p * nr + j] = if j < w { b.data[p * b.rs + (j0 + j) * b.cs] } else { 0.0 };
                }
            }
        }
    }
}

/// `strip[p*W..p*W+W] = B[p, j0..j0+W]` for every row p of the block (unit column stride).
#[inline(always)]
fn copy_rows<const W: usize>(b: &MatRef, j0: usize, strip: &mut [f32]) {
    for (p, dst) in strip.chunks_exact_mut(W).enumerate().take(b.rows) {
        let src: &[f32; W] = b.data[p * b.rs + j0..p * b.rs + j0 + W].try_into().expect("W floats");
        dst.copy_from_slice(src);
    }
}

/// Packs an MC x KC block of A into `mr`-tall strips, each stored K-major (`out[s*mr*kc + p*mr + i]`), zero-padded.
fn pack_a(a: &MatRef, mr: usize, out: &mut [f32]) {
    let (mc, kc) = (a.rows, a.cols);
    for (s, i0) in (0..mc).step_by(mr).enumerate() {
        let strip = &mut out[s * mr * kc..(s + 1) * mr * kc];
        let h = mr.min(mc - i0);
        if h == mr && a.rs == 1 {
            for p in 0..kc {
                let src = &a.data[p * a.cs + i0..p * a.cs + i0 + mr];
                strip[p * mr..p * mr + mr].copy_from_slice(src);
            }
        } else if h == mr && a.cs == 1 {
            // Row-major A (the common case): interleave mr rows, each read front to back.
            match mr {
                4 => interleave_rows::<4>(a, i0, strip),
                6 => interleave_rows::<6>(a, i0, strip),
                _ => interleave_rows_dyn(a, i0, mr, strip),
            }
        } else {
            for i in 0..mr {
                if i < h {
                    let row = (i0 + i) * a.rs;
                    for p in 0..kc {
                        strip[p * mr + i] = a.data[row + p * a.cs];
                    }
                } else {
                    for p in 0..kc {
                        strip[p * mr + i] = 0.0;
                    }
                }
            }
        }
    }
}

/// `strip[p*R + i] = A[i0 + i, p]` for a full strip of R rows of a row-major block.
#[inline(always)]
fn interleave_rows<const R: usize>(a: &MatRef, i0: usize, strip: &mut [f32]) {
    let kc = a.cols;
    let rows: [&[f32]; R] = std::array::from_fn(|i| &a.data[(i0 + i) * a.rs..(i0 + i) * a.rs + kc]);
    for (p, dst) in strip.chunks_exact_mut(R).enumerate().take(kc) {
        for i in 0..R {
            dst[i] = rows[i][p];
        }
    }
}

fn interleave_rows_dyn(a: &MatRef, i0: usize, mr: usize, strip: &mut [f32]) {
    for i in 0..mr {
        let row = &a.data[(i0 + i) * a.rs..(i0 + i) * a.rs + a.cols];
        for (p, &x) in row.iter().enumerate() {
            strip[p * mr + i] = x;
        }
    }
}

#[allow(clippy::too_many_arguments)]
unsafe fn macro_kernel(
    kern: &Kernel,
    mc: usize,
    nc: usize,
    kc: usize,
    alpha: f32,
    apack: &[f32],
    bpack: &[f32],
    beta: f32,
    c: *mut f32,
    rsc: usize,
    csc: usize,
) {
    let (mr, nr) = (kern.mr, kern.nr);
    let mut tile = [0.0f32; TILE_MAX];
    for (sj, j0) in (0..nc).step_by(nr).enumerate() {
        let bp = bpack.as_ptr().add(sj * nr * kc);
        let w = nr.min(nc - j0);
        for (si, i0) in (0..mc).step_by(mr).enumerate() {
            let ap = apack.as_ptr().add(si * mr * kc);
            let h = mr.min(mc - i0);
            let cij = c.add(i0 * rsc + j0 * csc);
            if csc == 1 && h == mr && w == nr {
                (kern.run_c)(kc, ap, bp, cij, rsc, alpha, beta);
                continue;
            }
            (kern.run)(kc, ap, bp, tile.as_mut_ptr());
            if csc == 1 {
                for i in 0..h {
                    let dst = std::slice::from_raw_parts_mut(cij.add(i * rsc), w);
                    let src = &tile[i * nr..i * nr + w];
                    if beta == 0.0 {
                        for (d, &t) in dst.iter_mut().zip(src) {
                            *d = alpha * t;
                        }
                    } else {
                        for (d, &t) in dst.iter_mut().zip(src) {
                            *d = alpha * t + beta * *d;
                        }
                    }
                }
            } else {
                for i in 0..h {
                    for j in 0..w {
                        let dst = cij.add(i * rsc + j * csc);
                        let t = alpha * tile[i * nr + j];
                        *dst = if beta == 0.0 { t } else { t + beta * *dst };
                    }
                }
            }
        }
    }
}

/// The MR x NR register tile: `acc = sum_p a[:, p] b[p, :]` over packed strips.
#[inline(always)]
unsafe fn micro_kernel(kc: usize, a: *const f32, b: *const f32) -> [[V4; NV]; MR] {
    let mut acc = [[V4::zero(); NV]; MR];
    for p in 0..kc {
        let mut bv = [V4::zero(); NV];
        for (j, v) in bv.iter_mut().enumerate() {
            *v = V4::load(b.add(p * NR + 4 * j));
        }
        for (i, row) in acc.iter_mut().enumerate() {
            let av = V4::splat(*a.add(p * MR + i));
            for (j, x) in row.iter_mut().enumerate() {
                *x = x.mul_add(av, bv[j]);
            }
        }
    }
    acc
}
