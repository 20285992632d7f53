//! BagNets: bag-of-local-features models (Brendel & Bethge, "Approximating CNNs with Bag-of-local-Features models
//! works surprisingly well on ImageNet", ICLR 2019), scaled to 28x28 images, and a standard CNN as the baseline.
//!
//! The paper's construction (its Fig. 1 A): a deep network maps every q x q patch of the image to a feature vector,
//! a linear classifier turns each into class evidence (one logit heatmap per class), and the image logits are the
//! spatial average of the heatmaps, followed by a softmax. The BagNet is a ResNet in which most 3x3 convolutions
//! are 1x1 and none is padded, so the receptive field of every output location is exactly one q x q patch.
//!
//! BagNet-q here (q = 5 + 4 n, n = 0..=4 blocks with a 3x3 convolution; the lab ships q = 5, 9, 13, 17):
//! ```text
//! x 1 x H x W
//! stem   conv 3x3, stride 1, no padding, 1 -> C, ReLU              receptive field 3, jump 1
//! down   conv 3x3, stride 2, no padding, C -> C, ReLU              receptive field 5, jump 2
//! block  b = 0..4: u = ReLU(conv_kxk(x)), s = crop(x) + conv_1x1(u), x <- ReLU(s)
//!        k = 3 for the first n blocks (receptive field +4 each), k = 1 for the rest (the paper's 1x1 replacement)
//! head   conv 1x1, C -> K: the linear classifier applied at every location: patch logits K x OH x OW
//! logits the spatial mean of the patch logits (K per image)
//! ```
//! `crop` drops the border the unpadded kxk convolution lost ((k-1)/2 on each side), as the reference code does for
//! its residuals. Output location (i, j) sees exactly image rows 2i..2i+q-1 and columns 2j..2j+q-1, and the map is
//! `OH = floor((H - q) / 2) + 1` by `OW = floor((W - q) / 2) + 1` ([`map_side`]); when H - q is odd the last image row
//! is in no patch. Differences from the paper, said where they matter: no batch norm, C = 16 channels instead of
//! ResNet-50's widths, 4 blocks instead of 16, a map stride of 2 instead of 8, and patch sizes 5-17 on 28x28 images
//! instead of 9-33 on 224x224.
//!
//! The baseline CNN (no bag-of-features constraint: its classifier sees the whole image):
//! ```text
//! conv 3x3 pad 1 stride 1 (1 -> C) ReLU, conv 3x3 pad 1 stride 2 ReLU, conv 3x3 pad 1 stride 1 ReLU,
//! conv 3x3 pad 1 stride 2 ReLU (C x 7 x 7), linear C*49 -> K
//! ```
//!
//! Legend: B batch, C channels (the width), H/W image height/width, K classes (10), OH/OW patch-map height/width,
//! q patch size. Images are `B x 1 x H x W` (`ArrayView4`) with pixels in [0, 1]; public functions take and return
//! `ndarray` arrays, the parameters and caches inside are flat row-major `Vec<f32>`.

use std::collections::BTreeMap;

use ndarray::{aview1, s, Array1, Array2, Array3, Array4, ArrayView1, ArrayView2, ArrayView3, ArrayView4, ArrayViewMut2};
use serde::{Deserialize, Serialize};

use crate::data::mnist::Split;
use crate::error::{Error, Result};
use crate::io;
use crate::nd;
use crate::nn::conv::Conv2d;
use crate::nn::layers::{argmax_rows, softmax_cross_entropy};
use crate::nn::{Adam, Rng};

#[cfg(not(target_arch = "wasm32"))]
pub mod ship;

/// The patch sizes the lab ships.
pub const QS: [usize; 4] = [5, 9, 13, 17];
/// Residual blocks after the stem and the down-sampling convolution (the same depth for every q).
pub const BLOCKS: usize = 4;
/// Stride of the patch map in image pixels (the jump after the stride-2 convolution).
pub const STRIDE: usize = 2;
/// Number of classes.
pub const CLASSES: usize = 10;
/// Side of the images the models are trained on.
pub const SIDE: usize = 28;
/// Images per work chunk in training and evaluation (fixed, so results do not depend on the number of threads).
pub const CHUNK: usize = 16;

/// Side of the patch map of BagNet-q on an image side of `side` pixels: `floor((side - q) / 2) + 1`.
///
/// # Errors
/// [`Error::Shape`] when the image is smaller than one patch (`side < q`).
pub fn map_side(side: usize, q: usize) -> Result<usize> {
    if side < q {
        return Err(Error::shape("bagnet", format!("the image side {side} px is smaller than the patch size q = {q}; BagNet-{q} needs images of at least {q}x{q} pixels")));
    }
    Ok((side - q) / STRIDE + 1)
}

/// Number of 3x3 blocks of BagNet-q: `(q - 5) / 4`.
///
/// # Errors
/// [`Error::Range`] unless `q = 5 + 4 n` with `n` in `0..=BLOCKS` (5, 9, 13, 17, 21).
pub fn blocks_3x3(q: usize) -> Result<usize> {
    if q < 5 || (q - 5) % 4 != 0 || (q - 5) / 4 > BLOCKS {
        return Err(Error::range("patch size q", format!("{q} is not one of 5, 9, 13, 17, 21 (q = 5 + 4n)")));
    }
    Ok((q - 5) / 4)
}

/// Parameter tensors of a network, in a fixed order (for Adam, sums of gradients and files).
pub trait Params: Clone + Send + Sync {
    /// Every tensor, in the fixed order.
    fn tensors(&self) -> Vec<&Vec<f32>>;
    /// The same, mutable.
    fn tensors_mut(&mut self) -> Vec<&mut Vec<f32>>;
    /// A copy with every value 0 (a gradient accumulator).
    fn zeros_like(&self) -> Self {
        let mut z = self.clone();
        z.tensors_mut().into_iter().for_each(|t| t.fill(0.0));
        z
    }
    /// `self += other`, tensor by tensor.
    fn add(&mut self, other: &Self) {
        for (a, b) in self.tensors_mut().into_iter().zip(other.tensors()) {
            a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        }
    }
    /// Total number of values.
    fn count(&self) -> usize {
        self.tensors().iter().map(|t| t.len()).sum()
    }
}

/// `max(x, 0)` of a flat buffer, by [`crate::nn::layers::relu_forward`].
fn relu_forward(x: &[f32]) -> Vec<f32> {
    nd::into_vec(crate::nn::layers::relu_forward(aview1(x)))
}

/// `dy * [x > 0]` of two flat buffers of one length, by [`crate::nn::layers::relu_backward`].
fn relu_backward(dy: &[f32], x: &[f32]) -> Result<Vec<f32>> {
    Ok(nd::into_vec(crate::nn::layers::relu_backward(aview1(dy), aview1(x))?))
}

/// [`Conv2d::forward`] on flat `x` (B x C x H x W), `w` (O x C x KH x KW), `b` (O); returns the flat output.
fn conv_forward(cv: &Conv2d, x: &[f32], w: &[f32], b: &[f32], batch: usize) -> Result<Vec<f32>> {
    let y = cv.forward(nd::view("conv x", x, (batch, cv.c, cv.h, cv.w))?, nd::view("conv weight", w, (cv.o, cv.c, cv.kh, cv.kw))?, nd::view("conv bias", b, cv.o)?)?;
    Ok(nd::into_vec(y))
}

