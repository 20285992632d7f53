//! Sampling a class from logits at a temperature: p_i ∝ exp(z_i / T), with some classes banned (p = 0). Shared by
//! every lab that generates text (compressive, onlstm). Logits K → one index in 0..K.

use ndarray::{Array1, ArrayView1};

use crate::error::{Error, Result};
use crate::nn::Rng;

/// The sampling probabilities softmax(z / T) with `banned` classes set to 0 (shape K → K, sums to 1).
///
/// # Errors
/// [`Error::Range`] if `temperature` is not positive and finite, `logits` is empty, a banned index is out of range,
/// or every class is banned or has probability 0 (non-finite logits included).
pub fn probabilities(logits: ArrayView1<f32>, temperature: f32, banned: &[usize]) -> Result<Array1<f32>> {
    if !(temperature > 0.0 && temperature.is_finite()) {
        return Err(Error::range("temperature", format!("{temperature} must be positive and finite")));
    }
    if logits.is_empty() {
        return Err(Error::range("logits", "no classes to sample from"));
    }
    if let Some(&b) = banned.iter().find(|&&b| b >= logits.len()) {
        return Err(Error::range("banned class", format!("{b} is not below {}", logits.len())));
    }
    let mx = logits.iter().enumerate().filter(|(i, _)| !banned.contains(i)).map(|(_, &x)| x).fold(f32::NEG_INFINITY, f32::max);
    let mut p: Array1<f32> = logits.mapv(|x| ((x - mx) / temperature).exp());
    for &b in banned {
        p[b] = 0.0;
    }
    let s: f32 = p.iter().sum();
    if !(s > 0.0 && s.is_finite()) {
        return Err(Error::range("logits", "no class has a finite, positive probability"));
    }
    p.iter_mut().for_each(|x| *x /= s);
    Ok(p)
}

/// One class drawn from [`probabilities`] with `rng` (one uniform draw, inverse CDF).
///
/// # Errors
/// As [`probabilities`].
pub fn sample_logits(logits: ArrayView1<f32>, temperature: f32, banned: &[usize], rng: &mut Rng) -> Result<usize> {
    let p = probabilities(logits, temperature, banned)?;
    let mut u = rng.uniform();
    let mut last = 0;
    for (i, &pi) in p.iter().enumerate() {
        if pi > 0.0 {
            last = i;
            if u < pi {
                return Ok(i);
            }
            u -= pi;
        }
    }
    Ok(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::aview1;

    #[test]
    fn frequencies_match_the_softmax_at_the_temperature() {
        let z = [1.0f32, 0.0, -1.0, 2.0];
        for t in [0.5f32, 1.0, 2.0] {
            let mut rng = Rng::new(3);
            let n = 200_000;
            let mut counts = [0usize; 4];
            for _ in 0..n {
                counts[sample_logits(aview1(&z), t, &[2], &mut rng).unwrap()] += 1;
            }
            assert_eq!(counts[2], 0, "a banned class is never drawn");
            let e: Vec<f64> = z.iter().map(|&x| (f64::from(x) / f64::from(t)).exp()).collect();
            let s = e[0] + e[1] + e[3];
            for i in [0, 1, 3] {
                let want = e[i] / s;
                let got = counts[i] as f64 / n as f64;
                let se = (want * (1.0 - want) / n as f64).sqrt();
                assert!((got - want).abs() < 5.0 * se, "T = {t}, class {i}: {got} vs {want}");
            }
        }
    }

    #[test]
    fn bad_input_is_an_error() {
        let mut rng = Rng::new(1);
        assert!(sample_logits(aview1(&[1.0]), 0.0, &[], &mut rng).is_err());
        assert!(sample_logits(aview1(&[1.0]), f32::NAN, &[], &mut rng).is_err());
        assert!(sample_logits(aview1(&[]), 1.0, &[], &mut rng).is_err());
        assert!(sample_logits(aview1(&[1.0, 2.0]), 1.0, &[0, 1], &mut rng).is_err());
        assert!(sample_logits(aview1(&[1.0, 2.0]), 1.0, &[5], &mut rng).is_err());
        assert!(sample_logits(aview1(&[f32::NAN, 1.0]), 1.0, &[], &mut rng).is_err());
        assert_eq!(sample_logits(aview1(&[f32::NEG_INFINITY, 0.0]), 1.0, &[], &mut rng).unwrap(), 1);
    }
}
