//! `paperlab train roll`: trains the digit models natively (the same MLP plain and with the ROLL loss at several λ)
//! and writes `www/models/roll/` (safetensors + `manifest.json`); `paperlab bench roll` times the lab's hot paths.
//!
//! ```text
//! paperlab train roll [--out DIR] [--epochs N] [--seed S] [--only ID,ID] [--quick]
//! paperlab bench roll
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::toy::{make, Toy, ToyConfig, ToyTrainer};
use super::{batch_margins, linearize, margins, neuron_gradients, neuron_gradients_backward, quantiles, region_map, roll_loss, Probes, Quantiles, RollConfig};
use crate::data::mnist::Mnist;
use crate::error::{Error, Result};
use crate::labs::cli::Args;
use crate::nd;
use crate::nn::layers::argmax_rows;
use crate::nn::{Adam, Mlp, Rng};

/// Hidden layers of the digit MLP: the paper's 4 x 300 ReLU layers, narrowed to 100 units so that the exact margins
/// of the test digits (one 785-row pass per digit) and the training fit the lab's time budget on 2 cores.
pub const HIDDEN: [usize; 4] = [100, 100, 100, 100];
/// Random coordinates per training step for the gradient-norm estimate.
pub const PROBES: usize = 16;
/// Test digits whose exact margins the manifest reports (the first ones of the shipped test split).
pub const MARGIN_DIGITS: usize = 1000;

/// The shipped models: id, λ (0 = plain training).
pub fn models() -> Vec<(&'static str, f32)> {
    vec![("plain", 0.0), ("roll-0.5", 0.5), ("roll-2", 2.0), ("roll-8", 8.0)]
}

/// The ROLL settings shared by the shipped digit models (λ varies).
pub fn roll_config(lambda: f32) -> RollConfig {
    RollConfig { lambda, c: 0.05, gamma: 10.0 }
}

/// Training settings of one digit model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DigitTrain {
    /// Passes over the 8,000 training digits.
    pub epochs: usize,
    /// Minibatch size.
    pub batch: usize,
    /// Adam step size.
    pub lr: f32,
    /// Random coordinates P per step (a fresh subset every step).
    pub probes: usize,
    /// Seed of the initialisation, the minibatch order and the coordinates.
    pub seed: u64,
}

/// Trains one digit model on the shipped train split; returns it and the seconds it took.
///
/// # Errors
/// From the data and the loss.
pub fn train_digits(data: &Mnist, roll: &RollConfig, t: &DigitTrain) -> Result<(Mlp, f64)> {
    let mut dims = vec![784];
    dims.extend(HIDDEN);
    dims.push(10);
    let mut rng = Rng::new(t.seed);
    let mut mlp = Mlp::new(&dims, &mut rng)?;
    let mut adam = Adam::new(t.lr, &mlp.param_sizes());
    let n = data.train.n;
    let mut order: Vec<usize> = (0..n).collect();
    let t0 = Instant::now();
    for epoch in 0..t.epochs {
        rng.shuffle(&mut order);
        let (mut ce, mut reg, mut acc, mut steps) = (0.0, 0.0, 0.0, 0);
        for chunk in order.chunks(t.batch) {
            let x = data.train.batch_f32(chunk);
            let y = data.train.batch_labels(chunk);
            // Plain training needs no probe rows: one row per digit.
            let probes = if roll.lambda > 0.0 { Probes::random_coords(784, t.probes, &mut rng) } else { Probes { u: Vec::new(), p: 0, scale: 1.0, exact: false } };
            let (loss, g) = roll_loss(&mlp, nd::view("train roll", &x, (y.len(), 784))?, &y, &probes, roll)?;
            adam.step(&mut mlp.params_mut(), &g.as_slices());
            ce += loss.ce as f64;
            reg += loss.roll as f64;
            acc += loss.acc as f64;
            steps += 1;
        }
        let s = steps.max(1) as f64;
        eprintln!("  epoch {:2}: ce {:.4}  roll {:.4}  train acc {:.4}  {:.0}s", epoch + 1, ce / s, reg / s, acc / s, t0.elapsed().as_secs_f64());
    }
    Ok((mlp, t0.elapsed().as_secs_f64()))
}

