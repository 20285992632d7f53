//! `paperlab train bagnet`: trains the shipped models natively (BagNet-q for every q in [`QS`] and the baseline CNN,
//! on MNIST and on Fashion-MNIST, from several seeds) and writes `www/models/bagnet/`: the seed-1 weights of every
//! model and `manifest.json` (test accuracy per q and dataset with its spread over seeds, accuracy on tile-scrambled
//! images, and the masking experiment).
//!
//! ```text
//! paperlab train bagnet [--out DIR] [--epochs N] [--seeds K] [--only DATASET] [--quick]
//! paperlab train bagnet --assemble DIR1,DIR2,... [--out DIR]
//! ```
//! `--only mnist|fashion` trains one dataset and writes a manifest of that dataset alone (use `--out` for it). `--quick`
//! trains on 1,000 images for one epoch (a smoke run, not for shipping). For experiments: `--train N`
//! (the first N training images), `--lr X`, `--batch B`, `--width C`, `--qs 5,9` (patch sizes; `--qs none`: the CNN alone), `--no-mask` (skip the masking experiment), `--no-cnn` (train the BagNets only; implies `--no-mask`).
//!
//! A full run is long, so it can be made in parts: each part (`--only`, `--qs`, `--no-cnn`, `--no-mask`, its own
//! `--out`) writes its weights and a partial manifest; `--assemble` then concatenates the parts' models, copies their
//! weights into `--out`, runs the masking experiment on the assembled seed-1 models and writes the full manifest.
//! The parts must share one training setting (epochs, batch, lr) and one list of seeds.

use std::path::PathBuf;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::{accuracy, mask_experiment, scrambled_accuracy, train, BagNetConfig, CnnConfig, MaskResult, Model, ModelConfig, TrainConfig, QS};
use crate::data::fashion::Fashion;
use crate::data::mnist::{Mnist, Split};
use crate::error::{Error, Result};
use crate::labs::cli::flag;

/// Tile sizes of the scrambling experiment (they divide 28).
pub const TILES: [usize; 2] = [7, 14];
/// Test images of the scrambling experiment (the first ones of the test split).
pub const SCRAMBLE_IMAGES: usize = 1000;
/// Test images of the masking experiment.
pub const MASK_IMAGES: usize = 500;
/// Patches masked per image in the masking experiment.
pub const MASK_KS: [usize; 4] = [1, 2, 4, 8];
/// Seed of the scrambling permutations and random masks (image i uses `EXPERIMENT_SEED + i`).
pub const EXPERIMENT_SEED: u64 = 2019;
/// Epochs of the shipped models (the default of `paperlab train bagnet`; the last one at half the step size).
pub const SHIP_EPOCHS: usize = 3;
/// The datasets, by id.
pub const DATASETS: [&str; 2] = ["mnist", "fashion"];

/// Mean, sample standard deviation, min and max over seeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (0 for one value).
    pub sd: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Number of values.
    pub n: usize,
}

impl Stat {
    /// The statistics of `xs` (non-empty).
    pub fn of(xs: &[f64]) -> Stat {
        let n = xs.len().max(1) as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let sd = (xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0).max(1.0)).sqrt();
        Stat { mean, sd, min: xs.iter().cloned().fold(f64::INFINITY, f64::min), max: xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max), n: xs.len() }
    }
}

/// One training run (one seed) of one model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// Seed of the initialisation and the minibatch order.
    pub seed: u64,
    /// Accuracy on the test split, in [0, 1].
    pub test_acc: f64,
    /// Accuracy on the test images with their tiles scrambled, one per entry of [`TILES`].
    pub scrambled_acc: Vec<f64>,
    /// Mean training cross-entropy of the last epoch (nats).
    pub final_train_loss: f64,
    /// Wall-clock training time (seconds).
    pub train_seconds: f64,
}

/// One model (kind, q, dataset), all its seeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// `bagnet-q9-mnist`, `cnn-fashion`, ...
    pub id: String,
    /// `mnist` or `fashion`.
    pub dataset: String,
    /// The model's sizes.
    pub config: ModelConfig,
    /// Patch size q (`None` for the CNN).
    pub q: Option<usize>,
    /// The shipped weights (seed 1), relative to the manifest.
    pub file: String,
    /// Number of parameters.
    pub params: usize,
    /// Test accuracy over the seeds.
    pub test_acc: Stat,
    /// Scrambled-tile accuracy over the seeds, one per entry of [`TILES`].
    pub scrambled_acc: Vec<Stat>,
    /// Every run.
    pub runs: Vec<Run>,
}

