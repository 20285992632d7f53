//! `paperlab train verify` and `paperlab eval verify`: train the shipped models of the verify lab, evaluate them
//! (clean, PGD, IBP, CROWN-IBP and CROWN verified error over a grid of ε on the 2,000 test digits) and write
//! `www/models/verify/` (weights + `manifest.json`). Re-checked by `tests/verify_models.rs`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use super::{evaluate, train, EvalPoint, Net, TrainConfig};
use crate::data::mnist::{Mnist, PIXELS};
use crate::error::{Error, Result};
use crate::labs::cli::{kept_entries, Args};
use crate::nd;

/// The epsilons the manifest reports: fine below 0.05 (where the naturally trained net loses its certificates), then
/// 0.05 steps to 0.45.
pub const EPS_GRID: [f32; 15] = [0.0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45];
/// The epsilons evaluated for the CNNs (their PGD attack costs ~3x an MLP's per step, so a coarser grid).
pub const CNN_EPS_GRID: [f32; 8] = [0.0, 0.05, 0.1, 0.2, 0.3, 0.35, 0.4, 0.45];
/// PGD steps of the attack error in the manifest.
pub const PGD_STEPS: usize = 20;
/// Seed of that attack.
pub const PGD_SEED: u64 = 2019;

fn models_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("www/models/verify")
}

/// The two shipped models: natural and CROWN-IBP at train epsilon 0.3.
pub fn configs(quick: bool) -> Vec<(&'static str, &'static str, TrainConfig)> {
    let dims = vec![784, 100, 100, 10];
    let e = |full: usize, q: usize| if quick { q } else { full };
    vec![
        (
            "mlp-natural",
            "MLP 784-100-100-10, natural training",
            TrainConfig { dims, robust: false, epochs: e(20, 2), warmup: 0, ramp: 0, train_eps: 0.0, kappa_end: 1.0, beta_end: 1.0, beta_start: 1.0, batch: 100, lr: 1e-3, lr_halve_at: vec![e(12, 9), e(16, 9)], seed: 1 },
        ),
        (
            "mlp-crownibp",
            "MLP 784-256-256-10, CROWN-IBP training at epsilon 0.3",
            TrainConfig { dims: vec![784, 256, 256, 10], robust: true, epochs: e(80, 3), warmup: e(2, 1), ramp: e(40, 1), train_eps: 0.3, kappa_end: 0.5, beta_end: 0.0, beta_start: 1.0, batch: 100, lr: 5e-4, lr_halve_at: vec![e(60, 9), e(70, 9)], seed: 2 },
        ),
    ]
}

/// Channels of the shipped CNN's two convs and width of its hidden dense layer (see [`Net::small_cnn_ops`]).
pub const CNN_WIDTHS: (usize, usize, usize) = (8, 16, 100);

/// The shipped CNNs: natural, CROWN-IBP (β 1 → 0) and pure IBP (β = 0, Gowal et al. 2018), the robust ones at
/// train ε 0.4 with the same schedule, two seeds each. `(id, label, cfg)`; the maps are [`Net::small_cnn_ops`].
pub fn cnn_configs(quick: bool, epochs: usize, widths: (usize, usize, usize)) -> Vec<(String, String, TrainConfig)> {
    let e = |full: usize, q: usize| if quick { q } else { full };
    let (c1, c2, h) = widths;
    let ramp = (epochs / 2).max(1);
    let arch = format!("CNN conv {c1} 4x4/2, conv {c2} 4x4/2, dense {h}, dense 10");
    let base = TrainConfig { dims: Vec::new(), robust: true, epochs: e(epochs, 2), warmup: e(1, 0), ramp: e(ramp, 1), train_eps: 0.4, kappa_end: 0.5, beta_end: 0.0, beta_start: 1.0, batch: 50, lr: 1e-3, lr_halve_at: vec![e(epochs * 3 / 4, 9), e(epochs * 7 / 8, 9)], seed: 1 };
    let mut out = vec![(
        "cnn-natural".to_string(),
        format!("{arch}, natural training"),
        TrainConfig { robust: false, epochs: e(epochs.min(8), 1), warmup: 0, ramp: 0, train_eps: 0.0, kappa_end: 1.0, beta_end: 1.0, lr_halve_at: vec![e(epochs.min(8).saturating_sub(2), 9)], ..base.clone() },
    )];
    for seed in [1u64, 2] {
        out.push((format!("cnn-crownibp-s{seed}"), format!("{arch}, CROWN-IBP training at epsilon 0.4, seed {seed}"), TrainConfig { seed, ..base.clone() }));
        out.push((format!("cnn-ibp-s{seed}"), format!("{arch}, IBP training at epsilon 0.4, seed {seed}"), TrainConfig { seed, beta_start: 0.0, beta_end: 0.0, ..base.clone() }));
    }
    out
}

