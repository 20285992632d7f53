//! Re-evaluates every shipped verify-lab model (a test each) on the 2,000 test digits and checks the numbers its manifest entry
//! claims (clean and IBP verified error at epsilon 0.1-0.4; PGD and CROWN-IBP verified error at 0.1-0.4 for the MLPs
//! and at 0.3 for the CNNs; full CROWN at 0.1 where the manifest has it). A tolerance of
//! 0.1% (two digits) allows for floating-point differences between machines.
#![cfg(not(target_arch = "wasm32"))] // native tests; `wasm-pack test` builds every test target for wasm32 too

use paperlab::data::mnist::Mnist;
use paperlab::labs::verify::{pgd_count, verify_counts, LowerSlope, Method, Net, Verifiable};
use paperlab::nn::Mlp;

/// `x` as rows of `i` values (B x I).
fn rows(x: &[f32], i: usize) -> ndarray::ArrayView2<'_, f32> {
    paperlab::nd::view("test x", x, (x.len() / i, i)).unwrap()
}

fn models_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("www/models/verify")
}

/// The manifest's model ids, each checked by a test of its own below (so the harness runs them side by side).
const MODEL_IDS: [&str; 7] = ["mlp-natural", "mlp-crownibp", "cnn-natural", "cnn-crownibp-s1", "cnn-crownibp-s2", "cnn-ibp-s1", "cnn-ibp-s2"];

fn manifest() -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(models_dir().join("manifest.json")).expect("www/models/verify/manifest.json is shipped")).expect("manifest is JSON")
}

#[test]
fn every_shipped_model_has_a_test() {
    let manifest = manifest();
    let ids: Vec<&str> = manifest["models"].as_array().expect("manifest has a models array").iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert!(ids.len() >= 2, "expected a natural and a CROWN-IBP model");
    assert_eq!(ids, MODEL_IDS, "tests/verify_models.rs: MODEL_IDS and its tests must list the manifest's models");
}

macro_rules! model_tests {
    ($($name:ident => $id:literal),* $(,)?) => {
        $(#[test] fn $name() { shipped_model_reaches_its_manifest_numbers($id) })*
        #[test]
        fn the_macro_lists_model_ids() {
            assert_eq!([$($id),*], MODEL_IDS);
        }
    };
}

model_tests! {
    mlp_natural => "mlp-natural",
    mlp_crownibp => "mlp-crownibp",
    cnn_natural => "cnn-natural",
    cnn_crownibp_s1 => "cnn-crownibp-s1",
    cnn_crownibp_s2 => "cnn-crownibp-s2",
    cnn_ibp_s1 => "cnn-ibp-s1",
    cnn_ibp_s2 => "cnn-ibp-s2",
}

fn shipped_model_reaches_its_manifest_numbers(want_id: &str) {
    let manifest = manifest();
    let e = manifest["models"].as_array().unwrap().iter().find(|e| e["id"].as_str() == Some(want_id)).unwrap_or_else(|| panic!("{want_id} is not in the manifest"));
    let data = Mnist::load_default().unwrap();
    let x = data.test.batch_f32(&(0..data.test.n).collect::<Vec<_>>());
    let y = &data.test.labels;
    let n = y.len() as f64;
    let id = e["id"].as_str().unwrap();
    let bytes = std::fs::read(models_dir().join(e["file"].as_str().unwrap())).unwrap();
    let is_mlp = e["config"]["arch"].as_str().unwrap_or("mlp") == "mlp";
    let (m, meta): (Box<dyn Verifiable>, _) = if is_mlp {
        let (m, meta) = Mlp::from_safetensors(&bytes).unwrap();
        (Box::new(m), meta)
    } else {
        let (m, meta) = Net::from_safetensors(&bytes).unwrap();
        (Box::new(m), meta)
    };
    let m = &*m;
    assert_eq!(meta.get("id").map(String::as_str), Some(id));
    let mt = &e["metrics"];
    let grid: Vec<f64> = mt["eps"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let steps = e["config"]["pgd_steps"].as_u64().unwrap() as usize;
    let seed = e["config"]["pgd_seed"].as_u64().unwrap();
    let check = |what: &str, got: f64, want: f64| {
        assert!((got - want).abs() <= 0.001 + 1e-6, "{id}: {what}: measured {:.2}% but the manifest says {:.2}%", 100.0 * got, 100.0 * want);
    };
    for &eps in &[0.1f64, 0.2, 0.3, 0.4] {
        let k = grid.iter().position(|g| (g - eps).abs() < 1e-6).expect("manifest grid has eps");
        let at = |name: &str| mt[name][k].as_f64().unwrap();
        let ibp = verify_counts(m, rows(&x, m.n_inputs()), y, eps as f32, Method::Ibp, 1.0, LowerSlope::Adaptive, 250).unwrap();
        check("clean error", ibp.clean_err as f64 / n, mt["clean_err"].as_f64().unwrap());
        check(&format!("IBP verified error at {eps}"), ibp.verified_err as f64 / n, at("ibp_err"));
        if !is_mlp && eps != 0.3 {
            // The CNNs' CROWN-IBP pass and PGD cost ~10x an MLP's: checked at the evaluation epsilon 0.3 only, so the
            // test stays within seconds.
            continue;
        }
        let cib = verify_counts(m, rows(&x, m.n_inputs()), y, eps as f32, Method::CrownIbp, 1.0, LowerSlope::Adaptive, 100).unwrap();
        check(&format!("CROWN-IBP verified error at {eps}"), cib.verified_err as f64 / n, at("crownibp_err"));
        let fooled = pgd_count(m, rows(&x, m.n_inputs()), y, 0, eps as f32, steps, seed).unwrap();
        check(&format!("PGD error at {eps}"), fooled as f64 / n, at("pgd_err"));
        // Sanity that holds for any sound verifier: attack error <= verified error.
        assert!(fooled as u32 <= ibp.verified_err.min(cib.verified_err) + 2, "{id}: PGD found more errors than the verifier allows");
    }
    let k = grid.iter().position(|g| (g - 0.1).abs() < 1e-6).unwrap();
    if mt["crown_err"][k].as_f64().is_none() {
        return; // full CROWN not in the manifest for this model
    }
    let crown = verify_counts(m, rows(&x, m.n_inputs()), y, 0.1, Method::Crown, 1.0, LowerSlope::Adaptive, 16).unwrap();
    check("CROWN verified error at 0.1", crown.verified_err as f64 / n, mt["crown_err"][k].as_f64().unwrap());
}
