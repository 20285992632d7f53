//! Digital corruptions (paper sec. 3, "Digital"): contrast, elastic transform, pixelate, JPEG; brightness (listed
//! under weather in the paper) and the held-out saturate, which work in HSV as `skimage.color` does.

use super::filters::{border_index, gaussian_plane, sample_bilinear, Border};
use super::Image;
use crate::error::{Error, Result};
use crate::nn::Rng;

/// skimage `rgb2hsv` of one pixel in [0, 1]: (h in [0, 1), s, v).
pub fn rgb2hsv([r, g, b]: [f64; 3]) -> [f64; 3] {
    let v = r.max(g).max(b);
    let delta = v - r.min(g).min(b);
    let s = if delta == 0.0 { 0.0 } else { delta / v };
    let mut h = 0.0;
    if delta != 0.0 {
        // The reference assigns red, then green, then blue: the last channel equal to the max wins.
        if r == v {
            h = (g - b) / delta;
        }
        if g == v {
            h = 2.0 + (b - r) / delta;
        }
        if b == v {
            h = 4.0 + (r - g) / delta;
        }
        h = (h / 6.0).rem_euclid(1.0);
    }
    [h, s, v]
}

/// skimage `hsv2rgb` of one pixel.
pub fn hsv2rgb([h, s, v]: [f64; 3]) -> [f64; 3] {
    let hi = (h * 6.0).floor();
    let f = h * 6.0 - hi;
    let p = v * (1.0 - s);
    let q = v * (1.0 - f * s);
    let t = v * (1.0 - (1.0 - f) * s);
    match (hi as i64).rem_euclid(6) {
        0 => [v, t, p],
        1 => [q, v, p],
        2 => [p, v, t],
        3 => [p, q, v],
        4 => [t, p, v],
        _ => [v, p, q],
    }
}

/// Applies `f` to the HSV of every RGB pixel (input 0..=255, output in [0, 1] * 255, clipped).
fn map_hsv(img: &Image, f: impl Fn([f64; 3]) -> [f64; 3]) -> Image {
    let mut data = Vec::with_capacity(img.data.len());
    for px in img.data.chunks_exact(3) {
        let hsv = rgb2hsv([f64::from(px[0]) / 255.0, f64::from(px[1]) / 255.0, f64::from(px[2]) / 255.0]);
        let rgb = hsv2rgb(f(hsv));
        data.extend(rgb.iter().map(|v| (v.clamp(0.0, 1.0) * 255.0) as f32));
    }
    Image { data, ..img.clone() }
}

/// Brightness: `V + c` in HSV, clipped (grayscale: `x + c`).
pub fn brightness(img: &Image, c: f64) -> Image {
    if img.c == 1 {
        let data = img.data.iter().map(|&v| ((f64::from(v) / 255.0 + c).clamp(0.0, 1.0) * 255.0) as f32).collect();
        return Image { data, ..img.clone() };
    }
    map_hsv(img, |[h, s, v]| [h, s, (v + c).clamp(0.0, 1.0)])
}

/// Saturate (held out): `S * a + b` in HSV, clipped (grayscale images are unchanged, as in the reference).
pub fn saturate(img: &Image, (a, b): (f64, f64)) -> Image {
    if img.c == 1 {
        return map_hsv(&img.to_rgb(), |[h, s, v]| [h, (s * a + b).clamp(0.0, 1.0), v]).plane_image(0);
    }
    map_hsv(img, |[h, s, v]| [h, (s * a + b).clamp(0.0, 1.0), v])
}

impl Image {
    /// Channel `k` as a 1-channel image.
    pub(crate) fn plane_image(&self, k: usize) -> Image {
        Image { w: self.w, h: self.h, c: 1, data: self.plane(k) }
    }
}

/// Contrast: `(x - mean) * c + mean` per channel, means over the whole image.
pub fn contrast(img: &Image, c: f32) -> Image {
    let n = (img.w * img.h) as f64;
    img.map_planes(|p| {
        let m = (p.iter().map(|&v| f64::from(v) / 255.0).sum::<f64>() / n) as f32;
        p.iter().map(|&v| ((v / 255.0 - m) * c + m).clamp(0.0, 1.0) * 255.0).collect()
    })
}

