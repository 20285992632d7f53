//! GEMM and interval products against their plain twins, on many sizes, odd shapes and strides, NaN-prefilled
//! outputs (beta = 0 must never read C), natively (with and without feature `parallel`).
#![cfg(not(target_arch = "wasm32"))] // native tests; `wasm-pack test` builds every test target for wasm32 too

use crate::common::assert_close;
use paperlab::kernels::gemm::{gemm, gemm_naive, tile, MatRef, KC, MR, NR};
use paperlab::kernels::interval::{abs, affine_box, affine_box_naive};
use paperlab::nn::Rng;

fn rand_vec(rng: &mut Rng, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.uniform_in(-1.0, 1.0)).collect()
}

fn case(m: usize, k: usize, n: usize, ta: bool, tb: bool, alpha: f32, beta: f32, seed: u64) {
    let mut rng = Rng::new(seed);
    let a = rand_vec(&mut rng, m * k + 3);
    let b = rand_vec(&mut rng, k * n + 5);
    let av = if ta { MatRef::new(&a, k, m).t() } else { MatRef::new(&a, m, k) };
    let bv = if tb { MatRef::new(&b, n, k).t() } else { MatRef::new(&b, k, n) };
    // C with a padded row stride; NaN when beta == 0 to prove C is not read.
    let ldc = n + 3;
    let fill = if beta == 0.0 { f32::NAN } else { 0.5 };
    let mut c = vec![fill; m * ldc];
    let mut c_ref = c.clone();
    gemm(alpha, av, bv, beta, &mut c, ldc, 1).unwrap();
    gemm_naive(alpha, av, bv, beta, &mut c_ref, ldc, 1).unwrap();
    let pick = |c: &[f32]| -> Vec<f32> { (0..m).flat_map(|i| c[i * ldc..i * ldc + n].to_vec()).collect() };
    let tol = 1e-5 * (k as f32).sqrt().max(1.0);
    assert_close(&format!("gemm {m}x{k}x{n} ta={ta} tb={tb} a={alpha} b={beta}"), &pick(&c), &pick(&c_ref), tol, 1e-5);
    // the padding between rows is untouched
    for i in 0..m {
        for j in n..ldc {
            let v = c[i * ldc + j];
            assert!(v.is_nan() == fill.is_nan() && (fill.is_nan() || v == fill), "gemm wrote outside C");
        }
    }
}

#[test]
fn gemm_matches_naive_on_many_shapes() {
    // Edges of the portable tile and of the tile this machine actually runs (6x16 with AVX2+FMA).
    let (tm, tn, _) = tile();
    let mut sizes = vec![1, 2, 3, MR - 1, MR, MR + 1, NR - 1, NR, NR + 1, tm - 1, tm, tm + 1, tn - 1, tn, tn + 1, 17, 31, 64, 100];
    sizes.sort();
    sizes.dedup();
    let mut seed = 1;
    for &m in &sizes {
        for &n in &sizes {
            for &k in &[1, 7, 64, KC + 3] {
                seed += 1;
                case(m, k, n, false, false, 1.0, 0.0, seed);
            }
        }
    }
}

#[test]
fn gemm_transposes_alpha_beta() {
    let mut seed = 100;
    for &(m, k, n) in &[(33, 65, 47), (5, 300, 9), (128, 128, 128), (1, 784, 300), (300, 1, 2)] {
        for &(ta, tb) in &[(false, false), (true, false), (false, true), (true, true)] {
            for &(alpha, beta) in &[(1.0, 0.0), (0.5, 1.0), (-2.0, 0.25)] {
                seed += 1;
                case(m, k, n, ta, tb, alpha, beta, seed);
            }
        }
    }
}

#[test]
fn gemm_large_uses_all_blocks() {
    // Crosses KC and several MC/NC blocks, so the parallel task grid and beta accumulation over K slices are used.
    case(257, 2 * KC + 17, 523, false, true, 1.0, 0.0, 7);
    case(1000, 300, 12, false, false, 1.0, 1.0, 8);
}

