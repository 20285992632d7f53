//! `paperlab train lottery`: trains the lottery lab's precomputed curves natively (several seeds) and writes
//! `www/models/lottery/manifest.json` plus its artifacts (the masks of one IMP run and one trained winning ticket).
//!
//! ```text
//! paperlab train lottery [--only vision|rl|lm|verify] [--seeds N] [--quick] [--out DIR]
//! ```
//!
//! With `--only`, the other parts of an existing manifest are kept. `--quick` shrinks everything (a smoke run).
//! `--runs init,late,random` (vision only) retrains just those runs and keeps the others from the manifest.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::labs::cli::Args;

use serde_json::{json, Value};

use super::cartpole::{CartPoleTask, RlConfig, POLICY_DIMS};
use super::text::{LmConfig, TextTask};
use super::{Imp, ImpConfig, Kind, LevelResult, Mode, Task, VisionTask};
use crate::data::mnist::Mnist;
use crate::error::{Error, Result};
use crate::labs::verify::{verify_counts, LowerSlope, Method};
use crate::nn::prune::Mask;
use crate::nn::Mlp;

/// The vision setting's shipped configuration (LTH's LeNet recipe, scaled to the 8,000 shipped digits).
pub fn vision_config(quick: bool) -> ImpConfig {
    ImpConfig {
        rate: 0.2,
        rate_output: 0.1,
        global: false,
        target: if quick { 0.3 } else { 0.02 },
        max_rounds: 40,
        mode: Mode::Ticket,
        rewind_iter: 0,
        iters: if quick { 200 } else { 1500 },
        eval_every: if quick { 50 } else { 100 },
        lr: 1.2e-3,
        seed: 1,
        prune_embedding: true,
    }
}

/// Late-rewinding iteration of the vision setting (of 1,500 training iterations).
pub const VISION_LATE_K: usize = 100;
/// Minibatch size of the vision setting (LTH: 60).
pub const VISION_BATCH: usize = 60;
/// Epsilons of the pruned-verified-network curves.
pub const VERIFY_EPS: [f32; 4] = [0.1, 0.2, 0.3, 0.4];
/// One-shot pruning levels of the verified network: level r keeps `round(n 0.8^r)` of each hidden layer and
/// `round(n 0.9^r)` of the output layer (LTH's per-round rates), r = 0..=16.
pub const VERIFY_LEVELS: usize = 16;


fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

fn stats(xs: &[f64]) -> Value {
    let n = xs.len().max(1) as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let sd = (xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0).max(1.0)).sqrt();
    let min = xs.iter().cloned().fold(f64::INFINITY, f64::min);
    let max = xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    json!({ "mean": round4(mean), "sd": round4(sd), "min": round4(min), "max": round4(max), "n": xs.len() })
}

/// Per-level mean / sd / min / max over seeds of one series. `runs[s]` are the results of seed `s` for this series.
fn series(label: &str, runs: &[Vec<LevelResult>]) -> Value {
    let mut levels: Vec<usize> = runs.iter().flatten().map(|r| r.level).collect();
    levels.sort_unstable();
    levels.dedup();
    let points: Vec<Value> = levels
        .iter()
        .map(|&l| {
            let rs: Vec<&LevelResult> = runs.iter().filter_map(|run| run.iter().find(|r| r.level == l)).collect();
            let col = |f: &dyn Fn(&LevelResult) -> f64| rs.iter().map(|r| f(r)).collect::<Vec<f64>>();
            json!({
                "level": l,
                "remaining": rs[0].remaining,
                "counts": rs[0].counts,
                "metric": stats(&col(&|r| r.metric_at_es)),
                "metric_final": stats(&col(&|r| r.metric_final)),
                "metric_tail": stats(&col(&|r| r.metric_tail)),
                "early_stop": stats(&col(&|r| r.early_stop_iter as f64)),
            })
        })
        .collect();
    json!({ "label": label, "points": points })
}