/// JPEG at `quality` (1..=100) with the `image` crate's baseline encoder, decoded again. RGB images are encoded as
/// RGB (the reference uses Pillow's libjpeg; quantisation tables and chroma subsampling differ slightly: see the
/// match table), grayscale as a grayscale JPEG.
///
/// # Errors
/// [`Error::Format`] if encoding or decoding fails (should not happen for valid images).
pub fn jpeg(img: &Image, quality: u8) -> Result<Image> {
    use image::codecs::jpeg::JpegEncoder;
    use image::{ExtendedColorType, ImageEncoder};
    let bytes: Vec<u8> = img.data.iter().map(|&v| v.clamp(0.0, 255.0).round() as u8).collect();
    let mut buf = Vec::new();
    let color = if img.c == 3 { ExtendedColorType::Rgb8 } else { ExtendedColorType::L8 };
    JpegEncoder::new_with_quality(&mut buf, quality)
        .write_image(&bytes, img.w as u32, img.h as u32, color)
        .map_err(|e| Error::format("jpeg encoder", e.to_string()))?;
    let dec = image::load_from_memory_with_format(&buf, image::ImageFormat::Jpeg).map_err(|e| Error::format("jpeg decoder", e.to_string()))?;
    let raw = if img.c == 3 { dec.to_rgb8().into_raw() } else { dec.to_luma8().into_raw() };
    Ok(Image { data: raw.iter().map(|&b| f32::from(b)).collect(), ..img.clone() })
}

/// Pillow's fixed-point precision for 8-bit resampling.
const PRECISION_BITS: u32 = 32 - 8 - 2;

/// Pillow's box-filter coefficients for resizing `n` -> `m` samples: (first input index, integer weights).
fn pil_box_coeffs(n: usize, m: usize) -> Vec<(usize, Vec<i64>)> {
    let scale = n as f64 / m as f64;
    let fscale = scale.max(1.0);
    let support = 0.5 * fscale;
    let ss = 1.0 / fscale;
    (0..m)
        .map(|xx| {
            let center = (xx as f64 + 0.5) * scale;
            let xmin = ((center - support + 0.5) as i64).max(0) as usize;
            let xmax = ((center + support + 0.5) as i64).min(n as i64) as usize;
            let w: Vec<f64> = (xmin..xmax)
                .map(|x| {
                    let t = (x as f64 - center + 0.5) * ss;
                    if t > -0.5 && t <= 0.5 {
                        1.0
                    } else {
                        0.0
                    }
                })
                .collect();
            let tot: f64 = w.iter().sum();
            let k = w.iter().map(|v| (v / tot * f64::from(1u32 << PRECISION_BITS) + 0.5) as i64).collect();
            (xmin, k)
        })
        .collect()
}

/// Pillow `resize(..., Image.BOX)` of a u8-valued plane: a horizontal pass then a vertical pass, each rounded to
/// bytes in Pillow's fixed point; a pass whose size does not change is skipped, as in Pillow.
pub fn pil_box_resize(p: &[f32], w: usize, h: usize, ow: usize, oh: usize) -> Vec<f32> {
    let round = |s: i64| ((s + (1 << (PRECISION_BITS - 1))) >> PRECISION_BITS).clamp(0, 255) as f32;
    let mut cur = p.to_vec();
    let mut cw = w;
    if ow != w {
        let k = pil_box_coeffs(w, ow);
        let mut t = vec![0.0; ow * h];
        for y in 0..h {
            for (x, (x0, ws)) in k.iter().enumerate() {
                let s: i64 = ws.iter().enumerate().map(|(i, &wi)| wi * cur[y * w + x0 + i] as i64).sum();
                t[y * ow + x] = round(s);
            }
        }
        cur = t;
        cw = ow;
    }
    if oh != h {
        let k = pil_box_coeffs(h, oh);
        let mut t = vec![0.0; cw * oh];
        for (y, (y0, ws)) in k.iter().enumerate() {
            for x in 0..cw {
                let s: i64 = ws.iter().enumerate().map(|(i, &wi)| wi * cur[(y0 + i) * cw + x] as i64).sum();
                t[y * cw + x] = round(s);
            }
        }
        cur = t;
    }
    cur
}

