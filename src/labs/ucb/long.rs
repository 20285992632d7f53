//! `paperlab train ucb long`: the longer native runs behind the lab's claim (many epochs per task, five seeds,
//! every method including the uncertainty-only rule), written to `www/models/ucb/long.json` without pruning curves.

#[allow(unused_imports)]
use super::*;

/// The methods of the long runs, by the name they carry in `long.json`: the four [`Method`]s and `ucb-norm`, UCB with
/// [`Config::normalised_rule`] (`lr * sigma / sigma_init`, only the uncertainty-dependent part of the rule).
pub const LONG_METHODS: [&str; 5] = ["ucb", "ucb-flat", "ucb-norm", "bbb", "finetune"];

/// The configuration of a long-run method name (see [`LONG_METHODS`]) with `epochs` per task.
///
/// # Errors
/// [`Error::Range`] for an unknown name.
pub fn long_config(name: &str, mode: Mode, epochs: usize, seed: u64) -> Result<Config> {
    let (method, norm) = if name == "ucb-norm" { (Method::Ucb, true) } else { (name.parse()?, false) };
    let mut cfg = Config::default_for(method, mode, seed);
    cfg.epochs = epochs;
    cfg.normalised_rule = norm;
    Ok(cfg)
}

/// Share of the counts of `groups` (sigma histograms over [`HIST_BINS`] bins of log10 sigma in `[HIST_LO, HIST_HI]`)
/// whose bin centre lies within a factor 2 of `sigma_init`; NaN without counts. The page's `nearInit` is the same.
pub fn near_init_share(groups: &[Vec<u32>], sigma_init: f32) -> f32 {
    let w = (HIST_HI - HIST_LO) / HIST_BINS as f32;
    let init = sigma_init.log10();
    let (mut near, mut all) = (0u64, 0u64);
    for g in groups {
        for (i, &n) in g.iter().enumerate() {
            all += n as u64;
            let x = HIST_LO + (i as f32 + 0.5) * w;
            if (x - init).abs() <= 2f32.log10() {
                near += n as u64;
            }
        }
    }
    if all == 0 {
        f32::NAN
    } else {
        (near as f64 / all as f64) as f32
    }
}

