//! `paperlab train ucb`: the shipped runs (every method, both modes, several seeds) and their manifest.

#[allow(unused_imports)]
use super::*;

// ---------------------------------------------------------------------------------------------------------------------
// Shipped results (`paperlab train ucb`)

/// Pruning ratios of the shipped accuracy-vs-ratio curves (the page's slider grid): 0, 0.05, ..., 0.95.
pub fn prune_ratios() -> Vec<f32> {
    (0..20).map(|i| i as f32 * 0.05).collect()
}

pub(super) fn round4(v: f32) -> f64 {
    if v.is_finite() {
        (v as f64 * 10000.0).round() / 10000.0
    } else {
        f64::NAN
    }
}

/// The manifest entry of a finished run: configuration, accuracy matrix, ACC/BWT, sigma histograms after each task,
/// mean training cross-entropy per epoch, and accuracy on every task vs pruning ratio (per criterion).
///
/// # Errors
/// As [`Run::pruned_accuracy`].
pub fn run_json(run: &Run, seconds: f64) -> Result<serde_json::Value> {
    let cfg = run.config();
    let (acc, bwt) = acc_bwt(run.matrix());
    let criteria: &[Criterion] = if cfg.method.bayes() { &[Criterion::Snr, Criterion::Magnitude] } else { &[Criterion::Magnitude] };
    let mut prune = serde_json::Map::new();
    for &c in criteria {
        let rows: Vec<Vec<f64>> = prune_ratios()
            .iter()
            .map(|&r| run.pruned_accuracy(r, c).map(|v| v.into_iter().map(round4).collect()))
            .collect::<Result<_>>()?;
        let name = if c == Criterion::Snr { "snr" } else { "magnitude" };
        prune.insert(name.into(), serde_json::json!(rows));
    }
    Ok(serde_json::json!({
        "method": cfg.method.name(),
        "mode": cfg.mode.name(),
        "seed": cfg.seed,
        "config": cfg,
        "matrix": run.matrix().iter().map(|r| r.iter().map(|&v| round4(v)).collect::<Vec<_>>()).collect::<Vec<_>>(),
        "acc": round4(acc),
        "bwt": round4(bwt),
        "seconds": (seconds * 100.0).round() / 100.0,
        "hists": run.hists(),
        "epoch_ce": run.epoch_ce.iter().map(|r| r.iter().map(|&v| round4(v)).collect::<Vec<_>>()).collect::<Vec<_>>(),
        "prune": prune,
    }))
}

