//! The corruptions lab in the browser: a photo (shipped or uploaded) corrupted cell by cell for the 15 x 5 grid,
//! perturbation sequences with their flips on a digit, and the robustness benchmark stepped cell by cell.
//! Thin: decoding, corruption, sequences and metrics all live in `crate::labs::corruptions`.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::{js_err, to_js};
use crate::data::mnist::Mnist;
use crate::labs::corruptions::bench::{predict, Benchmark, DigitModel};
use crate::labs::corruptions::perturb::{flips, sequence, Perturbation};
use crate::labs::corruptions::{corrupt, corrupt_grid, corrupt_severities, decode, Corruption, FrostPictures, Image, Tables};
use crate::nn::{Mlp, Rng};

/// [`CorruptionsLab::digit_sequence`] (`CorruptionsDigitSequence` in results.d.ts).
#[derive(Serialize)]
struct DigitSequence {
    frames: usize,
    noise: bool,
    /// Per model, the predicted class of every frame.
    preds: Vec<Vec<usize>>,
    /// Per model, the frames whose prediction flipped (see `perturb::flips`).
    flips: Vec<Vec<usize>>,
}

/// One entry of [`corruption_names`] (`CorruptionName` in results.d.ts).
#[derive(Serialize)]
struct CorruptionName {
    name: &'static str,
    title: &'static str,
}

/// One entry of [`perturbation_names`] (`PerturbationName` in results.d.ts).
#[derive(Serialize)]
struct PerturbationName {
    name: &'static str,
    noise: bool,
}

/// One lab session: the current photo, the frost pictures, the digits, the models and a running benchmark.
/// The size of the current photo (TypeScript `CorruptionsPhoto` in `results.d.ts`).
#[derive(serde::Serialize)]
struct PhotoSize {
    width: usize,
    height: usize,
    channels: usize,
}

#[wasm_bindgen]
pub struct CorruptionsLab {
    photo: Option<Image>,
    frost_files: Vec<Vec<u8>>,
    frost: Option<FrostPictures>,
    digits: Option<Mnist>,
    models: Vec<(String, DigitModel)>,
    bench: Option<Benchmark>,
}

fn no_photo() -> JsError {
    JsError::new("no photo loaded yet: pick a photo or upload a PNG/JPEG first")
}

#[wasm_bindgen]
impl CorruptionsLab {
    /// A session from the engine's fetched files, in this order: the five frost pictures (`www/data/frost/frost1.png`
    /// .. `frost5.jpg`), the digits (`www/data/mnist-10k.safetensors.gz`), and the three digit models of the benchmark
    /// (`www/models/verify/mlp-natural.safetensors` — the baseline —, `mlp-crownibp.safetensors`,
    /// `www/models/lottery/vision-ticket.safetensors`). No photo yet: call [`Self::load_photo`].
    #[wasm_bindgen(constructor)]
    #[allow(clippy::too_many_arguments)]
    pub fn new(f1: &[u8], f2: &[u8], f3: &[u8], f4: &[u8], f5: &[u8], data_gz: &[u8], natural: &[u8], crownibp: &[u8], ticket: &[u8]) -> Result<CorruptionsLab, JsError> {
        console_error_panic_hook::set_once();
        let mut lab = CorruptionsLab::empty();
        for f in [f1, f2, f3, f4, f5] {
            lab.add_frost(f)?;
        }
        lab.load_digits(data_gz)?;
        for (name, bytes) in [("MLP natural (baseline)", natural), ("MLP CROWN-IBP", crownibp), ("LeNet-300-100 ticket 21.1%", ticket)] {
            lab.add_model(name, bytes)?;
        }
        Ok(lab)
    }

    /// An empty session (no frost pictures, digits or models): add them with the methods below.
    pub fn empty() -> CorruptionsLab {
        console_error_panic_hook::set_once();
        CorruptionsLab { photo: None, frost_files: Vec::new(), frost: None, digits: None, models: Vec::new(), bench: None }
    }

    /// Names of the loaded models, in order.
    pub fn model_names(&self) -> Vec<String> {
        self.models.iter().map(|(n, _)| n.clone()).collect()
    }

    /// Adds one frost picture's file (call in the order frost1.png .. frost6.jpg); the pictures are decoded once
    /// five have arrived.
    pub fn add_frost(&mut self, bytes: &[u8]) -> Result<(), JsError> {
        self.frost_files.push(bytes.to_vec());
        if self.frost_files.len() >= 5 {
            let refs: Vec<&[u8]> = self.frost_files.iter().map(Vec::as_slice).collect();
            self.frost = Some(FrostPictures::from_files(&refs).map_err(js_err)?);
        }
        Ok(())
    }