/// [`Conv2d::backward`] on flat buffers: accumulates into `dw`, `db`; returns the flat `dx`.
fn conv_backward(cv: &Conv2d, dy: &[f32], x: &[f32], w: &[f32], dw: &mut [f32], db: &mut [f32], batch: usize) -> Result<Vec<f32>> {
    let ws = (cv.o, cv.c, cv.kh, cv.kw);
    let dx = cv.backward(
        nd::view("conv backward dy", dy, (batch, cv.o, cv.oh(), cv.ow()))?,
        nd::view("conv backward x", x, (batch, cv.c, cv.h, cv.w))?,
        nd::view("conv backward weight", w, ws)?,
        nd::view_mut("conv backward dW", dw, ws)?,
        nd::view_mut("conv backward db", db, cv.o)?,
    )?;
    Ok(nd::into_vec(dx))
}

/// The images of `x` (B x 1 x H x W) as a flat row-major buffer with (B, H, W), copied once only when `x` is not
/// row-major.
fn images<'a>(op: &'static str, x: &'a ndarray::CowArray<'_, f32, ndarray::Ix4>) -> Result<(&'a [f32], usize, usize, usize)> {
    let (b, c, h, w) = x.dim();
    if c != 1 {
        return Err(Error::shape(op, format!("images must be B x 1 x H x W (one channel), got {b}x{c}x{h}x{w}")));
    }
    Ok((nd::slice_of(op, x)?, b, h, w))
}

fn he(rng: &mut Rng, n: usize, fan_in: usize, gain: f32) -> Vec<f32> {
    let s = gain * (2.0 / fan_in as f32).sqrt();
    (0..n).map(|_| s * rng.normal()).collect()
}

/// Drops `off` pixels on every side of each `H x W` plane of `x` (`planes` planes): returns planes of
/// `(H - 2 off) x (W - 2 off)`.
fn crop(x: &[f32], planes: usize, h: usize, w: usize, off: usize) -> Vec<f32> {
    let (oh, ow) = (h - 2 * off, w - 2 * off);
    let mut out = Vec::with_capacity(planes * oh * ow);
    for p in 0..planes {
        for i in 0..oh {
            let row = (p * h + i + off) * w + off;
            out.extend_from_slice(&x[row..row + ow]);
        }
    }
    out
}

/// The adjoint of [`crop`]: adds each `(H - 2 off) x (W - 2 off)` plane of `d` into the centre of `dx`'s plane.
fn uncrop_add(d: &[f32], dx: &mut [f32], planes: usize, h: usize, w: usize, off: usize) {
    let (oh, ow) = (h - 2 * off, w - 2 * off);
    for p in 0..planes {
        for i in 0..oh {
            let row = (p * h + i + off) * w + off;
            let src = &d[(p * oh + i) * ow..(p * oh + i + 1) * ow];
            dx[row..row + ow].iter_mut().zip(src).for_each(|(a, b)| *a += b);
        }
    }
}

// ------------------------------------------------------------------------------------------------------------------
// BagNet
// ------------------------------------------------------------------------------------------------------------------

/// Sizes of a BagNet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BagNetConfig {
    /// Patch size q (receptive field of every output location), 5 + 4n.
    pub q: usize,
    /// Channels C of every hidden layer.
    pub width: usize,
    /// Classes K.
    pub classes: usize,
}

impl BagNetConfig {
    /// The lab's BagNet-q: C = 16 channels, 10 classes.
    pub fn lab(q: usize) -> Self {
        BagNetConfig { q, width: 16, classes: CLASSES }
    }

    /// Checks q, C and K.
    ///
    /// # Errors
    /// [`Error::Range`] for a q not of the form 5 + 4n (n <= 4), or C or K of 0 or above 512.
    pub fn validate(&self) -> Result<()> {
        blocks_3x3(self.q)?;
        if self.width == 0 || self.width > 512 || self.classes < 2 || self.classes > 512 {
            return Err(Error::range("BagNet size", format!("width {} and classes {} must be in 1..=512 and 2..=512", self.width, self.classes)));
        }
        Ok(())
    }
}

/// One residual block: a kxk convolution (k = 3 or 1), ReLU, a 1x1 convolution, plus the (cropped) input, ReLU.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockParams {
    /// Kernel size k of the first convolution (3 widens the receptive field by 4 pixels, 1 does not).
    pub k: usize,
    /// First convolution's weights, C x C x k x k.
    pub wk: Vec<f32>,
    /// Its bias, C.
    pub bk: Vec<f32>,
    /// The 1x1 convolution's weights, C x C x 1 x 1.
    pub w1: Vec<f32>,
    /// Its bias, C.
    pub b1: Vec<f32>,
}

/// Every parameter of a BagNet (also used for its gradients).
#[derive(Clone, Debug, PartialEq)]
pub struct BagNetParams {
    /// Stem 3x3 convolution, C x 1 x 3 x 3.
    pub stem_w: Vec<f32>,
    /// Stem bias, C.
    pub stem_b: Vec<f32>,
    /// Stride-2 3x3 convolution, C x C x 3 x 3.
    pub down_w: Vec<f32>,
    /// Its bias, C.
    pub down_b: Vec<f32>,
    /// The residual blocks, 3x3 ones first.
    pub blocks: Vec<BlockParams>,
    /// The per-location linear classifier, K x C x 1 x 1.
    pub head_w: Vec<f32>,
    /// Its bias, K.
    pub head_b: Vec<f32>,
}

impl Params for BagNetParams {
    fn tensors(&self) -> Vec<&Vec<f32>> {
        let mut v = vec![&self.stem_w, &self.stem_b, &self.down_w, &self.down_b];
        for b in &self.blocks {
            v.extend([&b.wk, &b.bk, &b.w1, &b.b1]);
        }
        v.extend([&self.head_w, &self.head_b]);
        v
    }
    fn tensors_mut(&mut self) -> Vec<&mut Vec<f32>> {
        let mut v = vec![&mut self.stem_w, &mut self.stem_b, &mut self.down_w, &mut self.down_b];
        for b in &mut self.blocks {
            v.extend([&mut b.wk, &mut b.bk, &mut b.w1, &mut b.b1]);
        }
        v.extend([&mut self.head_w, &mut self.head_b]);
        v
    }
}

/// The convolutions of a BagNet on one input size.
struct BagGeo {
    stem: Conv2d,
    down: Conv2d,
    /// (kxk, 1x1) of each block, and the crop offset (k - 1) / 2.
    blocks: Vec<(Conv2d, Conv2d, usize)>,
    head: Conv2d,
    oh: usize,
    ow: usize,
}

