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

    /// Starts a run with settings (JSON with any of `GaConfig`'s fields; `reference` caps the reference set size).
    pub fn start(&mut self, settings: &str, reference: usize) -> Result<(), JsError> {
        let cfg: GaConfig = serde_json::from_str(settings).map_err(|e| js_err(Error::format("molecules settings", e.to_string())))?;
        let n = reference.clamp(1, self.reference.len());
        self.run = Some(Ga::new(cfg, self.reference[..n].to_vec()).map_err(js_err)?);
        Ok(())
    }

    /// SMILES the run waits for (answer them with `provide`, in this order).
    pub fn needs(&self) -> Result<Vec<String>, JsError> {
        Ok(self.run.as_ref().ok_or_else(no_run)?.needs())
    }

    /// Answers for `smiles`: a JSON array with one `RdkitMol` or `null` (RDKit could not read it) per SMILES.
    pub fn provide(&mut self, smiles: Vec<String>, answers_json: &str) -> Result<(), JsError> {
        let answers: Vec<Option<RdkitMol>> =
            serde_json::from_str(answers_json).map_err(|e| js_err(Error::format("chemistry answers", e.to_string())))?;
        let props = answers.iter().map(|a| a.as_ref().map(|m| m.props(&self.sa_table))).collect();
        self.run.as_mut().ok_or_else(no_run)?.provide(&smiles, props).map_err(js_err)
    }

    /// Goes on until chemistry is needed or a generation is done: the generation's `GenStats`, or `null`.
    #[wasm_bindgen(unchecked_return_type = "MoleculesGeneration | null")]
    pub fn step(&mut self) -> Result<JsValue, JsError> {
        let s = self.run.as_mut().ok_or_else(no_run)?.step().map_err(js_err)?;
        to_js(&s)
    }

    /// `[generations done, generations planned, finished (0/1)]`.
    pub fn progress(&self) -> Result<Vec<f64>, JsError> {
        let r = self.run.as_ref().ok_or_else(no_run)?;
        Ok(vec![r.generation() as f64, r.cfg.generations as f64, if r.finished() { 1.0 } else { 0.0 }])
    }

    /// Drops the run (cancel).
    pub fn stop(&mut self) {
        self.run = None;
    }
}
