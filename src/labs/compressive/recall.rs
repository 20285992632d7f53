//! The long-range setting: **recall a key letter across a controlled distance D.**
//!
//! One sentence for a visitor: *every line opens with a capital letter written 8 times, then D − 1 random small
//! letters, then `=`, and the model must name the capital again — which it can only do if its memory reaches D
//! characters back.*
//!
//! A line is `KKKKKKKK` (the key K, one of `A`–`Z`, written [`KEY_RUN`] times), `D − 1` letters drawn uniformly from
//! `a`–`z`, `=`, `K`, `\n`. The distance D is counted from the `=` (the character the model reads when it has to
//! recall) back to the last key letter of the opening run, so a query at `=` must see a key D positions back. D is
//! drawn uniformly from `d_min..=d_max`; keys uniformly from the 26 capitals; everything from one seed with the
//! crate's [`Rng`], so a text is reproducible on every platform. The vocabulary is the 54 characters of [`CHARS`].
//!
//! The small letters are unpredictable (log2 26 = 4.70 bits each for every model), the key letters after the first
//! and the `=`, the newline and the first capital are nearly free once learned; **the recall character is the
//! recurring part** whose loss depends only on the reach of the memory: a model that cannot see the opening run
//! can only guess among 26 capitals (4.70 bits), one that can see it pays ~0 bits.
//!
//! Reach (one layer, T = n_s): a query at position i (0-based) of its segment sees the i earlier characters of the
//! segment, the n_m..n_m + c − 1 rows of m and n_cm compressed rows covering c·n_cm characters, so it reaches back
//! between n_m + c·n_cm and n_m + c·n_cm + T − 1 characters (Transformer-XL: n_m..n_m + T − 1).

use crate::data::text::Vocab;
use crate::error::{Error, Result};
use crate::nn::Rng;

use super::Model;

/// How many times the key opens its line.
pub const KEY_RUN: usize = 8;

/// The 54 characters of the setting (sorted as a [`Vocab`] sorts them).
pub const CHARS: &[u8] = b"\n=ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Largest distance accepted by [`generate`].
pub const MAX_DISTANCE: usize = 4096;

/// Where one line's recall happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Recall {
    /// Index in the text of the recalled key letter (the one after `=`).
    pub pos: usize,
    /// Distance D from the `=` back to the last key letter of the opening run (>= 1).
    pub distance: usize,
    /// The key (a byte `A`–`Z`).
    pub key: u8,
}

/// A generated text (bytes of [`CHARS`]) and its recall positions, one per line, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct RecallText {
    /// The characters.
    pub text: Vec<u8>,
    /// One entry per line.
    pub recalls: Vec<Recall>,
}

/// The vocabulary of the setting.
pub fn vocab() -> Vocab {
    Vocab::from_chars(CHARS).expect("CHARS has distinct bytes")
}

/// Generates lines until the text holds at least `min_chars` characters (whole lines), with distances uniform in
/// `d_min..=d_max`, from `seed`.
///
/// # Errors
/// [`Error::Range`] when `d_min` is 0, `d_min > d_max`, `d_max` exceeds [`MAX_DISTANCE`], or `min_chars` exceeds
/// 64 MiB.
pub fn generate(seed: u64, min_chars: usize, d_min: usize, d_max: usize) -> Result<RecallText> {
    if d_min == 0 || d_min > d_max || d_max > MAX_DISTANCE {
        return Err(Error::range("recall distances", format!("{d_min}..={d_max}; use 1 <= d_min <= d_max <= {MAX_DISTANCE}")));
    }
    if min_chars > 64 << 20 {
        return Err(Error::range("recall text length", format!("{min_chars} characters; use at most 64 MiB")));
    }
    let mut rng = Rng::new(seed);
    let mut text = Vec::with_capacity(min_chars + d_max + KEY_RUN + 3);
    let mut recalls = Vec::new();
    while text.len() < min_chars {
        let key = b'A' + rng.below(26) as u8;
        let distance = d_min + rng.below(d_max - d_min + 1);
        text.extend(std::iter::repeat_n(key, KEY_RUN));
        for _ in 1..distance {
            text.push(b'a' + rng.below(26) as u8);
        }
        text.push(b'=');
        recalls.push(Recall { pos: text.len(), distance, key });
        text.push(key);
        text.push(b'\n');
    }
    Ok(RecallText { text, recalls })
}

