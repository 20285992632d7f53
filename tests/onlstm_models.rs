//! The shipped onlstm models (www/models/onlstm/) re-evaluated: each model's test perplexity and parse F1 of both
//! layers, and the baselines, against the manifest `paperlab train onlstm` wrote; the shipped ON-LSTM beats
//! right-branching.
#![cfg(not(target_arch = "wasm32"))] // native tests; `wasm-pack test` builds every test target for wasm32 too

use paperlab::labs::onlstm::baseline_f1;
use paperlab::labs::onlstm::grammar::splits;
use paperlab::labs::onlstm::model::{evaluate, Lm};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/www/models/onlstm");

#[test]
fn shipped_models_match_the_manifest() {
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(format!("{DIR}/manifest.json")).unwrap()).unwrap();
    let (_, _, test) = splits();
    let (right, left, random) = baseline_f1(&test, 5);
    let b = &m["baselines_test_f1"];
    assert!((b["right_branching"].as_f64().unwrap() - right).abs() < 1e-9, "right-branching {right} vs {}", b["right_branching"]);
    assert!((b["left_branching"].as_f64().unwrap() - left).abs() < 1e-9);
    assert!((b["random"].as_f64().unwrap() - random).abs() < 1e-9);
    assert_eq!(m["data"]["test_tokens"].as_u64().unwrap() as usize, test.iter().map(|s| s.words.len() + 1).sum::<usize>());
    let models = m["models"].as_array().unwrap();
    assert!(models.len() >= 3);
    let mut best_onlstm = 0.0f64;
    for e in models {
        let (lm, _) = Lm::from_safetensors(&std::fs::read(format!("{DIR}/{}", e["file"].as_str().unwrap())).unwrap()).unwrap();
        assert_eq!(lm.cfg.chunk as u64, e["chunk"].as_u64().unwrap());
        let ev = evaluate(&lm, &test).unwrap();
        let ppl = e["metrics"]["test_ppl"].as_f64().unwrap();
        assert!((ev.ppl - ppl).abs() < 1e-4 * ppl, "{}: perplexity {} vs manifest {ppl}", e["id"], ev.ppl);
        for (l, f) in ev.f1_by_layer.iter().enumerate() {
            let want = e["metrics"]["test_f1_by_layer"][l].as_f64().unwrap();
            assert!((f - want).abs() < 2e-3, "{} layer {}: F1 {f} vs manifest {want}", e["id"], l + 1);
        }
        // A language model that learned something: far below the uniform perplexity over the vocabulary.
        assert!(ev.ppl < 0.2 * lm.cfg.v as f64, "{}: perplexity {}", e["id"], ev.ppl);
        if lm.cfg.chunk > 0 {
            best_onlstm = best_onlstm.max(ev.f1_by_layer.iter().cloned().fold(0.0, f64::max));
        }
    }
    assert!(best_onlstm > right + 0.1, "the best shipped ON-LSTM layer ({best_onlstm}) should clearly beat right-branching ({right})");
}

/// The committed manifest is exactly what `paperlab train onlstm` writes from its typed record (`ship::Manifest`):
/// every field the page reads is there, with no unknown ones, and writing it back gives the same JSON.
#[test]
fn the_manifest_is_the_typed_record() {
    use paperlab::labs::onlstm::ship::Manifest;
    let text = std::fs::read_to_string(format!("{DIR}/manifest.json")).unwrap();
    let m = Manifest::parse(&text).unwrap();
    let (back, want): (serde_json::Value, serde_json::Value) = (serde_json::from_str(&m.to_text()).unwrap(), serde_json::from_str(&text).unwrap());
    assert!(back == want, "the manifest differs from its typed record written back");
    assert!(m.models.iter().all(|e| e.seeds.first().map(|s| s.seed) == Some(1) && e.metrics.test_f1_by_layer.len() == e.config.layers));
    let broken = text.replacen("\"lab\"", "\"lab_typo\"", 1);
    assert!(Manifest::parse(&broken).is_err(), "an unknown or missing key is refused");
}