/// What the forward pass keeps for the backward pass (and the patch-logit map).
#[derive(Clone, Debug)]
pub struct BagNetCache {
    batch: usize,
    h: usize,
    w: usize,
    x: Vec<f32>,
    stem_z: Vec<f32>,
    stem_a: Vec<f32>,
    down_z: Vec<f32>,
    down_a: Vec<f32>,
    /// Per block: (u pre-activation, u, s pre-activation, output).
    blocks: Vec<(Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>)>,
    /// Patch logits, B x K x OH x OW.
    pub map: Array4<f32>,
    /// Image logits, B x K: the spatial mean of `map`.
    pub logits: Array2<f32>,
    /// Patch-map height OH.
    pub oh: usize,
    /// Patch-map width OW.
    pub ow: usize,
}

/// A BagNet-q: configuration and parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct BagNet {
    /// Sizes.
    pub cfg: BagNetConfig,
    /// Parameters.
    pub p: BagNetParams,
}

impl BagNet {
    /// He-initialised BagNet (normal, std sqrt(2 / fan-in); the second convolution of each residual branch at half
    /// that, the classifier at std sqrt(1 / C); biases 0).
    ///
    /// # Errors
    /// As [`BagNetConfig::validate`].
    pub fn new(cfg: BagNetConfig, seed: u64) -> Result<BagNet> {
        cfg.validate()?;
        let (c, k) = (cfg.width, cfg.classes);
        let n3 = blocks_3x3(cfg.q)?;
        let mut rng = Rng::new(seed);
        let stem_w = he(&mut rng, c * 9, 9, 1.0);
        let down_w = he(&mut rng, c * c * 9, c * 9, 1.0);
        let blocks = (0..BLOCKS)
            .map(|b| {
                let kk = if b < n3 { 3 } else { 1 };
                BlockParams { k: kk, wk: he(&mut rng, c * c * kk * kk, c * kk * kk, 1.0), bk: vec![0.0; c], w1: he(&mut rng, c * c, c, 0.5), b1: vec![0.0; c] }
            })
            .collect();
        let head_w = he(&mut rng, k * c, c, std::f32::consts::FRAC_1_SQRT_2);
        Ok(BagNet { p: BagNetParams { stem_w, stem_b: vec![0.0; c], down_w, down_b: vec![0.0; c], blocks, head_w, head_b: vec![0.0; k] }, cfg })
    }

    fn geo(&self, h: usize, w: usize) -> Result<BagGeo> {
        let (q, c, k) = (self.cfg.q, self.cfg.width, self.cfg.classes);
        let (oh, ow) = (map_side(h, q)?, map_side(w, q)?);
        let conv = |c_in: usize, h: usize, w: usize, o: usize, kk: usize, stride: usize| Conv2d { c: c_in, h, w, o, kh: kk, kw: kk, stride, pad: 0 };
        let stem = conv(1, h, w, c, 3, 1);
        let down = conv(c, stem.oh(), stem.ow(), c, 3, 2);
        let (mut hh, mut ww) = (down.oh(), down.ow());
        let mut blocks = Vec::new();
        for b in &self.p.blocks {
            let ck = conv(c, hh, ww, c, b.k, 1);
            let c1 = conv(c, ck.oh(), ck.ow(), c, 1, 1);
            blocks.push((ck, c1, (b.k - 1) / 2));
            (hh, ww) = (ck.oh(), ck.ow());
        }
        debug_assert_eq!((hh, ww), (oh, ow));
        Ok(BagGeo { stem, down, blocks, head: conv(c, hh, ww, k, 1, 1), oh, ow })
    }

    /// Forward pass on B images of `H x W` pixels (`x` B x 1 x H x W), keeping what backward needs.
    ///
    /// # Errors
    /// [`Error::Shape`] when an image is smaller than q x q or `x` has more than one channel.
    pub fn forward(&self, x: ArrayView4<f32>) -> Result<BagNetCache> {
        let xc = nd::standard(x);
        let (x, batch, h, w) = images("bagnet forward", &xc)?;
        self.forward_flat(x, h, w, batch)
    }

    fn forward_flat(&self, x: &[f32], h: usize, w: usize, batch: usize) -> Result<BagNetCache> {
        let g = self.geo(h, w)?;
        if x.len() != batch * h * w {
            return Err(Error::shape("bagnet forward", format!("x has {} values, expected {batch} images of {h}x{w}", x.len())));
        }
        let p = &self.p;
        let c = self.cfg.width;
        let stem_z = conv_forward(&g.stem, x, &p.stem_w, &p.stem_b, batch)?;
        let stem_a = relu_forward(&stem_z);
        let down_z = conv_forward(&g.down, &stem_a, &p.down_w, &p.down_b, batch)?;
        let down_a = relu_forward(&down_z);
        let mut blocks: Vec<(Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>)> = Vec::with_capacity(BLOCKS);
        for (bp, (ck, c1, off)) in p.blocks.iter().zip(&g.blocks) {
            let xin = blocks.last().map_or(&down_a, |b| &b.3);
            let uz = conv_forward(ck, xin, &bp.wk, &bp.bk, batch)?;
            let ua = relu_forward(&uz);
            let mut s = conv_forward(c1, &ua, &bp.w1, &bp.b1, batch)?;
            let res = crop(xin, batch * c, ck.h, ck.w, *off);
            s.iter_mut().zip(&res).for_each(|(a, r)| *a += r);
            let y = relu_forward(&s);
            blocks.push((uz, ua, s, y));
        }
        let top = blocks.last().map_or(&down_a, |b| &b.3);
        let map = conv_forward(&g.head, top, &p.head_w, &p.head_b, batch)?;
        let logits = nd::array("bagnet forward", spatial_mean_flat(&map, g.oh * g.ow), (batch, self.cfg.classes))?;
        let map = nd::array("bagnet forward", map, (batch, self.cfg.classes, g.oh, g.ow))?;
        Ok(BagNetCache { batch, h, w, x: x.to_vec(), stem_z, stem_a, down_z, down_a, blocks, map, logits, oh: g.oh, ow: g.ow })
    }

    /// Backward pass: gradients of `sum(dlogits * logits)` with respect to every parameter (`dlogits` B x K).
    ///
    /// # Errors
    /// [`Error::Shape`] when `dlogits` does not match the cache.
    pub fn backward(&self, cache: &BagNetCache, dlogits: ArrayView2<f32>) -> Result<BagNetParams> {
        let (batch, k, c) = (cache.batch, self.cfg.classes, self.cfg.width);
        if dlogits.dim() != (batch, k) {
            return Err(Error::shape("bagnet backward", format!("dlogits must be {batch}x{k}, not {:?}", dlogits.dim())));
        }
        let g = self.geo(cache.h, cache.w)?;
        let p = &self.p;
        let mut d = p.zeros_like();
        let n = g.oh * g.ow;
        // logits = mean of the map: every location gets dlogits / (OH OW).
        let dmap: Vec<f32> = dlogits.iter().flat_map(|&v| std::iter::repeat_n(v / n as f32, n)).collect();
        let top = cache.blocks.last().map_or(&cache.down_a, |b| &b.3);
        let mut dy = conv_backward(&g.head, &dmap, top, &p.head_w, &mut d.head_w, &mut d.head_b, batch)?;
        for b in (0..p.blocks.len()).rev() {
            let (ck, c1, off) = &g.blocks[b];
            let (uz, ua, s, _) = &cache.blocks[b];
            let xin = if b == 0 { &cache.down_a } else { &cache.blocks[b - 1].3 };
            let ds = relu_backward(&dy, s)?;
            let db = &mut d.blocks[b];
            let dua = conv_backward(c1, &ds, ua, &p.blocks[b].w1, &mut db.w1, &mut db.b1, batch)?;
            let duz = relu_backward(&dua, uz)?;
            let mut dx = conv_backward(ck, &duz, xin, &p.blocks[b].wk, &mut db.wk, &mut db.bk, batch)?;
            uncrop_add(&ds, &mut dx, batch * c, ck.h, ck.w, *off);
            dy = dx;
        }
        let ddz = relu_backward(&dy, &cache.down_z)?;
        let dsa = conv_backward(&g.down, &ddz, &cache.stem_a, &p.down_w, &mut d.down_w, &mut d.down_b, batch)?;
        let dsz = relu_backward(&dsa, &cache.stem_z)?;
        conv_backward(&g.stem, &dsz, &cache.x, &p.stem_w, &mut d.stem_w, &mut d.stem_b, batch)?;
        Ok(d)
    }

