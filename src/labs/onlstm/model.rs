//! The word-level language model of the lab: embedding, L stacked recurrent layers (ON-LSTM or the plain LSTM
//! baseline of the same sizes), and a softmax over the vocabulary; training, perplexity, distances, parse F1 and
//! sampling.
//!
//! Legend: V vocabulary, E embedding width, H hidden width, L layers, C chunk size, D = H / C, T steps, B sentences.
//! Parameters, in order: `emb` V x E; per layer `w_ih` G x I, `w_hh` G x H, `bias` G (I = E for the first layer,
//! H after; G = 2D + 4H for ON-LSTM ([`super::cell`]), 4H for the LSTM ([`crate::nn::lstm`])); `w_out` V x H,
//! `b_out` V. Initialisation: everything uniform in +-1/sqrt(H), `emb` in +-0.1.
//!
//! A sentence `w_1 .. w_n` is read as the input `<eos> w_1 .. w_n` and predicts `w_1 .. w_n <eos>`, from a zero
//! state (section 6.2 evaluates sentence by sentence the same way). Minibatches hold sentences of one length, so no
//! padding is needed.

use std::collections::BTreeMap;

use super::cell::{onlstm_backward, onlstm_forward, OnCache, OnDims};
use super::grammar::{Sentence, EOS_ID, UNK_ID, VOCAB};
use super::parse::{mean_f1, parse_spans};
use crate::error::{Error, Result};
use crate::nn::flat::{linear_backward, linear_forward, softmax_cross_entropy};
use crate::nn::flat::{lstm_backward, lstm_forward};
use crate::nn::lstm::{LstmCache, LstmDims};
use crate::nn::{Adam, Rng};

/// Sizes of the model. `chunk = 0` means the plain LSTM baseline; otherwise the ON-LSTM chunk size C.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LmConfig {
    /// ON-LSTM chunk size C (must divide H), or 0 for the plain LSTM.
    pub chunk: usize,
    /// Embedding width E.
    pub e: usize,
    /// Hidden width H of every layer.
    pub h: usize,
    /// Stacked layers L.
    pub layers: usize,
    /// Vocabulary V.
    pub v: usize,
}

impl LmConfig {
    /// The lab's shipped sizes (E = H = 64, L = 2) with chunk size `chunk` (0 = LSTM).
    pub fn lab(chunk: usize) -> Self {
        LmConfig { chunk, e: 64, h: 64, layers: 2, v: VOCAB.len() }
    }

    /// Checks the sizes.
    ///
    /// # Errors
    /// [`Error::Range`] for zero sizes, a chunk size that does not divide H, or more than 256 words.
    pub fn validate(&self) -> Result<()> {
        if self.e == 0 || self.h == 0 || self.layers == 0 || self.v < 2 || self.v > 256 {
            return Err(Error::range("model sizes", format!("{self:?}: E, H, L must be positive and 2 <= V <= 256")));
        }
        if self.chunk > 0 && self.h % self.chunk != 0 {
            return Err(Error::range("chunk size", format!("{} does not divide the hidden width {}; pick a divisor", self.chunk, self.h)));
        }
        Ok(())
    }

    fn gates(&self) -> usize {
        // chunk 0 is the LSTM: four gates; otherwise two master gates of D = H / C levels on top.
        match self.h.checked_div(self.chunk) {
            None => 4 * self.h,
            Some(d) => 2 * d + 4 * self.h,
        }
    }

    /// Shapes of the parameter tensors, in order.
    pub fn shapes(&self) -> Vec<(String, Vec<usize>)> {
        let g = self.gates();
        let mut s = vec![("emb".to_string(), vec![self.v, self.e])];
        for l in 0..self.layers {
            let inp = if l == 0 { self.e } else { self.h };
            s.push((format!("l{l}.w_ih"), vec![g, inp]));
            s.push((format!("l{l}.w_hh"), vec![g, self.h]));
            s.push((format!("l{l}.bias"), vec![g]));
        }
        s.push(("w_out".to_string(), vec![self.v, self.h]));
        s.push(("b_out".to_string(), vec![self.v]));
        s
    }

    /// A short name: `on-lstm C=8` or `lstm`.
    pub fn label(&self) -> String {
        if self.chunk == 0 {
            "LSTM".to_string()
        } else {
            format!("ON-LSTM, chunk size {}", self.chunk)
        }
    }
}

enum LayerCache {
    On(OnCache),
    Plain(LstmCache),
}

