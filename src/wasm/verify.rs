//! The `verify` lab's facade (CROWN-IBP): one model and the 2,000 MNIST test digits, with small calls the page drives
//! in chunks so it can show progress and cancel.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::{js_err, to_js};
use crate::data::mnist::Mnist;
use crate::labs::verify::{pgd, pgd_count, verify_counts, LowerSlope, Method, Net, Op, Verifiable};
use crate::nd;
use crate::nn::layers::argmax_rows;
use crate::nn::Mlp;
use crate::Error;

/// [`VerifyLab::model_info`] (`VerifyModelInfo` in results.d.ts).
#[derive(Serialize)]
struct ModelInfo {
    /// The file's `id` and `label` metadata (null when absent).
    name: Option<String>,
    label: Option<String>,
    /// `mlp` or `cnn`.
    arch: &'static str,
    /// Widths: the input, then every affine layer's outputs.
    dims: Vec<usize>,
    /// The conv net's layer maps (empty for an MLP).
    ops: Vec<Op>,
    /// The ε the model was trained at (null when the file does not say).
    train_eps: Option<f32>,
    params: usize,
}

/// A verified-robustness lab session: a loaded model (an MLP or a conv net) and the test digits.
#[wasm_bindgen]
pub struct VerifyLab {
    model: Box<dyn Verifiable>,
    info: ModelInfo,
    x: Vec<f32>,
    bytes: Vec<u8>,
    labels: Vec<u8>,
    slope: LowerSlope,
}

fn parse_method(s: &str) -> Result<Method, JsError> {
    s.parse::<Method>().map_err(js_err)
}

fn check_beta(beta: f32) -> Result<(), JsError> {
    if beta.is_finite() && (0.0..=1.0).contains(&beta) {
        Ok(())
    } else {
        Err(js_err(Error::range("beta", format!("{beta} must be in [0, 1]"))))
    }
}

#[wasm_bindgen]
impl VerifyLab {
    /// Loads a model (safetensors bytes from `www/models/`) and the MNIST subset (`mnist-10k.safetensors.gz`).
    /// Throws with a message naming the problem when either is corrupt or the model does not take 784 inputs and
    /// give 10 classes.
    #[wasm_bindgen(constructor)]
    pub fn new(model_bytes: &[u8], data_gz: &[u8]) -> Result<VerifyLab, JsError> {
        console_error_panic_hook::set_once();
        let arch = crate::io::load(model_bytes).map_err(js_err)?.metadata().get("arch").cloned().unwrap_or_default();
        let (model, meta, dims, params, ops): (Box<dyn Verifiable>, _, Vec<usize>, usize, Vec<Op>) = if arch == "net" {
            let (m, meta) = Net::from_safetensors(model_bytes).map_err(js_err)?;
            let mut dims = vec![m.inputs()];
            dims.extend(m.layers.iter().map(|l| l.no()));
            let params = m.param_sizes().iter().sum();
            let ops = m.layers.iter().map(|l| l.op.clone()).collect();
            (Box::new(m), meta, dims, params, ops)
        } else {
            let (m, meta) = Mlp::from_safetensors(model_bytes).map_err(js_err)?;
            let (dims, params) = (m.dims.clone(), m.param_sizes().iter().sum());
            (Box::new(m), meta, dims, params, Vec::new())
        };
        if model.n_inputs() != 784 || model.n_classes() != 10 {
            return Err(js_err(Error::Model(format!("this lab needs 784 inputs and 10 classes; the file has widths {dims:?}"))));
        }
        let data = Mnist::from_gz_bytes(data_gz).map_err(js_err)?;
        let idx: Vec<usize> = (0..data.test.n).collect();
        let x = data.test.batch_f32(&idx);
        let info = ModelInfo {
            name: meta.get("id").cloned(),
            label: meta.get("label").cloned(),
            arch: if arch == "net" { "cnn" } else { "mlp" },
            dims,
            ops,
            train_eps: meta.get("train_eps").and_then(|s| s.parse::<f32>().ok()),
            params,
        };
        Ok(VerifyLab { model, info, x, bytes: data.test.images.clone(), labels: data.test.labels.clone(), slope: LowerSlope::Adaptive })
    }

    /// CROWN's lower line for unstable ReLUs in later calls: `adaptive` (the paper's, default), `zero`, `one` or
    /// `parallel` (see `LowerSlope`). Throws on an unknown name.
    pub fn set_lower_slope(&mut self, name: &str) -> Result<(), JsError> {
        self.slope = name.parse::<LowerSlope>().map_err(js_err)?;
        Ok(())
    }

    /// Number of test digits (2,000).
    pub fn n_test(&self) -> usize {
        self.labels.len()
    }

    fn check_index(&self, i: usize) -> Result<(), JsError> {
        if i < self.labels.len() {
            Ok(())
        } else {
            Err(js_err(Error::range("digit index", format!("{i} is not below {}", self.labels.len()))))
        }
    }

    fn check_range(&self, start: usize, end: usize) -> Result<(), JsError> {
        if start <= end && end <= self.labels.len() {
            Ok(())
        } else {
            Err(js_err(Error::range("digit range", format!("[{start}, {end}) is not inside [0, {})", self.labels.len()))))
        }
    }