/// Fraction of the shipped test digits `mlp` classifies correctly.
///
/// # Errors
/// From the forward pass.
pub fn test_accuracy(mlp: &Mlp, data: &Mnist) -> Result<f64> {
    let idx: Vec<usize> = (0..data.test.n).collect();
    let x = data.test.batch_f32(&idx);
    let pred = argmax_rows(mlp.logits(nd::view("test_accuracy", &x, (data.test.n, 784))?)?.view());
    Ok(pred.iter().zip(&data.test.labels).filter(|(p, y)| **p == **y as usize).count() as f64 / data.test.n as f64)
}

/// Margin quantiles of the first `n` test digits.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MarginStats {
    /// Digits measured.
    pub n: usize,
    /// ε̂_{x,1}.
    pub l1: Quantiles,
    /// ε̂_{x,2}.
    pub l2: Quantiles,
    /// ε̂_{x,∞}.
    pub linf: Quantiles,
}

/// Exact margins of the first `n` test digits (pixels in [0, 1]).
///
/// # Errors
/// From [`batch_margins`].
pub fn margin_stats(mlp: &Mlp, data: &Mnist, n: usize) -> Result<MarginStats> {
    let n = n.min(data.test.n);
    let idx: Vec<usize> = (0..n).collect();
    let x = data.test.batch_f32(&idx);
    let (eps, _) = batch_margins(mlp, nd::view("margin_stats", &x, (n, 784))?, 8)?;
    let col = |t: usize| eps.column(t).to_vec();
    Ok(MarginStats { n, l1: quantiles(&col(0)), l2: quantiles(&col(1)), linf: quantiles(&col(2)) })
}

/// How well `k` random coordinates estimate the ℓ2 margins of a model, over some test digits.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProjectionError {
    /// Random coordinates per estimate.
    pub k: usize,
    /// Digits measured.
    pub digits: usize,
    /// Median over neurons and digits of `|‖∇z‖²_est / ‖∇z‖² - 1|`.
    pub median_rel_err_norm2: f64,
    /// Median over digits of `|ε̂_2 est / ε̂_2 - 1|` (the min over neurons with estimated norms).
    pub median_rel_err_eps2: f64,
}

/// Measures the random-coordinate estimate against exact gradients on the first `digits` test digits.
///
/// # Errors
/// From [`linearize`].
pub fn projection_error(mlp: &Mlp, data: &Mnist, k: usize, digits: usize, seed: u64) -> Result<ProjectionError> {
    let mut rng = Rng::new(seed);
    let (mut rel_norm, mut rel_eps) = (Vec::new(), Vec::new());
    for i in 0..digits.min(data.test.n) {
        let x = ndarray::Array1::from(data.test.image_f32(i));
        let exact = neuron_gradients(mlp, x.view())?;
        let p = Probes::random_coords(784, k, &mut rng);
        let est = linearize(mlp, x.view().insert_axis(ndarray::Axis(0)), &p)?.point(mlp, 0)?;
        let mut eps_est = f32::INFINITY;
        for (j, z) in exact.z.iter().enumerate() {
            let e2: f32 = exact.grad[j * 784..(j + 1) * 784].iter().map(|v| v * v).sum();
            let s2: f32 = est.grad[j * k..(j + 1) * k].iter().map(|v| v * v).sum::<f32>() * p.scale;
            if e2 > 0.0 {
                rel_norm.push((s2 / e2 - 1.0).abs());
            }
            if s2 > 0.0 {
                eps_est = eps_est.min(z.abs() / s2.sqrt());
            }
        }
        let e = margins(&exact).eps[1];
        if e.is_finite() && e > 0.0 && eps_est.is_finite() {
            rel_eps.push((eps_est / e - 1.0).abs());
        }
    }
    Ok(ProjectionError { k, digits, median_rel_err_norm2: quantiles(&rel_norm).p50, median_rel_err_eps2: quantiles(&rel_eps).p50 })
}

