//! The `compressive` lab's facade: one shipped Compressive Transformer (or Transformer-XL) with the shipped text.
//! Scores pasted text character by character, shows one layer's attention over [compressed memory; memory;
//! segment], samples a character at a time, and fine-tunes in small steps the page drives (progress, cancel).

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::{js_err, to_js};
use crate::data::text::{gunzip_text, Vocab, TRAIN_CHARS};
use crate::labs::compressive::train::{TrainConfig, Trainer};
use crate::labs::compressive::manifest::ConfigRecord;
use crate::labs::compressive::{recall, Memory, Model};
use crate::nn::Rng;
use crate::Error;

/// Longest text [`CompressiveLab::score`] and [`CompressiveLab::attention`] accept, in characters.
pub const MAX_TEXT_CHARS: usize = 20_000;

/// Characters of the recall training text generated for a fine-tune (the start of the shipped training text).
pub const RECALL_TRAIN_CHARS: usize = 200_000;
/// Characters of the recall held-out text generated for validation and the page's examples.
pub const RECALL_VAL_CHARS: usize = 20_000;

/// [`CompressiveLab::config`]: the model's sizes (as the manifests write them, `fc_loss` always there) and two derived
/// ones (`CompressiveConfig` in results.d.ts).
#[derive(Serialize)]
struct ConfigView {
    #[serde(flatten)]
    sizes: ConfigRecord,
    /// n_m + c * n_cm.
    temporal_range: usize,
    /// n_m + n_cm.
    attention_size: usize,
}

/// [`CompressiveLab::attention`] (`CompressiveAttention` in results.d.ts).
#[derive(Serialize)]
struct Attention {
    /// Queries T (the last segment's characters) and keys S = n_cm' + n_m' + T.
    t: usize,
    s: usize,
    /// Compressed-memory and memory rows filled (n_cm' <= n_cm, n_m' <= n_m).
    cm_rows: usize,
    m_rows: usize,
    /// Mean over queries of the attention on the compressed memory, the memory and the segment (sum 1).
    mass_cm: f32,
    mass_m: f32,
    mass_seg: f32,
}

/// [`CompressiveLab::finetune_step`] (`CompressiveFinetuneStep` in results.d.ts).
#[derive(Serialize)]
struct FinetuneStep {
    done: usize,
    /// Mean training bits/char of the steps of this call (NaN when none was left).
    train_bpc: f32,
    /// Attention-reconstruction loss of the last step.
    attn_loss: f32,
}

/// A loaded model, its vocabulary and the shipped text (training part for fine-tuning, validation part for checks).
#[wasm_bindgen]
pub struct CompressiveLab {
    model: Model,
    vocab: Vocab,
    train: Vec<u8>,
    val: Vec<u8>,
    attn: Vec<f32>,
    attn_meta: [u32; 4],
    mem: Memory,
    pend: Vec<u8>,
    rng: Rng,
    temperature: f32,
    trainer: Option<Trainer>,
}

impl CompressiveLab {
    fn model(&self) -> &Model {
        self.trainer.as_ref().map(|t| &t.model).unwrap_or(&self.model)
    }

    fn tokens(&self, text: &str) -> Result<Vec<u8>, JsError> {
        let n = text.chars().count();
        if n < 2 {
            return Err(js_err(Error::range("text", "is empty; type or paste at least 2 characters")));
        }
        if n > MAX_TEXT_CHARS {
            return Err(js_err(Error::range("text", format!("has {n} characters; the lab reads at most {MAX_TEXT_CHARS}"))));
        }
        Ok(self.vocab.encode_lossy(text, b' ').0)
    }
}

