//! The ucb lab inside WebAssembly (simd128 lanes; the threaded and relaxed-SIMD builds run it too): the stable
//! prior and softplus, exact pruning counts, and the page's facade: a run trains the first task on the shipped
//! digits and fills its row of the accuracy matrix, histograms and pruning answer, bad names are errors.
#![cfg(target_arch = "wasm32")]

use paperlab::labs::ucb::{keep_mask, softplus, Prior};
use paperlab::wasm::ucb::UcbLab;
use wasm_bindgen_test::*;

static MNIST_GZ: &[u8] = include_bytes!("../../www/data/mnist-10k.safetensors.gz");

#[wasm_bindgen_test]
fn prior_and_softplus_are_stable_in_wasm() {
    let p = Prior { pi: 0.25, sigma1: 1.0, sigma2: (-6.0f32).exp() };
    for &w in &[0.0f32, 0.01, 1.0, 1e4, 1e19, f32::MAX] {
        assert!(p.log_prob(w).is_finite(), "log p({w}) must be finite");
    }
    let tail = 0.25f64.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln() - 0.5 * 1e8;
    assert!((p.log_prob(1e4) - tail).abs() < 1e-6 * tail.abs());
    assert_eq!(softplus(f32::NEG_INFINITY), 0.0);
    assert_eq!(softplus(100.0), 100.0);
    assert!((softplus(-3.0) - 0.048_587_352).abs() < 1e-7);
    let s: Vec<f32> = (0..1001).map(|i| ((i * 37) % 101) as f32).collect();
    assert_eq!(keep_mask(&s, 0.25).iter().filter(|k| !**k).count(), 250);
}

#[wasm_bindgen_test]
fn the_facade_trains_the_first_task_and_fills_its_row() {
    let mut lab = UcbLab::new(MNIST_GZ).expect("the shipped digits load");
    assert_eq!(lab.tasks(), 5);
    let sizes = lab.task_sizes();
    assert_eq!(sizes.iter().map(|&n| n as usize).sum::<usize>(), 10_000, "every digit is in exactly one task");
    assert!(lab.start("nonsense", "task", 1).is_err());
    assert!(lab.start("ucb", "sideways", 1).is_err());
    assert!(lab.step(1).is_err(), "no run yet");
    assert!(lab.config().is_err(), "no run yet");
    lab.start("ucb", "task", 1).unwrap();
    crate::types::check(&lab.config().unwrap(), "UcbConfig");
    let total = lab.total_steps().unwrap() as f32;
    let mut row = Vec::new();
    // Train task 1, then evaluate its row (five cells).
    while row.len() < 5 {
        let s = lab.step(50).unwrap();
        crate::types::check(&s, "UcbStep");
        let s: serde_json::Value = serde_wasm_bindgen::from_value(s).unwrap();
        assert_eq!(s["total_steps"].as_f64().unwrap() as f32, total);
        if s["kind"] == "evaluated" {
            assert_eq!(s["task"], 0, "the first row belongs to task 1");
            row.push(s["acc"].as_f64().unwrap() as f32);
        }
        assert!(s["kind"] != "done", "the run cannot be done after one task");
    }
    assert!(row[0] > 0.97, "task 1 (0 vs 1) learned: {}", row[0]);
    let m = lab.matrix().unwrap();
    assert_eq!(&m[..5], &row[..]);
    assert!(m[5..].iter().all(|v| v.is_nan()), "later rows are not evaluated yet");
    // The metrics record: the diagonal so far, no ACC/BWT before the last row.
    let met = lab.metrics().unwrap();
    crate::types::check(&met, "UcbMetrics");
    let met: serde_json::Value = serde_wasm_bindgen::from_value(met).unwrap();
    assert_eq!(met["learned"][0].as_f64().unwrap() as f32, row[0]);
    assert!(met["acc"].is_null() && met["learned"][1].is_null(), "{met}");
    let spec = lab.hist_spec();
    let h = lab.hist(0).unwrap();
    assert_eq!(h.len(), 3 * spec[0] as usize, "two hidden layers and the heads");
    assert_eq!(h[..40].iter().sum::<u32>(), 784 * 100);
    assert!(lab.hist(1).is_err(), "task 2 is not finished");
    let p = lab.prune(0.5, "snr").unwrap();
    assert_eq!(p.len(), 5);
    assert!(p[0] > 0.9, "half the weights by |mu|/sigma still separate 0 from 1: {}", p[0]);
    assert!(lab.prune(0.5, "biggest").is_err());
    assert!(lab.prune(2.0, "snr").is_err());
}