    /// Patch logits `B x K x OH x OW` of `x` (B x 1 x H x W).
    ///
    /// # Errors
    /// As [`BagNet::forward`].
    pub fn patch_logits(&self, x: ArrayView4<f32>) -> Result<Array4<f32>> {
        Ok(self.forward(x)?.map)
    }

    /// Named tensors with their shapes, in [`Params::tensors`] order.
    pub fn named(&self) -> Vec<(String, Vec<usize>, &Vec<f32>)> {
        let (c, k) = (self.cfg.width, self.cfg.classes);
        let p = &self.p;
        let mut v = vec![
            ("stem.w".to_string(), vec![c, 1, 3, 3], &p.stem_w),
            ("stem.b".to_string(), vec![c], &p.stem_b),
            ("down.w".to_string(), vec![c, c, 3, 3], &p.down_w),
            ("down.b".to_string(), vec![c], &p.down_b),
        ];
        for (i, b) in p.blocks.iter().enumerate() {
            v.push((format!("block{i}.wk"), vec![c, c, b.k, b.k], &b.wk));
            v.push((format!("block{i}.bk"), vec![c], &b.bk));
            v.push((format!("block{i}.w1"), vec![c, c, 1, 1], &b.w1));
            v.push((format!("block{i}.b1"), vec![c], &b.b1));
        }
        v.push(("head.w".to_string(), vec![k, c, 1, 1], &p.head_w));
        v.push(("head.b".to_string(), vec![k], &p.head_b));
        v
    }
}

/// `out[b, k] = mean_l map[b, k, l]` over the OH x OW locations of each plane of `map` (B x K x OH x OW; summed in
/// row-major order, f32); returns B x K.
pub fn spatial_mean(map: ArrayView4<f32>) -> Array2<f32> {
    let (b, k, oh, ow) = map.dim();
    let n = oh * ow;
    let mut out = Array2::zeros((b, k));
    for ((bi, ki), v) in out.indexed_iter_mut() {
        *v = map.slice(s![bi, ki, .., ..]).iter().sum::<f32>() / n as f32;
    }
    out
}

/// [`spatial_mean`] on a flat map of planes of `n` locations.
fn spatial_mean_flat(map: &[f32], n: usize) -> Vec<f32> {
    map.chunks(n).map(|plane| plane.iter().sum::<f32>() / n as f32).collect()
}

// ------------------------------------------------------------------------------------------------------------------
// The baseline CNN
// ------------------------------------------------------------------------------------------------------------------

/// Sizes of the baseline CNN (28x28 inputs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CnnConfig {
    /// Channels C of every convolution.
    pub width: usize,
    /// Classes K.
    pub classes: usize,
}

impl CnnConfig {
    /// The lab's CNN: C = 16, 10 classes.
    pub fn lab() -> Self {
        CnnConfig { width: 16, classes: CLASSES }
    }
}

/// Every parameter of the CNN (also used for its gradients).
#[derive(Clone, Debug, PartialEq)]
pub struct CnnParams {
    /// conv1 3x3, C x 1 x 3 x 3, and its bias C.
    pub c1_w: Vec<f32>,
    /// conv1 bias.
    pub c1_b: Vec<f32>,
    /// conv2 3x3 stride 2, C x C x 3 x 3.
    pub c2_w: Vec<f32>,
    /// conv2 bias.
    pub c2_b: Vec<f32>,
    /// conv3 3x3, C x C x 3 x 3.
    pub c3_w: Vec<f32>,
    /// conv3 bias.
    pub c3_b: Vec<f32>,
    /// conv4 3x3 stride 2, C x C x 3 x 3.
    pub c4_w: Vec<f32>,
    /// conv4 bias.
    pub c4_b: Vec<f32>,
    /// Classifier over the whole C x 7 x 7 feature map, K x (C 49).
    pub fc_w: Vec<f32>,
    /// Its bias, K.
    pub fc_b: Vec<f32>,
}

impl Params for CnnParams {
    fn tensors(&self) -> Vec<&Vec<f32>> {
        vec![&self.c1_w, &self.c1_b, &self.c2_w, &self.c2_b, &self.c3_w, &self.c3_b, &self.c4_w, &self.c4_b, &self.fc_w, &self.fc_b]
    }
    fn tensors_mut(&mut self) -> Vec<&mut Vec<f32>> {
        vec![&mut self.c1_w, &mut self.c1_b, &mut self.c2_w, &mut self.c2_b, &mut self.c3_w, &mut self.c3_b, &mut self.c4_w, &mut self.c4_b, &mut self.fc_w, &mut self.fc_b]
    }
}

/// What the CNN's forward pass keeps: input, pre-activations and activations of the four convolutions, logits.
#[derive(Clone, Debug)]
pub struct CnnCache {
    batch: usize,
    x: Vec<f32>,
    z: [Vec<f32>; 4],
    a: [Vec<f32>; 4],
    /// Logits, B x K.
    pub logits: Array2<f32>,
}

/// The baseline CNN.
#[derive(Clone, Debug, PartialEq)]
pub struct Cnn {
    /// Sizes.
    pub cfg: CnnConfig,
    /// Parameters.
    pub p: CnnParams,
}

impl Cnn {
    /// He-initialised CNN.
    ///
    /// # Errors
    /// [`Error::Range`] for a width or class count of 0 or above 512.
    pub fn new(cfg: CnnConfig, seed: u64) -> Result<Cnn> {
        if cfg.width == 0 || cfg.width > 512 || cfg.classes < 2 || cfg.classes > 512 {
            return Err(Error::range("CNN size", format!("width {} and classes {} must be in 1..=512 and 2..=512", cfg.width, cfg.classes)));
        }
        let (c, k) = (cfg.width, cfg.classes);
        let mut rng = Rng::new(seed);
        let p = CnnParams {
            c1_w: he(&mut rng, c * 9, 9, 1.0),
            c1_b: vec![0.0; c],
            c2_w: he(&mut rng, c * c * 9, c * 9, 1.0),
            c2_b: vec![0.0; c],
            c3_w: he(&mut rng, c * c * 9, c * 9, 1.0),
            c3_b: vec![0.0; c],
            c4_w: he(&mut rng, c * c * 9, c * 9, 1.0),
            c4_b: vec![0.0; c],
            fc_w: he(&mut rng, k * c * 49, c * 49, std::f32::consts::FRAC_1_SQRT_2),
            fc_b: vec![0.0; k],
        };
        Ok(Cnn { cfg, p })
    }

