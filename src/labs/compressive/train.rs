//! Training (Algorithm 2 of the paper) and `paperlab train compressive`.
//!
//! The training text is cut into B contiguous streams (Transformer-XL's batching); each step reads the next
//! segment of T characters of every stream on top of that stream's memories, so memories carry from step to step
//! and a model learns to use them. A stream that reaches its end starts again from its beginning with empty
//! memories. Two optimisers: Adam on the language-model gradient for every parameter but f_c, Adam on the
//! attention-reconstruction gradient for f_c alone.

use super::{Compression, Config, FcLoss, Grads, Memory, Model, SegmentOut};
use crate::error::{Error, Result};
use crate::nn::{Adam, Rng};

/// Optimisation settings.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainConfig {
    /// Streams per step B.
    pub batch: usize,
    /// Steps (one segment of every stream each).
    pub steps: usize,
    /// Peak Adam step size of the language model.
    pub lr: f32,
    /// Adam step size of f_c (attention-reconstruction loss).
    pub fc_lr: f32,
    /// Linear warm-up steps; then a cosine decay to lr/10 at `steps`.
    pub warmup: usize,
    /// Global gradient-norm clip of the LM gradient.
    pub clip: f32,
    /// Seed of the stream offsets.
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig { batch: 16, steps: 3000, lr: 3e-3, fc_lr: 1e-3, warmup: 100, clip: 1.0, seed: 1 }
    }
}

/// One step's numbers.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct StepStats {
    /// Step just taken (1-based).
    pub step: usize,
    /// Mean LM cross-entropy of the step's segments, bits per character.
    pub bpc: f32,
    /// Attention-reconstruction loss summed over layers, averaged over streams.
    pub attn_loss: f32,
    /// Step size used.
    pub lr: f32,
}

/// A training run: the model, its streams with their memories, and the two optimisers.
pub struct Trainer {
    pub model: Model,
    pub cfg: TrainConfig,
    tokens: Vec<u8>,
    slots: Vec<Stream>,
    adam: Adam,
    adam_fc: Adam,
    step: usize,
}

struct Stream {
    mem: Memory,
    lo: usize,
    hi: usize,
    pos: usize,
    out: Option<Result<SegmentOut>>,
}

impl Trainer {
    /// A run over `tokens` (training text) starting from `model`.
    ///
    /// # Errors
    /// [`Error::Range`] when the text is too short for B streams of two segments each, or B or the step count is 0.
    pub fn new(model: Model, tokens: Vec<u8>, cfg: TrainConfig) -> Result<Self> {
        let t = model.cfg.seg;
        if cfg.batch == 0 || tokens.len() / cfg.batch.max(1) < 2 * t + 2 {
            return Err(Error::range("training text", format!("{} characters is too short for {} streams of segment {t}", tokens.len(), cfg.batch)));
        }
        let len = tokens.len() / cfg.batch;
        let mut rng = Rng::new(cfg.seed);
        let slots = (0..cfg.batch)
            .map(|b| {
                let lo = b * len + rng.below(t);
                Stream { mem: Memory::new(&model.cfg), lo, hi: (b + 1) * len, pos: lo, out: None }
            })
            .collect();
        let sizes = |v: Vec<&Vec<f32>>| v.iter().map(|x| x.len()).collect::<Vec<_>>();
        let adam = Adam::new(cfg.lr, &sizes(model.p.lm()));
        let adam_fc = Adam::new(cfg.fc_lr, &sizes(model.p.fc()));
        Ok(Trainer { model, cfg, tokens, slots, adam, adam_fc, step: 0 })
    }

    /// Steps taken so far.
    pub fn steps_done(&self) -> usize {
        self.step
    }

    /// Step size at step `s` (0-based): linear warm-up, then cosine from lr to lr/10.
    pub fn lr_at(&self, s: usize) -> f32 {
        let c = &self.cfg;
        if s < c.warmup {
            return c.lr * (s + 1) as f32 / c.warmup as f32;
        }
        let x = ((s - c.warmup) as f32 / (c.steps.saturating_sub(c.warmup)).max(1) as f32).min(1.0);
        c.lr * (0.1 + 0.9 * 0.5 * (1.0 + (std::f32::consts::PI * x).cos()))
    }

