//! What the lottery page asks of the engine (src/labs/lottery/page.rs), against independent references:
//! - the plan equals the one the page computed in JavaScript before it moved here (tests/fixtures/lottery/plan-js.json,
//!   written by scripts/lottery-plan-fixture.mjs from the old page), and the survivor counts of actually pruning
//!   random weights round by round (brute force);
//! - the shipped mask file read by `RoundMasks` equals a hand-rolled reading of its bytes (the page's old reader),
//!   and each level keeps the rule's count;
//! - the page's settings map to the engine's configuration as the page did (rates, rewinding, evaluation interval);
//! - the mask pictures the engine paints equal a per-pixel reading of the tile layout and the colour ramp.

use ndarray::{aview1, ArrayView2};
use paperlab::labs::lottery::page::{
    imp_config, mask_summary, mask_tiles_rgba, plan_view, share_rgba, units_from_keep, MaskPalette, PageSettings, Rewind, RoundMasks, Setting, SHIPPED_VOCAB,
};
use paperlab::labs::lottery::text::{LmConfig, TextTask};
use paperlab::labs::lottery::{Mode, Role, Stop, Task};
use paperlab::nn::prune::{prune_global, prune_layerwise, survivors, Mask};
use paperlab::nn::Rng;

static PLAN_JS: &str = include_str!("fixtures/lottery/plan-js.json");
static MASKS_GZ: &[u8] = include_bytes!("../www/models/lottery/vision-masks.safetensors.gz");
static TEXT_GZ: &[u8] = include_bytes!("../www/data/moby-dick-200k.txt.gz");
static MANIFEST: &str = include_str!("../www/models/lottery/manifest.json");

fn settings(rate: f64, target: f64, global: bool, prune_embedding: bool) -> PageSettings {
    PageSettings { rate, target, rewind: Rewind::Init, k: 0, global, iters: 100, seed: 1, prune_embedding }
}

