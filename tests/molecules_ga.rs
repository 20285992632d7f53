//! The GA+D machinery: the selection rule against a hand computation, mutations (valid SELFIES, length limit), the
//! discriminator's gradient against finite differences in f64, the adaptive-beta rule, and bit-identical runs for
//! a seed. The chemistry here is `StandInChemistry` (NOT chemistry: string counts), since RDKit runs in the page.

use ndarray::{aview1, ArrayView2};
use paperlab::labs::molecules::discriminator::{bce_forward_backward, loss_grad, DiscParams, Discriminator, HIDDEN};
use paperlab::labs::molecules::ga::{mutate, replace_probability, run_generation, Ga, GaConfig, StandInChemistry, MUTATION_ALPHABET};
use paperlab::labs::molecules::selfies::{decode, split_selfies};
use paperlab::nn::Rng;

#[test]
fn selection_probabilities_match_hand_computation() {
    // N = 500: p(r) = 1 / (1 + exp(-0.02 (r - 100))).
    let cases = [(0, 1.0 / (1.0 + 2f64.exp())), (100, 0.5), (150, 1.0 / (1.0 + (-1f64).exp())), (499, 1.0 / (1.0 + (-7.98f64).exp()))];
    for (r, want) in cases {
        let got = replace_probability(r, 500);
        assert!((got - want).abs() < 1e-12, "rank {r}: {got} vs {want}");
    }
    assert!((replace_probability(0, 500) - 0.11920292202211755).abs() < 1e-12);
    // N = 50: centre at rank 10, slope 0.02.
    assert!((replace_probability(10, 50) - 0.5).abs() < 1e-12);
}

#[test]
fn benzene_fragment_of_the_alphabet_is_benzene() {
    assert_eq!(decode(MUTATION_ALPHABET[20]).unwrap(), "C1=CC=CC=C1");
}

#[test]
fn mutations_are_one_symbol_edits_that_decode() {
    let mut rng = Rng::new(3);
    let mut s = "[C]".to_string();
    for i in 0..5000 {
        let before = split_selfies(&s).unwrap().len();
        let m = mutate(&s, &mut rng).unwrap();
        let after = split_selfies(&m).unwrap().len();
        // insert: +1 symbol (+8 for the benzene fragment); replace: 0 (or +7).
        assert!([before, before + 1, before + 7, before + 8].contains(&after), "step {i}: {before} -> {after} symbols");
        decode(&m).unwrap_or_else(|e| panic!("{m}: {e}"));
        s = if after > 60 { "[C]".into() } else { m };
    }
}

#[test]
fn population_respects_the_length_limit() {
    let cfg = GaConfig { population: 40, generations: 6, max_len: 12, seed: 5, ..Default::default() };
    let mut ga = Ga::new(cfg, vec!["CCO".into(), "c1ccccc1".into(), "CC(=O)N".into()]).unwrap();
    let mut chem = StandInChemistry::default();
    while run_generation(&mut ga, &mut chem).unwrap().is_some() {
        for m in &ga.pop {
            assert!(m.smiles.chars().count() <= 12, "{} is longer than 12", m.smiles);
        }
    }
    assert!(ga.finished());
    assert_eq!(ga.history().len(), 6);
}

#[test]
fn adaptive_beta_switches_on_after_stagnation_only() {
    let cfg = GaConfig { beta: 0.0, adaptive: true, adaptive_after: 10, ..Default::default() };
    let flat = vec![1.0; 20];
    assert_eq!(Ga::beta_for(&cfg, 10, &flat[..10]), 0.0, "not after generation 10 yet");
    assert_eq!(Ga::beta_for(&cfg, 11, &flat[..11]), 1000.0);
    let mut moving = flat.clone();
    moving[18] = 2.0;
    assert_eq!(Ga::beta_for(&cfg, 20, &moving), 0.0, "best J changed within the last 5 generations");
    let off = GaConfig { adaptive: false, beta: 3.0, ..cfg };
    assert_eq!(Ga::beta_for(&off, 50, &flat), 3.0);
}

