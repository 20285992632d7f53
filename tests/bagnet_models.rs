//! The bagnet lab's models: the properties that make a BagNet a bag of local features (map-size formula, image
//! logits = the mean of the patch-logit map, one q x q crop fed alone gives its map entry, receptive field exactly q),
//! gradients of both models against central finite differences, files, and the experiment helpers.
#![cfg(not(target_arch = "wasm32"))] // native tests; `wasm-pack test` builds every test target for wasm32 too

use crate::common::{assert_close, check_grad};
use paperlab::data::mnist::Mnist;
use paperlab::labs::bagnet::{
    blocks_3x3, evidence, map_side, mask_patches, scramble_tiles, top_patches, BagNet, BagNetConfig, Cnn, CnnConfig, Model, Params, QS,
};
use ndarray::ArrayView4;
use paperlab::nd::{into_vec, view, view_mut};
use paperlab::nn::Rng;

/// `x` as B x 1 x H x W images.
fn im(x: &[f32], h: usize, w: usize) -> ArrayView4<'_, f32> {
    view("test images", x, (x.len() / (h * w), 1, h, w)).unwrap()
}

fn rv(rng: &mut Rng, n: usize, lo: f32, hi: f32) -> Vec<f32> {
    (0..n).map(|_| rng.uniform_in(lo, hi)).collect()
}

/// A random BagNet whose biases are small and positive, so that ReLUs are mostly active and every input pixel inside
/// a patch reaches its output.
fn live_bagnet(q: usize, width: usize, seed: u64) -> BagNet {
    let mut m = BagNet::new(BagNetConfig { q, width, classes: 10 }, seed).unwrap();
    let mut rng = Rng::new(seed + 100);
    for b in [&mut m.p.stem_b, &mut m.p.down_b, &mut m.p.head_b] {
        b.iter_mut().for_each(|v| *v = rng.uniform_in(0.02, 0.1));
    }
    for bl in &mut m.p.blocks {
        bl.bk.iter_mut().chain(bl.b1.iter_mut()).for_each(|v| *v = rng.uniform_in(0.02, 0.1));
    }
    m
}

#[test]
fn map_size_formula_for_every_q_and_input_size() {
    for q in [5, 9, 13, 17, 21] {
        let m = live_bagnet(q, 4, q as u64);
        let mut rng = Rng::new(7);
        for h in q..q + 14 {
            for w in [q, q + 1, q + 6, 28.max(q)] {
                let x = rv(&mut rng, h * w, 0.0, 1.0);
                let c = m.forward(im(&x, h, w)).unwrap();
                // Independent count: the patch of location i covers rows 2i..2i+q-1, which must lie inside the image.
                let count = |side: usize| (0..side).filter(|i| 2 * i + q <= side).count();
                assert_eq!((c.oh, c.ow), (count(h), count(w)), "q {q}, image {h}x{w}");
                assert_eq!((map_side(h, q).unwrap(), map_side(w, q).unwrap()), (count(h), count(w)));
                assert_eq!(c.map.len(), 10 * c.oh * c.ow);
            }
        }
        // One pixel too small: a clear error that names q.
        let err = m.forward(im(&vec![0.0; (q - 1) * 30], q - 1, 30)).unwrap_err().to_string();
        assert!(err.contains("smaller than the patch size") && err.contains(&format!("q = {q}")), "{err}");
        let err = m.forward(im(&vec![0.0; 30 * (q - 1)], 30, q - 1)).unwrap_err().to_string();
        assert!(err.contains("smaller than the patch size"), "{err}");
    }
    assert_eq!(QS.map(|q| map_side(28, q).unwrap()), [12, 10, 8, 6]);
    assert!(blocks_3x3(7).is_err() && blocks_3x3(25).is_err() && blocks_3x3(1).is_err());
    assert!(BagNet::new(BagNetConfig { q: 11, width: 4, classes: 10 }, 1).is_err());
}

