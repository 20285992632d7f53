//! The corruptions lab's own checks: filters against their naive twins, the motion-blur kernel against a direct
//! evaluation of ImageMagick's formula, bad input, the CIFAR tables on digits, flip probability and top-5 distance on
//! hand-made predictions, and the benchmark's CE against a brute-force recount.
#![cfg(not(target_arch = "wasm32"))]

use paperlab::labs::corruptions::bench::{corrupt_digits, corruption_error, digit_seed, predict, Benchmark, DigitModel};
use paperlab::labs::corruptions::filters::{filter2d, filter2d_sparse, gaussian_plane, gaussian_plane_naive, zoom_linear, zoom_linear_naive, zoom_linear_window, Border};
use paperlab::labs::corruptions::perturb::{flip_probability, flips, mean_flip_rate, mean_top5_distance, sequence, top5_distance, Perturbation};
use paperlab::labs::corruptions::{corrupt, corrupt_grid, corrupt_severities, decode, motion_blur_plane, Corruption, FrostPictures, Image, Tables};
use paperlab::nn::{Mlp, Rng};

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn plane(w: usize, h: usize, seed: u64) -> Vec<f32> {
    let mut r = Rng::new(seed);
    (0..w * h).map(|_| r.uniform() * 255.0).collect()
}

/// Max |a - b| with the first mismatches printed on failure.
fn check(name: &str, a: &[f32], b: &[f32], tol: f32) {
    assert_eq!(a.len(), b.len(), "{name}: lengths");
    let bad: Vec<(usize, f32, f32)> = a.iter().zip(b).enumerate().filter(|(_, (x, y))| (*x - *y).abs() > tol + y.abs() * 1e-5).map(|(i, (x, y))| (i, *x, *y)).take(5).collect();
    let max = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max);
    assert!(bad.is_empty(), "{name}: max diff {max}, first mismatches (index, fast, naive) {bad:?}");
}

#[test]
fn separable_gaussian_matches_its_naive_twin() {
    for &(w, h) in &[(28, 28), (33, 29), (64, 40)] {
        let p = plane(w, h, 3);
        for &sigma in &[0.4, 1.0, 2.5] {
            for border in [Border::Nearest, Border::Reflect, Border::Reflect101] {
                let a = gaussian_plane(&p, w, h, sigma, sigma * 0.7, 4.0, border);
                let b = gaussian_plane_naive(&p, w, h, sigma, sigma * 0.7, 4.0, border);
                check(&format!("gaussian {w}x{h} sigma {sigma} {border:?}"), &a, &b, 1e-3);
            }
        }
    }
}

#[test]
fn sparse_filter2d_matches_filter2d() {
    let (w, h) = (37, 30);
    let p = plane(w, h, 5);
    let mut r = Rng::new(9);
    let k: Vec<f32> = (0..7 * 5).map(|i| if i % 3 == 0 { 0.0 } else { r.uniform() - 0.5 }).collect();
    check("filter2d sparse", &filter2d_sparse(&p, w, h, &k, 7, 5, Border::Reflect101), &filter2d(&p, w, h, &k, 7, 5, Border::Reflect101), 1e-3);
}

#[test]
fn zoom_matches_its_naive_twin() {
    let (w, h) = (31, 29);
    let p = plane(w, h, 7);
    for &z in &[1.0, 1.07, 1.5, 3.0, 0.6] {
        let (a, aw, ah) = zoom_linear(&p, w, h, z, z);
        let (b, bw, bh) = zoom_linear_naive(&p, w, h, z, z);
        assert_eq!((aw, ah), (bw, bh));
        check(&format!("zoom {z}"), &a, &b, 1e-3);
    }
    // Identity and corner alignment.
    let (a, _, _) = zoom_linear(&p, w, h, 1.0, 1.0);
    check("zoom 1", &a, &p, 0.0);
}

