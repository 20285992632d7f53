//! Helpers shared by the native tests: tolerant comparison that prints the worst pairs, and central finite
//! differences that skip points where the function is not smooth (a ReLU kink within the step).
#![allow(dead_code)]

/// Asserts `|a - b| <= atol + rtol * |b|` element-wise; on failure prints the max difference and the first pairs.
pub fn assert_close(what: &str, got: &[f32], want: &[f32], atol: f32, rtol: f32) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    let mut bad = Vec::new();
    let mut maxd = 0.0f32;
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let d = (g - w).abs();
        if d.is_nan() || d > atol + rtol * w.abs() {
            bad.push((i, g, w));
        }
        if d > maxd || d.is_nan() {
            maxd = d;
        }
    }
    assert!(bad.is_empty(), "{what}: {} of {} differ, max |diff| {maxd:e}; first: {:?}", bad.len(), got.len(), &bad[..bad.len().min(6)]);
}

/// Central finite-difference check of `grad` (analytic gradient of `f` at `x`) on the coordinates `idx`.
/// A coordinate passes when the analytic value matches the central difference with step h/2. When it does not,
/// and the one-sided differences `(f(x+h)-f(x))/h` and `(f(x)-f(x-h))/h` disagree by more than 5 tolerances, the
/// function has a kink (a ReLU or relaxation switching) within the step and the coordinate is skipped; otherwise it
/// fails. At most `max_skip_frac` of the coordinates may be skipped. Returns the number checked.
#[allow(clippy::too_many_arguments)]
pub fn check_grad(what: &str, f: &mut dyn FnMut(&[f32]) -> f64, x: &[f32], grad: &[f32], idx: &[usize], h: f32, atol: f64, rtol: f64, max_skip_frac: f64) -> usize {
    let mut xs = x.to_vec();
    let f0 = f(&xs);
    let mut skipped = 0;
    let mut bad = Vec::new();
    for &i in idx {
        let mut at = |xs: &mut Vec<f32>, d: f32| {
            let x0 = xs[i];
            xs[i] = x0 + d;
            let v = f(xs);
            xs[i] = x0;
            v
        };
        let (fp, fm) = (at(&mut xs, h), at(&mut xs, -h));
        let (fp2, fm2) = (at(&mut xs, 0.5 * h), at(&mut xs, -0.5 * h));
        let central = (fp2 - fm2) / h as f64;
        let (fwd, bwd) = ((fp - f0) / h as f64, (f0 - fm) / h as f64);
        let g = grad[i] as f64;
        let tol = atol + rtol * central.abs();
        if (g - central).abs() <= tol {
            continue;
        }
        if (fwd - bwd).abs() > 5.0 * tol {
            skipped += 1;
            continue;
        }
        bad.push((i, g, central));
    }
    assert!(bad.is_empty(), "{what}: {} of {} gradients differ from finite differences; first (index, analytic, numeric): {:?}", bad.len(), idx.len(), &bad[..bad.len().min(6)]);
    assert!((skipped as f64) <= max_skip_frac * idx.len() as f64, "{what}: {skipped} of {} coordinates sit on kinks; the check proves too little", idx.len());
    idx.len() - skipped
}
