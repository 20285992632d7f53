//! The `lottery` lab's facades: one class per setting, each with the same small methods the page drives in a loop
//! (`start`, then `step` until finished, reading `results` and `mask_units` as levels finish), and `LotteryVerify`
//! for the pruned certified network. No math here: see `crate::labs::lottery`.

use wasm_bindgen::prelude::*;

use super::js_err;
use crate::data::mnist::Mnist;
use crate::labs::lottery::cartpole::{CartPoleTask, RlConfig};
use crate::labs::lottery::text::{LmConfig, TextTask};
use crate::labs::lottery::{plan, prune_mlp, Imp, ImpConfig, Role, Run, VisionTask};
use crate::labs::verify::{verify_counts, LowerSlope, Method};
use crate::nn::Mlp;
use crate::Error;

/// Reads the page's settings (a JSON object with any of [`ImpConfig`]'s fields) over the setting's defaults.
fn config_from(defaults: &ImpConfig, json: &str) -> Result<ImpConfig, JsError> {
    let patch: serde_json::Value = serde_json::from_str(json).map_err(|e| js_err(Error::format("lottery settings", e.to_string())))?;
    let mut base = serde_json::to_value(defaults).expect("ImpConfig serialises");
    match patch {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                base[k] = v;
            }
        }
        _ => return Err(js_err(Error::format("lottery settings", "expected a JSON object"))),
    }
    let cfg: ImpConfig = serde_json::from_value(base).map_err(|e| js_err(Error::format("lottery settings", e.to_string())))?;
    cfg.validate().map_err(js_err)?;
    Ok(cfg)
}

fn plan_json(sizes: &[usize], roles: &[Role], cfg: &ImpConfig) -> String {
    let levels: Vec<serde_json::Value> = plan(sizes, roles, cfg)
        .into_iter()
        .map(|(l, f)| {
            let counts = crate::labs::lottery::level_counts(sizes, roles, cfg, l);
            serde_json::json!({ "level": l, "remaining": f, "counts": counts })
        })
        .collect();
    serde_json::json!({ "levels": levels, "sizes": sizes, "roles": roles }).to_string()
}

fn progress_vec(run: &dyn Run) -> Vec<f64> {
    let p = run.progress();
    vec![p.done_iters as f64, p.total_iters as f64, p.level as f64, p.results as f64, if p.finished { 1.0 } else { 0.0 }]
}

fn no_run() -> JsError {
    js_err(Error::range("lottery run", "no run has been started (call start first)"))
}

/// LeNet-300-100 on the shipped MNIST digits (the vision setting).
#[wasm_bindgen]
pub struct LotteryVision {
    proto: VisionTask,
    run: Option<Box<dyn Run>>,
}

/// The vision setting's defaults (the shipped curves' recipe): 20% / 10% per round, 1,500 iterations per network,
/// evaluation every 100, Adam 1.2e-3, target 2% of weights.
pub fn vision_defaults() -> ImpConfig {
    ImpConfig { rate: 0.2, rate_output: 0.1, target: 0.02, iters: 1500, eval_every: 100, lr: 1.2e-3, ..Default::default() }
}

const LENET_SIZES: [usize; 3] = [784 * 300, 300 * 100, 100 * 10];
const LENET_ROLES: [Role; 3] = [Role::Hidden, Role::Hidden, Role::Output];

#[wasm_bindgen]
impl LotteryVision {
    /// Loads the MNIST subset (`mnist-10k.safetensors.gz`). Throws when the bytes are not that file.
    #[wasm_bindgen(constructor)]
    pub fn new(data_gz: &[u8]) -> Result<LotteryVision, JsError> {
        console_error_panic_hook::set_once();
        let data = Mnist::from_gz_bytes(data_gz).map_err(js_err)?;
        let proto = VisionTask::new(&data, 60, 1).map_err(js_err)?;
        Ok(LotteryVision { proto, run: None })
    }

    /// The levels a run with these settings (JSON) would visit: `{levels: [{level, remaining, counts}], sizes,
    /// roles}`. Throws on settings out of range.
    pub fn plan(&self, settings: &str) -> Result<String, JsError> {
        let cfg = config_from(&vision_defaults(), settings)?;
        Ok(plan_json(&LENET_SIZES, &LENET_ROLES, &cfg))
    }

    /// Starts a new run (dropping any previous one) and returns its plan as [`LotteryVision::plan`] does.
    pub fn start(&mut self, settings: &str) -> Result<String, JsError> {
        let cfg = config_from(&vision_defaults(), settings)?;
        let mut task = self.proto.clone();
        task.set_data_seed(cfg.seed);
        let out = plan_json(&LENET_SIZES, &LENET_ROLES, &cfg);
        self.run = Some(Box::new(Imp::new(task, cfg).map_err(js_err)?));
        Ok(out)
    }

    /// Trains up to `max_iters` iterations (stopping early when a network finishes). Returns `[done iterations,
    /// total iterations, level, results so far, finished (0/1)]`.
    pub fn step(&mut self, max_iters: u32) -> Result<Vec<f64>, JsError> {
        let run = self.run.as_mut().ok_or_else(no_run)?;
        run.step(max_iters as usize).map_err(js_err)?;
        Ok(progress_vec(run.as_ref()))
    }