#[test]
fn gemm_column_major_output_and_errors() {
    let mut rng = Rng::new(3);
    let (m, k, n) = (13, 9, 11);
    let a = rand_vec(&mut rng, m * k);
    let b = rand_vec(&mut rng, k * n);
    let mut c = vec![f32::NAN; m * n];
    let mut c_ref = vec![f32::NAN; m * n];
    gemm(1.0, MatRef::new(&a, m, k), MatRef::new(&b, k, n), 0.0, &mut c, 1, m).unwrap();
    gemm_naive(1.0, MatRef::new(&a, m, k), MatRef::new(&b, k, n), 0.0, &mut c_ref, 1, m).unwrap();
    assert_close("col-major C", &c, &c_ref, 1e-5, 1e-5);
    // shape errors are specific, never a panic
    let err = gemm(1.0, MatRef::new(&a, 3, 4), MatRef::new(&b, 5, 6), 0.0, &mut c, 6, 1).unwrap_err();
    assert!(err.to_string().contains("3x4 and 5x6 are not compatible"), "{err}");
    let err = gemm(1.0, MatRef::new(&a[..10], m, k), MatRef::new(&b, k, n), 0.0, &mut c, n, 1).unwrap_err();
    assert!(err.to_string().contains("elements"), "{err}");
    let mut small = vec![0.0; 5];
    assert!(gemm(1.0, MatRef::new(&a, m, k), MatRef::new(&b, k, n), 0.0, &mut small, n, 1).is_err());
}

#[test]
fn affine_box_matches_lower_upper_form() {
    let mut rng = Rng::new(11);
    for &(batch, inp, out) in &[(1, 1, 1), (3, 17, 5), (8, 784, 100), (2, 100, 10)] {
        let w = rand_vec(&mut rng, out * inp);
        let b = rand_vec(&mut rng, out);
        let c = rand_vec(&mut rng, batch * inp);
        let r: Vec<f32> = (0..batch * inp).map(|_| rng.uniform_in(0.0, 0.3)).collect();
        let (c2, r2) = affine_box(&w, &abs(&w), &b, out, inp, &c, &r, batch).unwrap();
        let (lo, hi) = affine_box_naive(&w, &b, out, inp, &c, &r, batch);
        let lo2: Vec<f32> = c2.iter().zip(&r2).map(|(a, b)| a - b).collect();
        let hi2: Vec<f32> = c2.iter().zip(&r2).map(|(a, b)| a + b).collect();
        assert_close("affine_box lower", &lo2, &lo, 1e-4, 1e-4);
        assert_close("affine_box upper", &hi2, &hi, 1e-4, 1e-4);
        assert!(r2.iter().all(|&v| v >= 0.0));
    }
}

#[test]
fn gemm_deep_k_narrows_the_packed_block() {
    // K x N above the packed-B cap (4M floats): the column blocks narrow instead of the buffer growing.
    case(3, 4100, 1100, false, false, 1.0, 0.0, 11);
}