#[test]
fn image_logits_are_the_mean_of_the_patch_logit_map() {
    let data = Mnist::load_default().unwrap();
    for q in QS {
        let m = live_bagnet(q, 8, 3);
        let x = data.test.batch_f32(&[0, 1, 2]);
        let c = m.forward(im(&x, 28, 28)).unwrap();
        let n = c.oh * c.ow;
        // The mean in f64 of the map the same pass returned.
        let want: Vec<f32> = c.map.as_slice().unwrap().chunks(n).map(|p| (p.iter().map(|&v| v as f64).sum::<f64>() / n as f64) as f32).collect();
        assert_close(&format!("BagNet-{q} logits vs mean of its map"), c.logits.as_slice().unwrap(), &want, 1e-6, 1e-6);
        // Model::logits (the path evaluation uses) gives the same numbers.
        let l = Model::BagNet(m.clone()).logits(im(&x, 28, 28)).unwrap();
        assert_eq!(l, c.logits);
    }
}

#[test]
fn one_crop_fed_alone_gives_its_map_entry_and_the_mean_of_crops_gives_the_logits() {
    let data = Mnist::load_default().unwrap();
    let img = data.test.image_f32(4);
    for q in QS {
        let m = live_bagnet(q, 8, 5);
        let c = m.forward(im(&img, 28, 28)).unwrap();
        let (oh, ow) = (c.oh, c.ow);
        let mut sum = [0.0f64; 10];
        for i in 0..oh {
            for j in 0..ow {
                let crop: Vec<f32> = (0..q).flat_map(|r| img[(2 * i + r) * 28 + 2 * j..(2 * i + r) * 28 + 2 * j + q].to_vec()).collect();
                let alone = m.forward(im(&crop, q, q)).unwrap();
                assert_eq!((alone.oh, alone.ow), (1, 1));
                let entry: Vec<f32> = (0..10).map(|k| c.map[[0, k, i, j]]).collect();
                assert_close(&format!("BagNet-{q} crop ({i},{j})"), alone.logits.as_slice().unwrap(), &entry, 1e-5, 1e-5);
                for k in 0..10 {
                    sum[k] += alone.logits[[0, k]] as f64;
                }
            }
        }
        let from_crops: Vec<f32> = sum.iter().map(|s| (s / (oh * ow) as f64) as f32).collect();
        assert_close(&format!("BagNet-{q} logits vs mean over separately classified crops"), c.logits.as_slice().unwrap(), &from_crops, 1e-5, 1e-5);
    }
}

#[test]
fn receptive_field_is_exactly_q() {
    let data = Mnist::load_default().unwrap();
    let img = data.test.image_f32(7);
    for q in QS {
        let m = live_bagnet(q, 8, 9);
        let c0 = m.forward(im(&img, 28, 28)).unwrap();
        let (oh, ow) = (c0.oh, c0.ow);
        let entry = |map: &[f32], i: usize, j: usize| -> Vec<f32> { (0..10).map(|k| map[(k * oh + i) * ow + j]).collect() };
        for (i, j) in [(0, 0), (oh / 2, ow / 3), (oh - 1, ow - 1)] {
            let (r0, c0_) = (2 * i, 2 * j);
            let before = entry(c0.map.as_slice().unwrap(), i, j);
            // Every pixel of the image, perturbed one at a time: outside the patch the entry is bit-identical,
            // inside it changes.
            for r in 0..28 {
                for cc in 0..28 {
                    let inside = (r0..r0 + q).contains(&r) && (c0_..c0_ + q).contains(&cc);
                    let on_edge = inside && (r == r0 || r == r0 + q - 1 || cc == c0_ || cc == c0_ + q - 1);
                    let near = (r as isize - r0 as isize).abs() <= 2 || (cc as isize - c0_ as isize).abs() <= 2 || r == r0 + q || cc == c0_ + q;
                    if !(on_edge || (!inside && near) || (r * 28 + cc) % 37 == 0) {
                        continue; // the edge of the patch, the ring around it, and a sample of the rest
                    }
                    let mut x = img.clone();
                    x[r * 28 + cc] += 3.0;
                    let after = entry(m.forward(im(&x, 28, 28)).unwrap().map.as_slice().unwrap(), i, j);
                    if inside {
                        assert!(after != before, "BagNet-{q} ({i},{j}): pixel ({r},{cc}) inside the patch does not change the entry");
                    } else {
                        assert_eq!(after, before, "BagNet-{q} ({i},{j}): pixel ({r},{cc}) outside the patch changes the entry");
                    }
                }
            }
        }
    }
}

