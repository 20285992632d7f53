//! The corruptions lab inside WebAssembly: the facade's corruption of a photo equals the library's native result
//! for the same seed (one deterministic and one random corruption), a grid row equals five single calls and the
//! one-call grid its rows, a bad file gets a clear error, and a short benchmark (MLPs, a CNN, a BagNet) steps to the
//! end with the baseline's mCE at 100%.
#![cfg(target_arch = "wasm32")]

use paperlab::labs::corruptions::{corrupt, decode, Corruption, Tables};
use paperlab::nn::Rng;
use paperlab::wasm::corruptions::CorruptionsLab;
use wasm_bindgen_test::*;

static PHOTO: &[u8] = include_bytes!("../fixtures/corruptions/astronaut64/input.png");
static MNIST_GZ: &[u8] = include_bytes!("../../www/data/mnist-10k.safetensors.gz");
static NATURAL: &[u8] = include_bytes!("../../www/models/verify/mlp-natural.safetensors");
static CROWN: &[u8] = include_bytes!("../../www/models/verify/mlp-crownibp.safetensors");
static CNN: &[u8] = include_bytes!("../../www/models/blindspot/cnn-natural.safetensors");
static BAGNET: &[u8] = include_bytes!("../../www/models/bagnet/bagnet-q9-mnist.safetensors");
static FROST1: &[u8] = include_bytes!("../../www/data/frost/frost1.png");
static FROST2: &[u8] = include_bytes!("../../www/data/frost/frost2.png");
static FROST3: &[u8] = include_bytes!("../../www/data/frost/frost3.png");
static FROST4: &[u8] = include_bytes!("../../www/data/frost/frost4.jpg");
static FROST5: &[u8] = include_bytes!("../../www/data/frost/frost5.jpg");

#[wasm_bindgen_test]
fn facade_matches_the_library() {
    let mut lab = CorruptionsLab::empty();
    let size = lab.load_photo(PHOTO, 224).unwrap();
    crate::types::check(&size, "CorruptionsPhoto");
    let size: serde_json::Value = serde_wasm_bindgen::from_value(size).unwrap();
    assert_eq!((size["width"].as_u64(), size["height"].as_u64(), size["channels"].as_u64()), (Some(64), Some(64), Some(3)));
    let img = decode(PHOTO).unwrap();
    for (name, c) in [("defocus_blur", Corruption::DefocusBlur), ("gaussian_noise", Corruption::GaussianNoise)] {
        let ours = lab.corrupt(name, 3, 7).unwrap();
        let native = corrupt(&img, c, 3, Tables::for_size(64, 64), &mut Rng::new(7), None).unwrap().to_rgba8();
        assert_eq!(ours, native, "{name}");
        // The grid row the page paints is the five severities of single calls.
        let row = lab.corrupt_row(name, 7).unwrap();
        let singles: Vec<u8> = (1..=5).flat_map(|s| lab.corrupt(name, s, 7).unwrap()).collect();
        assert_eq!(row, singles, "{name} row");
    }
    // The grid in one call (cells longest first) is its rows one after the other.
    let grid = lab.corrupt_grid("defocus_blur,gaussian_noise", 7).unwrap();
    let rows: Vec<u8> = ["defocus_blur", "gaussian_noise"].iter().flat_map(|n| lab.corrupt_row(n, 7).unwrap()).collect();
    assert_eq!(grid, rows, "grid");
    assert!(lab.corrupt_grid("defocus_blur,nope", 7).is_err());
    assert!(lab.load_photo(b"GIF89a....", 224).is_err());
}

#[wasm_bindgen_test]
fn short_benchmark_runs_to_the_end() {
    let mut lab = CorruptionsLab::empty();
    // Frost, one of the 15 corruptions, needs the shipped frost pictures.
    for f in [FROST1, FROST2, FROST3, FROST4, FROST5] {
        lab.add_frost(f).unwrap();
    }
    lab.load_digits(MNIST_GZ).unwrap();
    lab.add_model("natural", NATURAL).unwrap();
    lab.add_model("crown-ibp", CROWN).unwrap();
    // The convolutional models through their own labs' forward passes; a wrong kind is an error.
    assert_eq!(lab.add_digit_model("cnn", "cnn", CNN).unwrap(), 2);
    assert_eq!(lab.add_digit_model("bagnet", "bagnet", BAGNET).unwrap(), 3);
    assert!(lab.add_digit_model("x", "cnn", NATURAL).is_err());
    assert!(lab.add_digit_model("x", "alexnet", CNN).is_err());
    let total = lab.bench_start(20, 0, 1, 0).unwrap();
    assert_eq!(total, 75);
    let names = lab.model_names();
    assert_eq!(names, ["natural", "crown-ibp", "cnn", "bagnet"]);
    let mut cells = 0;
    loop {
        let cell = lab.bench_step().unwrap();
        crate::types::check(&cell, "CorruptionsCell | null");
        if cell.is_null() {
            break;
        }
        cells += 1;
        if cells == 1 {
            // A partial report: the cells not run yet are null, not NaN.
            let rep = lab.bench_report().unwrap();
            crate::types::check(&rep, "CorruptionsModelReport[]");
            let rep: serde_json::Value = serde_wasm_bindgen::from_value(rep).unwrap();
            assert!(rep[0]["errors"][0][0].is_number() && rep[0]["errors"][1][0].is_null() && rep[0]["mce"].is_null(), "{}", rep[0]);
        }
    }
    assert_eq!(cells, 75);
    let rep = lab.bench_report().unwrap();
    crate::types::check(&rep, "CorruptionsModelReport[]");
    let rep: serde_json::Value = serde_wasm_bindgen::from_value(rep).unwrap();
    assert!((rep[0]["mce"].as_f64().unwrap() - 1.0).abs() < 1e-12);
    assert!(rep[0]["fp"][0].is_null(), "no flip digits: FP not run");
    let seq = lab.digit_sequence(3, "translate", 1).unwrap();
    crate::types::check(&seq, "CorruptionsDigitSequence");
    let seq: serde_json::Value = serde_wasm_bindgen::from_value(seq).unwrap();
    assert_eq!(seq["preds"].as_array().unwrap().len(), 4, "one prediction row per model");
    assert_eq!(seq["frames"].as_u64().unwrap() as usize * 784, lab.digit_frames(3, "translate", 1).unwrap().len());
    crate::types::check(&paperlab::wasm::corruptions::corruption_names().unwrap(), "CorruptionName[]");
    crate::types::check(&paperlab::wasm::corruptions::perturbation_names().unwrap(), "PerturbationName[]");
}