#[test]
fn the_plan_is_the_one_the_page_computed_in_javascript() {
    let fx: serde_json::Value = serde_json::from_str(PLAN_JS).unwrap();
    let cases = fx["cases"].as_array().unwrap();
    assert!(cases.len() > 700);
    let mut bad = Vec::new();
    for c in cases {
        let setting: Setting = c["setting"].as_str().unwrap().parse().unwrap();
        let (sizes, roles) = setting.architecture(SHIPPED_VOCAB);
        let s = settings(c["rate"].as_f64().unwrap(), c["target"].as_f64().unwrap(), c["global"].as_bool().unwrap(), c["prune_embedding"].as_bool().unwrap());
        let p = plan_view(setting, &sizes, &roles, &s).unwrap();
        let want: Vec<f64> = c["remaining"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
        let stop = serde_json::to_value(p.stop).unwrap();
        let same = p.levels.len() == want.len()
            && p.levels.iter().enumerate().all(|(i, l)| l.level == i && (l.remaining - want[i]).abs() < 1e-12)
            && stop == c["stop"];
        if !same {
            bad.push(format!("{c}: got {:?} {:?}", p.stop, p.levels.iter().map(|l| l.remaining).collect::<Vec<_>>()));
        }
    }
    assert!(bad.is_empty(), "{} of {} plans differ; first: {}", bad.len(), cases.len(), bad.iter().take(3).cloned().collect::<Vec<_>>().join("\n"));
}

#[test]
fn the_plan_says_why_it_stops() {
    let one = |sizes: &[usize], rate, target| {
        let roles = vec![Role::Hidden; sizes.len()];
        plan_view(Setting::Vision, sizes, &roles, &settings(rate, target, false, true)).unwrap()
    };
    assert_eq!(one(&[1000], 0.2, 50.0).stop, Stop::Target);
    let capped = one(&[100_000], 0.05, 1.0);
    assert_eq!(capped.stop, Stop::Cap);
    assert_eq!(capped.levels.len(), 41);
    assert!(capped.levels[40].remaining > 0.01);
    // 3 weights at 10%: round(3 * 0.9) = 3, nothing is ever pruned.
    assert_eq!(one(&[3], 0.1, 1.0).stop, Stop::Stuck);
    // The page's headline at its defaults: 4.47% after 14 rounds.
    let (sizes, roles) = Setting::Vision.architecture(0);
    let p = plan_view(Setting::Vision, &sizes, &roles, &settings(0.2, 5.0, false, true)).unwrap();
    let last = p.levels.last().unwrap();
    assert_eq!((last.level, format!("{:.2}", last.remaining * 100.0)), (14, "4.47".to_string()));
}

/// Prunes random weights round by round to the rule's counts (layer-wise or globally) and compares the survivors
/// with the plan's counts and fractions.
#[test]
fn the_plan_matches_pruning_random_weights() {
    let mut rng = Rng::new(9);
    for setting in [Setting::Rl, Setting::Lm] {
        let (sizes, roles) = setting.architecture(SHIPPED_VOCAB);
        for global in [false, true] {
            for emb in [true, false] {
                let s = PageSettings { rate: 0.35, target: 3.0, global, prune_embedding: emb, ..settings(0.35, 3.0, global, emb) };
                let p = plan_view(setting, &sizes, &roles, &s).unwrap();
                let ws: Vec<Vec<f32>> = sizes.iter().map(|&n| (0..n).map(|_| rng.normal()).collect()).collect();
                let wr: Vec<&[f32]> = ws.iter().map(Vec::as_slice).collect();
                let frozen = |i: usize| roles[i] == Role::Embedding && !emb;
                let mut mask = Mask::dense(&sizes);
                for l in &p.levels[1..] {
                    if global {
                        // One ranking over the pruned tensors; a frozen embedding is left out of it.
                        let idx: Vec<usize> = (0..sizes.len()).filter(|&i| !frozen(i)).collect();
                        let pool: usize = idx.iter().map(|&i| sizes[i]).sum();
                        let mut sub = Mask { keep: idx.iter().map(|&i| mask.keep[i].clone()).collect() };
                        let sw: Vec<&[f32]> = idx.iter().map(|&i| wr[i]).collect();
                        prune_global(&sw, &mut sub, survivors(pool, 0.35, l.level)).unwrap();
                        for (j, &i) in idx.iter().enumerate() {
                            mask.keep[i] = sub.keep[j].clone();
                        }
                    } else {
                        let targets: Vec<usize> = (0..sizes.len())
                            .map(|i| if frozen(i) { sizes[i] } else { survivors(sizes[i], if roles[i] == Role::Output { 0.175 } else { 0.35 }, l.level) })
                            .collect();
                        prune_layerwise(&wr, &mut mask, &targets).unwrap();
                    }
                    let counts = mask.counts();
                    let total: usize = counts.iter().sum();
                    let n: usize = sizes.iter().sum();
                    assert!((l.remaining - total as f64 / n as f64).abs() < 1e-12, "{setting:?} global={global} emb={emb} level {}", l.level);
                    for (i, c) in l.counts.iter().enumerate() {
                        if let Some(c) = c {
                            assert_eq!(*c, counts[i], "{setting:?} global={global} emb={emb} level {} tensor {i}", l.level);
                        }
                    }
                }
                assert!(p.levels.len() > 3);
            }
        }
    }
}

#[test]
fn the_page_settings_become_the_engine_configuration() {
    let s = PageSettings { rate: 0.3, target: 10.0, rewind: Rewind::Reinit, k: 50, global: false, iters: 40, seed: 7, prune_embedding: false };
    // Vision: re-init follows the ticket rewound to init; RL / language: the late-rewound one (k clamped below iters).
    let v = imp_config(Setting::Vision, &s).unwrap();
    assert_eq!((v.rate_output, v.target, v.mode, v.rewind_iter, v.eval_every, v.seed), (0.15, 0.1, Mode::Reinit, 0, 4, 7));
    let r = imp_config(Setting::Rl, &s).unwrap();
    assert_eq!((r.rewind_iter, r.eval_every, r.lr), (39, 4, 3e-3));
    let late = imp_config(Setting::Vision, &PageSettings { rewind: Rewind::Late, k: 5, ..s.clone() }).unwrap();
    assert_eq!((late.mode, late.rewind_iter), (Mode::Ticket, 5));
    let random = imp_config(Setting::Lm, &PageSettings { rewind: Rewind::Random, ..s.clone() }).unwrap();
    assert_eq!((random.mode, random.rewind_iter), (Mode::Random, 0));
    assert_eq!(imp_config(Setting::Vision, &PageSettings { iters: 1500, ..s.clone() }).unwrap().eval_every, 100);
    assert_eq!(imp_config(Setting::Vision, &PageSettings { iters: 3, ..s.clone() }).unwrap().eval_every, 1);
    // Out of range: an error that names the value, never a panic.
    for bad in [PageSettings { rate: 1.5, ..s.clone() }, PageSettings { target: f64::NAN, ..s.clone() }, PageSettings { target: 0.0, ..s.clone() }, PageSettings { iters: 0, ..s.clone() }] {
        let e = imp_config(Setting::Vision, &bad).unwrap_err().to_string();
        assert!(!e.is_empty());
    }
    assert!("bogus".parse::<Setting>().is_err());
    // The run's size: reinit trains the ticket and its control at every pruned level; rewound tickets resume at k.
    let (sizes, roles) = Setting::Rl.architecture(0);
    let p = plan_view(Setting::Rl, &sizes, &roles, &s).unwrap();
    let pruned = p.levels.len() - 1;
    assert_eq!(p.networks, 1 + 2 * pruned);
    // The dense network: 40; every pruned level: the ticket resumes at 39 (1 iteration) and its control trains 40.
    let (iters, k) = (40, 39);
    assert_eq!(p.total_iters, iters + pruned * ((iters - k) + iters));
    assert_eq!(p.resume_at, 39);
}

#[test]
fn the_language_model_sizes_are_the_shipped_texts() {
    let t = TextTask::from_gz(TEXT_GZ, LmConfig::default(), 1).unwrap();
    assert_eq!(t.vocab.len(), SHIPPED_VOCAB);
    let p = t.params();
    let pr = t.prunable();
    let (sizes, roles) = Setting::Lm.architecture(SHIPPED_VOCAB);
    assert_eq!(pr.iter().map(|&(i, _)| p[i].len()).collect::<Vec<_>>(), sizes);
    assert_eq!(pr.iter().map(|&(_, r)| r).collect::<Vec<_>>(), roles);
}

/// The page's former reader of a safetensors file: 8-byte little-endian header length, a JSON header, raw bytes.
fn naive_tensor(bytes: &[u8], name: &str) -> (Vec<usize>, Vec<u8>) {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let h: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    let t = &h[name];
    let shape = t["shape"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as usize).collect();
    let off: Vec<usize> = t["data_offsets"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as usize).collect();
    (shape, bytes[8 + n + off[0]..8 + n + off[1]].to_vec())
}

#[test]
fn the_shipped_masks_read_as_the_page_read_them() {
    let m = RoundMasks::from_bytes(MASKS_GZ).unwrap();
    let raw = paperlab::io::gunzip(MASKS_GZ, 1 << 24).unwrap();
    let (shape, data) = naive_tensor(&raw, "layer0");
    assert_eq!(shape, vec![m.units, m.inputs]);
    assert_eq!((m.units, m.inputs), (300, 784));
    assert_eq!(data, m.rounds);
    // Ungzipped bytes read the same.
    assert_eq!(RoundMasks::from_bytes(&raw).unwrap(), m);
    // Each level of the shipped ticket (20% per round) keeps the rule's count, and the manifest's.
    let man: serde_json::Value = serde_json::from_str(MANIFEST).unwrap();
    let pts = man["settings"]["vision"]["series"]["ticket"]["points"].as_array().unwrap();
    let mut last = usize::MAX;
    for p in pts {
        let level = p["level"].as_u64().unwrap() as usize;
        let (mask, kept) = m.at(level);
        assert_eq!(kept, survivors(235_200, 0.2, level), "level {level}");
        assert_eq!(kept as u64, p["counts"][0].as_u64().unwrap(), "level {level}");
        assert_eq!(mask.iter().filter(|&&b| b == 1).count(), kept);
        assert!(kept <= last);
        last = kept;
    }
    // Bad bytes are errors.
    assert!(RoundMasks::from_bytes(b"not a file").is_err());
    assert!(RoundMasks::from_bytes(&MASKS_GZ[..100]).is_err());
}

#[test]
fn first_layer_masks_are_drawn_unit_major() {
    let (units, inputs) = (3, 4);
    // keep[i * units + u]: unit u keeps input i when (u + i) is even.
    let keep: Vec<bool> = (0..units * inputs).map(|j| (j % units + j / units) % 2 == 0).collect();
    let got = units_from_keep(&keep, units, inputs).unwrap();
    for u in 0..units {
        for i in 0..inputs {
            assert_eq!(got[u * inputs + i] == 1, (u + i) % 2 == 0, "unit {u} input {i}");
        }
    }
    assert!(units_from_keep(&keep, 2, 4).is_err());
}

#[test]
fn mask_summaries_count_by_brute_force() {
    let m = RoundMasks::from_bytes(MASKS_GZ).unwrap();
    for level in [0, 3, 9] {
        let (mask, kept) = m.at(level);
        let s = paperlab::labs::lottery::page::mask_summary(&mask, 300, 28, 4).unwrap();
        assert_eq!((s.kept, s.total), (kept, 235_200));
        // Independent count: pixel by pixel over the units, and the ring by coordinates.
        let (mut bk, mut bn, mut ck, mut cn) = (0usize, 0usize, 0usize, 0usize);
        for y in 0..28 {
            for x in 0..28 {
                let k = (0..300).filter(|u| mask[u * 784 + y * 28 + x] == 1).count();
                assert!((s.pixel_share[y * 28 + x] - k as f32 / 300.0).abs() < 1e-6);
                if x.min(y).min(27 - x).min(27 - y) < 4 {
                    (bk, bn) = (bk + k, bn + 300);
                } else {
                    (ck, cn) = (ck + k, cn + 300);
                }
            }
        }
        assert!((s.border_kept - bk as f64 / bn as f64).abs() < 1e-12 && (s.centre_kept - ck as f64 / cn as f64).abs() < 1e-12);
        if level == 0 {
            assert_eq!((s.border_kept, s.centre_kept), (1.0, 1.0));
        } else {
            assert!(s.border_kept < s.centre_kept, "the shipped ticket prunes the empty border first (level {level})");
        }
    }
    assert!(paperlab::labs::lottery::page::mask_summary(&[1; 10], 300, 28, 4).is_err());
    assert!(paperlab::labs::lottery::page::mask_summary(&vec![1; 300 * 784], 300, 28, 14).is_err());
}

const PAL: MaskPalette = MaskPalette { ink: [0, 110, 80], background: [236, 238, 242], gap: [255, 255, 254] };

#[test]
fn mask_picture_is_the_tile_layout_pixel_by_pixel() {
    // The shipped mask of level 3 (300 units of 28 x 28), and a small odd case: 7 units of 3 x 3 in rows of 3
    // (the last row part-filled).
    let rm = RoundMasks::from_bytes(MASKS_GZ).unwrap();
    let (m, _) = rm.at(3);
    let mut rng = Rng::new(4);
    let small: Vec<u8> = (0..7 * 9).map(|_| (rng.uniform() < 0.5) as u8).collect();
    for (mask, units, side, cols) in [(&m, rm.units, 28usize, 20usize), (&small, 7, 3, 3)] {
        let img = mask_tiles_rgba(ArrayView2::from_shape((units, side * side), mask).unwrap(), side, cols, &PAL).unwrap();
        let rows = units.div_ceil(cols);
        assert_eq!(img.dim(), (rows * (side + 1) + 1, cols * (side + 1) + 1, 4));
        let mut bad = 0;
        for ((y, x, k), &v) in img.indexed_iter() {
            // Independent reading: pixel (y, x) is gap unless it lies inside tile (ty, tx) at (ry, rx) < side.
            let want = if k == 3 {
                255
            } else if y == 0 || x == 0 || (y - 1) % (side + 1) == side || (x - 1) % (side + 1) == side {
                PAL.gap[k]
            } else {
                let (ty, ry, tx, rx) = ((y - 1) / (side + 1), (y - 1) % (side + 1), (x - 1) / (side + 1), (x - 1) % (side + 1));
                let u = ty * cols + tx;
                if u >= units {
                    PAL.gap[k]
                } else if mask[u * side * side + ry * side + rx] != 0 {
                    PAL.ink[k]
                } else {
                    PAL.background[k]
                }
            };
            if v != want && bad < 5 {
                println!("side {side}: pixel ({y}, {x}) channel {k} is {v}, expected {want}");
            }
            bad += (v != want) as usize;
        }
        assert_eq!(bad, 0, "{bad} wrong bytes in the {side} x {side} tile picture");
    }
    assert!(mask_tiles_rgba(ArrayView2::from_shape((2, 8), &[0u8; 16]).unwrap(), 3, 2, &PAL).is_err(), "rows that are not side² long");
    assert!(mask_tiles_rgba(ArrayView2::from_shape((1, 9), &[0u8; 9]).unwrap(), 3, 0, &PAL).is_err(), "no columns");
    assert!(MaskPalette::from_bytes(&[1, 2, 3]).is_err());
    assert_eq!(MaskPalette::from_bytes(&[0, 110, 80, 236, 238, 242, 255, 255, 254]).unwrap(), PAL);
}

#[test]
fn share_picture_follows_the_square_root_ramp() {
    let rm = RoundMasks::from_bytes(MASKS_GZ).unwrap();
    let (m, _) = rm.at(5);
    let s = mask_summary(&m, rm.units, 28, 4).unwrap();
    let share = ArrayView2::from_shape((28, 28), &s.pixel_share).unwrap();
    let img = share_rgba(share, &PAL);
    for ((y, x), &v) in share.indexed_iter() {
        for k in 0..3 {
            // The page's old formula: round(bg + (ink - bg) sqrt(share)), in f64.
            let want = (PAL.background[k] as f64 + (PAL.ink[k] as f64 - PAL.background[k] as f64) * (v as f64).sqrt()).round();
            assert_eq!(img[[y, x, k]] as f64, want, "pixel ({y}, {x}) channel {k}, share {v}");
        }
        assert_eq!(img[[y, x, 3]], 255);
    }
    // The ends of the ramp, and values outside [0, 1] clamped.
    let ends = share_rgba(aview1(&[0.0f32, 1.0, f32::NAN, 7.0, -1.0]).insert_axis(ndarray::Axis(0)), &PAL);
    for (j, want) in [PAL.background, PAL.ink, PAL.background, PAL.ink, PAL.background].iter().enumerate() {
        assert_eq!([ends[[0, j, 0]], ends[[0, j, 1]], ends[[0, j, 2]]], *want, "share end {j}");
    }
}
