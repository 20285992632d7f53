//! Blur corruptions (paper sec. 3, "Blur"): defocus (disk kernel), frosted glass, motion (ImageMagick's kernel),
//! zoom, and the held-out Gaussian blur.

use super::filters::{filter2d_sparse, gaussian_plane, zoom_linear, zoom_linear_window, Border};
use super::{Image, Tables};
use crate::nn::Rng;

/// skimage `gaussian(x, sigma, channel_axis=-1)`: per channel, scipy kernel truncated at 4 sigma, edge repeated.
pub(super) fn gaussian_image(img: &Image, sigma: f64) -> Image {
    img.map_planes(|p| gaussian_plane(p, img.w, img.h, sigma, sigma, 4.0, Border::Nearest))
}

/// Gaussian blur (held out): `clip(gaussian(x, sigma))`.
pub fn gaussian_blur(img: &Image, sigma: f64) -> Image {
    gaussian_image(img, sigma)
}

/// Frosted glass blur: blur (sigma), truncate to bytes, then `iterations` sweeps that swap each pixel
/// (from the bottom-right corner, rows `h-d .. d+1`, columns `w-d .. d+1`) with a neighbour at offset
/// `(dy, dx)`, each uniform in `-d..d-1` (numpy's `randint(-d, d)`), then blur again.
///
/// One sweep is `O(h w)` swaps: milliseconds, where the reference's Python loop takes seconds.
pub fn glass_blur(img: &Image, (sigma, d, iterations): (f64, usize, usize), rng: &mut Rng) -> Image {
    let mut x = gaussian_image(img, sigma);
    for v in &mut x.data {
        *v = v.clamp(0.0, 255.0).trunc();
    }
    let (w, h, c) = (img.w, img.h, img.c);
    let di = d as isize;
    for _ in 0..iterations {
        for hh in (d + 1..=h - d).rev() {
            for ww in (d + 1..=w - d).rev() {
                let dx = rng.below(2 * d) as isize - di;
                let dy = rng.below(2 * d) as isize - di;
                let (hp, wp) = ((hh as isize + dy) as usize, (ww as isize + dx) as usize);
                let (a, b) = ((hh * w + ww) * c, (hp * w + wp) * c);
                for k in 0..c {
                    x.data.swap(a + k, b + k);
                }
            }
        }
    }
    gaussian_image(&x, sigma)
}

/// The reference's defocus kernel: a disk of `radius` on the grid `-8..=8` (or `-r..=r` above 8), normalised,
/// then smoothed by OpenCV's `GaussianBlur` (3x3, or 5x5 above radius 8, `alias_blur` sigma, border
/// reflect-101). Returns (kernel, side).
pub fn disk_kernel(radius: f64, alias_blur: f64) -> (Vec<f32>, usize) {
    let (r, ks) = if radius <= 8.0 { (8i64, 3usize) } else { (radius as i64, 5usize) };
    let n = (2 * r + 1) as usize;
    let mut k: Vec<f32> = (0..n * n)
        .map(|i| {
            let (y, x) = ((i / n) as i64 - r, (i % n) as i64 - r);
            if ((x * x + y * y) as f64) <= radius * radius {
                1.0
            } else {
                0.0
            }
        })
        .collect();
    let s: f32 = k.iter().sum();
    k.iter_mut().for_each(|v| *v /= s);
    // OpenCV getGaussianKernel(ks, sigma): exp(-(i - (ks-1)/2)^2 / (2 sigma^2)), normalised.
    let g: Vec<f64> = (0..ks).map(|i| (-((i as f64 - (ks as f64 - 1.0) / 2.0).powi(2)) / (2.0 * alias_blur * alias_blur)).exp()).collect();
    let gs: f64 = g.iter().sum();
    let g: Vec<f32> = g.iter().map(|v| (v / gs) as f32).collect();
    let t = super::filters::correlate_cols(&k, n, n, &g, Border::Reflect101);
    let mut k = super::filters::correlate_rows(&t, n, n, &g, Border::Reflect101);
    // A sharp `alias_blur` (0.1 at severity 1) leaves weights of ~1e-44 at the disk's corners: subnormal floats,
    // which are many times slower to multiply on x86 and in wasm. They are set to zero (as a flush-to-zero FPU
    // would); each weighs less than 1e-38 of a pixel, far below the truncation to integers.
    k.iter_mut().filter(|v| v.abs() < f32::MIN_POSITIVE).for_each(|v| *v = 0.0);
    (k, n)
}

