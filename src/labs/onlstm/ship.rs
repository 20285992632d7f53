//! `paperlab train onlstm`: trains the shipped models natively (ON-LSTM at several chunk sizes and the LSTM
//! baseline) and writes `www/models/onlstm/` (weights + manifest with perplexity and parse F1).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use super::grammar::{splits, CORPUS_SEED, CORPUS_SIZES, VOCAB};
use super::model::{evaluate, LmConfig, TrainConfig, Trainer};
use super::baseline_f1;
use crate::error::Result;

/// Chunk sizes of the shipped models (0 = the LSTM baseline).
pub const CHUNKS: [usize; 4] = [4, 8, 16, 0];

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

fn flag<'a>(rest: &[&'a str], name: &str) -> Option<&'a str> {
    rest.iter().position(|a| *a == name).and_then(|i| rest.get(i + 1).copied())
}

/// The CLI: `paperlab train onlstm [--out DIR] [--steps N] [--only ID]`.
///
/// # Errors
/// I/O errors writing the files; training errors.
pub fn train_cli(rest: &[&str]) -> Result<()> {
    let out = flag(rest, "--out").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("www/models/onlstm"));
    std::fs::create_dir_all(&out)?;
    let tc0 = TrainConfig { steps: flag(rest, "--steps").and_then(|s| s.parse().ok()).unwrap_or(TrainConfig::default().steps), ..TrainConfig::default() };
    let only = flag(rest, "--only");
    let (train, valid, test) = splits();
    let (right, left, random) = baseline_f1(&test, RANDOM_SEEDS);
    eprintln!("baselines on test: right {:.1}%  left {:.1}%  random {:.1}%", 100.0 * right, 100.0 * left, 100.0 * random);
    let keep: Vec<serde_json::Value> = match (only, std::fs::read(out.join("manifest.json"))) {
        (Some(o), Ok(b)) => serde_json::from_slice::<serde_json::Value>(&b)
            .ok()
            .and_then(|v| v["models"].as_array().cloned())
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e["id"].as_str() != Some(o))
            .collect(),
        _ => Vec::new(),
    };
    let mut entries = keep;
    for chunk in CHUNKS {
        let id = model_id(chunk);
        if only.is_some_and(|o| o != id) {
            continue;
        }
        let cfg = LmConfig::lab(chunk);
        let tc = tc0.clone();
        let mut tr = Trainer::new(cfg.clone(), tc.clone(), &train)?;
        eprintln!("== {id}: {} ({} parameters, {} steps, {} threads)", cfg.label(), tr.lm.n_params(), tc.steps, crate::par::threads());
        let t0 = Instant::now();
        let mut run = 0.0f64;
        let mut curve = Vec::new();
        for s in 0..tc.steps {
            let l = tr.step(&train)? as f64;
            run += l;
            if (s + 1) % 250 == 0 {
                let v = evaluate(&tr.lm, &valid)?;
                eprintln!(
                    "  step {:5}  train ce {:.3}  valid ppl {:.2}  valid F1 {:?}  {:.0}s",
                    s + 1,
                    run / 250.0,
                    v.ppl,
                    v.f1_by_layer.iter().map(|f| (1000.0 * f).round() / 10.0).collect::<Vec<_>>(),
                    t0.elapsed().as_secs_f32()
                );
                curve.push(serde_json::json!({"step": s + 1, "train_ce": run / 250.0, "valid_ppl": v.ppl, "valid_f1": v.f1_by_layer}));
                run = 0.0;
            }
        }
        let secs = t0.elapsed().as_secs_f32();
        let ev = evaluate(&tr.lm, &test)?;
        let va = evaluate(&tr.lm, &valid)?;
        eprintln!("  test ppl {:.3}  test F1 by layer {:?}  ({secs:.0}s)", ev.ppl, ev.f1_by_layer);
        let mut meta = BTreeMap::new();
        meta.insert("id".to_string(), id.clone());
        meta.insert("train_config".to_string(), serde_json::to_string(&tc).expect("serialises"));
        let file = format!("{id}.safetensors");
        std::fs::write(out.join(&file), tr.lm.to_safetensors(&meta)?)?;
        entries.push(serde_json::json!({
            "id": id, "file": file, "label": cfg.label(), "chunk": chunk,
            "config": cfg, "train": tc, "params": tr.lm.n_params(), "train_seconds": secs, "threads": crate::par::threads(),
            "metrics": {"test_ppl": ev.ppl, "test_f1_by_layer": ev.f1_by_layer, "valid_ppl": va.ppl, "valid_f1_by_layer": va.f1_by_layer},
            "curve": curve,
        }));
    }
    let order: Vec<String> = CHUNKS.iter().map(|&c| model_id(c)).collect();
    entries.sort_by_key(|e| order.iter().position(|id| Some(id.as_str()) == e["id"].as_str()).unwrap_or(usize::MAX));
    let manifest = serde_json::json!({
        "lab": "onlstm",
        "made_by": "paperlab train onlstm (src/labs/onlstm/ship.rs); re-checked by tests/onlstm_models.rs",
        "data": {"grammar": "src/labs/onlstm/grammar.rs", "seed": CORPUS_SEED, "train_valid_test": CORPUS_SIZES, "vocab": VOCAB.len()},
        "baselines_test_f1": {"right_branching": right, "left_branching": left, "random": random, "random_trees_per_sentence": RANDOM_SEEDS},
        "models": entries,
    });
    std::fs::write(out.join("manifest.json"), serde_json::to_string_pretty(&manifest).expect("serialises") + "\n")?;
    eprintln!("wrote {}", out.join("manifest.json").display());
    Ok(())
}
