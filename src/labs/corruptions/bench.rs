//! The robustness benchmark on digits (MNIST-C style): the shipped test digits corrupted on the fly (CIFAR-10-C
//! tables, 28x28 grayscale, seeded per digit), Corruption Errors and flip probabilities for several models,
//! normalised by a baseline model (paper sec. 4).
//!
//! With `E^f_{s,c}` the top-1 error of model `f` on corruption `c` at severity `s`, and `E^f_clean` its clean error:
//! - Corruption Error `CE^f_c = (sum_{s=1..5} E^f_{s,c}) / (sum_{s=1..5} E^base_{s,c})`; mCE = mean over the 15
//!   corruptions;
//! - relative CE `(sum_s E^f_{s,c} - E^f_clean) / (sum_s E^base_{s,c} - E^base_clean)`; relative mCE its mean.
//!
//! The paper normalises by AlexNet on ImageNet; here the baseline is a model we ship (the verify lab's naturally
//! trained MLP by default), so its own mCE is 100% by construction.
//!
//! Flip probabilities use [`super::perturb`] sequences (CIFAR-P settings) on the first `n_flip` digits; mFR divides
//! each by the baseline's.
//!
//! The work is split into cells (one corruption x severity, or one perturbation) so a page can step, show progress
//! and cancel; each cell is independent and seeded, so the order (or threads) never changes a number.

use serde::Serialize;

use super::perturb::{flip_probability, sequence, Perturbation};
use super::{corrupt, Corruption, FrostPictures, Image, Tables};
use crate::error::{Error, Result};
use crate::nn::mlp::Mlp;
use crate::nn::Rng;

/// Digit side and pixels.
const SIDE: usize = 28;
const PIXELS: usize = SIDE * SIDE;

/// The seed of digit `i` under corruption (or perturbation) index `k` and severity `s`: distinct streams for every
/// cell and digit, so a cell can be recomputed alone.
pub fn digit_seed(seed: u64, k: usize, s: usize, i: usize) -> u64 {
    seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ ((k as u64) << 48) ^ ((s as u64) << 40) ^ i as u64
}

/// Corrupts digits `0..n` of `images` (`n * 784` bytes) with `c` at severity `s` (CIFAR tables, grayscale).
/// Returns `n * 784` values in [0, 1] (the models' input scale).
///
/// # Errors
/// [`Error::Shape`] on a wrong length; errors of [`corrupt`].
pub fn corrupt_digits(images: &[u8], n: usize, c: Corruption, s: usize, seed: u64, frost: Option<&FrostPictures>) -> Result<Vec<f32>> {
    if images.len() < n * PIXELS {
        return Err(Error::shape("corrupt_digits", format!("{n} digits need {} bytes, got {}", n * PIXELS, images.len())));
    }
    let ci = Corruption::ALL.iter().position(|&x| x == c).unwrap_or(0);
    let parts = crate::par::map_range(n, |i| -> Result<Vec<f32>> {
        let img = Image::from_u8(SIDE, SIDE, 1, &images[i * PIXELS..(i + 1) * PIXELS])?;
        let mut rng = Rng::new(digit_seed(seed, ci, s, i));
        let out = corrupt(&img, c, s, Tables::Cifar, &mut rng, frost)?;
        Ok(out.data.iter().map(|v| v / 255.0).collect())
    });
    let mut x = Vec::with_capacity(n * PIXELS);
    for p in parts {
        x.extend(p?);
    }
    Ok(x)
}

/// A digit classifier of the benchmark: any of the project's shipped digit models, each called through its own
/// lab's forward pass. All take 28x28 digits as 784 values in [0, 1] (row-major) and give 10 logits.
#[derive(Clone, Debug)]
pub enum DigitModel {
    /// An MLP (the verify lab's natural and CROWN-IBP nets, the lottery ticket): [`Mlp::logits`].
    Mlp(Mlp),
    /// A BagNet-q or the baseline CNN of the bagnet lab: [`crate::labs::bagnet::Model::logits`].
    BagNet(Box<crate::labs::bagnet::Model>),
    /// A CNN of the blindspot lab (natural or PGD-trained): [`crate::labs::blindspot::cnn::Cnn::logits`].
    Cnn(Box<crate::labs::blindspot::cnn::Cnn>),
}

impl From<Mlp> for DigitModel {
    fn from(m: Mlp) -> Self {
        DigitModel::Mlp(m)
    }
}

