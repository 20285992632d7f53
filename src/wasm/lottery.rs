//! The `lottery` lab's facades: one class per setting, each with the same small methods the page drives in a loop
//! (`start`, then `step` until finished, reading `results` and `mask_units` as levels finish), `LotteryPlanner` (the
//! pruning plan of the page's settings, no data), `LotteryMasks` (the shipped winning ticket's masks) and
//! `LotteryVerify` for the pruned certified network. Results cross as plain objects (serde-wasm-bindgen), masks as
//! `Uint8Array`s. No math here: see `crate::labs::lottery` and `crate::labs::lottery::page`.

use wasm_bindgen::prelude::*;

use super::{image_data, js_err, to_js};
use crate::data::mnist::Mnist;
use crate::labs::lottery::cartpole::{CartPoleTask, RlConfig};
use crate::labs::lottery::text::{LmConfig, TextTask};
use crate::labs::lottery::page::{mask_summary, mask_tiles_rgba, plan_view, share_rgba, units_from_keep, MaskPalette, PageSettings, PlanView, RoundMasks, Setting, SHIPPED_VOCAB};
use crate::labs::lottery::{prune_mlp, Imp, ImpConfig, Role, Run, VisionTask};
use crate::labs::verify::{verify_counts, LowerSlope, Method};
use crate::nn::Mlp;
use crate::Error;

/// The page's settings (a [`PageSettings`] record) as the engine's configuration for `setting`.
/// The page's settings object. Read through a JSON value: serde-wasm-bindgen looks up only the struct's own fields,
/// so `deny_unknown_fields` would never see an unknown key; serde_json does.
fn settings_from(settings: JsValue) -> Result<PageSettings, JsError> {
    let bad = |e: String| js_err(Error::format("lottery settings", e));
    let v: serde_json::Value = serde_wasm_bindgen::from_value(settings).map_err(|e| bad(e.to_string()))?;
    serde_json::from_value(v).map_err(|e| bad(e.to_string()))
}

fn plan_of(setting: Setting, sizes: &[usize], roles: &[Role], settings: JsValue) -> Result<(PlanView, ImpConfig), JsError> {
    let s = settings_from(settings)?;
    let view = plan_view(setting, sizes, roles, &s).map_err(js_err)?;
    let cfg = view.config.clone();
    Ok((view, cfg))
}

fn no_run() -> JsError {
    js_err(Error::range("lottery run", "no run has been started (call start first)"))
}

/// The methods every setting's class shares: `step`, `results`, `stop` over its boxed run.
macro_rules! run_methods {
    ($t:ty) => {
        #[wasm_bindgen]
        impl $t {
            /// Trains up to `max_iters` iterations (stopping early when a network finishes). Returns the run's
            /// progress `{ done_iters, total_iters, level, results, finished }`.
            #[wasm_bindgen(unchecked_return_type = "LotteryProgress")]
            pub fn step(&mut self, max_iters: u32) -> Result<JsValue, JsError> {
                let run = self.run.as_mut().ok_or_else(no_run)?;
                run.step(max_iters as usize).map_err(js_err)?;
                to_js(&run.progress())
            }

            /// The results from index `from` on: `[{ level, kind, remaining, counts, early_stop_iter, metric_at_es,
            /// metric_final, metric_tail, evals }]` (see `LevelResult`).
            #[wasm_bindgen(unchecked_return_type = "LotteryLevelResult[]")]
            pub fn results(&self, from: usize) -> Result<JsValue, JsError> {
                let run = self.run.as_ref().ok_or_else(no_run)?;
                let rs = run.results();
                to_js(&&rs[from.min(rs.len())..])
            }

            /// Drops the run (cancel).
            pub fn stop(&mut self) {
                self.run = None;
            }
        }
    };
}

/// The pruning plan of the page's settings, without any data: what the page shows before and between runs.
#[wasm_bindgen]
pub struct LotteryPlanner {}

#[wasm_bindgen]
impl LotteryPlanner {
    /// Nothing to load.
    #[wasm_bindgen(constructor)]
    pub fn new() -> LotteryPlanner {
        console_error_panic_hook::set_once();
        LotteryPlanner {}
    }

    /// The plan of a run of `setting` (`vision`, `rl` or `lm`; the language model with the shipped text's
    /// vocabulary) with the page's `settings` (`{ rate, target (%), rewind, k, global, iters, seed,
    /// prune_embedding }`): `{ levels: [{ level, remaining, counts }], stop: target|cap|stuck, sizes, roles,
    /// networks, total_iters, resume_at, config }`. Throws on a value out of range.
    #[wasm_bindgen(unchecked_return_type = "LotteryPlan")]
    pub fn plan(&self, setting: &str, #[wasm_bindgen(unchecked_param_type = "LotterySettings")] settings: JsValue) -> Result<JsValue, JsError> {
        let setting: Setting = setting.parse().map_err(js_err)?;
        let (sizes, roles) = setting.architecture(SHIPPED_VOCAB);
        to_js(&plan_of(setting, &sizes, &roles, settings)?.0)
    }
}