/// What [`Lm::forward`] returns besides the logits.
pub struct Forward {
    /// Logits, T*B x V.
    pub logits: Vec<f32>,
    caches: Vec<LayerCache>,
    top: Vec<f32>,
    t: usize,
    b: usize,
}

impl Forward {
    /// Syntactic distance of sequence `b` at step `t` in layer `l`: for ON-LSTM `d = D - sum_k f~_k` (section 6.2);
    /// for the LSTM baseline (no master gate) the analogous `H - sum_j f_j` of its forget gate, divided by C = 1
    /// (not a quantity of the paper; shown only for comparison).
    pub fn distance(&self, l: usize, t: usize, b: usize) -> f32 {
        match &self.caches[l] {
            LayerCache::On(c) => c.distance(t, b),
            LayerCache::Plain(c) => {
                let h = c.dims.h;
                let r = t * self.b + b;
                let f = &c.gates[r * 4 * h + h..r * 4 * h + 2 * h];
                h as f32 - f.iter().sum::<f32>()
            }
        }
    }

    /// The master forget gate f~ (D values) of sequence `b` at step `t` in layer `l`; for the LSTM its forget
    /// gate sorted in increasing order (H values), for comparison.
    pub fn master_forget(&self, l: usize, t: usize, b: usize) -> Vec<f32> {
        match &self.caches[l] {
            LayerCache::On(c) => c.master_forget(t, b).to_vec(),
            LayerCache::Plain(c) => {
                let h = c.dims.h;
                let r = t * self.b + b;
                let mut f = c.gates[r * 4 * h + h..r * 4 * h + 2 * h].to_vec();
                f.sort_by(f32::total_cmp);
                f
            }
        }
    }

    /// Steps T and batch B of this forward pass.
    pub fn dims(&self) -> (usize, usize) {
        (self.t, self.b)
    }
}

/// The language model: configuration and parameters.
#[derive(Clone, Debug)]
pub struct Lm {
    pub cfg: LmConfig,
    /// The parameter tensors, in the order of the module docs.
    pub p: Vec<Vec<f32>>,
}

impl Lm {
    /// A freshly initialised model.
    ///
    /// # Errors
    /// As [`LmConfig::validate`].
    pub fn new(cfg: LmConfig, seed: u64) -> Result<Self> {
        cfg.validate()?;
        let mut rng = Rng::new(seed);
        let k = 1.0 / (cfg.h as f32).sqrt();
        let p = cfg
            .shapes()
            .iter()
            .map(|(name, s)| {
                let n: usize = s.iter().product();
                let r = if name == "emb" { 0.1 } else { k };
                (0..n).map(|_| rng.uniform_in(-r, r)).collect()
            })
            .collect();
        Ok(Lm { cfg, p })
    }

    /// Number of parameters.
    pub fn n_params(&self) -> usize {
        self.p.iter().map(Vec::len).sum()
    }

    /// Forward of time-major tokens `inp` (T*B, ids below V) as B sequences from a zero state.
    ///
    /// # Errors
    /// [`Error::Shape`] when `inp.len()` is not a multiple of `b`; [`Error::Range`] for an id not below V.
    pub fn forward(&self, inp: &[u8], b: usize) -> Result<Forward> {
        let c = &self.cfg;
        if b == 0 || inp.len() % b != 0 || inp.is_empty() {
            return Err(Error::shape("Lm::forward", format!("{} tokens do not make {b} sequences", inp.len())));
        }
        if let Some(&bad) = inp.iter().find(|&&w| w as usize >= c.v) {
            return Err(Error::range("word id", format!("{bad} is not below the vocabulary size {}", c.v)));
        }
        let t = inp.len() / b;
        let mut x = Vec::with_capacity(inp.len() * c.e);
        for &w in inp {
            x.extend_from_slice(&self.p[0][w as usize * c.e..(w as usize + 1) * c.e]);
        }
        let mut caches = Vec::with_capacity(c.layers);
        for l in 0..c.layers {
            let inw = if l == 0 { c.e } else { c.h };
            let (wi, wh, bi) = (&self.p[1 + 3 * l], &self.p[2 + 3 * l], &self.p[3 + 3 * l]);
            let (hs, cache) = if c.chunk == 0 {
                let (hs, cc) = lstm_forward(&x, wi, wh, bi, LstmDims { t, b, e: inw, h: c.h })?;
                (hs, LayerCache::Plain(cc))
            } else {
                let (hs, cc) = onlstm_forward(&x, wi, wh, bi, OnDims { t, b, e: inw, h: c.h, chunk: c.chunk })?;
                (hs, LayerCache::On(cc))
            };
            caches.push(cache);
            x = hs;
        }
        let n = self.p.len();
        let logits = linear_forward(&x, &self.p[n - 2], &self.p[n - 1], t * b, c.h, c.v)?;
        Ok(Forward { logits, caches, top: x, t, b })
    }

