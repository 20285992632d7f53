//! Small image filters on one plane (`h * w` f32, row-major): separable Gaussian blur with scipy's kernel, 2-D
//! correlation (its naive twin, and the disk kernel of defocus blur), scipy's `zoom(order=1)`, bilinear sampling,
//! and OpenCV's bilinear / bicubic `resize`. Each says which library behaviour it reproduces, border rule included.
//!
//! These are kept simple and self-contained (plain loops that the compiler vectorises); the fast one of each pair is
//! tested against its naive twin in `tests/corruptions_filters.rs`.

/// How a filter reads outside the plane.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Border {
    /// Repeat the edge pixel (`aaa|abcd|ddd`; scipy `nearest`, OpenCV `BORDER_REPLICATE`).
    Nearest,
    /// Mirror including the edge (`ba|abcd|dc`; scipy `reflect`, OpenCV `BORDER_REFLECT`).
    Reflect,
    /// Mirror without repeating the edge (`cb|abcd|cb`; OpenCV's default `BORDER_REFLECT_101`).
    Reflect101,
}

/// Maps index `i` (possibly outside `0..n`) into `0..n` by `border`. `n > 0`.
#[inline]
pub fn border_index(i: isize, n: usize, border: Border) -> usize {
    let n_i = n as isize;
    if (0..n_i).contains(&i) {
        return i as usize;
    }
    match border {
        Border::Nearest => i.clamp(0, n_i - 1) as usize,
        Border::Reflect => {
            let p = 2 * n_i;
            let mut j = i.rem_euclid(p);
            if j >= n_i {
                j = p - 1 - j;
            }
            j as usize
        }
        Border::Reflect101 => {
            if n == 1 {
                return 0;
            }
            let p = 2 * n_i - 2;
            let mut j = i.rem_euclid(p);
            if j >= n_i {
                j = p - j;
            }
            j as usize
        }
    }
}

/// scipy's 1-D Gaussian kernel (`gaussian_filter1d`): radius `int(truncate * sigma + 0.5)`, weights
/// `exp(-x^2 / (2 sigma^2))` normalised to sum 1. `sigma <= 0` gives the identity `[1]`.
pub fn gaussian_kernel(sigma: f64, truncate: f64) -> Vec<f32> {
    if sigma <= 0.0 {
        return vec![1.0];
    }
    let r = (truncate * sigma + 0.5) as i64;
    let w: Vec<f64> = (-r..=r).map(|x| (-0.5 * (x * x) as f64 / (sigma * sigma)).exp()).collect();
    let s: f64 = w.iter().sum();
    w.iter().map(|v| (v / s) as f32).collect()
}

/// Correlates every row of the plane with the odd-length kernel `k` (centred), reading outside by `border`.
pub fn correlate_rows(p: &[f32], w: usize, h: usize, k: &[f32], border: Border) -> Vec<f32> {
    let r = (k.len() / 2) as isize;
    let mut out = vec![0.0; w * h];
    let mut row = vec![0.0f32; w + 2 * r as usize];
    for y in 0..h {
        let src = &p[y * w..(y + 1) * w];
        for (j, v) in row.iter_mut().enumerate() {
            *v = src[border_index(j as isize - r, w, border)];
        }
        let dst = &mut out[y * w..(y + 1) * w];
        for (t, &kt) in k.iter().enumerate() {
            for (d, s) in dst.iter_mut().zip(&row[t..t + w]) {
                *d += kt * s;
            }
        }
    }
    out
}

/// Correlates every column of the plane with the odd-length kernel `k` (centred), reading outside by `border`.
pub fn correlate_cols(p: &[f32], w: usize, h: usize, k: &[f32], border: Border) -> Vec<f32> {
    let r = (k.len() / 2) as isize;
    let mut out = vec![0.0; w * h];
    for y in 0..h {
        let dst = &mut out[y * w..(y + 1) * w];
        for (t, &kt) in k.iter().enumerate() {
            let sy = border_index(y as isize + t as isize - r, h, border);
            for (d, s) in dst.iter_mut().zip(&p[sy * w..(sy + 1) * w]) {
                *d += kt * s;
            }
        }
    }
    out
}

