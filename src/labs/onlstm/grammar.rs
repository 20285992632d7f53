//! A small English-like probabilistic grammar with gold constituency trees (no treebank ships in a package, so the
//! lab makes its own; see the module docs of [`super`]).
//!
//! Rules (probabilities in the code; recursion is damped by depth so sentences stay short):
//!
//! ```text
//! S    -> NP VP | PP NP VP | S and S
//! NP   -> Det Adj* N | Name | Pron(subject only) | NP PP(of/with/from) | NP RC | NP 's N
//! VP   -> Vi | Vt NP | Vs that S | VP PP(in/on/near/behind/under) | VP Adv
//! PP   -> P NP
//! RC   -> that VP | that NP Vt
//! ```
//!
//! The gold trees keep the flat n-ary nodes of these rules (like the Penn Treebank's flat noun phrases), so a binary
//! tree cannot reach 100% precision. Left-attaching structures (`VP PP`, `VP Adv`, `NP 's N`, `NP PP`, `NP RC`)
//! and right-attaching ones (`Vt NP`, `P NP`, `that S`) are mixed, so right-branching is a real baseline but not
//! the answer. Prepositions decide attachment: `of`, `with`, `from` attach to the noun phrase, the locatives to the
//! verb phrase (the word itself tells a left-to-right reader where the boundary is). Verbs are in the present tense
//! and agree in number with their subject, across any prepositional phrase or relative clause in between, so a
//! language model gains from remembering the subject at a high level while it reads a nested constituent.

use crate::nn::Rng;

/// A constituency tree over word positions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tree {
    /// Word at this position of the sentence.
    Leaf(usize),
    /// A constituent with its children in order (two or more).
    Node(Vec<Tree>),
}

impl Tree {
    /// The `[start, end)` word span this subtree covers.
    pub fn span(&self) -> (usize, usize) {
        match self {
            Tree::Leaf(i) => (*i, i + 1),
            Tree::Node(ch) => (ch[0].span().0, ch[ch.len() - 1].span().1),
        }
    }

    /// Every constituent span `[start, end)` of the tree (nodes only, leaves excluded), outermost first.
    pub fn spans(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        fn walk(t: &Tree, out: &mut Vec<(usize, usize)>) {
            if let Tree::Node(ch) = t {
                out.push(t.span());
                for c in ch {
                    walk(c, out);
                }
            }
        }
        walk(self, &mut out);
        out
    }
}

/// A sentence of the corpus: word ids into [`VOCAB`] and its gold tree.
#[derive(Clone, Debug)]
pub struct Sentence {
    pub words: Vec<u8>,
    pub tree: Tree,
}

/// Special tokens: `<eos>` ends (and, as input, starts) a sentence; `<unk>` stands for any word outside the vocabulary.
pub const EOS: &str = "<eos>";
pub const UNK: &str = "<unk>";

const DET_SG: &[&str] = &["the", "a", "every", "this", "no"];
const DET_PL: &[&str] = &["the", "some", "these", "many", "no"];
const DET_ALL: &[&str] = &["the", "a", "every", "this", "no", "some", "these", "many"];
const ADJ: &[&str] = &["big", "small", "old", "young", "red", "happy", "quiet", "clever", "tired", "strange", "green", "lazy"];
const NOUN_SG: &[&str] = &[
    "dog", "cat", "man", "woman", "child", "teacher", "farmer", "bird", "house", "garden", "park", "book", "letter",
    "river", "city", "table", "telescope", "hat", "friend", "king", "queen", "horse", "boat", "song",
];
const NOUN_PL: &[&str] = &[
    "dogs", "cats", "men", "women", "children", "teachers", "farmers", "birds", "houses", "gardens", "parks", "books",
    "letters", "rivers", "cities", "tables", "telescopes", "hats", "friends", "kings", "queens", "horses", "boats",
    "songs",
];
const NAME: &[&str] = &["alice", "bob", "carol", "dave", "emma"];
const PRON_SG: &[&str] = &["she", "he"];
const PRON_PL: &[&str] = &["they", "we"];
const VT_SG: &[&str] = &["sees", "likes", "finds", "chases", "watches", "meets", "takes", "visits", "helps", "follows", "paints", "hears"];
const VT_PL: &[&str] = &["see", "like", "find", "chase", "watch", "meet", "take", "visit", "help", "follow", "paint", "hear"];
const VI_SG: &[&str] = &["sleeps", "smiles", "arrives", "laughs", "waits", "leaves", "sings", "dances"];
const VI_PL: &[&str] = &["sleep", "smile", "arrive", "laugh", "wait", "leave", "sing", "dance"];
const VS_SG: &[&str] = &["says", "thinks", "knows", "believes", "hopes"];
const VS_PL: &[&str] = &["say", "think", "know", "believe", "hope"];
const ADV: &[&str] = &["quickly", "slowly", "yesterday", "today", "quietly", "again"];
const P_NOUN: &[&str] = &["of", "with", "from"];
const P_VERB: &[&str] = &["in", "on", "near", "behind", "under"];
const FUNC: &[&str] = &["that", "and", "'s"];