    fn convs(&self) -> [Conv2d; 4] {
        let c = self.cfg.width;
        let conv = |c_in, h, stride| Conv2d { c: c_in, h, w: h, o: c, kh: 3, kw: 3, stride, pad: 1 };
        [conv(1, 28, 1), conv(c, 28, 2), conv(c, 14, 1), conv(c, 14, 2)]
    }

    /// Forward pass on B 28x28 images (`x` B x 1 x 28 x 28).
    ///
    /// # Errors
    /// [`Error::Shape`] for other image sizes or channel counts.
    pub fn forward(&self, x: ArrayView4<f32>) -> Result<CnnCache> {
        let xc = nd::standard(x);
        let (x, batch, h, w) = images("cnn forward", &xc)?;
        if (h, w) != (SIDE, SIDE) || x.len() != batch * SIDE * SIDE {
            return Err(Error::shape("cnn forward", format!("the CNN takes 28x28 images; got {batch} of {h}x{w} ({} values)", x.len())));
        }
        let p = &self.p;
        let ws = [(&p.c1_w, &p.c1_b), (&p.c2_w, &p.c2_b), (&p.c3_w, &p.c3_b), (&p.c4_w, &p.c4_b)];
        let (mut z, mut a): (Vec<Vec<f32>>, Vec<Vec<f32>>) = (Vec::new(), Vec::new());
        for (conv, (wt, b)) in self.convs().iter().zip(ws) {
            let xin: &[f32] = a.last().map_or(x, |v| v.as_slice());
            let zi = conv_forward(conv, xin, wt, b, batch)?;
            a.push(relu_forward(&zi));
            z.push(zi);
        }
        let inp = self.cfg.width * 49;
        let k = self.cfg.classes;
        let logits = crate::nn::layers::linear_forward(nd::view("cnn fc", &a[3], (batch, inp))?, nd::view("cnn fc weight", &p.fc_w, (k, inp))?, aview1(&p.fc_b))?;
        let z: [Vec<f32>; 4] = z.try_into().expect("four layers");
        let a: [Vec<f32>; 4] = a.try_into().expect("four layers");
        Ok(CnnCache { batch, x: x.to_vec(), z, a, logits })
    }

    /// Backward pass: gradients of `sum(dlogits * logits)` (`dlogits` B x K).
    ///
    /// # Errors
    /// [`Error::Shape`] when `dlogits` does not match the cache.
    pub fn backward(&self, cache: &CnnCache, dlogits: ArrayView2<f32>) -> Result<CnnParams> {
        let (batch, k) = (cache.batch, self.cfg.classes);
        if dlogits.dim() != (batch, k) {
            return Err(Error::shape("cnn backward", format!("dlogits must be {batch}x{k}, not {:?}", dlogits.dim())));
        }
        let p = &self.p;
        let mut d = p.zeros_like();
        let inp = self.cfg.width * 49;
        let da = crate::nn::layers::linear_backward(
            dlogits,
            nd::view("cnn fc backward", &cache.a[3], (batch, inp))?,
            nd::view("cnn fc backward", &p.fc_w, (k, inp))?,
            nd::view_mut("cnn fc backward", &mut d.fc_w, (k, inp))?,
            nd::view_mut("cnn fc backward", &mut d.fc_b, k)?,
            true,
        )?;
        let mut da = da.map(nd::into_vec).ok_or_else(|| Error::shape("cnn backward", "no input gradient"))?;
        let convs = self.convs();
        let ws = [&p.c1_w, &p.c2_w, &p.c3_w, &p.c4_w];
        let CnnParams { c1_w, c1_b, c2_w, c2_b, c3_w, c3_b, c4_w, c4_b, .. } = &mut d;
        let mut dws = [(c1_w, c1_b), (c2_w, c2_b), (c3_w, c3_b), (c4_w, c4_b)];
        for l in (0..4).rev() {
            let dz = relu_backward(&da, &cache.z[l])?;
            let xin = if l == 0 { &cache.x } else { &cache.a[l - 1] };
            let (dw, db) = &mut dws[l];
            da = conv_backward(&convs[l], &dz, xin, ws[l], dw, db, batch)?;
        }
        Ok(d)
    }

    /// Named tensors with their shapes, in [`Params::tensors`] order.
    pub fn named(&self) -> Vec<(String, Vec<usize>, &Vec<f32>)> {
        let (c, k) = (self.cfg.width, self.cfg.classes);
        let p = &self.p;
        let mut v = vec![("conv1.w".to_string(), vec![c, 1, 3, 3], &p.c1_w), ("conv1.b".to_string(), vec![c], &p.c1_b)];
        for (i, (wt, b)) in [(&p.c2_w, &p.c2_b), (&p.c3_w, &p.c3_b), (&p.c4_w, &p.c4_b)].into_iter().enumerate() {
            v.push((format!("conv{}.w", i + 2), vec![c, c, 3, 3], wt));
            v.push((format!("conv{}.b", i + 2), vec![c], b));
        }
        v.push(("fc.w".to_string(), vec![k, c * 49], &p.fc_w));
        v.push(("fc.b".to_string(), vec![k], &p.fc_b));
        v
    }
}

// ------------------------------------------------------------------------------------------------------------------
// One type for both, training, evaluation, files
// ------------------------------------------------------------------------------------------------------------------

/// A lab model: a BagNet-q or the baseline CNN.
#[derive(Clone, Debug, PartialEq)]
pub enum Model {
    /// A bag-of-local-features model.
    BagNet(BagNet),
    /// The standard CNN.
    Cnn(Cnn),
}

/// The model-file metadata that says which model it is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ModelConfig {
    /// BagNet sizes.
    BagNet(BagNetConfig),
    /// CNN sizes.
    Cnn(CnnConfig),
}

impl Model {
    /// A fresh, seeded model of the given kind.
    ///
    /// # Errors
    /// As [`BagNet::new`] / [`Cnn::new`].
    pub fn new(cfg: &ModelConfig, seed: u64) -> Result<Model> {
        Ok(match cfg {
            ModelConfig::BagNet(c) => Model::BagNet(BagNet::new(c.clone(), seed)?),
            ModelConfig::Cnn(c) => Model::Cnn(Cnn::new(c.clone(), seed)?),
        })
    }

    /// Its sizes.
    pub fn config(&self) -> ModelConfig {
        match self {
            Model::BagNet(m) => ModelConfig::BagNet(m.cfg.clone()),
            Model::Cnn(m) => ModelConfig::Cnn(m.cfg.clone()),
        }
    }

