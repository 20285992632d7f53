//! Paperlab's native command line: trains the shipped models, re-evaluates them, and times the kernels.
//!
//! ```text
//! paperlab train verify [--out DIR] [--only ID] [--quick]  train the verify lab's models, write weights + manifest
//! paperlab eval verify [--dir DIR] [--write]          re-evaluate shipped models, compare with (or rewrite) the manifest
//! paperlab train onlstm [--steps N] [--only ID] [--seeds K]  train the onlstm lab's models (ON-LSTM + LSTM)
//! paperlab eval onlstm [--write]                      re-evaluate them on the test sentences
//! paperlab bench                                       GEMM GFLOP/s of our kernel at the sizes the labs use
//! ```


// The CLI is native only (it reads and writes files). Cargo still builds this target when it builds wasm
// integration tests, so on wasm32 it is an empty program.
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::main()
}

#[cfg(not(target_arch = "wasm32"))]
mod native {

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use paperlab::data::mnist::Mnist;
use paperlab::labs::cli::flag;
use paperlab::labs::verify::{evaluate, train, EvalPoint, TrainConfig};
use paperlab::nn::Mlp;

/// The epsilons the manifest reports: fine below 0.05 (where the naturally trained net loses its certificates), then
/// 0.05 steps to 0.45.
const EPS_GRID: [f32; 15] = [0.0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45];
const PGD_STEPS: usize = 20;
const PGD_SEED: u64 = 2019;

pub fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let r = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["train", "verify", rest @ ..] => train_verify(rest),
        ["train", "ucb", rest @ ..] => paperlab::labs::ucb::train_cli(rest),
        ["train", "lottery", rest @ ..] => paperlab::labs::lottery::ship::train_cli(rest),
        ["train", "compressive", rest @ ..] => paperlab::labs::compressive::train::train_cli(rest),
        ["train", "onlstm", rest @ ..] => paperlab::labs::onlstm::ship::train_cli(rest),
        ["train", "bagnet", rest @ ..] => paperlab::labs::bagnet::ship::train_cli(rest),
        ["eval", "verify", rest @ ..] => eval_verify(rest),
        ["eval", "onlstm", rest @ ..] => paperlab::labs::onlstm::ship::eval_cli(rest),
        ["bench", ..] => bench(),
        _ => {
            eprintln!("usage: paperlab train verify [--out DIR] [--quick] | paperlab eval verify [--dir DIR] | paperlab bench");
            std::process::exit(2);
        }
    };
    if let Err(e) = r {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}


fn models_dir(rest: &[&str], name: &str) -> PathBuf {
    flag(rest, name).map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("www/models/verify"))
}

/// The two shipped models: natural and CROWN-IBP at train epsilon 0.3.
pub fn configs(quick: bool) -> Vec<(&'static str, &'static str, TrainConfig)> {
    let dims = vec![784, 100, 100, 10];
    let e = |full: usize, q: usize| if quick { q } else { full };
    vec![
        (
            "mlp-natural",
            "MLP 784-100-100-10, natural training",
            TrainConfig { dims, robust: false, epochs: e(20, 2), warmup: 0, ramp: 0, train_eps: 0.0, kappa_end: 1.0, beta_end: 1.0, batch: 100, lr: 1e-3, lr_halve_at: vec![e(12, 9), e(16, 9)], seed: 1 },
        ),
        (
            "mlp-crownibp",
            "MLP 784-256-256-10, CROWN-IBP training at epsilon 0.3",
            TrainConfig { dims: vec![784, 256, 256, 10], robust: true, epochs: e(80, 3), warmup: e(2, 1), ramp: e(40, 1), train_eps: 0.3, kappa_end: 0.5, beta_end: 0.0, batch: 100, lr: 5e-4, lr_halve_at: vec![e(60, 9), e(70, 9)], seed: 2 },
        ),
    ]
}

