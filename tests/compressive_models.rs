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

/// The committed manifests (the language models', the recall models' and each recall model's `ID.json`) are exactly
/// the typed records `paperlab train compressive [recall]` writes (`labs::compressive::manifest`): no field
/// missing, none unknown, the same JSON written back, and each config the one its model file carries.
#[test]
fn the_manifests_are_the_typed_records() {
    use paperlab::labs::compressive::manifest::{parse, to_text, ConfigRecord, Manifest, RecallEntry, RecallManifest};
    fn same<T: serde::Serialize>(v: &T, text: &str, what: &str) {
        let (back, want): (serde_json::Value, serde_json::Value) = (serde_json::from_str(&to_text(v)).unwrap(), serde_json::from_str(text).unwrap());
        assert!(back == want, "{what}: differs from its typed record written back");
    }
    let file_config = |path: String| ConfigRecord::from(&Model::from_safetensors(&std::fs::read(path).unwrap()).unwrap().0.cfg);
    let text = std::fs::read_to_string(format!("{DIR}/manifest.json")).unwrap();
    let m: Manifest = parse("manifest.json", &text).unwrap();
    same(&m, &text, "manifest.json");
    assert!(m.spread.is_some());
    for e in &m.models {
        assert_eq!(e.config, file_config(format!("{DIR}/{}", e.file)), "{}", e.id);
    }
    let text = std::fs::read_to_string(format!("{DIR}/recall/manifest.json")).unwrap();
    let r: RecallManifest = parse("recall/manifest.json", &text).unwrap();
    same(&r, &text, "recall/manifest.json");
    for e in &r.models {
        let t = std::fs::read_to_string(format!("{DIR}/recall/{}.json", e.id)).unwrap();
        let one: RecallEntry = parse(&e.id, &t).unwrap();
        same(&one, &t, &e.id);
        assert_eq!(&one, e, "{}: the manifest's entry is its ID.json", e.id);
        assert_eq!(e.config, file_config(format!("{DIR}/recall/{}", e.file)), "{}", e.id);
    }
    let no_loss = text.replacen("\"fc_loss\": \"attention\",", "", 1);
    assert!(parse::<RecallManifest>("edited", &no_loss).is_err(), "a config without fc_loss is refused");
}