    /// Decodes a PNG/JPEG file and makes it the current photo, downscaled to at most `max_side` px on its longer
    /// side. Returns its size `{ width, height, channels }` (pixels; 3 channels). Errors say what is wrong with the
    /// file (type, truncation, size).
    #[wasm_bindgen(unchecked_return_type = "CorruptionsPhoto")]
    pub fn load_photo(&mut self, bytes: &[u8], max_side: usize) -> Result<JsValue, JsError> {
        let img = decode(bytes).map_err(js_err)?.to_rgb().fit(max_side).map_err(js_err)?;
        let size = PhotoSize { width: img.w, height: img.h, channels: img.c };
        self.photo = Some(img);
        to_js(&size)
    }

    /// The current photo as RGBA bytes.
    pub fn photo_rgba(&self) -> Result<Vec<u8>, JsError> {
        Ok(self.photo.as_ref().ok_or_else(no_photo)?.to_rgba8())
    }

    /// The photo corrupted by `name` (the reference's names, e.g. `"gaussian_noise"`) at `severity` 1..=5, seeded,
    /// as RGBA bytes. Tables follow the photo's size (CIFAR-10-C's up to 64 px, ImageNet-C's above).
    pub fn corrupt(&self, name: &str, severity: usize, seed: u32) -> Result<Vec<u8>, JsError> {
        let img = self.photo.as_ref().ok_or_else(no_photo)?;
        let c = Corruption::from_name(name).map_err(js_err)?;
        let mut rng = Rng::new(u64::from(seed));
        let out = corrupt(img, c, severity, Tables::for_size(img.w, img.h), &mut rng, self.frost.as_ref()).map_err(js_err)?;
        Ok(out.to_rgba8())
    }

    /// A row of the 15 x 5 grid: the photo corrupted by `name` at severities 1..=5, each exactly as
    /// [`Self::corrupt`] with the same seed, as RGBA bytes one image after the other (`5 * w * h * 4`). The five
    /// run in parallel on the threaded build.
    pub fn corrupt_row(&self, name: &str, seed: u32) -> Result<Vec<u8>, JsError> {
        let img = self.photo.as_ref().ok_or_else(no_photo)?;
        let c = Corruption::from_name(name).map_err(js_err)?;
        let out = corrupt_severities(img, c, Tables::for_size(img.w, img.h), u64::from(seed), self.frost.as_ref()).map_err(js_err)?;
        Ok(out.iter().flat_map(Image::to_rgba8).collect())
    }

    /// Several rows of the grid in one call: `names` comma-separated (e.g. `"gaussian_noise,shot_noise"`), each at
    /// severities 1..=5, each cell exactly as [`Self::corrupt`] with the same seed, as RGBA bytes row after row, the
    /// five severities of a row one after the other (`5 * rows * w * h * 4`). The `5 * rows` cells are one list run
    /// longest first, so on the threaded build the threads share them evenly.
    pub fn corrupt_grid(&self, names: &str, seed: u32) -> Result<Vec<u8>, JsError> {
        let img = self.photo.as_ref().ok_or_else(no_photo)?;
        let cs = names.split(',').filter(|n| !n.is_empty()).map(Corruption::from_name).collect::<crate::Result<Vec<_>>>().map_err(js_err)?;
        let grid = corrupt_grid(img, &cs, Tables::for_size(img.w, img.h), u64::from(seed), self.frost.as_ref()).map_err(js_err)?;
        let cells: Vec<&Image> = grid.iter().flatten().collect();
        // The RGBA conversion of the cells is shared by the threads too.
        let rgba = crate::par::map_range(cells.len(), |i| cells[i].to_rgba8());
        Ok(rgba.concat())
    }

    /// The perturbation sequence `name` of the photo, frames one after the other as RGBA bytes
    /// (`frames * w * h * 4`).
    pub fn photo_sequence(&self, name: &str, seed: u32) -> Result<Vec<u8>, JsError> {
        let img = self.photo.as_ref().ok_or_else(no_photo)?;
        let p = Perturbation::from_name(name).map_err(js_err)?;
        let frames = sequence(img, p, Tables::for_size(img.w, img.h), &mut Rng::new(u64::from(seed))).map_err(js_err)?;
        Ok(frames.iter().flat_map(Image::to_rgba8).collect())
    }

    /// Loads the shipped digits (`mnist-10k.safetensors.gz` bytes). Returns the number of test digits.
    pub fn load_digits(&mut self, data_gz: &[u8]) -> Result<usize, JsError> {
        let m = Mnist::from_gz_bytes(data_gz).map_err(js_err)?;
        let n = m.test.n;
        self.digits = Some(m);
        Ok(n)
    }

    /// Adds a digit model (an MLP safetensors file taking 784 inputs in [0, 1]) under `name`. Returns its index.
    pub fn add_model(&mut self, name: &str, bytes: &[u8]) -> Result<usize, JsError> {
        let (m, _) = Mlp::from_safetensors(bytes).map_err(js_err)?;
        self.models.push((name.to_string(), m.into()));
        Ok(self.models.len() - 1)
    }

