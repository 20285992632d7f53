//! The blind-spot lab inside WebAssembly: on the shipped models and digits, the facade's accuracy on x' and its
//! mean 5-NN distance equal the numbers the native `paperlab eval blindspot` wrote into the manifest (one table
//! cell); a short attack run counts no more fooled digits than correct ones; bad input is an error.
#![cfg(target_arch = "wasm32")]

use paperlab::wasm::blindspot::BlindspotLab;
use wasm_bindgen_test::*;

static MNIST_GZ: &[u8] = include_bytes!("../../www/data/mnist-10k.safetensors.gz");
static NATURAL: &[u8] = include_bytes!("../../www/models/blindspot/cnn-natural.safetensors");
static MADRY: &[u8] = include_bytes!("../../www/models/blindspot/cnn-madry.safetensors");
static CROWNIBP: &[u8] = include_bytes!("../../www/models/verify/mlp-crownibp.safetensors");
static MANIFEST: &str = include_str!("../../www/models/blindspot/manifest.json");

const IDS: [&str; 3] = ["cnn-natural", "cnn-madry", "mlp-crownibp"];

#[wasm_bindgen_test]
fn facade_matches_the_native_table_cell() {
    let m: serde_json::Value = serde_json::from_str(MANIFEST).unwrap();
    let table = &m["table"];
    let n = table["digits"].as_u64().unwrap() as usize;
    let (alpha, beta) = (0.7f32, 0.1f32);
    let row = table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| (r["alpha"].as_f64().unwrap() - f64::from(alpha)).abs() < 1e-6 && (r["beta"].as_f64().unwrap() - f64::from(beta)).abs() < 1e-6)
        .expect("the table has the cell α = 0.7, β = 0.1");
    let mut lab = BlindspotLab::new(NATURAL, MADRY, CROWNIBP, MNIST_GZ).expect("the shipped files load");
    // Accuracy on x' (a forward pass; no attack steps) over the table's digits, per model.
    lab.start(alpha, beta, n, 0, 1, 2019).unwrap();
    let step = lab.step(n).unwrap();
    crate::types::check(&step, "BlindspotStep");
    let out: serde_json::Value = serde_wasm_bindgen::from_value(step).unwrap();
    assert_eq!(out["finished"], true);
    for (i, id) in IDS.iter().enumerate() {
        let acc = out["models"][i]["correct"].as_f64().unwrap() / n as f64;
        let want = row["models"][id]["clean_acc"].as_f64().unwrap();
        assert!((acc - want).abs() <= 1.5 / n as f64, "{id}: accuracy on x' in wasm {acc} vs native {want}");
        assert_eq!(out["models"][i]["pgd_fooled"], 0, "{id}: 0 steps fool nothing");
        // The 5-NN distance in the model's embedding (one GEMM against the 8,000 training digits).
        let knn = f64::from(lab.knn(i, alpha, beta, n, 5).unwrap());
        let want = row["models"][id]["knn"].as_f64().unwrap();
        assert!((knn - want).abs() <= 1e-3 * want.abs() + 1e-4, "{id}: 5-NN distance in wasm {knn} vs native {want}");
    }
}

#[wasm_bindgen_test]
fn a_short_attack_run_and_bad_input() {
    let mut lab = BlindspotLab::new(NATURAL, MADRY, CROWNIBP, MNIST_GZ).unwrap();
    assert_eq!(lab.n_test(), 2000);
    lab.start(0.6, 0.0, 12, 5, 1, 7).unwrap();
    let mut out = serde_json::Value::Null;
    for _ in 0..3 {
        out = serde_wasm_bindgen::from_value(lab.step(5).unwrap()).unwrap();
    }
    assert_eq!(out["done"], 12);
    crate::types::check(&lab.example(3, 1, 0.6, 0.0, 2, 7).unwrap(), "BlindspotExample");
    for i in 0..3 {
        let a = &out["models"][i];
        assert!(a["pgd_fooled"].as_u64() <= a["correct"].as_u64() && a["cw_fooled"].as_u64() <= a["correct"].as_u64(), "{a}");
    }
    assert!(out["models"][2]["verified_err"].as_u64().unwrap() >= 12 - out["models"][2]["correct"].as_u64().unwrap());
    assert_eq!(lab.example_images(3, 1, 0.7, 0.1, 5, 1).unwrap().len(), 3 * 784);
    assert!(lab.kde_kl(1, 0.7, 0.1, 500, 100).unwrap().is_finite());
    assert!(lab.transformed(0, 4, 0.4, 0.0).is_err(), "α below 0.5");
    assert!(lab.transformed(1999, 2, 1.0, 0.0).is_err(), "past the last digit");
    assert!(lab.knn(3, 1.0, 0.0, 10, 5).is_err(), "no model 3");
    assert!(BlindspotLab::new(&NATURAL[..100], MADRY, CROWNIBP, MNIST_GZ).is_err());
}
