//! The `molecules` lab's facade: a GA+D run driven from the page in small steps. The GA asks for chemistry
//! (`needs`), the page answers with RDKit MinimalLib's numbers (`provide`), and `step` goes on until the next
//! generation is done. SELFIES encoding and decoding for the SMILES box. No math here: see
//! `crate::labs::molecules`.

use wasm_bindgen::prelude::*;

use super::{js_err, to_js};
use crate::labs::molecules::ga::{Ga, GaConfig, RdkitMol};
use crate::labs::molecules::selfies;
use crate::Error;

/// One session: the reference set, the SA table and at most one run.
/// How far a run is (TypeScript `MoleculesProgress` in `results.d.ts`).
#[derive(serde::Serialize)]
struct Progress {
    done: usize,
    planned: usize,
    finished: bool,
}

#[wasm_bindgen]
pub struct MoleculesLab {
    reference: Vec<String>,
    sa_table: Vec<f64>,
    run: Option<Ga>,
}

fn no_run() -> JsError {
    js_err(Error::range("molecules run", "no run has been started (call start first)"))
}

#[wasm_bindgen]
impl MoleculesLab {
    /// `reference_smi`: one SMILES per line (the shipped MOSES subset); `sa_table_json`: `sa_folded_2048.json`.
    /// Throws when either file is not what it should be.
    #[wasm_bindgen(constructor)]
    pub fn new(reference_smi: &[u8], sa_table_json: &[u8]) -> Result<MoleculesLab, JsError> {
        console_error_panic_hook::set_once();
        let text = std::str::from_utf8(reference_smi).map_err(|e| js_err(Error::format("reference SMILES", e.to_string())))?;
        let reference: Vec<String> = text.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect();
        let v: serde_json::Value = serde_json::from_slice(sa_table_json).map_err(|e| js_err(Error::format("SA table", e.to_string())))?;
        let sa_table: Vec<f64> = v["scores"]
            .as_array()
            .ok_or_else(|| js_err(Error::format("SA table", "no 'scores' array")))?
            .iter()
            .map(|x| x.as_f64().unwrap_or(-4.0))
            .collect();
        if reference.is_empty() || sa_table.len() != crate::labs::molecules::ga::MORGAN_BITS {
            return Err(js_err(Error::format("molecules data", "need reference SMILES and a 2048-entry SA table")));
        }
        Ok(MoleculesLab { reference, sa_table, run: None })
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
        let props = answers.iter().map(|a| a.as_ref().map(|m| m.props(&self.sa_table))).collect();
        self.run.as_mut().ok_or_else(no_run)?.provide(&smiles, props).map_err(js_err)
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