/// The loss (bits) of every recall character of `rt` under `model`, with each recall's distance: the text is cut at
/// line starts into `streams` pieces, each read as one stream from empty memories (in parallel where threads
/// exist). Returns `(distance, bits)` per line, in order.
///
/// # Errors
/// [`Error::Range`] when the model's vocabulary size is not that of [`CHARS`]; errors of [`Model::stream_losses`].
pub fn recall_losses(model: &Model, rt: &RecallText, streams: usize) -> Result<Vec<(usize, f32)>> {
    if model.cfg.vocab != CHARS.len() {
        return Err(Error::range("model vocabulary", format!("{} characters; the recall setting has {}", model.cfg.vocab, CHARS.len())));
    }
    let tokens = vocab().encode(&rt.text)?;
    let n = rt.recalls.len();
    let streams = streams.clamp(1, n.max(1));
    // line i starts right after line i-1's newline, i.e. at recalls[i-1].pos + 2
    let start = |i: usize| if i == 0 { 0 } else { rt.recalls[i - 1].pos + 2 };
    let parts = crate::par::map_range(streams, |b| -> Result<Vec<(usize, f32)>> {
        let (l0, l1) = (b * n / streams, (b + 1) * n / streams);
        if l0 == l1 {
            return Ok(Vec::new());
        }
        let (a, e) = (start(l0), rt.recalls[l1 - 1].pos + 1);
        let (_, losses) = model.stream_losses(&tokens[a..e])?;
        // losses[k] is the loss of tokens[a + k + 1]
        Ok(rt.recalls[l0..l1].iter().map(|r| (r.distance, losses[r.pos - a - 1] / std::f32::consts::LN_2)).collect())
    });
    let mut out = Vec::with_capacity(n);
    for p in parts {
        out.extend(p?);
    }
    Ok(out)
}

/// Mean of `(distance, bits)` pairs in bins of `width` distances: bin k holds distances `k·width + 1..=(k+1)·width`.
/// Returns `(bin upper edge, mean bits, count)` for every non-empty bin, in order.
pub fn by_distance(losses: &[(usize, f32)], width: usize) -> Vec<(usize, f64, usize)> {
    let width = width.max(1);
    let mut bins: Vec<(f64, usize)> = Vec::new();
    for &(d, l) in losses {
        let k = (d.max(1) - 1) / width;
        if bins.len() <= k {
            bins.resize(k + 1, (0.0, 0));
        }
        bins[k].0 += l as f64;
        bins[k].1 += 1;
    }
    bins.iter().enumerate().filter(|(_, b)| b.1 > 0).map(|(k, b)| ((k + 1) * width, b.0 / b.1 as f64, b.1)).collect()
}

/// Distances of the shipped recall texts: uniform in `1..=D_MAX` (beyond the longest reach shipped, c = 8).
pub const D_MAX: usize = 384;

/// Seed of the shipped training text; the held-out text uses [`HELDOUT_SEED`].
pub const TRAIN_SEED: u64 = 101;

/// Seed of the held-out text (never trained on).
pub const HELDOUT_SEED: u64 = 202;

/// The models trained on the recall setting: `(id, label, config)`. One layer (so a model's reach is exactly the
/// temporal range of its one layer, not compounded over layers), D = 64, H = 4, F = 256, T = n_s = 32;
/// Transformer-XL with n_m = 64, the compressive models with n_m = 32, n_cm = 32 (the same attention size); last the
/// ablation of the loss that trains f_c (`conv-c4-ae`: lossless autoencoding, `conv-c4-none`: no loss).
pub fn shipped_configs() -> Vec<(String, String, super::Config)> {
    use super::{Compression, Config, FcLoss};
    let base = |mem, cmem, rate, func| Config { vocab: CHARS.len(), d: 64, heads: 4, ff: 256, layers: 1, seg: 32, mem, cmem, rate, func, fc_loss: FcLoss::Attention };
    let mut v = vec![("xl".to_string(), "Transformer-XL (n_m = 64)".to_string(), base(64, 0, 1, Compression::Conv))];
    for c in [1, 2, 3, 4, 8] {
        v.push((format!("conv-c{c}"), format!("Compressive, conv, c = {c}"), base(32, 32, c, Compression::Conv)));
    }
    for f in [Compression::Max, Compression::Mean, Compression::Dilated, Compression::MostUsed] {
        v.push((format!("{}-c4", f.name()), format!("Compressive, {}, c = 4", f.name()), base(32, 32, 4, f)));
    }
    // The ablation of the f_c loss (conv, c = 4; attention reconstruction is conv-c4 itself).
    for (id, loss) in [("conv-c4-ae", FcLoss::Autoencoder), ("conv-c4-none", FcLoss::None)] {
        v.push((id.to_string(), format!("Compressive, conv, c = 4, f_c loss: {}", loss.name()), Config { fc_loss: loss, ..base(32, 32, 4, Compression::Conv) }));
    }
    v
}
