//! The `ucb` lab's facade (uncertainty-guided continual learning): the Split MNIST data and one continual-learning
//! run at a time, advanced in small steps the page drives so it can show progress, fill the accuracy matrix cell by
//! cell, and cancel.

use std::sync::Arc;

use wasm_bindgen::prelude::*;

use super::{js_err, to_js};
use crate::data::mnist::Mnist;
use crate::labs::ucb::{Advanced, Config, Criterion, Method, Mode, Run, SplitMnist, HIST_BINS, HIST_HI, HIST_LO, TASKS};
use crate::Error;

/// What one [`UcbLab::step`] call did (TypeScript `UcbStep` in `results.d.ts`).
#[derive(serde::Serialize)]
struct UcbStep {
    /// "trained", "evaluated" or "done".
    kind: &'static str,
    /// The task trained, or the row (task just finished) of the evaluated cell; 0-based.
    task: Option<usize>,
    steps_done: usize,
    total_steps: usize,
    cells_done: usize,
    /// The task the evaluated cell measures (its column).
    on: Option<usize>,
    /// The evaluated cell's accuracy, a fraction.
    acc: Option<f32>,
    /// The training steps' mean cross-entropy, nats.
    ce: Option<f32>,
}

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
    /// task has just finished. Returns a [`UcbStep`] record: `kind` "trained" (task `task`, mean cross-entropy `ce`),
    /// "evaluated" (cell `R[task][on] = acc`, a fraction) or "done"; the fields that do not apply are null.
    #[wasm_bindgen(unchecked_return_type = "UcbStep")]
    pub fn step(&mut self, n: usize) -> Result<JsValue, JsError> {
        let run = self.run.as_mut().ok_or_else(|| js_err(Error::range("run", "no run started; call start first")))?;
        let a = run.advance(n.clamp(1, 10_000)).map_err(js_err)?;
        let mut s = UcbStep { kind: "done", task: None, steps_done: run.steps_done(), total_steps: run.total_steps(), cells_done: run.cells_done(), on: None, acc: None, ce: None };
        match a {
            Advanced::Trained { task, ce, .. } => (s.kind, s.task, s.ce) = ("trained", Some(task), Some(ce)),
            Advanced::Evaluated { after, on, acc } => (s.kind, s.task, s.on, s.acc) = ("evaluated", Some(after), Some(on), Some(acc)),
            Advanced::Done => {}
        }
        to_js(&s)
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