/// `paperlab train ucb long [--epochs 4,12,30] [--seeds 1,2,3,4,5] [--modes task,class,perm] [--methods ucb,...]
/// [--hist-seeds 1] [--perm-train 2000] [--out FILE]`: every method x mode x epochs x seed, merged into `FILE` (default
/// `www/models/ucb/long.json`; runs with the same method, mode, epochs and seed are replaced), so a long set can be
/// made in several shorter invocations. sigma histograms are kept for `--hist-seeds` only (size). Mode `perm` is
/// Permuted MNIST ([`SplitMnist::permuted`]) with `--perm-train` training digits per task and the permutations of
/// data seed = the run's seed (so every seed also draws its own four permutations).
///
/// # Errors
/// [`Error::Range`] for bad arguments; [`Error::Io`] when the data cannot be read or the file not written.
#[cfg(not(target_arch = "wasm32"))]
pub fn long_cli(args: &[&str]) -> Result<()> {
    use std::time::Instant;
    let cli = crate::labs::cli::Args::parse("paperlab train ucb long", args, &["epochs", "seeds", "modes", "methods", "hist-seeds", "perm-train", "out"], &[])?;
    let out = cli.path("out", std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("www/models/ucb/long.json"));
    let epochs: Vec<usize> = cli.list("epochs", vec![4, 12, 30])?;
    let seeds: Vec<u64> = cli.list("seeds", vec![1, 2, 3, 4, 5])?;
    let hist_seeds: Vec<u64> = cli.list("hist-seeds", vec![1])?;
    let perm_train: usize = cli.list("perm-train", vec![2000])?.first().copied().unwrap_or(2000);
    let modes: Vec<Mode> = cli.get("modes").unwrap_or("task,class").split(',').map(str::parse).collect::<Result<_>>()?;
    let methods: Vec<String> = cli.get("methods").map_or(LONG_METHODS.iter().map(|s| s.to_string()).collect(), |s| s.split(',').map(|x| x.trim().to_string()).collect());
    for m in &methods {
        if !LONG_METHODS.contains(&m.as_str()) {
            return Err(Error::range("--methods", format!("'{m}' is not one of {}", LONG_METHODS.join(", "))));
        }
    }
    let mnist = Mnist::load_default()?;
    let data = std::sync::Arc::new(SplitMnist::new(&mnist));
    let mut runs: Vec<serde_json::Value> = match std::fs::read(&out) {
        Ok(b) => serde_json::from_slice::<serde_json::Value>(&b).ok().and_then(|v| v["runs"].as_array().cloned()).unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    for &mode in &modes {
        for &e in &epochs {
            for m in &methods {
                for &seed in &seeds {
                    let cfg = long_config(m, mode, e, seed)?;
                    let s0 = cfg.sigma_init();
                    let data = if mode == Mode::Perm { std::sync::Arc::new(SplitMnist::permuted(&mnist, seed, perm_train)?) } else { data.clone() };
                    let t0 = Instant::now();
                    let mut run = Run::new(cfg, data.clone())?;
                    run.run_to_end(|_, _| {})?;
                    let secs = t0.elapsed().as_secs_f64();
                    let (acc, bwt) = acc_bwt(run.matrix());
                    let n_shared = run.net().shared.len();
                    let near: Vec<f64> = run.hists().iter().map(|h| round4(near_init_share(&h[..n_shared.min(h.len())], s0))).collect();
                    eprintln!(
                        "== {m} / {} / {e} epochs / seed {seed}: ACC {:.2}%  BWT {:+.2}%  diag {:?}  near sigma_init {:?}  ({secs:.1} s)",
                        mode.name(),
                        100.0 * acc,
                        100.0 * bwt,
                        (0..TASKS).map(|t| (1000.0 * run.matrix()[t][t]).round() / 10.0).collect::<Vec<_>>(),
                        near
                    );
                    let mut j = serde_json::json!({
                        "method": m, "mode": mode.name(), "epochs": e, "seed": seed,
                        "matrix": run.matrix().iter().map(|r| r.iter().map(|&v| round4(v)).collect::<Vec<_>>()).collect::<Vec<_>>(),
                        "acc": round4(acc), "bwt": round4(bwt), "seconds": (secs * 100.0).round() / 100.0,
                        "near_init": near,
                        "final_ce": run.epoch_ce.iter().map(|r| r.last().map_or(f64::NAN, |&v| round4(v))).collect::<Vec<_>>(),
                    });
                    if mode == Mode::Perm {
                        j["train_images"] = serde_json::json!(data.train[0].n());
                    }
                    if hist_seeds.contains(&seed) {
                        j["hists"] = serde_json::json!(run.hists());
                    }
                    runs.retain(|r| !(r["method"] == m.as_str() && r["mode"] == mode.name() && r["epochs"] == e && r["seed"] == seed));
                    runs.push(j);
                    write_long(&out, &runs)?;
                }
            }
        }
    }
    eprintln!("wrote {}", out.display());
    Ok(())
}

#[cfg(not(target_arch = "wasm32"))]
fn write_long(out: &std::path::Path, runs: &[serde_json::Value]) -> Result<()> {
    let mut summary = Vec::new();
    let mut keys: Vec<(String, String, u64)> = Vec::new();
    for r in runs {
        let k = (r["method"].as_str().unwrap_or("").to_string(), r["mode"].as_str().unwrap_or("").to_string(), r["epochs"].as_u64().unwrap_or(0));
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    for (m, mode, e) in keys {
        let sel: Vec<&serde_json::Value> = runs.iter().filter(|r| r["method"] == m.as_str() && r["mode"] == mode.as_str() && r["epochs"] == e).collect();
        let stat = |k: &str| {
            let v: Vec<f64> = sel.iter().map(|r| r[k].as_f64().unwrap_or(f64::NAN)).collect();
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            let sd = if v.len() > 1 { (v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (v.len() - 1) as f64).sqrt() } else { 0.0 };
            ((mean * 10000.0).round() / 10000.0, (sd * 10000.0).round() / 10000.0)
        };
        let ((am, asd), (bm, bsd)) = (stat("acc"), stat("bwt"));
        let diag: Vec<f64> = (0..TASKS).map(|t| round4((sel.iter().map(|r| r["matrix"][t][t].as_f64().unwrap_or(f64::NAN)).sum::<f64>() / sel.len() as f64) as f32)).collect();
        summary.push(serde_json::json!({ "method": m, "mode": mode, "epochs": e, "seeds": sel.len(), "acc_mean": am, "acc_std": asd, "bwt_mean": bm, "bwt_std": bsd, "learned": diag }));
    }
    let v = serde_json::json!({
        "lab": "ucb",
        "made_by": "paperlab train ucb long (src/labs/ucb/long.rs), one invocation per epochs setting",
        "what": "longer native runs: the shipped configuration with more epochs per task; ucb-norm = UCB with lr * sigma / sigma_init; mode perm = Permuted MNIST (5 tasks of all ten digits, task 1 unpermuted, the others permuted with the run's seed; train_images per task, a 10-way head per task)",
        "hist": { "lo": HIST_LO, "hi": HIST_HI, "bins": HIST_BINS, "of": "log10 sigma of the weights (biases excluded)" },
        "summary": summary,
        "runs": runs,
    });
    std::fs::write(out, serde_json::to_string(&v).expect("serialises") + "\n")?;
    Ok(())
}
