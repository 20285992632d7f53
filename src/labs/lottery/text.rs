//! Language setting (Yu et al. sec. 4): a character-level LSTM language model on the shipped English text
//! (`www/data/moby-dick-200k.txt.gz`), pruned by IMP, with or without its embedding table.
//!
//! Legend: V characters in the vocabulary, E embedding width, H hidden width, T steps per sequence, B sequences.
//! Model: `x_t = Emb[c_t]` (E), one LSTM layer ([`crate::nn::lstm`], H), logits `h_t W_out^T + b_out` (V), softmax
//! cross-entropy against the next character. Parameters, in order: `emb` V x E, `w_ih` 4H x E, `w_hh` 4H x H,
//! `bias` 4H, `w_out` V x H, `b_out` V. Prunable: `emb` (role Embedding), `w_ih`, `w_hh` (Hidden), `w_out` (Output).
//! Initialisation as PyTorch's defaults: `emb` ~ N(0, 1), the LSTM and output layer uniform in +-1/sqrt(H).
//!
//! Data: the first 180,000 characters train, the last 20,000 validate. A training minibatch is B windows of T+1
//! characters at seeded random offsets; every sequence starts from a zero state (no state carried across
//! minibatches). Validation cuts the 20,000 characters into windows of T+1 and reports the mean cross-entropy in
//! bits per character (each window also starting from a zero state, so the first characters of a window are harder
//! than in a stateful evaluation).

use super::{mix, Eval, Role, Task};
use crate::error::{Error, Result};
use crate::nn::flat::{linear_backward, linear_forward, softmax_cross_entropy};
use crate::nn::flat::{lstm_backward, lstm_forward};
use crate::nn::lstm::LstmDims;
use crate::nn::Rng;

/// Sizes of the language model and its minibatches.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LmConfig {
    /// Embedding width E.
    pub e: usize,
    /// Hidden width H.
    pub h: usize,
    /// Sequences per minibatch B.
    pub batch: usize,
    /// Steps per sequence T.
    pub seq: usize,
    /// Characters used for training (the rest validate).
    pub train_chars: usize,
}

impl Default for LmConfig {
    fn default() -> Self {
        LmConfig { e: 32, h: 64, batch: 16, seq: 64, train_chars: 180_000 }
    }
}

/// Upper bound on the unpacked text accepted by [`TextTask::from_gz`].
pub const MAX_TEXT: usize = 4 << 20;

/// The character LSTM and its text, as an IMP [`Task`]. The metric is validation bits per character (lower is
/// better; it is also the selection loss).
#[derive(Clone)]
pub struct TextTask {
    /// The parameters, in the order of the module docs.
    pub p: Vec<Vec<f32>>,
    /// The characters of the vocabulary, sorted; a token is an index into it.
    pub vocab: Vec<u8>,
    pub cfg: LmConfig,
    train: Vec<u8>,
    val: Vec<u8>,
    data_seed: u64,
}

impl TextTask {
    /// The task on gzipped ASCII text (the shipped file).
    ///
    /// # Errors
    /// [`Error::Format`] for bytes that are not gzip, or text shorter than the training part plus two windows.
    pub fn from_gz(gz: &[u8], cfg: LmConfig, data_seed: u64) -> Result<Self> {
        let text = crate::io::gunzip(gz, MAX_TEXT)?;
        Self::from_text(&text, cfg, data_seed)
    }

    /// The task on raw text bytes.
    ///
    /// # Errors
    /// [`Error::Format`] when the text is too short for the split.
    pub fn from_text(text: &[u8], cfg: LmConfig, data_seed: u64) -> Result<Self> {
        if cfg.e == 0 || cfg.h == 0 || cfg.batch == 0 || cfg.seq == 0 {
            return Err(Error::range("language model sizes", format!("{cfg:?} must all be positive")));
        }
        if text.len() < cfg.train_chars + 2 * (cfg.seq + 1) || cfg.train_chars < cfg.seq + 2 {
            return Err(Error::format("text", format!("{} characters is too short for {} training characters and validation", text.len(), cfg.train_chars)));
        }
        let mut vocab: Vec<u8> = text.to_vec();
        vocab.sort_unstable();
        vocab.dedup();
        let mut index = [0u8; 256];
        for (i, &c) in vocab.iter().enumerate() {
            index[c as usize] = i as u8;
        }
        let tokens: Vec<u8> = text.iter().map(|&c| index[c as usize]).collect();
        let mut t = TextTask {
            p: Vec::new(),
            vocab,
            train: tokens[..cfg.train_chars].to_vec(),
            val: tokens[cfg.train_chars..].to_vec(),
            cfg,
            data_seed,
        };
        t.p = t.init_params(0);
        Ok(t)
    }

    /// Vocabulary size V.
    pub fn v(&self) -> usize {
        self.vocab.len()
    }

    /// Sets the seed of the minibatch offsets.
    pub fn set_data_seed(&mut self, seed: u64) {
        self.data_seed = seed;
    }

