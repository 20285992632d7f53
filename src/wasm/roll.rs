//! The `roll` lab's facade (Robust locally linear networks): a toy 2-D net the page trains in small steps (plain or
//! with the ROLL loss), its linear-region map on a grid, a clicked point's ℓ1/ℓ2/ℓ∞ margins; and shipped digit
//! models with the margins and gradient map of one digit. No math here: see `crate::labs::roll`.

use std::collections::BTreeMap;

use wasm_bindgen::prelude::*;

use super::{js_err, to_js};
use crate::data::mnist::Mnist;
use crate::labs::roll::toy::{make, Toy, ToyConfig, ToyTrainer};
use crate::labs::roll::{margins, neuron_gradients, quantiles, region_map, RegionMap, RollConfig};
use crate::nn::Mlp;
use crate::Error;

/// A lab session: the toy trainer (data + net + Adam), the last region map, and any digit models loaded.
#[wasm_bindgen]
pub struct RollLab {
    toy: ToyTrainer,
    map: Option<RegionMap>,
    digits: Option<Mnist>,
    models: BTreeMap<String, Mlp>,
}

/// A margin or distance for the page: `None` (JS `null`) for `+∞` (no neuron constrains the region).
fn finite(v: [f32; 3]) -> [Option<f32>; 3] {
    v.map(|x| x.is_finite().then_some(x))
}

/// `RollLab::step`'s record (`RollStep` in results.d.ts).
#[derive(serde::Serialize)]
struct StepOut {
    loss: crate::labs::roll::RollLoss,
    iter: usize,
}

/// `RollLab::point_margins`'s record (`RollPointMargins`).
#[derive(serde::Serialize)]
struct PointOut {
    eps: [Option<f32>; 3],
    decision: [Option<f32>; 3],
    class: usize,
    argmin: [Option<usize>; 3],
    grad: [f32; 2],
}

/// `RollLab::digit_margins`'s record (`RollDigitMargins`).
#[derive(serde::Serialize)]
struct DigitOut {
    label: u8,
    class: usize,
    eps: [Option<f32>; 3],
    decision: [Option<f32>; 3],
}

#[wasm_bindgen]
impl RollLab {
    /// A session with the default toy problem (spirals, 200 points, a 2-16-16-16-2 net, plain training).
    #[wasm_bindgen(constructor)]
    pub fn new() -> Result<RollLab, JsError> {
        console_error_panic_hook::set_once();
        let (x, y) = make(Toy::Spirals, 200, 0.03, 1).map_err(js_err)?;
        let toy = ToyTrainer::new(ToyConfig::default(), x, y).map_err(js_err)?;
        Ok(RollLab { toy, map: None, digits: None, models: BTreeMap::new() })
    }

    /// A fresh net and data set: `dataset` one of spirals/circles/xor/moons, `n` points (2..=10000) with Gaussian
    /// `noise`, `data_seed` for the points, `depth` hidden layers (1..=8) of `width` units (1..=64, at most 256 in
    /// all), `seed` for the initialisation. The ROLL settings and the step size are kept.
    #[allow(clippy::too_many_arguments)]
    pub fn reset(&mut self, dataset: &str, n: usize, noise: f32, data_seed: u32, width: usize, depth: usize, seed: u32) -> Result<(), JsError> {
        let kind = Toy::parse(dataset).map_err(js_err)?;
        let (x, y) = make(kind, n, noise, u64::from(data_seed)).map_err(js_err)?;
        let cfg = ToyConfig { hidden: vec![width; depth], seed: u64::from(seed), ..self.toy.cfg.clone() };
        self.toy = ToyTrainer::new(cfg, x, y).map_err(js_err)?;
        self.map = None;
        Ok(())
    }

    /// Sets λ (≥ 0), γ (percent, in (0, 100]) and C (> 0) for the next steps.
    pub fn set_roll(&mut self, lambda: f32, gamma: f32, c: f32) -> Result<(), JsError> {
        let r = RollConfig { lambda, c, gamma };
        r.validate().map_err(js_err)?;
        self.toy.cfg.roll = r;
        Ok(())
    }

    /// Sets Adam's step size (in (0, 1]).
    pub fn set_lr(&mut self, lr: f32) -> Result<(), JsError> {
        if !(lr > 0.0 && lr <= 1.0) {
            return Err(js_err(Error::range("learning rate", format!("{lr} must be in (0, 1]"))));
        }
        self.toy.cfg.lr = lr;
        Ok(())
    }

    /// `n` Adam steps (1..=1000) on all points; the last step's loss `{ce, roll, total, acc, min_margin}` and
    /// `iter`, the steps taken so far.
    #[wasm_bindgen(unchecked_return_type = "RollStep")]
    pub fn step(&mut self, n: usize) -> Result<JsValue, JsError> {
        let loss = self.toy.step(n).map_err(js_err)?;
        to_js(&StepOut { loss, iter: self.toy.iter })
    }

    /// Adds a point at `(x, y)` with class `label` (0 or 1).
    pub fn add_point(&mut self, x: f32, y: f32, label: u8) -> Result<(), JsError> {
        let (mut xs, mut ys) = (self.toy.x.clone(), self.toy.y.clone());
        xs.extend([x, y]);
        ys.push(label);
        self.toy.set_data(xs, ys).map_err(js_err)
    }

    /// The points, n x 2 (x, y interleaved).
    pub fn points(&self) -> Vec<f32> {
        self.toy.x.clone()
    }

    /// The labels, n values of 0 or 1.
    pub fn labels(&self) -> Vec<u8> {
        self.toy.y.clone()
    }