/// ImageMagick's MotionBlurImage, evaluated directly per output pixel from its formula (width 2r+1, weights
/// exp(-i^2/2s^2) normalised, offsets ceil(i cos a - 0.5), ceil(i sin a - 0.5), edge pixels repeated).
fn motion_naive(p: &[f32], w: usize, h: usize, r: f64, s: f64, deg: f64) -> Vec<f32> {
    let width = 2 * r as usize + 1;
    let k: Vec<f64> = (0..width).map(|i| (-((i * i) as f64) / (2.0 * s * s)).exp()).collect();
    let z: f64 = k.iter().sum();
    let (sa, ca) = deg.to_radians().sin_cos();
    let mut out = vec![0.0; w * h];
    for y in 0..h {
        for x in 0..w {
            let mut acc = 0.0;
            for (i, ki) in k.iter().enumerate() {
                let ox = ((i as f64 * ca) - 0.5).ceil() as isize;
                let oy = ((i as f64 * sa) - 0.5).ceil() as isize;
                let sx = (x as isize + ox).clamp(0, w as isize - 1) as usize;
                let sy = (y as isize + oy).clamp(0, h as isize - 1) as usize;
                acc += ki / z * f64::from(p[sy * w + sx]);
            }
            out[y * w + x] = acc as f32;
        }
    }
    out
}

#[test]
fn motion_blur_is_imagemagicks_kernel() {
    let (w, h) = (48, 40);
    let p = plane(w, h, 11);
    for &(r, s, a) in &[(6.0, 1.0, 0.0), (10.0, 3.0, 37.0), (15.0, 8.0, -45.0), (9.0, 2.5, -100.0)] {
        check(&format!("motion r{r} s{s} a{a}"), &motion_blur_plane(&p, w, h, r, s, a), &motion_naive(&p, w, h, r, s, a), 1e-3);
    }
    // Angle 0 blurs along rows only: a constant column image is unchanged.
    let col: Vec<f32> = (0..w * h).map(|i| (i / w) as f32).collect();
    check("motion along rows", &motion_blur_plane(&col, w, h, 10.0, 3.0, 0.0), &col, 1e-4);
}

#[test]
fn bad_input_gets_a_clear_error() {
    let small = Image::new(20, 40, 3, vec![0.0; 20 * 40 * 3]);
    assert!(small.unwrap_err().to_string().contains("at least 28x28"));
    let img = Image::new(32, 32, 3, vec![100.0; 32 * 32 * 3]).unwrap();
    let e = corrupt(&img, Corruption::Contrast, 6, Tables::Cifar, &mut Rng::new(1), None).unwrap_err();
    assert!(e.to_string().contains("severity"), "{e}");
    let e = corrupt(&img, Corruption::Frost, 1, Tables::Cifar, &mut Rng::new(1), None).unwrap_err();
    assert!(e.to_string().contains("frost pictures"), "{e}");
    assert!(Corruption::from_name("fogg").unwrap_err().to_string().contains("fog"));
    // Files: not an image, truncated, tiny.
    assert!(decode(b"hello, world, not a picture").unwrap_err().to_string().contains("PNG or JPEG"));
    let png = std::fs::read(root().join("www/data/photos/chelsea.png")).unwrap();
    let e = decode(&png[..png.len() / 3]).unwrap_err().to_string();
    assert!(e.contains("truncated") || e.contains("corrupt"), "{e}");
    let tiny = { let mut b = Vec::new(); image::ImageEncoder::write_image(image::codecs::png::PngEncoder::new(&mut b), &[0u8, 0, 0], 1, 1, image::ExtendedColorType::Rgb8).unwrap(); b };
    assert!(decode(&tiny).unwrap_err().to_string().contains("too small"));
    let ok = decode(&png).unwrap();
    assert_eq!((ok.w, ok.h, ok.c), (451, 300, 3));
}

