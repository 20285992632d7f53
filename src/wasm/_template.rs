//! The template lab's facade (`make new-lab` copies it): one `#[wasm_bindgen]` struct, a constructor that sets the
//! panic hook, and small methods — bulk data out as typed arrays, small records as typed objects
//! (serde-wasm-bindgen), errors as `JsError` with the library's message. No math here.

use ndarray::ArrayView1;
use wasm_bindgen::prelude::*;

use super::{js_err, to_js};
use crate::labs::_template::{grid, logistic, MonteCarlo};

/// The template lab's session in the worker: the plotting grid and at most one Monte-Carlo run.
#[wasm_bindgen]
pub struct TemplateLab {
    xs: Vec<f32>,
    run: Option<MonteCarlo>,
}

#[wasm_bindgen]
impl TemplateLab {
    /// A session plotting on `n` grid points (≥ 2). Real labs take their model and data bytes here.
    #[wasm_bindgen(constructor)]
    pub fn new(n: usize) -> Result<TemplateLab, JsError> {
        console_error_panic_hook::set_once();
        Ok(TemplateLab { xs: grid(n).map_err(js_err)?.to_vec(), run: None })
    }

    /// The grid x values (N floats).
    pub fn xs(&self) -> Vec<f32> {
        self.xs.clone()
    }

    /// σ(k·x) on the grid (N floats). Throws if k is outside [0.1, 10].
    pub fn curve(&self, k: f32) -> Result<Vec<f32>, JsError> {
        Ok(logistic(k, ArrayView1::from(&self.xs[..])).map_err(js_err)?.to_vec())
    }

    /// Starts a Monte-Carlo run of `total` samples (replacing any previous run); returns the total.
    pub fn start(&mut self, k: f32, total: u32, seed: u32) -> Result<u32, JsError> {
        self.run = Some(MonteCarlo::new(k, u64::from(total), u64::from(seed)).map_err(js_err)?);
        Ok(total)
    }

    /// Draws up to `n` more samples; returns `{ samples, fraction, std_error, exact, finished }`.
    #[wasm_bindgen(unchecked_return_type = "TemplateStep")]
    pub fn step(&mut self, n: u32) -> Result<JsValue, JsError> {
        let run = self.run.as_mut().ok_or_else(|| JsError::new("no run: call start first"))?;
        let est = run.step(u64::from(n));
        let finished = run.finished();
        to_js(&StepOut { est, finished })
    }
}

#[derive(serde::Serialize)]
struct StepOut {
    #[serde(flatten)]
    est: crate::labs::_template::Estimate,
    finished: bool,
}