    /// One step: every stream's next segment forward and backward (in parallel where threads exist), the gradients
    /// averaged over streams, LM gradient clipped, both Adam steps.
    ///
    /// # Errors
    /// As [`Model::segment`].
    pub fn step(&mut self) -> Result<StepStats> {
        let t = self.model.cfg.seg;
        let (model, tokens) = (&self.model, &self.tokens);
        crate::par::for_each_chunk_mut(&mut self.slots, 1, |_, s| {
            let s = &mut s[0];
            if s.pos + t + 1 > s.hi {
                s.pos = s.lo;
                s.mem = Memory::new(&model.cfg);
            }
            let (a, b) = (s.pos, s.pos + t);
            s.out = Some(model.segment(&mut s.mem, &tokens[a..b], &tokens[a + 1..b + 1], true, false));
            s.pos = b;
        });
        let mut sum: Option<Grads> = None;
        let (mut loss, mut al) = (0.0f64, 0.0f64);
        for s in &mut self.slots {
            let out = s.out.take().ok_or_else(|| Error::Model("Trainer::step: a stream's segment did not run".into()))??;
            loss += out.losses.iter().map(|&x| x as f64).sum::<f64>() / out.losses.len() as f64;
            al += out.attn_loss as f64;
            let g = out.grads.ok_or_else(|| Error::Model("Trainer::step: a segment returned no gradient".into()))?;
            match sum.as_mut() {
                None => sum = Some(g),
                Some(acc) => {
                    acc.lm.add(&g.lm);
                    acc.fc.add(&g.fc);
                }
            }
        }
        let b = self.slots.len() as f32;
        let mut g = sum.ok_or_else(|| Error::Model("Trainer::step: no streams".into()))?;
        g.lm.scale(1.0 / b);
        g.fc.scale(1.0 / b);
        let norm = g.lm.lm().iter().flat_map(|v| v.iter()).map(|&x| (x as f64) * (x as f64)).sum::<f64>().sqrt() as f32;
        if norm > self.cfg.clip {
            g.lm.scale(self.cfg.clip / norm);
        }
        let lr = self.lr_at(self.step);
        self.adam.lr = lr;
        {
            let grads = g.lm.lm();
            let gs: Vec<&[f32]> = grads.iter().map(|v| v.as_slice()).collect();
            let mut ps: Vec<&mut [f32]> = self.model.p.lm_mut().into_iter().map(|v| v.as_mut_slice()).collect();
            self.adam.step(&mut ps, &gs);
        }
        if self.model.cfg.func.learned() && self.model.cfg.cmem > 0 && self.model.cfg.fc_loss != FcLoss::None {
            let grads = g.fc.fc();
            let gs: Vec<&[f32]> = grads.iter().map(|v| v.as_slice()).collect();
            let mut ps: Vec<&mut [f32]> = self.model.p.fc_mut().into_iter().map(|v| v.as_mut_slice()).collect();
            self.adam_fc.step(&mut ps, &gs);
        }
        self.step += 1;
        Ok(StepStats { step: self.step, bpc: (loss / b as f64 / std::f64::consts::LN_2) as f32, attn_loss: (al / b as f64) as f32, lr })
    }
}

/// The shipped models: `(id, label, config)`. All share V, D = 64, H = 4, F = 256, L = 2, T = n_s = 32. The
/// Transformer-XL baseline attends to n_m = 64 memories; every compressive model to n_m = 32 memories and
/// n_cm = 32 compressed memories (the same attention size, 64 + T keys), so they differ only in temporal range.
pub fn shipped_configs(vocab: usize) -> Vec<(String, String, Config)> {
    let base = |mem, cmem, rate, func| Config { vocab, d: 64, heads: 4, ff: 256, layers: 2, seg: 32, mem, cmem, rate, func, fc_loss: FcLoss::Attention };
    let mut v = vec![("xl".to_string(), "Transformer-XL (n_m = 64)".to_string(), base(64, 0, 1, Compression::Conv))];
    for c in [1, 2, 3, 4, 8] {
        v.push((format!("conv-c{c}"), format!("Compressive, conv, c = {c}"), base(32, 32, c, Compression::Conv)));
    }
    for f in [Compression::Max, Compression::Mean, Compression::Dilated, Compression::MostUsed] {
        v.push((format!("{}-c4", f.name()), format!("Compressive, {}, c = 4", f.name()), base(32, 32, 4, f)));
    }
    v
}

#[cfg(not(target_arch = "wasm32"))]
pub use cli::train_cli;