/// The masking experiment of one BagNet (seed 1) against the CNN (seed 1) of its dataset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MaskEntry {
    /// Dataset id.
    pub dataset: String,
    /// Patch size q of the BagNet whose evidence picks the patches.
    pub q: usize,
    /// Test images used.
    pub images: usize,
    /// One result per entry of [`MASK_KS`].
    pub results: Vec<MaskResult>,
}

/// A dataset as the manifest describes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatasetInfo {
    /// `mnist` or `fashion`.
    pub id: String,
    /// The shipped file.
    pub file: String,
    /// Training images used.
    pub train: usize,
    /// Test images.
    pub test: usize,
}

/// `www/models/bagnet/manifest.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// `"bagnet"`.
    pub lab: String,
    /// The command and the test that re-checks it.
    pub made_by: String,
    /// The datasets.
    pub datasets: Vec<DatasetInfo>,
    /// The training settings (the seed field is that of the shipped run; see each entry's runs).
    pub train: TrainConfig,
    /// Seeds trained per model.
    pub seeds: Vec<u64>,
    /// Threads used for training.
    pub threads: usize,
    /// Tile sizes of the scrambling experiment.
    pub scramble_tiles: Vec<usize>,
    /// Test images of the scrambling experiment (the first ones).
    pub scramble_images: usize,
    /// Seed of the scrambling permutations and random masks.
    pub experiment_seed: u64,
    /// Every model.
    pub models: Vec<Entry>,
    /// The masking experiment.
    pub masking: Vec<MaskEntry>,
}

/// Id of a model: `bagnet-q9-mnist` or `cnn-fashion`.
pub fn model_id(q: Option<usize>, dataset: &str) -> String {
    match q {
        Some(q) => format!("bagnet-q{q}-{dataset}"),
        None => format!("cnn-{dataset}"),
    }
}

fn load(dataset: &str) -> Result<(Split, Split, String)> {
    match dataset {
        "mnist" => {
            let m = Mnist::load_default()?;
            Ok((m.train, m.test, crate::data::mnist::DEFAULT_PATH.to_string()))
        }
        "fashion" => {
            let f = Fashion::load_default()?;
            Ok((f.train, f.test, crate::data::fashion::DEFAULT_PATH.to_string()))
        }
        _ => Err(Error::range("dataset", format!("`{dataset}` is not mnist or fashion"))),
    }
}

fn head(s: &Split, n: usize) -> Split {
    let n = n.min(s.n);
    Split { images: s.images[..n * 784].to_vec(), labels: s.labels[..n].to_vec(), n }
}