/// One shipped digit model in the manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelEntry {
    /// `plain` or `roll-<λ>`.
    pub id: String,
    /// Weights file next to the manifest.
    pub file: String,
    /// The ROLL settings (λ = 0: plain cross-entropy).
    pub roll: RollConfig,
    /// Fraction of the 2,000 shipped test digits classified correctly.
    pub test_acc: f64,
    /// Exact margins of the first test digits.
    pub margins: MarginStats,
    /// The random-coordinate estimate used in training, measured on this model.
    pub projection: ProjectionError,
    /// Seconds of training (this machine, `nice -n 10`, threads as in `threads`).
    pub train_seconds: f64,
}

/// How the models were made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HowMade {
    /// The command.
    pub command: String,
    /// Layer widths, input first.
    pub dims: Vec<usize>,
    /// Training settings shared by all models.
    pub train: DigitTrain,
    /// Data used.
    pub data: String,
    /// Threads of the native run.
    pub threads: usize,
    /// Where this deviates from the paper.
    pub deviations: Vec<String>,
}

/// `www/models/roll/manifest.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// `roll`.
    pub lab: String,
    /// The paper.
    pub paper: String,
    /// How the models were made.
    pub how_made: HowMade,
    /// The models, plain first.
    pub models: Vec<ModelEntry>,
}

/// The CLI: `paperlab train roll [--out DIR] [--epochs N] [--seed S] [--only ID,ID] [--quick]`. `--seed` (default 1,
/// the shipped models) sets the initialisation and batch order; with `--only` (ids from [`models`]) only those
/// models are trained, e.g. the seed-spread check `--seed 2 --only plain,roll-8 --out /tmp/roll-s2`.
///
/// # Errors
/// I/O errors; training errors; an `--only` id that is not a model.
pub fn train_cli(rest: &[&str]) -> Result<()> {
    let args = Args::parse("paperlab train roll", rest, &["out", "epochs", "seed", "only"], &["quick"])?;
    let seed: u64 = args.value("seed", 1)?;
    let all: Vec<String> = models().iter().map(|(id, _)| id.to_string()).collect();
    let only: Vec<String> = args.list("only", all.clone())?;
    if let Some(bad) = only.iter().find(|id| !all.contains(id)) {
        return Err(Error::range("--only", format!("no model {bad:?}; the models are {}", all.join(", "))));
    }
    let out = args.path("out", PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("www/models/roll"));
    let quick = args.has("quick");
    let epochs: usize = args.value("epochs", if quick { 1 } else { 10 })?;
    let margin_digits = if quick { 50 } else { MARGIN_DIGITS };
    std::fs::create_dir_all(&out)?;
    let data = Mnist::load_default()?;
    let t = DigitTrain { epochs, batch: 64, lr: 1e-3, probes: PROBES, seed };
    let mut entries = Vec::new();
    for (id, lambda) in models().into_iter().filter(|(id, _)| only.iter().any(|o| o == id)) {
        let roll = roll_config(lambda);
        eprintln!("== roll digits {id}: lambda {lambda}, C {}, gamma {}%, {} epochs, {} threads", roll.c, roll.gamma, t.epochs, crate::par::threads());
        let (mlp, secs) = train_digits(&data, &roll, &t)?;
        let test_acc = test_accuracy(&mlp, &data)?;
        let t1 = Instant::now();
        let margins = margin_stats(&mlp, &data, margin_digits)?;
        let projection = projection_error(&mlp, &data, PROBES, if quick { 20 } else { 200 }, 7)?;
        eprintln!(
            "  test acc {:.4}; median eps_1 {:.4} eps_2 {:.4} eps_inf {:.5} ({} digits, {:.0}s); {} coordinates: median |err| of |grad z|^2 {:.2}, of eps_2 {:.2}",
            test_acc, margins.l1.p50, margins.l2.p50, margins.linf.p50, margins.n, t1.elapsed().as_secs_f64(), PROBES, projection.median_rel_err_norm2, projection.median_rel_err_eps2
        );
        let file = format!("{id}.safetensors");
        let mut meta = BTreeMap::new();
        meta.insert("lab".into(), "roll".into());
        meta.insert("id".into(), id.to_string());
        meta.insert("roll".into(), serde_json::to_string(&roll).map_err(|e| Error::format("roll config", e.to_string()))?);
        std::fs::write(out.join(&file), mlp.to_safetensors(&meta)?)?;
        entries.push(ModelEntry { id: id.to_string(), file, roll, test_acc, margins, projection, train_seconds: (secs * 10.0).round() / 10.0 });
    }
    let mut dims = vec![784];
    dims.extend(HIDDEN);
    dims.push(10);
    let manifest = Manifest {
        lab: "roll".into(),
        paper: "Lee, Alvarez-Melis & Jaakkola, Towards Robust, Locally Linear Deep Networks, ICLR 2019".into(),
        how_made: HowMade {
            command: format!(
                "nice -n 10 paperlab train roll --epochs {epochs}{}{}{}",
                if seed == 1 { String::new() } else { format!(" --seed {seed}") },
                if only.len() == all.len() { String::new() } else { format!(" --only {}", only.join(",")) },
                if quick { " --quick" } else { "" }
            ),
            dims,
            train: t,
            data: format!("{} (8,000 train / 2,000 test digits); margins on the first {margin_digits} test digits, pixels in [0, 1]", crate::data::mnist::DEFAULT_PATH),
            threads: crate::par::threads(),
            deviations: vec![
                "hidden layers 4 x 100 instead of the paper's 4 x 300 (time budget on 2 cores)".into(),
                "8,000 training digits instead of MNIST's 55,000; a few epochs".into(),
                format!("gradient norms in training estimated from {PROBES} random input coordinates per step"),
            ],
        },
        models: entries,
    };
    let json = serde_json::to_string_pretty(&manifest).map_err(|e| Error::format("manifest", e.to_string()))?;
    std::fs::write(out.join("manifest.json"), json + "\n")?;
    eprintln!("wrote {}", out.join("manifest.json").display());
    Ok(())
}

