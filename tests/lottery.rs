//! Lottery-ticket machinery: exact survivor counts (closed form, exact integer arithmetic), the tie rule,
//! idempotent re-pruning, masks that survive training (weights and Adam moments of pruned weights stay zero),
//! bit-exact rewinding to theta_0 and to theta_k, the controls, and the LeNet task's fast sparse-input layer against
//! the dense MLP.

use crate::common::assert_close;
use paperlab::data::mnist::Mnist;
use paperlab::labs::lottery::{
    level_counts, plan, reinit_seed, Eval, Imp, ImpConfig, Kind, Mode, Role, Split, Task, VisionTask, LENET,
};
use ndarray::{aview1, ArrayView2};
use paperlab::nn::layers::softmax_cross_entropy;
use paperlab::nn::mlp::{Mlp, MlpGrads};
use paperlab::nn::prune::{prune_global, prune_layerwise, prune_tensor, survivors, Mask};
use paperlab::nn::Rng;

/// `round(n * (num/den)^k)` with round-half-up, in exact integer arithmetic:
/// `floor((2 n num^k + den^k) / (2 den^k))`.
fn exact_survivors(n: u128, num: u128, den: u128, k: u32) -> usize {
    let (a, b) = (num.pow(k), den.pow(k));
    ((2 * n * a + b) / (2 * b)) as usize
}

const LENET_SIZES: [usize; 3] = [784 * 300, 300 * 100, 100 * 10];

#[test]
fn survivor_counts_follow_the_closed_form_for_lenet() {
    // LTH's rates: 20% = 1/5 per round for the hidden layers, 10% = 1/10 for the output layer.
    let cfg = ImpConfig { rate: 0.2, rate_output: 0.1, ..Default::default() };
    let roles = [Role::Hidden, Role::Hidden, Role::Output];
    // A few values written out: 235200 * 0.8 = 188160; 30000 * 0.8^2 = 19200; 1000 * 0.9^3 = 729;
    // 235200 * 0.8^10 = 235200 * 0.1073741824 = 25254.41 -> 25254; 1000 * 0.9^20 = 121.58 -> 122.
    assert_eq!(survivors(235_200, 0.2, 1), 188_160);
    assert_eq!(survivors(30_000, 0.2, 2), 19_200);
    assert_eq!(survivors(1000, 0.1, 3), 729);
    assert_eq!(survivors(235_200, 0.2, 10), 25_254);
    assert_eq!(survivors(1000, 0.1, 20), 122);
    let mut rng = Rng::new(5);
    let mut mask = Mask::dense(&LENET_SIZES);
    for k in 0..=25u32 {
        let want = [
            exact_survivors(235_200, 4, 5, k),
            exact_survivors(30_000, 4, 5, k),
            exact_survivors(1000, 9, 10, k),
        ];
        let got: Vec<usize> = level_counts(&LENET_SIZES, &roles, &cfg, k as usize).into_iter().map(Option::unwrap).collect();
        assert_eq!(got, want, "round {k}");
        if k > 0 {
            // Prune for real: new "trained" weights every round, then the rule's targets.
            let ws: Vec<Vec<f32>> = LENET_SIZES.iter().map(|&n| (0..n).map(|_| rng.normal()).collect()).collect();
            let before = mask.clone();
            prune_layerwise(&ws.iter().map(Vec::as_slice).collect::<Vec<_>>(), &mut mask, &got).unwrap();
            assert_eq!(mask.counts(), want, "mask after round {k}");
            for (a, b) in mask.keep.iter().flatten().zip(before.keep.iter().flatten()) {
                assert!(!a || *b, "round {k} revived a pruned weight");
            }
        }
    }
    // The plan stops at the first level at or below the target: 0.8^18 of the hidden weights is ~1.8%.
    let p = plan(&LENET_SIZES, &roles, &ImpConfig { target: 0.02, ..cfg.clone() });
    assert_eq!(p.len(), 19);
    let last = p.last().unwrap();
    let total: usize = (0..3).map(|t| [exact_survivors(235_200, 4, 5, 18), exact_survivors(30_000, 4, 5, 18), exact_survivors(1000, 9, 10, 18)][t]).sum();
    assert_eq!(last.0, 18);
    assert!((last.1 - total as f64 / 266_200.0).abs() < 1e-12);
    assert!(p[17].1 > 0.02 && last.1 <= 0.02);
    // A target of 100% is met by the dense network: one level.
    assert_eq!(plan(&LENET_SIZES, &roles, &ImpConfig { target: 1.0, ..cfg.clone() }), vec![(0, 1.0)]);
}