fn raw(results: &[LevelResult]) -> Value {
    Value::Array(
        results
            .iter()
            .map(|r| {
                json!({
                    "level": r.level, "kind": r.kind, "remaining": r.remaining, "early_stop_iter": r.early_stop_iter,
                    "metric_at_es": round4(r.metric_at_es), "metric_final": round4(r.metric_final),
                    "metric_tail": round4(r.metric_tail),
                })
            })
            .collect(),
    )
}

/// `prune_round[t][i]`: the round in which weight `i` of prunable tensor `t` was pruned (255 = never), from the
/// ticket masks of levels 0, 1, 2, ... (each a subset of the one before).
pub fn prune_rounds(masks: &[Mask]) -> Vec<Vec<u8>> {
    let first = &masks[0];
    let mut out: Vec<Vec<u8>> = first.keep.iter().map(|k| vec![255; k.len()]).collect();
    for (r, m) in masks.iter().enumerate().skip(1) {
        for (t, k) in m.keep.iter().enumerate() {
            for (i, &kept) in k.iter().enumerate() {
                if !kept && out[t][i] == 255 {
                    out[t][i] = r.min(254) as u8;
                }
            }
        }
    }
    out
}

/// What one IMP run of the shipped curves produced.
struct RunOut {
    seed: u64,
    name: &'static str,
    results: Vec<LevelResult>,
    /// The ticket masks of levels 0, 1, ... (only for the run that keeps artifacts).
    masks: Vec<Mask>,
    /// The trained ticket at the level nearest 20% of the weights: (level, fraction remaining, its parameters).
    ticket: Option<(usize, f64, Vec<Vec<f32>>)>,
}

fn run_imp<T: Task>(setting: &str, task: T, cfg: ImpConfig, name: &'static str, keep: bool, t0: Instant) -> Result<RunOut> {
    let seed = cfg.seed;
    let mut imp = Imp::new(task, cfg)?;
    let want_level = imp.levels().iter().min_by(|a, b| (a.1 - 0.2).abs().total_cmp(&(b.1 - 0.2).abs())).map(|l| l.0).unwrap_or(0);
    let mut masks = Vec::new();
    let mut ticket = None;
    while !imp.finished() {
        let before = imp.results().len();
        imp.step(usize::MAX)?;
        for r in &imp.results()[before..] {
            eprintln!(
                "  {setting} seed {seed} {name:7} level {:2} {:7} {:6.2}% left: metric {:.4} at early stop {:4}, final {:.4}, last quarter {:.4}  {:.0}s",
                r.level,
                format!("{:?}", r.kind).to_lowercase(),
                100.0 * r.remaining,
                r.metric_at_es,
                r.early_stop_iter,
                r.metric_final,
                r.metric_tail,
                t0.elapsed().as_secs_f32()
            );
            if keep && r.kind == Kind::Ticket {
                masks.push(imp.current_mask().clone());
                if r.level == want_level {
                    ticket = Some((r.level, r.remaining, imp.task.params().iter().map(|p| p.to_vec()).collect()));
                }
            }
        }
    }
    Ok(RunOut { seed, name, results: imp.results().to_vec(), masks, ticket })
}

/// The results of runs `name` of kind `kind`, one list per seed, with the dense network (level 0) first.
fn pick(outs: &[RunOut], name: &str, kind: Kind) -> Vec<Vec<LevelResult>> {
    outs.iter()
        .filter(|o| o.name == name)
        .map(|o| {
            let dense = o.results.iter().find(|r| r.level == 0).cloned();
            let mut v: Vec<LevelResult> = o.results.iter().filter(|r| r.kind == kind && r.level > 0).cloned().collect();
            if let Some(d) = dense {
                v.insert(0, d);
            }
            v
        })
        .collect()
}

