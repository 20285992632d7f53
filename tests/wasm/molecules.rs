//! Lean browser test of the molecules lab: the GA+D run of tests/molecules_ga.rs (stand-in chemistry, NOT RDKit)
//! gives the same molecules in wasm32 as natively and the same numbers up to rounding (D's sigmoid calls `exp`,
//! whose last bit differs between wasm's and the native libm), and the facade encodes, decodes and refuses bad input.
#![cfg(target_arch = "wasm32")]

use paperlab::labs::molecules::ga::{run_generation, Ga, GaConfig, StandInChemistry};
use paperlab::wasm::molecules::MoleculesLab;
use wasm_bindgen_test::*;

fn golden_run() -> String {
    let cfg = GaConfig { population: 24, generations: 5, beta: 1.0, seed: 2020, ..Default::default() };
    let mut ga = Ga::new(cfg, vec!["CCO".into(), "c1ccccc1O".into(), "CC(=O)NC".into()]).unwrap();
    let mut chem = StandInChemistry { reject_longer_than: Some(40) };
    while run_generation(&mut ga, &mut chem).unwrap().is_some() {}
    serde_json::to_string(&(ga.history(), &ga.pop)).unwrap()
}

/// Walks two JSON values: strings, booleans and nulls equal, numbers within `1e-6 (1 + |x|)`; returns the first
/// difference as a path.
fn first_difference(a: &serde_json::Value, b: &serde_json::Value, path: &str) -> Option<String> {
    use serde_json::Value as V;
    match (a, b) {
        (V::Number(x), V::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            ((x - y).abs() > 1e-6 * (1.0 + x.abs())).then(|| format!("{path}: {x} vs {y}"))
        }
        (V::Array(x), V::Array(y)) => {
            if x.len() != y.len() {
                return Some(format!("{path}: {} vs {} entries", x.len(), y.len()));
            }
            x.iter().zip(y).enumerate().find_map(|(i, (p, q))| first_difference(p, q, &format!("{path}[{i}]")))
        }
        (V::Object(x), V::Object(y)) => x.iter().find_map(|(k, v)| match y.get(k) {
            Some(w) => first_difference(v, w, &format!("{path}.{k}")),
            None => Some(format!("{path}.{k} missing")),
        }),
        _ => (a != b).then(|| format!("{path}: {a} vs {b}")),
    }
}

#[wasm_bindgen_test]
fn ga_run_in_wasm_matches_native() {
    let wasm: serde_json::Value = serde_json::from_str(&golden_run()).unwrap();
    let native: serde_json::Value = serde_json::from_str(include_str!("../fixtures/molecules/standin_run.json")).unwrap();
    if let Some(d) = first_difference(&wasm, &native, "run") {
        panic!("wasm and native runs differ at {d}");
    }
}

#[wasm_bindgen_test]
fn facade_encodes_decodes_and_refuses_bad_input() {
    let mut lab = MoleculesLab::new(b"CCO\nc1ccccc1\n").unwrap();
    assert_eq!(lab.encode("c1ccccc1").unwrap(), "[C][=C][C][=C][C][=C][Ring1][=Branch1]");
    assert_eq!(lab.decode("[C][=C][F]").unwrap(), "C=CF");
    assert!(lab.encode("C1CC").is_err());
    assert!(MoleculesLab::new(b"").is_err());
    assert!(lab.load_sa_table(b"SAFP").is_err());
    // One score group (-2.5) holding the ids 3 and 130.
    let table = [b"SAFP".as_slice(), &1u32.to_le_bytes(), &1u32.to_le_bytes(), &(-25000i32).to_le_bytes(), &2u32.to_le_bytes(), &[3, 127]].concat();
    assert_eq!(lab.load_sa_table(&table).unwrap(), 2);
}
