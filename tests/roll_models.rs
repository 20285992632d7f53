//! Re-evaluates the roll lab's shipped digit models against `www/models/roll/manifest.json`: every model's test
//! accuracy; one ROLL model's exact margin quantiles (ℓ1, ℓ2, ℓ∞) on the manifest's test digits; and, re-measured
//! here, the strongest ROLL model's median ℓ2 margin above the plain model's on the same digits.

#![cfg(not(target_arch = "wasm32"))]

use paperlab::data::mnist::Mnist;
use paperlab::labs::roll::ship::{margin_stats, test_accuracy, Manifest};
use paperlab::labs::roll::quantiles;
use paperlab::nn::Mlp;

fn dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("www/models/roll")
}

fn load(file: &str) -> Mlp {
    Mlp::from_safetensors(&std::fs::read(dir().join(file)).expect("shipped weights")).expect("a valid MLP").0
}

#[test]
fn shipped_models_match_the_manifest() {
    let m: Manifest = serde_json::from_slice(&std::fs::read(dir().join("manifest.json")).expect("shipped manifest")).expect("manifest parses");
    assert_eq!(m.lab, "roll");
    assert!(!m.how_made.command.contains("--quick"), "the shipped models are not a quick run");
    let data = Mnist::load_default().unwrap();
    assert!(m.models.len() >= 3 && m.models[0].roll.lambda == 0.0, "plain first, then ROLL models");
    for e in &m.models {
        let mlp = load(&e.file);
        assert_eq!(mlp.dims, m.how_made.dims, "{}", e.id);
        let acc = test_accuracy(&mlp, &data).unwrap();
        assert!((acc - e.test_acc).abs() <= 0.001 + 1e-9, "{}: test accuracy {acc} vs manifest {}", e.id, e.test_acc);
    }
    // One ROLL model's margins, exactly as the manifest measured them.
    let e = m.models.iter().find(|e| e.id == "roll-2").expect("roll-2 shipped");
    let got = margin_stats(&load(&e.file), &data, e.margins.n).unwrap();
    for (name, g, w) in [("l1", &got.l1, &e.margins.l1), ("l2", &got.l2, &e.margins.l2), ("linf", &got.linf, &e.margins.linf)] {
        for (q, a, b) in [("p25", g.p25, w.p25), ("p50", g.p50, w.p50), ("p75", g.p75, w.p75), ("p100", g.p100, w.p100)] {
            assert!((a - b).abs() <= 1e-6 + 1e-3 * b.abs(), "roll-2 eps_{name} {q}: {a} vs manifest {b}");
        }
    }
}

#[test]
fn roll_widens_the_margins_of_test_digits() {
    let m: Manifest = serde_json::from_slice(&std::fs::read(dir().join("manifest.json")).unwrap()).unwrap();
    let data = Mnist::load_default().unwrap();
    let strongest = m.models.iter().max_by(|a, b| a.roll.lambda.total_cmp(&b.roll.lambda)).unwrap();
    let n = 200;
    let idx: Vec<usize> = (0..n).collect();
    let x = data.test.batch_f32(&idx);
    let med = |file: &str| {
        let (eps, _) = paperlab::labs::roll::batch_margins(&load(file), paperlab::nd::view("x", &x, (n, 784)).unwrap(), 8).unwrap();
        quantiles(&eps.column(1).to_vec()).p50
    };
    let (plain, roll) = (med(&m.models[0].file), med(&strongest.file));
    assert!(roll > 2.0 * plain, "median eps_2 on {n} test digits: {} {roll} vs plain {plain}", strongest.id);
}