/// L = sum(r * logits) as a function of one parameter tensor of a model.
fn proj(l: &[f32], r: &[f32]) -> f64 {
    l.iter().zip(r).map(|(a, b)| *a as f64 * *b as f64).sum()
}

#[test]
fn bagnet_backward_matches_fd() {
    for q in [5, 9, 13] {
        let m = live_bagnet(q, 3, 11);
        let (h, w, bt) = (q + 3, q + 4, 2);
        let mut rng = Rng::new(12);
        let x = rv(&mut rng, bt * h * w, 0.0, 1.0);
        let r = rv(&mut rng, bt * 10, -1.0, 1.0);
        let c = m.forward(im(&x, h, w)).unwrap();
        let g = m.backward(&c, view("r", &r, (bt, 10)).unwrap()).unwrap();
        let n_t = m.p.tensors().len();
        for t in 0..n_t {
            let p0 = m.p.tensors()[t].clone();
            let gt = g.tensors()[t].clone();
            let idx: Vec<usize> = (0..p0.len()).step_by((p0.len() / 24).max(1)).collect();
            let mut f = |pp: &[f32]| {
                let mut mm = m.clone();
                *mm.p.tensors_mut()[t] = pp.to_vec();
                proj(mm.forward(im(&x, h, w)).unwrap().logits.as_slice().unwrap(), &r)
            };
            check_grad(&format!("BagNet-{q} tensor {t}"), &mut f, &p0, &gt, &idx, 2e-3, 2e-3, 3e-3, 0.34);
        }
    }
}

#[test]
fn cnn_backward_matches_fd() {
    let mut m = Cnn::new(CnnConfig { width: 4, classes: 10 }, 3).unwrap();
    let mut rng = Rng::new(8);
    for t in m.p.tensors_mut() {
        if t.len() <= 10 {
            t.iter_mut().for_each(|v| *v = rng.uniform_in(0.02, 0.1));
        }
    }
    // A sparse image (a few inked pixels on a zero background): most pre-activations are then bias-driven and far
    // from zero, so few ReLUs sit within the finite-difference step of their kink (with a dense image, hundreds do).
    let bt = 1;
    let mut x = vec![0.0f32; 784];
    for i in 0..10 {
        x[(5 + 2 * i) * 28 + 4 + (i * 7) % 19] = rng.uniform_in(0.5, 1.0);
    }
    let r = rv(&mut rng, bt * 10, -1.0, 1.0);
    let c = m.forward(im(&x, 28, 28)).unwrap();
    let g = m.backward(&c, view("r", &r, (bt, 10)).unwrap()).unwrap();
    for t in 0..m.p.tensors().len() {
        let p0 = m.p.tensors()[t].clone();
        let gt = g.tensors()[t].clone();
        let idx: Vec<usize> = (0..p0.len()).step_by((p0.len() / 24).max(1)).collect();
        let mut f = |pp: &[f32]| {
            let mut mm = m.clone();
            *mm.p.tensors_mut()[t] = pp.to_vec();
            proj(mm.forward(im(&x, 28, 28)).unwrap().logits.as_slice().unwrap(), &r)
        };
        // Up to half the coordinates may be skipped as kinks: a first-layer bias moves every unit of the network at
        // once, so some ReLU crosses zero within the step for some of them (checked by hand: with h -> 1e-4 the
        // central difference of such a coordinate converges to the analytic value).
        check_grad(&format!("CNN tensor {t}"), &mut f, &p0, &gt, &idx, 1e-3, 2e-3, 3e-3, 0.5);
    }
    assert!(m.forward(im(&vec![0.0; 27 * 28], 27, 28)).is_err());
}