#[test]
fn ties_are_broken_by_index_and_re_pruning_is_idempotent() {
    // |w| = 0 at 3 and 5, 0.25 at 0, 2 and 7 (ties), the rest larger.
    let w = [0.25f32, 1.0, -0.25, 0.0, 2.0, -0.0, 0.5, 0.25];
    let mut keep = vec![true; 8];
    prune_tensor(&w, &mut keep, 4).unwrap();
    // Pruned: the zeros (3, 5), then the 0.25s by index: 0 and 2; index 7 survives the tie.
    assert_eq!(keep, [false, true, false, false, true, false, true, true]);
    let once = keep.clone();
    prune_tensor(&w, &mut keep, 4).unwrap();
    assert_eq!(keep, once, "same target: nothing changes");
    // Idempotent also for a whole network and for global pruning, with other weights in the pruned slots.
    let mut rng = Rng::new(9);
    let ws: Vec<Vec<f32>> = [50usize, 30, 7].iter().map(|&n| (0..n).map(|_| rng.normal()).collect()).collect();
    let views: Vec<&[f32]> = ws.iter().map(Vec::as_slice).collect();
    let mut m = Mask::dense(&[50, 30, 7]);
    prune_global(&views, &mut m, 40).unwrap();
    assert_eq!(m.total(), 40);
    // The 87 weights sorted by magnitude: the 40 survivors are exactly the 40 largest.
    let mut all: Vec<f32> = ws.iter().flatten().map(|v| v.abs()).collect();
    all.sort_by(f32::total_cmp);
    let kept_min = ws.iter().flatten().zip(m.keep.iter().flatten()).filter(|(_, &k)| k).map(|(v, _)| v.abs()).fold(f32::INFINITY, f32::min);
    assert_eq!(kept_min, all[87 - 40]);
    let m1 = m.clone();
    prune_global(&views, &mut m, 40).unwrap();
    assert_eq!(m, m1);
    prune_layerwise(&views, &mut m, &m1.counts()).unwrap();
    assert_eq!(m, m1);
}

#[test]
fn random_masks_have_the_exact_counts() {
    let mut rng = Rng::new(3);
    let m = Mask::random(&LENET_SIZES, &[1000, 77, 3], &mut rng).unwrap();
    assert_eq!(m.counts(), vec![1000, 77, 3]);
    let g = Mask::random_global(&LENET_SIZES, 5000, &mut rng).unwrap();
    assert_eq!(g.total(), 5000);
    assert!(Mask::random(&[3], &[4], &mut rng).is_err());
}

/// A small classifier on fixed random data: 6 inputs, 12-8 hidden, 3 classes; minibatch `it % 4` of 4 fixed
/// batches. Cheap enough to run many IMP levels in a test.
struct Toy {
    mlp: Mlp,
    x: Vec<f32>,
    y: Vec<u8>,
}

impl Toy {
    fn new() -> Self {
        let mut rng = Rng::new(11);
        let x: Vec<f32> = (0..32 * 6).map(|_| rng.normal()).collect();
        let y: Vec<u8> = (0..32).map(|i| (i % 3) as u8).collect();
        Toy { mlp: Mlp::new(&[6, 12, 8, 3], &mut rng).unwrap(), x, y }
    }
}