/// Defocus blur: each channel correlated with [`disk_kernel`] (OpenCV `filter2D`, border reflect-101).
pub fn defocus_blur(img: &Image, (radius, alias): (f64, f64)) -> Image {
    let (k, n) = disk_kernel(radius, alias);
    let x = img.map_planes(|p| filter2d_sparse(p, img.w, img.h, &k, n, n, Border::Reflect101));
    Image { data: x.data.iter().map(|v| v.clamp(0.0, 255.0)).collect(), ..x }
}

/// ImageMagick's motion-blur kernel (`MotionBlurImage` in MagickCore/effect.c) on one plane.
///
/// Width `2 ceil(radius) + 1`; weights `exp(-i^2 / (2 sigma^2))` for `i = 0..width`, normalised (a one-sided
/// Gaussian: the sharpest weight on the pixel itself, the tail trailing behind); the `i`-th tap reads the pixel at
/// offset `(ceil(i cos(a) - 0.5), ceil(i sin(a) - 0.5))` (columns, rows) with edge pixels repeated outside. As in
/// `imagecorruptions`, taps stop once an offset reaches the image size (only for images smaller than the kernel).
pub fn motion_blur_plane(p: &[f32], w: usize, h: usize, radius: f64, sigma: f64, angle_deg: f64) -> Vec<f32> {
    let width = 2 * radius.ceil() as usize + 1;
    let k: Vec<f64> = (0..width).map(|i| (-((i * i) as f64) / (2.0 * sigma * sigma)).exp()).collect();
    let ks: f64 = k.iter().sum();
    let a = angle_deg.to_radians();
    let (px, py) = (width as f64 * a.sin(), width as f64 * a.cos());
    let hyp = px.hypot(py);
    let mut out = vec![0.0f64; w * h];
    for (i, &ki) in k.iter().enumerate() {
        let oy = ((i as f64 * px) / hyp - 0.5).ceil() as isize;
        let ox = ((i as f64 * py) / hyp - 0.5).ceil() as isize;
        if oy.unsigned_abs() >= h || ox.unsigned_abs() >= w {
            break;
        }
        let wi = ki / ks;
        // Columns whose tap `x + ox` is inside the row: `lo..hi`; left of it the tap reads the first pixel, right of
        // it the last (edge repeated). The same sums as a clamp per pixel, in the same order, as contiguous slices.
        let lo = (-ox).clamp(0, w as isize) as usize;
        let hi = (w as isize - ox).clamp(lo as isize, w as isize) as usize;
        for y in 0..h {
            let sy = (y as isize + oy).clamp(0, h as isize - 1) as usize;
            let src = &p[sy * w..(sy + 1) * w];
            let dst = &mut out[y * w..(y + 1) * w];
            let (first, last) = (wi * f64::from(src[0]), wi * f64::from(src[w - 1]));
            dst[..lo].iter_mut().for_each(|d| *d += first);
            let s0 = (lo as isize + ox) as usize;
            for (d, &s) in dst[lo..hi].iter_mut().zip(&src[s0..s0 + (hi - lo)]) {
                *d += wi * f64::from(s);
            }
            dst[hi..].iter_mut().for_each(|d| *d += last);
        }
    }
    out.into_iter().map(|v| v as f32).collect()
}

/// Motion blur of every channel at `angle` degrees. With [`Tables::Cifar`] (ImageMagick through a PNG, as
/// `make_cifar_c.py`) the result is rounded to bytes; with [`Tables::ImageNet`] it is kept as is (then truncated by
/// the caller, as `imagecorruptions` does).
pub fn motion_blur(img: &Image, radius: f64, sigma: f64, angle: f32, t: Tables) -> Image {
    let x = img.map_planes(|p| motion_blur_plane(p, img.w, img.h, radius, sigma, f64::from(angle)));
    let round = t == Tables::Cifar;
    Image { data: x.data.iter().map(|&v| if round { v.round() } else { v }.clamp(0.0, 255.0)).collect(), ..x }
}