/// Threads change who computes a block of C, never how: the product must be bit-identical on 1, 2 and 3 threads,
/// for shapes that cross the parallel threshold, split columns (few rows), use several K slices (packed in
/// parallel), and for back-to-back calls (helpers still polling from the previous call) and concurrent callers.
#[cfg(feature = "parallel")]
#[test]
fn gemm_threads_are_bit_identical() {
    let shapes = [(256, 256, 256), (8, 2 * KC + 5, 3000), (700, 300, 33), (129, 1000, 131)];
    let mut rng = Rng::new(21);
    let inputs: Vec<_> = shapes.iter().map(|&(m, k, n)| (rand_vec(&mut rng, m * k), rand_vec(&mut rng, k * n))).collect();
    let run = |threads: usize| -> Vec<Vec<f32>> {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            assert_eq!(paperlab::par::threads(), threads);
            let mut out = Vec::new();
            for _rep in 0..3 {
                for (&(m, k, n), (a, b)) in shapes.iter().zip(&inputs) {
                    let mut c = vec![f32::NAN; m * n];
                    gemm(1.0, MatRef::new(a, m, k), MatRef::new(b, k, n), 0.0, &mut c, n, 1).unwrap();
                    out.push(c);
                }
            }
            // Two callers at once, each with its own region.
            let (m, k, n) = shapes[0];
            let (a, b) = &inputs[0];
            let (x, y) = rayon::join(
                || {
                    let mut c = vec![f32::NAN; m * n];
                    gemm(1.0, MatRef::new(a, m, k), MatRef::new(b, k, n), 0.0, &mut c, n, 1).unwrap();
                    c
                },
                || {
                    let mut c = vec![f32::NAN; m * n];
                    gemm(1.0, MatRef::new(a, m, k), MatRef::new(b, k, n), 0.0, &mut c, n, 1).unwrap();
                    c
                },
            );
            out.push(x);
            out.push(y);
            out
        })
    };
    let one = run(1);
    // The 1-thread products against the plain twin (so "identical" is not identical-but-wrong).
    for (&(m, k, n), ((a, b), c)) in shapes.iter().zip(inputs.iter().zip(&one)) {
        let mut r = vec![0.0; m * n];
        gemm_naive(1.0, MatRef::new(a, m, k), MatRef::new(b, k, n), 0.0, &mut r, n, 1).unwrap();
        assert_close(&format!("{m}x{k}x{n}"), c, &r, 1e-5 * (k as f32).sqrt(), 1e-5);
    }
    for threads in [2, 3] {
        let many = run(threads);
        for (i, (x, y)) in one.iter().zip(&many).enumerate() {
            assert!(x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits()), "product {i} differs on {threads} threads");
        }
    }
}

/// `gemm` on a C with explicit strides, sized to exactly the last addressed element; returns the call's result and
/// C after it (NaN-prefilled, beta = 0).
fn gemm_strided(a: &[f32], b: &[f32], m: usize, k: usize, n: usize, rsc: usize, csc: usize) -> (paperlab::Result<()>, Vec<f32>) {
    let len = if m == 0 || n == 0 { 0 } else { (m - 1) * rsc + (n - 1) * csc + 1 };
    let mut c = vec![f32::NAN; len];
    let r = gemm(1.0, MatRef::new(a, m, k), MatRef::new(b, k, n), 0.0, &mut c, rsc, csc);
    (r, c)
}

#[test]
fn gemm_rejects_zero_strides_on_vectors() {
    // The case: A = [1, 2] (1x2), B = [[1,0,0],[0,1,0]] (2x3); A B = [1, 2, 0]. A 1x3 C with column stride 0
    // would make all three outputs one element.
    let a = [1.0, 2.0];
    let b = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0];
    let (r, _) = gemm_strided(&a, &b, 1, 2, 3, 3, 0);
    let err = r.expect_err("1x3 C with column stride 0 aliases its three elements");
    assert!(err.to_string().contains("twice"), "{err}");
    assert!(gemm_naive(1.0, MatRef::new(&a, 1, 2), MatRef::new(&b, 2, 3), 0.0, &mut [0.0; 1], 3, 0).is_err());
    // 3x1 C with row stride 0: the transposed case.
    let at = [1.0, 2.0, 3.0];
    let (r, _) = gemm_strided(&at, &[1.0], 3, 1, 1, 0, 1);
    assert!(r.is_err(), "3x1 C with row stride 0 aliases its three elements");
    // The same shapes with distinct offsets are fine and give A B.
    let (r, c) = gemm_strided(&a, &b, 1, 2, 3, 0, 1);
    r.unwrap();
    assert_eq!(c, vec![1.0, 2.0, 0.0]);
    let (r, c) = gemm_strided(&at, &[1.0], 3, 1, 1, 2, 0);
    r.unwrap();
    assert_eq!((c[0], c[2], c[4]), (1.0, 2.0, 3.0));
    // A 1x1 C may have any strides, zero included.
    let (r, c) = gemm_strided(&a, &[3.0, 4.0], 1, 2, 1, 0, 0);
    r.unwrap();
    assert_eq!(c, vec![11.0]);
}

