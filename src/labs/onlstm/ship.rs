//! `paperlab train onlstm`: trains the shipped models natively (ON-LSTM at several chunk sizes and the LSTM
//! baseline) and writes `www/models/onlstm/` (weights + manifest with perplexity and parse F1).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::grammar::{splits, CORPUS_SEED, CORPUS_SIZES, VOCAB};
use super::model::{evaluate, LmConfig, TrainConfig, Trainer};
use super::baseline_f1;
use crate::error::{Error, Result};
use crate::labs::cli::Args;

/// `www/models/onlstm/manifest.json`, what the page reads (every field always present).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// `"onlstm"`.
    pub lab: String,
    /// The command that wrote it.
    pub made_by: String,
    /// The generated corpus.
    pub data: DataInfo,
    /// The trivial trees' parse F1 on the test sentences (fractions).
    pub baselines_test_f1: Baselines,
    /// The shipped models, in [`CHUNKS`] order.
    pub models: Vec<ModelEntry>,
}

/// The corpus of the manifest: where its grammar lives, its seed and sizes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataInfo {
    /// The grammar's source file.
    pub grammar: String,
    /// The corpus seed ([`CORPUS_SEED`]).
    pub seed: u64,
    /// Sentences in the training, validation and test splits.
    pub train_valid_test: [usize; 3],
    /// Vocabulary size (types).
    pub vocab: usize,
    /// Words in the training sentences.
    pub train_words: usize,
    /// Tokens predicted on the test sentences (words + one `<eos>` each).
    pub test_tokens: usize,
}

/// Right-branching, left-branching and random-tree F1 on the test sentences.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baselines {
    pub right_branching: f64,
    pub left_branching: f64,
    /// Mean over [`RANDOM_SEEDS`] random trees per sentence.
    pub random: f64,
    pub random_trees_per_sentence: u64,
}

/// Test (and validation) numbers of a shipped model: perplexity and parse F1 per layer (fractions).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metrics {
    pub test_ppl: f64,
    pub test_f1_by_layer: Vec<f64>,
    pub valid_ppl: f64,
    pub valid_f1_by_layer: Vec<f64>,
}

/// One point of a training curve (every 500 steps): mean training cross-entropy (nats per token) of the last 500
/// steps, validation perplexity and F1 per layer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CurvePoint {
    pub step: usize,
    pub train_ce: f64,
    pub valid_ppl: f64,
    pub valid_f1: Vec<f64>,
}

/// One seed's run of a model (seed 1 is the shipped one).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedRun {
    pub seed: u64,
    pub test_ppl: f64,
    pub test_f1_by_layer: Vec<f64>,
    pub train_seconds: f32,
}

/// A shipped model: its file, sizes, training settings, seed-1 numbers and curve, and every seed's test numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelEntry {
    /// `onlstm-c8` or `lstm` ([`model_id`]).
    pub id: String,
    pub file: String,
    pub label: String,
    /// Chunk size C (0 = LSTM).
    pub chunk: usize,
    pub config: LmConfig,
    pub train: TrainConfig,
    pub params: usize,
    pub train_seconds: f32,
    pub threads: usize,
    pub metrics: Metrics,
    pub curve: Vec<CurvePoint>,
    pub seeds: Vec<SeedRun>,
}

impl Manifest {
    /// Parses a manifest's text.
    ///
    /// # Errors
    /// [`Error::Format`] naming the field when the text is not such a manifest.
    pub fn parse(text: &str) -> Result<Manifest> {
        serde_json::from_str(text).map_err(|e| Error::format("onlstm manifest.json", e.to_string()))
    }

    /// The manifest's text as `paperlab train onlstm` writes it (keys sorted, two-space indents, a final newline).
    pub fn to_text(&self) -> String {
        let v = serde_json::to_value(self).expect("the manifest serialises");
        serde_json::to_string_pretty(&v).expect("serialises") + "\n"
    }
}

