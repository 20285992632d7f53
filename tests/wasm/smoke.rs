//! Browser smoke tests for the wasm builds (single-threaded `pkg/` flags and threaded `pkg-parallel/` flags alike):
//! the shipped data parses inside WebAssembly, and the safetensors round trip works there.
//!
//! Run with `make test` (both builds) or `scripts/wasm-test.sh -- smoke::`.
#![cfg(target_arch = "wasm32")]

use std::collections::BTreeMap;

use paperlab::data::mnist::{Mnist, N_TEST, N_TRAIN, PIXELS};
use wasm_bindgen_test::*;

/// The same bytes the front end fetches from `www/data/`.
static MNIST_GZ: &[u8] = include_bytes!("../../www/data/mnist-10k.safetensors.gz");

#[wasm_bindgen_test]
fn shipped_mnist_parses_in_wasm() {
    let m = Mnist::from_gz_bytes(MNIST_GZ).expect("shipped MNIST file parses");
    assert_eq!((m.train.n, m.test.n), (N_TRAIN, N_TEST));
    assert_eq!(m.train.images.len(), N_TRAIN * PIXELS);
    // Class counts and first labels as printed by scripts/make-mnist.mjs (see www/data/README.md).
    assert_eq!(m.train.class_counts(), [801, 902, 793, 826, 784, 690, 811, 856, 755, 782]);
    assert_eq!(m.test.class_counts(), [200, 225, 198, 206, 196, 173, 203, 214, 189, 196]);
    assert_eq!(m.train.labels[..10], [1, 7, 3, 6, 0, 2, 4, 9, 8, 5]);
    let sum: u64 = m.test.images.iter().map(|&b| u64::from(b)).sum();
    assert_eq!(sum, 52_801_658);
    let x = m.train.batch_f32(&[0, 1]);
    assert!(x.len() == 2 * PIXELS && x.iter().all(|v| (0.0..=1.0).contains(v)));
}

#[wasm_bindgen_test]
fn corrupt_bytes_are_errors_not_traps() {
    assert!(Mnist::from_gz_bytes(&MNIST_GZ[..MNIST_GZ.len() / 2]).is_err());
    assert!(Mnist::from_gz_bytes(b"\x1f\x8b\x08\x00garbage-garbage-garbage").is_err());
    assert!(paperlab::io::load(&[1, 2, 3]).is_err());
}

#[wasm_bindgen_test]
fn safetensors_round_trip_in_wasm() {
    let w: Vec<f32> = (0..12).map(|i| i as f32 / 4.0 - 1.0).collect();
    let mut meta = BTreeMap::new();
    meta.insert("lab".to_string(), "smoke".to_string());
    let bytes = paperlab::io::save_f32(&[("w", &[3, 4], &w)], &meta).unwrap();
    let l = paperlab::io::load(&bytes).unwrap();
    assert_eq!(l.metadata(), &meta);
    let t = l.f32("w").unwrap();
    assert_eq!((t.shape, t.data), (vec![3, 4], w));
}