impl Task for Toy {
    fn params(&self) -> Vec<&[f32]> {
        paperlab::labs::lottery::mlp_params(&self.mlp)
    }
    fn params_mut(&mut self) -> Vec<&mut [f32]> {
        self.mlp.params_mut()
    }
    fn prunable(&self) -> Vec<(usize, Role)> {
        paperlab::labs::lottery::mlp_prunable(&self.mlp)
    }
    fn init_params(&self, seed: u64) -> Vec<Vec<f32>> {
        let m = Mlp::new(&self.mlp.dims, &mut Rng::new(seed)).unwrap();
        paperlab::labs::lottery::mlp_params(&m).into_iter().map(<[f32]>::to_vec).collect()
    }
    fn loss_grad(&mut self, it: usize) -> paperlab::Result<(f32, Vec<Vec<f32>>)> {
        let b = it % 4;
        let (x, y) = (&self.x[b * 48..(b + 1) * 48], &self.y[b * 8..(b + 1) * 8]);
        let (z, c) = self.mlp.forward(ArrayView2::from_shape((8, 6), x)?)?;
        let (l, dz) = softmax_cross_entropy(z.view(), aview1(y))?;
        let mut g = MlpGrads::zeros(&self.mlp);
        self.mlp.backward(&c, dz.view(), &mut g, false)?;
        Ok((l, g.dw.into_iter().zip(g.db).flat_map(|(w, b)| [w, b]).collect()))
    }
    fn evaluate(&mut self) -> paperlab::Result<Eval> {
        let z = self.mlp.logits(ArrayView2::from_shape((32, 6), &self.x)?)?;
        let (l, _) = softmax_cross_entropy(z.view(), aview1(&self.y))?;
        Ok(Eval { select: l as f64, metric: -(l as f64) })
    }
}

fn snapshot(t: &impl Task) -> Vec<Vec<f32>> {
    t.params().iter().map(|p| p.to_vec()).collect()
}

fn bits(v: &[Vec<f32>]) -> Vec<Vec<u32>> {
    v.iter().map(|t| t.iter().map(|x| x.to_bits()).collect()).collect()
}

/// `values` with the prunable tensors (0, 2, 4) masked.
fn masked(values: &[Vec<f32>], mask: &Mask) -> Vec<Vec<f32>> {
    let mut out = values.to_vec();
    for (t, &pi) in [0usize, 2, 4].iter().enumerate() {
        for (v, &k) in out[pi].iter_mut().zip(&mask.keep[t]) {
            if !k {
                *v = 0.0;
            }
        }
    }
    out
}

fn toy_cfg(mode: Mode, rewind_iter: usize) -> ImpConfig {
    ImpConfig { rate: 0.3, rate_output: 0.15, target: 0.2, mode, rewind_iter, iters: 12, eval_every: 4, lr: 1e-2, seed: 4, ..Default::default() }
}

#[test]
fn masks_survive_training_with_zero_adam_moments() {
    let mut imp = Imp::new(Toy::new(), toy_cfg(Mode::Ticket, 0)).unwrap();
    imp.step(12).unwrap(); // level 0
    assert_eq!(imp.results().len(), 1);
    let mut checked = 0;
    while !imp.finished() {
        imp.step(1).unwrap();
        let Some((kind, level)) = imp.current_job() else { continue };
        assert_eq!(kind, Kind::Ticket);
        let mask = imp.current_mask().clone();
        let params = snapshot(&imp.task);
        let opt = imp.current_optimizer().unwrap();
        for (t, &pi) in [0usize, 2, 4].iter().enumerate() {
            let (m, v) = opt.moments(pi);
            for i in 0..mask.keep[t].len() {
                if !mask.keep[t][i] {
                    assert_eq!(params[pi][i].to_bits(), 0, "level {level}: pruned weight {t}/{i} is not +0.0");
                    assert_eq!((m[i], v[i]), (0.0, 0.0), "level {level}: Adam moments of pruned weight {t}/{i}");
                }
            }
        }
        checked += 1;
    }
    assert!(checked > 20);
    // Counts per level follow the rule (never-pruned tensors: none here).
    for r in imp.results() {
        let sizes = [72usize, 96, 24];
        let want: Vec<usize> = sizes.iter().zip([0.3, 0.3, 0.15]).map(|(&n, p)| survivors(n, p, r.level)).collect();
        assert_eq!(r.counts, want, "level {}", r.level);
    }
    assert!(imp.results().last().unwrap().remaining <= 0.2);
}

