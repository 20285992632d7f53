//! `paperlab train blindspot` and `paperlab eval blindspot`: train the lab's two CNNs (natural and PGD
//! adversarial training at ε = 0.3) on the shipped digits, and measure the α × β table (clean accuracy, PGD and C&W
//! success, verified error of the verify lab's CROWN-IBP MLP, k-NN distance) into `www/models/blindspot/`.
//!
//! ```text
//! paperlab train blindspot [--only cnn-natural|cnn-madry] [--epochs N] [--pgd-steps N] [--widths C1,C2,H] [--quick] [--out DIR]
//! paperlab eval blindspot [--digits N] [--steps N] [--restarts N] [--alphas A,..] [--betas B,..] [--quick] [--dir DIR]
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use ndarray::{Array2, ArrayView2};
use serde_json::{json, Value};

use super::{attack_blocks, kde_kl, knn_distance, pca2, success_rate, train, transform, verified_error, AttackConfig, Cnn, Model, TrainConfig, EPS};
use crate::data::mnist::{Mnist, PIXELS};
use crate::error::{Error, Result};
use crate::labs::cli::{kept_entries, Args};
use crate::nd;
use crate::nn::Mlp;

/// The α values of the shipped table (the paper scans 1.0 down to 0.6).
pub const ALPHAS: [f32; 5] = [1.0, 0.9, 0.8, 0.7, 0.6];
/// The β values of the shipped table (the paper scans 0 to 0.3).
pub const BETAS: [f32; 4] = [0.0, 0.1, 0.2, 0.3];
/// Neighbours of the k-NN distance.
pub const KNN_K: usize = 5;
/// Training digits of the 2-D embedding the KL divergence (kernel density) is estimated against.
pub const KL_TRAIN: usize = 2000;
/// Seed of the evaluation attacks.
pub const ATTACK_SEED: u64 = 2019;

fn models_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("www/models/blindspot")
}

/// The verify lab's CROWN-IBP-trained MLP (784-256-256-10, ε = 0.3), the certified defence the lab also attacks.
pub fn crownibp_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("www/models/verify/mlp-crownibp.safetensors")
}

/// The two shipped CNNs: a naturally trained twin and the PGD adversarially trained one.
/// `epochs` and `pgd_steps` override the adversarial run's defaults (12 epochs, 7 steps); `widths` both models'.
pub fn configs(quick: bool, epochs: Option<usize>, pgd_steps: Option<usize>, widths: [usize; 3]) -> Vec<(&'static str, String, TrainConfig)> {
    let e = |full: usize| if quick { 1 } else { epochs.unwrap_or(full) };
    let arch = format!("CNN {}c-{}c-{}-10", widths[0], widths[1], widths[2]);
    vec![
        (
            "cnn-natural",
            format!("{arch}, natural training"),
            TrainConfig { widths, epochs: if quick { 1 } else { 8 }, batch: 50, lr: 1e-3, lr_halve_at: vec![6], eps: 0.0, ramp_epochs: 0, pgd_steps: 0, seed: 1 },
        ),
        (
            "cnn-madry",
            format!("{arch}, PGD adversarial training at epsilon 0.3"),
            TrainConfig {
                widths,
                epochs: e(12),
                batch: 50,
                lr: 1e-3,
                lr_halve_at: vec![e(12) * 3 / 4],
                eps: EPS,
                ramp_epochs: e(12) / 3,
                pgd_steps: pgd_steps.unwrap_or(if quick { 3 } else { 7 }),
                seed: 2,
            },
        ),
    ]
}