#[wasm_bindgen]
impl CompressiveLab {
    /// Loads a model file (`www/models/compressive/*.safetensors`) and the gzipped text. Throws with a message
    /// naming the problem when a file is corrupt or the model's vocabulary does not fit the text.
    ///
    /// An empty `text_gz` selects the long-range recall setting (`www/models/compressive/recall/*.safetensors`):
    /// the training and held-out texts are generated here from their shipped seeds (`recall.rs`), and the model must
    /// have that setting's vocabulary.
    #[wasm_bindgen(constructor)]
    pub fn new(model: &[u8], text_gz: &[u8]) -> Result<CompressiveLab, JsError> {
        console_error_panic_hook::set_once();
        let (model, vocab, _) = Model::from_safetensors(model).map_err(js_err)?;
        let (train, val) = if text_gz.is_empty() {
            if vocab != recall::vocab() {
                return Err(js_err(Error::format("model", "is not a recall-setting model (its vocabulary differs); give the natural text")));
            }
            let gen = |seed, n| recall::generate(seed, n, 1, recall::D_MAX).and_then(|t| vocab.encode(&t.text)).map_err(js_err);
            (gen(recall::TRAIN_SEED, RECALL_TRAIN_CHARS)?, gen(recall::HELDOUT_SEED, RECALL_VAL_CHARS)?)
        } else {
            let text = gunzip_text(text_gz).map_err(js_err)?;
            let tokens = vocab.encode(&text).map_err(js_err)?;
            if tokens.len() <= TRAIN_CHARS + 2 {
                return Err(js_err(Error::format("text", "shorter than the training part")));
            }
            (tokens[..TRAIN_CHARS].to_vec(), tokens[TRAIN_CHARS..].to_vec())
        };
        let mem = Memory::new(&model.cfg);
        Ok(CompressiveLab {
            model,
            vocab,
            train,
            val,
            attn: Vec::new(),
            attn_meta: [0; 4],
            mem,
            pend: Vec::new(),
            rng: Rng::new(1),
            temperature: 1.0,
            trainer: None,
        })
    }

    /// The first `n` characters of the validation text (for the recall setting: the generated held-out lines).
    pub fn val_text(&self, n: usize) -> String {
        self.vocab.decode(&self.val[..n.min(self.val.len())])
    }

    /// The model's configuration `{vocab, d, heads, ff, layers, seg, mem, cmem, rate, func, fc_loss}` plus
    /// `temporal_range` (n_m + c n_cm) and `attention_size` (n_m + n_cm).
    #[wasm_bindgen(unchecked_return_type = "CompressiveConfig")]
    pub fn config(&self) -> Result<JsValue, JsError> {
        let c = &self.model().cfg;
        to_js(&ConfigView { sizes: c.into(), temporal_range: c.temporal_range(), attention_size: c.attention_size() })
    }

    /// The characters of the vocabulary, in token order.
    pub fn vocab(&self) -> String {
        self.vocab.decode(&(0..self.vocab.len() as u8).collect::<Vec<_>>())
    }

    /// The distinct characters of `text` the model does not know (they are read as spaces), in order of appearance.
    pub fn unknown_chars(&self, text: &str) -> String {
        self.vocab.encode_lossy(text, b' ').1.into_iter().collect()
    }

    /// Bits of each character of `text` after the first, given everything before it (the text read as one stream
    /// from empty memories, segment by segment). Throws for fewer than 2 or more than [`MAX_TEXT_CHARS`] characters.
    pub fn score(&self, text: &str) -> Result<Vec<f32>, JsError> {
        let toks = self.tokens(text)?;
        let (_, l) = self.model().stream_losses(&toks).map_err(js_err)?;
        Ok(l.into_iter().map(|x| x / std::f32::consts::LN_2).collect())
    }

    /// Bits per character of the first `n` characters of the validation text read as one stream (the number the
    /// manifest's `check_bpc` gives for n = 600).
    pub fn val_prefix_bpc(&self, n: usize) -> Result<f64, JsError> {
        let n = n.clamp(2, self.val.len());
        let (m, _) = self.model().stream_losses(&self.val[..n]).map_err(js_err)?;
        Ok(m / std::f64::consts::LN_2)
    }

