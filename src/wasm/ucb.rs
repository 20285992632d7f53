//! The `ucb` lab's facade (uncertainty-guided continual learning): the Split MNIST data and one continual-learning
//! run at a time, advanced in small steps the page drives so it can show progress, fill the accuracy matrix cell by
//! cell, and cancel.

use std::sync::Arc;

use wasm_bindgen::prelude::*;

use super::{js_err, to_js};
use crate::data::mnist::Mnist;
use crate::labs::ucb::{Advanced, Config, Criterion, Method, Mode, Run, SplitMnist, HIST_BINS, HIST_HI, HIST_LO, TASKS};
use crate::Error;

/// A continual-learning lab session: the five Split MNIST tasks and the current run (after [`UcbLab::start`]).
#[wasm_bindgen]
pub struct UcbLab {
    data: Arc<SplitMnist>,
    run: Option<Run>,
}

#[wasm_bindgen]
impl UcbLab {
    /// Loads the MNIST subset (`mnist-10k.safetensors.gz`) and cuts it into the five tasks. Throws with a message
    /// naming the problem when the file is corrupt.
    #[wasm_bindgen(constructor)]
    pub fn new(data_gz: &[u8]) -> Result<UcbLab, JsError> {
        console_error_panic_hook::set_once();
        let m = Mnist::from_gz_bytes(data_gz).map_err(js_err)?;
        Ok(UcbLab { data: Arc::new(SplitMnist::new(&m)), run: None })
    }

    /// Number of tasks (5).
    pub fn tasks(&self) -> usize {
        TASKS
    }

    /// Training and test images per task: `[train_0, ..., train_4, test_0, ..., test_4]`.
    pub fn task_sizes(&self) -> Vec<u32> {
        self.data.train.iter().chain(&self.data.test).map(|t| t.n() as u32).collect()
    }

    /// Starts a fresh run with the shipped configuration of `method` (`ucb`, `ucb-flat`, `bbb` or `finetune`) and
    /// `mode` (`task` or `class`) and the given seed; the previous run is dropped. Throws on an unknown name.
    pub fn start(&mut self, method: &str, mode: &str, seed: u32) -> Result<(), JsError> {
        let method: Method = method.parse().map_err(js_err)?;
        let mode: Mode = mode.parse().map_err(js_err)?;
        let cfg = Config::default_for(method, mode, u64::from(seed));
        self.run = Some(Run::new(cfg, self.data.clone()).map_err(js_err)?);
        Ok(())
    }

    fn run(&self) -> Result<&Run, JsError> {
        self.run.as_ref().ok_or_else(|| js_err(Error::range("run", "no run started; call start(method, mode, seed) first")))
    }

    /// The current run's configuration (`labs::ucb::Config`). Throws when no run was started.
    #[wasm_bindgen(unchecked_return_type = "UcbConfig")]
    pub fn config(&self) -> Result<JsValue, JsError> {
        to_js(self.run()?.config())
    }

    /// Training steps of the whole run.
    pub fn total_steps(&self) -> Result<usize, JsError> {
        Ok(self.run()?.total_steps())
    }

    /// Does up to `n` training steps (stopping at the end of a task), or evaluates one accuracy-matrix cell when a
    /// task has just finished. Returns 8 numbers: `[kind, task, steps_done, total_steps, cells_done, on, acc, ce]`
    /// where kind is 0 = trained (task, mean cross-entropy `ce`), 1 = evaluated (cell `R[task][on] = acc`, a fraction)
    /// and 2 = the run is complete.
    pub fn step(&mut self, n: usize) -> Result<Vec<f32>, JsError> {
        let run = self.run.as_mut().ok_or_else(|| js_err(Error::range("run", "no run started; call start first")))?;
        let a = run.advance(n.clamp(1, 10_000)).map_err(js_err)?;
        let (done, total, cells) = (run.steps_done() as f32, run.total_steps() as f32, run.cells_done() as f32);
        Ok(match a {
            Advanced::Trained { task, ce, .. } => vec![0.0, task as f32, done, total, cells, f32::NAN, f32::NAN, ce],
            Advanced::Evaluated { after, on, acc } => vec![1.0, after as f32, done, total, cells, on as f32, acc, f32::NAN],
            Advanced::Done => vec![2.0, f32::NAN, done, total, cells, f32::NAN, f32::NAN, f32::NAN],
        })
    }

    /// The accuracy matrix, row-major T x T: `R[t][i]` (fraction) after task t on task i, NaN where not evaluated.
    pub fn matrix(&self) -> Result<Vec<f32>, JsError> {
        Ok(self.run()?.matrix().iter().flatten().copied().collect())
    }

    /// ACC, BWT and the diagonal of the current matrix as a record `{ acc, bwt, learned: [..] }` (fractions; `null`
    /// where not available yet: ACC/BWT until the last row is in, a diagonal cell until evaluated).
    #[wasm_bindgen(unchecked_return_type = "UcbMetrics")]
    pub fn metrics(&self) -> Result<JsValue, JsError> {
        to_js(&crate::labs::ucb::metrics(self.run()?.matrix()))
    }

    /// Sigma histograms after task `after` (0-based; it must be finished): groups (the hidden layers in order, then
    /// the heads trained so far) one after the other, each [`HIST_BINS`] counts of `log10 sigma` over
    /// `[HIST_LO, HIST_HI]`. Empty for the deterministic MLP.
    pub fn hist(&self, after: usize) -> Result<Vec<u32>, JsError> {
        let h = self.run()?.hists();
        let g = h.get(after).ok_or_else(|| js_err(Error::range("task", format!("task {after} is not finished yet"))))?;
        Ok(g.iter().flatten().copied().collect())
    }

    /// `[bins, lo, hi]` of the sigma histograms (log10 sigma).
    pub fn hist_spec(&self) -> Vec<f32> {
        vec![HIST_BINS as f32, HIST_LO, HIST_HI]
    }

    /// Test accuracy (fractions) on each task of the current network with the fraction `ratio` of every weight
    /// matrix pruned, lowest `criterion` first (`snr` = |mu|/sigma, Bayesian methods only; or `magnitude`).
    pub fn prune(&self, ratio: f32, criterion: &str) -> Result<Vec<f32>, JsError> {
        let c: Criterion = criterion.parse().map_err(js_err)?;
        self.run()?.pruned_accuracy(ratio, c).map_err(js_err)
    }
}
