//! The manifests `paperlab train compressive` writes and the page reads (`www/models/compressive/manifest.json`,
//! `www/models/compressive/recall/manifest.json` and the recall models' `ID.json`), as typed records: every field
//! always present, unknown ones refused.

use std::collections::BTreeMap;

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use super::train::TrainConfig;
use super::{Compression, Config, FcLoss};
use crate::error::{Error, Result};

/// A model's sizes as the manifests and the page read them: every field of [`Config`], `fc_loss` included when it
/// is the default (a model file's metadata leaves it out then).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigRecord {
    pub vocab: usize,
    pub d: usize,
    pub heads: usize,
    pub ff: usize,
    pub layers: usize,
    pub seg: usize,
    pub mem: usize,
    pub cmem: usize,
    pub rate: usize,
    pub func: Compression,
    pub fc_loss: FcLoss,
}

impl From<&Config> for ConfigRecord {
    fn from(c: &Config) -> Self {
        let Config { vocab, d, heads, ff, layers, seg, mem, cmem, rate, func, fc_loss } = c.clone();
        ConfigRecord { vocab, d, heads, ff, layers, seg, mem, cmem, rate, func, fc_loss }
    }
}

/// The text setting of the main manifest: the shipped file and its split.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextData {
    pub file: String,
    pub train_chars: usize,
    pub val_chars: usize,
    pub vocab: usize,
}

/// The native-vs-wasm check: characters of the validation text read as one stream (`check_bpc` per model).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub chars: usize,
    pub what: String,
}

/// One shipped language model (seed 1): sizes, validation bits/char, timings, training curve `[step, bits/char]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelEntry {
    pub id: String,
    pub label: String,
    pub file: String,
    pub config: ConfigRecord,
    /// n_m + c n_cm.
    pub temporal_range: usize,
    /// n_m + n_cm.
    pub attention_size: usize,
    pub params: usize,
    /// Validation bits/char (4 decimals).
    pub val_bpc: f64,
    /// Bits/char of the first [`Check::chars`] validation characters read as one stream.
    pub check_bpc: f64,
    pub train_seconds: f64,
    pub eval_seconds: f64,
    pub train_curve: Vec<(usize, f64)>,
}

/// One model's run-to-run spread (other seeds, trained with `--seed S --out DIR`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpreadModel {
    pub seeds: Vec<u64>,
    pub val_bpc: Vec<f64>,
    pub mean: f64,
    pub range: f64,
}

/// The run-to-run spread of a few models (kept from the previous manifest when the models are retrained).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spread {
    /// The commands that measured it.
    pub how: String,
    pub models: BTreeMap<String, SpreadModel>,
    /// The largest `range` of the models.
    pub max_range: f64,
    /// The spread in one sentence.
    pub text: String,
}

/// `www/models/compressive/manifest.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub lab: String,
    pub made_by: String,
    pub data: TextData,
    pub train: TrainConfig,
    pub check: Check,
    pub threads: usize,
    pub models: Vec<ModelEntry>,
    /// Absent until the spread has been measured once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spread: Option<Spread>,
}

/// The recall text of the recall manifest (`recall::generate`'s settings).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecallData {
    pub what: String,
    pub key_run: usize,
    pub d_min: usize,
    pub d_max: usize,
    pub vocab: usize,
    pub train_seed: u64,
    pub train_chars: usize,
    pub heldout_seed: u64,
    pub heldout_chars: usize,
    pub heldout_recalls: usize,
    /// Width of the distance bins of `by_distance`.
    pub bin: usize,
}

/// One seed's run of a recall model: held-out recall bits, training curve `[step, bits/char]` and
/// `by_distance` rows `[bin start, mean bits, recalls]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecallRun {
    pub seed: u64,
    pub recall_bits: f64,
    pub train_seconds: f64,
    pub train_curve: Vec<(usize, f64)>,
    pub by_distance: Vec<(usize, f64, usize)>,
}

/// One recall model (`recall/ID.json`, and an entry of the recall manifest).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecallEntry {
    pub id: String,
    pub label: String,
    pub file: String,
    pub config: ConfigRecord,
    pub temporal_range: usize,
    pub attention_size: usize,
    pub params: usize,
    /// Mean over the seeds of the held-out recall bits (4 decimals).
    pub recall_bits_mean: f64,
    /// Max minus min over the seeds.
    pub recall_bits_spread: f64,
    pub runs: Vec<RecallRun>,
}

/// `www/models/compressive/recall/manifest.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecallManifest {
    pub lab: String,
    /// `"recall"`.
    pub setting: String,
    pub made_by: String,
    pub data: RecallData,
    pub train: TrainConfig,
    pub seeds: Vec<u64>,
    pub threads: usize,
    pub models: Vec<RecallEntry>,
}

/// Parses one of these records from a file's text.
///
/// # Errors
/// [`Error::Format`] naming `what` and the field when the text is not such a record.
pub fn parse<T: DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| Error::format(what, e.to_string()))
}

/// A record's text as the commands write it: keys sorted, two-space indents, a final newline.
pub fn to_text<T: Serialize>(v: &T) -> String {
    let v = serde_json::to_value(v).expect("a manifest serialises");
    serde_json::to_string_pretty(&v).expect("serialises") + "\n"
}
