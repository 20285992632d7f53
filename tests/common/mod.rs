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
/// A coordinate is skipped when estimates with step h and h/2 disagree (the function has a kink there); at most
/// `max_skip_frac` of the coordinates may be skipped. Returns the number checked.
pub fn check_grad(what: &str, f: &mut dyn FnMut(&[f32]) -> f64, x: &[f32], grad: &[f32], idx: &[usize], h: f32, atol: f64, rtol: f64, max_skip_frac: f64) -> usize {
    let mut xs = x.to_vec();
    let mut skipped = 0;
    let mut bad = Vec::new();
    for &i in idx {
        let fd = |xs: &mut Vec<f32>, f: &mut dyn FnMut(&[f32]) -> f64, h: f32| {
            let x0 = xs[i];
            xs[i] = x0 + h;
            let fp = f(xs);
            xs[i] = x0 - h;
            let fm = f(xs);
            xs[i] = x0;
            (fp - fm) / (2.0 * h as f64)
        };
        let d1 = fd(&mut xs, f, h);
        let d2 = fd(&mut xs, f, h * 0.5);
        // A kink shows as two estimates that disagree by far more than rounding or truncation error would.
        if (d1 - d2).abs() > 10.0 * (atol + rtol * d1.abs().max(d2.abs())) {
            skipped += 1;
            continue;
        }
        let g = grad[i] as f64;
        if (g - d2).abs() > atol + rtol * d2.abs() {
            bad.push((i, g, d2));
        }
    }
    assert!(bad.is_empty(), "{what}: {} of {} gradients differ from finite differences; first (index, analytic, numeric): {:?}", bad.len(), idx.len(), &bad[..bad.len().min(6)]);
    assert!((skipped as f64) <= max_skip_frac * idx.len() as f64, "{what}: {skipped} of {} coordinates sit on kinks; the check proves too little", idx.len());
    idx.len() - skipped
}