fn sigmoid64(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// D's loss in f64 (naive twin of the forward, no standardisation).
fn loss64(p: &DiscParams, x: &[f32], y: &[f32], inputs: usize) -> f64 {
    let b = y.len();
    let layer = |inp: &[f64], w: &[f32], bias: &[f32], i: usize, o: usize| -> Vec<f64> {
        (0..o).map(|k| sigmoid64(bias[k] as f64 + (0..i).map(|j| w[k * i + j] as f64 * inp[j]).sum::<f64>())).collect()
    };
    let mut l = 0.0;
    for r in 0..b {
        let xi: Vec<f64> = x[r * inputs..(r + 1) * inputs].iter().map(|&v| v as f64).collect();
        let h1 = layer(&xi, &p.w1, &p.b1, inputs, HIDDEN[0]);
        let h2 = layer(&h1, &p.w2, &p.b2, HIDDEN[0], HIDDEN[1]);
        let o = layer(&h2, &p.w3, &p.b3, HIDDEN[1], 1)[0];
        l -= y[r] as f64 * o.ln() + (1.0 - y[r] as f64) * (1.0 - o).ln();
    }
    l / b as f64
}

#[test]
fn discriminator_gradient_matches_finite_differences() {
    let inputs = 7;
    let mut rng = Rng::new(11);
    let d = Discriminator::new(inputs, &mut rng).unwrap();
    let b = 9;
    let x: Vec<f32> = (0..b * inputs).map(|_| rng.normal()).collect();
    let y: Vec<f32> = (0..b).map(|i| (i % 2) as f32).collect();
    let (loss, g) = loss_grad(&d.params, None, ArrayView2::from_shape((b, inputs), &x).unwrap(), aview1(&y)).unwrap();
    assert!((loss as f64 - loss64(&d.params, &x, &y, inputs)).abs() < 1e-5);
    let h = 1e-3f32;
    let mut worst = 0.0f64;
    let mut shown = 0;
    for t in 0..6 {
        let n = d.params.tensors()[t].len();
        for k in (0..n).step_by((n / 25).max(1)) {
            let mut pp = d.params.clone();
            let mut pm = d.params.clone();
            pp.tensors_mut()[t][k] += h;
            pm.tensors_mut()[t][k] -= h;
            let num = (loss64(&pp, &x, &y, inputs) - loss64(&pm, &x, &y, inputs)) / (2.0 * h as f64);
            let ana = g.tensors()[t][k] as f64;
            let err = (num - ana).abs() / (1e-4 + num.abs());
            if err > 2e-2 && shown < 5 {
                println!("tensor {t} index {k}: analytic {ana:.6e}, finite difference {num:.6e}");
                shown += 1;
            }
            worst = worst.max((num - ana).abs() - 2e-2 * num.abs());
        }
    }
    assert!(worst < 1e-5, "gradient mismatch beyond tol 1e-5 + 2% |fd|: {worst:e}");
}

#[test]
fn bce_matches_closed_form() {
    let (l, d) = bce_forward_backward(aview1(&[0.25, 0.9]), aview1(&[1.0, 0.0])).unwrap();
    let want = -(0.25f64.ln() + 0.1f64.ln()) / 2.0;
    assert!((l as f64 - want).abs() < 1e-6);
    assert!((d[0] as f64 - (-1.0 / 0.25 / 2.0)).abs() < 1e-5 && (d[1] as f64 - (1.0 / 0.1 / 2.0)).abs() < 1e-4);
}

#[test]
fn discriminator_learns_to_separate_two_clusters() {
    let inputs = 4;
    let mut rng = Rng::new(2);
    let mut d = Discriminator::new(inputs, &mut rng).unwrap();
    let b = 64;
    let x: Vec<f32> = (0..b * inputs).map(|i| rng.normal() * 0.5 + if (i / inputs) % 2 == 0 { 1.5 } else { -1.5 }).collect();
    let y: Vec<f32> = (0..b).map(|i| if i % 2 == 0 { 1.0 } else { 0.0 }).collect();
    let losses = d.train(ArrayView2::from_shape((b, inputs), &x).unwrap(), aview1(&y), 300).unwrap();
    println!("BCE {:.4} -> {:.4}", losses[0], losses[losses.len() - 1]);
    assert!(losses[losses.len() - 1] < 0.5 * losses[0], "loss {} -> {}", losses[0], losses[losses.len() - 1]);
}

fn run_json(seed: u64, beta: f64) -> String {
    let cfg = GaConfig { population: 30, generations: 8, beta, seed, ..Default::default() };
    let mut ga = Ga::new(cfg, vec!["CCO".into(), "CCN".into(), "CC(C)O".into(), "OCCO".into()]).unwrap();
    let mut chem = StandInChemistry { reject_longer_than: Some(30) };
    while run_generation(&mut ga, &mut chem).unwrap().is_some() {}
    serde_json::to_string(ga.history()).unwrap() + &serde_json::to_string(&ga.pop).unwrap()
}

#[test]
fn a_run_is_bit_identical_for_a_seed() {
    let a = run_json(42, 2.0);
    assert_eq!(a, run_json(42, 2.0));
    assert_ne!(a, run_json(43, 2.0), "a different seed should give a different run");
    assert_ne!(a, run_json(42, 0.0), "beta should matter once D is trained");
}

#[test]
fn bad_settings_and_bad_start_are_refused_with_a_message() {
    let e = Ga::new(GaConfig { population: 1, ..Default::default() }, vec!["C".into()]).err().unwrap().to_string();
    assert!(e.contains("population"), "{e}");
    let e = Ga::new(GaConfig { start: vec!["C1CC".into()], ..Default::default() }, vec!["C".into()]).err().unwrap().to_string();
    assert!(e.contains("ring"), "{e}");
    assert!(Ga::new(GaConfig::default(), vec![]).is_err());
}

/// The run the lean wasm test repeats in the browser (tests/wasm/molecules.rs has the same function).
fn golden_run() -> String {
    let cfg = GaConfig { population: 24, generations: 5, beta: 1.0, seed: 2020, ..Default::default() };
    let mut ga = Ga::new(cfg, vec!["CCO".into(), "c1ccccc1O".into(), "CC(=O)NC".into()]).unwrap();
    let mut chem = StandInChemistry { reject_longer_than: Some(40) };
    while run_generation(&mut ga, &mut chem).unwrap().is_some() {}
    serde_json::to_string(&(ga.history(), &ga.pop)).unwrap()
}

#[test]
fn stand_in_run_matches_the_golden_file_the_wasm_test_checks() {
    // The golden file is this native run, written with MOLECULES_WRITE_GOLDEN=1; tests/wasm/molecules.rs checks
    // that wasm32 produces the same bytes (native = wasm bit for bit).
    let path = format!("{}/tests/fixtures/molecules/standin_run.json", env!("CARGO_MANIFEST_DIR"));
    let now = golden_run();
    if std::env::var("MOLECULES_WRITE_GOLDEN").is_ok() {
        std::fs::write(&path, &now).unwrap();
    }
    let want = std::fs::read_to_string(&path).expect("golden file (run once with MOLECULES_WRITE_GOLDEN=1)");
    assert_eq!(now, want, "the native run changed; if on purpose, rewrite the golden file");
}
