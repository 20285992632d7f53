//! The template lab in WebAssembly: the same numbers as natively (`tests/template.rs` checks those against the
//! closed forms). `make new-lab` copies this file; keep a lab's wasm test this lean (native ≈ wasm on one input).
#![cfg(target_arch = "wasm32")]

use ndarray::array;
use paperlab::labs::_template::{fraction_above_exact, logistic, MonteCarlo};
use wasm_bindgen_test::*;

#[wasm_bindgen_test]
fn wasm_matches_the_closed_forms() {
    let ys = logistic(2.0, array![-1.0f32, 0.0, 1.0].view()).unwrap();
    let want = 1.0 / (1.0 + (-2.0f64).exp());
    assert!((f64::from(ys[2]) - want).abs() < 1e-6 && ys[1] == 0.5);
    let mut mc = MonteCarlo::new(2.0, 20_000, 7).unwrap();
    let est = mc.step(20_000);
    let exact = fraction_above_exact(2.0).unwrap();
    assert!((est.fraction - exact).abs() < 4.0 * est.std_error, "{} vs {exact}", est.fraction);
    assert!(logistic(f32::NAN, array![0.0f32].view()).is_err());
}
