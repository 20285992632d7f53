//! The `bagnet` lab's facade (BagNets, Brendel & Bethge): one dataset's test images and its shipped models (BagNet-q
//! for several q and the CNN); class-evidence heatmaps of one image, the top patches, test-set accuracy in steps the
//! page drives (clean, tile-scrambled or with the k most evidential patches masked), and the masking experiment.
//! No math here: see `crate::labs::bagnet`.

use wasm_bindgen::prelude::*;

use serde::Serialize;

use super::{js_err, to_js};
use crate::data::mnist::{Mnist, Split, PIXELS};
use crate::labs::bagnet::{self as bag, evidence, mask_patches, scramble_tiles, top_patches, BagNet, Model, ModelConfig, SIDE};
use crate::nd;
use crate::nn::Rng;
use crate::Error;

/// One loaded model as [`BagnetLab::ids`] lists it (`BagnetModelInfo` in results.d.ts).
#[derive(Serialize)]
struct ModelInfo<'a> {
    id: &'a str,
    config: ModelConfig,
    params: usize,
}

/// [`BagnetLab::eval_step`] (`BagnetEvalStep` in results.d.ts).
#[derive(Serialize)]
struct EvalStep {
    done: usize,
    total: usize,
    correct: usize,
}

/// One patch of [`BagnetLab::top_patches`] (`BagnetPatch` in results.d.ts).
#[derive(Serialize)]
struct Patch {
    row: usize,
    col: usize,
    y: usize,
    x: usize,
    size: usize,
    evidence: f32,
}

/// An evaluation the page steps through.
struct EvalRun {
    model: String,
    mask_by: String,
    tile: usize,
    mask_k: usize,
    total: usize,
    done: usize,
    correct: usize,
    seed: u64,
}

/// A lab session: the test split of one dataset and the models loaded so far (by id).
#[wasm_bindgen]
pub struct BagnetLab {
    test: Split,
    models: Vec<(String, Model)>,
    run: Option<EvalRun>,
}

impl BagnetLab {
    fn model(&self, id: &str) -> Result<&Model, JsError> {
        self.models.iter().find(|(i, _)| i == id).map(|(_, m)| m).ok_or_else(|| js_err(Error::range("model id", format!("`{id}` is not loaded; call add_model first"))))
    }

    fn bagnet(&self, id: &str) -> Result<&BagNet, JsError> {
        match self.model(id)? {
            Model::BagNet(b) => Ok(b),
            Model::Cnn(_) => Err(js_err(Error::range("model", format!("`{id}` is the CNN; heatmaps need a BagNet")))),
        }
    }

    fn check_image(image: &[f32]) -> Result<(), JsError> {
        if image.len() != PIXELS || image.iter().any(|v| !v.is_finite()) {
            return Err(js_err(Error::shape("image", format!("needs 784 finite values (28x28, 0 = background, 1 = ink); got {}", image.len()))));
        }
        Ok(())
    }

    /// Test image `i` as prepared for the run (scrambled or masked as the run says).
    fn prepared(&self, run: &EvalRun, i: usize) -> Result<Vec<f32>, JsError> {
        let mut x = self.test.image_f32(i);
        if run.tile > 0 {
            x = nd::into_vec(scramble_tiles(nd::view("bagnet image", &x, (SIDE, SIDE)).map_err(js_err)?, run.tile, &mut Rng::new(run.seed.wrapping_add(i as u64))).map_err(js_err)?);
        }
        if run.mask_k > 0 {
            x = self.masked(&run.mask_by, &x, usize::from(self.test.labels[i]), run.mask_k)?;
        }
        Ok(x)
    }

    fn masked(&self, bag_id: &str, image: &[f32], class: usize, k: usize) -> Result<Vec<f32>, JsError> {
        let b = self.bagnet(bag_id)?;
        let map = b.patch_logits(nd::view("bagnet image", image, (1, 1, SIDE, SIDE)).map_err(js_err)?).map_err(js_err)?;
        let ev = evidence(map.index_axis(ndarray::Axis(0), 0));
        if class >= ev.dim().0 {
            return Err(js_err(Error::range("class", format!("{class} is not below {}", ev.dim().0))));
        }
        let top: Vec<(usize, usize)> = top_patches(ev.index_axis(ndarray::Axis(0), class), k).into_iter().map(|(r, c, _)| (r, c)).collect();
        let mut x = image.to_vec();
        mask_patches(nd::view_mut("bagnet image", &mut x, (SIDE, SIDE)).map_err(js_err)?, b.cfg.q, &top, 0.0);
        Ok(x)
    }
}