/// Pillow `resize(..., Image.NEAREST)`: output `x` reads input `floor((x + 0.5) * n/m)`, the position accumulated
/// step by step in f64 as Pillow's affine scaler does.
pub fn pil_nearest_resize(p: &[f32], w: usize, h: usize, ow: usize, oh: usize) -> Vec<f32> {
    let tab = |n: usize, m: usize| -> Vec<usize> {
        let a = n as f64 / m as f64;
        let mut xo = a * 0.5;
        (0..m)
            .map(|_| {
                let v = (xo as usize).min(n - 1);
                xo += a;
                v
            })
            .collect()
    };
    let (tx, ty) = (tab(w, ow), tab(h, oh));
    let mut out = vec![0.0; ow * oh];
    for (y, &sy) in ty.iter().enumerate() {
        for (x, &sx) in tx.iter().enumerate() {
            out[y * ow + x] = p[sy * w + sx];
        }
    }
    out
}

/// Pixelate: box-downscale to `int(w c) x int(h c)`, then back up by nearest neighbour (`imagecorruptions`) or by
/// box again (`make_cifar_c.py`).
pub fn pixelate(img: &Image, c: f64, t: super::Tables) -> Image {
    let (w, h) = (img.w, img.h);
    let (sw, sh) = (((w as f64) * c) as usize, ((h as f64) * c) as usize);
    img.map_planes(|p| {
        let q: Vec<f32> = p.iter().map(|v| v.clamp(0.0, 255.0).round()).collect();
        let small = pil_box_resize(&q, w, h, sw.max(1), sh.max(1));
        match t {
            super::Tables::ImageNet => pil_nearest_resize(&small, sw.max(1), sh.max(1), w, h),
            super::Tables::Cifar => pil_box_resize(&small, sw.max(1), sh.max(1), w, h),
        }
    })
}

/// A smoothed uniform displacement field: `gaussian(U(-m, m), (sy, sx), mode='reflect', truncate=3) * alpha`.
fn displacement(w: usize, h: usize, m: f32, sigma: (f64, f64), alpha: f32, rng: &mut Rng) -> Vec<f32> {
    let u: Vec<f32> = (0..w * h).map(|_| rng.uniform_in(-m, m)).collect();
    gaussian_plane(&u, w, h, sigma.0, sigma.1, 3.0, Border::Reflect).into_iter().map(|v| v * alpha).collect()
}

/// Resamples every channel at `(y + dy, x + dx)`, bilinear, mirrored outside (scipy `map_coordinates(order=1,
/// mode='reflect')`, up to how scipy mirrors a coordinate within half a pixel of the edge).
///
/// The sampling positions are the same for every channel: their taps (the four indices and two weights of
/// [`sample_bilinear`], computed the same way) are found once and applied to each plane.
fn warp(img: &Image, dx: &[f32], dy: &[f32]) -> Image {
    let (w, h) = (img.w, img.h);
    let taps: Vec<([usize; 4], f32, f32)> = (0..w * h)
        .map(|i| {
            let (y, x) = ((i / w) as f64 + f64::from(dy[i]), (i % w) as f64 + f64::from(dx[i]));
            let (y0, x0) = (y.floor(), x.floor());
            let (fy, fx) = ((y - y0) as f32, (x - x0) as f32);
            let (y0, x0) = (y0 as isize, x0 as isize);
            let (ya, yb) = (border_index(y0, h, Border::Reflect), border_index(y0 + 1, h, Border::Reflect));
            let (xa, xb) = (border_index(x0, w, Border::Reflect), border_index(x0 + 1, w, Border::Reflect));
            ([ya * w + xa, ya * w + xb, yb * w + xa, yb * w + xb], fy, fx)
        })
        .collect();
    img.map_planes(|p| {
        let x: Vec<f32> = p.iter().map(|v| v / 255.0).collect();
        taps.iter()
            .map(|&([a, b, c, d], fy, fx)| {
                let top = x[a] + (x[b] - x[a]) * fx;
                let bot = x[c] + (x[d] - x[c]) * fx;
                (top + (bot - top) * fy).clamp(0.0, 1.0) * 255.0
            })
            .collect()
    })
}