    /// The region map of the current net on a `g` x `g` grid (1..=1024) over `[lo_x, hi_x] x [lo_y, hi_y]`, row 0
    /// at the top: returns the g² region ids (0, 1, ... by first appearance); [`RollLab::region_score`] and
    /// [`RollLab::region_hashes`] give the rest of the same map.
    pub fn region_map(&mut self, g: usize, lo_x: f32, lo_y: f32, hi_x: f32, hi_y: f32) -> Result<Vec<u32>, JsError> {
        let m = region_map(&self.toy.mlp, [lo_x, lo_y], [hi_x, hi_y], g).map_err(js_err)?;
        let ids = m.ids.clone();
        self.map = Some(m);
        Ok(ids)
    }

    /// `f_1 - f_0` at every cell of the last region map (empty before the first).
    pub fn region_score(&self) -> Vec<f32> {
        self.map.as_ref().map(|m| m.score.clone()).unwrap_or_default()
    }

    /// One 32-bit hash of the activation pattern per region id of the last map (stable colours while training).
    pub fn region_hashes(&self) -> Vec<u32> {
        self.map.as_ref().map(|m| m.hashes.clone()).unwrap_or_default()
    }

    /// The margins of the current toy net at `(x, y)`: `{eps: [ε̂_1, ε̂_2, ε̂_∞], decision: [...], class,
    /// argmin: [...], grad: [∂(f_1 - f_0)/∂x, ∂/∂y]}` (`null` for an infinite margin or no constraining neuron).
    #[wasm_bindgen(unchecked_return_type = "RollPointMargins")]
    pub fn point_margins(&self, x: f32, y: f32) -> Result<JsValue, JsError> {
        let lin = neuron_gradients(&self.toy.mlp, (&[x, y][..]).into()).map_err(js_err)?;
        let m = margins(&lin);
        let grad = [lin.logit_grad[2] - lin.logit_grad[0], lin.logit_grad[3] - lin.logit_grad[1]];
        let argmin = m.argmin.map(|a| (a != usize::MAX).then_some(a));
        to_js(&PointOut { eps: finite(m.eps), decision: finite(m.decision), class: m.class, argmin, grad })
    }

    /// Median ε̂_1, ε̂_2, ε̂_∞ over the toy points (3 values; `Infinity` where a point's region is unbounded).
    pub fn median_margins(&self) -> Result<Vec<f32>, JsError> {
        let mut cols = [Vec::new(), Vec::new(), Vec::new()];
        for p in self.toy.x.chunks(2) {
            let e = margins(&neuron_gradients(&self.toy.mlp, p.into()).map_err(js_err)?).eps;
            for t in 0..3 {
                cols[t].push(e[t]);
            }
        }
        Ok(cols.iter().map(|c| quantiles(c).p50 as f32).collect())
    }

    /// Loads the digits (the bytes of `mnist-10k.safetensors.gz`); returns the number of test digits.
    pub fn load_digits(&mut self, data_gz: &[u8]) -> Result<usize, JsError> {
        let d = Mnist::from_gz_bytes(data_gz).map_err(js_err)?;
        let n = d.test.n;
        self.digits = Some(d);
        Ok(n)
    }

    /// Loads a digit model written by `paperlab train roll` under the name `id`.
    pub fn load_model(&mut self, id: &str, bytes: &[u8]) -> Result<(), JsError> {
        let (m, _) = Mlp::from_safetensors(bytes).map_err(js_err)?;
        if m.inputs() != 784 || m.classes() != 10 {
            return Err(js_err(Error::Model(format!("a digit model needs 784 inputs and 10 classes, this one has dims {:?}", m.dims))));
        }
        self.models.insert(id.to_string(), m);
        Ok(())
    }

    /// Test digit `i` as 784 pixels in [0, 1] (row-major 28 x 28).
    pub fn digit(&self, i: usize) -> Result<Vec<f32>, JsError> {
        let d = self.test_digits(i)?;
        Ok(d.test.image_f32(i))
    }

    /// Model `id` on test digit `i`: `{label, class, eps: [ε̂_1, ε̂_2, ε̂_∞], decision: [...]}` (`null` for +∞).
    #[wasm_bindgen(unchecked_return_type = "RollDigitMargins")]
    pub fn digit_margins(&self, id: &str, i: usize) -> Result<JsValue, JsError> {
        let d = self.test_digits(i)?;
        let lin = neuron_gradients(self.model(id)?, (&d.test.image_f32(i)[..]).into()).map_err(js_err)?;
        let m = margins(&lin);
        to_js(&DigitOut { label: d.test.labels[i], class: m.class, eps: finite(m.eps), decision: finite(m.decision) })
    }

    /// The gradient of model `id`'s logit for class `class` (0..=9) with respect to the 784 pixels of test digit
    /// `i`: constant over the digit's linear region (saliency map).
    pub fn digit_gradient(&self, id: &str, i: usize, class: usize) -> Result<Vec<f32>, JsError> {
        let d = self.test_digits(i)?;
        if class >= 10 {
            return Err(js_err(Error::range("class", format!("{class} must be 0..=9"))));
        }
        let lin = neuron_gradients(self.model(id)?, (&d.test.image_f32(i)[..]).into()).map_err(js_err)?;
        Ok(lin.logit_grad[class * 784..(class + 1) * 784].to_vec())
    }
}

impl RollLab {
    fn test_digits(&self, i: usize) -> Result<&Mnist, JsError> {
        let d = self.digits.as_ref().ok_or_else(|| js_err(Error::range("digits", "not loaded: call load_digits first")))?;
        if i >= d.test.n {
            return Err(js_err(Error::range("digit", format!("{i} is not below the {} test digits", d.test.n))));
        }
        Ok(d)
    }

    fn model(&self, id: &str) -> Result<&Mlp, JsError> {
        self.models.get(id).ok_or_else(|| js_err(Error::range("model", format!("'{id}' is not loaded: call load_model first"))))
    }
}