impl Default for LotteryPlanner {
    fn default() -> Self {
        Self::new()
    }
}

/// Tiles per row of the mask picture (300 units: 20 x 15).
const MASK_COLS: usize = 20;

/// A unit-major first-layer mask (`units x inputs` bytes, inputs a square image) drawn by
/// [`mask_tiles_rgba`] and [`share_rgba`] in the light and the dark palette (`palettes`: 18 bytes), as
/// `{ light: { tiles, share }, dark: { tiles, share } }` of `ImageData`.
fn mask_pictures(mask: &[u8], units: usize, inputs: usize, palettes: &[u8]) -> Result<JsValue, JsError> {
    if palettes.len() != 18 {
        return Err(JsError::new(&format!("mask palettes: {} bytes; give the light and the dark palette, 9 bytes each", palettes.len())));
    }
    let side = (inputs as f64).sqrt() as usize;
    let m = ndarray::ArrayView2::from_shape((units, inputs), mask).map_err(|e| js_err(e.into()))?;
    let summary = mask_summary(mask, units, side, 4).map_err(js_err)?;
    let share = ndarray::ArrayView2::from_shape((side, side), &summary.pixel_share).map_err(|e| js_err(e.into()))?;
    let set = |obj: &js_sys::Object, key: &str, value: &JsValue| {
        js_sys::Reflect::set(obj, &key.into(), value).map(|_| ()).map_err(|_| JsError::new("could not build the mask picture"))
    };
    let out = js_sys::Object::new();
    for (name, bytes) in [("light", &palettes[..9]), ("dark", &palettes[9..])] {
        let p = MaskPalette::from_bytes(bytes).map_err(js_err)?;
        let pic = js_sys::Object::new();
        set(&pic, "tiles", &image_data(&mask_tiles_rgba(m, side, MASK_COLS, &p).map_err(js_err)?)?.into())?;
        set(&pic, "share", &image_data(&share_rgba(share, &p))?.into())?;
        set(&out, name, &pic.into())?;
    }
    Ok(out.into())
}

/// The shipped masks of the precomputed winning ticket (`vision-masks.safetensors.gz`).
#[wasm_bindgen]
pub struct LotteryMasks {
    masks: RoundMasks,
}

#[wasm_bindgen]
impl LotteryMasks {
    /// Reads the mask file (gzipped safetensors with a U8 tensor `layer0`). Throws when the bytes are not that.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &[u8]) -> Result<LotteryMasks, JsError> {
        console_error_panic_hook::set_once();
        Ok(LotteryMasks { masks: RoundMasks::from_bytes(bytes).map_err(js_err)? })
    }

    /// Hidden units of the first layer (300).
    pub fn units(&self) -> usize {
        self.masks.units
    }

    /// Inputs per unit (784).
    pub fn inputs(&self) -> usize {
        self.masks.inputs
    }

    /// The first layer's mask at `level`: units x inputs bytes, unit-major, 1 = kept.
    pub fn mask(&self, level: usize) -> Vec<u8> {
        self.masks.at(level).0
    }

    /// The mask of `level` drawn in both palettes (`palettes`: 18 bytes, the light then the dark [`MaskPalette`]),
    /// as `{ light: { tiles, share }, dark: { tiles, share } }` of `ImageData` (see [`mask_pictures`]).
    #[wasm_bindgen(unchecked_return_type = "LotteryMaskPictures")]
    pub fn pictures(&self, level: usize, palettes: &[u8]) -> Result<JsValue, JsError> {
        mask_pictures(&self.masks.at(level).0, self.masks.units, self.masks.inputs, palettes)
    }

    /// What the page says about the mask of `level`: `{ kept, total, pixel_share, border_kept, centre_kept }`
    /// (the border: MNIST's outer 4 pixels).
    #[wasm_bindgen(unchecked_return_type = "LotteryMaskSummary")]
    pub fn summary(&self, level: usize) -> Result<JsValue, JsError> {
        let side = (self.masks.inputs as f64).sqrt() as usize;
        to_js(&mask_summary(&self.masks.at(level).0, self.masks.units, side, 4).map_err(js_err)?)
    }
}

/// LeNet-300-100 on the shipped MNIST digits (the vision setting).
#[wasm_bindgen]
pub struct LotteryVision {
    proto: VisionTask,
    run: Option<Box<dyn Run>>,
}

