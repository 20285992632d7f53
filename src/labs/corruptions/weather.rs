//! Weather corruptions (paper sec. 3, "Weather"): snow, frost, fog, and the held-out spatter.

use super::blur::{clipped_zoom_cifar, clipped_zoom_imagenet, motion_blur_plane};
use super::filters::{filter2d, gaussian_plane, resize_cv_window, Border, CvInterp};
use super::{FrostPictures, Image, Tables};
use crate::error::{Error, Result};
use crate::nn::Rng;

/// Diamond-square plasma fractal (the reference's `plasma_fractal`, after FLHerne/mapgen): an `n x n` height map
/// (`n` a power of two), `wibble` starting at 100 and divided by `decay` each level, each new value the mean of its
/// four neighbours (wrapping around) plus `wibble * U(-wibble, wibble)`; normalised to [0, 1].
pub fn plasma_fractal(n: usize, decay: f64, rng: &mut Rng) -> Vec<f64> {
    assert!(n.is_power_of_two(), "plasma_fractal: size must be a power of two");
    let mut m = vec![0.0f64; n * n];
    let mut step = n;
    let mut wibble = 100.0f64;
    let noise = |rng: &mut Rng, wib: f64| wib * f64::from(rng.uniform_in(-wib as f32, wib as f32));
    while step >= 2 {
        let k = n / step;
        let half = step / 2;
        let at = |i: usize, j: usize| i * n + j;
        // Squares: centres get the mean of their four corners.
        let mut sq = vec![0.0; k * k];
        for i in 0..k {
            for j in 0..k {
                let (i1, j1) = ((i + 1) % k, (j + 1) % k);
                sq[i * k + j] = m[at(i * step, j * step)] + m[at(i1 * step, j * step)] + m[at(i * step, j1 * step)] + m[at(i1 * step, j1 * step)];
            }
        }
        for i in 0..k {
            for j in 0..k {
                m[at(i * step + half, j * step + half)] = sq[i * k + j] / 4.0 + noise(rng, wibble);
            }
        }
        // Diamonds: first the points between corners along rows, then along columns.
        let dr = |m: &[f64], i: usize, j: usize| m[at(i * step + half, j * step + half)];
        let ul = |m: &[f64], i: usize, j: usize| m[at(i * step, j * step)];
        let mut lt = vec![0.0; k * k];
        for i in 0..k {
            for j in 0..k {
                lt[i * k + j] = dr(&m, i, j) + dr(&m, (i + k - 1) % k, j) + ul(&m, i, j) + ul(&m, i, (j + 1) % k);
            }
        }
        for i in 0..k {
            for j in 0..k {
                m[at(i * step, j * step + half)] = lt[i * k + j] / 4.0 + noise(rng, wibble);
            }
        }
        let mut tt = vec![0.0; k * k];
        for i in 0..k {
            for j in 0..k {
                tt[i * k + j] = dr(&m, i, j) + dr(&m, i, (j + k - 1) % k) + ul(&m, i, j) + ul(&m, (i + 1) % k, j);
            }
        }
        for i in 0..k {
            for j in 0..k {
                m[at(i * step + half, j * step)] = tt[i * k + j] / 4.0 + noise(rng, wibble);
            }
        }
        step /= 2;
        wibble /= decay;
    }
    let lo = m.iter().copied().fold(f64::INFINITY, f64::min);
    m.iter_mut().for_each(|v| *v -= lo);
    let hi = m.iter().copied().fold(0.0, f64::max);
    if hi > 0.0 {
        m.iter_mut().for_each(|v| *v /= hi);
    }
    m
}

/// Fog: `x + c0 * plasma` (one plasma map for all channels, size the next power of two of the longer side), then
/// rescaled by `max / (max + c0)`.
pub fn fog(img: &Image, (c0, decay): (f64, f64), rng: &mut Rng) -> Image {
    let n = img.w.max(img.h).next_power_of_two();
    let pm = plasma_fractal(n, decay, rng);
    let max = img.data.iter().fold(0.0f32, |a, &b| a.max(b)) as f64 / 255.0;
    let c = img.c;
    let data = img
        .data
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let px = i / c;
            let (y, x) = (px / img.w, px % img.w);
            let f = f64::from(v) / 255.0 + c0 * pm[y * n + x];
            ((f * max / (max + c0)).clamp(0.0, 1.0) * 255.0) as f32
        })
        .collect();
    Image { data, ..img.clone() }
}

