//! ImageNet-P perturbation sequences and their stability metrics (paper sec. 3 "ImageNet-P" and sec. 4
//! "Perturbation robustness metrics").
//!
//! A sequence `E = (x_1, ..., x_n)` starts from the clean image and perturbs it a little more (or differently) in
//! each frame, after `make_imagenet_p.py` ([`Tables::ImageNet`]) and `make_cifar_p.py` ([`Tables::Cifar`], for
//! images of at most 64 px). The **flip probability** of a classifier `f` on perturbation `p` over `m` sequences is
//! `FP_p^f = 1/(m (n-1)) sum_i sum_{j=2..n} 1(f(x_j^(i)) != f(x_{j-1}^(i)))` for perturbations that change
//! smoothly, and compares every frame with the first, `1(f(x_j) != f(x_1))`, for the noise sequences (whose frames
//! are independent draws around the clean image). The mean Flip Rate normalises by a baseline, `FR_p^f =
//! FP_p^f / FP_p^base`, `mFR` = mean over perturbations. The **top-5 distance** replaces the flip indicator by the
//! distance between the top-5 rankings of two frames (the paper's `d(tau(x), tau(x'))`).
//!
//! Geometric perturbations (translate, rotate, scale, tilt) warp the image itself, bilinear, black outside (the
//! references crop from a larger frame, which a single photo or digit does not have).

use super::blur::{clipped_zoom_cifar, motion_blur_plane};
use super::digital::brightness;
use super::noise::poisson;
use super::{Image, Tables};
use crate::error::{Error, Result};
use crate::nn::Rng;

/// The perturbations of ImageNet-P's test set (the paper's ten).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Perturbation {
    /// Independent Gaussian noise in every frame.
    GaussianNoise,
    /// Independent shot noise in every frame.
    ShotNoise,
    /// Motion blur whose angle turns from frame to frame.
    MotionBlur,
    /// Zoom blur growing frame by frame.
    ZoomBlur,
    /// A snow layer whose motion-blur angle turns.
    Snow,
    /// Brightness from darker to brighter.
    Brightness,
    /// Horizontal translation, one pixel per frame.
    Translate,
    /// Rotation, one degree per frame.
    Rotate,
    /// A perspective tilt (rotation about both in-plane axes).
    Tilt,
    /// Scaling about the centre.
    Scale,
}

impl Perturbation {
    /// All ten, in the paper's order.
    pub const ALL: [Perturbation; 10] = [
        Perturbation::GaussianNoise,
        Perturbation::ShotNoise,
        Perturbation::MotionBlur,
        Perturbation::ZoomBlur,
        Perturbation::Snow,
        Perturbation::Brightness,
        Perturbation::Translate,
        Perturbation::Rotate,
        Perturbation::Tilt,
        Perturbation::Scale,
    ];

    /// The reference's name (`gaussian_noise`, ..., `scale`).
    pub fn name(self) -> &'static str {
        use Perturbation::*;
        match self {
            GaussianNoise => "gaussian_noise",
            ShotNoise => "shot_noise",
            MotionBlur => "motion_blur",
            ZoomBlur => "zoom_blur",
            Snow => "snow",
            Brightness => "brightness",
            Translate => "translate",
            Rotate => "rotate",
            Tilt => "tilt",
            Scale => "scale",
        }
    }

    /// The perturbation with the reference's name.
    ///
    /// # Errors
    /// [`Error::Range`] listing the valid names.
    pub fn from_name(s: &str) -> Result<Perturbation> {
        Self::ALL.iter().copied().find(|p| p.name() == s).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|p| p.name()).collect();
            Error::range("perturbation", format!("'{s}' is not one of {}", names.join(", ")))
        })
    }

    /// Noise sequences compare every frame with the first; the others compare consecutive frames.
    pub fn is_noise(self) -> bool {
        matches!(self, Perturbation::GaussianNoise | Perturbation::ShotNoise)
    }

    /// Frames in the reference's sequence (clean frame included): 31, except translate (41 for ImageNet-P, 16 for
    /// CIFAR-P) and CIFAR-P's motion blur (21).
    pub fn frames(self, t: Tables) -> usize {
        match (self, t) {
            (Perturbation::Translate, Tables::ImageNet) => 41,
            (Perturbation::Translate, Tables::Cifar) => 16,
            (Perturbation::MotionBlur, Tables::Cifar) => 21,
            _ => 31,
        }
    }
}

