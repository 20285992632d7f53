//! Permuted MNIST for the ucb lab (`Mode::Perm`, `SplitMnist::permuted`): the task permutations are bijections of the
//! 784 pixels, fixed by the seed (task 1 the identity); permuting and then applying the inverse gives back the shipped
//! images exactly; a permuted run has a 10-way head per task, UCB's rule (shared means at lr * sigma, a fresh head at
//! the base rate), and its ACC/BWT by hand from its matrix; mixing up the data and the mode is an error, not a panic.

use std::sync::Arc;

use paperlab::data::mnist::{Mnist, PIXELS};
use paperlab::labs::ucb::*;

fn mnist() -> Mnist {
    Mnist::load_default().expect("the shipped MNIST subset")
}

#[test]
fn permutations_are_seeded_bijections() {
    for seed in [1u64, 2, 99] {
        let id = task_permutation(seed, 0);
        assert_eq!(id, (0..PIXELS as u32).collect::<Vec<_>>(), "task 1 is the identity");
        for t in 1..TASKS {
            let p = task_permutation(seed, t);
            assert_eq!(p.len(), PIXELS);
            let mut seen = vec![false; PIXELS];
            for &j in &p {
                assert!(!seen[j as usize], "seed {seed} task {t}: pixel {j} used twice");
                seen[j as usize] = true;
            }
            assert!(seen.iter().all(|&s| s), "seed {seed} task {t}: every pixel is used");
            assert_eq!(p, task_permutation(seed, t), "deterministic given (seed, task)");
            let fixed = p.iter().enumerate().filter(|&(j, &q)| j as u32 == q).count();
            assert!(fixed < 20, "seed {seed} task {t}: {fixed} fixed points, a random permutation has about 1");
            for u in 1..t {
                assert_ne!(p, task_permutation(seed, u), "tasks {u} and {t} differ");
            }
            assert_ne!(p, task_permutation(seed + 1000, t), "another seed, another permutation");
        }
    }
}

#[test]
fn permute_then_inverse_is_the_original() {
    // The definition on an image whose pixel i holds i: x'[j] = x[perm[j]] = perm[j].
    let ramp: Vec<f32> = (0..PIXELS).map(|i| i as f32).collect();
    let p = task_permutation(7, 3);
    let y = apply_perm(&ramp, &p).unwrap();
    for j in 0..PIXELS {
        assert_eq!(y[j], p[j] as f32, "pixel {j}");
    }
    // Round trip on real images, exactly.
    let m = mnist();
    let idx: Vec<usize> = (0..50).collect();
    let x = m.train.batch_f32(&idx);
    for t in 0..TASKS {
        let p = task_permutation(3, t);
        let inv = invert_perm(&p).unwrap();
        let xp = apply_perm(&x, &p).unwrap();
        if t > 0 {
            assert_ne!(xp, x, "task {t} moves pixels");
        }
        let back = apply_perm(&xp, &inv).unwrap();
        let bad: Vec<usize> = (0..x.len()).filter(|&i| back[i] != x[i]).take(5).collect();
        assert!(bad.is_empty(), "task {t}: first mismatches at {bad:?}");
        let mut a = xp.clone();
        let mut b = x.clone();
        a.sort_by(f32::total_cmp);
        b.sort_by(f32::total_cmp);
        assert_eq!(a, b, "a permutation keeps the multiset of values");
    }
    // Bad input is an error.
    let mut dup = task_permutation(1, 1);
    dup[5] = dup[6];
    assert!(apply_perm(&ramp, &dup).is_err(), "a repeated index");
    assert!(invert_perm(&[0, 3, 1]).is_err(), "an index out of range");
    assert!(apply_perm(&ramp, &p[..100]).is_err(), "a short permutation");
    assert!(apply_perm(&ramp[..100], &p).is_err(), "not a whole image");
}

#[test]
fn permuted_mnist_tasks_are_the_same_digits_permuted() {
    let m = mnist();
    let d = SplitMnist::permuted(&m, 4, 300).unwrap();
    assert!(d.is_permuted() && !SplitMnist::new(&m).is_permuted());
    assert_eq!(d.train.len(), TASKS);
    assert_eq!(d.test.len(), TASKS);
    for t in 0..TASKS {
        assert_eq!(d.perms[t], task_permutation(4, t));
        assert_eq!(d.train[t].n(), 300);
        assert_eq!(d.test[t].n(), m.test.n);
        assert_eq!(d.train[t].digits, d.train[0].digits, "every task has the same labels");
        let inv = invert_perm(&d.perms[t]).unwrap();
        assert_eq!(apply_perm(&d.test[t].x, &inv).unwrap(), d.test[0].x, "task {t}'s test images un-permuted are task 1's");
        assert_eq!(apply_perm(&d.train[t].x, &inv).unwrap(), m.train.batch_f32(&(0..300).collect::<Vec<_>>()));
    }
    let mut classes = d.train[0].digits.clone();
    classes.sort();
    classes.dedup();
    assert_eq!(classes, (0..10).collect::<Vec<u8>>(), "all ten digits in a task");
    assert!(SplitMnist::permuted(&m, 4, 0).is_err());
}