fn train_vision(out: &Path, seeds: u64, quick: bool, runs: Option<&[&str]>) -> Result<Value> {
    let data = Mnist::load_default()?;
    let base = vision_config(quick);
    let late_k = if quick { 20 } else { VISION_LATE_K };
    let mut jobs: Vec<(ImpConfig, &'static str)> = Vec::new();
    for seed in 1..=seeds {
        // LTH: the ticket rewound to init and its re-initialised control (same masks); late rewinding; random masks.
        jobs.push((ImpConfig { mode: Mode::Reinit, rewind_iter: 0, seed, ..base.clone() }, "init"));
        jobs.push((ImpConfig { mode: Mode::Ticket, rewind_iter: late_k, seed, ..base.clone() }, "late"));
        jobs.push((ImpConfig { mode: Mode::Random, rewind_iter: 0, seed, ..base.clone() }, "random"));
    }
    if let Some(names) = runs {
        jobs.retain(|j| names.contains(&j.1));
    }
    eprintln!("== lottery vision: {} IMP runs ({} seeds) on {} threads", jobs.len(), seeds, crate::par::threads());
    let t0 = Instant::now();
    let outs = crate::par::map_range(jobs.len(), |j| {
        // The data order is seeded by the run's seed, as in the page.
        let task = VisionTask::new(&data, VISION_BATCH, jobs[j].0.seed)?;
        run_imp("vision", task, jobs[j].0.clone(), jobs[j].1, jobs[j].1 == "init" && jobs[j].0.seed == 1, t0)
    });
    let outs: Vec<RunOut> = outs.into_iter().collect::<Result<_>>()?;
    let secs = t0.elapsed().as_secs_f64();
    // Artifacts of seed 1's IMP (rewind to init): when each weight was pruned, and the trained ticket near 20%.
    let Some(first) = outs.iter().find(|o| o.name == "init" && o.seed == 1) else {
        return Ok(vision_json(&outs, &base, late_k, seeds, quick, secs, &data, Value::Null));
    };
    let rounds = prune_rounds(&first.masks);
    let mut meta = BTreeMap::new();
    meta.insert("what".into(), "the IMP round in which each weight was pruned (255 = never): level r keeps the weights whose value is > r".into());
    meta.insert("layout".into(), "layer0 [300, 784] (unit, pixel), layer1 [100, 300], layer2 [10, 100]".into());
    meta.insert("seed".into(), first.seed.to_string());
    // The first layer is stored input-major in the task; the file is unit-major (one 28x28 image per unit).
    let l0t: Vec<u8> = (0..300 * 784).map(|k| rounds[0][(k % 784) * 300 + k / 784]).collect();
    let masks_st = save_u8(
        &[("layer0", &[300, 784], &l0t), ("layer1", &[100, 300], &rounds[1]), ("layer2", &[10, 100], &rounds[2])],
        &meta,
    )?;
    let masks_file = "vision-masks.safetensors.gz";
    std::fs::write(out.join(masks_file), gzip(&masks_st)?)?;
    let mut ticket_json = Value::Null;
    if let Some((level, remaining, params)) = &first.ticket {
        let mlp = VisionTask::mlp_of(params);
        let x = data.test.batch_f32(&(0..data.test.n).collect::<Vec<_>>());
        let z = mlp.logits(crate::nd::view("test digits", &x, (data.test.n, mlp.inputs()))?)?;
        let pred = crate::nn::layers::argmax_rows(z.view());
        let ok = pred.iter().zip(&data.test.labels).filter(|(p, y)| **p == **y as usize).count();
        let mut m = BTreeMap::new();
        m.insert("id".into(), "vision-ticket".into());
        m.insert("label".into(), format!("LeNet-300-100 winning ticket, level {level} ({:.1}% of weights), trained", 100.0 * remaining));
        m.insert("level".into(), level.to_string());
        let file = "vision-ticket.safetensors";
        std::fs::write(out.join(file), mlp.to_safetensors(&m)?)?;
        ticket_json = json!({
            "file": file, "level": level, "remaining": remaining, "seed": first.seed,
            "counts": first.results.iter().find(|r| r.level == *level && r.kind == Kind::Ticket).map(|r| r.counts.clone()),
            "test_acc_dense_forward": ok as f64 / data.test.n as f64,
            "note": "trained to the end of its run (not to its early-stopping iteration); test accuracy by the dense MLP forward",
        });
    }
    let artifacts = json!({ "masks": masks_file, "ticket": ticket_json });
    Ok(vision_json(&outs, &base, late_k, seeds, quick, secs, &data, artifacts))
}

#[allow(clippy::too_many_arguments)]
fn vision_json(outs: &[RunOut], base: &ImpConfig, late_k: usize, seeds: u64, quick: bool, secs: f64, data: &Mnist, artifacts: Value) -> Value {
    json!({
        "label": "LeNet-300-100 on MNIST",
        "metric": { "key": "metric", "name": "test accuracy at the early-stopping iteration", "unit": "fraction", "higher_is_better": true },
        "config": {
            "imp": base, "late_rewind_iter": late_k, "batch": VISION_BATCH, "seeds": (1..=seeds).collect::<Vec<_>>(),
            "train_digits": super::VISION_TRAIN, "validation_digits": data.train.n - super::VISION_TRAIN, "test_digits": data.test.n,
            "init": "Glorot normal, biases 0", "optimizer": "Adam, constant step size", "quick": quick,
            "train_seconds": round4(secs), "threads": crate::par::threads(),
        },
        "series": {
            "ticket": series("winning ticket (rewind to init)", &pick(outs, "init", Kind::Ticket)),
            "reinit": series("random re-init (masks of the rewind-to-init ticket)", &pick(outs, "init", Kind::Reinit)),
            "late": series(&format!("late rewinding (iteration {late_k})"), &pick(outs, "late", Kind::Ticket)),
            "random": series("random pruning", &pick(outs, "random", Kind::Random)),
        },
        "runs": outs.iter().map(|o| json!({ "seed": o.seed, "run": o.name, "results": raw(&o.results) })).collect::<Vec<_>>(),
        "artifacts": artifacts,
    })
}

/// Merges a partial retraining (`--runs`) into the previous entry of a setting: series with points and runs of the
/// retrained names come from `fresh`, the rest from `prev`; artifacts from `fresh` when it made them.
fn merge_runs(prev: &Value, fresh: &Value, names: &[&str]) -> Value {
    let mut out = fresh.clone();
    if let Some(series) = prev["series"].as_object() {
        for (k, v) in series {
            if fresh["series"][k]["points"].as_array().is_none_or(|p| p.is_empty()) {
                out["series"][k] = v.clone();
            }
        }
    }
    let mut runs: Vec<Value> = prev["runs"].as_array().cloned().unwrap_or_default().into_iter().filter(|r| !names.iter().any(|n| r["run"] == *n)).collect();
    runs.extend(fresh["runs"].as_array().cloned().unwrap_or_default());
    out["runs"] = Value::Array(runs);
    if fresh["artifacts"].is_null() {
        out["artifacts"] = prev["artifacts"].clone();
    }
    out["config"]["train_seconds"] = json!(format!("{} (partial retraining of {names:?}: {})", prev["config"]["train_seconds"], fresh["config"]["train_seconds"]));
    out
}

/// The RL setting's shipped configuration: 100 updates of 8 episodes per network, evaluation every 10.
pub fn rl_config(quick: bool) -> ImpConfig {
    ImpConfig {
        rate: 0.2,
        rate_output: 0.1,
        global: false,
        target: if quick { 0.5 } else { 0.02 },
        max_rounds: 40,
        mode: Mode::Ticket,
        rewind_iter: 0,
        iters: if quick { 20 } else { 100 },
        eval_every: 10,
        lr: 3e-3,
        seed: 1,
        prune_embedding: true,
    }
}

/// Late-rewinding update of the RL setting (of 100).
pub const RL_LATE_K: usize = 10;

fn train_rl(out: &Path, seeds: u64, quick: bool) -> Result<Value> {
    let base = rl_config(quick);
    let late_k = if quick { 5 } else { RL_LATE_K };
    let rl = RlConfig::default();
    let mut jobs: Vec<(ImpConfig, &'static str)> = Vec::new();
    for seed in 1..=seeds {
        // Yu et al.: late rewinding and its re-initialised control (same masks); rewinding to init; random masks.
        jobs.push((ImpConfig { mode: Mode::Reinit, rewind_iter: late_k, seed, ..base.clone() }, "late"));
        jobs.push((ImpConfig { mode: Mode::Ticket, rewind_iter: 0, seed, ..base.clone() }, "init"));
        jobs.push((ImpConfig { mode: Mode::Random, rewind_iter: 0, seed, ..base.clone() }, "random"));
    }
    eprintln!("== lottery rl: {} IMP runs ({} seeds) on {} threads", jobs.len(), seeds, crate::par::threads());
    let t0 = Instant::now();
    let outs = crate::par::map_range(jobs.len(), |j| {
        let task = CartPoleTask::new(rl.clone(), jobs[j].0.seed);
        run_imp("rl", task, jobs[j].0.clone(), jobs[j].1, j == 0, t0)
    });
    let outs: Vec<RunOut> = outs.into_iter().collect::<Result<_>>()?;
    let secs = t0.elapsed().as_secs_f64();
    let first = &outs[0];
    let mut ticket_json = Value::Null;
    if let Some((level, remaining, params)) = &first.ticket {
        let mlp = Mlp { dims: POLICY_DIMS.to_vec(), w: vec![params[0].clone(), params[2].clone(), params[4].clone()], b: vec![params[1].clone(), params[3].clone(), params[5].clone()] };
        let mut task = CartPoleTask::new(rl.clone(), first.seed);
        task.mlp = mlp.clone();
        let ret = task.greedy_return()?;
        let mut m = BTreeMap::new();
        m.insert("id".into(), "rl-ticket".into());
        m.insert("label".into(), format!("CartPole policy, late-rewound ticket, level {level} ({:.1}% of weights), trained", 100.0 * remaining));
        m.insert("level".into(), level.to_string());
        let file = "rl-ticket.safetensors";
        std::fs::write(out.join(file), mlp.to_safetensors(&m)?)?;
        ticket_json = json!({
            "file": file, "level": level, "remaining": remaining, "seed": first.seed,
            "counts": first.results.iter().find(|r| r.level == *level && r.kind == Kind::Ticket).map(|r| r.counts.clone()),
            "greedy_return": ret,
            "note": "policy 4-64-64-3 (2 action logits, 1 value); greedy return over the task's fixed evaluation starts",
        });
    }
    Ok(json!({
        "label": "CartPole, policy-gradient MLP 4-64-64",
        "metric": { "key": "metric_tail", "name": "greedy episode return, mean over the last quarter of training", "unit": "steps", "higher_is_better": true },
        "config": {
            "imp": base, "late_rewind_iter": late_k, "rl": rl, "seeds": (1..=seeds).collect::<Vec<_>>(), "quick": quick,
            "policy": "MLP 4-64-64-3 (ReLU; 2 action logits and a value), PyTorch-style uniform init",
            "algorithm": "REINFORCE with a learned baseline (advantages normalised per update), entropy bonus, Adam",
            "environment": "CartPole-v1 dynamics (Barto, Sutton & Anderson; gym constants), 500-step cap",
            "train_seconds": round4(secs), "threads": crate::par::threads(),
        },
        "series": {
            "ticket": series("ticket rewound to init", &pick(&outs, "init", Kind::Ticket)),
            "late": series(&format!("late rewinding (update {late_k})"), &pick(&outs, "late", Kind::Ticket)),
            "reinit": series("random re-init (masks of the late-rewound ticket)", &pick(&outs, "late", Kind::Reinit)),
            "random": series("random pruning", &pick(&outs, "random", Kind::Random)),
        },
        "runs": outs.iter().map(|o| json!({ "seed": o.seed, "run": o.name, "results": raw(&o.results) })).collect::<Vec<_>>(),
        "artifacts": { "ticket": ticket_json },
    }))
}

/// The language setting's shipped configuration: 600 iterations of 16 windows of 64 characters per network,
/// evaluation every 50, Adam 1e-2, down to 5% of the weights.
pub fn lm_config(quick: bool) -> ImpConfig {
    ImpConfig {
        rate: 0.2,
        rate_output: 0.1,
        global: false,
        target: if quick { 0.6 } else { 0.05 },
        max_rounds: 40,
        mode: Mode::Ticket,
        rewind_iter: 0,
        iters: if quick { 40 } else { 600 },
        eval_every: if quick { 20 } else { 50 },
        lr: 1e-2,
        seed: 1,
        prune_embedding: true,
    }
}

/// Late-rewinding iteration of the language setting (of 600).
pub const LM_LATE_K: usize = 50;

/// The shipped text (native only).
pub fn text_gz() -> Result<Vec<u8>> {
    Ok(std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("www/data/moby-dick-200k.txt.gz"))?)
}

fn train_lm(out: &Path, seeds: u64, quick: bool) -> Result<Value> {
    let base = lm_config(quick);
    let late_k = if quick { 10 } else { LM_LATE_K };
    let lm = LmConfig::default();
    let gz = text_gz()?;
    let proto = TextTask::from_gz(&gz, lm.clone(), 1)?;
    let mut jobs: Vec<(ImpConfig, &'static str)> = Vec::new();
    for seed in 1..=seeds {
        // Yu et al.: late rewinding and its re-initialised control (same masks); rewinding to init; random masks;
        // late rewinding with the embedding left dense.
        jobs.push((ImpConfig { mode: Mode::Reinit, rewind_iter: late_k, seed, ..base.clone() }, "late"));
        jobs.push((ImpConfig { mode: Mode::Ticket, rewind_iter: 0, seed, ..base.clone() }, "init"));
        jobs.push((ImpConfig { mode: Mode::Random, rewind_iter: 0, seed, ..base.clone() }, "random"));
        jobs.push((ImpConfig { mode: Mode::Ticket, rewind_iter: late_k, seed, prune_embedding: false, ..base.clone() }, "noemb"));
    }
    eprintln!("== lottery lm: {} IMP runs ({} seeds) on {} threads", jobs.len(), seeds, crate::par::threads());
    let t0 = Instant::now();
    let outs = crate::par::map_range(jobs.len(), |j| {
        let mut task = proto.clone();
        task.set_data_seed(jobs[j].0.seed);
        run_imp("lm", task, jobs[j].0.clone(), jobs[j].1, j == 0, t0)
    });
    let outs: Vec<RunOut> = outs.into_iter().collect::<Result<_>>()?;
    let secs = t0.elapsed().as_secs_f64();
    let first = &outs[0];
    let mut ticket_json = Value::Null;
    if let Some((level, remaining, params)) = &first.ticket {
        let mut task = proto.clone();
        task.p = params.clone();
        let bpc = task.val_bpc()?;
        let mut m = BTreeMap::new();
        m.insert("id".into(), "lm-ticket".into());
        m.insert("label".into(), format!("character LSTM, late-rewound ticket, level {level} ({:.1}% of weights), trained", 100.0 * remaining));
        m.insert("level".into(), level.to_string());
        m.insert("arch".into(), "char-lstm".into());
        m.insert("vocab".into(), String::from_utf8_lossy(&proto.vocab).into_owned());
        let names = ["emb", "w_ih", "w_hh", "bias", "w_out", "b_out"];
        let (v, e, h) = (proto.v(), lm.e, lm.h);
        let shapes: [Vec<usize>; 6] = [vec![v, e], vec![4 * h, e], vec![4 * h, h], vec![4 * h], vec![v, h], vec![v]];
        let tensors: Vec<(&str, &[usize], &[f32])> = (0..6).map(|i| (names[i], shapes[i].as_slice(), params[i].as_slice())).collect();
        let file = "lm-ticket.safetensors";
        std::fs::write(out.join(file), crate::io::save_f32(&tensors, &m)?)?;
        ticket_json = json!({
            "file": file, "level": level, "remaining": remaining, "seed": first.seed, "val_bpc": bpc,
            "counts": first.results.iter().find(|r| r.level == *level && r.kind == Kind::Ticket).map(|r| r.counts.clone()),
            "note": "parameters emb, w_ih, w_hh, bias, w_out, b_out (src/labs/lottery/text.rs); trained to the end of its run",
        });
    }
    Ok(json!({
        "label": "character-level LSTM on Moby-Dick",
        "metric": { "key": "metric", "name": "validation bits per character at the best evaluation", "unit": "bits/char", "higher_is_better": false },
        "config": {
            "imp": base, "late_rewind_iter": late_k, "lm": lm, "vocab": String::from_utf8_lossy(&proto.vocab), "seeds": (1..=seeds).collect::<Vec<_>>(),
            "quick": quick, "text": "www/data/moby-dick-200k.txt.gz: first 180,000 characters train, last 20,000 validate",
            "model": "embedding 75x32, one LSTM layer of 64, linear output to 75 characters; PyTorch-style init",
            "train_seconds": round4(secs), "threads": crate::par::threads(),
        },
        "series": {
            "ticket": series("ticket rewound to init", &pick(&outs, "init", Kind::Ticket)),
            "late": series(&format!("late rewinding (iteration {late_k})"), &pick(&outs, "late", Kind::Ticket)),
            "reinit": series("random re-init (masks of the late-rewound ticket)", &pick(&outs, "late", Kind::Reinit)),
            "random": series("random pruning", &pick(&outs, "random", Kind::Random)),
            "noemb": series("late rewinding, embedding not pruned", &pick(&outs, "noemb", Kind::Ticket)),
        },
        "runs": outs.iter().map(|o| json!({ "seed": o.seed, "run": o.name, "results": raw(&o.results) })).collect::<Vec<_>>(),
        "artifacts": { "ticket": ticket_json },
    }))
}

/// U8 tensors as safetensors bytes (header keys sorted, tensors in the given order, header padded to 8 bytes).
fn save_u8(tensors: &[(&str, &[usize], &[u8])], meta: &BTreeMap<String, String>) -> Result<Vec<u8>> {
    let mut header = serde_json::Map::new();
    header.insert("__metadata__".into(), json!(meta));
    let mut off = 0usize;
    for (name, shape, data) in tensors {
        if shape.iter().product::<usize>() != data.len() {
            return Err(Error::shape("save_u8", format!("tensor {name}: shape {shape:?} but {} bytes", data.len())));
        }
        header.insert((*name).into(), json!({ "dtype": "U8", "shape": shape, "data_offsets": [off, off + data.len()] }));
        off += data.len();
    }
    let mut h = serde_json::to_string(&header).unwrap();
    while (8 + h.len()) % 8 != 0 {
        h.push(' ');
    }
    let mut out = (h.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(h.as_bytes());
    for (_, _, d) in tensors {
        out.extend_from_slice(d);
    }
    Ok(out)
}

/// gzip at level 9 with a zero mtime (reproducible bytes).
fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    use std::io::Write;
    let mut e = flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::best());
    e.write_all(bytes)?;
    Ok(e.finish()?)
}

fn train_verify_combo(quick: bool) -> Result<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("www/models/verify/mlp-crownibp.safetensors");
    let (m, _) = Mlp::from_safetensors(&std::fs::read(&path)?)?;
    let data = Mnist::load_default()?;
    let n = if quick { 200 } else { data.test.n };
    let x = data.test.batch_f32(&(0..n).collect::<Vec<_>>());
    let y = &data.test.labels[..n];
    let t0 = Instant::now();
    let levels = if quick { 3 } else { VERIFY_LEVELS };
    let mut remaining = Vec::new();
    let mut clean = Vec::new();
    let mut ibp = vec![Vec::new(); VERIFY_EPS.len()];
    let mut cib = vec![Vec::new(); VERIFY_EPS.len()];
    for r in 0..=levels {
        let p = super::prune_mlp(&m, 0.2, 0.1, r)?;
        let total: usize = m.w.iter().map(Vec::len).sum();
        let kept: usize = p.w.iter().map(|w| w.iter().filter(|v| **v != 0.0).count()).sum();
        remaining.push(round4(kept as f64 / total as f64));
        for (e, &eps) in VERIFY_EPS.iter().enumerate() {
            let a = verify_counts(&p, crate::nd::view("lottery verify", &x, (n, 784))?, y, eps, Method::Ibp, 1.0, LowerSlope::Adaptive, 250)?;
            let b = verify_counts(&p, crate::nd::view("lottery verify", &x, (n, 784))?, y, eps, Method::CrownIbp, 1.0, LowerSlope::Adaptive, 100)?;
            if e == 0 {
                clean.push(round4(a.clean_err as f64 / n as f64));
            }
            ibp[e].push(round4(a.verified_err as f64 / n as f64));
            cib[e].push(round4(b.verified_err as f64 / n as f64));
        }
        eprintln!(
            "  verify level {r:2}: {:6.2}% left, clean err {:.2}%, CROWN-IBP verified err at eps {:?}: {:?}  {:.0}s",
            100.0 * remaining[r],
            100.0 * clean[r],
            VERIFY_EPS,
            cib.iter().map(|c| c[r]).collect::<Vec<_>>(),
            t0.elapsed().as_secs_f32()
        );
    }
    Ok(json!({
        "model": "../verify/mlp-crownibp.safetensors",
        "label": "CROWN-IBP-trained MLP 784-256-256-10 (the verify lab's), pruned once by magnitude, not retrained",
        "rule": "level r keeps round(n 0.8^r) of each hidden layer's weights and round(n 0.9^r) of the output layer's (largest magnitudes)",
        "levels": (0..=levels).collect::<Vec<_>>(),
        "remaining": remaining, "eps": VERIFY_EPS.iter().map(|&e| round4(e as f64)).collect::<Vec<_>>(), "clean_err": clean, "ibp_err": ibp, "crownibp_err": cib,
        "test_digits": n,
    }))
}

