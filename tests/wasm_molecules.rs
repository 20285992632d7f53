//! Lean browser test of the molecules lab: the GA+D run of tests/molecules_ga.rs (stand-in chemistry, NOT RDKit)
//! gives the same bytes in wasm32 as natively, and the facade encodes, decodes and refuses bad input.
#![cfg(target_arch = "wasm32")]

use paperlab::labs::molecules::ga::{run_generation, Ga, GaConfig, StandInChemistry};
use paperlab::wasm::molecules::MoleculesLab;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn golden_run() -> String {
    let cfg = GaConfig { population: 24, generations: 5, beta: 1.0, seed: 2020, ..Default::default() };
    let mut ga = Ga::new(cfg, vec!["CCO".into(), "c1ccccc1O".into(), "CC(=O)NC".into()]).unwrap();
    let mut chem = StandInChemistry { reject_longer_than: Some(40) };
    while run_generation(&mut ga, &mut chem).unwrap().is_some() {}
    serde_json::to_string(&(ga.history(), &ga.pop)).unwrap()
}

#[wasm_bindgen_test]
fn ga_run_in_wasm_equals_native() {
    assert_eq!(golden_run(), include_str!("fixtures/molecules/standin_run.json"));
}

#[wasm_bindgen_test]
fn facade_encodes_decodes_and_refuses_bad_input() {
    let table = format!("{{\"scores\": [{}]}}", vec!["0.5"; 2048].join(","));
    let lab = MoleculesLab::new(b"CCO\nc1ccccc1\n", table.as_bytes()).unwrap();
    assert_eq!(lab.encode("c1ccccc1").unwrap(), "[C][=C][C][=C][C][=C][Ring1][=Branch1]");
    assert_eq!(lab.decode("[C][=C][F]").unwrap(), "C=CF");
    assert!(lab.encode("C1CC").is_err());
    assert!(MoleculesLab::new(b"", table.as_bytes()).is_err());
}