/// Snow. Parameters `[loc, scale, zoom, threshold, radius, sigma, mix]`: a normal(loc, scale) layer, zoomed by
/// `zoom`, zeroed below `threshold`, motion-blurred (radius, sigma, angle uniform in [-135, -45)), rounded to
/// bytes; the image is washed out (`mix x + (1 - mix) max(x, 1.5 gray + 0.5)`) and the layer and its 180-degree
/// rotation are added.
pub fn snow(img: &Image, c: [f64; 7], t: Tables, rng: &mut Rng) -> Image {
    let (w, h) = (img.w, img.h);
    let layer: Vec<f32> = (0..w * h).map(|_| (c[0] + c[1] * f64::from(rng.normal())) as f32).collect();
    let angle = f64::from(rng.uniform_in(-135.0, -45.0));
    let thresh = |v: f32| if f64::from(v) < c[3] { 0.0 } else { v.clamp(0.0, 1.0) };
    let snow: Vec<f32> = match t {
        Tables::ImageNet => {
            // Blur the uncropped zoomed layer, round, then keep the top-left h x w (as imagecorruptions).
            let (zm, zw, zh) = clipped_zoom_imagenet(&layer, w, h, c[2]);
            let zm: Vec<f32> = zm.into_iter().map(thresh).collect();
            let b = motion_blur_plane(&zm, zw, zh, c[4], c[5], angle);
            let mut out = vec![0.0; w * h];
            for y in 0..h.min(zh) {
                for x in 0..w.min(zw) {
                    out[y * w + x] = (b[y * zw + x] * 255.0).round_ties_even() / 255.0;
                }
            }
            out
        }
        Tables::Cifar => {
            // make_cifar_c.py: bytes (truncated) into ImageMagick, bytes (rounded) out.
            let zm = clipped_zoom_cifar(&layer, w, h, c[2]);
            let bytes: Vec<f32> = zm.into_iter().map(|v| (thresh(v) * 255.0).trunc()).collect();
            motion_blur_plane(&bytes, w, h, c[4], c[5], angle).into_iter().map(|v| v.round().clamp(0.0, 255.0) / 255.0).collect()
        }
    };
    let mix = c[6] as f32;
    let cc = img.c;
    let mut data = Vec::with_capacity(img.data.len());
    for (i, px) in img.data.chunks_exact(cc).enumerate() {
        let mut x = [0.0f32; 3];
        for (d, v) in x.iter_mut().zip(px) {
            *d = v / 255.0;
        }
        let x = &x[..cc];
        let gray = if cc == 3 { 0.299 * x[0] + 0.587 * x[1] + 0.114 * x[2] } else { x[0] };
        let (y, xx) = (i / w, i % w);
        let s = snow[i] + snow[(h - 1 - y) * w + (w - 1 - xx)];
        for &v in x {
            let washed = mix * v + (1.0 - mix) * v.max(gray * 1.5 + 0.5);
            data.push((washed + s).clamp(0.0, 1.0) * 255.0);
        }
    }
    Image { data, ..img.clone() }
}

