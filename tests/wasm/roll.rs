//! The roll lab inside WebAssembly: a shipped digit model's test accuracy and one digit's margins match the numbers
//! the native build wrote; the batched (simd128 GEMM) gradients equal the per-neuron backward passes; the facade
//! trains a toy net, maps its regions and reports bad input as errors.
#![cfg(target_arch = "wasm32")]

use paperlab::labs::roll::{margins, neuron_gradients, neuron_gradients_backward};
use paperlab::nn::Mlp;
use paperlab::wasm::roll::RollLab;
use wasm_bindgen_test::*;

static MNIST_GZ: &[u8] = include_bytes!("../../www/data/mnist-10k.safetensors.gz");
static MODEL: &[u8] = include_bytes!("../../www/models/roll/roll-2.safetensors");
static MANIFEST: &str = include_str!("../../www/models/roll/manifest.json");

#[wasm_bindgen_test]
fn shipped_model_matches_its_native_numbers() {
    let m: serde_json::Value = serde_json::from_str(MANIFEST).unwrap();
    let e = m["models"].as_array().unwrap().iter().find(|e| e["id"] == "roll-2").expect("roll-2 in the manifest");
    let mut lab = RollLab::new().unwrap();
    let n = lab.load_digits(MNIST_GZ).unwrap();
    lab.load_model("roll-2", MODEL).unwrap();
    let data = paperlab::data::mnist::Mnist::from_gz_bytes(MNIST_GZ).unwrap();
    let (mlp, _) = Mlp::from_safetensors(MODEL).unwrap();
    let idx: Vec<usize> = (0..n).collect();
    let x = data.test.batch_f32(&idx);
    let pred = paperlab::nn::layers::argmax_rows(mlp.logits(paperlab::nd::view("x", &x, (n, 784)).unwrap()).unwrap().view());
    let acc = pred.iter().zip(&data.test.labels).filter(|(p, y)| **p == **y as usize).count() as f64 / n as f64;
    let want = e["test_acc"].as_f64().unwrap();
    assert!((acc - want).abs() <= 0.001, "test accuracy in wasm {acc} vs native {want}");
    // Digit 0: batched vs per-neuron gradients, and the facade's margins equal the library's.
    let x = data.test.image_f32(0);
    let (a, b) = (neuron_gradients(&mlp, (&x[..]).into()).unwrap(), neuron_gradients_backward(&mlp, (&x[..]).into()).unwrap());
    for (p, q) in a.grad.iter().zip(&b.grad) {
        assert!((p - q).abs() <= 1e-5 + 1e-4 * q.abs(), "{p} vs {q}");
    }
    let mg = margins(&a);
    let rec = lab.digit_margins("roll-2", 0).unwrap();
    crate::types::check(&rec, "RollDigitMargins");
    let rec: serde_json::Value = serde_wasm_bindgen::from_value(rec).unwrap();
    assert!((rec["eps"][1].as_f64().unwrap() - mg.eps[1] as f64).abs() < 1e-7);
    assert_eq!(lab.digit_gradient("roll-2", 0, 3).unwrap().len(), 784);
}

#[wasm_bindgen_test]
fn facade_trains_maps_and_reports_bad_input() {
    let mut lab = RollLab::new().unwrap();
    lab.reset("xor", 100, 0.05, 1, 12, 2, 3).unwrap();
    lab.set_roll(0.5, 20.0, 0.1).unwrap();
    let r = lab.step(50).unwrap();
    crate::types::check(&r, "RollStep");
    let r: serde_json::Value = serde_wasm_bindgen::from_value(r).unwrap();
    assert_eq!(r["iter"], 50);
    let ids = lab.region_map(64, -1.0, -1.0, 1.0, 1.0).unwrap();
    assert_eq!(ids.len(), 64 * 64);
    assert_eq!(lab.region_hashes().len(), *ids.iter().max().unwrap() as usize + 1);
    let pm = lab.point_margins(0.3, -0.2).unwrap();
    crate::types::check(&pm, "RollPointMargins");
    let pm: serde_json::Value = serde_wasm_bindgen::from_value(pm).unwrap();
    assert!(pm["eps"][1].as_f64().unwrap() > 0.0);
    lab.add_point(0.1, 0.1, 1).unwrap();
    assert_eq!(lab.labels().len(), 101);
    assert!(lab.add_point(0.1, 0.1, 2).is_err());
    assert!(lab.reset("rings", 100, 0.0, 1, 8, 2, 1).is_err());
    assert!(lab.set_roll(1.0, 0.0, 0.1).is_err());
    assert!(lab.region_map(0, -1.0, -1.0, 1.0, 1.0).is_err());
    assert!(lab.digit(0).is_err(), "no digits loaded yet");
    assert!(lab.load_model("x", &[1, 2, 3]).is_err());
}