/// Bilinear sample with zeros outside the plane.
fn sample_zero(p: &[f32], w: usize, h: usize, y: f64, x: f64) -> f32 {
    let (y0, x0) = (y.floor(), x.floor());
    let (fy, fx) = ((y - y0) as f32, (x - x0) as f32);
    let (y0, x0) = (y0 as isize, x0 as isize);
    let at = |yy: isize, xx: isize| if yy < 0 || xx < 0 || yy >= h as isize || xx >= w as isize { 0.0 } else { p[yy as usize * w + xx as usize] };
    let top = at(y0, x0) * (1.0 - fx) + at(y0, x0 + 1) * fx;
    let bot = at(y0 + 1, x0) * (1.0 - fx) + at(y0 + 1, x0 + 1) * fx;
    top * (1.0 - fy) + bot * fy
}

/// Warps every plane: output pixel (x, y) reads source `src(x, y)` (bilinear, black outside).
fn warp(img: &Image, src: impl Fn(f64, f64) -> (f64, f64)) -> Image {
    let (w, h) = (img.w, img.h);
    img.map_planes(|p| {
        (0..w * h)
            .map(|i| {
                let (sx, sy) = src((i % w) as f64, (i / w) as f64);
                sample_zero(p, w, h, sy, sx).clamp(0.0, 255.0).round()
            })
            .collect()
    })
}

/// Rotation by `deg` degrees (counter-clockwise on screen), scaling by `scale` and translation by `tx` px about the
/// image centre, as torchvision's `affine` (inverse mapping).
pub fn affine(img: &Image, deg: f64, scale: f64, tx: f64) -> Image {
    let (cx, cy) = ((img.w as f64 - 1.0) / 2.0, (img.h as f64 - 1.0) / 2.0);
    let (s, c) = deg.to_radians().sin_cos();
    warp(img, |x, y| {
        let (u, v) = (x - cx - tx, y - cy);
        // Inverse of "rotate by -deg in y-down coordinates, then scale".
        let (ru, rv) = ((c * u - s * v) / scale, (s * u + c * v) / scale);
        (ru + cx, rv + cy)
    })
}

/// The tilt of `make_imagenet_p.py`: a camera rotated by `phi` about the vertical and `theta` about the horizontal
/// axis, at distance `f = sqrt(w^2 + h^2)`, as a homography (OpenCV `warpPerspective`, inverse mapping).
pub fn tilt(img: &Image, phi: f64, theta: f64) -> Image {
    let (w, h) = (img.w as f64, img.h as f64);
    let f = (w * w + h * h).sqrt();
    // mat = P2 T RX RY P1 (3x3 after folding the 4x3 / 3x4 products).
    let p1 = [[1.0, 0.0, -w / 2.0], [0.0, 1.0, -h / 2.0], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0]];
    let (st, ct) = theta.sin_cos();
    let (sp, cp) = phi.sin_cos();
    let rx = [[1.0, 0.0, 0.0, 0.0], [0.0, ct, -st, 0.0], [0.0, st, ct, 0.0], [0.0, 0.0, 0.0, 1.0]];
    let ry = [[cp, 0.0, -sp, 0.0], [0.0, 1.0, 0.0, 0.0], [sp, 0.0, cp, 0.0], [0.0, 0.0, 0.0, 1.0]];
    let t = [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, f], [0.0, 0.0, 0.0, 1.0]];
    let p2 = [[f, 0.0, w / 2.0, 0.0], [0.0, f, h / 2.0, 0.0], [0.0, 0.0, 1.0, 0.0]];
    let mul = |a: &[Vec<f64>], b: &[Vec<f64>]| -> Vec<Vec<f64>> {
        (0..a.len()).map(|i| (0..b[0].len()).map(|j| (0..b.len()).map(|k| a[i][k] * b[k][j]).sum()).collect()).collect()
    };
    let v = |m: &[[f64; 4]]| m.iter().map(|r| r.to_vec()).collect::<Vec<_>>();
    let m = mul(&mul(&mul(&mul(&p2.iter().map(|r| r.to_vec()).collect::<Vec<_>>(), &v(&t)), &v(&rx)), &v(&ry)), &p1.iter().map(|r| r.to_vec()).collect::<Vec<_>>());
    let inv = invert3([[m[0][0], m[0][1], m[0][2]], [m[1][0], m[1][1], m[1][2]], [m[2][0], m[2][1], m[2][2]]]);
    warp(img, |x, y| {
        let d = inv[2][0] * x + inv[2][1] * y + inv[2][2];
        ((inv[0][0] * x + inv[0][1] * y + inv[0][2]) / d, (inv[1][0] * x + inv[1][1] * y + inv[1][2]) / d)
    })
}