/// Frost: a crop of a frost picture blended as `clip(a x + b frost)`.
///
/// ImageNet tables (`imagecorruptions`): the picture is scaled by 1.1 (more if it is smaller than the image) with
/// OpenCV's bicubic resize; CIFAR tables (`make_cifar_c.py`): scaled by 0.2 with OpenCV's bilinear resize (more if
/// that would be smaller than the image, which the reference never meets at 32 px). The picture index (0..5) and
/// the crop corner are drawn uniformly, or taken from `fixed = (index, top, left)`.
///
/// # Errors
/// [`Error::Range`] if `fixed` is outside the picture.
pub fn frost(img: &Image, (a, b): (f64, f64), t: Tables, pics: &FrostPictures, rng: &mut Rng, fixed: Option<(usize, usize, usize)>) -> Result<Image> {
    let (w, h) = (img.w, img.h);
    let idx = match fixed {
        Some((i, _, _)) => i,
        None => rng.below(5),
    };
    let pic = pics.0.get(idx).ok_or_else(|| Error::range("frost index", format!("{idx}; use 0..{}", pics.0.len())))?;
    let (fw, fh) = (pic.w as f64, pic.h as f64);
    let (rw, rh, interp) = match t {
        Tables::ImageNet => {
            let s = if fh >= h as f64 && fw >= w as f64 {
                1.0
            } else {
                (h as f64 / fh).max(w as f64 / fw).max(1.0)
            } * 1.1;
            ((fw * s).ceil() as usize, (fh * s).ceil() as usize, CvInterp::Cubic)
        }
        Tables::Cifar => {
            let s = 0.2f64.max((h as f64 + 1.0) / fh).max((w as f64 + 1.0) / fw);
            ((fw * s).round() as usize, (fh * s).round() as usize, CvInterp::Linear)
        }
    };
    let (top, left) = match fixed {
        Some((_, t0, l0)) => (t0, l0),
        None => (rng.below(rh - h), rng.below(rw - w)),
    };
    if top + h > rh || left + w > rw {
        return Err(Error::range("frost crop", format!("({top}, {left}) + {w}x{h} does not fit the {rw}x{rh} picture")));
    }
    let planes: Vec<Vec<f32>> = (0..3).map(|k| resize_cv_window(&pic.plane(k), pic.w, pic.h, fw / rw as f64, fh / rh as f64, (left, top, w, h), interp)).collect();
    let mut out = Vec::with_capacity(img.data.len());
    for i in 0..w * h {
        if img.c == 3 {
            for k in 0..3 {
                out.push((a * f64::from(img.data[i * 3 + k]) + b * f64::from(planes[k][i])).clamp(0.0, 255.0) as f32);
            }
        } else {
            // The reference's grayscale branch weighs the picture's channels in OpenCV's BGR order.
            let g = 0.2989 * f64::from(planes[2][i]) + 0.5870 * f64::from(planes[1][i]) + 0.1140 * f64::from(planes[0][i]);
            out.push((a * f64::from(img.data[i]) + b * g).clamp(0.0, 255.0) as f32);
        }
    }
    Ok(Image { data: out, ..img.clone() })
}

/// OpenCV `Canny(img, low, high)` on a byte plane (3x3 Sobel with edges repeated, L1 magnitude, non-maximum
/// suppression in four directions, hysteresis over 8-neighbours). Returns 255 on edges, 0 elsewhere.
pub fn canny(p: &[u8], w: usize, h: usize, low: i32, high: i32) -> Vec<u8> {
    let px = |y: isize, x: isize| i32::from(p[y.clamp(0, h as isize - 1) as usize * w + x.clamp(0, w as isize - 1) as usize]);
    let mut dx = vec![0i32; w * h];
    let mut dy = vec![0i32; w * h];
    let mut mag = vec![0i32; (w + 2) * (h + 2)];
    for y in 0..h as isize {
        for x in 0..w as isize {
            let gx = px(y - 1, x + 1) + 2 * px(y, x + 1) + px(y + 1, x + 1) - px(y - 1, x - 1) - 2 * px(y, x - 1) - px(y + 1, x - 1);
            let gy = px(y + 1, x - 1) + 2 * px(y + 1, x) + px(y + 1, x + 1) - px(y - 1, x - 1) - 2 * px(y - 1, x) - px(y - 1, x + 1);
            let i = y as usize * w + x as usize;
            dx[i] = gx;
            dy[i] = gy;
            mag[(y as usize + 1) * (w + 2) + x as usize + 1] = gx.abs() + gy.abs();
        }
    }
    const TG22: i64 = 13573; // round(tan(22.5 deg) * 2^15)
    let mw = w + 2;
    // 0: weak candidate, 1: not an edge, 2: strong.
    let mut map = vec![1u8; w * h];
    let mut stack = Vec::new();
    for y in 0..h {
        for x in 0..w {
            let j = (y + 1) * mw + x + 1;
            let m = mag[j];
            if m <= low {
                continue;
            }
            let (xs, ys) = (dx[y * w + x], dy[y * w + x]);
            let ax = i64::from(xs.abs());
            let ay = i64::from(ys.abs()) << 15;
            let tg22x = ax * TG22;
            let keep = if ay < tg22x {
                m > mag[j - 1] && m >= mag[j + 1]
            } else {
                let tg67x = tg22x + (ax << 16);
                if ay > tg67x {
                    m > mag[j - mw] && m >= mag[j + mw]
                } else {
                    let s: isize = if (xs ^ ys) < 0 { -1 } else { 1 };
                    m > mag[(j as isize - mw as isize - s) as usize] && m > mag[(j as isize + mw as isize + s) as usize]
                }
            };
            if keep {
                map[y * w + x] = 0;
                if m > high {
                    map[y * w + x] = 2;
                    stack.push((y, x));
                }
            }
        }
    }
    while let Some((y, x)) = stack.pop() {
        for oy in -1isize..=1 {
            for ox in -1isize..=1 {
                let (yy, xx) = (y as isize + oy, x as isize + ox);
                if yy < 0 || xx < 0 || yy >= h as isize || xx >= w as isize {
                    continue;
                }
                let k = yy as usize * w + xx as usize;
                if map[k] == 0 {
                    map[k] = 2;
                    stack.push((yy as usize, xx as usize));
                }
            }
        }
    }
    map.iter().map(|&v| if v == 2 { 255 } else { 0 }).collect()
}