/// Separable Gaussian blur of one plane with scipy's kernels (`gaussian_filter`, as `skimage.filters.gaussian`
/// calls it): `sigma_y` along columns, `sigma_x` along rows, `truncate` standard deviations, `border` outside.
pub fn gaussian_plane(p: &[f32], w: usize, h: usize, sigma_y: f64, sigma_x: f64, truncate: f64, border: Border) -> Vec<f32> {
    let t = correlate_cols(p, w, h, &gaussian_kernel(sigma_y, truncate), border);
    correlate_rows(&t, w, h, &gaussian_kernel(sigma_x, truncate), border)
}

/// Naive twin of [`gaussian_plane`]: one 2-D correlation with the outer product of the two 1-D kernels.
pub fn gaussian_plane_naive(p: &[f32], w: usize, h: usize, sigma_y: f64, sigma_x: f64, truncate: f64, border: Border) -> Vec<f32> {
    let ky = gaussian_kernel(sigma_y, truncate);
    let kx = gaussian_kernel(sigma_x, truncate);
    let k2: Vec<f32> = ky.iter().flat_map(|a| kx.iter().map(move |b| a * b)).collect();
    filter2d(p, w, h, &k2, kx.len(), ky.len(), border)
}

/// 2-D correlation (OpenCV `filter2D` with the anchor at the centre): `out(y,x) = sum k(i,j) p(y+i-kh/2, x+j-kw/2)`,
/// `k` row-major `kh x kw` (odd sides), reading outside by `border`. Plain loops: also the naive twin above.
pub fn filter2d(p: &[f32], w: usize, h: usize, k: &[f32], kw: usize, kh: usize, border: Border) -> Vec<f32> {
    let (rx, ry) = ((kw / 2) as isize, (kh / 2) as isize);
    let mut out = vec![0.0; w * h];
    for y in 0..h {
        for x in 0..w {
            let mut s = 0.0f64;
            for i in 0..kh {
                let sy = border_index(y as isize + i as isize - ry, h, border);
                for j in 0..kw {
                    let sx = border_index(x as isize + j as isize - rx, w, border);
                    s += f64::from(k[i * kw + j]) * f64::from(p[sy * w + sx]);
                }
            }
            out[y * w + x] = s as f32;
        }
    }
    out
}

/// 2-D correlation as [`filter2d`], but skipping zero kernel entries and running row slices (the disk kernel of
/// defocus blur is mostly zeros outside the disk). Same result as [`filter2d`] up to f32 rounding.
pub fn filter2d_sparse(p: &[f32], w: usize, h: usize, k: &[f32], kw: usize, kh: usize, border: Border) -> Vec<f32> {
    let (rx, ry) = (kw / 2, kh / 2);
    let pw = w + 2 * rx;
    // Pad columns once.
    let mut padded = vec![0.0f32; pw * h];
    for y in 0..h {
        for j in 0..pw {
            padded[y * pw + j] = p[y * w + border_index(j as isize - rx as isize, w, border)];
        }
    }
    let mut out = vec![0.0; w * h];
    for y in 0..h {
        let dst = &mut out[y * w..(y + 1) * w];
        for i in 0..kh {
            let sy = border_index(y as isize + i as isize - ry as isize, h, border);
            let src = &padded[sy * pw..(sy + 1) * pw];
            for j in 0..kw {
                let kv = k[i * kw + j];
                if kv == 0.0 {
                    continue;
                }
                for (d, s) in dst.iter_mut().zip(&src[j..j + w]) {
                    *d += kv * s;
                }
            }
        }
    }
    out
}

/// Output size of scipy's `zoom` along one axis: `round(n * z)`, ties to even as Python's `round`.
pub fn zoom_size(n: usize, z: f64) -> usize {
    (n as f64 * z).round_ties_even() as usize
}

/// Linear interpolation positions for scipy's `zoom(order=1, grid_mode=False)` along one axis of `n` -> `m`
/// samples: output `i` reads input coordinate `i * (n-1)/(m-1)`. Returns (lower index, upper index, weight of upper).
fn zoom_taps(n: usize, m: usize) -> Vec<(usize, usize, f32)> {
    let scale = if m > 1 { (n as f64 - 1.0) / (m as f64 - 1.0) } else { 0.0 };
    (0..m)
        .map(|i| {
            let c = (i as f64 * scale).clamp(0.0, n as f64 - 1.0);
            let i0 = (c.floor() as usize).min(n - 1);
            let i1 = (i0 + 1).min(n - 1);
            (i0, i1, (c - i0 as f64) as f32)
        })
        .collect()
}