/// The entries of the manifest at `path` other than `only` (kept when one model is retrained); none without `only`
/// or without a readable manifest.
fn kept_entries(path: &std::path::Path, only: Option<&str>) -> Vec<ModelEntry> {
    match (only, std::fs::read_to_string(path)) {
        (Some(o), Ok(t)) => Manifest::parse(&t).map(|m| m.models.into_iter().filter(|e| e.id != o).collect()).unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// Chunk sizes of the shipped models (0 = the LSTM baseline).
pub const CHUNKS: [usize; 6] = [2, 4, 8, 16, 32, 0];

/// Random trees averaged per sentence for the random baseline.
pub const RANDOM_SEEDS: u64 = 5;

/// Id of a shipped model: `onlstm-c8` or `lstm`.
pub fn model_id(chunk: usize) -> String {
    if chunk == 0 {
        "lstm".to_string()
    } else {
        format!("onlstm-c{chunk}")
    }
}


/// The CLI: `paperlab train onlstm [--out DIR] [--steps N] [--only ID] [--seeds K]`. Each model is trained from
/// seeds 1..=K (default 3); seed 1 is shipped, the others only give the spread in the manifest.
///
/// # Errors
/// I/O errors writing the files; training errors.
pub fn train_cli(rest: &[&str]) -> Result<()> {
    let args = Args::parse("paperlab train onlstm", rest, &["out", "steps", "only", "seeds"], &[])?;
    let out = args.path("out", PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("www/models/onlstm"));
    std::fs::create_dir_all(&out)?;
    let tc0 = TrainConfig { steps: args.value("steps", TrainConfig::default().steps)?, ..TrainConfig::default() };
    let only = args.get("only");
    let seeds: u64 = args.value("seeds", 3u64)?.max(1);
    let (train, valid, test) = splits();
    let (right, left, random) = baseline_f1(&test, RANDOM_SEEDS);
    eprintln!("baselines on test: right {:.1}%  left {:.1}%  random {:.1}%", 100.0 * right, 100.0 * left, 100.0 * random);
    let mut entries = kept_entries(&out.join("manifest.json"), only);
    for chunk in CHUNKS {
        let id = model_id(chunk);
        if only.is_some_and(|o| o != id) {
            continue;
        }
        let cfg = LmConfig::lab(chunk);
        let mut runs = Vec::new();
        let mut shipped = None;
        for seed in 1..=seeds {
            let tc = TrainConfig { seed, ..tc0.clone() };
            let mut tr = Trainer::new(cfg.clone(), tc.clone(), &train)?;
            eprintln!("== {id} seed {seed}: {} ({} parameters, {} steps, {} threads)", cfg.label(), tr.lm.n_params(), tc.steps, crate::par::threads());
            let t0 = Instant::now();
            let mut run = 0.0f64;
            let mut curve = Vec::new();
            for s in 0..tc.steps {
                run += tr.step(&train)? as f64;
                if (s + 1) % 500 == 0 {
                    let v = evaluate(&tr.lm, &valid)?;
                    eprintln!(
                        "  step {:5}  train ce {:.3}  valid ppl {:.2}  valid F1 {:?}  {:.0}s",
                        s + 1,
                        run / 500.0,
                        v.ppl,
                        v.f1_by_layer.iter().map(|f| (1000.0 * f).round() / 10.0).collect::<Vec<_>>(),
                        t0.elapsed().as_secs_f32()
                    );
                    curve.push(CurvePoint { step: s + 1, train_ce: run / 500.0, valid_ppl: v.ppl, valid_f1: v.f1_by_layer });
                    run = 0.0;
                }
            }
            let secs = t0.elapsed().as_secs_f32();
            let ev = evaluate(&tr.lm, &test)?;
            let va = evaluate(&tr.lm, &valid)?;
            eprintln!("  test ppl {:.3}  test F1 by layer {:?}  ({secs:.0}s)", ev.ppl, ev.f1_by_layer);
            runs.push(SeedRun { seed, test_ppl: ev.ppl, test_f1_by_layer: ev.f1_by_layer.clone(), train_seconds: secs });
            if seed == 1 {
                let mut meta = BTreeMap::new();
                meta.insert("id".to_string(), id.clone());
                meta.insert("train_config".to_string(), serde_json::to_string(&tc).expect("serialises"));
                let file = format!("{id}.safetensors");
                std::fs::write(out.join(&file), tr.lm.to_safetensors(&meta)?)?;
                shipped = Some(ModelEntry {
                    id: id.clone(),
                    file,
                    label: cfg.label(),
                    chunk,
                    config: cfg.clone(),
                    train: tc,
                    params: tr.lm.n_params(),
                    train_seconds: secs,
                    threads: crate::par::threads(),
                    metrics: Metrics { test_ppl: ev.ppl, test_f1_by_layer: ev.f1_by_layer, valid_ppl: va.ppl, valid_f1_by_layer: va.f1_by_layer },
                    curve,
                    seeds: Vec::new(),
                });
            }
        }
        let mut entry = shipped.expect("seed 1 always runs");
        entry.seeds = runs;
        entries.push(entry);
    }
    let order: Vec<String> = CHUNKS.iter().map(|&c| model_id(c)).collect();
    entries.sort_by_key(|e| order.iter().position(|id| *id == e.id).unwrap_or(usize::MAX));
    let manifest = Manifest {
        lab: "onlstm".into(),
        made_by: "paperlab train onlstm (src/labs/onlstm/ship.rs); re-checked by tests/onlstm_models.rs".into(),
        data: DataInfo {
            grammar: "src/labs/onlstm/grammar.rs".into(),
            seed: CORPUS_SEED,
            train_valid_test: CORPUS_SIZES,
            vocab: VOCAB.len(),
            train_words: train.iter().map(|s| s.words.len()).sum(),
            test_tokens: test.iter().map(|s| s.words.len() + 1).sum(),
        },
        baselines_test_f1: Baselines { right_branching: right, left_branching: left, random, random_trees_per_sentence: RANDOM_SEEDS },
        models: entries,
    };
    std::fs::write(out.join("manifest.json"), manifest.to_text())?;
    eprintln!("wrote {}", out.join("manifest.json").display());
    Ok(())
}

/// The CLI: `paperlab eval onlstm [--dir DIR] [--write]`: re-evaluates every shipped model on the test sentences and
/// prints the numbers next to the manifest's; `--write` stores them (and the corpus counts) in the manifest.
///
/// # Errors
/// I/O errors, an unreadable manifest or model.
pub fn eval_cli(rest: &[&str]) -> Result<()> {
    let args = Args::parse("paperlab eval onlstm", rest, &["dir"], &["write"])?;
    let dir = args.path("dir", PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("www/models/onlstm"));
    let path = dir.join("manifest.json");
    let mut m = Manifest::parse(&std::fs::read_to_string(&path)?)?;
    let (train, _, test) = splits();
    let (right, left, random) = baseline_f1(&test, RANDOM_SEEDS);
    eprintln!("baselines: right {right:.4} left {left:.4} random {random:.4}; manifest {:?}", m.baselines_test_f1);
    for e in &mut m.models {
        let (lm, _) = super::model::Lm::from_safetensors(&std::fs::read(dir.join(&e.file))?)?;
        let ev = evaluate(&lm, &test)?;
        eprintln!("{}: now ppl {:.4} F1 {:?}; manifest {:?}", e.id, ev.ppl, ev.f1_by_layer, e.metrics);
        if args.has("write") {
            e.metrics.test_ppl = ev.ppl;
            e.metrics.test_f1_by_layer = ev.f1_by_layer;
        }
    }
    if args.has("write") {
        m.baselines_test_f1 = Baselines { right_branching: right, left_branching: left, random, ..m.baselines_test_f1 };
        m.data.train_words = train.iter().map(|s| s.words.len()).sum();
        m.data.test_tokens = test.iter().map(|s| s.words.len() + 1).sum();
        std::fs::write(&path, m.to_text())?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