fn train_verify(rest: &[&str]) -> paperlab::Result<()> {
    let quick = rest.contains(&"--quick");
    let out = models_dir(rest, "--out");
    std::fs::create_dir_all(&out)?;
    let data = Mnist::load_default()?;
    let xtr = data.train.batch_f32(&(0..data.train.n).collect::<Vec<_>>());
    let xte = data.test.batch_f32(&(0..data.test.n).collect::<Vec<_>>());
    let only = flag(rest, "--only");
    // With --only, the other models' entries are kept from the existing manifest.
    let mut entries = paperlab::labs::cli::kept_entries(&out.join("manifest.json"), only);
    for (id, label, cfg) in configs(quick) {
        if only.is_some_and(|o| o != id) {
            continue;
        }
        eprintln!("== {id}: {label} ({} threads)", paperlab::par::threads());
        let t0 = Instant::now();
        let m = train(&cfg, &xtr, &data.train.labels, |s, _| {
            eprintln!(
                "  epoch {:3}  loss {:.4}  nat {:.4}  rob {:.4}  eps {:.3}  kappa {:.2}  beta {:.2}  train err {:.2}%  {:.0}s",
                s.epoch, s.loss, s.natural_ce, s.robust_ce, s.eps, s.kappa, s.beta, 100.0 * s.train_err, t0.elapsed().as_secs_f32()
            )
        })?;
        let train_s = t0.elapsed().as_secs_f32();
        let t1 = Instant::now();
        let ev = evaluate(&m, &xte, &data.test.labels, &EPS_GRID, PGD_STEPS, PGD_SEED, true)?;
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
        std::fs::write(out.join(&file), m.to_safetensors(&meta)?)?;
        entries.push(serde_json::json!({
            "id": id,
            "file": file,
            "label": label,
            "config": {
                "dims": cfg.dims, "train": cfg, "train_seconds": train_s, "threads": paperlab::par::threads(),
                "train_digits": data.train.n, "test_digits": data.test.n, "pgd_steps": PGD_STEPS, "pgd_seed": PGD_SEED,
                "pgd_step_size": "2.5 * eps / steps", "pgd_loss": "cross-entropy", "quick": quick
            },
            "metrics": metrics_json(&ev),
        }));
    }
    let order: Vec<&str> = configs(quick).iter().map(|c| c.0).collect();
    entries.sort_by_key(|e| order.iter().position(|id| Some(*id) == e["id"].as_str()).unwrap_or(usize::MAX));
    let manifest = serde_json::json!({
        "lab": "verify",
        "made_by": "paperlab train verify (src/bin/paperlab.rs); re-checked by tests/verify_models.rs",
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

fn eval_verify(rest: &[&str]) -> paperlab::Result<()> {
    let dir = models_dir(rest, "--dir");
    let path = dir.join("manifest.json");
    let mut manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?)
        .map_err(|e| paperlab::Error::format("manifest.json", e.to_string()))?;
    let data = Mnist::load_default()?;
    let xte = data.test.batch_f32(&(0..data.test.n).collect::<Vec<_>>());
    for e in manifest["models"].as_array_mut().into_iter().flatten() {
        let file = e["file"].as_str().unwrap_or_default().to_string();
        let (m, _) = Mlp::from_safetensors(&std::fs::read(dir.join(&file))?)?;
        let t = Instant::now();
        let ev = evaluate(&m, &xte, &data.test.labels, &EPS_GRID, PGD_STEPS, PGD_SEED, true)?;
        let fresh = metrics_json(&ev);
        eprintln!("{} ({:.0}s)\n  now:      {fresh}\n  manifest: {}", e["id"], t.elapsed().as_secs_f32(), e["metrics"]);
        if rest.contains(&"--write") {
            e["metrics"] = fresh;
            e["config"]["pgd_steps"] = PGD_STEPS.into();
            e["config"]["pgd_seed"] = PGD_SEED.into();
            e["config"]["pgd_loss"] = "cross-entropy".into();
        }
    }
    if rest.contains(&"--write") {
        std::fs::write(&path, serde_json::to_string_pretty(&manifest).unwrap() + "\n")?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

fn bench() -> paperlab::Result<()> {
    use paperlab::kernels::gemm::{gemm, MatRef};
    println!("GEMM, {} threads, lanes {}", paperlab::par::threads(), paperlab::kernels::lanes());
    for &(m, k, n) in &[(64, 64, 64), (128, 128, 128), (256, 256, 256), (512, 512, 512), (1024, 1024, 1024), (256, 784, 100), (2000, 100, 784)] {
        let a: Vec<f32> = (0..m * k).map(|i| ((i * 7 % 13) as f32 - 6.0) * 0.1).collect();
        let b: Vec<f32> = (0..k * n).map(|i| ((i * 5 % 11) as f32 - 5.0) * 0.1).collect();
        let mut c = vec![0.0f32; m * n];
        let reps = ((2e9 / (2.0 * (m * n * k) as f64)) as usize).clamp(1, 1000);
        let mut best = f64::INFINITY;
        for _ in 0..5 {
            let t = Instant::now();
            for _ in 0..reps {
                gemm(1.0, MatRef::new(&a, m, k), MatRef::new(&b, k, n), 0.0, &mut c, n, 1)?;
            }
            best = best.min(t.elapsed().as_secs_f64() / reps as f64);
        }
        println!("  {m:5}x{k:5}x{n:5}: {:7.2} GFLOP/s", 2.0 * (m * n * k) as f64 / best / 1e9);
    }
    Ok(())
}
}