fn small_cfg(method: Method, mode: Mode) -> Config {
    let mut c = Config::default_for(method, mode, 2);
    c.hidden = vec![32];
    c.epochs = 4;
    c
}

#[test]
fn a_permuted_run_learns_each_task_with_its_own_head_and_ucb_rule() {
    let m = mnist();
    let perm = Arc::new(SplitMnist::permuted(&m, 2, 400).unwrap());
    let split = Arc::new(SplitMnist::new(&m));
    assert!(Run::new(small_cfg(Method::Ucb, Mode::Perm), split.clone()).is_err(), "perm mode on split data");
    assert!(Run::new(small_cfg(Method::Ucb, Mode::Task), perm.clone()).is_err(), "split mode on permuted data");
    assert_eq!("perm".parse::<Mode>().unwrap(), Mode::Perm);

    let mut r = Run::new(small_cfg(Method::Ucb, Mode::Perm), perm.clone()).unwrap();
    assert_eq!(r.net().heads.len(), TASKS);
    assert!(r.net().heads.iter().all(|h| h.out == 10), "a 10-way head per task");
    while r.phase() != Phase::Train(1) {
        r.advance(16).unwrap();
    }
    // Task 2: the shared layer's means at lr * sigma (sigma at the start of the task), the fresh head at the base rate.
    let scales = r.lr_scales();
    let path = r.net().path(1);
    assert_eq!(scales.len(), 2);
    assert_eq!(scales[0].0, path[0].w_sigma(), "shared weights scaled by their sigma");
    assert!(scales[1].0.is_empty() && scales[1].1.is_empty(), "task 2's head is new: base rate");
    r.run_to_end(|_, _| {}).unwrap();
    let mat = r.matrix();
    assert!(mat.iter().all(|row| row.iter().all(|v| v.is_finite() && (0.0..=1.0).contains(v))));
    for t in 0..TASKS {
        // Task 1 at the base rate; later tasks above chance only: from task 2 on UCB's shared means move at lr * sigma
        // (about lr / 20), so a new permutation is learned mostly by its fresh head.
        let want = if t == 0 { 0.5 } else { 0.15 };
        assert!(mat[t][t] > want, "task {} learned to {:.1}% right after training it (chance 10%)", t + 1, 100.0 * mat[t][t]);
    }
    // ACC and BWT by hand.
    let acc = (0..TASKS).map(|i| mat[TASKS - 1][i] as f64).sum::<f64>() / TASKS as f64;
    let bwt = (0..TASKS - 1).map(|i| (mat[TASKS - 1][i] - mat[i][i]) as f64).sum::<f64>() / (TASKS - 1) as f64;
    let (a, b) = acc_bwt(mat);
    assert!((a as f64 - acc).abs() < 1e-6 && (b as f64 - bwt).abs() < 1e-6, "ACC {a} vs {acc}, BWT {b} vs {bwt}");
    let met = metrics(mat);
    assert_eq!(met.acc, Some(a));
    assert_eq!(met.learned.len(), TASKS);
    assert_eq!(r.hists().last().unwrap().len(), 2, "shared layer + the heads trained so far");

    // Fine-tuning on the same sequence: every task learned, and the identity task is forgotten in part (the premise of
    // the benchmark: a new permutation overwrites the shared layer).
    let mut f = Run::new(small_cfg(Method::Finetune, Mode::Perm), perm).unwrap();
    f.run_to_end(|_, _| {}).unwrap();
    let fm = f.matrix();
    assert!((0..TASKS).all(|t| fm[t][t] > 0.5), "fine-tuning learns every task: {:?}", (0..TASKS).map(|t| fm[t][t]).collect::<Vec<_>>());
    assert!(fm[TASKS - 1][0] < fm[0][0], "task 1 after task 5 ({}) below right after task 1 ({})", fm[TASKS - 1][0], fm[0][0]);
}