    /// The results from index `from` on, as a JSON array (see `LevelResult`).
    pub fn results(&self, from: usize) -> Result<String, JsError> {
        let run = self.run.as_ref().ok_or_else(no_run)?;
        let rs = run.results();
        Ok(serde_json::to_string(&rs[from.min(rs.len())..]).expect("results serialise"))
    }

    /// The first layer's mask of the network being trained (or the last one): 300 x 784 bytes, unit-major (each
    /// unit's 784 input weights form a 28 x 28 image), 1 = kept, 0 = pruned.
    pub fn mask_units(&self) -> Result<Vec<u8>, JsError> {
        let run = self.run.as_ref().ok_or_else(no_run)?;
        let k = &run.current_mask().keep[0];
        Ok((0..300 * 784).map(|i| k[(i % 784) * 300 + i / 784] as u8).collect())
    }

    /// Drops the run (cancel).
    pub fn stop(&mut self) {
        self.run = None;
    }
}

/// The RL setting's defaults (the shipped curves' recipe): 100 updates of 8 episodes per network, evaluation every
/// 10, Adam 3e-3, 20% / 10% per round.
pub fn rl_defaults() -> ImpConfig {
    ImpConfig { rate: 0.2, rate_output: 0.1, target: 0.02, iters: 100, eval_every: 10, lr: 3e-3, ..Default::default() }
}

const POLICY_SIZES: [usize; 3] = [4 * 64, 64 * 64, 64 * 3];

/// CartPole with a policy-gradient MLP 4-64-64 (the reinforcement-learning setting).
#[wasm_bindgen]
pub struct LotteryRl {
    run: Option<Box<dyn Run>>,
}

#[wasm_bindgen]
impl LotteryRl {
    /// No data to load: the environment is simulated.
    #[wasm_bindgen(constructor)]
    pub fn new() -> LotteryRl {
        console_error_panic_hook::set_once();
        LotteryRl { run: None }
    }

    /// As `LotteryVision.plan`.
    pub fn plan(&self, settings: &str) -> Result<String, JsError> {
        let cfg = config_from(&rl_defaults(), settings)?;
        Ok(plan_json(&POLICY_SIZES, &LENET_ROLES, &cfg))
    }

    /// As `LotteryVision.start`; one training iteration is one update from 8 episodes.
    pub fn start(&mut self, settings: &str) -> Result<String, JsError> {
        let cfg = config_from(&rl_defaults(), settings)?;
        let out = plan_json(&POLICY_SIZES, &LENET_ROLES, &cfg);
        let task = CartPoleTask::new(RlConfig::default(), cfg.seed);
        self.run = Some(Box::new(Imp::new(task, cfg).map_err(js_err)?));
        Ok(out)
    }

    /// As `LotteryVision.step`.
    pub fn step(&mut self, max_iters: u32) -> Result<Vec<f64>, JsError> {
        let run = self.run.as_mut().ok_or_else(no_run)?;
        run.step(max_iters as usize).map_err(js_err)?;
        Ok(progress_vec(run.as_ref()))
    }

    /// As `LotteryVision.results`.
    pub fn results(&self, from: usize) -> Result<String, JsError> {
        let run = self.run.as_ref().ok_or_else(no_run)?;
        let rs = run.results();
        Ok(serde_json::to_string(&rs[from.min(rs.len())..]).expect("results serialise"))
    }

    /// Drops the run (cancel).
    pub fn stop(&mut self) {
        self.run = None;
    }
}

impl Default for LotteryRl {
    fn default() -> Self {
        Self::new()
    }
}

/// The language setting's defaults (the shipped curves' recipe): 600 iterations of 16 windows of 64 characters per
/// network, evaluation every 50, Adam 1e-2, 20% / 10% per round, embedding pruned.
pub fn lm_defaults() -> ImpConfig {
    ImpConfig { rate: 0.2, rate_output: 0.1, target: 0.05, iters: 600, eval_every: 50, lr: 1e-2, ..Default::default() }
}

const LM_ROLES: [Role; 4] = [Role::Embedding, Role::Hidden, Role::Hidden, Role::Output];

/// A character-level LSTM language model on the shipped text (the language setting).
#[wasm_bindgen]
pub struct LotteryText {
    proto: TextTask,
    run: Option<Box<dyn Run>>,
}

#[wasm_bindgen]
impl LotteryText {
    /// Loads the text (`moby-dick-200k.txt.gz`). Throws when the bytes are not gzip or the text is too short.
    #[wasm_bindgen(constructor)]
    pub fn new(text_gz: &[u8]) -> Result<LotteryText, JsError> {
        console_error_panic_hook::set_once();
        let proto = TextTask::from_gz(text_gz, LmConfig::default(), 1).map_err(js_err)?;
        Ok(LotteryText { proto, run: None })
    }