    /// Adds any shipped digit model under `name`: `kind` `"mlp"`, `"bagnet"` (the bagnet lab's BagNets and CNN) or
    /// `"cnn"` (the blindspot lab's CNNs), `bytes` its safetensors file. Returns its index.
    pub fn add_digit_model(&mut self, name: &str, kind: &str, bytes: &[u8]) -> Result<usize, JsError> {
        let m = DigitModel::from_safetensors(kind, bytes).map_err(js_err)?;
        self.models.push((name.to_string(), m));
        Ok(self.models.len() - 1)
    }

    /// The perturbation sequence `name` of test digit `i` (CIFAR-P settings):
    /// `{frames, noise, preds: [[..] per model], flips: [[..] per model]}`; the pixels come from
    /// [`Self::digit_frames`].
    #[wasm_bindgen(unchecked_return_type = "CorruptionsDigitSequence")]
    pub fn digit_sequence(&self, i: usize, name: &str, seed: u32) -> Result<JsValue, JsError> {
        let (frames, p) = self.digit_frames_inner(i, name, seed)?;
        let n = frames.len() / 784;
        let mut preds = Vec::new();
        let mut fl = Vec::new();
        for (_, m) in &self.models {
            let pr = predict(m, &frames.iter().map(|&b| f32::from(b) / 255.0).collect::<Vec<_>>(), n).map_err(js_err)?;
            fl.push(flips(&pr, p.is_noise()));
            preds.push(pr);
        }
        to_js(&DigitSequence { frames: n, noise: p.is_noise(), preds, flips: fl })
    }

    /// The frames of [`Self::digit_sequence`] as bytes (`frames * 784`).
    pub fn digit_frames(&self, i: usize, name: &str, seed: u32) -> Result<Vec<u8>, JsError> {
        Ok(self.digit_frames_inner(i, name, seed)?.0)
    }

    fn digit_frames_inner(&self, i: usize, name: &str, seed: u32) -> Result<(Vec<u8>, Perturbation), JsError> {
        let d = self.digits.as_ref().ok_or_else(|| JsError::new("digits not loaded yet"))?;
        if i >= d.test.n {
            return Err(JsError::new(&format!("digit {i} does not exist; use 0..{}", d.test.n)));
        }
        let p = Perturbation::from_name(name).map_err(js_err)?;
        let img = Image::from_u8(28, 28, 1, d.test.image(i)).map_err(js_err)?;
        let frames = sequence(&img, p, Tables::Cifar, &mut Rng::new(u64::from(seed))).map_err(js_err)?;
        Ok((frames.iter().flat_map(Image::to_u8).collect(), p))
    }

    /// Starts the benchmark on the first `n` test digits (flip rates on the first `n_flip`), all added models,
    /// normalised by model `baseline`. Returns the number of cells.
    pub fn bench_start(&mut self, n: usize, n_flip: usize, seed: u32, baseline: usize) -> Result<usize, JsError> {
        let d = self.digits.as_ref().ok_or_else(|| JsError::new("digits not loaded yet"))?;
        let n = n.min(d.test.n);
        let b = Benchmark::new(&d.test.images, &d.test.labels, n, n_flip, u64::from(seed), self.models.clone(), baseline, self.frost.clone()).map_err(js_err)?;
        let total = b.total();
        self.bench = Some(b);
        Ok(total)
    }

    /// Runs the next benchmark cell: its record (`{index, total, name, severity, values}`, `bench::Cell`), or null
    /// when all are done.
    #[wasm_bindgen(unchecked_return_type = "CorruptionsCell | null")]
    pub fn bench_step(&mut self) -> Result<JsValue, JsError> {
        let b = self.bench.as_mut().ok_or_else(|| JsError::new("no benchmark running; start one first"))?;
        to_js(&b.step().map_err(js_err)?)
    }

    /// The benchmark's results so far, one record per model (`bench::ModelReport`: clean, errors, ce, rel_ce, mce,
    /// rel_mce, fp, fr, mfr; null where a cell has not run yet).
    #[wasm_bindgen(unchecked_return_type = "CorruptionsModelReport[]")]
    pub fn bench_report(&self) -> Result<JsValue, JsError> {
        let b = self.bench.as_ref().ok_or_else(|| JsError::new("no benchmark running; start one first"))?;
        to_js(&b.report())
    }

    /// Drops the running benchmark (cancel).
    pub fn bench_cancel(&mut self) {
        self.bench = None;
    }
}

/// Names of the 19 corruptions in the reference's order (the first 15 are ImageNet-C's): `[{name, title}]`.
#[wasm_bindgen(unchecked_return_type = "CorruptionName[]")]
pub fn corruption_names() -> Result<JsValue, JsError> {
    to_js(&Corruption::ALL.iter().map(|c| CorruptionName { name: c.name(), title: c.title() }).collect::<Vec<_>>())
}

/// Names of the 10 perturbations: `[{name, noise}]`.
#[wasm_bindgen(unchecked_return_type = "PerturbationName[]")]
pub fn perturbation_names() -> Result<JsValue, JsError> {
    to_js(&Perturbation::ALL.iter().map(|p| PerturbationName { name: p.name(), noise: p.is_noise() }).collect::<Vec<_>>())
}