#[wasm_bindgen]
impl BagnetLab {
    /// Loads a dataset file (`mnist-10k.safetensors.gz` or `fashion-12k.safetensors.gz`; only its test split is
    /// kept) and the five model files of that dataset written by `paperlab train bagnet` (BagNet-5, -9, -13, -17 and
    /// the CNN, in any order). The models get the ids `q5`, `q9`, `q13`, `q17` and `cnn` (see [`BagnetLab::ids`]).
    #[wasm_bindgen(constructor)]
    pub fn new(data_gz: &[u8], m0: &[u8], m1: &[u8], m2: &[u8], m3: &[u8], m4: &[u8]) -> Result<BagnetLab, JsError> {
        console_error_panic_hook::set_once();
        let m = Mnist::from_gz_bytes(data_gz).map_err(js_err)?;
        let mut lab = BagnetLab { test: m.test, models: Vec::new(), run: None };
        for bytes in [m0, m1, m2, m3, m4] {
            lab.add_model(bytes)?;
        }
        Ok(lab)
    }

    /// Adds (or replaces) a model from a file written by `paperlab train bagnet`; returns its id: `q<q>` for a
    /// BagNet-q, `cnn` for the CNN.
    pub fn add_model(&mut self, bytes: &[u8]) -> Result<String, JsError> {
        let (m, _) = Model::from_safetensors(bytes).map_err(js_err)?;
        let id = match &m {
            Model::BagNet(b) => format!("q{}", b.cfg.q),
            Model::Cnn(_) => "cnn".to_string(),
        };
        self.models.retain(|(i, _)| *i != id);
        self.models.push((id.clone(), m));
        Ok(id)
    }

    /// The loaded models, in load order: `[{id: "q9", config: {kind: "bagnet", q: 9, width, classes}, params}, ...]`
    /// (the CNN's config is `{kind: "cnn", width, classes}`).
    #[wasm_bindgen(unchecked_return_type = "BagnetModelInfo[]")]
    pub fn ids(&self) -> Result<JsValue, JsError> {
        to_js(&self.models.iter().map(|(id, m)| ModelInfo { id, config: m.config(), params: m.n_params() }).collect::<Vec<_>>())
    }

    /// Number of test images.
    pub fn test_count(&self) -> usize {
        self.test.n
    }

    /// Test image `i`: 784 values in [0, 1], row-major 28x28.
    pub fn test_image(&self, i: usize) -> Result<Vec<f32>, JsError> {
        if i >= self.test.n {
            return Err(js_err(Error::range("test image", format!("{i} is not below {}", self.test.n))));
        }
        Ok(self.test.image_f32(i))
    }

    /// Label of test image `i`.
    pub fn test_label(&self, i: usize) -> Result<u8, JsError> {
        self.test.labels.get(i).copied().ok_or_else(|| js_err(Error::range("test image", format!("{i} is not below {}", self.test.n))))
    }

    /// Side of BagNet `id`'s patch map on 28x28 images (OH = OW).
    pub fn map_side(&self, id: &str) -> Result<usize, JsError> {
        bag::map_side(SIDE, self.bagnet(id)?.cfg.q).map_err(js_err)
    }

    /// Class evidence of every patch of `image` (784 values) under BagNet `id`: `K x OH x OW` values, each the patch
    /// logit minus the mean over classes at that location (centred on zero; see `labs::bagnet::evidence`).
    pub fn heatmap(&self, id: &str, image: &[f32]) -> Result<Vec<f32>, JsError> {
        Self::check_image(image)?;
        let b = self.bagnet(id)?;
        let map = b.patch_logits(nd::view("bagnet image", image, (1, 1, SIDE, SIDE)).map_err(js_err)?).map_err(js_err)?;
        Ok(nd::into_vec(evidence(map.index_axis(ndarray::Axis(0), 0))))
    }

    /// Class probabilities (softmax of the image logits) of `image` under model `id`: K values.
    pub fn probabilities(&self, id: &str, image: &[f32]) -> Result<Vec<f32>, JsError> {
        Self::check_image(image)?;
        let l = self.model(id)?.logits(nd::view("bagnet image", image, (1, 1, SIDE, SIDE)).map_err(js_err)?).map_err(js_err)?;
        Ok(nd::into_vec(bag::softmax(l.row(0))))
    }

    /// The `count` patches with the most evidence for `class` in `image` under BagNet `id`, best first:
    /// `[{row: i, col: j, y: 2i, x: 2j, size: q, evidence: e}, ...]` (y, x: the patch's top-left pixel).
    #[wasm_bindgen(unchecked_return_type = "BagnetPatch[]")]
    pub fn top_patches(&self, id: &str, image: &[f32], class: usize, count: usize) -> Result<JsValue, JsError> {
        let ev = self.heatmap(id, image)?;
        let b = self.bagnet(id)?;
        let k = b.cfg.classes;
        if class >= k {
            return Err(js_err(Error::range("class", format!("{class} is not below {k}"))));
        }
        let n = ev.len() / k;
        let ow = bag::map_side(SIDE, b.cfg.q).map_err(js_err)?;
        let top = top_patches(nd::view("bagnet evidence", &ev[class * n..(class + 1) * n], (n / ow.max(1), ow)).map_err(js_err)?, count.min(n));
        let v: Vec<Patch> =
            top.iter().map(|&(row, col, evidence)| Patch { row, col, y: bag::STRIDE * row, x: bag::STRIDE * col, size: b.cfg.q, evidence }).collect();
        to_js(&v)
    }