/// The CLI (see the module docs).
///
/// # Errors
/// I/O errors writing the files; training errors.
pub fn train_cli(rest: &[&str]) -> Result<()> {
    let out = flag(rest, "--out").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("www/models/bagnet"));
    std::fs::create_dir_all(&out)?;
    let quick = rest.contains(&"--quick");
    let epochs = flag(rest, "--epochs").and_then(|s| s.parse().ok()).unwrap_or(if quick { 1 } else { SHIP_EPOCHS });
    let seeds: u64 = flag(rest, "--seeds").and_then(|s| s.parse().ok()).unwrap_or(2).max(1);
    let only = flag(rest, "--only");
    let lr = flag(rest, "--lr").and_then(|s| s.parse().ok()).unwrap_or(TrainConfig::default().lr);
    let batch = flag(rest, "--batch").and_then(|s| s.parse().ok()).unwrap_or(TrainConfig::default().batch);
    let tc0 = TrainConfig { epochs, lr, batch, ..TrainConfig::default() };
    let n_train: Option<usize> = flag(rest, "--train").and_then(|s| s.parse().ok());
    let qs: Vec<usize> = flag(rest, "--qs").map(|s| s.split(',').filter_map(|v| v.parse().ok()).collect()).unwrap_or_else(|| QS.to_vec());
    if let Some(parts) = flag(rest, "--assemble") {
        return assemble(&parts.split(',').map(PathBuf::from).collect::<Vec<_>>(), &out);
    }
    let no_cnn = rest.contains(&"--no-cnn");
    let skip_mask = rest.contains(&"--no-mask") || no_cnn;
    let width: usize = flag(rest, "--width").and_then(|s| s.parse().ok()).unwrap_or(BagNetConfig::lab(5).width);
    let mut models = Vec::new();
    let mut masking = Vec::new();
    let mut datasets = Vec::new();
    let t_all = Instant::now();
    for ds in DATASETS {
        if only.is_some_and(|o| o != ds) {
            continue;
        }
        let (train_full, test, file) = load(ds)?;
        let train_split = head(&train_full, n_train.unwrap_or(if quick { 1000 } else { train_full.n }));
        datasets.push(DatasetInfo { id: ds.to_string(), file, train: train_split.n, test: test.n });
        let mut shipped: Vec<(Option<usize>, Model)> = Vec::new();
        let kinds: Vec<Option<usize>> = qs.iter().map(|&q| Some(q)).chain(if no_cnn { None } else { Some(None) }).collect();
        for q in kinds {
            let cfg = match q {
                Some(q) => ModelConfig::BagNet(BagNetConfig { width, ..BagNetConfig::lab(q) }),
                None => ModelConfig::Cnn(CnnConfig { width, ..CnnConfig::lab() }),
            };
            let id = model_id(q, ds);
            let mut runs = Vec::new();
            let mut params = 0;
            for seed in 1..=seeds {
                let tc = TrainConfig { seed, ..tc0.clone() };
                let mut m = Model::new(&cfg, seed)?;
                params = m.n_params();
                let t0 = Instant::now();
                let mut last = f64::NAN;
                train(&mut m, &train_split, &tc, |e, l| {
                    last = l;
                    eprintln!("  {id} seed {seed} epoch {e}: train loss {l:.4}  {:.0}s", t0.elapsed().as_secs_f32());
                })?;
                let secs = t0.elapsed().as_secs_f64();
                let acc = accuracy(&m, &test, 0)?;
                let scr: Vec<f64> = TILES.iter().map(|&t| scrambled_accuracy(&m, &test, SCRAMBLE_IMAGES, t, EXPERIMENT_SEED)).collect::<Result<_>>()?;
                eprintln!("== {id} seed {seed}: {params} parameters, test {:.2}%, scrambled {:?}, {secs:.0}s", 100.0 * acc, scr.iter().map(|a| (1000.0 * a).round() / 10.0).collect::<Vec<_>>());
                runs.push(Run { seed, test_acc: acc, scrambled_acc: scr, final_train_loss: last, train_seconds: secs });
                if seed == 1 {
                    let mut meta = std::collections::BTreeMap::new();
                    meta.insert("id".to_string(), id.clone());
                    meta.insert("dataset".to_string(), ds.to_string());
                    meta.insert("train_config".to_string(), serde_json::to_string(&tc).expect("serialises"));
                    std::fs::write(out.join(format!("{id}.safetensors")), m.to_safetensors(&meta)?)?;
                    shipped.push((q, m));
                }
            }
            let acc = Stat::of(&runs.iter().map(|r| r.test_acc).collect::<Vec<_>>());
            let scr = (0..TILES.len()).map(|t| Stat::of(&runs.iter().map(|r| r.scrambled_acc[t]).collect::<Vec<_>>())).collect();
            models.push(Entry { id: id.clone(), dataset: ds.to_string(), config: cfg, q, file: format!("{id}.safetensors"), params, test_acc: acc, scrambled_acc: scr, runs });
        }
        if !skip_mask {
            masking.extend(masking_of(ds, &shipped, &test)?);
        }
    }
    write_manifest(&out, datasets, tc0, seeds, models, masking, t_all)
}

/// The masking experiment of every BagNet in `shipped` (seed-1 models of dataset `ds`) against its CNN.
fn masking_of(ds: &str, shipped: &[(Option<usize>, Model)], test: &Split) -> Result<Vec<MaskEntry>> {
    let cnn = match shipped.iter().find(|(q, _)| q.is_none()) {
        Some((_, Model::Cnn(c))) => c.clone(),
        _ => return Err(Error::Model(format!("the CNN of {ds} was not trained; the masking experiment needs it"))),
    };
    let mut out = Vec::new();
    for (q, m) in shipped {
        if let (Some(q), Model::BagNet(b)) = (q, m) {
            let t0 = Instant::now();
            let results = mask_experiment(b, &cnn, test, MASK_IMAGES, &MASK_KS, EXPERIMENT_SEED)?;
            for r in &results {
                eprintln!("  mask {ds} q {q} k {:2}: bagnet {:.3} cnn {:.3} | random: bagnet {:.3} cnn {:.3} | r = {:.3}", r.k, r.bagnet, r.cnn, r.bagnet_random, r.cnn_random, r.correlation);
            }
            eprintln!("  ({:.0}s)", t0.elapsed().as_secs_f32());
            out.push(MaskEntry { dataset: ds.to_string(), q: *q, images: MASK_IMAGES.min(test.n), results });
        }
    }
    Ok(out)
}