#[test]
fn every_corruption_runs_on_digits_and_gray_with_the_cifar_tables() {
    let frost = FrostPictures::load_dir(&root().join("www/data/frost")).unwrap();
    let mut r = Rng::new(2);
    let digit = Image::new(28, 28, 1, (0..784).map(|i| if (i % 28) > 9 && (i % 28) < 18 { 255.0 } else { 0.0 }).collect()).unwrap();
    assert_eq!(Tables::for_size(28, 28), Tables::Cifar);
    assert_eq!(Tables::for_size(224, 224), Tables::ImageNet);
    for &c in &Corruption::ALL {
        for s in 1..=5 {
            let o = corrupt(&digit, c, s, Tables::Cifar, &mut r, Some(&frost)).unwrap();
            assert_eq!((o.w, o.h, o.c), (28, 28, 1));
            assert!(o.data.iter().all(|v| (0.0..=255.0).contains(v) && v.fract() == 0.0), "{} s{s}", c.name());
        }
    }
    // Severity is monotone for contrast: the spread shrinks.
    let spread = |s| {
        let o = corrupt(&digit, Corruption::Contrast, s, Tables::Cifar, &mut Rng::new(0), None).unwrap();
        o.data.iter().fold(0.0f32, |a, &b| a.max(b)) - o.data.iter().fold(255.0f32, |a, &b| a.min(b))
    };
    assert!(spread(1) > spread(3) && spread(3) > spread(5));
    // A deterministic corruption gives the same on a grayscale image and on its RGB copy.
    let rgb = digit.to_rgb();
    let g = corrupt(&digit, Corruption::DefocusBlur, 3, Tables::Cifar, &mut Rng::new(0), None).unwrap();
    let c = corrupt(&rgb, Corruption::DefocusBlur, 3, Tables::Cifar, &mut Rng::new(0), None).unwrap();
    check("gray vs rgb defocus", &g.data, &c.plane(0), 0.0);
}

/// The Poisson sampler against its closed form: mean = variance = lam in both regimes (below 10: multiplication;
/// from 10: PTRS), and P(0) = exp(-lam); the precomputed-constants path draws exactly what `poisson` draws.
#[test]
fn poisson_draws_have_the_poisson_moments() {
    use paperlab::labs::corruptions::noise::{poisson, PoissonParams};
    for lam in [0.5, 4.0, 9.9, 12.0, 60.0] {
        let n = 40_000;
        let mut r = Rng::new(11);
        let x: Vec<f64> = (0..n).map(|_| poisson(&mut r, lam) as f64).collect();
        let mean = x.iter().sum::<f64>() / n as f64;
        let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        // 5 standard errors of the mean and (roughly) of the variance.
        let se = (lam / n as f64).sqrt();
        assert!((mean - lam).abs() < 5.0 * se, "lam {lam}: mean {mean}");
        assert!((var - lam).abs() < 5.0 * lam * (2.0 / n as f64).sqrt() + 5.0 * se, "lam {lam}: variance {var}");
        let p0 = x.iter().filter(|&&v| v == 0.0).count() as f64 / n as f64;
        assert!((p0 - (-lam).exp()).abs() < 0.01, "lam {lam}: P(0) {p0}");
        let p = PoissonParams::new(lam);
        let (mut a, mut b) = (Rng::new(3), Rng::new(3));
        for _ in 0..1000 {
            assert_eq!(p.draw(&mut a), poisson(&mut b, lam));
        }
    }
}

/// A grid row (the page's one call per corruption, parallel on threads) equals five single calls with the same seed,
/// for a random corruption (its draws restart from the seed at each severity) and a deterministic one.
#[test]
fn a_grid_row_is_five_single_calls() {
    let frost = FrostPictures::load_dir(&root().join("www/data/frost")).unwrap();
    let img = Image::new(40, 30, 3, plane(40, 90, 5).iter().map(|v| v.round()).collect()).unwrap();
    for c in [Corruption::GaussianNoise, Corruption::Frost, Corruption::ZoomBlur] {
        let t = Tables::for_size(img.w, img.h);
        let row = corrupt_severities(&img, c, t, 7, Some(&frost)).unwrap();
        assert_eq!(row.len(), 5);
        for (k, r) in row.iter().enumerate() {
            let one = corrupt(&img, c, k + 1, t, &mut Rng::new(7), Some(&frost)).unwrap();
            check(&format!("{} s{}", c.name(), k + 1), &r.data, &one.data, 0.0);
        }
    }
    assert!(corrupt_severities(&img, Corruption::Frost, Tables::Cifar, 7, None).is_err(), "frost without pictures is an error");
}