/// `paperlab train blindspot`: trains the CNNs, reports clean accuracy and PGD-20 success at ε = 0.3 on the test
/// digits, writes the weights and the manifest's model entries.
///
/// # Errors
/// Bad arguments, I/O and training errors.
pub fn train_cli(rest: &[&str]) -> Result<()> {
    let args = Args::parse("paperlab train blindspot", rest, &["out", "only", "epochs", "pgd-steps", "widths"], &["quick"])?;
    let quick = args.has("quick");
    let out = args.path("out", models_dir());
    std::fs::create_dir_all(&out)?;
    let epochs = args.get("epochs").map(|_| args.value("epochs", 0usize)).transpose()?;
    let pgd_steps = args.get("pgd-steps").map(|_| args.value("pgd-steps", 0usize)).transpose()?;
    let w: Vec<usize> = args.list("widths", vec![8, 16, 100])?;
    let widths: [usize; 3] = w.try_into().map_err(|_| Error::range("--widths", "give three numbers, e.g. 8,16,100".to_string()))?;
    let data = Mnist::load_default()?;
    let xtr = data.train.batch_f32(&(0..data.train.n).collect::<Vec<_>>());
    let n_eval = if quick { 200 } else { data.test.n };
    let xte = data.test.batch_f32(&(0..n_eval).collect::<Vec<_>>());
    let yte = &data.test.labels[..n_eval];
    let (xtr, xte) = (nd::view("train blindspot", &xtr, (data.train.n, PIXELS))?, nd::view("train blindspot", &xte, (n_eval, PIXELS))?);
    let only = args.get("only");
    let mut entries = kept_entries(&out.join("manifest.json"), only);
    for (id, label, cfg) in configs(quick, epochs, pgd_steps, widths) {
        if only.is_some_and(|o| o != id) {
            continue;
        }
        eprintln!("== {id}: {label} ({} threads)", crate::par::threads());
        let t0 = Instant::now();
        let m = train(&cfg, xtr, &data.train.labels, |s, _| {
            eprintln!("  epoch {:3}  loss {:.4}  train acc {:.2}%  eps {:.3}  {:.0}s", s.epoch, s.loss, 100.0 * s.acc, s.eps, t0.elapsed().as_secs_f32())
        })?;
        let train_s = t0.elapsed().as_secs_f32();
        let pgd = AttackConfig::pgd(EPS, 20, 1, ATTACK_SEED);
        let r = success_rate(&attack_blocks(&m, xte, yte, 0, &pgd, 50)?);
        eprintln!("  test: clean acc {:.2}%  PGD-20 success {:.2}%  robust acc {:.2}%", 100.0 * r.clean_acc, 100.0 * r.success, 100.0 * (1.0 - r.robust_err));
        let mut meta = BTreeMap::new();
        meta.insert("id".to_string(), id.to_string());
        meta.insert("label".to_string(), label.to_string());
        meta.insert("train_config".to_string(), serde_json::to_string(&cfg).map_err(|e| Error::Model(e.to_string()))?);
        let file = format!("{id}.safetensors");
        std::fs::write(out.join(&file), m.to_safetensors(&meta)?)?;
        entries.push(json!({
            "id": id, "file": file, "label": label,
            "config": { "train": cfg, "train_seconds": train_s, "threads": crate::par::threads(), "train_digits": data.train.n,
                        "params": m.n_params(), "quick": quick },
            "metrics": { "test_digits": n_eval, "clean_acc": r.clean_acc, "pgd20_success": r.success, "pgd20_robust_acc": 1.0 - r.robust_err,
                         "attack": pgd },
        }));
    }
    let order = ["cnn-natural", "cnn-madry"];
    entries.sort_by_key(|e| order.iter().position(|id| Some(*id) == e["id"].as_str()).unwrap_or(usize::MAX));
    let old = read_manifest(&out.join("manifest.json"));
    write_manifest(&out, entries, old.get("table").cloned().unwrap_or(Value::Null))
}

fn read_manifest(p: &Path) -> Value {
    std::fs::read_to_string(p).ok().and_then(|s| serde_json::from_str(&s).ok()).unwrap_or(Value::Null)
}

fn write_manifest(out: &Path, models: Vec<Value>, table: Value) -> Result<()> {
    let manifest = json!({
        "lab": "blindspot",
        "made_by": "paperlab train blindspot, then paperlab eval blindspot (src/labs/blindspot/ship.rs)",
        "data": "MNIST, 8,000 train / 2,000 test digits (www/data/README.md)",
        "models": models,
        "crownibp": "../verify/mlp-crownibp.safetensors",
        "table": table,
    });
    std::fs::write(out.join("manifest.json"), serde_json::to_string_pretty(&manifest).map_err(|e| Error::Model(e.to_string()))? + "\n")?;
    Ok(())
}

/// Loads a shipped CNN from `dir`.
///
/// # Errors
/// I/O errors, bad files.
pub fn load_cnn(dir: &Path, id: &str) -> Result<Cnn> {
    Ok(Cnn::from_safetensors(&std::fs::read(dir.join(format!("{id}.safetensors")))?)?.0)
}