/// `clipped_zoom` of `imagecorruptions`: crop the central `ceil(h/z) x ceil(w/z)`, zoom it by `z` (scipy, linear),
/// keep the top-left `h x w` (or less if the zoomed crop is smaller). Returns (plane, w, h) of what is kept
/// before cropping, so snow can blur the uncropped layer as the reference does.
pub(super) fn clipped_zoom_imagenet(p: &[f32], w: usize, h: usize, z: f64) -> (Vec<f32>, usize, usize) {
    let ch = ((h as f64) / z).ceil() as usize;
    let cw = ((w as f64) / z).ceil() as usize;
    let (t0, l0) = ((h - ch) / 2, (w - cw) / 2);
    let crop: Vec<f32> = (0..ch).flat_map(|y| p[(t0 + y) * w + l0..(t0 + y) * w + l0 + cw].iter().copied()).collect();
    zoom_linear(&crop, cw, ch, z, z)
}

/// [`clipped_zoom_imagenet`] followed by [`top_left`] (`h x w`), computing only the pixels that are kept: the same
/// values (the same taps of the full zoom), without the zoomed rows and columns that the crop drops.
pub(super) fn clipped_zoom_imagenet_top_left(p: &[f32], w: usize, h: usize, z: f64) -> Vec<f32> {
    let ch = ((h as f64) / z).ceil() as usize;
    let cw = ((w as f64) / z).ceil() as usize;
    let (t0, l0) = ((h - ch) / 2, (w - cw) / 2);
    let crop: Vec<f32> = (0..ch).flat_map(|y| p[(t0 + y) * w + l0..(t0 + y) * w + l0 + cw].iter().copied()).collect();
    let (zm, kw, kh) = zoom_linear_window(&crop, cw, ch, z, z, w, h);
    if kw == w && kh == h {
        return zm;
    }
    top_left(&zm, kw, kh, w, h)
}

/// `clipped_zoom` of `make_cifar_c.py`: as above, but the zoomed crop is trimmed back to `h x w` around its centre.
pub(super) fn clipped_zoom_cifar(p: &[f32], w: usize, h: usize, z: f64) -> Vec<f32> {
    let ch = ((h as f64) / z).ceil() as usize;
    let cw = ((w as f64) / z).ceil() as usize;
    let (t0, l0) = ((h - ch) / 2, (w - cw) / 2);
    let crop: Vec<f32> = (0..ch).flat_map(|y| p[(t0 + y) * w + l0..(t0 + y) * w + l0 + cw].iter().copied()).collect();
    let (zm, zw, zh) = zoom_linear(&crop, cw, ch, z, z);
    let (tt, tl) = (zh.saturating_sub(h) / 2, zw.saturating_sub(w) / 2);
    let mut out = vec![0.0; w * h];
    for y in 0..h.min(zh - tt) {
        for x in 0..w.min(zw - tl) {
            out[y * w + x] = zm[(tt + y) * zw + tl + x];
        }
    }
    out
}

/// Keeps the top-left `w x h` of a `zw x zh` plane (zero where the plane is smaller).
pub(super) fn top_left(zm: &[f32], zw: usize, zh: usize, w: usize, h: usize) -> Vec<f32> {
    let mut out = vec![0.0; w * h];
    for y in 0..h.min(zh) {
        for x in 0..w.min(zw) {
            out[y * w + x] = zm[y * zw + x];
        }
    }
    out
}

/// Zoom blur: `(x + sum_z clipped_zoom(x, z)) / (n + 1)` over the severity's zoom factors.
pub fn zoom_blur(img: &Image, zooms: &[f64], t: Tables) -> Image {
    let (w, h) = (img.w, img.h);
    img.map_planes(|p| {
        let x: Vec<f32> = p.iter().map(|v| v / 255.0).collect();
        let mut acc = x.clone();
        for &z in zooms {
            let layer = match t {
                Tables::ImageNet => clipped_zoom_imagenet_top_left(&x, w, h, z),
                Tables::Cifar => clipped_zoom_cifar(&x, w, h, z),
            };
            acc.iter_mut().zip(&layer).for_each(|(a, b)| *a += b);
        }
        let n = zooms.len() as f32 + 1.0;
        acc.iter().map(|a| (a / n).clamp(0.0, 1.0) * 255.0).collect()
    })
}
