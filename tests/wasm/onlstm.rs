//! The onlstm lab inside WebAssembly (simd128 lanes; the threaded and relaxed-SIMD builds run it too): cumax on
//! the lanes against its plain twin, a shipped model's test perplexity and parse F1 against the numbers the native
//! build wrote into the manifest, and the facade's handling of bad input.
#![cfg(target_arch = "wasm32")]

use paperlab::kernels::cumax::{cumax_naive, cumax_rows};
use paperlab::wasm::onlstm::OnlstmLab;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

/// A facade record checked against its declaration in results.d.ts, then as JSON to read fields from.
fn record(v: JsValue, ty: &str) -> serde_json::Value {
    crate::types::check(&v, ty);
    serde_wasm_bindgen::from_value(v).unwrap()
}

static MODEL: &[u8] = include_bytes!("../../www/models/onlstm/onlstm-c8.safetensors");
static MANIFEST: &str = include_str!("../../www/models/onlstm/manifest.json");

#[wasm_bindgen_test]
fn cumax_lanes_match_the_twin() {
    for n in [1usize, 4, 5, 8, 16, 19] {
        let x: Vec<f32> = (0..3 * n).map(|i| ((i * 37 % 23) as f32 - 11.0) * 0.7).collect();
        let (mut a, mut b) = (vec![f32::NAN; 3 * n], vec![f32::NAN; 3 * n]);
        cumax_rows(&x, &mut a, n);
        cumax_naive(&x, &mut b, n);
        for (p, q) in a.iter().zip(&b) {
            assert!((p - q).abs() <= 1e-6 + 1e-5 * q.abs(), "{p} vs {q}");
        }
        for row in a.chunks(n) {
            assert_eq!(row[n - 1], 1.0);
            assert!(row.windows(2).all(|w| w[0] <= w[1]));
        }
    }
}

#[wasm_bindgen_test]
fn shipped_model_matches_its_native_numbers() {
    let m: serde_json::Value = serde_json::from_str(MANIFEST).unwrap();
    let e = m["models"].as_array().unwrap().iter().find(|e| e["id"] == "onlstm-c8").expect("onlstm-c8 in the manifest");
    let ppl = e["metrics"]["test_ppl"].as_f64().unwrap();
    let f1: Vec<f64> = e["metrics"]["test_f1_by_layer"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let lab = OnlstmLab::new(MODEL).unwrap();
    let got = record(lab.evaluate(0).unwrap(), "OnlstmEval");
    let got_ppl = got["ppl"].as_f64().unwrap();
    assert!((got_ppl - ppl).abs() < 1e-3 * ppl, "test perplexity in wasm {got_ppl} vs native {ppl}");
    assert_eq!(got["f1_by_layer"].as_array().unwrap().len(), f1.len());
    for (l, want) in f1.iter().enumerate() {
        let f = got["f1_by_layer"][l].as_f64().unwrap();
        assert!((f - want).abs() < 0.005, "layer {} F1 in wasm {f} vs native {want}", l + 1);
    }
    let b = record(lab.baselines(0).unwrap(), "OnlstmBaselines");
    for key in ["right_branching", "left_branching", "random"] {
        let (here, native) = (b[key].as_f64().unwrap(), m["baselines_test_f1"][key].as_f64().unwrap());
        assert!((here - native).abs() < 1e-9, "the corpus regenerated in wasm differs: {key} {here} vs {native}");
    }
}

#[wasm_bindgen_test]
fn facade_reports_bad_input() {
    assert!(OnlstmLab::new(b"not a model").is_err());
    let mut lab = OnlstmLab::new(MODEL).unwrap();
    assert!(lab.analyze("   ").is_err());
    assert!(lab.analyze(&"the dog ".repeat(30)).is_err());
    let a = lab.analyze("the dog sees a zebra").unwrap();
    crate::types::check(&a, "OnlstmAnalysis");
    crate::types::check(&lab.config().unwrap(), "OnlstmConfig");
    let cfg: serde_json::Value = serde_wasm_bindgen::from_value(lab.config().unwrap()).unwrap();
    let vocab = lab.vocab();
    assert_eq!((cfg["chunk"].as_u64(), cfg["v"].as_u64()), (Some(8), Some(vocab.len() as u64)));
    assert_eq!(&vocab[..2], ["<eos>", "<unk>"]);
    let a: serde_json::Value = serde_wasm_bindgen::from_value(a).unwrap();
    assert_eq!(a["tokens"]["unknown"][4], true);
    assert!(lab.sample(1, 0.0, 1).is_err());
    assert!(lab.train_step(1).is_err(), "no run yet");
    assert!(lab.train_start(7, 10, 1).is_err(), "7 does not divide 64");
    lab.train_start(16, 3, 1).unwrap();
    let s = record(lab.train_step(10).unwrap(), "OnlstmTrainStep");
    assert_eq!((s["done"].as_u64(), s["total"].as_u64()), (Some(3), Some(3)));
    assert!(s["train_ce"].as_f64().unwrap().is_finite() && s["tokens"].as_u64().unwrap() > 0);
    // No step left: the mean of no steps is NaN (still a number).
    let s = lab.train_step(10).unwrap();
    crate::types::check(&s, "OnlstmTrainStep");
    assert!(js_sys::Reflect::get(&s, &"train_ce".into()).unwrap().as_f64().unwrap().is_nan());
}