impl DigitModel {
    /// Which loader reads a file: `"mlp"`, `"bagnet"` (the bagnet lab's files, BagNet or CNN) or `"cnn"` (the
    /// blindspot lab's CNNs).
    pub const KINDS: [&'static str; 3] = ["mlp", "bagnet", "cnn"];

    /// Loads a safetensors file of `kind` (see [`Self::KINDS`]).
    ///
    /// # Errors
    /// [`Error::Range`] for an unknown kind; the loader's error for a file that is not of that kind; [`Error::Shape`]
    /// if the model does not take 784 inputs or give 10 classes.
    pub fn from_safetensors(kind: &str, bytes: &[u8]) -> Result<Self> {
        let m = match kind {
            "mlp" => DigitModel::Mlp(Mlp::from_safetensors(bytes)?.0),
            "bagnet" => DigitModel::BagNet(Box::new(crate::labs::bagnet::Model::from_safetensors(bytes)?.0)),
            "cnn" => DigitModel::Cnn(Box::new(crate::labs::blindspot::cnn::Cnn::from_safetensors(bytes)?.0)),
            _ => return Err(Error::range("model kind", format!("'{kind}' is not one of {}", Self::KINDS.join(", ")))),
        };
        if m.inputs() != PIXELS || m.classes() != 10 {
            return Err(Error::shape("digit model", format!("takes {} inputs and gives {} classes; the benchmark needs {PIXELS} and 10", m.inputs(), m.classes())));
        }
        Ok(m)
    }

    /// Inputs per example (784 for the convolutional models, which read 28x28 digits).
    pub fn inputs(&self) -> usize {
        match self {
            DigitModel::Mlp(m) => m.inputs(),
            DigitModel::BagNet(_) | DigitModel::Cnn(_) => PIXELS,
        }
    }

    /// Number of classes.
    pub fn classes(&self) -> usize {
        match self {
            DigitModel::Mlp(m) => m.classes(),
            DigitModel::BagNet(m) => m.classes(),
            DigitModel::Cnn(_) => 10,
        }
    }

    /// Logits (B x classes) of B digits (`x` B x 784, values in [0, 1]).
    ///
    /// # Errors
    /// [`Error::Shape`] from the model's forward pass.
    pub fn logits(&self, x: ndarray::ArrayView2<f32>) -> Result<ndarray::Array2<f32>> {
        match self {
            DigitModel::Mlp(m) => m.logits(x),
            // The bagnet lab's models take images B x 1 x H x W: the same buffer, reshaped.
            DigitModel::BagNet(m) => m.logits(crate::nd::standard(x).view().into_shape_with_order((x.nrows(), 1, SIDE, SIDE))?),
            DigitModel::Cnn(m) => m.logits(x),
        }
    }

    /// Digits per forward call: 500 for an MLP, 100 for the convolutional models (their activations are larger).
    fn chunk(&self) -> usize {
        match self {
            DigitModel::Mlp(_) => 500,
            _ => 100,
        }
    }
}

/// Predicted classes (argmax of the logits, first maximum on ties) for `n` inputs of 784 values.
///
/// # Errors
/// [`Error::Shape`] from the model.
pub fn predict(m: &DigitModel, x: &[f32], n: usize) -> Result<Vec<usize>> {
    let mut preds = Vec::with_capacity(n);
    for start in (0..n).step_by(m.chunk()) {
        let b = (n - start).min(m.chunk());
        let logits = m.logits(crate::nd::view("digits", &x[start * PIXELS..(start + b) * PIXELS], (b, PIXELS))?)?;
        let k = m.classes();
        for row in logits.rows() {
            let mut best = 0;
            for j in 1..k {
                if row[j] > row[best] {
                    best = j;
                }
            }
            preds.push(best);
        }
    }
    Ok(preds)
}

/// Top-1 error (fraction in [0, 1]) of `m` on `n` inputs.
///
/// # Errors
/// As [`predict`].
pub fn error_rate(m: &DigitModel, x: &[f32], labels: &[u8], n: usize) -> Result<f64> {
    let p = predict(m, x, n)?;
    Ok(p.iter().zip(labels).filter(|(a, &b)| **a != usize::from(b)).count() as f64 / n as f64)
}

/// CE and relative CE of one corruption: `(sum_s e_f[s] / sum_s e_b[s], (sum_s (e_f[s] - clean_f)) / (sum_s (e_b[s] -
/// clean_b)))`; `None` where a denominator is zero.
pub fn corruption_error(e_f: &[f64; 5], clean_f: f64, e_b: &[f64; 5], clean_b: f64) -> (Option<f64>, Option<f64>) {
    let (sf, sb): (f64, f64) = (e_f.iter().sum(), e_b.iter().sum());
    let (rf, rb) = (sf - 5.0 * clean_f, sb - 5.0 * clean_b);
    (if sb > 0.0 { Some(sf / sb) } else { None }, if rb != 0.0 { Some(rf / rb) } else { None })
}

/// Mean of the values, `None` if any is `None` or there are none.
fn mean_all(v: &[Option<f64>]) -> Option<f64> {
    if v.is_empty() || v.iter().any(Option::is_none) {
        return None;
    }
    Some(v.iter().flatten().sum::<f64>() / v.len() as f64)
}

/// `v` with every NaN (a cell not run yet) written as null, by any serializer: serde_json does so already, a
/// JS-object serializer would otherwise give NaN.
fn nan_as_null<S: serde::Serializer>(v: &[f64], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(|x| if x.is_nan() { None } else { Some(*x) }))
}