/// OpenCV `distanceTransform(src, DIST_L2, 5)`: the 5x5 chamfer distance to the nearest zero pixel (weights 1, 1.4
/// and 2.1969 for the axial, diagonal and knight steps), two raster passes; outside the plane counts as far away.
pub fn distance_transform_5(p: &[u8], w: usize, h: usize) -> Vec<f32> {
    const A: f32 = 1.0;
    const B: f32 = 1.4;
    const C: f32 = 2.1969;
    let inf = 1e9f32;
    let mut d: Vec<f32> = p.iter().map(|&v| if v == 0 { 0.0 } else { inf }).collect();
    let fwd: [(isize, isize, f32); 8] = [(-2, -1, C), (-2, 1, C), (-1, -2, C), (-1, -1, B), (-1, 0, A), (-1, 1, B), (-1, 2, C), (0, -1, A)];
    for y in 0..h as isize {
        for x in 0..w as isize {
            let i = y as usize * w + x as usize;
            let mut v = d[i];
            for &(oy, ox, c) in &fwd {
                let (yy, xx) = (y + oy, x + ox);
                if yy >= 0 && xx >= 0 && xx < w as isize {
                    v = v.min(d[yy as usize * w + xx as usize] + c);
                }
            }
            d[i] = v;
        }
    }
    for y in (0..h as isize).rev() {
        for x in (0..w as isize).rev() {
            let i = y as usize * w + x as usize;
            let mut v = d[i];
            for &(oy, ox, c) in &fwd {
                let (yy, xx) = (y - oy, x - ox);
                if yy < h as isize && xx >= 0 && xx < w as isize {
                    v = v.min(d[yy as usize * w + xx as usize] + c);
                }
            }
            d[i] = v;
        }
    }
    d
}

/// OpenCV `equalizeHist` of a byte plane.
pub fn equalize_hist(p: &[u8]) -> Vec<u8> {
    let mut hist = [0usize; 256];
    p.iter().for_each(|&v| hist[usize::from(v)] += 1);
    let total = p.len();
    let first = hist.iter().position(|&c| c > 0).unwrap_or(0);
    if hist[first] == total {
        return vec![first as u8; total];
    }
    let scale = 255.0 / (total - hist[first]) as f32;
    let mut lut = [0u8; 256];
    let mut sum = 0;
    for j in first + 1..256 {
        sum += hist[j];
        lut[j] = (sum as f32 * scale).round().clamp(0.0, 255.0) as u8;
    }
    p.iter().map(|&v| lut[usize::from(v)]).collect()
}

/// OpenCV `blur(p, (3, 3))`: the 3x3 mean, border reflect-101.
fn box3(p: &[f32], w: usize, h: usize) -> Vec<f32> {
    filter2d(p, w, h, &[1.0 / 9.0; 9], 3, 3, Border::Reflect101)
}