/// `paperlab train ucb [--out DIR] [--seeds 1,2,3] [--only METHOD:MODE] [--set KEY=VALUE]... [--quick] [--dry]`:
/// runs every method in both modes for every seed, prints the accuracy matrices, and writes `manifest.json` (to
/// `www/models/ucb/` by default; `--dry` writes nothing). `--set` overrides a [`Config`] field (JSON value) for
/// experiments; `--quick` is one epoch per task.
///
/// # Errors
/// [`Error::Range`] for bad arguments; [`Error::Io`] when the data cannot be read or the manifest not written.
#[cfg(not(target_arch = "wasm32"))]
pub fn train_cli(args: &[&str]) -> Result<()> {
    use std::time::Instant;
    if args.first() == Some(&"long") {
        return long_cli(&args[1..]);
    }
    let cli = crate::labs::cli::Args::parse_with("paperlab train ucb", args, &["out", "seeds", "only"], &["quick", "dry", "verbose"], &["set"])?;
    let out = cli.path("out", std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("www/models/ucb"));
    let seeds: Vec<u64> = cli.list("seeds", vec![1, 2, 3])?;
    let only: Option<(Method, Mode)> = match cli.get("only") {
        Some(s) => {
            let (a, b) = s.split_once(':').ok_or_else(|| Error::range("--only", "use METHOD:MODE, e.g. ucb:task"))?;
            Some((a.parse()?, b.parse()?))
        }
        None => None,
    };
    let sets: Vec<(&str, serde_json::Value)> = cli
        .all("set")
        .into_iter()
        .map(|kv| {
            let (k, v) = kv.split_once('=').ok_or_else(|| Error::range("--set", "use KEY=VALUE"))?;
            Ok((k, serde_json::from_str(v).unwrap_or_else(|_| serde_json::Value::String(v.to_string()))))
        })
        .collect::<Result<_>>()?;
    let quick = cli.has("quick");
    let dry = cli.has("dry");
    let mnist = Mnist::load_default()?;
    let data = std::sync::Arc::new(SplitMnist::new(&mnist));
    let mut runs = Vec::new();
    for mode in [Mode::Task, Mode::Class] {
        for method in Method::ALL {
            if only.is_some_and(|o| o != (method, mode)) {
                continue;
            }
            for &seed in &seeds {
                let mut cfg = Config::default_for(method, mode, seed);
                if quick {
                    cfg.epochs = 1;
                }
                if !sets.is_empty() {
                    let mut v = serde_json::to_value(&cfg).expect("config serialises");
                    for (k, val) in &sets {
                        if v.get(*k).is_none() {
                            return Err(Error::range("--set", format!("'{k}' is not a config field")));
                        }
                        v[*k] = val.clone();
                    }
                    cfg = serde_json::from_value(v).map_err(|e| Error::range("--set", e.to_string()))?;
                }
                let t0 = Instant::now();
                let mut run = Run::new(cfg, data.clone())?;
                run.run_to_end(|_, _| {})?;
                let secs = t0.elapsed().as_secs_f64();
                let (acc, bwt) = acc_bwt(run.matrix());
                eprintln!("== {} / {} / seed {seed}: ACC {:.2}%  BWT {:+.2}%  ({secs:.1} s, {} threads)", method.name(), mode.name(), 100.0 * acc, 100.0 * bwt, crate::par::threads());
                for (t, row) in run.matrix().iter().enumerate() {
                    let cells: Vec<String> = row.iter().map(|v| format!("{:6.2}", 100.0 * v)).collect();
                    let ce: Vec<String> = run.epoch_ce[t].iter().map(|v| format!("{v:.3}")).collect();
                    eprintln!("   after task {}: {}   train CE {}", t + 1, cells.join(" "), ce.join(" "));
                }
                if cli.has("verbose") {
                    for (t, h) in run.hists().iter().enumerate() {
                        for (g, counts) in h.iter().enumerate() {
                            let c: Vec<String> = counts.iter().map(|c| c.to_string()).collect();
                            eprintln!("   sigma hist after task {} group {g}: {}", t + 1, c.join(" "));
                        }
                    }
                }
                if dry {
                    runs.push(serde_json::json!({ "method": method.name(), "mode": mode.name(), "seed": seed, "acc": acc, "bwt": bwt }));
                    continue;
                }
                let t1 = Instant::now();
                let mut j = run_json(&run, secs)?;
                eprintln!("   pruning curves in {:.1} s", t1.elapsed().as_secs_f64());
                j["threads"] = crate::par::threads().into();
                runs.push(j);
            }
        }
    }
    let mut summary = Vec::new();
    for mode in [Mode::Task, Mode::Class] {
        for method in Method::ALL {
            let sel: Vec<&serde_json::Value> = runs.iter().filter(|r| r["method"] == method.name() && r["mode"] == mode.name()).collect();
            if sel.is_empty() {
                continue;
            }
            let stat = |k: &str| {
                let v: Vec<f64> = sel.iter().map(|r| r[k].as_f64().unwrap_or(f64::NAN)).collect();
                let m = v.iter().sum::<f64>() / v.len() as f64;
                let sd = if v.len() > 1 { (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() - 1) as f64).sqrt() } else { 0.0 };
                ((m * 10000.0).round() / 10000.0, (sd * 10000.0).round() / 10000.0)
            };
            let (am, asd) = stat("acc");
            let (bm, bsd) = stat("bwt");
            eprintln!("{:>8} / {:<5}: ACC {:.2} ± {:.2}%   BWT {:+.2} ± {:.2}%", method.name(), mode.name(), 100.0 * am, 100.0 * asd, 100.0 * bm, 100.0 * bsd);
            summary.push(serde_json::json!({
                "method": method.name(), "mode": mode.name(), "seeds": sel.iter().map(|r| r["seed"].clone()).collect::<Vec<_>>(),
                "acc_mean": am, "acc_std": asd, "bwt_mean": bm, "bwt_std": bsd,
            }));
        }
    }
    if dry {
        return Ok(());
    }
    let manifest = serde_json::json!({
        "lab": "ucb",
        "made_by": "paperlab train ucb (src/labs/ucb.rs); re-checked by tests/ucb_models.rs",
        "data": "MNIST, 8,000 train / 2,000 test digits (www/data/README.md), split into five tasks 0/1, 2/3, 4/5, 6/7, 8/9",
        "tasks": (0..TASKS).map(|t| [2 * t, 2 * t + 1]).collect::<Vec<_>>(),
        "train_images": data.train.iter().map(TaskData::n).collect::<Vec<_>>(),
        "test_images": data.test.iter().map(TaskData::n).collect::<Vec<_>>(),
        "prune_ratios": prune_ratios().iter().map(|&r| round4(r)).collect::<Vec<_>>(),
        "hist": { "lo": HIST_LO, "hi": HIST_HI, "bins": HIST_BINS, "of": "log10 sigma of the weights (biases excluded)" },
        "quick": quick,
        "summary": summary,
        "runs": runs,
    });
    std::fs::create_dir_all(&out)?;
    let path = out.join("manifest.json");
    std::fs::write(&path, serde_json::to_string(&manifest).expect("manifest serialises") + "\n")?;
    eprintln!("wrote {}", path.display());
    Ok(())
}