#[test]
fn loss_grad_chunks_add_up_to_the_batch_gradient() {
    let data = Mnist::load_default().unwrap();
    let m = Model::BagNet(live_bagnet(9, 4, 2));
    let ix: Vec<usize> = (0..6).collect();
    let (x, y) = (data.train.batch_f32(&ix), data.train.batch_labels(&ix));
    let (l, g) = m.loss_grad(im(&x, 28, 28), &y, 6).unwrap();
    let (l1, g1) = m.loss_grad(im(&x[..4 * 784], 28, 28), &y[..4], 6).unwrap();
    let (l2, g2) = m.loss_grad(im(&x[4 * 784..], 28, 28), &y[4..], 6).unwrap();
    assert!((l - l1 - l2).abs() < 1e-4 * l.abs(), "{l} vs {l1} + {l2}");
    for t in 0..g.len() {
        let sum: Vec<f32> = g1[t].iter().zip(&g2[t]).map(|(a, b)| a + b).collect();
        assert_close(&format!("tensor {t}"), &sum, &g[t], 1e-6, 1e-4);
    }
}

#[test]
fn model_files_round_trip_and_bad_files_are_errors() {
    for m in [Model::BagNet(live_bagnet(13, 5, 1)), Model::Cnn(Cnn::new(CnnConfig { width: 3, classes: 10 }, 2).unwrap())] {
        let bytes = m.to_safetensors(&Default::default()).unwrap();
        let (back, meta) = Model::from_safetensors(&bytes).unwrap();
        assert_eq!(back, m);
        assert!(meta["config"].contains("kind"));
    }
    assert!(Model::from_safetensors(b"junk").is_err());
    let other = paperlab::io::save_f32(&[("w", &[1], &[1.0])], &Default::default()).unwrap();
    let err = Model::from_safetensors(&other).unwrap_err().to_string();
    assert!(err.contains("config"), "{err}");
}

#[test]
fn experiment_helpers() {
    let mut rng = Rng::new(3);
    let img: Vec<f32> = (0..784).map(|i| i as f32).collect();
    // Scrambling permutes whole tiles: the multiset of pixels is kept, each tile arrives intact.
    for tile in [4, 7, 14] {
        let s = into_vec(scramble_tiles(view("img", &img, (28, 28)).unwrap(), tile, &mut rng).unwrap());
        let mut a = s.clone();
        a.sort_by(f32::total_cmp);
        assert_eq!(a, img);
        for tr in 0..28 / tile {
            for tc in 0..28 / tile {
                let first = s[tr * tile * 28 + tc * tile] as usize;
                for r in 0..tile {
                    for c in 0..tile {
                        assert_eq!(s[(tr * tile + r) * 28 + tc * tile + c] as usize, first + r * 28 + c);
                    }
                }
            }
        }
    }
    assert_eq!(into_vec(scramble_tiles(view("img", &img, (28, 28)).unwrap(), 28, &mut rng).unwrap()), img);
    assert!(scramble_tiles(view("img", &img, (28, 28)).unwrap(), 5, &mut rng).is_err());
    // Masking: exactly the union of the patches' pixels, brute force.
    let mut x = vec![1.0f32; 784];
    let patches = [(0, 0), (3, 4), (10, 11)];
    mask_patches(view_mut("x", &mut x, (28, 28)).unwrap(), 5, &patches, 0.0);
    for r in 0..28 {
        for c in 0..28 {
            let inside = patches.iter().any(|&(i, j)| (2 * i..2 * i + 5).contains(&r) && (2 * j..2 * j + 5).contains(&c));
            assert_eq!(x[r * 28 + c], if inside { 0.0 } else { 1.0 }, "({r},{c})");
        }
    }
    // Top patches: largest first, ties by index.
    let plane = [0.5, 2.0, -1.0, 2.0, 0.0, 3.0];
    assert_eq!(top_patches(view("plane", &plane, (2, 3)).unwrap(), 3), vec![(1, 2, 3.0), (0, 1, 2.0), (1, 0, 2.0)]);
    // Evidence is centred over classes at every location and keeps class differences.
    let map: Vec<f32> = (0..3 * 4).map(|i| (i * i % 7) as f32).collect();
    let ev = into_vec(evidence(view("map", &map, (3, 2, 2)).unwrap()));
    for l in 0..4 {
        assert!((0..3).map(|c| ev[c * 4 + l]).sum::<f32>().abs() < 1e-5);
        assert!((ev[l] - ev[4 + l] - (map[l] - map[4 + l])).abs() < 1e-5);
    }
}