/// Spatter (held out). Parameters `[loc, scale, sigma, threshold, intensity, mud]`: a smoothed normal(loc, scale)
/// "liquid" layer thresholded at `threshold`; water (`mud == 0`) adds pale turquoise where the liquid is, shaped by
/// a distance-to-edge map (Canny, distance transform, histogram equalisation, an emboss kernel); mud (`mud == 1`)
/// pastes brown blobs (the layer above threshold, blurred with `intensity` as sigma, kept above 0.8).
pub fn spatter(img: &Image, c: [f64; 6], rng: &mut Rng) -> Image {
    let (w, h) = (img.w, img.h);
    let raw: Vec<f32> = (0..w * h).map(|_| (c[0] + c[1] * f64::from(rng.normal())) as f32).collect();
    let mut liquid = gaussian_plane(&raw, w, h, c[2], c[2], 4.0, Border::Nearest);
    liquid.iter_mut().for_each(|v| {
        if f64::from(*v) < c[3] {
            *v = 0.0
        }
    });
    let x: Vec<f32> = img.data.iter().map(|v| v / 255.0).collect();
    let cc = img.c;
    let mut data = Vec::with_capacity(x.len());
    if c[5] == 0.0 {
        let l8: Vec<u8> = liquid.iter().map(|v| (v * 255.0).clamp(0.0, 255.0) as u8).collect();
        let inv: Vec<u8> = canny(&l8, w, h, 50, 150).iter().map(|e| 255 - e).collect();
        let dist: Vec<f32> = distance_transform_5(&inv, w, h).into_iter().map(|d| d.min(20.0)).collect();
        let dist: Vec<u8> = box3(&dist, w, h).iter().map(|v| v.clamp(0.0, 255.0) as u8).collect();
        let dist: Vec<f32> = equalize_hist(&dist).iter().map(|&v| f32::from(v)).collect();
        let emboss = [-2.0, -1.0, 0.0, -1.0, 1.0, 1.0, 0.0, 1.0, 2.0];
        let dist: Vec<f32> = filter2d(&dist, w, h, &emboss, 3, 3, Border::Reflect101).iter().map(|v| v.round().clamp(0.0, 255.0)).collect();
        let dist: Vec<f32> = box3(&dist, w, h).iter().map(|v| v.round().clamp(0.0, 255.0)).collect();
        let mut m: Vec<f64> = liquid.iter().zip(&dist).map(|(&l, &d)| f64::from(l) * f64::from(d)).collect();
        let mx = m.iter().copied().fold(0.0, f64::max);
        if mx > 0.0 {
            m.iter_mut().for_each(|v| *v = *v / mx * c[4]);
        }
        let color = [175.0 / 255.0, 238.0 / 255.0, 238.0 / 255.0];
        for (i, px) in x.chunks_exact(cc).enumerate() {
            if cc == 3 {
                for k in 0..3 {
                    data.push(((f64::from(px[k]) + m[i] * color[k]).clamp(0.0, 1.0) * 255.0) as f32);
                }
            } else {
                let add: f64 = (0..3).map(|k| [0.2989, 0.5870, 0.1140][k] * (m[i] * color[k]).clamp(0.0, 1.0)).sum();
                data.push(((f64::from(px[0]) + add).clamp(0.0, 1.0) * 255.0) as f32);
            }
        }
    } else {
        let mask: Vec<f32> = liquid.iter().map(|&v| if f64::from(v) > c[3] { 1.0 } else { 0.0 }).collect();
        let m: Vec<f32> = gaussian_plane(&mask, w, h, c[4], c[4], 4.0, Border::Nearest).into_iter().map(|v| if v < 0.8 { 0.0 } else { v }).collect();
        let color = [63.0 / 255.0, 42.0 / 255.0, 20.0 / 255.0];
        for (i, px) in x.chunks_exact(cc).enumerate() {
            if cc == 3 {
                for k in 0..3 {
                    data.push((px[k] * (1.0 - m[i]) + color[k] * m[i]).clamp(0.0, 1.0) * 255.0);
                }
            } else {
                let g = (0.2989 * color[0] + 0.5870 * color[1] + 0.1140 * color[2]) * m[i];
                data.push((px[0] * (1.0 - m[i]) + g).clamp(0.0, 1.0) * 255.0);
            }
        }
    }
    Image { data, ..img.clone() }
}
