//! `paperlab train onlstm`: trains the shipped models natively (ON-LSTM at several chunk sizes and the LSTM
//! baseline) and writes `www/models/onlstm/` (weights + manifest with perplexity and parse F1).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use super::grammar::{splits, CORPUS_SEED, CORPUS_SIZES, VOCAB};
use super::model::{evaluate, LmConfig, TrainConfig, Trainer};
use super::baseline_f1;
use crate::error::Result;
use crate::labs::cli::Args;

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
    let mut entries = crate::labs::cli::kept_entries(&out.join("manifest.json"), only);
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
                    curve.push(serde_json::json!({"step": s + 1, "train_ce": run / 500.0, "valid_ppl": v.ppl, "valid_f1": v.f1_by_layer}));
                    run = 0.0;
                }
            }
            let secs = t0.elapsed().as_secs_f32();
            let ev = evaluate(&tr.lm, &test)?;
            let va = evaluate(&tr.lm, &valid)?;
            eprintln!("  test ppl {:.3}  test F1 by layer {:?}  ({secs:.0}s)", ev.ppl, ev.f1_by_layer);
            runs.push(serde_json::json!({"seed": seed, "test_ppl": ev.ppl, "test_f1_by_layer": ev.f1_by_layer, "train_seconds": secs}));
            if seed == 1 {
                let mut meta = BTreeMap::new();
                meta.insert("id".to_string(), id.clone());
                meta.insert("train_config".to_string(), serde_json::to_string(&tc).expect("serialises"));
                let file = format!("{id}.safetensors");
                std::fs::write(out.join(&file), tr.lm.to_safetensors(&meta)?)?;
                shipped = Some(serde_json::json!({
                    "id": id, "file": file, "label": cfg.label(), "chunk": chunk,
                    "config": cfg, "train": tc, "params": tr.lm.n_params(), "train_seconds": secs, "threads": crate::par::threads(),
                    "metrics": {"test_ppl": ev.ppl, "test_f1_by_layer": ev.f1_by_layer, "valid_ppl": va.ppl, "valid_f1_by_layer": va.f1_by_layer},
                    "curve": curve,
                }));
            }
        }
        let mut entry = shipped.expect("seed 1 always runs");
        entry["seeds"] = serde_json::Value::Array(runs);
        entries.push(entry);
    }
    let order: Vec<String> = CHUNKS.iter().map(|&c| model_id(c)).collect();
    entries.sort_by_key(|e| order.iter().position(|id| Some(id.as_str()) == e["id"].as_str()).unwrap_or(usize::MAX));
    let manifest = serde_json::json!({
        "lab": "onlstm",
        "made_by": "paperlab train onlstm (src/labs/onlstm/ship.rs); re-checked by tests/onlstm_models.rs",
        "data": {"grammar": "src/labs/onlstm/grammar.rs", "seed": CORPUS_SEED, "train_valid_test": CORPUS_SIZES, "vocab": VOCAB.len(),
                 "train_words": train.iter().map(|s| s.words.len()).sum::<usize>(), "test_tokens": test.iter().map(|s| s.words.len() + 1).sum::<usize>()},
        "baselines_test_f1": {"right_branching": right, "left_branching": left, "random": random, "random_trees_per_sentence": RANDOM_SEEDS},
        "models": entries,
    });
    std::fs::write(out.join("manifest.json"), serde_json::to_string_pretty(&manifest).expect("serialises") + "\n")?;
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
    let mut m: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?).map_err(|e| crate::Error::format("manifest.json", e.to_string()))?;
    let (train, _, test) = splits();
    let (right, left, random) = baseline_f1(&test, RANDOM_SEEDS);
    eprintln!("baselines: right {right:.4} left {left:.4} random {random:.4}; manifest {}", m["baselines_test_f1"]);
    for e in m["models"].as_array_mut().into_iter().flatten() {
        let file = e["file"].as_str().unwrap_or_default().to_string();
        let (lm, _) = super::model::Lm::from_safetensors(&std::fs::read(dir.join(&file))?)?;
        let ev = evaluate(&lm, &test)?;
        eprintln!("{}: now ppl {:.4} F1 {:?}; manifest {}", e["id"], ev.ppl, ev.f1_by_layer, e["metrics"]);
        if args.has("write") {
            e["metrics"]["test_ppl"] = ev.ppl.into();
            e["metrics"]["test_f1_by_layer"] = serde_json::json!(ev.f1_by_layer);
        }
    }
    if args.has("write") {
        m["baselines_test_f1"]["right_branching"] = right.into();
        m["baselines_test_f1"]["left_branching"] = left.into();
        m["baselines_test_f1"]["random"] = random.into();
        m["data"]["train_words"] = train.iter().map(|s| s.words.len()).sum::<usize>().into();
        m["data"]["test_tokens"] = test.iter().map(|s| s.words.len() + 1).sum::<usize>().into();
        std::fs::write(&path, serde_json::to_string_pretty(&m).expect("serialises") + "\n")?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