#[test]
fn the_flat_grid_is_the_rows() {
    // One call for several rows (cells scheduled longest first across threads) gives each row's images exactly.
    let frost = FrostPictures::load_dir(&root().join("www/data/frost")).unwrap();
    let img = Image::new(70, 66, 3, plane(70, 66 * 3, 11).iter().map(|v| v.round()).collect()).unwrap();
    let cs = [Corruption::ShotNoise, Corruption::Frost, Corruption::DefocusBlur, Corruption::MotionBlur, Corruption::ZoomBlur, Corruption::GlassBlur];
    let t = Tables::for_size(img.w, img.h);
    let grid = corrupt_grid(&img, &cs, t, 5, Some(&frost)).unwrap();
    assert_eq!(grid.len(), cs.len());
    for (c, row) in cs.iter().zip(&grid) {
        let want = corrupt_severities(&img, *c, t, 5, Some(&frost)).unwrap();
        assert_eq!(row.len(), 5);
        for (k, (a, b)) in row.iter().zip(&want).enumerate() {
            check(&format!("grid {} s{}", c.name(), k + 1), &a.data, &b.data, 0.0);
        }
    }
    assert!(corrupt_grid(&img, &[Corruption::Frost], t, 5, None).is_err(), "frost without pictures is an error");
    assert!(corrupt_grid(&img, &[], t, 5, None).unwrap().is_empty());
}

#[test]
fn zoom_window_is_the_top_left_of_the_full_zoom() {
    let (w, h) = (37, 29);
    let p = plane(w, h, 3);
    for z in [1.0, 1.01, 1.13, 1.3, 0.8] {
        let (full, ow, oh) = zoom_linear(&p, w, h, z, z);
        let (win, kw, kh) = zoom_linear_window(&p, w, h, z, z, 33, 31);
        assert_eq!((kw, kh), (ow.min(33), oh.min(31)), "z {z}");
        let want: Vec<f32> = (0..kh).flat_map(|y| full[y * ow..y * ow + kw].to_vec()).collect();
        check(&format!("zoom window z {z}"), &win, &want, 0.0);
    }
}

#[test]
fn flip_probability_on_hand_made_predictions() {
    // Noise: every frame against the first; otherwise against the previous frame.
    let a = vec![3, 3, 5, 3, 5];
    assert_eq!(flips(&a, true), vec![2, 4]);
    assert_eq!(flips(&a, false), vec![2, 3, 4]);
    let b = vec![1, 1, 1, 1, 1];
    assert!((flip_probability(&[a.clone(), b.clone()], true).unwrap() - (2.0 / 4.0 + 0.0) / 2.0).abs() < 1e-12);
    assert!((flip_probability(&[a, b], false).unwrap() - (3.0 / 4.0) / 2.0).abs() < 1e-12);
    assert!(flip_probability(&[vec![1]], false).is_err());
    let (fr, m) = mean_flip_rate(&[0.2, 0.1], &[0.4, 0.4]);
    assert_eq!(fr, vec![Some(0.5), Some(0.25)]);
    assert!((m.unwrap() - 0.375).abs() < 1e-12);
}

#[test]
fn top5_distance_on_hand_made_rankings() {
    let id: Vec<usize> = (0..10).collect();
    assert_eq!(top5_distance(&id, &id).unwrap(), 0);
    // Swapping ranks 1 and 2: sigma = (2, 1, 3, 4, 5): i=1 counts j=2 (j-1=1), i=2 counts j=2: distance 2.
    let mut sw = id.clone();
    sw.swap(0, 1);
    assert_eq!(top5_distance(&id, &sw).unwrap(), 2);
    // Moving the top class to rank 10: i=1, sigma=10 counts j=2..=6 (5); ranks 2..5 move up by one (1 each).
    let mut far = id.clone();
    let top = far.remove(0);
    far.push(top);
    assert_eq!(top5_distance(&id, &far).unwrap(), 9);
    assert!((mean_top5_distance(&[vec![id.clone(), sw.clone(), sw]], false).unwrap() - 1.0).abs() < 1e-12);
    assert!(top5_distance(&id[..4], &id[..4]).is_err());
}

#[test]
fn perturbation_sequences_have_the_reference_lengths() {
    let digit = Image::new(28, 28, 1, (0..784).map(|i| if (i / 28) > 6 && (i / 28) < 20 && (i % 28) > 11 && (i % 28) < 16 { 255.0 } else { 0.0 }).collect()).unwrap();
    for &p in &Perturbation::ALL {
        let s = sequence(&digit, p, Tables::Cifar, &mut Rng::new(4)).unwrap();
        assert_eq!(s.len(), p.frames(Tables::Cifar));
        assert!(s.len() >= 10);
        assert!(s.iter().all(|f| (f.w, f.h, f.c) == (28, 28, 1)));
    }
    // Translate's middle frame is the clean image; rotate's too.
    let t = sequence(&digit, Perturbation::Translate, Tables::Cifar, &mut Rng::new(0)).unwrap();
    check("translate middle", &t[7].data, &digit.data, 0.0);
    let r = sequence(&digit, Perturbation::Rotate, Tables::Cifar, &mut Rng::new(0)).unwrap();
    check("rotate middle", &r[15].data, &digit.data, 0.5);
}