    /// Mean cross-entropy (nats per predicted token) of `tgt` given `inp` (both T*B, time-major), and, when `grad`,
    /// the gradient of every parameter (same order as `p`).
    ///
    /// # Errors
    /// As [`Lm::forward`]; [`Error::Shape`] when `tgt` and `inp` differ in length.
    pub fn loss(&self, inp: &[u8], tgt: &[u8], b: usize, grad: bool) -> Result<(f32, Option<Vec<Vec<f32>>>)> {
        if tgt.len() != inp.len() {
            return Err(Error::shape("Lm::loss", format!("{} inputs and {} targets", inp.len(), tgt.len())));
        }
        let fw = self.forward(inp, b)?;
        let c = &self.cfg;
        let (l, dz) = softmax_cross_entropy(&fw.logits, tgt, c.v)?;
        if !grad {
            return Ok((l, None));
        }
        let tb = inp.len();
        let n = self.p.len();
        let mut g: Vec<Vec<f32>> = self.p.iter().map(|t| vec![0.0; t.len()]).collect();
        {
            let (head, tail) = g.split_at_mut(n - 1);
            let mut dh = linear_backward(&dz, &fw.top, &self.p[n - 2], &mut head[n - 2], &mut tail[0], tb, c.h, c.v, true)?;
            for l in (0..c.layers).rev() {
                let (wi, wh) = (&self.p[1 + 3 * l], &self.p[2 + 3 * l]);
                let (a, rest) = head[1 + 3 * l..].split_at_mut(1);
                let (bb, cc) = rest.split_at_mut(1);
                dh = match &fw.caches[l] {
                    LayerCache::On(cache) => onlstm_backward(&dh, cache, wi, wh, &mut a[0], &mut bb[0], &mut cc[0])?,
                    LayerCache::Plain(cache) => lstm_backward(&dh, cache, wi, wh, &mut a[0], &mut bb[0], &mut cc[0])?,
                };
            }
            for (r, &w) in inp.iter().enumerate() {
                let row = &mut head[0][w as usize * c.e..(w as usize + 1) * c.e];
                for (s, v) in row.iter_mut().zip(&dh[r * c.e..(r + 1) * c.e]) {
                    *s += v;
                }
            }
        }
        Ok((l, Some(g)))
    }

    /// Writes the model as safetensors bytes (tensors by the names of [`LmConfig::shapes`]; `config` in the
    /// metadata, plus `extra`).
    ///
    /// # Errors
    /// As [`crate::io::save_f32`].
    pub fn to_safetensors(&self, extra: &BTreeMap<String, String>) -> Result<Vec<u8>> {
        let shapes = self.cfg.shapes();
        let t: Vec<(&str, &[usize], &[f32])> = shapes.iter().zip(&self.p).map(|((n, s), d)| (n.as_str(), s.as_slice(), d.as_slice())).collect();
        let mut meta = extra.clone();
        meta.insert("config".to_string(), serde_json::to_string(&self.cfg).expect("config serialises"));
        meta.insert("vocab".to_string(), serde_json::to_string(&*VOCAB).expect("vocab serialises"));
        crate::io::save_f32(&t, &meta)
    }

    /// Reads a model written by [`Lm::to_safetensors`]; returns it and the metadata.
    ///
    /// # Errors
    /// [`Error::Format`] for bytes that are not safetensors; [`Error::Model`] for a missing or mis-shaped tensor, a
    /// missing config, or a vocabulary other than this build's.
    pub fn from_safetensors(bytes: &[u8]) -> Result<(Self, BTreeMap<String, String>)> {
        let st = crate::io::load(bytes)?;
        let meta = st.metadata().clone();
        let cfg: LmConfig = meta
            .get("config")
            .and_then(|c| serde_json::from_str(c).ok())
            .ok_or_else(|| Error::Model("the model file has no readable `config` metadata; is it an onlstm model?".into()))?;
        cfg.validate()?;
        if let Some(v) = meta.get("vocab") {
            let want = serde_json::to_string(&*VOCAB).expect("vocab serialises");
            if *v != want {
                return Err(Error::Model("the model was trained on another vocabulary; retrain it with `paperlab train onlstm`".into()));
            }
        }
        let mut p = Vec::new();
        for (name, shape) in cfg.shapes() {
            let t = st.f32(&name)?;
            if t.shape != shape {
                return Err(Error::Model(format!("tensor `{name}` has shape {:?}, expected {shape:?}", t.shape)));
            }
            p.push(t.data);
        }
        Ok((Lm { cfg, p }, meta))
    }
}