/// scipy `ndimage.zoom(p, (zy, zx), order=1)` of one `h x w` plane: output `round(h zy) x round(w zx)`, corners
/// aligned (output pixel `i` reads input `i (n-1)/(m-1)`). Returns (plane, out_w, out_h).
pub fn zoom_linear(p: &[f32], w: usize, h: usize, zy: f64, zx: f64) -> (Vec<f32>, usize, usize) {
    let (ow, oh) = (zoom_size(w, zx), zoom_size(h, zy));
    let tx = zoom_taps(w, ow);
    let ty = zoom_taps(h, oh);
    let mut tmp = vec![0.0f32; ow * h];
    for y in 0..h {
        let src = &p[y * w..(y + 1) * w];
        for (x, &(a, b, f)) in tx.iter().enumerate() {
            tmp[y * ow + x] = src[a] + (src[b] - src[a]) * f;
        }
    }
    let mut out = vec![0.0f32; ow * oh];
    for (y, &(a, b, f)) in ty.iter().enumerate() {
        for x in 0..ow {
            let (u, v) = (tmp[a * ow + x], tmp[b * ow + x]);
            out[y * ow + x] = u + (v - u) * f;
        }
    }
    (out, ow, oh)
}

/// The top-left `keep_h x keep_w` window of [`zoom_linear`] (or less where the zoom is smaller): the same taps of
/// the full zoom, only the kept pixels computed. Returns (plane, window w, window h).
pub fn zoom_linear_window(p: &[f32], w: usize, h: usize, zy: f64, zx: f64, keep_w: usize, keep_h: usize) -> (Vec<f32>, usize, usize) {
    let (ow, oh) = (zoom_size(w, zx), zoom_size(h, zy));
    let (kw, kh) = (ow.min(keep_w), oh.min(keep_h));
    let tx = &zoom_taps(w, ow)[..kw];
    let ty = &zoom_taps(h, oh)[..kh];
    // Only the input rows the kept output rows read.
    let rows = ty.iter().map(|t| t.1).max().map_or(0, |m| m + 1);
    let mut tmp = vec![0.0f32; kw * rows];
    for y in 0..rows {
        let src = &p[y * w..(y + 1) * w];
        for (d, &(a, b, f)) in tmp[y * kw..(y + 1) * kw].iter_mut().zip(tx) {
            *d = src[a] + (src[b] - src[a]) * f;
        }
    }
    let mut out = vec![0.0f32; kw * kh];
    for (y, &(a, b, f)) in ty.iter().enumerate() {
        let (ra, rb) = (&tmp[a * kw..(a + 1) * kw], &tmp[b * kw..(b + 1) * kw]);
        for ((d, &u), &v) in out[y * kw..(y + 1) * kw].iter_mut().zip(ra).zip(rb) {
            *d = u + (v - u) * f;
        }
    }
    (out, kw, kh)
}

/// Naive twin of [`zoom_linear`]: every output pixel by [`sample_bilinear`] at its input coordinate.
pub fn zoom_linear_naive(p: &[f32], w: usize, h: usize, zy: f64, zx: f64) -> (Vec<f32>, usize, usize) {
    let (ow, oh) = (zoom_size(w, zx), zoom_size(h, zy));
    let sx = if ow > 1 { (w as f64 - 1.0) / (ow as f64 - 1.0) } else { 0.0 };
    let sy = if oh > 1 { (h as f64 - 1.0) / (oh as f64 - 1.0) } else { 0.0 };
    let mut out = vec![0.0; ow * oh];
    for y in 0..oh {
        for x in 0..ow {
            out[y * ow + x] = sample_bilinear(p, w, h, y as f64 * sy, x as f64 * sx, Border::Nearest);
        }
    }
    (out, ow, oh)
}

