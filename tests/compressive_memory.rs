//! Compressive Transformer memory bookkeeping (Algorithm 1 and the rule for lengths that are not a multiple of c):
//! slot counts after every segment against a closed form, for several segment lengths, rates and functions, and
//! the contents of layer 0's memories against the embeddings of the characters that went in.
#![cfg(not(target_arch = "wasm32"))] // native tests; `wasm-pack test` builds every test target for wasm32 too

use paperlab::labs::compressive::{Compression, Config, FcLoss, Memory, Model};

fn cfg(seg: usize, mem: usize, cmem: usize, rate: usize, func: Compression) -> Config {
    Config { vocab: 13, d: 4, heads: 2, ff: 6, layers: 2, seg, mem, cmem, rate, func, fc_loss: FcLoss::Attention }
}

/// After `total` rows have entered a layer's memory: m holds all of them up to n_m, then n_m plus the overflow
/// that does not fill a group of c; cm holds one row per whole group of c that overflowed, at most n_cm. For the
/// Transformer-XL baseline (n_cm = 0), m holds min(total, n_m).
fn expected(total: usize, c: &Config) -> (usize, usize) {
    if total <= c.mem {
        return (total, 0);
    }
    if c.cmem == 0 {
        return (c.mem, 0);
    }
    let over = total - c.mem;
    (c.mem + over % c.rate, (over / c.rate).min(c.cmem))
}

#[test]
fn slots_after_each_segment_match_the_closed_form() {
    // (segment lengths fed in turn, n_s, n_m, n_cm, c)
    let cases: &[(&[usize], usize, usize, usize, usize)] = &[
        (&[8, 8, 8, 8, 8, 8], 8, 8, 4, 2),
        (&[8, 8, 8, 8, 8, 8, 8], 8, 8, 3, 3),   // 8 not a multiple of 3: remainders carried
        (&[5, 3, 7, 1, 2, 6, 6, 4, 1], 7, 6, 5, 4), // irregular lengths (text ends, sampling)
        (&[8; 10], 8, 4, 2, 8),                  // c = n_s
        (&[3; 12], 3, 2, 4, 5),                  // c > n_s: groups span segments
        (&[6; 6], 6, 6, 6, 1),                   // c = 1: compression is a copy of every overflowing memory
        (&[4, 4, 4, 4, 4], 4, 8, 0, 1),          // Transformer-XL
    ];
    for &(lens, seg, mem, cmem, rate) in cases {
        for func in [Compression::Mean, Compression::Conv, Compression::MostUsed, Compression::Max, Compression::Dilated] {
            let c = cfg(seg, mem, cmem, rate, func);
            let m = Model::new(c.clone(), 1).unwrap();
            let mut memory = Memory::new(&c);
            let mut total = 0;
            for (k, &n) in lens.iter().enumerate() {
                let x: Vec<u8> = (0..=n).map(|i| ((i * 5 + k) % 13) as u8).collect();
                m.segment(&mut memory, &x[..n], &x[1..], false, false).unwrap();
                total += n;
                for l in 0..c.layers {
                    let got = memory.rows(l, c.d);
                    assert_eq!(got, expected(total, &c), "{func:?} c={rate} lens {lens:?}: after segment {k} ({total} rows in), layer {l}");
                    assert_eq!(memory.layers[l].usage.len(), got.0);
                    assert!(got.0 < mem + rate.max(1), "m exceeds n_m + c - 1");
                }
            }
        }
    }
}

#[test]
fn layer0_memories_hold_the_embeddings_that_went_in() {
    // Layer 0's input is the embedding of the characters, so m holds the embeddings of the most recent characters
    // and, with mean pooling, cm row k is the mean of the embeddings of the k-th whole group of c overflowing ones.
    let c = cfg(5, 4, 3, 3, Compression::Mean);
    let m = Model::new(c.clone(), 2).unwrap();
    let d = c.d;
    let emb = |t: u8| &m.p.emb[t as usize * d..(t as usize + 1) * d];
    let mut memory = Memory::new(&c);
    let mut seen: Vec<u8> = Vec::new();
    for k in 0..6 {
        let x: Vec<u8> = (0..6).map(|i| ((i * 3 + k * 7) % 13) as u8).collect();
        m.segment(&mut memory, &x[..5], &x[1..], false, false).unwrap();
        seen.extend_from_slice(&x[..5]);
        let (nm, ncm) = memory.rows(0, d);
        let recent = &seen[seen.len() - nm..];
        for (r, &t) in recent.iter().enumerate() {
            assert_eq!(&memory.layers[0].m[r * d..(r + 1) * d], emb(t), "segment {k}: m row {r}");
        }
        // groups compressed so far: the first (seen - nm) characters, in groups of 3; cm keeps the last ncm groups
        let groups = (seen.len() - nm) / 3;
        assert_eq!(groups * 3, seen.len() - nm, "only whole groups leave m");
        for (r, gi) in (groups - ncm..groups).enumerate() {
            for j in 0..d {
                let want = (0..3).map(|q| emb(seen[gi * 3 + q])[j]).sum::<f32>() / 3.0;
                let got = memory.layers[0].cm[r * d + j];
                assert!((got - want).abs() < 1e-6, "segment {k}: cm row {r} (group {gi}) dim {j}: {got} vs {want}");
            }
        }
    }
}

#[test]
fn temporal_range_and_attention_size() {
    let c = cfg(32, 32, 32, 4, Compression::Conv);
    assert_eq!(c.temporal_range(), 32 + 4 * 32);
    assert_eq!(c.attention_size(), 64);
    let xl = cfg(32, 64, 0, 1, Compression::Conv);
    assert_eq!(xl.temporal_range(), 64);
    assert_eq!(xl.attention_size(), c.attention_size());
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    let c = cfg(4, 4, 2, 2, Compression::Conv);
    let m = Model::new(c.clone(), 1).unwrap();
    let mut mem = Memory::new(&c);
    assert!(m.segment(&mut mem, &[], &[], false, false).is_err());
    assert!(m.segment(&mut mem, &[1, 2, 3, 4, 5], &[], false, false).is_err());
    assert!(m.segment(&mut mem, &[1, 2], &[3], false, false).is_err());
    assert!(m.segment(&mut mem, &[1, 20], &[], false, false).is_err());
    assert!(m.stream_losses(&[1]).is_err());
    assert!(Model::new(Config { heads: 3, ..c.clone() }, 1).is_err());
    assert!(Model::new(Config { rate: 0, ..c }, 1).is_err());
    assert!("pool".parse::<Compression>().is_err());
    assert_eq!("most-used".parse::<Compression>().unwrap(), Compression::MostUsed);
}

#[test]
fn vocabulary_encodes_decodes_and_names_unknown_characters() {
    use paperlab::data::text::Vocab;
    let v = Vocab::from_text(b"the whale, the sea.").unwrap();
    assert_eq!(v.chars, b" ,.aehlstw".to_vec());
    let t = v.encode(b"the sea").unwrap();
    assert_eq!(v.decode(&t), "the sea");
    assert!(v.encode(b"the ship").is_err(), "p and i are not in the vocabulary");
    let (toks, unknown) = v.encode_lossy("the ship — naïve", b' ');
    assert_eq!(toks.len(), "the ship — naïve".chars().count());
    assert_eq!(unknown, vec!['i', 'p', '—', 'n', 'ï', 'v']);
    assert_eq!(v.decode(&toks), "the sh      a  e", "unknown characters read as spaces");
    assert!(Vocab::from_chars(b"aa").is_err() && Vocab::from_chars(b"").is_err());
}