/// Input and target ids of equal-length sentences, time-major: input `<eos> w_1 .. w_n`, target `w_1 .. w_n <eos>`.
/// Panics if the sentences differ in length.
pub fn batch_tokens(sents: &[&[u8]]) -> (Vec<u8>, Vec<u8>) {
    let b = sents.len();
    let n = sents[0].len();
    let t = n + 1;
    let mut inp = vec![EOS_ID; t * b];
    let mut tgt = vec![EOS_ID; t * b];
    for (bi, s) in sents.iter().enumerate() {
        assert_eq!(s.len(), n, "batch_tokens: sentences of one length only");
        for k in 0..n {
            inp[(k + 1) * b + bi] = s[k];
            tgt[k * b + bi] = s[k];
        }
    }
    (inp, tgt)
}

/// Groups sentence indices by length (ascending lengths), each group in corpus order.
fn by_length(sents: &[Sentence]) -> Vec<Vec<usize>> {
    let mut m: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, s) in sents.iter().enumerate() {
        m.entry(s.words.len()).or_default().push(i);
    }
    m.into_values().collect()
}

/// Result of evaluating a model on a set of sentences.
#[derive(Clone, Debug, serde::Serialize)]
pub struct EvalResult {
    /// Perplexity per predicted token (words and the closing `<eos>`), `exp(mean NLL)`.
    pub ppl: f64,
    /// Sentence-averaged unlabelled F1 (fraction) of each layer's induced trees against the gold trees.
    pub f1_by_layer: Vec<f64>,
}

/// Perplexity and the parse F1 of every layer on `sents` (batched by length, at most 64 sentences per batch).
///
/// # Errors
/// As [`Lm::forward`].
pub fn evaluate(lm: &Lm, sents: &[Sentence]) -> Result<EvalResult> {
    let mut nll = 0.0f64;
    let mut count = 0usize;
    let mut preds: Vec<Vec<Vec<(usize, usize)>>> = vec![vec![Vec::new(); sents.len()]; lm.cfg.layers];
    for group in by_length(sents) {
        for chunk in group.chunks(64) {
            let words: Vec<&[u8]> = chunk.iter().map(|&i| sents[i].words.as_slice()).collect();
            let (inp, tgt) = batch_tokens(&words);
            let fw = lm.forward(&inp, chunk.len())?;
            let (l, _) = softmax_cross_entropy(&fw.logits, &tgt, lm.cfg.v)?;
            nll += l as f64 * tgt.len() as f64;
            count += tgt.len();
            let n = words[0].len();
            for (bi, &si) in chunk.iter().enumerate() {
                for (l, pl) in preds.iter_mut().enumerate() {
                    let d: Vec<f32> = (1..=n).map(|t| fw.distance(l, t, bi)).collect();
                    pl[si] = parse_spans(&d);
                }
            }
        }
    }
    let gold: Vec<Vec<(usize, usize)>> = sents.iter().map(|s| s.tree.spans()).collect();
    let f1_by_layer = preds
        .iter()
        .map(|pl| mean_f1(pl.iter().zip(&gold).zip(sents).map(|((p, g), s)| (p.as_slice(), g.as_slice(), s.words.len()))))
        .collect();
    Ok(EvalResult { ppl: (nll / count.max(1) as f64).exp(), f1_by_layer })
}

/// Settings of a training run.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainConfig {
    /// Adam steps.
    pub steps: usize,
    /// Sentences per minibatch (at most; a length group may have fewer).
    pub batch: usize,
    /// Adam step size.
    pub lr: f32,
    /// The step size is multiplied by 0.1 over the last `decay_frac` of the steps (linearly).
    pub decay_frac: f32,
    /// Global gradient-norm clip.
    pub clip: f32,
    /// Probability of replacing an input word by `<unk>` (targets are never replaced), so `<unk>` gets a trained
    /// embedding for words outside the vocabulary.
    pub unk_prob: f32,
    /// Seed of the initialisation and the minibatch order.
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig { steps: 6000, batch: 32, lr: 3e-3, decay_frac: 0.3, clip: 1.0, unk_prob: 0.02, seed: 1 }
    }
}

/// A training run advanced in steps (so a page can show progress and cancel).
pub struct Trainer {
    pub lm: Lm,
    pub tc: TrainConfig,
    adam: Adam,
    batches: Vec<Vec<usize>>,
    pos: usize,
    step: usize,
    tokens: usize,
    rng: Rng,
}