    /// `image` with its `tile x tile` squares shuffled by `seed` (tile divides 28: 2, 4, 7, 14).
    pub fn scramble(&self, image: &[f32], tile: usize, seed: u32) -> Result<Vec<f32>, JsError> {
        Self::check_image(image)?;
        scramble_tiles(nd::view("bagnet image", image, (SIDE, SIDE)).map_err(js_err)?, tile, &mut Rng::new(u64::from(seed))).map(nd::into_vec).map_err(js_err)
    }

    /// `image` with the `k` patches of most evidence for `class` under BagNet `id` set to background (0).
    pub fn mask(&self, id: &str, image: &[f32], class: usize, k: usize) -> Result<Vec<f32>, JsError> {
        Self::check_image(image)?;
        if class >= 10 {
            return Err(js_err(Error::range("class", format!("{class} is not below 10"))));
        }
        self.masked(id, image, class, k)
    }

    /// Starts an accuracy run of model `id` on the first `n` test images (all when 0): clean (`tile` 0, `mask_k` 0),
    /// with the images' `tile x tile` squares scrambled (image i by seed `seed + i`), or with the `mask_k` patches of
    /// most evidence for the true class masked under BagNet `mask_by` (then `id` may be the CNN).
    pub fn eval_start(&mut self, id: &str, n: usize, tile: usize, mask_k: usize, mask_by: &str, seed: u32) -> Result<(), JsError> {
        self.model(id)?;
        if tile > 0 && SIDE % tile != 0 {
            return Err(js_err(Error::range("tile size", format!("{tile} must divide 28"))));
        }
        if mask_k > 0 {
            self.bagnet(mask_by)?;
        }
        let total = if n == 0 { self.test.n } else { n.min(self.test.n) };
        self.run = Some(EvalRun { model: id.to_string(), mask_by: mask_by.to_string(), tile, mask_k, total, done: 0, correct: 0, seed: u64::from(seed) });
        Ok(())
    }

    /// Classifies up to `count` more images of the run: `{done, total, correct}` (images). Throws when no run was
    /// started.
    #[wasm_bindgen(unchecked_return_type = "BagnetEvalStep")]
    pub fn eval_step(&mut self, count: usize) -> Result<JsValue, JsError> {
        let run = self.run.take().ok_or_else(|| js_err(Error::range("accuracy run", "none started; call eval_start first")))?;
        let end = (run.done + count.max(1)).min(run.total);
        let mut x = Vec::with_capacity((end - run.done) * PIXELS);
        for i in run.done..end {
            x.extend(self.prepared(&run, i)?);
        }
        let pred = bag::predict(self.model(&run.model)?, nd::view("bagnet images", &x, (end - run.done, 1, SIDE, SIDE)).map_err(js_err)?).map_err(js_err)?;
        let correct = run.correct + pred.iter().zip(run.done..end).filter(|(p, i)| **p == usize::from(self.test.labels[*i])).count();
        let out = EvalStep { done: end, total: run.total, correct };
        self.run = Some(EvalRun { done: end, correct, ..run });
        to_js(&out)
    }

    /// The masking experiment on the first `n` test images (BagNet `bag_id` picks the patches, `cnn_id` is
    /// compared) for each k in `ks`: `[{k, bagnet, cnn, bagnet_random, cnn_random, correlation}, ...]`
    /// (`labs::bagnet::MaskResult`; accuracies as fractions).
    #[wasm_bindgen(unchecked_return_type = "BagnetMaskResult[]")]
    pub fn mask_experiment(&self, bag_id: &str, cnn_id: &str, n: usize, ks: &[u32], seed: u32) -> Result<JsValue, JsError> {
        let b = self.bagnet(bag_id)?;
        let c = match self.model(cnn_id)? {
            Model::Cnn(c) => c,
            Model::BagNet(_) => return Err(js_err(Error::range("model", format!("`{cnn_id}` is not the CNN")))),
        };
        let ks: Vec<usize> = ks.iter().map(|&k| k as usize).collect();
        to_js(&bag::mask_experiment(b, c, &self.test, n.max(1), &ks, u64::from(seed)).map_err(js_err)?)
    }
}