fn invert3(m: [[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    let mut r = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in 0..3 {
            let (a, b) = ((j + 1) % 3, (j + 2) % 3);
            let (c, d) = ((i + 1) % 3, (i + 2) % 3);
            r[i][j] = (m[a][c] * m[b][d] - m[a][d] * m[b][c]) / det;
        }
    }
    r
}

/// The perturbation sequence for `img`: `frames(t)` images, the first the clean one except where the reference
/// starts elsewhere (motion blur, brightness, translate, rotate, tilt and scale sweep a range through the clean
/// setting). Values are integers in 0..=255.
///
/// # Errors
/// [`Error::Shape`] for a bad image.
pub fn sequence(img: &Image, p: Perturbation, t: Tables, rng: &mut Rng) -> Result<Vec<Image>> {
    super::check_size(img.w, img.h)?;
    let n = p.frames(t);
    let cifar = t == Tables::Cifar;
    let trunc = |im: Image| im.quantize();
    let frames: Vec<Image> = match p {
        Perturbation::GaussianNoise => {
            let s = if cifar { 0.02 } else { 0.03 };
            let mut v = vec![img.clone()];
            for _ in 1..n {
                v.push(trunc(Image { data: img.data.iter().map(|&x| (x / 255.0 + s * rng.normal()).clamp(0.0, 1.0) * 255.0).collect(), ..img.clone() }));
            }
            v
        }
        Perturbation::ShotNoise => {
            let lam = if cifar { 700.0 } else { 300.0 };
            let mut v = vec![img.clone()];
            for _ in 1..n {
                let data = img.data.iter().map(|&x| ((poisson(rng, f64::from(x) / 255.0 * lam) as f64 / lam).clamp(0.0, 1.0) * 255.0) as f32).collect();
                v.push(trunc(Image { data, ..img.clone() }));
            }
            v
        }
        Perturbation::MotionBlur => (0..n)
            .map(|i| {
                let (r, s, a) = if cifar { (6.0, 1.8, (i as f64 - 20.0) * 9.0) } else { (10.0, 3.0, (i as f64 - 30.0) * 4.0) };
                let x = img.map_planes(|pl| motion_blur_plane(pl, img.w, img.h, r, s, a));
                Image { data: x.data.iter().map(|v| v.round().clamp(0.0, 255.0)).collect(), ..x }
            })
            .collect(),
        Perturbation::ZoomBlur => {
            let mut acc: Vec<f32> = img.data.clone();
            let mut v = vec![img.clone()];
            for i in 1..n {
                let z = affine(img, 0.0, 1.0 + 0.004 * i as f64, 0.0);
                acc.iter_mut().zip(&z.data).for_each(|(a, b)| *a += b);
                v.push(trunc(Image { data: acc.iter().map(|a| a / (i as f32 + 1.0)).collect(), ..img.clone() }));
            }
            v
        }
        Perturbation::Snow => {
            let (w, h) = (img.w, img.h);
            let layer: Vec<f32> = (0..w * h).map(|_| 0.05 + 0.3 * rng.normal()).collect();
            let zm = clipped_zoom_cifar(&layer, w, h, if cifar { 2.0 } else { 3.0 });
            let bytes: Vec<f32> = zm.iter().map(|&v| if v < 0.5 { 0.0 } else { (v.clamp(0.0, 1.0) * 255.0).trunc() }).collect();
            let (r, s) = if cifar { (10.0, 2.0) } else { (14.0, 4.0) };
            (0..n)
                .map(|i| {
                    let snow: Vec<f32> = motion_blur_plane(&bytes, w, h, r, s, i as f64 * 4.0 - 150.0).iter().map(|v| v.round().clamp(0.0, 255.0) / 255.0).collect();
                    let mut data = Vec::with_capacity(img.data.len());
                    for (k, px) in img.data.chunks_exact(img.c).enumerate() {
                        let x: Vec<f32> = px.iter().map(|v| v / 255.0).collect();
                        let gray = if img.c == 3 { 0.299 * x[0] + 0.587 * x[1] + 0.114 * x[2] } else { x[0] };
                        let (y, xx) = (k / w, k % w);
                        let sn = snow[k] + snow[(h - 1 - y) * w + (w - 1 - xx)];
                        for &v in &x {
                            data.push(((0.85 * v + 0.15 * v.max(gray * 1.5 + 0.5)) + sn).clamp(0.0, 1.0) * 255.0);
                        }
                    }
                    trunc(Image { data, ..img.clone() })
                })
                .collect()
        }
        Perturbation::Brightness => (0..n).map(|i| trunc(brightness(img, (i as f64 - 15.0) * if cifar { 1.5 } else { 2.0 } / 100.0))).collect(),
        Perturbation::Translate => {
            let mid = if cifar { 7.0 } else { 20.0 };
            (0..n).map(|i| affine(img, 0.0, 1.0, i as f64 - mid)).collect()
        }
        Perturbation::Rotate => (0..n).map(|i| affine(img, i as f64 - 15.0, 1.0, 0.0)).collect(),
        Perturbation::Tilt => (0..n)
            .map(|i| {
                let a = (if cifar { 0.75 } else { 1.0 } * (i as f64 - 15.0)).to_radians();
                tilt(img, a, a)
            })
            .collect(),
        Perturbation::Scale => (0..n)
            .map(|i| {
                let s = if cifar { (i as f64 * 2.0 + 70.0) / 100.0 } else { (i as f64 * 2.5 + 40.0) / 100.0 };
                affine(img, 0.0, s, 0.0)
            })
            .collect(),
    };
    Ok(frames)
}

/// Indices of the frames at which the prediction flips: frame `j >= 1` flips if `preds[j] != preds[0]` (noise) or
/// `preds[j] != preds[j-1]` (other perturbations).
pub fn flips(preds: &[usize], noise: bool) -> Vec<usize> {
    (1..preds.len()).filter(|&j| preds[j] != if noise { preds[0] } else { preds[j - 1] }).collect()
}

/// Flip probability `FP_p^f` over sequences of predictions (one `Vec` of class ids per sequence, each at least two
/// frames): the mean over sequences of the fraction of frames that flip (see [`flips`]).
///
/// # Errors
/// [`Error::Shape`] if there is no sequence or one has fewer than two frames.
pub fn flip_probability(sequences: &[Vec<usize>], noise: bool) -> Result<f64> {
    if sequences.is_empty() || sequences.iter().any(|s| s.len() < 2) {
        return Err(Error::shape("flip_probability", "needs at least one sequence of at least two frames"));
    }
    Ok(sequences.iter().map(|s| flips(s, noise).len() as f64 / (s.len() - 1) as f64).sum::<f64>() / sequences.len() as f64)
}

/// The paper's top-5 distance between two rankings (class ids, best first): with `sigma(i)` the rank in `b` of the
/// class ranked `i` in `a` (1-based), `sum_{i=1..5} sum_{j=min(i,sigma(i))+1}^{max(i,sigma(i))} 1(1 <= j-1 <= 5)`.
/// Zero when the top five agree in order.
///
/// # Errors
/// [`Error::Shape`] if the rankings differ in length or hold fewer than 5 classes.
pub fn top5_distance(a: &[usize], b: &[usize]) -> Result<usize> {
    if a.len() != b.len() || a.len() < 5 {
        return Err(Error::shape("top5_distance", format!("rankings of {} and {} classes; need equal lengths >= 5", a.len(), b.len())));
    }
    let mut rank_b = vec![usize::MAX; a.len()];
    for (r, &c) in b.iter().enumerate() {
        if c < rank_b.len() {
            rank_b[c] = r + 1;
        }
    }
    let mut d = 0;
    for i in 1..=5 {
        let s = *rank_b.get(a[i - 1]).ok_or_else(|| Error::shape("top5_distance", "class id out of range"))?;
        for j in i.min(s) + 1..=i.max(s) {
            if (1..=5).contains(&(j - 1)) {
                d += 1;
            }
        }
    }
    Ok(d)
}

/// Mean top-5 distance over sequences of rankings, frames compared as in [`flips`].
///
/// # Errors
/// As [`flip_probability`] and [`top5_distance`].
pub fn mean_top5_distance(sequences: &[Vec<Vec<usize>>], noise: bool) -> Result<f64> {
    if sequences.is_empty() || sequences.iter().any(|s| s.len() < 2) {
        return Err(Error::shape("mean_top5_distance", "needs at least one sequence of at least two frames"));
    }
    let mut total = 0.0;
    for s in sequences {
        let mut acc = 0.0;
        for j in 1..s.len() {
            acc += top5_distance(if noise { &s[0] } else { &s[j - 1] }, &s[j])? as f64;
        }
        total += acc / (s.len() - 1) as f64;
    }
    Ok(total / sequences.len() as f64)
}

/// Flip rates `FP_p^f / FP_p^base` per perturbation and their mean, the mFR (`None` where the baseline never flips).
pub fn mean_flip_rate(fp: &[f64], fp_base: &[f64]) -> (Vec<Option<f64>>, Option<f64>) {
    let fr: Vec<Option<f64>> = fp.iter().zip(fp_base).map(|(&a, &b)| if b > 0.0 { Some(a / b) } else { None }).collect();
    let ok: Vec<f64> = fr.iter().flatten().copied().collect();
    let m = if ok.len() == fr.len() && !ok.is_empty() { Some(ok.iter().sum::<f64>() / ok.len() as f64) } else { None };
    (fr, m)
}