fn r4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// `paperlab eval blindspot`: the α × β table on the first `--digits` test digits (default 500): per model clean
/// accuracy on x', PGD and C&W success at ε = 0.3 (`--steps`, `--restarts`), the CROWN-IBP MLP's verified error,
/// the mean k-NN distance (k = 5) of x' to the training digits in each model's penultimate-layer embedding, and
/// the KDE estimate of KL(test ‖ train) in that embedding's 2-D PCA (against the first [`KL_TRAIN`] training
/// digits). Prints a markdown table and stores it in the manifest.
///
/// # Errors
/// Bad arguments, missing models, I/O errors.
pub fn eval_cli(rest: &[&str]) -> Result<()> {
    let args = Args::parse("paperlab eval blindspot", rest, &["dir", "digits", "steps", "restarts", "alphas", "betas"], &["quick"])?;
    let alphas: Vec<f32> = args.list("alphas", ALPHAS.to_vec())?;
    let betas: Vec<f32> = args.list("betas", BETAS.to_vec())?;
    let quick = args.has("quick");
    let dir = args.path("dir", models_dir());
    let n: usize = args.value("digits", if quick { 100 } else { 500 })?;
    let steps: usize = args.value("steps", if quick { 10 } else { 40 })?;
    let restarts: usize = args.value("restarts", 1)?;
    let data = Mnist::load_default()?;
    let n = n.min(data.test.n);
    let xtr = data.train.batch_f32(&(0..data.train.n).collect::<Vec<_>>());
    let xte = data.test.batch_f32(&(0..n).collect::<Vec<_>>());
    let yte = &data.test.labels[..n];
    let (xtr, xte) = (nd::view("eval blindspot", &xtr, (data.train.n, PIXELS))?, nd::view("eval blindspot", &xte, (n, PIXELS))?);
    let nat = load_cnn(&dir, "cnn-natural")?;
    let mad = load_cnn(&dir, "cnn-madry")?;
    let (mlp, _) = Mlp::from_safetensors(&std::fs::read(crownibp_path())?)?;
    let models: [(&str, &dyn Model); 3] = [("cnn-natural", &nat), ("cnn-madry", &mad), ("mlp-crownibp", &mlp)];
    let embed_all = |m: &dyn Model, x: ArrayView2<f32>| -> Result<Array2<f32>> {
        let rows = x.nrows();
        let parts = crate::par::map_range(rows / 500 + 1, |p| {
            let (s, e) = (p * 500, ((p + 1) * 500).min(rows));
            if s >= e { Ok(None) } else { m.embed(x.slice(ndarray::s![s..e, ..])).map(Some) }
        });
        let (mut v, mut d) = (Vec::new(), 0);
        for p in parts.into_iter().flat_map(Result::transpose) {
            let p = p?;
            d = p.ncols();
            v.extend(p.iter());
        }
        nd::array("embed", v, (rows, d))
    };
    // Per model: the training embedding, the PCA fitted on it and the first KL_TRAIN training digits in 2-D.
    let train_emb: Vec<(Array2<f32>, super::Pca2, Array2<f32>)> = models
        .iter()
        .map(|(_, m)| {
            let e = embed_all(*m, xtr)?;
            let p = pca2(e.view())?;
            let tr2 = p.project(e.slice(ndarray::s![..KL_TRAIN.min(data.train.n), ..]))?;
            Ok((e, p, tr2))
        })
        .collect::<Result<_>>()?;
    let pgd = AttackConfig::pgd(EPS, steps, restarts, ATTACK_SEED);
    let cw = AttackConfig::cw(EPS, steps, restarts, ATTACK_SEED);
    let t0 = Instant::now();
    let mut rows = Vec::new();
    println!("| α | β | model | clean acc | PGD success | C&W success | verified err | k-NN dist | KL |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for &beta in &betas {
        for &alpha in &alphas {
            let xp = transform(xte, alpha, beta)?;
            let mut cells = serde_json::Map::new();
            for ((id, m), (te, pca, tr2)) in models.iter().zip(&train_emb) {
                let rp = success_rate(&attack_blocks(*m, xp.view(), yte, 0, &pgd, 50)?);
                let rc = success_rate(&attack_blocks(*m, xp.view(), yte, 0, &cw, 50)?);
                let q = embed_all(*m, xp.view())?;
                let knn = knn_distance(te.view(), q.view(), KNN_K)?;
                let kl = kde_kl(tr2.view(), pca.project(q.view())?.view(), None)?;
                let knn_mean = knn.iter().map(|&v| f64::from(v)).sum::<f64>() / knn.len() as f64;
                let ver = if *id == "mlp-crownibp" {
                    let v = verified_error(&mlp, xp.view(), yte, EPS)?;
                    Some(v.verified_err as f64 / v.n as f64)
                } else {
                    None
                };
                println!(
                    "| {alpha:.2} | {beta:.2} | {id} | {:.1}% | {:.1}% | {:.1}% | {} | {knn_mean:.3} | {kl:.3} |",
                    100.0 * rp.clean_acc,
                    100.0 * rp.success,
                    100.0 * rc.success,
                    ver.map_or("–".to_string(), |v| format!("{:.1}%", 100.0 * v))
                );
                cells.insert(
                    id.to_string(),
                    json!({ "clean_acc": r4(rp.clean_acc), "pgd_success": r4(rp.success), "cw_success": r4(rc.success),
                            "pgd_robust_err": r4(rp.robust_err), "verified_err": ver.map(r4), "knn": r4(knn_mean), "kl": r4(kl) }),
                );
            }
            rows.push(json!({ "alpha": r4(f64::from(alpha)), "beta": r4(f64::from(beta)), "models": cells }));
            eprintln!("  α {alpha:.1} β {beta:.1} done, {:.0}s", t0.elapsed().as_secs_f32());
        }
    }
    let table = json!({
        "digits": n, "eps": EPS, "knn_k": KNN_K, "kl_train_digits": KL_TRAIN, "pgd": pgd, "cw": cw, "seconds": t0.elapsed().as_secs_f32(),
        "threads": crate::par::threads(), "quick": quick,
        "command": format!(
            "paperlab eval blindspot --digits {n} --steps {steps} --restarts {restarts} --alphas {} --betas {}",
            alphas.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(","),
            betas.iter().map(|b| b.to_string()).collect::<Vec<_>>().join(",")
        ),
        "rows": rows,
    });
    let old = read_manifest(&dir.join("manifest.json"));
    let models = old.get("models").and_then(|m| m.as_array()).cloned().unwrap_or_default();
    write_manifest(&dir, models, table)
}