/// The CLI entry: `paperlab train lottery [--only vision|rl|lm|verify] [--seeds N] [--quick] [--out DIR]`. The RL
/// setting uses at least 5 seeds (its returns are noisy).
///
/// # Errors
/// I/O errors, or errors from training.
pub fn train_cli(rest: &[&str]) -> Result<()> {
    let args = Args::parse("paperlab train lottery", rest, &["out", "seeds", "only", "runs"], &["quick"])?;
    let quick = args.has("quick");
    let out = args.path("out", PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("www/models/lottery"));
    let seeds: u64 = args.value("seeds", 3)?;
    let only = args.get("only");
    let runs: Option<Vec<&str>> = args.get("runs").map(|r| r.split(',').collect());
    const PARTS: [&str; 4] = ["vision", "rl", "lm", "verify"];
    if let Some(o) = only {
        if !PARTS.contains(&o) {
            return Err(Error::range("--only", format!("'{o}' is not one of {PARTS:?}")));
        }
    }
    std::fs::create_dir_all(&out)?;
    let path = out.join("manifest.json");
    // Read just before writing, so runs of different parts in parallel processes do not undo each other.
    let read = || -> Value {
        let m: Value = std::fs::read(&path).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_else(|| json!({}));
        if m.is_object() {
            m
        } else {
            json!({})
        }
    };
    for part in PARTS {
        if only.is_some_and(|o| o != part) {
            continue;
        }
        let v = match part {
            "vision" => {
                let fresh = train_vision(&out, seeds, quick, runs.as_deref())?;
                match &runs {
                    Some(names) => merge_runs(&read()["settings"]["vision"], &fresh, names),
                    None => fresh,
                }
            }
            "rl" => train_rl(&out, seeds.max(5), quick)?,
            "lm" => train_lm(&out, seeds, quick)?,
            _ => train_verify_combo(quick)?,
        };
        let mut manifest = read();
        manifest["lab"] = json!("lottery");
        manifest["made_by"] = json!("paperlab train lottery (src/labs/lottery/ship.rs); re-checked by tests/lottery_models.rs");
        if part == "verify" {
            manifest["verify"] = v;
        } else {
            manifest["settings"][part] = v;
        }
        std::fs::write(&path, serde_json::to_string_pretty(&manifest).unwrap() + "\n")?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