/// The vocabulary, in id order: `<eos>`, `<unk>`, then the grammar's words by category. Fewer than 256 entries.
pub static VOCAB: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
    let mut v = vec![EOS, UNK];
    for cat in [DET_ALL, ADJ, NOUN_SG, NOUN_PL, NAME, PRON_SG, PRON_PL, VT_SG, VT_PL, VI_SG, VI_PL, VS_SG, VS_PL, ADV, P_NOUN, P_VERB, FUNC] {
        v.extend_from_slice(cat);
    }
    v
});

/// Id of `<eos>` (0) and `<unk>` (1).
pub const EOS_ID: u8 = 0;
pub const UNK_ID: u8 = 1;

/// Id of a word, or `None` when it is not in [`VOCAB`].
pub fn word_id(w: &str) -> Option<u8> {
    VOCAB.iter().position(|v| *v == w).map(|i| i as u8)
}

/// Longest sentence the generator keeps (words).
pub const MAX_WORDS: usize = 24;
/// Shortest sentence the generator keeps (words): three is the least with a bracket that counts.
pub const MIN_WORDS: usize = 3;

struct Gen<'a> {
    rng: &'a mut Rng,
    words: Vec<u8>,
}

impl Gen<'_> {
    fn pick(&mut self, cat: &[&str]) -> Tree {
        let w = cat[self.rng.below(cat.len())];
        self.words.push(word_id(w).expect("grammar words are in the vocabulary"));
        Tree::Leaf(self.words.len() - 1)
    }
    fn p(&mut self, prob: f32) -> bool {
        self.rng.uniform() < prob
    }

    fn s(&mut self, depth: usize) -> Tree {
        let r = self.rng.uniform();
        if r < 0.08 && depth == 0 {
            let a = self.s(depth + 1);
            let and = self.pick(&["and"]);
            let b = self.s(depth + 1);
            return Tree::Node(vec![a, and, b]);
        }
        if r < 0.18 && depth == 0 {
            let pp = self.pp(P_VERB, depth + 1);
            let (np, pl) = self.np(depth + 1, true);
            let vp = self.vp(depth + 1, pl);
            return Tree::Node(vec![pp, np, vp]);
        }
        let (np, pl) = self.np(depth + 1, true);
        let vp = self.vp(depth + 1, pl);
        Tree::Node(vec![np, vp])
    }

    /// A noun phrase without post-modifiers, and whether it is plural.
    fn simple_np(&mut self, subject: bool) -> (Tree, bool) {
        let r = self.rng.uniform();
        if r < 0.10 {
            return (self.pick(NAME), false);
        }
        if subject && r < 0.18 {
            let pl = self.p(0.5);
            return (self.pick(if pl { PRON_PL } else { PRON_SG }), pl);
        }
        let pl = self.p(0.45);
        let mut ch = vec![self.pick(if pl { DET_PL } else { DET_SG })];
        let k = if self.p(0.45) { if self.p(0.3) { 2 } else { 1 } } else { 0 };
        for _ in 0..k {
            ch.push(self.pick(ADJ));
        }
        ch.push(self.pick(if pl { NOUN_PL } else { NOUN_SG }));
        (Tree::Node(ch), pl)
    }

    /// A noun phrase and whether it is plural (the head decides: `NP 's N` takes the number of N).
    fn np(&mut self, depth: usize, subject: bool) -> (Tree, bool) {
        let (mut np, mut pl) = self.simple_np(subject);
        let damp = 1.0 / (1.0 + depth as f32);
        if self.p(0.10 * damp) {
            let s = self.pick(&["'s"]);
            pl = self.p(0.45);
            let n = self.pick(if pl { NOUN_PL } else { NOUN_SG });
            np = Tree::Node(vec![Tree::Node(vec![np, s]), n]);
        }
        if self.p(0.25 * damp) {
            let pp = self.pp(P_NOUN, depth + 1);
            np = Tree::Node(vec![np, pp]);
        }
        if self.p(0.2 * damp) {
            let rc = self.rc(depth + 1, pl);
            np = Tree::Node(vec![np, rc]);
        }
        (np, pl)
    }

    fn pp(&mut self, preps: &[&str], depth: usize) -> Tree {
        let p = self.pick(preps);
        let (np, _) = self.np(depth + 1, false);
        Tree::Node(vec![p, np])
    }

    /// A relative clause on a head of number `pl`: `that VP` (the verb agrees with the head) or `that NP Vt` (the
    /// verb agrees with the embedded subject).
    fn rc(&mut self, depth: usize, pl: bool) -> Tree {
        let that = self.pick(&["that"]);
        if self.p(0.55) {
            let vp = self.vp(depth + 1, pl);
            Tree::Node(vec![that, vp])
        } else {
            let (np, pl2) = self.np(depth + 1, true);
            let v = self.pick(if pl2 { VT_PL } else { VT_SG });
            Tree::Node(vec![that, Tree::Node(vec![np, v])])
        }
    }

    /// A verb phrase whose verb agrees with a subject of number `pl`.
    fn vp(&mut self, depth: usize, pl: bool) -> Tree {
        let r = self.rng.uniform();
        let damp = 1.0 / (1.0 + depth as f32);
        let mut vp = if r < 0.25 {
            self.pick(if pl { VI_PL } else { VI_SG })
        } else if r < 0.25 + 0.24 * damp {
            let v = self.pick(if pl { VS_PL } else { VS_SG });
            let that = self.pick(&["that"]);
            let s = self.s(depth + 1);
            Tree::Node(vec![v, Tree::Node(vec![that, s])])
        } else {
            let v = self.pick(if pl { VT_PL } else { VT_SG });
            let (np, _) = self.np(depth + 1, false);
            Tree::Node(vec![v, np])
        };
        if self.p(0.3 * damp) {
            let pp = self.pp(P_VERB, depth + 1);
            vp = Tree::Node(vec![vp, pp]);
        }
        if self.p(0.2) {
            let adv = self.pick(ADV);
            vp = Tree::Node(vec![vp, adv]);
        }
        vp
    }
}