/// Default epochs of the robust CNN runs (`--epochs`; the paper: 200 for MNIST). The ε / κ / β ramp takes half of
/// them after one warm-up epoch.
pub const CNN_EPOCHS: usize = 20;

/// `paperlab train verify [--out DIR] [--only ID] [--quick]`: trains the shipped models (natural and CROWN-IBP MLPs),
/// evaluates them on the test digits over [`EPS_GRID`] and writes their weights and `manifest.json`.
///
/// # Errors
/// Bad arguments, I/O errors, training errors.
pub fn train_cli(rest: &[&str]) -> Result<()> {
    let args = Args::parse("paperlab train verify", rest, &["out", "only", "epochs", "widths"], &["quick"])?;
    let epochs: usize = match args.get("epochs") {
        Some(v) => v.parse().map_err(|_| Error::range("--epochs", format!("'{v}' is not a whole number")))?,
        None => CNN_EPOCHS,
    };
    let widths = match args.get("widths") {
        Some(v) => {
            let w: Vec<usize> = v.split(',').map(|x| x.trim().parse::<usize>()).collect::<std::result::Result<_, _>>().map_err(|_| Error::range("--widths", format!("'{v}' is not C1,C2,HIDDEN")))?;
            if w.len() != 3 || w.contains(&0) {
                return Err(Error::range("--widths", format!("'{v}' is not three positive numbers C1,C2,HIDDEN")));
            }
            (w[0], w[1], w[2])
        }
        None => CNN_WIDTHS,
    };
    let (c1, c2, hid) = widths;
    let cnn_ops = || Net::small_cnn_ops(c1, c2, hid);
    let quick = args.has("quick");
    let out = args.path("out", models_dir());
    std::fs::create_dir_all(&out)?;
    let data = Mnist::load_default()?;
    let xtr = data.train.batch_f32(&(0..data.train.n).collect::<Vec<_>>());
    let xte = data.test.batch_f32(&(0..data.test.n).collect::<Vec<_>>());
    let (xtr, xte) = (nd::view("train verify", &xtr, (data.train.n, PIXELS))?, nd::view("train verify", &xte, (data.test.n, PIXELS))?);
    let only = args.get("only");
    // With --only, the other models' entries are kept from the existing manifest.
    let mut entries = kept_entries(&out.join("manifest.json"), only);
    let mut all: Vec<(String, String, TrainConfig, bool)> = configs(quick).into_iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c, false)).collect();
    all.extend(cnn_configs(quick, epochs, widths).into_iter().map(|(a, b, c)| (a, b, c, true)));
    for (id, label, cfg, is_cnn) in all.clone() {
        let id = id.as_str();
        if only.is_some_and(|o| o != id) {
            continue;
        }
        eprintln!("== {id}: {label} ({} threads)", crate::par::threads());
        let t0 = Instant::now();
        let log = |s: &super::EpochStats| {
            eprintln!(
                "  epoch {:3}  loss {:.4}  nat {:.4}  rob {:.4}  eps {:.3}  kappa {:.2}  beta {:.2}  train err {:.2}%  {:.0}s",
                s.epoch, s.loss, s.natural_ce, s.robust_ce, s.eps, s.kappa, s.beta, 100.0 * s.train_err, t0.elapsed().as_secs_f32()
            )
        };
        let m: Net = if is_cnn {
            Net::train(&cnn_ops(), &cfg, xtr, &data.train.labels, |s, _| log(s))?
        } else {
            Net::from_mlp(&train(&cfg, xtr, &data.train.labels, |s, _| log(s))?)
        };
        let train_s = t0.elapsed().as_secs_f32();
        let t1 = Instant::now();
        let ev = evaluate(&m, xte, &data.test.labels, if is_cnn { &CNN_EPS_GRID } else { &EPS_GRID }, PGD_STEPS, PGD_SEED, !is_cnn)?;
        eprintln!("  evaluated in {:.0}s", t1.elapsed().as_secs_f32());
        for p in &ev {
            eprintln!(
                "  eps {:.2}: clean {:5.2}%  pgd {:5.2}%  ibp {:6.2}%  crown-ibp {:6.2}%  crown {:6.2}%",
                p.eps, 100.0 * p.clean_err, 100.0 * p.pgd_err, 100.0 * p.ibp_err, 100.0 * p.crownibp_err, 100.0 * p.crown_err.unwrap_or(f32::NAN)
            );
        }
        let mut meta = BTreeMap::new();
        meta.insert("id".to_string(), id.to_string());
        meta.insert("label".to_string(), label.to_string());
        meta.insert("train_config".to_string(), serde_json::to_string(&cfg).unwrap());
        meta.insert("train_eps".to_string(), cfg.train_eps.to_string());
        let file = format!("{id}.safetensors");
        let bytes = if is_cnn { m.to_safetensors(&meta)? } else { m.to_mlp()?.to_safetensors(&meta)? };
        std::fs::write(out.join(&file), bytes)?;
        entries.push(serde_json::json!({
            "id": id,
            "file": file,
            "label": label,
            "config": {
                "dims": cfg.dims, "arch": if is_cnn { "cnn" } else { "mlp" }, "ops": if is_cnn { serde_json::to_value(cnn_ops()).unwrap() } else { serde_json::Value::Null }, "train": cfg, "train_seconds": train_s, "threads": crate::par::threads(),
                "train_digits": data.train.n, "test_digits": data.test.n, "pgd_steps": PGD_STEPS, "pgd_seed": PGD_SEED,
                "pgd_step_size": "2.5 * eps / steps", "pgd_loss": "cross-entropy", "quick": quick
            },
            "metrics": metrics_json(&ev),
        }));
    }
    let order: Vec<String> = all.iter().map(|c| c.0.clone()).collect();
    entries.sort_by_key(|e| order.iter().position(|id| Some(id.as_str()) == e["id"].as_str()).unwrap_or(usize::MAX));
    let manifest = serde_json::json!({
        "lab": "verify",
        "made_by": "paperlab train verify (src/labs/verify/ship.rs); re-checked by tests/verify_models.rs",
        "data": "MNIST, 8,000 train / 2,000 test digits (www/data/README.md)",
        "models": entries,
    });
    std::fs::write(out.join("manifest.json"), serde_json::to_string_pretty(&manifest).unwrap() + "\n")?;
    eprintln!("wrote {}", out.join("manifest.json").display());
    Ok(())
}

