//! The `onlstm` lab's facade (Ordered Neurons): one language model at a time (a shipped ON-LSTM or LSTM, or one
//! the page trains live), read a typed sentence into distances, master-forget-gate staircase and induced trees,
//! score it on the lab's test sentences (perplexity, parse F1), sample from it, and train a fresh one in small steps
//! the page drives (progress, cancel). No math here: see `crate::labs::onlstm`.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::{js_err, to_js};
use crate::labs::onlstm::grammar::{detokenize, splits, Sentence, VOCAB};
use crate::labs::onlstm::model::{evaluate, sample, Lm, LmConfig, TrainConfig, Trainer};
use crate::labs::onlstm::{analyze, baseline_f1};
use crate::nn::Rng;
use crate::Error;

/// [`OnlstmLab::baselines`] (`OnlstmBaselines` in results.d.ts).
#[derive(Serialize)]
struct Baselines {
    right_branching: f64,
    left_branching: f64,
    random: f64,
}

/// [`OnlstmLab::train_step`] (`OnlstmTrainStep` in results.d.ts).
#[derive(Serialize)]
struct TrainStep {
    done: usize,
    total: usize,
    /// Mean training cross-entropy (nats per token) of the steps of this call; NaN when none was left.
    train_ce: f64,
    tokens: usize,
}

/// A lab session: the corpus (regenerated from its seed, identical to the native one), the current model, and a
/// training run when one is going.
#[wasm_bindgen]
pub struct OnlstmLab {
    lm: Lm,
    train: Vec<Sentence>,
    test: Vec<Sentence>,
    trainer: Option<Trainer>,
}

#[wasm_bindgen]
impl OnlstmLab {
    /// Loads a model written by `paperlab train onlstm` (safetensors bytes). Throws with a message naming the
    /// problem when the bytes are not such a model.
    #[wasm_bindgen(constructor)]
    pub fn new(model: &[u8]) -> Result<OnlstmLab, JsError> {
        console_error_panic_hook::set_once();
        let (lm, _) = Lm::from_safetensors(model).map_err(js_err)?;
        let (train, _, test) = splits();
        Ok(OnlstmLab { lm, train, test, trainer: None })
    }

    /// The current model's sizes `{chunk, e, h, layers, v}` (chunk 0 = LSTM; `labs::onlstm::model::LmConfig`).
    #[wasm_bindgen(unchecked_return_type = "OnlstmConfig")]
    pub fn config(&self) -> Result<JsValue, JsError> {
        to_js(&self.lm.cfg)
    }

    /// The vocabulary's words in id order (`<eos>` and `<unk>` first).
    pub fn vocab(&self) -> Vec<String> {
        VOCAB.iter().map(|w| w.to_string()).collect()
    }

    /// Reads `text` as one sentence: `{tokens: {words, ids, unknown}, distances: [L][n], gates: [L][n*W],
    /// gate_width: W, spans: [L][[start, end]], nll: [n+1], ppl}`. Throws on empty text or more than 40 words.
    #[wasm_bindgen(unchecked_return_type = "OnlstmAnalysis")]
    pub fn analyze(&self, text: &str) -> Result<JsValue, JsError> {
        to_js(&analyze(&self.lm, text).map_err(js_err)?)
    }

    /// Perplexity and the parse F1 of every layer on the first `n` test sentences (all 1,000 when `n` is 0 or
    /// larger): `{ppl, f1_by_layer}` (`labs::onlstm::model::EvalResult`; F1 as fractions).
    #[wasm_bindgen(unchecked_return_type = "OnlstmEval")]
    pub fn evaluate(&self, n: usize) -> Result<JsValue, JsError> {
        let k = if n == 0 { self.test.len() } else { n.min(self.test.len()) };
        to_js(&evaluate(&self.lm, &self.test[..k]).map_err(js_err)?)
    }

    /// Right-branching, left-branching and random-tree F1 (fractions) on the first `n` test sentences (all when 0),
    /// the random one averaged over 5 trees per sentence: `{right_branching, left_branching, random}`.
    #[wasm_bindgen(unchecked_return_type = "OnlstmBaselines")]
    pub fn baselines(&self, n: usize) -> Result<JsValue, JsError> {
        let k = if n == 0 { self.test.len() } else { n.min(self.test.len()) };
        let (right_branching, left_branching, random) = baseline_f1(&self.test[..k], 5);
        to_js(&Baselines { right_branching, left_branching, random })
    }

    /// `count` sentences sampled at `temperature` (> 0) with `seed`, one per line.
    pub fn sample(&self, seed: u32, temperature: f32, count: usize) -> Result<String, JsError> {
        let mut rng = Rng::new(u64::from(seed));
        let mut out = Vec::new();
        for _ in 0..count.clamp(1, 20) {
            let ids = sample(&self.lm, &mut rng, temperature, 30).map_err(js_err)?;
            out.push(detokenize(&ids));
        }
        Ok(out.join("\n"))
    }

    /// Starts training a fresh model with the lab's sizes and chunk size `chunk` (0 = LSTM; must divide 64) for
    /// `steps` Adam steps from `seed`; the current model is replaced by it as it trains.
    pub fn train_start(&mut self, chunk: usize, steps: usize, seed: u32) -> Result<(), JsError> {
        if steps == 0 || steps > 100_000 {
            return Err(js_err(Error::range("steps", format!("{steps} must be between 1 and 100000"))));
        }
        let tc = TrainConfig { steps, seed: u64::from(seed), ..TrainConfig::default() };
        let tr = Trainer::new(LmConfig::lab(chunk), tc, &self.train).map_err(js_err)?;
        self.lm = tr.lm.clone();
        self.trainer = Some(tr);
        Ok(())
    }

    /// Does up to `n` training steps; returns `{done, total, train_ce, tokens}`: steps done and in all, the mean
    /// training cross-entropy (nats per token) of these steps, tokens predicted so far. Throws when no run was
    /// started.
    #[wasm_bindgen(unchecked_return_type = "OnlstmTrainStep")]
    pub fn train_step(&mut self, n: usize) -> Result<JsValue, JsError> {
        let tr = self.trainer.as_mut().ok_or_else(|| js_err(Error::range("training run", "none started; call train_start first")))?;
        let todo = n.clamp(1, 10_000).min(tr.tc.steps.saturating_sub(tr.steps_done()));
        let mut s = 0.0f64;
        for _ in 0..todo {
            s += tr.step(&self.train).map_err(js_err)? as f64;
        }
        self.lm = tr.lm.clone();
        to_js(&TrainStep { done: tr.steps_done(), total: tr.tc.steps, train_ce: if todo > 0 { s / todo as f64 } else { f64::NAN }, tokens: tr.tokens_done() })
    }

    /// The current model as safetensors bytes (to download a live-trained model).
    pub fn model_bytes(&self) -> Result<Vec<u8>, JsError> {
        self.lm.to_safetensors(&Default::default()).map_err(js_err)
    }
}