    /// Test digits `[start, end)` as a (end - start) x 784 view (the range is checked by the caller).
    fn rows(&self, start: usize, end: usize) -> Result<ndarray::ArrayView2<'_, f32>, JsError> {
        nd::view("verify digits", &self.x[start * 784..end * 784], (end - start, 784)).map_err(js_err)
    }

    /// True label (0..9) of test digit `i`.
    pub fn label(&self, i: usize) -> Result<u8, JsError> {
        self.check_index(i)?;
        Ok(self.labels[i])
    }

    /// The 784 pixel bytes (28 x 28, row-major) of test digit `i`.
    pub fn digit(&self, i: usize) -> Result<Vec<u8>, JsError> {
        self.check_index(i)?;
        Ok(self.bytes[i * 784..(i + 1) * 784].to_vec())
    }

    /// The model's name, label, arch (`mlp` or `cnn`), layer widths, conv ops, train epsilon and parameter count.
    #[wasm_bindgen(unchecked_return_type = "VerifyModelInfo")]
    pub fn model_info(&self) -> Result<JsValue, JsError> {
        to_js(&self.info)
    }

    /// The 10 clean logits of test digit `i`.
    pub fn logits(&self, i: usize) -> Result<Vec<f32>, JsError> {
        self.check_index(i)?;
        self.model.logits_of(self.rows(i, i + 1)?).map(nd::into_vec).map_err(js_err)
    }

    /// Margin bounds of test digit `i` for `m_j = z_y - z_j` over the L-inf ball of radius `eps` (clamped to
    /// `[0, 1]`): 30 floats, `[lower(10), upper(10), clean(10)]`; entry y is 0. `method`: `ibp`, `crown` or
    /// `crown-ibp`; `beta` in `[0, 1]` mixes CROWN-IBP with IBP (CROWN-IBP only).
    pub fn digit_bounds(&self, i: usize, eps: f32, method: &str, beta: f32) -> Result<Vec<f32>, JsError> {
        self.check_index(i)?;
        check_beta(beta)?;
        let method = parse_method(method)?;
        let x = self.rows(i, i + 1)?;
        let y = self.labels[i];
        let (lo, up) = self.model.bounds(x, &[y], eps, method, beta, self.slope).map_err(js_err)?;
        let z = nd::into_vec(self.model.logits_of(x).map_err(js_err)?);
        let mut out = nd::into_vec(lo);
        out.extend(up);
        out.extend(z.iter().map(|&zj| z[y as usize] - zj));
        Ok(out)
    }

    /// PGD on test digit `i`: 794 floats, `[adversarial margins(10), adversarial image(784) in [0, 1]]`.
    /// `steps` is capped at 500.
    pub fn pgd_digit(&self, i: usize, eps: f32, steps: usize, seed: u32) -> Result<Vec<f32>, JsError> {
        self.check_index(i)?;
        let x = self.rows(i, i + 1)?;
        let y = self.labels[i];
        let (adv, _) = pgd(&*self.model, x, &[y], i, eps, steps.min(500), seed as u64).map_err(js_err)?;
        let z = nd::into_vec(self.model.logits_of(adv.view()).map_err(js_err)?);
        let mut out: Vec<f32> = z.iter().map(|&zj| z[y as usize] - zj).collect();
        out.extend(adv);
        Ok(out)
    }

    /// Over test digits `[start, end)`: `[n, clean errors, verified errors]` (verified error: misclassified or not
    /// verified by `method` at `eps`).
    pub fn verify_range(&self, start: usize, end: usize, eps: f32, method: &str, beta: f32) -> Result<Vec<u32>, JsError> {
        self.check_range(start, end)?;
        check_beta(beta)?;
        let method = parse_method(method)?;
        let chunk = if method == Method::Crown { 8 } else { 64 };
        let c = verify_counts(&*self.model, self.rows(start, end)?, &self.labels[start..end], eps, method, beta, self.slope, chunk).map_err(js_err)?;
        Ok(vec![c.n, c.clean_err, c.verified_err])
    }

    /// Over test digits `[start, end)`: `[n, PGD errors]` (misclassified clean or by any PGD iterate). Each digit's
    /// random start is seeded by `(seed, its index)`, so any split of the test set gives the same total.
    pub fn pgd_range(&self, start: usize, end: usize, eps: f32, steps: usize, seed: u32) -> Result<Vec<u32>, JsError> {
        self.check_range(start, end)?;
        let n = end - start;
        let tot = pgd_count(&*self.model, self.rows(start, end)?, &self.labels[start..end], start, eps, steps.min(500), seed as u64).map_err(js_err)? as u32;
        Ok(vec![n as u32, tot])
    }

    /// Clean predictions of digits `[start, end)` (for the digit picker).
    pub fn predictions(&self, start: usize, end: usize) -> Result<Vec<u8>, JsError> {
        self.check_range(start, end)?;
        let z = self.model.logits_of(self.rows(start, end)?).map_err(js_err)?;
        Ok(argmax_rows(z.view()).into_iter().map(|p| p as u8).collect())
    }
}