    fn sizes(&self) -> Vec<usize> {
        use crate::labs::lottery::Task;
        let p = self.proto.params();
        self.proto.prunable().iter().map(|&(i, _)| p[i].len()).collect()
    }

    /// As `LotteryVision.plan`.
    pub fn plan(&self, settings: &str) -> Result<String, JsError> {
        let cfg = config_from(&lm_defaults(), settings)?;
        Ok(plan_json(&self.sizes(), &LM_ROLES, &cfg))
    }

    /// As `LotteryVision.start`.
    pub fn start(&mut self, settings: &str) -> Result<String, JsError> {
        let cfg = config_from(&lm_defaults(), settings)?;
        let out = plan_json(&self.sizes(), &LM_ROLES, &cfg);
        let mut task = self.proto.clone();
        task.set_data_seed(cfg.seed);
        self.run = Some(Box::new(Imp::new(task, cfg).map_err(js_err)?));
        Ok(out)
    }

    /// As `LotteryVision.step`.
    pub fn step(&mut self, max_iters: u32) -> Result<Vec<f64>, JsError> {
        let run = self.run.as_mut().ok_or_else(no_run)?;
        run.step(max_iters as usize).map_err(js_err)?;
        Ok(progress_vec(run.as_ref()))
    }

    /// As `LotteryVision.results`.
    pub fn results(&self, from: usize) -> Result<String, JsError> {
        let run = self.run.as_ref().ok_or_else(no_run)?;
        let rs = run.results();
        Ok(serde_json::to_string(&rs[from.min(rs.len())..]).expect("results serialise"))
    }

    /// Drops the run (cancel).
    pub fn stop(&mut self) {
        self.run = None;
    }
}

/// The verify lab's CROWN-IBP-trained network pruned once by magnitude, with its verified error.
#[wasm_bindgen]
pub struct LotteryVerify {
    model: Mlp,
    x: Vec<f32>,
    labels: Vec<u8>,
    cache: Option<(usize, Mlp)>,
}

#[wasm_bindgen]
impl LotteryVerify {
    /// Loads a model (safetensors) and the MNIST subset; the test digits are used.
    #[wasm_bindgen(constructor)]
    pub fn new(model_bytes: &[u8], data_gz: &[u8]) -> Result<LotteryVerify, JsError> {
        console_error_panic_hook::set_once();
        let (model, _) = Mlp::from_safetensors(model_bytes).map_err(js_err)?;
        if model.inputs() != 784 || model.classes() != 10 {
            return Err(js_err(Error::Model(format!("need 784 inputs and 10 classes; the file has dims {:?}", model.dims))));
        }
        let data = Mnist::from_gz_bytes(data_gz).map_err(js_err)?;
        let x = data.test.batch_f32(&(0..data.test.n).collect::<Vec<_>>());
        Ok(LotteryVerify { model, x, labels: data.test.labels, cache: None })
    }

    /// Number of test digits.
    pub fn n_test(&self) -> usize {
        self.labels.len()
    }

    /// Fraction of the weights kept at level `level` (hidden layers 0.8^level, output 0.9^level, rounded per layer).
    pub fn remaining(&mut self, level: usize) -> Result<f64, JsError> {
        let m = self.pruned(level)?;
        let total: usize = m.w.iter().map(Vec::len).sum();
        let kept: usize = (0..m.layers()).map(|l| crate::nn::prune::survivors(m.w[l].len(), if l + 1 == m.layers() { 0.1 } else { 0.2 }, level)).sum();
        Ok(kept as f64 / total as f64)
    }

    fn pruned(&mut self, level: usize) -> Result<&Mlp, JsError> {
        if level > 60 {
            return Err(js_err(Error::range("pruning level", format!("{level} must be at most 60"))));
        }
        if self.cache.as_ref().map(|c| c.0) != Some(level) {
            self.cache = Some((level, prune_mlp(&self.model, 0.2, 0.1, level).map_err(js_err)?));
        }
        Ok(&self.cache.as_ref().unwrap().1)
    }

    /// Over test digits `[start, end)` of the network pruned to `level`: `[n, clean errors, verified errors]` at
    /// `eps` by `method` (`ibp` or `crown-ibp`).
    pub fn verify_range(&mut self, level: usize, start: usize, end: usize, eps: f32, method: &str) -> Result<Vec<u32>, JsError> {
        if !(start <= end && end <= self.labels.len()) {
            return Err(js_err(Error::range("digit range", format!("[{start}, {end}) is not inside [0, {})", self.labels.len()))));
        }
        let method: Method = method.parse().map_err(js_err)?;
        if method == Method::Crown {
            return Err(js_err(Error::range("method", "full CROWN is too slow here; use ibp or crown-ibp".to_string())));
        }
        let (x, y) = (self.x[start * 784..end * 784].to_vec(), self.labels[start..end].to_vec());
        let m = self.pruned(level)?;
        let c = verify_counts(m, &x, &y, eps, method, 1.0, LowerSlope::Adaptive, 64).map_err(js_err)?;
        Ok(vec![c.n, c.clean_err, c.verified_err])
    }
}