    /// Validation bits per character over `n` validation characters read as `streams` streams.
    pub fn val_bpc(&self, n: usize, streams: usize) -> Result<f64, JsError> {
        let n = n.clamp(2, self.val.len());
        self.model().bpc(&self.val[..n], streams).map_err(js_err)
    }

    /// Reads `text` as one stream and keeps layer `layer`'s attention over the last segment. Returns
    /// `{t, s, cm_rows, m_rows, mass_cm, mass_m, mass_seg}` for head `head` (T queries, S keys, n_cm' and n_m' rows
    /// filled; the mass is the mean over queries of the attention on each part); the probabilities (T x S) come
    /// from [`CompressiveLab::attention_probs`].
    #[wasm_bindgen(unchecked_return_type = "CompressiveAttention")]
    pub fn attention(&mut self, text: &str, layer: usize, head: usize) -> Result<JsValue, JsError> {
        let toks = self.tokens(text)?;
        let m = self.model();
        let cfg = &m.cfg;
        if layer >= cfg.layers || head >= cfg.heads {
            return Err(js_err(Error::range("layer/head", format!("layer {layer}, head {head}: the model has {} layers of {} heads", cfg.layers, cfg.heads))));
        }
        let mut mem = Memory::new(cfg);
        let n = toks.len();
        let mut i = 0;
        let mut last = None;
        while i < n {
            let e = (i + cfg.seg).min(n);
            let out = m.segment(&mut mem, &toks[i..e], &[], false, e == n).map_err(js_err)?;
            last = Some(out);
            i = e;
        }
        let mut out = last.ok_or_else(|| js_err(Error::range("text", "is empty; paste at least one character")))?;
        let v = out.attn.swap_remove(layer);
        let (t, s) = (v.t, v.s);
        let a = v.probs[head * t * s..(head + 1) * t * s].to_vec();
        let mut mass = [0.0f32; 3];
        for row in a.chunks(s) {
            for (j, &p) in row.iter().enumerate() {
                let part = if j < v.cm_rows { 0 } else if j < v.cm_rows + v.m_rows { 1 } else { 2 };
                mass[part] += p / t as f32;
            }
        }
        self.attn = a;
        self.attn_meta = [t as u32, s as u32, v.cm_rows as u32, v.m_rows as u32];
        to_js(&Attention { t, s, cm_rows: v.cm_rows, m_rows: v.m_rows, mass_cm: mass[0], mass_m: mass[1], mass_seg: mass[2] })
    }

    /// The probabilities of the last [`CompressiveLab::attention`] call, T x S row-major (query i, key j).
    pub fn attention_probs(&self) -> Vec<f32> {
        self.attn.clone()
    }

    /// Starts sampling after `prompt` (may be empty: a newline is used) with `temperature` in (0, 4] and `seed`.
    pub fn sample_start(&mut self, prompt: &str, temperature: f32, seed: u32) -> Result<(), JsError> {
        if !(temperature > 0.0 && temperature <= 4.0) {
            return Err(js_err(Error::range("temperature", format!("{temperature} (use 0.05 to 4)"))));
        }
        let mut toks = self.vocab.encode_lossy(prompt, b' ').0;
        if toks.is_empty() {
            toks = self.vocab.encode(b"\n").unwrap_or_else(|_| vec![0]);
        }
        let toks = &toks[toks.len().saturating_sub(MAX_TEXT_CHARS)..];
        let seg = self.model().cfg.seg;
        let mut mem = Memory::new(&self.model().cfg);
        // Commit all whole segments but keep the last (partial or whole) one pending.
        let whole = (toks.len() - 1) / seg * seg;
        for chunk in toks[..whole].chunks(seg) {
            self.model().segment(&mut mem, chunk, &[], false, false).map_err(js_err)?;
        }
        self.mem = mem;
        self.pend = toks[whole..].to_vec();
        self.rng = Rng::new(u64::from(seed));
        self.temperature = temperature;
        Ok(())
    }