impl Trainer {
    /// A fresh model of `cfg` and its optimiser over the training sentences `train` (indices refer to it).
    ///
    /// # Errors
    /// As [`Lm::new`]; [`Error::Range`] for zero steps or batch.
    pub fn new(cfg: LmConfig, tc: TrainConfig, train: &[Sentence]) -> Result<Self> {
        if tc.batch == 0 || train.is_empty() {
            return Err(Error::range("training", "the batch and the training set must not be empty"));
        }
        let lm = Lm::new(cfg, tc.seed)?;
        let adam = Adam::new(tc.lr, &lm.p.iter().map(Vec::len).collect::<Vec<_>>());
        let rng = Rng::new(tc.seed ^ 0x5eed_0f0d);
        let mut t = Trainer { lm, tc, adam, batches: Vec::new(), pos: 0, step: 0, tokens: 0, rng };
        t.reshuffle(train);
        Ok(t)
    }

    fn reshuffle(&mut self, train: &[Sentence]) {
        let mut batches = Vec::new();
        for mut g in by_length(train) {
            self.rng.shuffle(&mut g);
            for c in g.chunks(self.tc.batch) {
                batches.push(c.to_vec());
            }
        }
        self.rng.shuffle(&mut batches);
        self.batches = batches;
        self.pos = 0;
    }

    /// Steps done so far.
    pub fn steps_done(&self) -> usize {
        self.step
    }

    /// Tokens predicted so far (words and closing `<eos>` over all minibatches).
    pub fn tokens_done(&self) -> usize {
        self.tokens
    }

    /// One Adam step on the next minibatch; returns its mean cross-entropy (nats per token).
    ///
    /// # Errors
    /// As [`Lm::loss`].
    pub fn step(&mut self, train: &[Sentence]) -> Result<f32> {
        if self.pos >= self.batches.len() {
            self.reshuffle(train);
        }
        let idx = &self.batches[self.pos];
        self.pos += 1;
        let words: Vec<&[u8]> = idx.iter().map(|&i| train[i].words.as_slice()).collect();
        let (mut inp, tgt) = batch_tokens(&words);
        for w in inp.iter_mut() {
            if *w != EOS_ID && self.rng.uniform() < self.tc.unk_prob {
                *w = UNK_ID;
            }
        }
        let (loss, g) = self.lm.loss(&inp, &tgt, idx.len(), true)?;
        self.tokens += tgt.len();
        let mut g = g.expect("gradients requested");
        let norm = g.iter().flatten().map(|v| (*v as f64) * (*v as f64)).sum::<f64>().sqrt() as f32;
        if norm > self.tc.clip {
            let s = self.tc.clip / norm;
            g.iter_mut().flatten().for_each(|v| *v *= s);
        }
        let frac = self.step as f32 / self.tc.steps.max(1) as f32;
        let start = 1.0 - self.tc.decay_frac;
        self.adam.lr = if frac > start && self.tc.decay_frac > 0.0 { self.tc.lr * (1.0 - 0.9 * (frac - start) / self.tc.decay_frac) } else { self.tc.lr };
        let grads: Vec<&[f32]> = g.iter().map(Vec::as_slice).collect();
        let mut params: Vec<&mut [f32]> = self.lm.p.iter_mut().map(Vec::as_mut_slice).collect();
        self.adam.step(&mut params, &grads);
        self.step += 1;
        Ok(loss)
    }
}

/// Samples one sentence (word ids, without the closing `<eos>`) from the model at `temperature` (> 0), at most
/// `max_words` long; `<unk>` is never sampled.
///
/// # Errors
/// As [`Lm::forward`]; [`Error::Range`] for a temperature that is not positive and finite.
pub fn sample(lm: &Lm, rng: &mut Rng, temperature: f32, max_words: usize) -> Result<Vec<u8>> {
    if !(temperature > 0.0 && temperature.is_finite()) {
        return Err(Error::range("temperature", format!("{temperature} must be positive")));
    }
    let v = lm.cfg.v;
    let mut inp = vec![EOS_ID];
    for _ in 0..max_words {
        let fw = lm.forward(&inp, 1)?;
        let z = &fw.logits[(inp.len() - 1) * v..inp.len() * v];
        let w = crate::nn::flat::sample_logits(z, temperature, &[UNK_ID as usize], rng)?;
        if w as u8 == EOS_ID {
            break;
        }
        inp.push(w as u8);
    }
    Ok(inp[1..].to_vec())
}