/// Elastic transform of `imagecorruptions`: displacement fields with sigma `0.01 * (h, w)`, amplitude
/// `U(-0.005 h, 0.005 h)` before smoothing, scaled by `alpha`.
pub fn elastic_imagenet(img: &Image, alpha: f32, rng: &mut Rng) -> Image {
    let (w, h) = (img.w, img.h);
    let sigma = (h as f64 * 0.01, w as f64 * 0.01);
    let m = h as f32 * 0.005;
    let dx = displacement(w, h, m, sigma, alpha, rng);
    let dy = displacement(w, h, m, sigma, alpha, rng);
    warp(img, &dx, &dy)
}

/// The affine map sending three points to three others (OpenCV `getAffineTransform`): `[a b c; d e f]` with
/// `(x', y') = (a x + b y + c, d x + e y + f)`.
pub fn affine_from_points(src: [[f64; 2]; 3], dst: [[f64; 2]; 3]) -> [f64; 6] {
    let [[x0, y0], [x1, y1], [x2, y2]] = src;
    let det = x0 * (y1 - y2) + x1 * (y2 - y0) + x2 * (y0 - y1);
    let solve = |v0: f64, v1: f64, v2: f64| -> [f64; 3] {
        let a = (v0 * (y1 - y2) + v1 * (y2 - y0) + v2 * (y0 - y1)) / det;
        let b = (v0 * (x2 - x1) + v1 * (x0 - x2) + v2 * (x1 - x0)) / det;
        let c = (v0 * (x1 * y2 - x2 * y1) + v1 * (x2 * y0 - x0 * y2) + v2 * (x0 * y1 - x1 * y0)) / det;
        [a, b, c]
    };
    let [a, b, c] = solve(dst[0][0], dst[1][0], dst[2][0]);
    let [d, e, f] = solve(dst[0][1], dst[1][1], dst[2][1]);
    [a, b, c, d, e, f]
}

/// Warps every plane by the forward affine map `m` (OpenCV `warpAffine`: each output pixel reads the inverse map's
/// source point, bilinear, border reflect-101).
pub fn warp_affine(img: &Image, m: [f64; 6]) -> Image {
    let [a, b, c, d, e, f] = m;
    let det = a * e - b * d;
    let (ia, ib, id, ie) = (e / det, -b / det, -d / det, a / det);
    let (ic, if_) = (-(ia * c + ib * f), -(id * c + ie * f));
    let (w, h) = (img.w, img.h);
    img.map_planes(|p| {
        (0..w * h)
            .map(|i| {
                let (y, x) = ((i / w) as f64, (i % w) as f64);
                let (sx, sy) = (ia * x + ib * y + ic, id * x + ie * y + if_);
                sample_bilinear(p, w, h, sy, sx, Border::Reflect101)
            })
            .collect()
    })
}

/// Elastic transform of `make_cifar_c.py`: a random affine jitter of three points around the centre (by up to
/// `affine` px), then displacement fields `gaussian(U(-1, 1), sigma, reflect, truncate=3) * alpha`.
pub fn elastic_cifar(img: &Image, (alpha, sigma, affine): (f64, f64, f64), rng: &mut Rng) -> Image {
    let (w, h) = (img.w, img.h);
    // The reference's centre and square are in (row, col) order and used as (x, y) points; it only ever sees
    // square images, where the two agree.
    let (cy, cx) = ((h / 2) as f64, (w / 2) as f64);
    let s = (h.min(w) / 3) as f64;
    let src = [[cy + s, cx + s], [cy + s, cx - s], [cy - s, cx - s]];
    let mut dst = src;
    for p in &mut dst {
        for v in p.iter_mut() {
            *v += f64::from(rng.uniform_in(-(affine as f32), affine as f32));
        }
    }
    let x = warp_affine(img, affine_from_points(src, dst));
    let dx = displacement(w, h, 1.0, (sigma, sigma), alpha as f32, rng);
    let dy = displacement(w, h, 1.0, (sigma, sigma), alpha as f32, rng);
    warp(&x, &dx, &dy)
}
