//! The template lab against independent oracles: σ's closed-form values and symmetry, the exact fraction
//! (5 − ln 9 / k) / 10 for the Monte-Carlo run (within 4 standard errors), seeded reproducibility, and errors for
//! out-of-range input. `make new-lab` copies this file for a new lab.
#![cfg(not(target_arch = "wasm32"))]

use ndarray::array;
use paperlab::labs::_template::{fraction_above_exact, grid, logistic, MonteCarlo, K_MAX, K_MIN};

#[test]
fn logistic_matches_closed_form() {
    let xs = array![-2.0f32, -0.5, 0.0, 0.5, 2.0];
    let k = 1.5f32;
    let ys = logistic(k, xs.view()).unwrap();
    for (x, y) in xs.iter().zip(&ys) {
        let want = 1.0 / (1.0 + (-(f64::from(k) * f64::from(*x))).exp());
        assert!((f64::from(*y) - want).abs() < 1e-6, "σ({k}·{x}) = {y}, want {want}");
    }
    // σ(−t) = 1 − σ(t)
    assert!((ys[0] + ys[4] - 1.0).abs() < 1e-6 && (ys[1] + ys[3] - 1.0).abs() < 1e-6);
    assert_eq!(ys[2], 0.5);
}

#[test]
fn out_of_range_input_is_an_error_not_a_panic() {
    let xs = grid(11).unwrap();
    for k in [0.0, -1.0, K_MIN / 2.0, K_MAX * 2.0, f32::NAN, f32::INFINITY] {
        let e = logistic(k, xs.view()).unwrap_err().to_string();
        assert!(e.contains("steepness k"), "{e}");
        assert!(MonteCarlo::new(k, 10, 1).is_err());
    }
    assert!(grid(1).is_err());
    assert!(MonteCarlo::new(1.0, 0, 1).is_err());
}

#[test]
fn grid_spans_the_interval() {
    let g = grid(101).unwrap();
    assert_eq!((g[0], g[100], g.len()), (-5.0, 5.0, 101));
    assert!((g[50]).abs() < 1e-6);
}

#[test]
fn monte_carlo_converges_to_the_closed_form() {
    for k in [0.5f32, 1.0, 3.0, 10.0] {
        let mut mc = MonteCarlo::new(k, 200_000, 7).unwrap();
        let mut est = mc.step(1);
        while !mc.finished() {
            est = mc.step(30_000);
        }
        assert_eq!(est.samples, 200_000);
        let exact = fraction_above_exact(k).unwrap();
        assert!((est.fraction - exact).abs() < 4.0 * est.std_error.max(1e-4),
            "k = {k}: estimate {} ± {}, exact {exact}", est.fraction, est.std_error);
    }
    // ln 9 / 0.4 > 5: no x qualifies.
    assert_eq!(fraction_above_exact(0.4).unwrap(), 0.0);
}

#[test]
fn a_seed_reproduces_the_run_whatever_the_step_sizes() {
    let run = |steps: &[u64]| {
        let mut mc = MonteCarlo::new(2.0, 5_000, 42).unwrap();
        for &n in steps.iter().cycle() {
            if mc.finished() {
                break;
            }
            mc.step(n);
        }
        mc.estimate().fraction
    };
    assert_eq!(run(&[1, 7, 1000]), run(&[5_000]));
    let mut other = MonteCarlo::new(2.0, 5_000, 43).unwrap();
    other.step(5_000);
    assert_ne!(other.estimate().fraction, run(&[5_000]));
}
