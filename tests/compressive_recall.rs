//! The long-range recall setting (`src/labs/compressive/recall.rs`): the generated text has the structure its
//! docstring promises (checked character by character), is reproducible and seed-dependent; the held-out recall
//! losses are those of the recall characters (checked by reading the text up to each recall, one segment at a time,
//! by hand); and the **reach** of an untrained one-layer model, measured by changing the key and seeing whether the
//! prediction at `=` moves, is exactly the window the temporal-range formula gives: D <= n_m + i for
//! Transformer-XL, D <= n_m + c·n_cm + i for the compressive models (i = the `=`'s position in its segment).
#![cfg(not(target_arch = "wasm32"))]

use paperlab::labs::compressive::recall::{self, by_distance, generate, recall_losses, RecallText, CHARS, KEY_RUN};
use paperlab::labs::compressive::{Compression, Config, FcLoss, Memory, Model};

#[test]
fn lines_have_the_promised_structure() {
    let rt = generate(7, 20_000, 3, 90).unwrap();
    assert!(rt.text.len() >= 20_000);
    assert!(rt.text.iter().all(|b| CHARS.contains(b)));
    let mut start = 0;
    let mut seen = std::collections::BTreeSet::new();
    for r in &rt.recalls {
        let line = &rt.text[start..r.pos + 2];
        assert!(line[..KEY_RUN].iter().all(|&b| b == r.key) && r.key.is_ascii_uppercase(), "{:?}", String::from_utf8_lossy(line));
        assert_eq!(line.len(), KEY_RUN + (r.distance - 1) + 3, "line length for D = {}", r.distance);
        assert!(line[KEY_RUN..KEY_RUN + r.distance - 1].iter().all(u8::is_ascii_lowercase));
        assert_eq!(rt.text[r.pos - 1], b'=');
        assert_eq!(rt.text[r.pos], r.key);
        assert_eq!(rt.text[r.pos + 1], b'\n');
        // D counts from the '=' back to the last key letter of the opening run
        assert_eq!(rt.text[r.pos - 1 - r.distance], r.key);
        assert_eq!(r.pos - 1 - r.distance, start + KEY_RUN - 1);
        assert!((3..=90).contains(&r.distance));
        seen.insert(r.distance);
        start = r.pos + 2;
    }
    assert_eq!(start, rt.text.len(), "whole lines");
    assert!(seen.contains(&3) && seen.contains(&90), "both ends of the distance range occur");
    assert_eq!(generate(7, 20_000, 3, 90).unwrap(), rt, "same seed, same text");
    assert_ne!(generate(8, 20_000, 3, 90).unwrap().text, rt.text, "other seed, other text");
    assert_eq!(recall::vocab().len(), 54);
}

#[test]
fn bad_settings_are_errors() {
    assert!(generate(1, 100, 0, 10).is_err());
    assert!(generate(1, 100, 11, 10).is_err());
    assert!(generate(1, 100, 1, recall::MAX_DISTANCE + 1).is_err());
    let natural = Model::new(Config { vocab: 75, ..tiny(8, 0, 1) }, 1).unwrap();
    assert!(recall_losses(&natural, &generate(1, 200, 1, 10).unwrap(), 2).is_err());
}

fn tiny(mem: usize, cmem: usize, rate: usize) -> Config {
    Config { vocab: CHARS.len(), d: 16, heads: 2, ff: 32, layers: 1, seg: 8, mem, cmem, rate, func: Compression::Conv, fc_loss: FcLoss::Attention }
}

/// Loss (bits) of the character at `pos` when the text from `a` is read one segment at a time up to `pos - 1`.
fn loss_by_hand(m: &Model, tokens: &[u8], a: usize, pos: usize) -> f32 {
    let mut mem = Memory::new(&m.cfg);
    let mut i = a;
    let mut last = f32::NAN;
    while i < pos {
        let e = (i + m.cfg.seg).min(pos);
        let out = m.segment(&mut mem, &tokens[i..e], &tokens[i + 1..e + 1], false, false).unwrap();
        last = *out.losses.last().unwrap();
        i = e;
    }
    last / std::f32::consts::LN_2
}

#[test]
fn recall_losses_are_the_losses_of_the_recall_characters() {
    let m = Model::new(tiny(8, 4, 2), 3).unwrap();
    let rt = generate(5, 1500, 1, 40).unwrap();
    let tokens = recall::vocab().encode(&rt.text).unwrap();
    for streams in [1, 3] {
        let got = recall_losses(&m, &rt, streams).unwrap();
        assert_eq!(got.len(), rt.recalls.len());
        let n = rt.recalls.len();
        for b in 0..streams {
            let (l0, l1) = (b * n / streams, (b + 1) * n / streams);
            let a = if l0 == 0 { 0 } else { rt.recalls[l0 - 1].pos + 2 };
            for (k, r) in rt.recalls[l0..l1].iter().enumerate() {
                let want = loss_by_hand(&m, &tokens, a, r.pos);
                let (d, l) = got[l0 + k];
                assert_eq!(d, r.distance);
                assert!((l - want).abs() < 1e-5, "streams {streams}, line {}: {l} vs {want}", l0 + k);
            }
        }
    }
}