/// [`nan_as_null`] for each row of five severities.
fn rows_nan_as_null<S: serde::Serializer>(v: &[[f64; 5]], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(|row| row.map(|x| if x.is_nan() { None } else { Some(x) })))
}

/// One model's results (serialised with null, not NaN, for a cell not run yet).
#[derive(Clone, Debug, Serialize)]
pub struct ModelReport {
    /// Model name.
    pub name: String,
    /// Clean top-1 error (fraction).
    pub clean: f64,
    /// `errors[c][s-1]`: error on corruption `c` (in [`Corruption::common`] order) at severity `s`; NaN if not run yet.
    #[serde(serialize_with = "rows_nan_as_null")]
    pub errors: Vec<[f64; 5]>,
    /// CE per corruption (fraction; 1.0 = the baseline's).
    pub ce: Vec<Option<f64>>,
    /// Relative CE per corruption.
    pub rel_ce: Vec<Option<f64>>,
    /// mCE over the 15 corruptions.
    pub mce: Option<f64>,
    /// Relative mCE.
    pub rel_mce: Option<f64>,
    /// Flip probability per perturbation (in [`Perturbation::ALL`] order); NaN if not run yet.
    #[serde(serialize_with = "nan_as_null")]
    pub fp: Vec<f64>,
    /// Flip rate per perturbation (FP / baseline FP).
    pub fr: Vec<Option<f64>>,
    /// mFR.
    pub mfr: Option<f64>,
}

/// What one [`Benchmark::step`] did.
#[derive(Clone, Debug, Serialize)]
pub struct Cell {
    /// Cell index (0-based) and total.
    pub index: usize,
    /// Total cells.
    pub total: usize,
    /// Corruption or perturbation name.
    pub name: String,
    /// Severity (0 for a perturbation cell).
    pub severity: usize,
    /// Error (corruption cell) or flip probability (perturbation cell), per model.
    pub values: Vec<f64>,
}

/// The benchmark: models, digits, and the results so far.
#[derive(Clone, Debug)]
pub struct Benchmark {
    images: Vec<u8>,
    labels: Vec<u8>,
    n: usize,
    n_flip: usize,
    seed: u64,
    models: Vec<(String, DigitModel)>,
    baseline: usize,
    frost: Option<FrostPictures>,
    clean: Vec<f64>,
    errors: Vec<Vec<[f64; 5]>>,
    fp: Vec<Vec<f64>>,
    next: usize,
}

impl Benchmark {
    /// A benchmark of `models` (name, network taking 784 inputs in [0, 1]: a [`DigitModel`] or an [`Mlp`]) on the
    /// first `n` of `images`/`labels`,
    /// flip rates on the first `n_flip`, normalised by `models[baseline]`. Computes the clean errors.
    ///
    /// # Errors
    /// [`Error::Shape`] or [`Error::Range`] on inconsistent inputs.
    pub fn new<M: Into<DigitModel>>(images: &[u8], labels: &[u8], n: usize, n_flip: usize, seed: u64, models: Vec<(String, M)>, baseline: usize, frost: Option<FrostPictures>) -> Result<Self> {
        let models: Vec<(String, DigitModel)> = models.into_iter().map(|(name, m)| (name, m.into())).collect();
        if n == 0 || images.len() < n * PIXELS || labels.len() < n {
            return Err(Error::shape("benchmark", format!("{n} digits need {} bytes and {n} labels", n * PIXELS)));
        }
        if models.is_empty() || baseline >= models.len() {
            return Err(Error::range("baseline", format!("{baseline} with {} models", models.len())));
        }
        if let Some((name, m)) = models.iter().find(|(_, m)| m.inputs() != PIXELS) {
            return Err(Error::shape("benchmark", format!("model {name} takes {} inputs, digits have {PIXELS}", m.inputs())));
        }
        let x: Vec<f32> = images[..n * PIXELS].iter().map(|&b| f32::from(b) / 255.0).collect();
        let clean = models.iter().map(|(_, m)| error_rate(m, &x, labels, n)).collect::<Result<Vec<_>>>()?;
        let k = models.len();
        Ok(Benchmark {
            images: images[..n * PIXELS].to_vec(),
            labels: labels[..n].to_vec(),
            n,
            n_flip: n_flip.min(n),
            seed,
            models,
            baseline,
            frost,
            clean,
            errors: vec![vec![[f64::NAN; 5]; 15]; k],
            fp: vec![vec![f64::NAN; 10]; k],
            next: 0,
        })
    }

