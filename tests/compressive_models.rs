//! The shipped Compressive Transformer models (`www/models/compressive/`) re-evaluated: every model in the manifest
//! loads, has the configuration `paperlab train compressive` gives it, and reaches the validation bits/char the
//! manifest records (and the `check_bpc` the wasm test compares against).
#![cfg(not(target_arch = "wasm32"))] // native tests; `wasm-pack test` builds every test target for wasm32 too

use paperlab::data::text::{gunzip_text, Vocab, TRAIN_CHARS};
use paperlab::labs::compressive::train::shipped_configs;
use paperlab::labs::compressive::Model;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/www/models/compressive");

#[test]
fn shipped_models_reach_their_manifest_bits_per_char() {
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(format!("{DIR}/manifest.json")).unwrap()).unwrap();
    let text = gunzip_text(&std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/www/data/moby-dick-200k.txt.gz")).unwrap()).unwrap();
    let vocab = Vocab::from_text(&text).unwrap();
    let val = vocab.encode(&text[TRAIN_CHARS..]).unwrap();
    let models = manifest["models"].as_array().unwrap();
    let want_ids: Vec<String> = shipped_configs(vocab.len()).into_iter().map(|(id, _, _)| id).collect();
    let got_ids: Vec<String> = models.iter().map(|m| m["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(got_ids, want_ids, "the manifest lists every shipped model, in order");
    let chars = manifest["check"]["chars"].as_u64().unwrap() as usize;
    for ((_, _, cfg), e) in shipped_configs(vocab.len()).into_iter().zip(models) {
        let id = e["id"].as_str().unwrap();
        let bytes = std::fs::read(format!("{DIR}/{}", e["file"].as_str().unwrap())).unwrap();
        let (m, v, _) = Model::from_safetensors(&bytes).unwrap();
        assert_eq!(m.cfg, cfg, "{id}: configuration");
        assert_eq!(v, vocab, "{id}: vocabulary");
        assert_eq!(e["temporal_range"].as_u64().unwrap() as usize, cfg.mem + cfg.rate * cfg.cmem, "{id}: range");
        let bpc = m.bpc(&val, 8).unwrap();
        let want = e["val_bpc"].as_f64().unwrap();
        assert!((bpc - want).abs() < 2e-4, "{id}: validation {bpc:.5} bits/char, manifest {want}");
        let (check, _) = m.stream_losses(&val[..chars]).unwrap();
        let check = check / std::f64::consts::LN_2;
        assert!((check - e["check_bpc"].as_f64().unwrap()).abs() < 1e-5, "{id}: check {check}");
        // A trained model is far better than the 6.2 bits/char of a uniform guess over 75 characters.
        assert!(bpc < 3.0, "{id}: {bpc}");
    }
}
