//! The blind-spot lab's facade: the three shipped models (natural CNN, PGD-trained CNN, the verify lab's CROWN-IBP
//! MLP) and the MNIST digits, with small calls the page drives in chunks (progress, cancel). No math here: it all
//! lives in `crate::labs::blindspot`.

use wasm_bindgen::prelude::*;

use super::{js_err, to_js};
use crate::data::mnist::{Mnist, PIXELS};
use crate::labs::blindspot::{attack, kde_kl, knn_distance, pca2, success_rate, transform, verified_error, AttackConfig, Cnn, Model, Pca2, EPS};
use crate::nd;
use crate::nn::layers::argmax_rows;
use crate::nn::Mlp;
use crate::Error;

/// Model ids in the order the page uses: 0 natural CNN, 1 adversarially trained CNN, 2 CROWN-IBP MLP.
const IDS: [&str; 3] = ["cnn-natural", "cnn-madry", "mlp-crownibp"];

/// A blind-spot lab session: the models, the test digits and (lazily) each model's training-set embedding.
#[wasm_bindgen]
pub struct BlindspotLab {
    nat: Cnn,
    mad: Cnn,
    mlp: Mlp,
    train_x: Vec<f32>,
    train_labels: Vec<u8>,
    test_x: Vec<f32>,
    test_labels: Vec<u8>,
    emb: [Option<(Vec<f32>, usize, Pca2)>; 3],
    run: Option<Run>,
}

struct Run {
    x: Vec<f32>,
    digits: usize,
    done: usize,
    pgd: AttackConfig,
    cw: AttackConfig,
    acc: [Acc; 3],
}

#[derive(Copy, Clone, Default, serde::Serialize)]
struct Acc {
    n: usize,
    correct: usize,
    pgd_fooled: usize,
    cw_fooled: usize,
    verified_err: usize,
}

#[derive(serde::Serialize)]
struct StepOut {
    done: usize,
    total: usize,
    finished: bool,
    models: [Acc; 3],
}

#[derive(serde::Serialize)]
struct Example {
    label: u8,
    pred_clean: usize,
    pred_transformed: usize,
    pred_adv: usize,
    success: bool,
}

/// `n` rows of 784 pixels from a flat buffer.
fn rows(x: &[f32], n: usize) -> Result<ndarray::ArrayView2<'_, f32>, JsError> {
    nd::view("blindspot digits", x, (n, PIXELS)).map_err(js_err)
}

fn model_index(i: usize) -> Result<usize, JsError> {
    if i < IDS.len() {
        Ok(i)
    } else {
        Err(js_err(Error::range("model", format!("{i} is not 0 (natural CNN), 1 (adversarial CNN) or 2 (CROWN-IBP MLP)"))))
    }
}

#[wasm_bindgen]
impl BlindspotLab {
    /// Loads the natural CNN, the adversarially trained CNN, the CROWN-IBP MLP (safetensors bytes) and the MNIST
    /// subset (`mnist-10k.safetensors.gz`). Throws naming the file that is corrupt.
    #[wasm_bindgen(constructor)]
    pub fn new(natural: &[u8], madry: &[u8], crownibp: &[u8], data_gz: &[u8]) -> Result<BlindspotLab, JsError> {
        console_error_panic_hook::set_once();
        let nat = Cnn::from_safetensors(natural).map_err(js_err)?.0;
        let mad = Cnn::from_safetensors(madry).map_err(js_err)?.0;
        let (mlp, _) = Mlp::from_safetensors(crownibp).map_err(js_err)?;
        if mlp.inputs() != PIXELS || mlp.classes() != 10 {
            return Err(js_err(Error::Model(format!("the CROWN-IBP model must take 784 inputs and give 10 classes; it has dims {:?}", mlp.dims))));
        }
        let data = Mnist::from_gz_bytes(data_gz).map_err(js_err)?;
        Ok(BlindspotLab {
            nat,
            mad,
            mlp,
            train_x: data.train.batch_f32(&(0..data.train.n).collect::<Vec<_>>()),
            train_labels: data.train.labels.clone(),
            test_x: data.test.batch_f32(&(0..data.test.n).collect::<Vec<_>>()),
            test_labels: data.test.labels.clone(),
            emb: [None, None, None],
            run: None,
        })
    }

    fn model(&self, i: usize) -> &dyn Model {
        match i {
            0 => &self.nat,
            1 => &self.mad,
            _ => &self.mlp,
        }
    }

    /// Number of test digits (2,000).
    pub fn n_test(&self) -> usize {
        self.test_labels.len()
    }

    /// Labels of the test digits.
    pub fn test_labels(&self) -> Vec<u8> {
        self.test_labels.clone()
    }