/// Concatenates the partial manifests in `parts` (directories written by separate runs), copies their weights into
/// `out`, runs the masking experiment on the assembled seed-1 models of each dataset and writes the full manifest.
///
/// # Errors
/// A part without a readable manifest, parts with different training settings or seeds, a model trained twice,
/// a dataset without its CNN; I/O errors.
fn assemble(parts: &[PathBuf], out: &std::path::Path) -> Result<()> {
    let t_all = Instant::now();
    let mut all: Vec<Manifest> = Vec::new();
    for p in parts {
        let text = std::fs::read_to_string(p.join("manifest.json")).map_err(|e| Error::Model(format!("{}: {e}; run the part first", p.join("manifest.json").display())))?;
        all.push(serde_json::from_str(&text).map_err(|e| Error::Model(format!("{}: not a bagnet manifest ({e})", p.display())))?);
    }
    let first = all.first().ok_or_else(|| Error::range("--assemble", "name at least one part directory"))?.clone();
    let (mut datasets, mut models): (Vec<DatasetInfo>, Vec<Entry>) = (Vec::new(), Vec::new());
    for (m, p) in all.iter().zip(parts) {
        if m.train.epochs != first.train.epochs || m.train.batch != first.train.batch || m.train.lr != first.train.lr || m.seeds != first.seeds {
            return Err(Error::range("--assemble", format!("{} was trained with other settings or seeds than {}", p.display(), parts[0].display())));
        }
        for d in &m.datasets {
            if !datasets.iter().any(|x| x.id == d.id) {
                datasets.push(d.clone());
            }
        }
        for e in &m.models {
            if models.iter().any(|x: &Entry| x.id == e.id) {
                return Err(Error::range("--assemble", format!("{} is in two parts", e.id)));
            }
            if p.as_path() != out {
                std::fs::copy(p.join(&e.file), out.join(&e.file))?;
            }
            models.push(e.clone());
        }
    }
    // Models in the order of a single run: per dataset, BagNets by q, then the CNN.
    models.sort_by_key(|e| (DATASETS.iter().position(|d| *d == e.dataset), e.q.is_none(), e.q));
    let mut masking = Vec::new();
    for ds in DATASETS {
        if !datasets.iter().any(|d| d.id == ds) {
            continue;
        }
        let (_, test, _) = load(ds)?;
        let mut shipped = Vec::new();
        for e in models.iter().filter(|e| e.dataset == ds) {
            shipped.push((e.q, Model::from_safetensors(&std::fs::read(out.join(&e.file))?)?.0));
        }
        masking.extend(masking_of(ds, &shipped, &test)?);
    }
    write_manifest(out, datasets, first.train, first.seeds.len() as u64, models, masking, t_all)
}

fn write_manifest(out: &std::path::Path, datasets: Vec<DatasetInfo>, tc0: TrainConfig, seeds: u64, models: Vec<Entry>, masking: Vec<MaskEntry>, t_all: Instant) -> Result<()> {
    let manifest = Manifest {
        lab: "bagnet".into(),
        made_by: "paperlab train bagnet (src/labs/bagnet/ship.rs); re-checked by tests/bagnet_shipped.rs".into(),
        datasets,
        train: tc0,
        seeds: (1..=seeds).collect(),
        threads: crate::par::threads(),
        scramble_tiles: TILES.to_vec(),
        scramble_images: SCRAMBLE_IMAGES,
        experiment_seed: EXPERIMENT_SEED,
        models,
        masking,
    };
    std::fs::write(out.join("manifest.json"), serde_json::to_string_pretty(&manifest).expect("serialises") + "\n")?;
    eprintln!("wrote {} ({:.0}s in all)", out.join("manifest.json").display(), t_all.elapsed().as_secs_f32());
    Ok(())
}