fn digits() -> (Vec<u8>, Vec<u8>) {
    let m = paperlab::data::mnist::Mnist::load_default().expect("shipped digits");
    (m.test.images, m.test.labels)
}

fn model(path: &str) -> Mlp {
    Mlp::from_safetensors(&std::fs::read(root().join(path)).unwrap()).unwrap().0
}

#[test]
fn benchmark_ce_matches_a_brute_force_recount() {
    let (images, labels) = digits();
    let n = 200;
    let models = vec![("natural".to_string(), model("www/models/verify/mlp-natural.safetensors")), ("crown-ibp".to_string(), model("www/models/verify/mlp-crownibp.safetensors"))];
    let frost = FrostPictures::load_dir(&root().join("www/data/frost")).unwrap();
    let mut b = Benchmark::new(&images, &labels, n, 0, 7, models.clone(), 0, Some(frost.clone())).unwrap();
    while b.step().unwrap().is_some() {}
    let rep = b.report();
    // Recount: corrupt each digit alone with its own seed, classify it alone, count mistakes.
    let recount = |m: &Mlp, c: Corruption, s: usize| -> f64 {
        let ci = Corruption::ALL.iter().position(|&x| x == c).unwrap();
        let mut wrong = 0;
        for i in 0..n {
            let img = Image::from_u8(28, 28, 1, &images[i * 784..(i + 1) * 784]).unwrap();
            let o = corrupt(&img, c, s, Tables::Cifar, &mut Rng::new(digit_seed(7, ci, s, i)), Some(&frost)).unwrap();
            let x: Vec<f32> = o.data.iter().map(|v| v / 255.0).collect();
            let l = m.logits(ndarray::aview1(&x).insert_axis(ndarray::Axis(0))).unwrap().row(0).to_vec();
            let arg = (0..10).fold(0, |a, j| if l[j] > l[a] { j } else { a });
            wrong += usize::from(arg != usize::from(labels[i]));
        }
        wrong as f64 / n as f64
    };
    let clean = |m: &Mlp| -> f64 {
        (0..n)
            .filter(|&i| {
                let x: Vec<f32> = images[i * 784..(i + 1) * 784].iter().map(|&v| f32::from(v) / 255.0).collect();
                let l = m.logits(ndarray::aview1(&x).insert_axis(ndarray::Axis(0))).unwrap().row(0).to_vec();
                (0..10).fold(0, |a, j| if l[j] > l[a] { j } else { a }) != usize::from(labels[i])
            })
            .count() as f64
            / n as f64
    };
    for &c in &[Corruption::GaussianNoise, Corruption::Fog, Corruption::Frost, Corruption::ElasticTransform] {
        let ci = Corruption::common().iter().position(|&x| x == c).unwrap();
        let ef: Vec<f64> = (1..=5).map(|s| recount(&models[1].1, c, s)).collect();
        let eb: Vec<f64> = (1..=5).map(|s| recount(&models[0].1, c, s)).collect();
        let (cf, cb) = (clean(&models[1].1), clean(&models[0].1));
        let ce = ef.iter().sum::<f64>() / eb.iter().sum::<f64>();
        let rel = (ef.iter().sum::<f64>() - 5.0 * cf) / (eb.iter().sum::<f64>() - 5.0 * cb);
        assert!((rep[1].ce[ci].unwrap() - ce).abs() < 1e-12, "{}: CE {} vs recount {ce}", c.name(), rep[1].ce[ci].unwrap());
        assert!((rep[1].rel_ce[ci].unwrap() - rel).abs() < 1e-9, "{}: relative CE", c.name());
        assert!((rep[0].ce[ci].unwrap() - 1.0).abs() < 1e-12, "the baseline's CE is 1");
        for s in 0..5 {
            assert!((rep[1].errors[ci][s] - ef[s]).abs() < 1e-12);
        }
    }
    let (ce, rel) = corruption_error(&[0.1; 5], 0.05, &[0.2; 5], 0.1);
    assert!((ce.unwrap() - 0.5).abs() < 1e-12 && (rel.unwrap() - 0.5).abs() < 1e-12);
    assert!(rep[1].mce.is_some() && rep[0].mce.is_some_and(|v| (v - 1.0).abs() < 1e-12));
    // Batch corruption equals the per-digit one.
    let x = corrupt_digits(&images, 5, Corruption::Snow, 3, 7, None).unwrap();
    let ci = Corruption::ALL.iter().position(|&c| c == Corruption::Snow).unwrap();
    let o = corrupt(&Image::from_u8(28, 28, 1, &images[3 * 784..4 * 784]).unwrap(), Corruption::Snow, 3, Tables::Cifar, &mut Rng::new(digit_seed(7, ci, 3, 3)), None).unwrap();
    check("batch vs single", &x[3 * 784..4 * 784], &o.data.iter().map(|v| v / 255.0).collect::<Vec<_>>(), 0.0);
}