    /// Mean cross-entropy (nats) of predicting `tgt` from `inp` (both T*B tokens, time-major), and, when `grad`,
    /// the gradient of every parameter.
    ///
    /// # Errors
    /// [`Error::Shape`] on inconsistent sizes.
    pub fn loss(&self, inp: &[u8], tgt: &[u8], b: usize, grad: bool) -> Result<(f32, Option<Vec<Vec<f32>>>)> {
        let (e, h, v) = (self.cfg.e, self.cfg.h, self.v());
        let tb = inp.len();
        if tb % b != 0 || tgt.len() != tb {
            return Err(Error::shape("TextTask::loss", format!("{tb} inputs and {} targets in batches of {b}", tgt.len())));
        }
        let d = LstmDims { t: tb / b, b, e, h };
        let mut x = Vec::with_capacity(tb * e);
        for &c in inp {
            x.extend_from_slice(&self.p[0][c as usize * e..(c as usize + 1) * e]);
        }
        let (hs, cache) = lstm_forward(&x, &self.p[1], &self.p[2], &self.p[3], d)?;
        let z = linear_forward(&hs, &self.p[4], &self.p[5], tb, h, v)?;
        let (l, dz) = softmax_cross_entropy(&z, tgt, v)?;
        if !grad {
            return Ok((l, None));
        }
        let mut g: Vec<Vec<f32>> = self.p.iter().map(|t| vec![0.0; t.len()]).collect();
        let (g0, rest) = g.split_at_mut(1);
        let (g12, rest) = rest.split_at_mut(2);
        let (g3, g45) = rest.split_at_mut(1);
        let (g4, g5) = g45.split_at_mut(1);
        let dhs = linear_backward(&dz, &hs, &self.p[4], &mut g4[0], &mut g5[0], tb, h, v, true)?;
        let (gih, ghh) = g12.split_at_mut(1);
        let dx = lstm_backward(&dhs, &cache, &self.p[1], &self.p[2], &mut gih[0], &mut ghh[0], &mut g3[0])?;
        for (r, &c) in inp.iter().enumerate() {
            let row = &mut g0[0][c as usize * e..(c as usize + 1) * e];
            for (a, b) in row.iter_mut().zip(&dx[r * e..(r + 1) * e]) {
                *a += b;
            }
        }
        Ok((l, Some(g)))
    }

    /// Time-major inputs and targets of windows of T+1 tokens starting at `starts` in `src`.
    fn windows(&self, src: &[u8], starts: &[usize]) -> (Vec<u8>, Vec<u8>) {
        let (t, b) = (self.cfg.seq, starts.len());
        let mut inp = vec![0u8; t * b];
        let mut tgt = vec![0u8; t * b];
        for (bi, &s) in starts.iter().enumerate() {
            for k in 0..t {
                inp[k * b + bi] = src[s + k];
                tgt[k * b + bi] = src[s + k + 1];
            }
        }
        (inp, tgt)
    }

    /// Validation bits per character of the current parameters.
    ///
    /// # Errors
    /// As [`TextTask::loss`].
    pub fn val_bpc(&self) -> Result<f64> {
        let t = self.cfg.seq;
        let n = (self.val.len() - 1) / t;
        let starts: Vec<usize> = (0..n).map(|i| i * t).collect();
        let (inp, tgt) = self.windows(&self.val, &starts);
        let (l, _) = self.loss(&inp, &tgt, n, false)?;
        Ok(l as f64 / std::f64::consts::LN_2)
    }
}

impl Task for TextTask {
    fn params(&self) -> Vec<&[f32]> {
        self.p.iter().map(Vec::as_slice).collect()
    }
    fn params_mut(&mut self) -> Vec<&mut [f32]> {
        self.p.iter_mut().map(Vec::as_mut_slice).collect()
    }
    fn prunable(&self) -> Vec<(usize, Role)> {
        vec![(0, Role::Embedding), (1, Role::Hidden), (2, Role::Hidden), (4, Role::Output)]
    }
    fn init_params(&self, seed: u64) -> Vec<Vec<f32>> {
        let (e, h, v) = (self.cfg.e, self.cfg.h, self.v());
        let mut rng = Rng::new(seed);
        let k = 1.0 / (h as f32).sqrt();
        let u = |n: usize, rng: &mut Rng| -> Vec<f32> { (0..n).map(|_| rng.uniform_in(-k, k)).collect() };
        let emb: Vec<f32> = (0..v * e).map(|_| rng.normal()).collect();
        let w_ih = u(4 * h * e, &mut rng);
        let w_hh = u(4 * h * h, &mut rng);
        let bias = u(4 * h, &mut rng);
        let w_out = u(v * h, &mut rng);
        let b_out = u(v, &mut rng);
        vec![emb, w_ih, w_hh, bias, w_out, b_out]
    }
    fn loss_grad(&mut self, it: usize) -> Result<(f32, Vec<Vec<f32>>)> {
        let mut rng = Rng::new(mix(self.data_seed, 11, it as u64));
        let hi = self.train.len() - self.cfg.seq - 1;
        let starts: Vec<usize> = (0..self.cfg.batch).map(|_| rng.below(hi + 1)).collect();
        let (inp, tgt) = self.windows(&self.train, &starts);
        let (l, g) = self.loss(&inp, &tgt, self.cfg.batch, true)?;
        Ok((l, g.unwrap()))
    }
    fn evaluate(&mut self) -> Result<Eval> {
        let bpc = self.val_bpc()?;
        Ok(Eval { select: bpc, metric: bpc })
    }
}