    fn digit(&self, i: usize) -> Result<&[f32], JsError> {
        if i >= self.test_labels.len() {
            return Err(js_err(Error::range("digit index", format!("{i} is not below {}", self.test_labels.len()))));
        }
        Ok(&self.test_x[i * PIXELS..(i + 1) * PIXELS])
    }

    /// Test digits `first .. first + count` transformed, `count x 784` floats in [0, 1]. Throws for α ∉ [0.5, 1],
    /// β ∉ [0, 0.5] or indices out of range.
    pub fn transformed(&self, first: usize, count: usize, alpha: f32, beta: f32) -> Result<Vec<f32>, JsError> {
        let end = first.checked_add(count).filter(|&e| e <= self.test_labels.len()).ok_or_else(|| js_err(Error::range("digits", format!("{first}+{count} exceeds {}", self.test_labels.len()))))?;
        transform(rows(&self.test_x[first * PIXELS..end * PIXELS], count)?, alpha, beta).map(nd::into_vec).map_err(js_err)
    }

    /// Starts an evaluation of all three models on the first `digits` test digits at (α, β): PGD and C&W attacks at
    /// ε = 0.3 with `steps` steps, `restarts` restarts and `seed`, plus the CROWN-IBP MLP's verified error.
    pub fn start(&mut self, alpha: f32, beta: f32, digits: usize, steps: usize, restarts: usize, seed: u32) -> Result<usize, JsError> {
        let digits = digits.clamp(1, self.test_labels.len());
        let x = nd::into_vec(transform(rows(&self.test_x[..digits * PIXELS], digits)?, alpha, beta).map_err(js_err)?);
        let pgd = AttackConfig::pgd(EPS, steps, restarts, u64::from(seed));
        let cw = AttackConfig::cw(EPS, steps, restarts, u64::from(seed));
        self.run = Some(Run { x, digits, done: 0, pgd, cw, acc: [Acc::default(); 3] });
        Ok(digits)
    }

    /// Evaluates up to `n` more digits; returns `{ done, total, finished, models: [{ n, correct, pgd_fooled,
    /// cw_fooled, verified_err }; 3] }` (verified_err only for the MLP).
    #[wasm_bindgen(unchecked_return_type = "BlindspotStep")]
    pub fn step(&mut self, n: usize) -> Result<JsValue, JsError> {
        let mut run = self.run.take().ok_or_else(|| JsError::new("no run: call start first"))?;
        let (s, e) = (run.done, (run.done + n.max(1)).min(run.digits));
        let (x, y) = (rows(&run.x[s * PIXELS..e * PIXELS], e - s)?, &self.test_labels[s..e]);
        for (mi, acc) in run.acc.iter_mut().enumerate() {
            let m = self.model(mi);
            let rp = success_rate(&attack(m, x, y, s, &run.pgd).map_err(js_err)?);
            let rc = success_rate(&attack(m, x, y, s, &run.cw).map_err(js_err)?);
            acc.n += e - s;
            acc.correct += rp.correct;
            acc.pgd_fooled += rp.fooled;
            acc.cw_fooled += rc.fooled;
            if mi == 2 {
                acc.verified_err += verified_error(&self.mlp, x, y, EPS).map_err(js_err)?.verified_err;
            }
        }
        run.done = e;
        let out = StepOut { done: e, total: run.digits, finished: e >= run.digits, models: run.acc };
        self.run = Some(run);
        to_js(&out)
    }

    fn ensure_embedding(&mut self, mi: usize) -> Result<(), JsError> {
        if self.emb[mi].is_none() {
            let n = self.train_labels.len();
            let (mut e, mut d) = (Vec::new(), 0);
            for s in (0..n).step_by(500) {
                let t = (s + 500).min(n);
                let part = self.model(mi).embed(rows(&self.train_x[s * PIXELS..t * PIXELS], t - s)?).map_err(js_err)?;
                d = part.ncols();
                e.extend(part.iter());
            }
            let p = pca2(nd::view("blindspot embedding", &e, (n, d)).map_err(js_err)?).map_err(js_err)?;
            self.emb[mi] = Some((e, d, p));
        }
        Ok(())
    }

    /// Mean ℓ2 distance (k nearest of the 8,000 training digits, penultimate layer of model `model`) of the first
    /// `count` test digits at (α, β). The first call per model embeds the training set (about a second).
    pub fn knn(&mut self, model: usize, alpha: f32, beta: f32, count: usize, k: usize) -> Result<f32, JsError> {
        let mi = model_index(model)?;
        self.ensure_embedding(mi)?;
        let count = count.clamp(1, self.test_labels.len());
        let x = transform(rows(&self.test_x[..count * PIXELS], count)?, alpha, beta).map_err(js_err)?;
        let q = self.model(mi).embed(x.view()).map_err(js_err)?;
        let (e, d, _) = self.emb[mi].as_ref().expect("embedded above");
        let v = knn_distance(nd::view("blindspot embedding", e, (e.len() / (*d).max(1), *d)).map_err(js_err)?, q.view(), k).map_err(js_err)?;
        Ok(v.iter().sum::<f32>() / v.len() as f32)
    }