#[test]
fn rewinding_restores_the_survivors_bit_exactly() {
    // To init (LTH): the ticket at level 1 starts from theta_0 with the mask applied.
    let mut imp = Imp::new(Toy::new(), toy_cfg(Mode::Ticket, 0)).unwrap();
    let theta0 = imp.theta0().to_vec();
    assert_eq!(bits(&snapshot(&imp.task)), bits(&theta0));
    imp.step(12).unwrap();
    assert_ne!(bits(&snapshot(&imp.task)), bits(&theta0), "training moved the weights");
    imp.prepare().unwrap();
    let mask = imp.current_mask().clone();
    assert!(mask.total() < mask.size());
    assert_eq!(bits(&snapshot(&imp.task)), bits(&masked(&theta0, &mask)));

    // Late rewinding to iteration k: theta_k is the dense run after k iterations, bit for bit.
    let k = 5;
    let mut late = Imp::new(Toy::new(), toy_cfg(Mode::Ticket, k)).unwrap();
    let mut reference = Imp::new(Toy::new(), toy_cfg(Mode::Ticket, k)).unwrap();
    reference.step(k).unwrap();
    let theta_k = snapshot(&reference.task);
    late.step(12).unwrap();
    assert_eq!(bits(late.theta_k().unwrap()), bits(&theta_k));
    late.prepare().unwrap();
    let mask = late.current_mask().clone();
    assert_eq!(bits(&snapshot(&late.task)), bits(&masked(&theta_k, &mask)));
    // The rewound ticket resumes at iteration k: it trains iterations k..12 and is evaluated on the same grid.
    late.step(12).unwrap();
    let r = late.results().last().unwrap();
    assert_eq!((r.level, r.kind), (1, Kind::Ticket));
    assert_eq!(r.evals.iter().map(|e| e.0).collect::<Vec<_>>(), vec![8, 12]);
    assert_eq!(late.progress().done_iters, 12 + (12 - k));
    assert_eq!(late.progress().total_iters, 12 + (late.levels().len() - 1) * (12 - k));
    // Each later level rewinds to the same theta_k.
    late.prepare().unwrap();
    let mask2 = late.current_mask().clone();
    assert!(mask2.total() < mask.total());
    assert_eq!(bits(&snapshot(&late.task)), bits(&masked(&theta_k, &mask2)));
}

#[test]
fn controls_reinit_and_random_pruning() {
    let mut imp = Imp::new(Toy::new(), toy_cfg(Mode::Reinit, 0)).unwrap();
    imp.step(12).unwrap();
    // Level 1: the re-initialised control first, with the ticket's mask and a fresh init.
    imp.prepare().unwrap();
    assert_eq!(imp.current_job(), Some((Kind::Reinit, 1)));
    let mask = imp.current_mask().clone();
    let fresh = imp.task.init_params(reinit_seed(4, 1));
    assert_eq!(bits(&snapshot(&imp.task)), bits(&masked(&fresh, &mask)));
    imp.step(12).unwrap();
    imp.prepare().unwrap();
    assert_eq!(imp.current_job(), Some((Kind::Ticket, 1)));
    assert_eq!(imp.current_mask(), &mask, "the ticket and its control share the mask");
    let total = imp.progress().total_iters;
    imp.run(|_| {}).unwrap();
    let n_levels = imp.levels().len();
    assert_eq!(imp.results().len(), 1 + 2 * (n_levels - 1));
    assert_eq!(total, imp.results().len() * 12);
    assert_eq!(imp.progress().done_iters, total);

    // Random pruning: the same counts at each level, from theta_0, masks unrelated to magnitudes.
    let mut rnd = Imp::new(Toy::new(), toy_cfg(Mode::Random, 0)).unwrap();
    let theta0 = rnd.theta0().to_vec();
    rnd.step(12).unwrap();
    rnd.prepare().unwrap();
    assert_eq!(rnd.current_job(), Some((Kind::Random, 1)));
    let m = rnd.current_mask().clone();
    assert_eq!(bits(&snapshot(&rnd.task)), bits(&masked(&theta0, &m)));
    rnd.run(|_| {}).unwrap();
    for (a, b) in rnd.results().iter().zip(imp.results().iter().filter(|r| r.kind == Kind::Ticket)) {
        assert_eq!(a.counts, b.counts, "level {}", a.level);
    }
}

