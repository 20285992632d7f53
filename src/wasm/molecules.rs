//! The `molecules` lab's facade: a GA+D run driven from the page in small steps. The GA asks for chemistry
//! (`needs`), the page answers with RDKit MinimalLib's numbers (`provide`), and `step` goes on until the next
//! generation is done. SELFIES encoding and decoding for the SMILES box. No math here: see
//! `crate::labs::molecules`.

use wasm_bindgen::prelude::*;

use super::{js_err, to_js};
use crate::labs::molecules::ga::{Ga, GaConfig, RdkitMol};
use crate::labs::molecules::sa::FragmentTable;
use crate::labs::molecules::selfies;
use crate::Error;

/// How far a run is (TypeScript `MoleculesProgress` in `results.d.ts`).
#[derive(serde::Serialize)]
struct Progress {
    done: usize,
    planned: usize,
    finished: bool,
}

/// One session: the reference set, the SA table and at most one run.
/// What [`MoleculesLab::advance`] did (TypeScript `MoleculesAdvance` in `results.d.ts`).
#[derive(serde::Serialize)]
struct Advance {
    /// The generation that finished, if one did.
    generation: Option<crate::labs::molecules::ga::GenStats>,
    /// SMILES to answer in the next call.
    needs: Vec<String>,
    done: usize,
    finished: bool,
}

#[wasm_bindgen]
pub struct MoleculesLab {
    reference: Vec<String>,
    sa_table: Option<FragmentTable>,
    run: Option<Ga>,
}

fn no_run() -> JsError {
    js_err(Error::range("molecules run", "no run has been started (call start first)"))
}

#[wasm_bindgen]
impl MoleculesLab {
    /// `reference_smi`: one SMILES per line (the shipped MOSES subset). Throws when it holds no SMILES.
    #[wasm_bindgen(constructor)]
    pub fn new(reference_smi: &[u8]) -> Result<MoleculesLab, JsError> {
        console_error_panic_hook::set_once();
        let text = std::str::from_utf8(reference_smi).map_err(|e| js_err(Error::format("reference SMILES", e.to_string())))?;
        let reference: Vec<String> = text.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect();
        if reference.is_empty() {
            return Err(js_err(Error::format("molecules data", "the reference SMILES file holds no SMILES")));
        }
        Ok(MoleculesLab { reference, sa_table: None, run: None })
    }

    /// Loads RDKit's SA fragment table (`sa_fpscores.bin`, fetched with MinimalLib on first use); returns how many
    /// fragment ids it holds. Throws on a file that is not that table.
    pub fn load_sa_table(&mut self, bytes: &[u8]) -> Result<usize, JsError> {
        let t = FragmentTable::from_bytes(bytes).map_err(js_err)?;
        let n = t.len();
        self.sa_table = Some(t);
        Ok(n)
    }

    /// The SA score of one chemistry answer (what `provide` uses), e.g. to check the page against `sascorer.py`.
    pub fn sa(&self, #[wasm_bindgen(unchecked_param_type = "MoleculesRdkitMol")] answer: JsValue) -> Result<f64, JsError> {
        let m: RdkitMol = serde_wasm_bindgen::from_value(answer).map_err(|e| js_err(Error::format("chemistry answer", e.to_string())))?;
        Ok(m.props(self.table()?).map_err(js_err)?.sa)
    }

    fn table(&self) -> Result<&FragmentTable, JsError> {
        self.sa_table.as_ref().ok_or_else(|| js_err(Error::range("SA table", "not loaded (call load_sa_table with sa_fpscores.bin first)")))
    }

    /// SMILES -> SELFIES (as `selfies.encoder`); throws with the reason for SMILES it cannot read.
    pub fn encode(&self, smiles: &str) -> Result<String, JsError> {
        selfies::encode(smiles).map_err(js_err)
    }

    /// SELFIES -> SMILES (as `selfies.decoder`).
    pub fn decode(&self, selfies: &str) -> Result<String, JsError> {
        selfies::decode(selfies).map_err(js_err)
    }