fn metrics_json(ev: &[EvalPoint]) -> serde_json::Value {
    let col = |f: &dyn Fn(&EvalPoint) -> f32| ev.iter().map(|p| (f(p) * 10000.0).round() / 10000.0).collect::<Vec<f32>>();
    serde_json::json!({
        "clean_err": ev.first().map(|p| p.clean_err).unwrap_or(f32::NAN),
        "eps": ev.iter().map(|p| p.eps).collect::<Vec<_>>(),
        "pgd_err": col(&|p| p.pgd_err),
        "ibp_err": col(&|p| p.ibp_err),
        "crownibp_err": col(&|p| p.crownibp_err),
        "crown_err": col(&|p| p.crown_err.unwrap_or(f32::NAN)),
    })
}

/// `paperlab eval verify [--dir DIR] [--write]`: re-evaluates the shipped models and prints the numbers next to the
/// manifest's; `--write` stores them.
///
/// # Errors
/// Bad arguments, I/O errors, an unreadable manifest or model.
pub fn eval_cli(rest: &[&str]) -> Result<()> {
    let args = Args::parse("paperlab eval verify", rest, &["dir"], &["write"])?;
    let write = args.has("write");
    let dir = args.path("dir", models_dir());
    let path = dir.join("manifest.json");
    let mut manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?)
        .map_err(|e| Error::format("manifest.json", e.to_string()))?;
    let data = Mnist::load_default()?;
    let xte = data.test.batch_f32(&(0..data.test.n).collect::<Vec<_>>());
    let xte = nd::view("eval verify", &xte, (data.test.n, PIXELS))?;
    for e in manifest["models"].as_array_mut().into_iter().flatten() {
        let file = e["file"].as_str().unwrap_or_default().to_string();
        let (m, meta) = Net::from_safetensors(&std::fs::read(dir.join(&file))?)?;
        let t = Instant::now();
        let is_mlp = meta.get("arch").map(String::as_str) == Some("mlp");
        let ev = evaluate(&m, xte, &data.test.labels, if is_mlp { &EPS_GRID } else { &CNN_EPS_GRID }, PGD_STEPS, PGD_SEED, is_mlp)?;
        let fresh = metrics_json(&ev);
        eprintln!("{} ({:.0}s)\n  now:      {fresh}\n  manifest: {}", e["id"], t.elapsed().as_secs_f32(), e["metrics"]);
        if write {
            e["metrics"] = fresh;
            e["config"]["pgd_steps"] = PGD_STEPS.into();
            e["config"]["pgd_seed"] = PGD_SEED.into();
            e["config"]["pgd_loss"] = "cross-entropy".into();
        }
    }
    if write {
        std::fs::write(&path, serde_json::to_string_pretty(&manifest).unwrap() + "\n")?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