#[test]
fn gemm_accepts_interleaved_strides() {
    // 2x2 C with strides (2, 3) addresses 0, 3, 2, 5: no overlap, so it is a valid output.
    let a = [1.0, 2.0, 3.0, 4.0];
    let b = [5.0, 6.0, 7.0, 8.0];
    let (r, c) = gemm_strided(&a, &b, 2, 2, 2, 2, 3);
    r.expect("strides (2, 3) on 2x2 do not overlap");
    // A B = [[19, 22], [43, 50]] at offsets (0,0)->0, (0,1)->3, (1,0)->2, (1,1)->5; 1 and 4 untouched (NaN).
    assert_eq!((c[0], c[3], c[2], c[5]), (19.0, 22.0, 43.0, 50.0));
    assert!(c[1].is_nan() && c[4].is_nan(), "gemm wrote outside C: {c:?}");
    // Strides (3, 2) on 2x2 (offsets 0, 2, 3, 5) likewise; (1, 1) on 2x2 (offsets 0, 1, 1, 2) overlaps.
    assert!(gemm_strided(&a, &b, 2, 2, 2, 3, 2).0.is_ok());
    assert!(gemm_strided(&a, &b, 2, 2, 2, 1, 1).0.is_err());
    // Row stride one short of the row (3x4, strides (3, 1)): element (0, 3) is element (1, 0).
    let (m, k, n) = (3, 2, 4);
    let a = vec![1.0; m * k];
    let b = vec![1.0; k * n];
    assert!(gemm_strided(&a, &b, m, k, n, n - 1, 1).0.is_err());
    assert!(gemm_strided(&a, &b, m, k, n, n, 1).0.is_ok());
    assert!(gemm_strided(&a, &b, m, k, n, 1, m).0.is_ok());
    assert!(gemm_strided(&a, &b, m, k, n, 1, m - 1).0.is_err());
}

/// The brute-force oracle: over every small shape and pair of strides, enumerate the offsets C's layout addresses;
/// `gemm` must accept exactly the layouts without a repeated offset, and on those compute the plain twin's C.
#[test]
fn gemm_overlap_check_is_exact_brute_force() {
    let mut rng = Rng::new(31);
    let k = 3;
    let (mut accepted, mut rejected) = (0, 0);
    for m in 0..=5 {
        for n in 0..=5 {
            let a = rand_vec(&mut rng, m * k);
            let b = rand_vec(&mut rng, k * n);
            for rs in 0..=12 {
                for cs in 0..=12 {
                    let mut seen = std::collections::HashSet::new();
                    let distinct = (0..m).all(|i| (0..n).all(|j| seen.insert(i * rs + j * cs)));
                    let (r, c) = gemm_strided(&a, &b, m, k, n, rs, cs);
                    assert_eq!(r.is_ok(), distinct, "{m}x{n} C with strides ({rs}, {cs}): gemm says {r:?}, offsets distinct: {distinct}");
                    let (r2, c2) = {
                        let mut c2 = vec![f32::NAN; c.len()];
                        let r2 = gemm_naive(1.0, MatRef::new(&a, m, k), MatRef::new(&b, k, n), 0.0, &mut c2, rs, cs);
                        (r2, c2)
                    };
                    assert_eq!(r2.is_ok(), distinct, "gemm_naive, {m}x{n} strides ({rs}, {cs})");
                    if distinct {
                        accepted += 1;
                        let pick = |c: &[f32]| -> Vec<f32> { (0..m).flat_map(|i| (0..n).map(move |j| (i, j))).map(|(i, j)| c[i * rs + j * cs]).collect() };
                        assert_close(&format!("{m}x{n} strides ({rs}, {cs})"), &pick(&c), &pick(&c2), 1e-6, 1e-6);
                        // offsets not in the layout stay NaN
                        for (o, v) in c.iter().enumerate() {
                            assert_eq!(seen.contains(&o), !v.is_nan(), "{m}x{n} strides ({rs}, {cs}): offset {o}");
                        }
                    } else {
                        rejected += 1;
                    }
                }
            }
        }
    }
    assert!(accepted > 1000 && rejected > 500, "the grid should hold both kinds: {accepted} accepted, {rejected} rejected");
}