    /// Total cells: 15 corruptions x 5 severities, then 10 perturbations (if `n_flip > 0`).
    pub fn total(&self) -> usize {
        75 + if self.n_flip > 0 { 10 } else { 0 }
    }

    /// Cells done so far.
    pub fn done(&self) -> usize {
        self.next
    }

    /// Runs the next cell; `None` when all are done.
    ///
    /// # Errors
    /// Errors of the corruptions or models (e.g. frost without pictures).
    pub fn step(&mut self) -> Result<Option<Cell>> {
        if self.next >= self.total() {
            return Ok(None);
        }
        let i = self.next;
        let cell = if i < 75 {
            let (ci, s) = (i / 5, i % 5 + 1);
            let c = Corruption::common()[ci];
            let x = corrupt_digits(&self.images, self.n, c, s, self.seed, self.frost.as_ref())?;
            let mut values = Vec::new();
            for (k, (_, m)) in self.models.iter().enumerate() {
                let e = error_rate(m, &x, &self.labels, self.n)?;
                self.errors[k][ci][s - 1] = e;
                values.push(e);
            }
            Cell { index: i, total: self.total(), name: c.name().into(), severity: s, values }
        } else {
            let pi = i - 75;
            let p = Perturbation::ALL[pi];
            let values = self.flip_cell(pi)?;
            for (k, v) in values.iter().enumerate() {
                self.fp[k][pi] = *v;
            }
            Cell { index: i, total: self.total(), name: p.name().into(), severity: 0, values }
        };
        self.next += 1;
        Ok(Some(cell))
    }

    /// Flip probability of every model on perturbation `pi` over the first `n_flip` digits.
    fn flip_cell(&self, pi: usize) -> Result<Vec<f64>> {
        let p = Perturbation::ALL[pi];
        let seqs = crate::par::map_range(self.n_flip, |i| -> Result<Vec<f32>> {
            let img = Image::from_u8(SIDE, SIDE, 1, &self.images[i * PIXELS..(i + 1) * PIXELS])?;
            let mut rng = Rng::new(digit_seed(self.seed, 100 + pi, 0, i));
            Ok(sequence(&img, p, Tables::Cifar, &mut rng)?.iter().flat_map(|f| f.data.iter().map(|v| v / 255.0).collect::<Vec<_>>()).collect())
        });
        let frames = p.frames(Tables::Cifar);
        let seqs = seqs.into_iter().collect::<Result<Vec<_>>>()?;
        let mut out = Vec::new();
        for (_, m) in &self.models {
            let preds = seqs.iter().map(|x| predict(m, x, frames)).collect::<Result<Vec<_>>>()?;
            out.push(flip_probability(&preds, p.is_noise())?);
        }
        Ok(out)
    }

    /// The results so far, one report per model (CE, mCE, FR, mFR are `None` until their cells are done).
    pub fn report(&self) -> Vec<ModelReport> {
        let b = self.baseline;
        self.models
            .iter()
            .enumerate()
            .map(|(k, (name, _))| {
                let (ce, rel_ce): (Vec<_>, Vec<_>) = (0..15)
                    .map(|c| {
                        if self.errors[k][c].iter().chain(&self.errors[b][c]).any(|v| v.is_nan()) {
                            (None, None)
                        } else {
                            corruption_error(&self.errors[k][c], self.clean[k], &self.errors[b][c], self.clean[b])
                        }
                    })
                    .unzip();
                let fp = self.fp[k].clone();
                let (fr, mfr) = if fp.iter().chain(&self.fp[b]).any(|v| v.is_nan()) {
                    (vec![None; 10], None)
                } else {
                    super::perturb::mean_flip_rate(&fp, &self.fp[b])
                };
                ModelReport { name: name.clone(), clean: self.clean[k], errors: self.errors[k].clone(), mce: mean_all(&ce), rel_mce: mean_all(&rel_ce), ce, rel_ce, fp, fr, mfr }
            })
            .collect()
    }
}