    /// The 2-D embedding (PCA of model `model`'s training embedding, the substitute for the paper's t-SNE): the
    /// first `n_train` training digits then the first `n_test` test digits at (α, β), interleaved x, y
    /// (`2·(n_train + n_test)` floats).
    pub fn embedding2d(&mut self, model: usize, alpha: f32, beta: f32, n_train: usize, n_test: usize) -> Result<Vec<f32>, JsError> {
        let mi = model_index(model)?;
        self.ensure_embedding(mi)?;
        let n_train = n_train.min(self.train_labels.len());
        let n_test = n_test.clamp(1, self.test_labels.len());
        let x = transform(rows(&self.test_x[..n_test * PIXELS], n_test)?, alpha, beta).map_err(js_err)?;
        let q = self.model(mi).embed(x.view()).map_err(js_err)?;
        let (e, d, p) = self.emb[mi].as_ref().expect("embedded above");
        let mut out = nd::into_vec(p.project(nd::view("blindspot embedding", &e[..n_train * d], (n_train, *d)).map_err(js_err)?).map_err(js_err)?);
        out.extend(p.project(q.view()).map_err(js_err)?.iter());
        Ok(out)
    }

    /// KL(test ‖ train) between Gaussian kernel densities (Silverman bandwidth) of the first `n_train` training
    /// digits and the first `n_test` test digits at (α, β) in model `model`'s 2-D embedding (the paper's measure,
    /// on PCA instead of t-SNE). Throws for fewer than 2 points in either set.
    pub fn kde_kl(&mut self, model: usize, alpha: f32, beta: f32, n_train: usize, n_test: usize) -> Result<f64, JsError> {
        let pts = self.embedding2d(model, alpha, beta, n_train, n_test)?;
        let n_train = n_train.min(self.train_labels.len());
        let (tr, te) = pts.split_at(2 * n_train);
        let (tr, te) = (nd::view("blindspot 2-D points", tr, (tr.len() / 2, 2)).map_err(js_err)?, nd::view("blindspot 2-D points", te, (te.len() / 2, 2)).map_err(js_err)?);
        kde_kl(tr, te, None).map_err(js_err)
    }

    /// One digit under one model: runs PGD at ε = 0.3 on its transformed version and returns `{ label, pred_clean,
    /// pred_transformed, pred_adv, success }`; [`BlindspotLab::example_images`] gives the pictures.
    #[wasm_bindgen(unchecked_return_type = "BlindspotExample")]
    pub fn example(&self, i: usize, model: usize, alpha: f32, beta: f32, steps: usize, seed: u32) -> Result<JsValue, JsError> {
        let (x0, xp, adv, success) = self.example_run(i, model, alpha, beta, steps, seed)?;
        let m = self.model(model);
        let pred = |x: &[f32]| -> Result<usize, JsError> { Ok(argmax_rows(m.logits(rows(x, 1)?).map_err(js_err)?.view())[0]) };
        to_js(&Example { label: self.test_labels[i], pred_clean: pred(&x0)?, pred_transformed: pred(&xp)?, pred_adv: pred(&adv)?, success })
    }

    /// The digit, its transformed version and the adversarial example, `3 x 784` floats.
    pub fn example_images(&self, i: usize, model: usize, alpha: f32, beta: f32, steps: usize, seed: u32) -> Result<Vec<f32>, JsError> {
        let (mut a, b, c, _) = self.example_run(i, model, alpha, beta, steps, seed)?;
        a.extend(b);
        a.extend(c);
        Ok(a)
    }

    #[allow(clippy::type_complexity)]
    fn example_run(&self, i: usize, model: usize, alpha: f32, beta: f32, steps: usize, seed: u32) -> Result<(Vec<f32>, Vec<f32>, Vec<f32>, bool), JsError> {
        let mi = model_index(model)?;
        let x0 = self.digit(i)?.to_vec();
        let xp = nd::into_vec(transform(rows(&x0, 1)?, alpha, beta).map_err(js_err)?);
        let r = attack(self.model(mi), rows(&xp, 1)?, &self.test_labels[i..=i], i, &AttackConfig::pgd(EPS, steps, 1, u64::from(seed))).map_err(js_err)?;
        let ok = r.success[0];
        Ok((x0, xp, nd::into_vec(r.adv), ok))
    }
}
