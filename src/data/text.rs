//! The shipped English text (`www/data/moby-dick-200k.txt.gz`, see `www/data/README.md`) and a character
//! vocabulary over it, for character-level language models.
//!
//! A token is an index into the sorted list of the distinct bytes of the text (75 characters for the shipped file).
//! Text from elsewhere (a paste on a page) may hold characters the vocabulary lacks; [`Vocab::encode_lossy`] replaces
//! them and reports which they were, [`Vocab::encode`] refuses them.

use crate::error::{Error, Result};

/// Upper bound on the unpacked text accepted by [`Vocab::from_gz`] and [`gunzip_text`] (4 MiB).
pub const MAX_TEXT: usize = 4 << 20;

/// Characters the shipped text is split into: the first `TRAIN_CHARS` train, the rest validate.
pub const TRAIN_CHARS: usize = 180_000;

/// Unpacks gzipped text (at most [`MAX_TEXT`] bytes).
///
/// # Errors
/// [`Error::Format`] for bytes that are not gzip or unpack to more than [`MAX_TEXT`].
pub fn gunzip_text(gz: &[u8]) -> Result<Vec<u8>> {
    crate::io::gunzip(gz, MAX_TEXT)
}

/// A sorted byte vocabulary: token `i` is byte `chars[i]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vocab {
    /// The distinct bytes, sorted ascending.
    pub chars: Vec<u8>,
    index: [i16; 256],
}

impl Vocab {
    /// The vocabulary of the bytes occurring in `text`.
    ///
    /// # Errors
    /// [`Error::Format`] for an empty text.
    pub fn from_text(text: &[u8]) -> Result<Self> {
        let mut chars = text.to_vec();
        chars.sort_unstable();
        chars.dedup();
        Self::from_chars(&chars)
    }

    /// A vocabulary from its (distinct) characters, e.g. as stored in a model file; they are sorted here.
    ///
    /// # Errors
    /// [`Error::Format`] when `chars` is empty or repeats a byte.
    pub fn from_chars(chars: &[u8]) -> Result<Self> {
        let mut c = chars.to_vec();
        c.sort_unstable();
        if c.is_empty() || c.windows(2).any(|w| w[0] == w[1]) {
            return Err(Error::format("vocabulary", "needs at least one character and no repeats"));
        }
        let mut index = [-1i16; 256];
        for (i, &ch) in c.iter().enumerate() {
            index[ch as usize] = i as i16;
        }
        Ok(Vocab { chars: c, index })
    }

    /// Number of tokens V.
    pub fn len(&self) -> usize {
        self.chars.len()
    }

    /// Always false (a vocabulary has at least one character).
    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    /// The token of byte `b`, if the vocabulary has it.
    pub fn token(&self, b: u8) -> Option<u8> {
        let i = self.index[b as usize];
        (i >= 0).then_some(i as u8)
    }

    /// Tokens of `text`.
    ///
    /// # Errors
    /// [`Error::Range`] naming the first character the vocabulary lacks.
    pub fn encode(&self, text: &[u8]) -> Result<Vec<u8>> {
        text.iter()
            .map(|&b| {
                self.token(b).ok_or_else(|| Error::range("character", format!("{:?} is not in the model's vocabulary", b as char)))
            })
            .collect()
    }

    /// Tokens of a Unicode string; every character the vocabulary lacks (any non-ASCII one included) becomes
    /// `replacement` (which must be in the vocabulary, else token 0 is used). Returns the tokens (one per `char`)
    /// and the distinct unknown characters in order of first appearance.
    pub fn encode_lossy(&self, text: &str, replacement: u8) -> (Vec<u8>, Vec<char>) {
        let rep = self.token(replacement).unwrap_or(0);
        let mut unknown = Vec::new();
        let toks = text
            .chars()
            .map(|ch| {
                let t = if ch.is_ascii() { self.token(ch as u8) } else { None };
                t.unwrap_or_else(|| {
                    if !unknown.contains(&ch) {
                        unknown.push(ch);
                    }
                    rep
                })
            })
            .collect();
        (toks, unknown)
    }

    /// The text of `tokens`; a token `>= V` (not from this vocabulary) decodes to U+FFFD.
    pub fn decode(&self, tokens: &[u8]) -> String {
        tokens.iter().map(|&t| self.chars.get(t as usize).map_or('\u{fffd}', |&c| c as char)).collect()
    }
}
