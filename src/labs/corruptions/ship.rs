//! Native runs behind the numbers in `docs/labs/corruptions.md`: the 15 x 5 grid's time on a 224x224 photo, and
//! the robustness table of the shipped digit models. Run with `cargo run --release --example corruptions`.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use super::bench::{Benchmark, DigitModel, ModelReport};
use super::perturb::Perturbation;
use super::{corrupt_severities, decode, Corruption, FrostPictures, Image, Tables};
use crate::data::mnist::Mnist;
use crate::error::Result;

/// The 224x224 crop of chelsea.png the reference script times (rows 40.., columns 110..).
pub fn chelsea224(root: &Path) -> Result<Image> {
    let full = decode(&std::fs::read(root.join("www/data/photos/chelsea.png"))?)?;
    let mut data = Vec::with_capacity(224 * 224 * 3);
    for y in 40..264 {
        data.extend_from_slice(&full.data[(y * full.w + 110) * 3..(y * full.w + 334) * 3]);
    }
    Image::new(224, 224, 3, data)
}

/// Seconds for the whole 15 x 5 grid (ImageNet-C corruptions, ImageNet tables) on `img`, and per corruption: row
/// by row as the page computes it ([`corrupt_severities`], the five severities in parallel with `--features
/// parallel`).
///
/// # Errors
/// Errors of the corruptions.
pub fn time_grid(img: &Image, frost: &FrostPictures) -> Result<(f64, Vec<(&'static str, f64)>)> {
    let t0 = Instant::now();
    let mut per = Vec::new();
    for (ci, &c) in Corruption::common().iter().enumerate() {
        let t1 = Instant::now();
        corrupt_severities(img, c, Tables::ImageNet, ci as u64, Some(frost))?;
        per.push((c.name(), t1.elapsed().as_secs_f64()));
    }
    Ok((t0.elapsed().as_secs_f64(), per))
}

/// Milliseconds of every cell of the 15 x 5 grid on `img`, one cell at a time on the calling thread (the fastest
/// of `repeats` runs of each), in [`Corruption::common`] order: what [`super::cell_cost`] estimates.
///
/// # Errors
/// Errors of the corruptions.
pub fn time_cells(img: &Image, frost: &FrostPictures, repeats: usize) -> Result<Vec<(&'static str, [f64; 5])>> {
    let mut out = Vec::new();
    for (ci, &c) in Corruption::common().iter().enumerate() {
        let mut ms = [f64::INFINITY; 5];
        for (k, m) in ms.iter_mut().enumerate() {
            for _ in 0..repeats.max(1) {
                let t = Instant::now();
                super::corrupt(img, c, k + 1, Tables::ImageNet, &mut crate::nn::Rng::new(ci as u64), Some(frost))?;
                *m = m.min(1000.0 * t.elapsed().as_secs_f64());
            }
        }
        out.push((c.name(), ms));
    }
    Ok(out)
}

/// Seconds for the whole 15 x 5 grid on `img` in one [`super::corrupt_grid`] call (the page's call: 75 cells
/// longest first, shared by the threads with `--features parallel`).
///
/// # Errors
/// Errors of the corruptions.
pub fn time_grid_flat(img: &Image, frost: &FrostPictures) -> Result<f64> {
    let t0 = Instant::now();
    super::corrupt_grid(img, Corruption::common(), Tables::ImageNet, 1, Some(frost))?;
    Ok(t0.elapsed().as_secs_f64())
}

/// The shipped digit models the benchmark compares, as (name, loader kind of [`DigitModel::from_safetensors`],
/// file): the verify lab's two MLPs (the natural one is the baseline), the lottery lab's winning ticket, the bagnet
/// lab's BagNet-9, BagNet-17 and its baseline CNN (MNIST), and the blindspot lab's natural and PGD-trained (Madry)
/// CNNs.
pub const MODELS: [(&str, &str, &str); 8] = [
    ("MLP natural (baseline)", "mlp", "www/models/verify/mlp-natural.safetensors"),
    ("MLP CROWN-IBP", "mlp", "www/models/verify/mlp-crownibp.safetensors"),
    ("LeNet-300-100 ticket 21.1%", "mlp", "www/models/lottery/vision-ticket.safetensors"),
    ("BagNet-9", "bagnet", "www/models/bagnet/bagnet-q9-mnist.safetensors"),
    ("BagNet-17", "bagnet", "www/models/bagnet/bagnet-q17-mnist.safetensors"),
    ("CNN (bagnet lab)", "bagnet", "www/models/bagnet/cnn-mnist.safetensors"),
    ("CNN natural (blindspot)", "cnn", "www/models/blindspot/cnn-natural.safetensors"),
    ("CNN PGD (blindspot)", "cnn", "www/models/blindspot/cnn-madry.safetensors"),
];

/// Runs the benchmark of [`MODELS`] (baseline: the first) on the first `n` test digits (flip rates on `n_flip`):
/// the reports and the seconds it took.
///
/// # Errors
/// Missing or unreadable shipped files; errors of [`Benchmark`].
pub fn robustness_run(root: &Path, n: usize, n_flip: usize, seed: u64) -> Result<(Vec<ModelReport>, f64)> {
    let data = Mnist::load_default()?;
    let frost = FrostPictures::load_dir(&root.join("www/data/frost"))?;
    let models = MODELS.iter().map(|(name, kind, f)| Ok((name.to_string(), DigitModel::from_safetensors(kind, &std::fs::read(root.join(f))?)?))).collect::<Result<Vec<_>>>()?;
    let mut b = Benchmark::new(&data.test.images, &data.test.labels, n, n_flip, seed, models, 0, Some(frost))?;
    let t0 = Instant::now();
    while b.step()?.is_some() {}
    Ok((b.report(), t0.elapsed().as_secs_f64()))
}

/// The shipped precomputed benchmark (`www/data/corruptions-bench.json`, shown by the page before and instead of a
/// live run): `{n, n_flip, seed, secs, models: [ModelReport]}` as JSON, and the same run as the markdown report of
/// [`robustness_table`].
///
/// # Errors
/// As [`robustness_run`].
pub fn robustness_json(root: &Path, n: usize, n_flip: usize, seed: u64) -> Result<(String, String)> {
    let (rep, secs) = robustness_run(root, n, n_flip, seed)?;
    let v = serde_json::json!({ "n": n, "n_flip": n_flip, "seed": seed, "secs": (secs * 10.0).round() / 10.0, "models": rep });
    Ok((format!("{v}\n"), markdown(&rep, n, n_flip, seed, secs)))
}

/// Runs the benchmark on the first `n` test digits (flip rates on `n_flip`) and returns a markdown report.
///
/// # Errors
/// As [`robustness_run`].
pub fn robustness_table(root: &Path, n: usize, n_flip: usize, seed: u64) -> Result<String> {
    let (rep, secs) = robustness_run(root, n, n_flip, seed)?;
    Ok(markdown(&rep, n, n_flip, seed, secs))
}

/// The markdown tables of a benchmark run: summary, error and CE per corruption, flip probability and FR.
fn markdown(rep: &[ModelReport], n: usize, n_flip: usize, seed: u64, secs: f64) -> String {
    let pct = |v: Option<f64>| v.map_or("-".into(), |x| format!("{:.1}", 100.0 * x));
    let mut s = String::new();
    let _ = writeln!(s, "{n} test digits, flips on {n_flip}, seed {seed}, {secs:.1} s\n");
    let _ = writeln!(s, "| model | clean err % | mCE % | rel. mCE % | mFR % |\n|---|---|---|---|---|");
    for r in rep {
        let _ = writeln!(s, "| {} | {:.1} | {} | {} | {} |", r.name, 100.0 * r.clean, pct(r.mce), pct(r.rel_mce), pct(r.mfr));
    }
    let _ = writeln!(s, "\nError % per corruption (mean over severities 1-5), and CE %:\n");
    let _ = writeln!(s, "| corruption | {} |\n|---|{}", rep.iter().map(|r| r.name.as_str()).collect::<Vec<_>>().join(" | "), "---|".repeat(rep.len()));
    for (ci, c) in Corruption::common().iter().enumerate() {
        let cells: Vec<String> = rep.iter().map(|r| format!("{:.1} (CE {})", 100.0 * r.errors[ci].iter().sum::<f64>() / 5.0, pct(r.ce[ci]))).collect();
        let _ = writeln!(s, "| {} | {} |", c.title(), cells.join(" | "));
    }
    let _ = writeln!(s, "\nFlip probability % per perturbation (FR %):\n");
    let _ = writeln!(s, "| perturbation | {} |\n|---|{}", rep.iter().map(|r| r.name.as_str()).collect::<Vec<_>>().join(" | "), "---|".repeat(rep.len()));
    for (pi, p) in Perturbation::ALL.iter().enumerate() {
        let cells: Vec<String> = rep.iter().map(|r| format!("{:.2} (FR {})", 100.0 * r.fp[pi], pct(r.fr[pi]))).collect();
        let _ = writeln!(s, "| {} | {} |", p.name(), cells.join(" | "));
    }
    s
}