/// Bilinear sample of a plane at (row `y`, column `x`) in pixel-centre coordinates (pixel `i` at `i`), reading the
/// two neighbours on each axis through `border`.
#[inline]
pub fn sample_bilinear(p: &[f32], w: usize, h: usize, y: f64, x: f64, border: Border) -> f32 {
    let (y0, x0) = (y.floor(), x.floor());
    let (fy, fx) = ((y - y0) as f32, (x - x0) as f32);
    let (y0, x0) = (y0 as isize, x0 as isize);
    let ya = border_index(y0, h, border);
    let yb = border_index(y0 + 1, h, border);
    let xa = border_index(x0, w, border);
    let xb = border_index(x0 + 1, w, border);
    let top = p[ya * w + xa] + (p[ya * w + xb] - p[ya * w + xa]) * fx;
    let bot = p[yb * w + xa] + (p[yb * w + xb] - p[yb * w + xa]) * fx;
    top + (bot - top) * fy
}

/// OpenCV's interpolation kinds for [`resize_cv_window`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CvInterp {
    /// `INTER_LINEAR`.
    Linear,
    /// `INTER_CUBIC` (Keys kernel, A = -0.75).
    Cubic,
}

/// Taps of OpenCV's `resize` along one axis for output index `d` at source/destination `scale`.
fn cv_taps(d: usize, scale: f64, n: usize, interp: CvInterp) -> ([usize; 4], [f64; 4], usize) {
    let f = (d as f64 + 0.5) * scale - 0.5;
    let mut s = f.floor();
    let mut t = f - s;
    let clamp = |i: isize| i.clamp(0, n as isize - 1) as usize;
    match interp {
        CvInterp::Linear => {
            if s < 0.0 {
                s = 0.0;
                t = 0.0;
            }
            if s >= n as f64 - 1.0 {
                s = n as f64 - 1.0;
                t = 0.0;
            }
            let s = s as isize;
            ([clamp(s), clamp(s + 1), 0, 0], [1.0 - t, t, 0.0, 0.0], 2)
        }
        CvInterp::Cubic => {
            const A: f64 = -0.75;
            let w0 = ((A * (t + 1.0) - 5.0 * A) * (t + 1.0) + 8.0 * A) * (t + 1.0) - 4.0 * A;
            let w1 = ((A + 2.0) * t - (A + 3.0)) * t * t + 1.0;
            let w2 = ((A + 2.0) * (1.0 - t) - (A + 3.0)) * (1.0 - t) * (1.0 - t) + 1.0;
            let w3 = 1.0 - w0 - w1 - w2;
            let s = s as isize;
            ([clamp(s - 1), clamp(s), clamp(s + 1), clamp(s + 2)], [w0, w1, w2, w3], 4)
        }
    }
}

/// A window of OpenCV's `resize` of a u8-valued plane (`w x h` -> `ow x oh`, source coordinate
/// `(d + 0.5) * n/m - 0.5`, edge pixels repeated): rows `y0..y0+wh`, columns `x0..x0+ww` of the resized plane,
/// rounded and saturated to 0..=255 as OpenCV does for 8-bit images (OpenCV's 11-bit fixed-point weights are
/// not reproduced: differences of 1 level can occur). `scale_x`/`scale_y` are source/destination ratios.
#[allow(clippy::too_many_arguments)]
pub fn resize_cv_window(
    p: &[f32],
    w: usize,
    h: usize,
    scale_x: f64,
    scale_y: f64,
    (x0, y0, ww, wh): (usize, usize, usize, usize),
    interp: CvInterp,
) -> Vec<f32> {
    let tx: Vec<_> = (x0..x0 + ww).map(|d| cv_taps(d, scale_x, w, interp)).collect();
    let mut out = vec![0.0; ww * wh];
    for (oy, dy) in (y0..y0 + wh).enumerate() {
        let (iy, wy, ny) = cv_taps(dy, scale_y, h, interp);
        for (ox, (ix, wx, nx)) in tx.iter().enumerate() {
            let mut s = 0.0f64;
            for a in 0..ny {
                let row = &p[iy[a] * w..(iy[a] + 1) * w];
                let mut r = 0.0f64;
                for b in 0..*nx {
                    r += wx[b] * f64::from(row[ix[b]]);
                }
                s += wy[a] * r;
            }
            out[oy * ww + ox] = s.round().clamp(0.0, 255.0) as f32;
        }
    }
    out
}