    /// Starts a run with `settings` (an object with any of `GaConfig`'s fields, the others default; TypeScript
    /// `MoleculesSettings`); `reference` caps the reference set size.
    pub fn start(&mut self, #[wasm_bindgen(unchecked_param_type = "MoleculesSettings")] settings: JsValue, reference: usize) -> Result<(), JsError> {
        let cfg: GaConfig = serde_wasm_bindgen::from_value(settings).map_err(|e| js_err(Error::format("molecules settings", e.to_string())))?;
        let n = reference.clamp(1, self.reference.len());
        self.run = Some(Ga::new(cfg, self.reference[..n].to_vec()).map_err(js_err)?);
        Ok(())
    }

    /// SMILES the run waits for (answer them with `provide`, in this order).
    pub fn needs(&self) -> Result<Vec<String>, JsError> {
        Ok(self.run.as_ref().ok_or_else(no_run)?.needs())
    }

    /// Answers for `smiles`: an array with one `RdkitMol` record, or `null` (RDKit could not read it), per SMILES.
    pub fn provide(&mut self, smiles: Vec<String>, #[wasm_bindgen(unchecked_param_type = "(MoleculesRdkitMol | null)[]")] answers: JsValue) -> Result<(), JsError> {
        let answers: Vec<Option<RdkitMol>> =
            serde_wasm_bindgen::from_value(answers).map_err(|e| js_err(Error::format("chemistry answers", e.to_string())))?;
        if let Some((smi, _)) = smiles.iter().zip(&answers).find(|(_, a)| a.as_ref().is_some_and(|m| !m.logp.is_finite() || m.descriptors.iter().any(|d| !d.is_finite()))) {
            return Err(js_err(Error::format("chemistry answers", format!("RDKit gave a non-finite logP or descriptor for {smi}"))));
        }
        let table = self.table()?;
        let props = answers.iter().map(|a| a.as_ref().map(|m| m.props(table)).transpose()).collect::<crate::Result<Vec<_>>>().map_err(js_err)?;
        self.run.as_mut().ok_or_else(no_run)?.provide(&smiles, props).map_err(js_err)
    }

    /// One round trip instead of `provide`, `step`, `needs` and `progress`: stores the answers for `smiles` (both
    /// may be empty), goes on until chemistry is needed or a generation is done, and returns
    /// `{ generation: MoleculesGeneration | null, needs, done, finished }`.
    #[wasm_bindgen(unchecked_return_type = "MoleculesAdvance")]
    pub fn advance(&mut self, smiles: Vec<String>, #[wasm_bindgen(unchecked_param_type = "(MoleculesRdkitMol | null)[]")] answers: JsValue) -> Result<JsValue, JsError> {
        if !smiles.is_empty() {
            self.provide(smiles, answers)?;
        }
        let r = self.run.as_mut().ok_or_else(no_run)?;
        let generation = r.step().map_err(js_err)?;
        to_js(&Advance { generation, needs: r.needs(), done: r.generation(), finished: r.finished() })
    }

    /// Goes on until chemistry is needed or a generation is done: the generation's `GenStats`, or `null`.
    #[wasm_bindgen(unchecked_return_type = "MoleculesGeneration | null")]
    pub fn step(&mut self) -> Result<JsValue, JsError> {
        let s = self.run.as_mut().ok_or_else(no_run)?.step().map_err(js_err)?;
        to_js(&s)
    }

    /// `{ done, planned, finished }`: generations done and planned, and whether the run is over.
    #[wasm_bindgen(unchecked_return_type = "MoleculesProgress")]
    pub fn progress(&self) -> Result<JsValue, JsError> {
        let r = self.run.as_ref().ok_or_else(no_run)?;
        to_js(&Progress { done: r.generation(), planned: r.cfg.generations, finished: r.finished() })
    }

    /// Drops the run (cancel).
    pub fn stop(&mut self) {
        self.run = None;
    }
}
