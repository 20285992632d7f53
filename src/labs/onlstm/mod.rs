//! Ordered Neurons (Shen, Tan, Sordoni & Courville, "Ordered Neurons: Integrating Tree Structures into Recurrent
//! Neural Networks", ICLR 2019): the ON-LSTM cell with its `cumax` master gates, a word-level language model, and
//! constituency trees induced from the master forget gate without any tree supervision.
//!
//! - [`cell`]: the ON-LSTM layer (section 4), forward and backward through time.
//! - [`model`]: the language model (ON-LSTM or the plain LSTM baseline of the same sizes), training, perplexity,
//!   parse F1, sampling, safetensors I/O.
//! - [`grammar`]: the lab's treebank: an English-like probabilistic grammar with gold trees (fixed seed).
//! - [`parse`]: syntactic distance to a tree by greedy top-down splitting (section 6.2), bracket F1 and the
//!   right-branching, left-branching and random-tree baselines.
//!
//! Word level, not character level: the trees are over words and the distances are read once per word, as in the
//! paper (a word-level LM on the Penn Treebank with a fixed vocabulary and `<unk>`). Here the vocabulary is the
//! grammar's words plus `<eos>` and `<unk>`; during training 2% of the input words become `<unk>` so that a word
//! typed on the page that the grammar does not know still gets a trained embedding.

pub mod cell;
pub mod grammar;
pub mod model;
pub mod parse;
#[cfg(not(target_arch = "wasm32"))]
pub mod ship;

use crate::error::{Error, Result};
use crate::nn::Rng;
use grammar::{word_id, Sentence, UNK_ID};
use model::{batch_tokens, Lm};
use parse::{left_branching, mean_f1, parse_spans, random_tree, right_branching};

/// Longest input [`tokenize`] accepts (words).
pub const MAX_INPUT_WORDS: usize = 40;
/// Longest input text [`tokenize`] looks at (bytes), so a huge paste fails fast.
pub const MAX_INPUT_BYTES: usize = 2000;

/// A typed sentence split into the model's words.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Tokens {
    /// The words as typed (lower-cased, punctuation stripped, `'s` split off).
    pub words: Vec<String>,
    /// Their ids; `<unk>` for words outside the vocabulary.
    pub ids: Vec<u8>,
    /// Which words were unknown.
    pub unknown: Vec<bool>,
}

/// Splits `text` into words: lower case, whitespace-separated, the punctuation `.,;:!?"()` dropped, a trailing
/// `'s` split into its own word; words outside the vocabulary map to `<unk>`.
///
/// # Errors
/// [`Error::Range`] for empty text (no words), more than [`MAX_INPUT_WORDS`] words, or more than
/// [`MAX_INPUT_BYTES`] bytes.
pub fn tokenize(text: &str) -> Result<Tokens> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(Error::range("sentence", format!("{} characters is too long; type at most {MAX_INPUT_WORDS} words", text.chars().count())));
    }
    let mut words = Vec::new();
    for raw in text.split_whitespace() {
        let w: String = raw.to_lowercase().chars().filter(|c| !".,;:!?\"()".contains(*c)).collect();
        if w.is_empty() {
            continue;
        }
        if let Some(stem) = w.strip_suffix("'s").filter(|s| !s.is_empty()) {
            words.push(stem.to_string());
            words.push("'s".to_string());
        } else {
            words.push(w);
        }
    }
    if words.is_empty() {
        return Err(Error::range("sentence", "it has no words; type a sentence such as \"the old man saw a dog in the park\""));
    }
    if words.len() > MAX_INPUT_WORDS {
        return Err(Error::range("sentence", format!("{} words is too long; the lab parses at most {MAX_INPUT_WORDS}", words.len())));
    }
    let ids: Vec<u8> = words.iter().map(|w| word_id(w).unwrap_or(UNK_ID)).collect();
    let unknown = ids.iter().map(|&i| i == UNK_ID).collect();
    Ok(Tokens { words, ids, unknown })
}