    /// Classes K.
    pub fn classes(&self) -> usize {
        match self {
            Model::BagNet(m) => m.cfg.classes,
            Model::Cnn(m) => m.cfg.classes,
        }
    }

    /// Number of parameters.
    pub fn n_params(&self) -> usize {
        match self {
            Model::BagNet(m) => m.p.count(),
            Model::Cnn(m) => m.p.count(),
        }
    }

    /// Image logits, B x K, of `x` (B x 1 x H x W: any size >= q for a BagNet, 28x28 for the CNN).
    ///
    /// # Errors
    /// As the models' `forward`.
    pub fn logits(&self, x: ArrayView4<f32>) -> Result<Array2<f32>> {
        Ok(match self {
            Model::BagNet(m) => m.forward(x)?.logits,
            Model::Cnn(m) => m.forward(x)?.logits,
        })
    }

    /// Cross-entropy of one chunk of a minibatch: `(sum of the chunk's losses in nats, gradient of that sum divided
    /// by `norm`)` as a flat list of tensors in [`Params::tensors`] order (`norm` = the whole minibatch's size, so
    /// the chunk gradients add up to the gradient of the mean loss).
    ///
    /// # Errors
    /// Shape errors; a label >= K.
    /// `x` is B x 1 x 28 x 28, `labels` B.
    pub fn loss_grad(&self, x: ArrayView4<f32>, labels: &[u8], norm: usize) -> Result<(f64, Vec<Vec<f32>>)> {
        let n = labels.len();
        if x.dim() != (n, 1, SIDE, SIDE) {
            return Err(Error::shape("loss_grad", format!("x must be {n}x1x{SIDE}x{SIDE}, is {:?}", x.dim())));
        }
        let scale = n as f32 / norm as f32;
        let flat = |p: Vec<&Vec<f32>>| p.into_iter().cloned().collect::<Vec<_>>();
        match self {
            Model::BagNet(m) => {
                let c = m.forward(x)?;
                let (loss, mut d) = softmax_cross_entropy(c.logits.view(), labels.into())?;
                d.mapv_inplace(|v| v * scale);
                Ok((loss as f64 * n as f64, flat(m.backward(&c, d.view())?.tensors())))
            }
            Model::Cnn(m) => {
                let c = m.forward(x)?;
                let (loss, mut d) = softmax_cross_entropy(c.logits.view(), labels.into())?;
                d.mapv_inplace(|v| v * scale);
                Ok((loss as f64 * n as f64, flat(m.backward(&c, d.view())?.tensors())))
            }
        }
    }

    fn tensors_mut(&mut self) -> Vec<&mut Vec<f32>> {
        match self {
            Model::BagNet(m) => m.p.tensors_mut(),
            Model::Cnn(m) => m.p.tensors_mut(),
        }
    }

    fn named(&self) -> Vec<(String, Vec<usize>, &Vec<f32>)> {
        match self {
            Model::BagNet(m) => m.named(),
            Model::Cnn(m) => m.named(),
        }
    }

    /// safetensors bytes: every tensor under its name (`stem.w`, `block0.wk`, `head.w`, `conv1.w`, `fc.w`, ...) and
    /// the metadata `config` (JSON of [`ModelConfig`]) plus `extra`.
    ///
    /// # Errors
    /// As [`io::save_f32`].
    pub fn to_safetensors(&self, extra: &BTreeMap<String, String>) -> Result<Vec<u8>> {
        let mut meta = extra.clone();
        meta.insert("config".to_string(), serde_json::to_string(&self.config()).expect("config serialises"));
        let named = self.named();
        let t: Vec<(&str, &[usize], &[f32])> = named.iter().map(|(n, s, d)| (n.as_str(), s.as_slice(), d.as_slice())).collect();
        io::save_f32(&t, &meta)
    }

    /// Reads a model written by [`Model::to_safetensors`]; returns it and the file's metadata.
    ///
    /// # Errors
    /// [`Error::Format`] for bytes that are not safetensors; [`Error::Model`] for a missing or unreadable `config`, a
    /// missing tensor or one of the wrong shape.
    pub fn from_safetensors(bytes: &[u8]) -> Result<(Model, BTreeMap<String, String>)> {
        let f = io::load(bytes)?;
        let meta = f.metadata().clone();
        let cfg: ModelConfig = serde_json::from_str(meta.get("config").ok_or_else(|| Error::Model("no `config` in the metadata: not a bagnet-lab model".into()))?)
            .map_err(|e| Error::Model(format!("bad `config` in the metadata: {e}")))?;
        let mut m = Model::new(&cfg, 0)?;
        let shapes: Vec<(String, Vec<usize>)> = m.named().into_iter().map(|(n, s, _)| (n, s)).collect();
        for ((name, shape), t) in shapes.iter().zip(m.tensors_mut()) {
            let got = f.f32(name)?;
            if &got.shape != shape {
                return Err(Error::Model(format!("tensor `{name}` has shape {:?}, expected {shape:?}", got.shape)));
            }
            *t = got.data;
        }
        Ok((m, meta))
    }
}

/// Settings of one training run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Passes over the training images.
    pub epochs: usize,
    /// Minibatch size.
    pub batch: usize,
    /// Adam step size (halved for the last epoch when there are at least 2).
    pub lr: f32,
    /// Seed of the initialisation and of the minibatch order.
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig { epochs: 1, batch: 32, lr: 3e-3, seed: 1 }
    }
}

/// Runs `f` on fixed chunks of [`CHUNK`] images of `idx`, in parallel where threads exist, results in chunk order.
fn chunked<R: Send>(idx: &[usize], f: impl Fn(&[usize]) -> R + Sync + Send) -> Vec<R> {
    let n = idx.len().div_ceil(CHUNK);
    crate::par::map_range(n, |c| f(&idx[c * CHUNK..((c + 1) * CHUNK).min(idx.len())]))
}

/// Trains `model` on `split` (all its images) with Adam; calls `on_epoch(epoch, mean training loss)` after each
/// epoch. The minibatch order is a function of `cfg.seed` only; gradients are summed over fixed chunks in order,
/// so the result does not depend on the number of threads.
///
/// # Errors
/// [`Error::Range`] for 0 epochs or batch; shape errors.
pub fn train(model: &mut Model, split: &Split, cfg: &TrainConfig, mut on_epoch: impl FnMut(usize, f64)) -> Result<()> {
    if cfg.epochs == 0 || cfg.batch == 0 || split.n == 0 {
        return Err(Error::range("training", "epochs, batch and the number of images must be at least 1"));
    }
    let sizes: Vec<usize> = model.tensors_mut().iter().map(|t| t.len()).collect();
    let mut adam = Adam::new(cfg.lr, &sizes);
    let mut rng = Rng::new(cfg.seed ^ 0x5eed_ba95);
    let mut order: Vec<usize> = (0..split.n).collect();
    for epoch in 0..cfg.epochs {
        if cfg.epochs >= 2 && epoch == cfg.epochs - 1 {
            adam.lr = cfg.lr * 0.5;
        }
        rng.shuffle(&mut order);
        let mut total = 0.0f64;
        for mb in order.chunks(cfg.batch) {
            let m: &Model = model;
            let parts = chunked(mb, |ix| {
                let x = split.batch_f32(ix);
                m.loss_grad(nd::view("train", &x, (ix.len(), 1, SIDE, SIDE))?, &split.batch_labels(ix), mb.len())
            });
            let mut grad: Option<Vec<Vec<f32>>> = None;
            for part in parts {
                let (l, g) = part?;
                total += l;
                match grad.as_mut() {
                    None => grad = Some(g),
                    Some(acc) => acc.iter_mut().zip(&g).for_each(|(a, b)| a.iter_mut().zip(b).for_each(|(x, y)| *x += y)),
                }
            }
            let grad = grad.expect("a minibatch has at least one chunk");
            let gr: Vec<&[f32]> = grad.iter().map(|g| g.as_slice()).collect();
            let mut ps: Vec<&mut [f32]> = model.tensors_mut().into_iter().map(|t| t.as_mut_slice()).collect();
            adam.step(&mut ps, &gr);
        }
        on_epoch(epoch + 1, total / split.n as f64);
    }
    Ok(())
}