/// The vision setting's defaults (the shipped curves' recipe; see [`Setting::defaults`]).
pub fn vision_defaults() -> ImpConfig {
    Setting::Vision.defaults()
}

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

    /// The plan of a run with the page's settings, as [`LotteryPlanner::plan`].
    #[wasm_bindgen(unchecked_return_type = "LotteryPlan")]
    pub fn plan(&self, #[wasm_bindgen(unchecked_param_type = "LotterySettings")] settings: JsValue) -> Result<JsValue, JsError> {
        let (sizes, roles) = Setting::Vision.architecture(0);
        to_js(&plan_of(Setting::Vision, &sizes, &roles, settings)?.0)
    }

    /// Starts a new run (dropping any previous one) and returns its plan as [`LotteryVision::plan`] does.
    #[wasm_bindgen(unchecked_return_type = "LotteryPlan")]
    pub fn start(&mut self, #[wasm_bindgen(unchecked_param_type = "LotterySettings")] settings: JsValue) -> Result<JsValue, JsError> {
        let (sizes, roles) = Setting::Vision.architecture(0);
        let (view, cfg) = plan_of(Setting::Vision, &sizes, &roles, settings)?;
        let mut task = self.proto.clone();
        task.set_data_seed(cfg.seed);
        self.run = Some(Box::new(Imp::new(task, cfg).map_err(js_err)?));
        to_js(&view)
    }

    /// The first layer's mask of the network being trained (or the last one): 300 x 784 bytes, unit-major (each
    /// unit's 784 input weights form a 28 x 28 image), 1 = kept, 0 = pruned.
    pub fn mask_units(&self) -> Result<Vec<u8>, JsError> {
        let run = self.run.as_ref().ok_or_else(no_run)?;
        units_from_keep(&run.current_mask().keep[0], 300, 784).map_err(js_err)
    }

    /// That mask drawn in both palettes, as [`LotteryMasks::pictures`].
    #[wasm_bindgen(unchecked_return_type = "LotteryMaskPictures")]
    pub fn mask_pictures(&self, palettes: &[u8]) -> Result<JsValue, JsError> {
        mask_pictures(&self.mask_units()?, 300, 784, palettes)
    }

    /// What the page says about that mask, as `LotteryMasks.summary`.
    #[wasm_bindgen(unchecked_return_type = "LotteryMaskSummary")]
    pub fn mask_summary(&self) -> Result<JsValue, JsError> {
        to_js(&mask_summary(&self.mask_units()?, 300, 28, 4).map_err(js_err)?)
    }
}
run_methods!(LotteryVision);

/// The RL setting's defaults (the shipped curves' recipe; see [`Setting::defaults`]).
pub fn rl_defaults() -> ImpConfig {
    Setting::Rl.defaults()
}

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
    #[wasm_bindgen(unchecked_return_type = "LotteryPlan")]
    pub fn plan(&self, #[wasm_bindgen(unchecked_param_type = "LotterySettings")] settings: JsValue) -> Result<JsValue, JsError> {
        let (sizes, roles) = Setting::Rl.architecture(0);
        to_js(&plan_of(Setting::Rl, &sizes, &roles, settings)?.0)
    }

    /// As `LotteryVision.start`; one training iteration is one update from 8 episodes.
    #[wasm_bindgen(unchecked_return_type = "LotteryPlan")]
    pub fn start(&mut self, #[wasm_bindgen(unchecked_param_type = "LotterySettings")] settings: JsValue) -> Result<JsValue, JsError> {
        let (sizes, roles) = Setting::Rl.architecture(0);
        let (view, cfg) = plan_of(Setting::Rl, &sizes, &roles, settings)?;
        let task = CartPoleTask::new(RlConfig::default(), cfg.seed);
        self.run = Some(Box::new(Imp::new(task, cfg).map_err(js_err)?));
        to_js(&view)
    }
}
run_methods!(LotteryRl);

impl Default for LotteryRl {
    fn default() -> Self {
        Self::new()
    }
}

/// The language setting's defaults (the shipped curves' recipe; see [`Setting::defaults`]).
pub fn lm_defaults() -> ImpConfig {
    Setting::Lm.defaults()
}

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

    fn arch(&self) -> (Vec<usize>, Vec<Role>) {
        use crate::labs::lottery::Task;
        let p = self.proto.params();
        let pr = self.proto.prunable();
        (pr.iter().map(|&(i, _)| p[i].len()).collect(), pr.iter().map(|&(_, r)| r).collect())
    }

    /// As `LotteryVision.plan` (with this text's vocabulary).
    #[wasm_bindgen(unchecked_return_type = "LotteryPlan")]
    pub fn plan(&self, #[wasm_bindgen(unchecked_param_type = "LotterySettings")] settings: JsValue) -> Result<JsValue, JsError> {
        let (sizes, roles) = self.arch();
        to_js(&plan_of(Setting::Lm, &sizes, &roles, settings)?.0)
    }

    /// As `LotteryVision.start`.
    #[wasm_bindgen(unchecked_return_type = "LotteryPlan")]
    pub fn start(&mut self, #[wasm_bindgen(unchecked_param_type = "LotterySettings")] settings: JsValue) -> Result<JsValue, JsError> {
        let (sizes, roles) = self.arch();
        let (view, cfg) = plan_of(Setting::Lm, &sizes, &roles, settings)?;
        let mut task = self.proto.clone();
        task.set_data_seed(cfg.seed);
        self.run = Some(Box::new(Imp::new(task, cfg).map_err(js_err)?));
        to_js(&view)
    }
}
run_methods!(LotteryText);

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
        let c = verify_counts(m, crate::nd::view("lottery verify", &x, (y.len(), 784)).map_err(js_err)?, &y, eps, method, 1.0, LowerSlope::Adaptive, 64).map_err(js_err)?;
        Ok(vec![c.n, c.clean_err, c.verified_err])
    }
}