/// The model's reading of one sentence.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Analysis {
    pub tokens: Tokens,
    /// Syntactic distance of every word, per layer (L x n).
    pub distances: Vec<Vec<f32>>,
    /// Master forget gate per layer, n x D row-major (the "staircase"); for the LSTM the sorted forget gate (n x H).
    pub gates: Vec<Vec<f32>>,
    /// Width of each row of `gates` (D for ON-LSTM, H for the LSTM).
    pub gate_width: usize,
    /// Induced tree per layer: the constituent spans `[start, end)` of the greedy parse (whole sentence included,
    /// single words not).
    pub spans: Vec<Vec<(usize, usize)>>,
    /// Negative log-likelihood of each word and the closing `<eos>` (nats, n + 1 values).
    pub nll: Vec<f32>,
    /// The sentence's perplexity per predicted token, `exp(mean nll)` (as `EvalResult::ppl` for a test set).
    pub ppl: f64,
}

/// Reads the word ids `ids` (n >= 1) as one sentence `<eos> w_1 .. w_n` and returns the distances, master forget
/// gates and induced trees of every layer.
///
/// # Errors
/// As [`Lm::forward`].
pub fn analyze_ids(lm: &Lm, tokens: Tokens) -> Result<Analysis> {
    let n = tokens.ids.len();
    let (inp, tgt) = batch_tokens(&[tokens.ids.as_slice()]);
    let fw = lm.forward(inp.view())?;
    let mut nll = Vec::with_capacity(n + 1);
    for (r, &y) in tgt.iter().enumerate() {
        let z = fw.logits.row(r);
        let z = z.as_slice().ok_or_else(|| Error::shape("analyze", "logits are not row-major"))?;
        let lse = crate::kernels::act::log_sum_exp(z);
        nll.push(lse - z[y as usize]);
    }
    let mut distances = Vec::new();
    let mut gates = Vec::new();
    let mut spans = Vec::new();
    let mut gate_width = 0;
    for l in 0..lm.cfg.layers {
        let d: Vec<f32> = (1..=n).map(|t| fw.distance(l, t, 0)).collect();
        let mut g = Vec::new();
        for t in 1..=n {
            let row = fw.master_forget(l, t, 0);
            gate_width = row.len();
            g.extend(row);
        }
        spans.push(parse_spans(&d));
        distances.push(d);
        gates.push(g);
    }
    let ppl = (nll.iter().map(|&x| f64::from(x)).sum::<f64>() / nll.len().max(1) as f64).exp();
    Ok(Analysis { tokens, distances, gates, gate_width, spans, nll, ppl })
}

/// [`tokenize`] then [`analyze_ids`].
///
/// # Errors
/// As both.
pub fn analyze(lm: &Lm, text: &str) -> Result<Analysis> {
    analyze_ids(lm, tokenize(text)?)
}

/// Sentence-averaged F1 (fractions) of the right-branching, left-branching and random trees on `sents`; the random
/// value is the mean over `seeds` random trees per sentence (seeded 0..seeds).
pub fn baseline_f1(sents: &[Sentence], seeds: u64) -> (f64, f64, f64) {
    let gold: Vec<Vec<(usize, usize)>> = sents.iter().map(|s| s.tree.spans()).collect();
    let f = |make: &dyn Fn(usize) -> Vec<(usize, usize)>| {
        let preds: Vec<Vec<(usize, usize)>> = sents.iter().map(|s| make(s.words.len())).collect();
        mean_f1(preds.iter().zip(&gold).zip(sents).map(|((p, g), s)| (p.as_slice(), g.as_slice(), s.words.len())))
    };
    let right = f(&right_branching);
    let left = f(&left_branching);
    let mut rnd = 0.0;
    for seed in 0..seeds.max(1) {
        let rng = std::cell::RefCell::new(Rng::new(seed));
        rnd += f(&|n| random_tree(n, &mut rng.borrow_mut()));
    }
    (right, left, rnd / seeds.max(1) as f64)
}