/// The images `ix[0] ..= ix[last]` of `x` (B x 1 x H x W).
fn rows_of<'a>(x: &ArrayView4<'a, f32>, ix: &[usize]) -> ArrayView4<'a, f32> {
    x.slice_move(s![ix[0]..ix[ix.len() - 1] + 1, .., .., ..])
}

/// Predicted class of every image in `x` (B x 1 x H x W), computed in chunks (in parallel where threads exist).
///
/// # Errors
/// As [`Model::logits`].
pub fn predict(model: &Model, x: ArrayView4<f32>) -> Result<Array1<usize>> {
    let idx: Vec<usize> = (0..x.dim().0).collect();
    let parts = chunked(&idx, |ix| model.logits(rows_of(&x, ix)).map(|l| argmax_rows(l.view())));
    let mut out = Vec::with_capacity(idx.len());
    for p in parts {
        out.extend(p?);
    }
    Ok(Array1::from(out))
}

/// Image logits (B x K) of `x` (B x 1 x 28 x 28), computed in chunks of [`CHUNK`] (in parallel where threads exist,
/// and without holding every image's activations at once).
///
/// # Errors
/// As [`Model::logits`].
pub fn logits_chunked(model: &Model, x: ArrayView4<f32>) -> Result<Array2<f32>> {
    let batch = x.dim().0;
    let idx: Vec<usize> = (0..batch).collect();
    let parts = chunked(&idx, |ix| model.logits(rows_of(&x, ix)));
    let mut out = Vec::with_capacity(batch * model.classes());
    for p in parts {
        out.extend(p?.iter());
    }
    nd::array("logits_chunked", out, (batch, model.classes()))
}

/// Patch logits (B x K x OH x OW) of `x` (B x 1 x 28 x 28), in chunks as [`logits_chunked`].
///
/// # Errors
/// As [`BagNet::forward`].
pub fn patch_logits_chunked(bagnet: &BagNet, x: ArrayView4<f32>) -> Result<Array4<f32>> {
    let (batch, _, h, w) = x.dim();
    let (oh, ow) = (map_side(h, bagnet.cfg.q)?, map_side(w, bagnet.cfg.q)?);
    let idx: Vec<usize> = (0..batch).collect();
    let parts = chunked(&idx, |ix| bagnet.patch_logits(rows_of(&x, ix)));
    let mut out = Vec::with_capacity(batch * bagnet.cfg.classes * oh * ow);
    for p in parts {
        out.extend(p?.iter());
    }
    nd::array("patch_logits_chunked", out, (batch, bagnet.cfg.classes, oh, ow))
}

/// Number of correct predictions on images `range` of `split` (28x28).
///
/// # Errors
/// As [`Model::logits`]; [`Error::Range`] for a range outside the split.
pub fn correct(model: &Model, split: &Split, range: std::ops::Range<usize>) -> Result<usize> {
    if range.end > split.n || range.start > range.end {
        return Err(Error::range("image range", format!("{range:?} is not within the {} images", split.n)));
    }
    let ix: Vec<usize> = range.collect();
    let x = split.batch_f32(&ix);
    let pred = predict(model, nd::view("correct", &x, (ix.len(), 1, SIDE, SIDE))?)?;
    Ok(pred.iter().zip(&ix).filter(|(p, &i)| **p == usize::from(split.labels[i])).count())
}

/// Test accuracy in [0, 1] on the first `n` images of `split` (all when `n` is 0 or larger).
///
/// # Errors
/// As [`correct`].
pub fn accuracy(model: &Model, split: &Split, n: usize) -> Result<f64> {
    let n = if n == 0 { split.n } else { n.min(split.n) };
    Ok(correct(model, split, 0..n)? as f64 / n.max(1) as f64)
}

// ------------------------------------------------------------------------------------------------------------------
// Evidence, scrambling and masking (the paper's experiments, in miniature)
// ------------------------------------------------------------------------------------------------------------------

/// Class evidence of every patch: the patch logits of one image (`K x OH x OW`) minus, at each location, their mean
/// over the classes. The softmax of the image logits does not change when a constant is added to all classes at one
/// location, so this centred map is what distinguishes classes; its spatial mean is the image logits minus their
/// mean. `map` and the result are `K x OH x OW`.
pub fn evidence(map: ArrayView3<f32>) -> Array3<f32> {
    let (k, oh, ow) = map.dim();
    let mut out = map.to_owned();
    for i in 0..oh {
        for j in 0..ow {
            let m = (0..k).map(|c| map[[c, i, j]]).sum::<f32>() / k as f32;
            (0..k).for_each(|c| out[[c, i, j]] -= m);
        }
    }
    out
}

/// The `count` locations of `plane` (one class's `OH x OW` evidence) with the largest values, largest first (ties by
/// row-major index): `(row, column, value)` in map coordinates. The patch of `(i, j)` starts at image pixel
/// `(2i, 2j)`.
pub fn top_patches(plane: ArrayView2<f32>, count: usize) -> Vec<(usize, usize, f32)> {
    let ow = plane.ncols().max(1);
    let plane: Vec<f32> = plane.iter().copied().collect();
    let mut ix: Vec<usize> = (0..plane.len()).collect();
    ix.sort_by(|&a, &b| plane[b].total_cmp(&plane[a]).then(a.cmp(&b)));
    ix.into_iter().take(count).map(|l| (l / ow, l % ow, plane[l])).collect()
}

/// Sets to `fill` every pixel of `img` (`H x W`) inside the q x q patch of each map location `(i, j)` in `patches`
/// (pixels `2i..2i+q` x `2j..2j+q`, clipped to the image).
pub fn mask_patches(mut img: ArrayViewMut2<f32>, q: usize, patches: &[(usize, usize)], fill: f32) {
    let (h, w) = img.dim();
    for &(i, j) in patches {
        for r in (STRIDE * i)..(STRIDE * i + q).min(h) {
            for c in (STRIDE * j)..(STRIDE * j + q).min(w) {
                img[[r, c]] = fill;
            }
        }
    }
}