/// One sentence from the grammar (rejection-sampled to `MIN_WORDS..=MAX_WORDS` words).
pub fn sentence(rng: &mut Rng) -> Sentence {
    loop {
        let mut g = Gen { rng, words: Vec::new() };
        let tree = g.s(0);
        let n = g.words.len();
        if (MIN_WORDS..=MAX_WORDS).contains(&n) {
            return Sentence { words: g.words, tree };
        }
    }
}

/// `n` sentences from the seed (the same on every platform: the generator is xoshiro256++).
pub fn corpus(seed: u64, n: usize) -> Vec<Sentence> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| sentence(&mut rng)).collect()
}

/// The corpus of the lab: seed 2019, 10,000 sentences; the first 8,000 train, the next 1,000 validate, the last 1,000
/// test.
pub const CORPUS_SEED: u64 = 2019;
pub const CORPUS_SIZES: [usize; 3] = [8000, 1000, 1000];

/// `(train, valid, test)` of the lab's corpus.
pub fn splits() -> (Vec<Sentence>, Vec<Sentence>, Vec<Sentence>) {
    let all = corpus(CORPUS_SEED, CORPUS_SIZES.iter().sum());
    let (a, b) = (CORPUS_SIZES[0], CORPUS_SIZES[0] + CORPUS_SIZES[1]);
    (all[..a].to_vec(), all[a..b].to_vec(), all[b..].to_vec())
}

/// The words of `ids` joined by spaces.
pub fn detokenize(ids: &[u8]) -> String {
    ids.iter().map(|&i| VOCAB.get(i as usize).copied().unwrap_or(UNK)).collect::<Vec<_>>().join(" ")
}

/// Bracketed string of a tree over `words`, e.g. `((the dog) (barked))`; leaves print as their word.
pub fn bracketed(t: &Tree, words: &[u8]) -> String {
    match t {
        Tree::Leaf(i) => VOCAB.get(words[*i] as usize).copied().unwrap_or(UNK).to_string(),
        Tree::Node(ch) => format!("({})", ch.iter().map(|c| bracketed(c, words)).collect::<Vec<_>>().join(" ")),
    }
}