#[test]
fn global_pruning_and_runs_are_deterministic() {
    let cfg = ImpConfig { global: true, ..toy_cfg(Mode::Ticket, 0) };
    let run = || {
        let mut imp = Imp::new(Toy::new(), cfg.clone()).unwrap();
        imp.run(|_| {}).unwrap();
        imp.results().to_vec()
    };
    let a = run();
    assert_eq!(a, run());
    for r in &a {
        assert_eq!(r.counts.iter().sum::<usize>(), survivors(192, 0.3, r.level), "level {}", r.level);
    }
}

#[test]
fn lenet_sparse_input_layer_matches_the_dense_mlp() {
    let data = Mnist::load_default().unwrap();
    let mut task = VisionTask::new(&data, 60, 1).unwrap();
    task.p = task.init_params(3);
    // Give the biases some values so they are checked too.
    for (i, b) in task.p[1].iter_mut().enumerate() {
        *b = 0.01 * (i % 7) as f32 - 0.03;
    }
    let mlp = task.to_mlp();
    assert_eq!(mlp.dims, LENET.to_vec());
    assert_eq!(VisionTask::from_mlp(&mlp), task.p);
    let rows = task.batch_rows(0);
    let (z, cache) = task.forward(Split::Train, &rows).unwrap();
    let x = data.train.batch_f32(&rows);
    let (zd, cd) = mlp.forward(ArrayView2::from_shape((rows.len(), 784), &x).unwrap()).unwrap();
    assert_close("logits", z.as_slice().unwrap(), zd.as_slice().unwrap(), 1e-5, 1e-4);
    let y: Vec<u8> = rows.iter().map(|&r| data.train.labels[r]).collect();
    let (_, dz) = softmax_cross_entropy(z.view(), aview1(&y)).unwrap();
    let g = task.backward(Split::Train, &cache, dz.view()).unwrap();
    let mut gd = MlpGrads::zeros(&mlp);
    mlp.backward(&cd, dz.view(), &mut gd, false).unwrap();
    let gd_task = VisionTask::from_mlp(&Mlp { dims: LENET.to_vec(), w: gd.dw.clone(), b: gd.db.clone() });
    for (t, (a, b)) in g.iter().zip(&gd_task).enumerate() {
        assert_close(&format!("gradient {t}"), a, b, 1e-6, 1e-4);
    }
    assert_eq!(task.len(Split::Validation), 1000);
    assert_eq!(task.len(Split::Test), 2000);
}

#[test]
fn lenet_imp_keeps_its_masks() {
    let data = Mnist::load_default().unwrap();
    let task = VisionTask::new(&data, 60, 1).unwrap();
    let cfg = ImpConfig { rate: 0.5, rate_output: 0.25, target: 0.3, iters: 4, eval_every: 4, mode: Mode::Ticket, seed: 2, ..Default::default() };
    let mut imp = Imp::new(task, cfg).unwrap();
    imp.run(|_| {}).unwrap();
    let last = imp.results().last().unwrap();
    assert_eq!(last.counts, vec![survivors(235_200, 0.5, 2), survivors(30_000, 0.5, 2), survivors(1000, 0.25, 2)]);
    let mask = imp.current_mask();
    for (t, &pi) in [0usize, 2, 4].iter().enumerate() {
        let zeros = imp.task.p[pi].iter().zip(&mask.keep[t]).filter(|(w, &k)| !k && **w == 0.0).count();
        assert_eq!(zeros, mask.keep[t].len() - last.counts[t]);
    }
    assert!(last.metric_at_es > 0.1, "four iterations already beat chance");
}