#[test]
fn digit_models_predict_as_their_own_labs() {
    // 150 test digits (across the 100-digit chunks of the convolutional models): the benchmark's predictions equal
    // those of each lab's own prediction path (bagnet::predict; the blindspot CNN's logits, argmax).
    let d = paperlab::data::mnist::Mnist::load_default().unwrap();
    let n = 150;
    let x: Vec<f32> = d.test.images[..n * 784].iter().map(|&b| f32::from(b) / 255.0).collect();
    let bag_bytes = std::fs::read(root().join("www/models/bagnet/bagnet-q9-mnist.safetensors")).unwrap();
    let bag = paperlab::labs::bagnet::Model::from_safetensors(&bag_bytes).unwrap().0;
    let want = paperlab::labs::bagnet::predict(&bag, ndarray::ArrayView4::from_shape((n, 1, 28, 28), &x).unwrap()).unwrap().to_vec();
    assert_eq!(predict(&DigitModel::from_safetensors("bagnet", &bag_bytes).unwrap(), &x, n).unwrap(), want);
    let cnn_bytes = std::fs::read(root().join("www/models/blindspot/cnn-madry.safetensors")).unwrap();
    let cnn = paperlab::labs::blindspot::cnn::Cnn::from_safetensors(&cnn_bytes).unwrap().0;
    let logits = cnn.logits(ndarray::ArrayView2::from_shape((n, 784), &x).unwrap()).unwrap();
    let want: Vec<usize> = logits.rows().into_iter().map(|r| (0..10).fold(0, |b, j| if r[j] > r[b] { j } else { b })).collect();
    let got = predict(&DigitModel::from_safetensors("cnn", &cnn_bytes).unwrap(), &x, n).unwrap();
    assert_eq!(got, want);
    // Sanity: a trained digit model gets most of them right.
    let right = got.iter().zip(&d.test.labels).filter(|(p, &l)| **p == usize::from(l)).count();
    assert!(right > 120, "{right} of {n}");
    // A file of the wrong kind, or an unknown kind, is an error, not a panic.
    assert!(DigitModel::from_safetensors("cnn", &bag_bytes).is_err());
    assert!(DigitModel::from_safetensors("mlp", &cnn_bytes).is_err());
    assert!(DigitModel::from_safetensors("alexnet", &cnn_bytes).is_err());
}

#[test]
fn image_round_trips_through_ndarray_h_w_c() {
    // Element (y, x, k) of the H x W x C view is data[(y w + x) c + k], the interleaved layout, both ways.
    let (w, h) = (30usize, 29usize);
    let data: Vec<f32> = (0..w * h * 3).map(|i| (i % 256) as f32).collect();
    let img = Image::new(w, h, 3, data.clone()).unwrap();
    let v = img.view().unwrap();
    assert_eq!(v.dim(), (h, w, 3));
    for (y, x, k) in [(0, 0, 0), (5, 7, 2), (h - 1, w - 1, 1)] {
        assert_eq!(v[[y, x, k]], data[(y * w + x) * 3 + k]);
    }
    assert_eq!(Image::from_array(v).unwrap(), img);
    // The checks of Image::new hold: too small, or 2 channels.
    assert!(Image::from_array(ndarray::Array3::<f32>::zeros((10, 40, 3)).view()).is_err());
    assert!(Image::from_array(ndarray::Array3::<f32>::zeros((28, 28, 2)).view()).is_err());
}
