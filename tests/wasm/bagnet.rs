//! The bagnet lab inside WebAssembly: a shipped BagNet's and the CNN's test accuracy (stepped as the page steps it)
//! against the numbers the native build wrote into the manifest, the heatmap's shape and centring, and the facade's
//! handling of bad input.
#![cfg(target_arch = "wasm32")]

use paperlab::wasm::bagnet::BagnetLab;
use wasm_bindgen_test::*;

static DATA: &[u8] = include_bytes!("../../www/data/mnist-10k.safetensors.gz");
static BAG9: &[u8] = include_bytes!("../../www/models/bagnet/bagnet-q9-mnist.safetensors");
static CNN: &[u8] = include_bytes!("../../www/models/bagnet/cnn-mnist.safetensors");
static BAG5: &[u8] = include_bytes!("../../www/models/bagnet/bagnet-q5-mnist.safetensors");
static BAG13: &[u8] = include_bytes!("../../www/models/bagnet/bagnet-q13-mnist.safetensors");
static BAG17: &[u8] = include_bytes!("../../www/models/bagnet/bagnet-q17-mnist.safetensors");

fn lab() -> BagnetLab {
    BagnetLab::new(DATA, BAG5, BAG9, BAG13, BAG17, CNN).unwrap()
}
static MANIFEST: &str = include_str!("../../www/models/bagnet/manifest.json");

fn seed1_acc(id: &str) -> f64 {
    let m: serde_json::Value = serde_json::from_str(MANIFEST).unwrap();
    let e = m["models"].as_array().unwrap().iter().find(|e| e["id"] == id).unwrap();
    e["runs"].as_array().unwrap().iter().find(|r| r["seed"] == 1).unwrap()["test_acc"].as_f64().unwrap()
}

#[wasm_bindgen_test]
fn shipped_models_match_their_native_accuracy() {
    let mut lab = lab();
    for (id, file_id) in [("q9", "bagnet-q9-mnist"), ("cnn", "cnn-mnist")] {
        lab.eval_start(id, 0, 0, 0, "", 1).unwrap();
        let (mut done, mut total, mut correct) = (0, 1, 0);
        while done < total {
            let s = lab.eval_step(333).unwrap();
            crate::types::check(&s, "BagnetEvalStep");
            let s: serde_json::Value = serde_wasm_bindgen::from_value(s).unwrap();
            (done, total, correct) = (s["done"].as_u64().unwrap(), s["total"].as_u64().unwrap(), s["correct"].as_u64().unwrap());
        }
        let acc = correct as f64 / total as f64;
        assert!((acc - seed1_acc(file_id)).abs() < 1e-9, "{id}: accuracy in wasm {acc} vs native {}", seed1_acc(file_id));
    }
    let img = lab.test_image(0).unwrap();
    let h = lab.heatmap("q9", &img).unwrap();
    let side = lab.map_side("q9").unwrap();
    assert_eq!((side, h.len()), (10, 10 * 10 * 10));
    for l in 0..side * side {
        let s: f32 = (0..10).map(|c| h[c * side * side + l]).sum();
        assert!(s.abs() < 1e-4, "evidence at location {l} is not centred: {s}");
    }
    let p = lab.probabilities("cnn", &img).unwrap();
    assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
}

#[wasm_bindgen_test]
fn facade_reports_bad_input() {
    assert!(BagnetLab::new(b"not data", BAG5, BAG9, BAG13, BAG17, CNN).is_err());
    assert!(BagnetLab::new(DATA, BAG5, BAG9, b"not a model", BAG17, CNN).is_err());
    let mut lab = lab();
    assert!(lab.add_model(b"not a model").is_err());
    assert!(lab.heatmap("cnn", &[0.0; 784]).is_err(), "the CNN has no heatmap");
    assert!(lab.heatmap("nope", &[0.0; 784]).is_err());
    assert!(lab.heatmap("q9", &[0.0; 100]).is_err());
    assert!(lab.scramble(&[0.0; 784], 5, 1).is_err());
    assert!(lab.eval_step(10).is_err(), "no run yet");
    assert!(lab.eval_start("cnn", 10, 3, 0, "", 1).is_err());
    assert!(lab.test_image(1_000_000).is_err());
    let r = lab.mask_experiment("q9", "cnn", 20, &[1, 4], 1).unwrap();
    crate::types::check(&r, "BagnetMaskResult[]");
    assert_eq!(js_sys::Array::from(&r).length(), 2);
}

#[wasm_bindgen_test]
fn records_match_their_declarations() {
    let lab = lab();
    let ids = lab.ids().unwrap();
    crate::types::check(&ids, "BagnetModelInfo[]");
    let ids: serde_json::Value = serde_wasm_bindgen::from_value(ids).unwrap();
    let kinds: Vec<(&str, &str)> = ids.as_array().unwrap().iter().map(|m| (m["id"].as_str().unwrap(), m["config"]["kind"].as_str().unwrap())).collect();
    assert_eq!(kinds, [("q5", "bagnet"), ("q9", "bagnet"), ("q13", "bagnet"), ("q17", "bagnet"), ("cnn", "cnn")]);
    let img = lab.test_image(0).unwrap();
    let top = lab.top_patches("q9", &img, usize::from(lab.test_label(0).unwrap()), 3).unwrap();
    crate::types::check(&top, "BagnetPatch[]");
    let top: serde_json::Value = serde_wasm_bindgen::from_value(top).unwrap();
    let ev: Vec<f64> = top.as_array().unwrap().iter().map(|p| p["evidence"].as_f64().unwrap()).collect();
    assert!(ev.len() == 3 && ev.windows(2).all(|w| w[0] >= w[1]), "best first: {ev:?}");
    assert_eq!((top[1]["y"].as_u64(), top[1]["size"].as_u64()), (top[1]["row"].as_u64().map(|r| 2 * r), Some(9)));
}