/// Cuts `img` (`side x side`) into `tile x tile` squares and puts them back in a random order (a seeded
/// permutation; `tile` must divide `side`).
///
/// # Errors
/// [`Error::Range`] when `tile` is 0 or does not divide `side`; [`Error::Shape`] for an image that is not square.
pub fn scramble_tiles(img: ArrayView2<f32>, tile: usize, rng: &mut Rng) -> Result<Array2<f32>> {
    let (side, w) = img.dim();
    if side != w {
        return Err(Error::shape("scramble_tiles", format!("the image must be square, is {side}x{w}")));
    }
    if tile == 0 || side % tile != 0 {
        return Err(Error::range("tile size", format!("{tile} must divide the image side {side}")));
    }
    let imgc = nd::standard(img);
    let img = nd::slice_of("scramble_tiles", &imgc)?;
    let t = side / tile;
    let mut perm: Vec<usize> = (0..t * t).collect();
    rng.shuffle(&mut perm);
    let mut out = vec![0.0; side * side];
    for (dst, &src) in perm.iter().enumerate() {
        let (dr, dc, sr, sc) = (dst / t * tile, dst % t * tile, src / t * tile, src % t * tile);
        for r in 0..tile {
            out[(dr + r) * side + dc..(dr + r) * side + dc + tile].copy_from_slice(&img[(sr + r) * side + sc..(sr + r) * side + sc + tile]);
        }
    }
    nd::array("scramble_tiles", out, (side, side))
}

/// Accuracy in [0, 1] of `model` on the first `n` images of `split` with their `tile x tile` squares scrambled
/// (image `i` with the permutation of `Rng::new(seed + i)`, the same for every model).
///
/// # Errors
/// As [`scramble_tiles`] and [`predict`].
pub fn scrambled_accuracy(model: &Model, split: &Split, n: usize, tile: usize, seed: u64) -> Result<f64> {
    let n = n.min(split.n).max(1);
    let mut x = Vec::with_capacity(n * SIDE * SIDE);
    for i in 0..n {
        let img = split.image_f32(i);
        x.extend(scramble_tiles(nd::view("scrambled_accuracy", &img, (SIDE, SIDE))?, tile, &mut Rng::new(seed.wrapping_add(i as u64)))?.iter());
    }
    let pred = predict(model, nd::view("scrambled_accuracy", &x, (n, 1, SIDE, SIDE))?)?;
    Ok(pred.iter().enumerate().filter(|(i, &p)| p == usize::from(split.labels[*i])).count() as f64 / n as f64)
}

/// The masking experiment at one k.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MaskResult {
    /// Patches masked per image.
    pub k: usize,
    /// BagNet accuracy with the k patches of most evidence for the true class masked.
    pub bagnet: f64,
    /// The CNN's accuracy on the same masked images.
    pub cnn: f64,
    /// BagNet accuracy with k random patches masked (the control).
    pub bagnet_random: f64,
    /// The CNN's accuracy with the same random patches masked.
    pub cnn_random: f64,
    /// Pearson correlation over the images between the drop of the BagNet's true-class logit margin (logit minus the
    /// mean logit) and the CNN's, under the evidence-chosen masks: how well the BagNet's patch evidence predicts what
    /// masking does to the CNN.
    pub correlation: f64,
}

fn margin(logits: ArrayView1<f32>, y: usize) -> f64 {
    logits[y] as f64 - logits.iter().map(|&v| v as f64).sum::<f64>() / logits.len() as f64
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma) * (x - ma)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb) * (y - mb)).sum();
    if va <= 0.0 || vb <= 0.0 {
        0.0
    } else {
        cov / (va * vb).sqrt()
    }
}

/// The masking experiment on the first `n` test images of `split`: for every image, the BagNet's evidence map for
/// the true class picks the k most evidential patches; their pixels are set to 0 (background) and both models
/// classify the result; k random distinct patches (seeded by `seed + i`) are the control. Returns one
/// [`MaskResult`] per entry of `ks`.
///
/// # Errors
/// Shape errors from the models.
pub fn mask_experiment(bagnet: &BagNet, cnn: &Cnn, split: &Split, n: usize, ks: &[usize], seed: u64) -> Result<Vec<MaskResult>> {
    let n = n.min(split.n).max(1);
    let q = bagnet.cfg.q;
    let ix: Vec<usize> = (0..n).collect();
    let x = split.batch_f32(&ix);
    let x = nd::array("mask_experiment", x, (n, 1, SIDE, SIDE))?;
    let (bm, cm) = (Model::BagNet(bagnet.clone()), Model::Cnn(cnn.clone()));
    let (b0, c0) = (logits_chunked(&bm, x.view())?, logits_chunked(&cm, x.view())?);
    let map = patch_logits_chunked(bagnet, x.view())?;
    let (oh, ow) = (map.dim().2, map.dim().3);
    let loc = oh * ow;
    let mut out = Vec::new();
    for &k in ks {
        let k = k.min(loc);
        let (mut xe, mut xr) = (x.clone(), x.clone());
        for i in 0..n {
            let y = usize::from(split.labels[i]);
            let ev = evidence(map.slice(s![i, .., .., ..]));
            let top: Vec<(usize, usize)> = top_patches(ev.slice(s![y, .., ..]), k).into_iter().map(|(r, c, _)| (r, c)).collect();
            mask_patches(xe.slice_mut(s![i, 0, .., ..]), q, &top, 0.0);
            let mut all: Vec<usize> = (0..loc).collect();
            Rng::new(seed.wrapping_add(i as u64)).shuffle(&mut all);
            let rnd: Vec<(usize, usize)> = all[..k].iter().map(|&l| (l / ow, l % ow)).collect();
            mask_patches(xr.slice_mut(s![i, 0, .., ..]), q, &rnd, 0.0);
        }
        let acc = |l: &Array2<f32>| argmax_rows(l.view()).iter().enumerate().filter(|(i, &p)| p == usize::from(split.labels[*i])).count() as f64 / n as f64;
        let (be, ce) = (logits_chunked(&bm, xe.view())?, logits_chunked(&cm, xe.view())?);
        let (br, cr) = (logits_chunked(&bm, xr.view())?, logits_chunked(&cm, xr.view())?);
        let drops = |before: &Array2<f32>, after: &Array2<f32>| -> Vec<f64> {
            (0..n).map(|i| {
                let y = usize::from(split.labels[i]);
                margin(before.row(i), y) - margin(after.row(i), y)
            }).collect()
        };
        out.push(MaskResult { k, bagnet: acc(&be), cnn: acc(&ce), bagnet_random: acc(&br), cnn_random: acc(&cr), correlation: pearson(&drops(&b0, &be), &drops(&c0, &ce)) });
    }
    Ok(out)
}

/// The softmax of one row of logits (the max is subtracted first): probabilities that sum to 1.
pub fn softmax(logits: ArrayView1<f32>) -> Array1<f32> {
    let m = logits.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    let e: Vec<f32> = logits.iter().map(|&v| (v - m).exp()).collect();
    let s: f32 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}