#[test]
fn distance_bins_average_their_members() {
    let got = by_distance(&[(1, 1.0), (32, 3.0), (33, 5.0), (70, 2.0), (96, 4.0)], 32);
    assert_eq!(got, vec![(32, 2.0, 2), (64, 5.0, 1), (96, 3.0, 2)]);
    assert!(by_distance(&[], 8).is_empty());
}

/// One line of distance `dist` after `lead` lines of other text, with the key `key`: returns the text and the
/// position of the recall character.
fn probe(lead: &RecallText, key: u8, dist: usize) -> (Vec<u8>, usize) {
    let mut t = lead.text.clone();
    t.extend(std::iter::repeat_n(key, KEY_RUN));
    t.extend((1..dist).map(|k| b'a' + (k * 7 % 26) as u8));
    t.push(b'=');
    let pos = t.len();
    t.push(key);
    (t, pos)
}

/// The logits at the '=' of a probe line, read as one stream from the start.
fn logits_at(m: &Model, text: &[u8], pos: usize) -> Vec<f32> {
    let tokens = recall::vocab().encode(text).unwrap();
    let mut mem = Memory::new(&m.cfg);
    let mut i = 0;
    let mut last = Vec::new();
    while i < pos {
        let e = (i + m.cfg.seg).min(pos);
        last = m.segment(&mut mem, &tokens[i..e], &[], false, false).unwrap().last_logits;
        i = e;
    }
    last
}

#[test]
fn reach_is_the_temporal_range() {
    // shipped sizes (one layer, T = 32), random weights: the prediction at '=' depends on the key iff the key is in
    // the window: D <= back + i, where back = n_m (Transformer-XL) or n_m + c n_cm (c dividing T, so m holds n_m).
    let lead = generate(9, 1200, 1, 100).unwrap();
    for (id, _, cfg) in recall::shipped_configs().into_iter().filter(|(id, _, _)| ["xl", "conv-c1", "conv-c2", "conv-c4", "conv-c8", "mean-c4"].contains(&id.as_str())) {
        let m = Model::new(cfg.clone(), 11).unwrap();
        let back = cfg.mem + cfg.rate * cfg.cmem;
        let mut seen = (false, false);
        for dist in (back - 40..back + 40).step_by(3) {
            let (ta, pos) = probe(&lead, b'Q', dist);
            let (tb, _) = probe(&lead, b'R', dist);
            let i = (pos - 1) % cfg.seg; // position of '=' in its segment
            let (la, lb) = (logits_at(&m, &ta, pos), logits_at(&m, &tb, pos));
            let diff = la.iter().zip(&lb).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
            let visible = dist <= back + i;
            assert_eq!(diff > 0.0, visible, "{id}: D = {dist}, '=' at segment position {i}, window {back} + {i}: max logit change {diff}");
            if visible { seen.0 = true } else { seen.1 = true }
        }
        assert!(seen.0 && seen.1, "{id}: both sides of the reach probed");
    }
}

#[test]
fn shipped_recall_models_reach_their_manifest_numbers() {
    // every shipped recall model loads with its configuration and, on the held-out text regenerated from its seed,
    // gives the manifest's held-out recall bits of seed 1 (whose weights are shipped)
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/www/models/compressive/recall");
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(format!("{dir}/manifest.json")).unwrap()).unwrap();
    let d = &manifest["data"];
    let held = generate(d["heldout_seed"].as_u64().unwrap(), 400_000, 1, d["d_max"].as_u64().unwrap() as usize).unwrap();
    assert_eq!(held.text.len() as u64, d["heldout_chars"].as_u64().unwrap());
    let configs = recall::shipped_configs();
    let models = manifest["models"].as_array().unwrap();
    assert!(models.len() >= 3, "at least Transformer-XL and two compressive models");
    // One thread per model (each evaluation is independent; the harness gives this test one thread).
    let failures: Vec<String> = std::thread::scope(|scope| {
        let jobs: Vec<_> = models
            .iter()
            .map(|e| {
                let (held, configs) = (&held, &configs);
                scope.spawn(move || -> Option<String> {
                    let id = e["id"].as_str().unwrap();
                    let (m, v, _) = Model::from_safetensors(&std::fs::read(format!("{dir}/{}", e["file"].as_str().unwrap())).unwrap()).unwrap();
                    let cfg = &configs.iter().find(|c| c.0 == id).unwrap().2;
                    if &m.cfg != cfg {
                        return Some(format!("{id}: configuration {:?}, expected {cfg:?}", m.cfg));
                    }
                    if v != recall::vocab() {
                        return Some(format!("{id}: vocabulary differs"));
                    }
                    let l = recall_losses(&m, held, 8).unwrap();
                    let mean = l.iter().map(|x| x.1 as f64).sum::<f64>() / l.len() as f64;
                    let want = e["runs"][0]["recall_bits"].as_f64().unwrap();
                    ((mean - want).abs() >= 2e-3).then(|| format!("{id}: held-out recall {mean:.4} bits, manifest {want}"))
                })
            })
            .collect();
        jobs.into_iter().filter_map(|j| j.join().expect("a model's check panicked")).collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
