//! Noise corruptions (paper sec. 3, "Noise"): Gaussian, shot (Poisson), impulse (salt and pepper), and the held-out
//! speckle noise. Each pixel and channel gets an independent draw, as in the reference; values in 0..=255.

use super::Image;
use crate::nn::Rng;

/// `clip(x/255 + N(0, c^2), 0, 1) * 255`.
pub fn gaussian_noise(img: &Image, c: f32, rng: &mut Rng) -> Image {
    let data = img.data.iter().map(|&v| (v / 255.0 + c * rng.normal()).clamp(0.0, 1.0) * 255.0).collect();
    Image { data, ..img.clone() }
}

/// `clip(Poisson(x/255 * c) / c, 0, 1) * 255`: fewer photons (smaller `c`) means more noise.
///
/// The per-mean constants of the sampler are computed once per integer pixel value (images are integers here), so
/// the draws are exactly those of [`poisson`] with the same generator.
pub fn shot_noise(img: &Image, c: f32, rng: &mut Rng) -> Image {
    let c = f64::from(c);
    let mut table: Vec<Option<PoissonParams>> = vec![None; 256];
    let data = img
        .data
        .iter()
        .map(|&v| {
            let lam = f64::from(v) / 255.0 * c;
            let k = if v.fract() == 0.0 && (0.0..=255.0).contains(&v) {
                let p = *table[v as usize].get_or_insert_with(|| PoissonParams::new(lam));
                p.draw(rng)
            } else {
                poisson(rng, lam)
            };
            ((k as f64 / c).clamp(0.0, 1.0) * 255.0) as f32
        })
        .collect();
    Image { data, ..img.clone() }
}

/// Salt and pepper (`skimage.util.random_noise(mode='s&p', amount=c)`): each value is replaced with probability `c`,
/// by 255 or 0 with equal probability.
pub fn impulse_noise(img: &Image, c: f32, rng: &mut Rng) -> Image {
    let data = img
        .data
        .iter()
        .map(|&v| {
            let flip = rng.uniform() < c;
            let salt = rng.uniform() < 0.5;
            if flip {
                if salt {
                    255.0
                } else {
                    0.0
                }
            } else {
                v
            }
        })
        .collect();
    Image { data, ..img.clone() }
}

/// `clip(x + x * N(0, c^2), 0, 1) * 255` on `x = img/255`.
pub fn speckle_noise(img: &Image, c: f32, rng: &mut Rng) -> Image {
    let data = img
        .data
        .iter()
        .map(|&v| {
            let x = v / 255.0;
            (x + x * c * rng.normal()).clamp(0.0, 1.0) * 255.0
        })
        .collect();
    Image { data, ..img.clone() }
}

/// A Poisson draw with mean `lam >= 0`: multiplication of uniforms below 10, Hörmann's transformed rejection
/// (PTRS, 1993; numpy uses the same two regimes) from 10 on.
pub fn poisson(rng: &mut Rng, lam: f64) -> u64 {
    PoissonParams::new(lam).draw(rng)
}

/// The constants of [`poisson`]'s sampler for one mean (computed once, reused for many draws).
#[derive(Copy, Clone, Debug)]
pub struct PoissonParams {
    lam: f64,
    /// `exp(-lam)` (multiplication regime).
    l: f64,
    /// PTRS constants (Hörmann 1993): `ln lam`, `b`, `a`, `ln(1/alpha)`, `v_r`.
    loglam: f64,
    b: f64,
    a: f64,
    log_invalpha: f64,
    vr: f64,
}

impl PoissonParams {
    /// The constants for mean `lam` (values `<= 0` always draw 0).
    pub fn new(lam: f64) -> Self {
        let slam = lam.max(0.0).sqrt();
        let b = 0.931 + 2.53 * slam;
        let a = -0.059 + 0.02483 * b;
        let invalpha = 1.1239 + 1.1328 / (b - 3.4);
        let vr = 0.9277 - 3.6224 / (b - 2.0);
        PoissonParams { lam, l: (-lam).exp(), loglam: lam.ln(), b, a, log_invalpha: invalpha.ln(), vr }
    }

    /// One draw.
    pub fn draw(&self, rng: &mut Rng) -> u64 {
        let PoissonParams { lam, l, loglam, b, a, log_invalpha, vr } = *self;
        if lam <= 0.0 {
            return 0;
        }
        if lam < 10.0 {
            let mut k = 0u64;
            let mut p = 1.0f64;
            loop {
                p *= f64::from(rng.uniform());
                if p <= l {
                    return k;
                }
                k += 1;
            }
        }
        loop {
            let u = f64::from(rng.uniform()) - 0.5;
            let v = f64::from(rng.uniform()).max(f64::MIN_POSITIVE);
            let us = 0.5 - u.abs();
            let k = ((2.0 * a / us + b) * u + lam + 0.43).floor();
            if us >= 0.07 && v <= vr {
                return k as u64;
            }
            if k < 0.0 || (us < 0.013 && v > us) {
                continue;
            }
            if v.ln() + log_invalpha - (a / (us * us) + b).ln() <= -lam + k * loglam - ln_factorial(k) {
                return k as u64;
            }
        }
    }
}

/// `ln(k!)` for integer `k >= 0`: exact sum below 20, Stirling's series (error < 1e-10) above.
pub fn ln_factorial(k: f64) -> f64 {
    if k < 20.0 {
        // The sums, computed once (the same values: the same additions in the same order).
        static SMALL: std::sync::OnceLock<[f64; 20]> = std::sync::OnceLock::new();
        let t = SMALL.get_or_init(|| std::array::from_fn(|j| (2..=j as u64).map(|i| (i as f64).ln()).sum()));
        return t[(k.max(0.0)) as usize];
    }
    let n = k + 1.0;
    (n - 0.5) * n.ln() - n + 0.5 * (2.0 * std::f64::consts::PI).ln() + 1.0 / (12.0 * n) - 1.0 / (360.0 * n * n * n)
}