#[cfg(not(target_arch = "wasm32"))]
mod recall_cli;

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    use std::collections::BTreeMap;
    use std::path::PathBuf;
    use std::time::Instant;

    use super::*;
    use crate::labs::compressive::manifest::{self, Check, Manifest, ModelEntry, TextData};
    use crate::data::text::{gunzip_text, Vocab, TRAIN_CHARS};
    use crate::labs::cli::Args;


    /// Characters of the validation text used by the native-vs-wasm check (`check` in the manifest).
    pub const CHECK_CHARS: usize = 600;

    /// `paperlab train compressive [--steps N] [--only ID,ID] [--seed S] [--out DIR]`: trains the shipped models,
    /// writes their weights and `manifest.json` (validation bits/char of each, sizes, timings). `--seed` (default 1)
    /// retrains with other seeds, e.g. into another `--out`, to see the run-to-run spread.
    ///
    /// # Errors
    /// File errors, or errors of training.
    pub fn train_cli(rest: &[&str]) -> Result<()> {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        if rest.first() == Some(&"recall") {
            return super::recall_cli::train_recall_cli(&rest[1..]);
        }
        let args = Args::parse("paperlab train compressive", rest, &["out", "steps", "seed", "only"], &[])?;
        let out = args.path("out", root.join("www/models/compressive"));
        std::fs::create_dir_all(&out)?;
        let text = gunzip_text(&std::fs::read(root.join("www/data/moby-dick-200k.txt.gz"))?)?;
        let vocab = Vocab::from_text(&text)?;
        let tokens = vocab.encode(&text)?;
        let (train, val) = tokens.split_at(TRAIN_CHARS);
        let mut tc = TrainConfig::default();
        tc.steps = args.value("steps", tc.steps)?;
        // --seed S: model initialisation seed 6 + S and stream-offset seed S (the shipped models use S = 1).
        let seed: u64 = args.value("seed", 1)?;
        tc.seed = seed;
        let only: Option<Vec<&str>> = args.get("only").map(|s| s.split(',').collect());
        let mpath = out.join("manifest.json");
        let old_manifest: Option<Manifest> = std::fs::read_to_string(&mpath).ok().and_then(|t| manifest::parse("compressive manifest.json", &t).ok());
        let old: Vec<ModelEntry> = old_manifest.as_ref().map(|m| m.models.clone()).unwrap_or_default();
        let mut entries: Vec<ModelEntry> = Vec::new();
        for (id, label, cfg) in shipped_configs(vocab.len()) {
            if only.as_ref().is_some_and(|o| !o.contains(&id.as_str())) {
                if let Some(e) = old.iter().find(|e| e.id == id) {
                    entries.push(e.clone());
                }
                continue;
            }
            eprintln!("== {id}: {label} ({} threads)", crate::par::threads());
            let t0 = Instant::now();
            let model = Model::new(cfg.clone(), 6 + seed)?;
            let mut tr = Trainer::new(model, train.to_vec(), tc.clone())?;
            let mut curve = Vec::new();
            let mut acc = (0.0f64, 0usize);
            for s in 0..tc.steps {
                let st = tr.step()?;
                acc = (acc.0 + st.bpc as f64, acc.1 + 1);
                if (s + 1) % 100 == 0 || s + 1 == tc.steps {
                    let mean = acc.0 / acc.1 as f64;
                    eprintln!("  step {:5}  train {:.3} bits/char  attn-rec {:.5}  lr {:.2e}  {:.0}s", s + 1, mean, st.attn_loss, st.lr, t0.elapsed().as_secs_f32());
                    curve.push((s + 1, (mean * 1e4).round() / 1e4));
                    acc = (0.0, 0);
                }
            }
            let train_s = t0.elapsed().as_secs_f64();
            let t1 = Instant::now();
            let bpc = tr.model.bpc(val, 8)?;
            let eval_s = t1.elapsed().as_secs_f64();
            let (check_mean, _) = tr.model.stream_losses(&val[..CHECK_CHARS])?;
            eprintln!("  validation {bpc:.4} bits/char ({eval_s:.1}s); trained in {train_s:.0}s");
            let mut meta = BTreeMap::new();
            meta.insert("id".to_string(), id.clone());
            meta.insert("val_bpc".to_string(), format!("{bpc:.4}"));
            let file = format!("{id}.safetensors");
            std::fs::write(out.join(&file), tr.model.to_safetensors(&vocab.chars, &meta)?)?;
            let params: usize = tr.model.p.all().iter().map(|v| v.len()).sum();
            entries.push(ModelEntry {
                id,
                label,
                file,
                config: (&cfg).into(),
                temporal_range: cfg.temporal_range(),
                attention_size: cfg.attention_size(),
                params,
                val_bpc: (bpc * 1e4).round() / 1e4,
                check_bpc: check_mean / std::f64::consts::LN_2,
                train_seconds: train_s.round(),
                eval_seconds: (eval_s * 10.0).round() / 10.0,
                train_curve: curve,
            });
        }
        let manifest = Manifest {
            lab: "compressive".into(),
            made_by: "paperlab train compressive (cargo run --release --features parallel --bin paperlab -- train compressive)".into(),
            data: TextData { file: "www/data/moby-dick-200k.txt.gz".into(), train_chars: TRAIN_CHARS, val_chars: val.len(), vocab: vocab.len() },
            train: tc,
            check: Check { chars: CHECK_CHARS, what: "bits/char of the first CHECK_CHARS validation characters read as one stream; check_bpc per model".into() },
            threads: crate::par::threads(),
            models: entries,
            // The run-to-run spread (other seeds, measured with --seed into another directory) is kept as it was.
            spread: old_manifest.and_then(|m| m.spread),
        };
        std::fs::write(&mpath, manifest::to_text(&manifest))?;
        eprintln!("wrote {}", mpath.display());
        Ok(())
    }
}
