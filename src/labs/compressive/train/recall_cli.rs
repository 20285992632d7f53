//! `paperlab train compressive recall`: the long-range (recall) models, several seeds each.

use std::path::PathBuf;
use std::time::Instant;

use super::{TrainConfig, Trainer};
use crate::error::Result;
use crate::labs::cli::Args;
use crate::labs::compressive::recall::{self, D_MAX, HELDOUT_SEED, TRAIN_SEED};
use crate::labs::compressive::manifest::{self, RecallData, RecallEntry, RecallManifest, RecallRun};
use crate::labs::compressive::Model;

/// Characters of the shipped recall training text.
pub const TRAIN_TEXT: usize = 2_000_000;
/// Characters of the held-out recall text.
pub const HELDOUT_TEXT: usize = 400_000;
/// Width of the distance bins of the loss-vs-distance table.
pub const BIN: usize = 32;

/// `paperlab train compressive recall [--steps N] [--only ID,ID] [--seeds 1,2,3] [--out DIR]`: trains each listed
/// recall model once per seed (model initialisation seed 6 + S, stream offsets S), writes the first seed's weights
/// as `ID.safetensors`, every seed's held-out numbers as `ID.json`, and `manifest.json` assembled from all `*.json`
/// results in DIR (so runs of different `--only` sets can share DIR).
///
/// # Errors
/// File errors, or errors of training.
pub fn train_recall_cli(rest: &[&str]) -> Result<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let args = Args::parse("paperlab train compressive recall", rest, &["out", "steps", "seeds", "only", "lr"], &[])?;
    let out = args.path("out", root.join("www/models/compressive/recall"));
    std::fs::create_dir_all(&out)?;
    let mut tc = TrainConfig { steps: 3000, ..TrainConfig::default() };
    tc.steps = args.value("steps", tc.steps)?;
    tc.lr = args.value("lr", tc.lr)?;
    let seeds: Vec<u64> = args.list("seeds", vec![1, 2, 3])?;
    let only: Option<Vec<&str>> = args.get("only").map(|s| s.split(',').collect());
    let vocab = recall::vocab();
    let train_text = recall::generate(TRAIN_SEED, TRAIN_TEXT, 1, D_MAX)?;
    let train = vocab.encode(&train_text.text)?;
    let held = recall::generate(HELDOUT_SEED, HELDOUT_TEXT, 1, D_MAX)?;
    for (id, label, cfg) in recall::shipped_configs() {
        if only.as_ref().is_some_and(|o| !o.contains(&id.as_str())) {
            continue;
        }
        let mut runs = Vec::new();
        for (k, &seed) in seeds.iter().enumerate() {
            eprintln!("== recall {id} seed {seed}: {label} ({} threads)", crate::par::threads());
            let t0 = Instant::now();
            let mut tr = Trainer::new(Model::new(cfg.clone(), 6 + seed)?, train.clone(), TrainConfig { seed, ..tc.clone() })?;
            let mut curve = Vec::new();
            let mut acc = (0.0f64, 0usize);
            for s in 0..tc.steps {
                let st = tr.step()?;
                acc = (acc.0 + st.bpc as f64, acc.1 + 1);
                if (s + 1) % 250 == 0 || s + 1 == tc.steps {
                    let mean = acc.0 / acc.1 as f64;
                    eprintln!("  step {:5}  train {:.3} bits/char  attn-rec {:.5}  {:.0}s", s + 1, mean, st.attn_loss, t0.elapsed().as_secs_f32());
                    curve.push((s + 1, (mean * 1e4).round() / 1e4));
                    acc = (0.0, 0);
                }
            }
            let train_s = t0.elapsed().as_secs_f64();
            let losses = recall::recall_losses(&tr.model, &held, 8)?;
            let mean = losses.iter().map(|x| x.1 as f64).sum::<f64>() / losses.len() as f64;
            let bins = recall::by_distance(&losses, BIN);
            eprintln!("  held-out recall {mean:.4} bits ({} recalls); trained in {train_s:.0}s", losses.len());
            eprintln!("  by distance: {}", bins.iter().map(|b| format!("{}:{:.2}", b.0, b.1)).collect::<Vec<_>>().join(" "));
            if k == 0 {
                let mut meta = std::collections::BTreeMap::new();
                meta.insert("id".to_string(), id.clone());
                meta.insert("recall_bits".to_string(), format!("{mean:.4}"));
                meta.insert("setting".to_string(), "recall".to_string());
                std::fs::write(out.join(format!("{id}.safetensors")), tr.model.to_safetensors(&vocab.chars, &meta)?)?;
            }
            let r4 = |x: f64| (x * 1e4).round() / 1e4;
            runs.push(RecallRun {
                seed,
                recall_bits: r4(mean),
                train_seconds: train_s.round(),
                train_curve: curve,
                by_distance: bins.iter().map(|b| (b.0, r4(b.1), b.2)).collect(),
            });
        }
        let vals: Vec<f64> = runs.iter().map(|r| r.recall_bits).collect();
        let mean = vals.iter().sum::<f64>() / vals.len() as f64;
        let (lo, hi) = vals.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |a, &v| (a.0.min(v), a.1.max(v)));
        let params: usize = Model::new(cfg.clone(), 1)?.p.all().iter().map(|v| v.len()).sum();
        let entry = RecallEntry {
            id: id.clone(),
            label,
            file: format!("{id}.safetensors"),
            config: (&cfg).into(),
            temporal_range: cfg.temporal_range(),
            attention_size: cfg.attention_size(),
            params,
            recall_bits_mean: (mean * 1e4).round() / 1e4,
            recall_bits_spread: ((hi - lo) * 1e4).round() / 1e4,
            runs,
        };
        std::fs::write(out.join(format!("{id}.json")), manifest::to_text(&entry))?;
    }
    // assemble the manifest from every model's results in `out`, in the shipped order
    let mut models: Vec<RecallEntry> = Vec::new();
    for (id, _, _) in recall::shipped_configs() {
        if let Ok(t) = std::fs::read_to_string(out.join(format!("{id}.json"))) {
            models.push(manifest::parse(&format!("recall/{id}.json"), &t)?);
        }
    }
    let manifest = RecallManifest {
        lab: "compressive".into(),
        setting: "recall".into(),
        made_by: "paperlab train compressive recall (cargo run --release --features parallel --bin paperlab -- train compressive recall)".into(),
        data: RecallData {
            what: "each line: a capital key written 8 times, D-1 random small letters, '=', the key again, newline".into(),
            key_run: recall::KEY_RUN,
            d_min: 1,
            d_max: D_MAX,
            vocab: vocab.len(),
            train_seed: TRAIN_SEED,
            train_chars: train.len(),
            heldout_seed: HELDOUT_SEED,
            heldout_chars: held.text.len(),
            heldout_recalls: held.recalls.len(),
            bin: BIN,
        },
        train: tc,
        seeds,
        threads: crate::par::threads(),
        models,
    };
    std::fs::write(out.join("manifest.json"), manifest::to_text(&manifest))?;
    eprintln!("wrote {}", out.join("manifest.json").display());
    Ok(())
}