    /// The next `n` sampled characters (after [`CompressiveLab::sample_start`]).
    pub fn sample_next(&mut self, n: usize) -> Result<String, JsError> {
        if self.pend.is_empty() && self.mem.layers.iter().all(|l| l.m.is_empty()) {
            return Err(js_err(Error::range("sampling", "not started; call sample_start first")));
        }
        let mut out = Vec::with_capacity(n);
        for _ in 0..n.min(4096) {
            // A full pending segment is read on top of the memory and committed to it (Algorithm 1); a partial one
            // is read on a copy. Either way its last position predicts the next character.
            let o = if self.pend.len() == self.model().cfg.seg {
                let mut mem = std::mem::take(&mut self.mem);
                let pend = std::mem::take(&mut self.pend);
                let o = self.model().segment(&mut mem, &pend, &[], false, false).map_err(js_err)?;
                self.mem = mem;
                o
            } else {
                self.model().segment(&mut self.mem.clone(), &self.pend, &[], false, false).map_err(js_err)?
            };
            let tok = crate::nn::sample::sample_logits(ndarray::aview1(&o.last_logits), self.temperature, &[], &mut self.rng).map_err(js_err)?;
            out.push(tok as u8);
            self.pend.push(tok as u8);
        }
        Ok(self.vocab.decode(&out))
    }

    /// Starts a fine-tuning run of the current model on the training text: `steps` steps of `batch` streams at peak
    /// step size `lr` (warm-up 10 steps, cosine decay), seeded. A previous run is dropped (its progress kept only
    /// if [`CompressiveLab::finetune_stop`] was called with `keep`).
    pub fn finetune_start(&mut self, steps: usize, batch: usize, lr: f32, seed: u32) -> Result<(), JsError> {
        if steps == 0 || steps > 100_000 || batch == 0 || batch > 64 || !(lr > 0.0 && lr < 0.1) {
            return Err(js_err(Error::range("fine-tune settings", format!("{steps} steps, batch {batch}, lr {lr}"))));
        }
        let cfg = TrainConfig { batch, steps, lr, fc_lr: lr / 3.0, warmup: 10.min(steps), clip: 1.0, seed: u64::from(seed) };
        self.trainer = Some(Trainer::new(self.model.clone(), self.train.clone(), cfg).map_err(js_err)?);
        Ok(())
    }

    /// Runs up to `n` fine-tuning steps; returns `{done, train_bpc, attn_loss}`: steps done, the mean training
    /// bits/char of these steps, the attention-reconstruction loss of the last step.
    #[wasm_bindgen(unchecked_return_type = "CompressiveFinetuneStep")]
    pub fn finetune_step(&mut self, n: usize) -> Result<JsValue, JsError> {
        let tr = self.trainer.as_mut().ok_or_else(|| js_err(Error::range("fine-tune", "not started; call finetune_start first")))?;
        let (mut s, mut k, mut al) = (0.0, 0, 0.0);
        for _ in 0..n {
            if tr.steps_done() >= tr.cfg.steps {
                break;
            }
            let st = tr.step().map_err(js_err)?;
            s += st.bpc;
            k += 1;
            al = st.attn_loss;
        }
        to_js(&FinetuneStep { done: tr.steps_done(), train_bpc: if k > 0 { s / k as f32 } else { f32::NAN }, attn_loss: al })
    }

    /// Ends the fine-tuning run: with `keep`, the fine-tuned weights replace the loaded ones; otherwise they are
    /// dropped (cancel).
    pub fn finetune_stop(&mut self, keep: bool) {
        if let Some(t) = self.trainer.take() {
            if keep {
                self.model = t.model;
            }
        }
    }

    /// The current weights as a safetensors file (after a fine-tune, the fine-tuned ones).
    pub fn save(&self) -> Result<Vec<u8>, JsError> {
        self.model().to_safetensors(&self.vocab.chars, &Default::default()).map_err(js_err)
    }
}