fn median_ms(mut f: impl FnMut(), reps: usize) -> f64 {
    f();
    let mut v: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// `paperlab bench roll`: medians of the region map (256², the toy net), a toy training step, and the input
/// gradients of all neurons for one digit, batched vs one backward pass per neuron.
///
/// # Errors
/// From the lab's functions.
pub fn bench_cli(rest: &[&str]) -> Result<()> {
    Args::parse("paperlab bench roll", rest, &[], &[])?;
    let (x, y) = make(Toy::Spirals, 200, 0.03, 1)?;
    let mut tr = ToyTrainer::new(ToyConfig { roll: RollConfig { lambda: 1.0, c: 0.1, gamma: 20.0 }, ..ToyConfig::default() }, x, y)?;
    let map = median_ms(|| drop(region_map(&tr.mlp, [-1.0, -1.0], [1.0, 1.0], 256)), 21);
    let step = median_ms(|| drop(tr.step(1)), 51);
    let mut rng = Rng::new(1);
    let mut dims = vec![784];
    dims.extend(HIDDEN);
    dims.push(10);
    let mlp = Mlp::new(&dims, &mut rng)?;
    let xd: Vec<f32> = (0..784).map(|_| rng.uniform()).collect();
    let par = median_ms(|| drop(neuron_gradients(&mlp, (&xd[..]).into())), 11);
    let per = median_ms(|| drop(neuron_gradients_backward(&mlp, (&xd[..]).into())), 3);
    let probes = Probes::random_coords(784, PROBES, &mut rng);
    let data = Mnist::load_default()?;
    let idx: Vec<usize> = (0..64).collect();
    let (xb, yb) = (data.train.batch_f32(&idx), data.train.batch_labels(&idx));
    let xb = nd::view("bench roll", &xb, (64, 784))?;
    let roll_step = median_ms(|| drop(roll_loss(&mlp, xb, &yb, &probes, &roll_config(2.0))), 11);
    println!("threads {}", crate::par::threads());
    println!("region map 256x256, toy net 2-16-16-16-2: {map:.2} ms");
    println!("toy training step (200 points, ROLL, exact gradients): {step:.3} ms");
    println!("all {} neuron gradients of one digit, batched basis pass: {par:.2} ms; one backward pass per neuron: {per:.1} ms", HIDDEN.iter().sum::<usize>());
    println!("digit ROLL loss + gradient, batch 64, {PROBES} coordinates: {roll_step:.1} ms");
    Ok(())
}
