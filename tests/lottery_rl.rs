//! The reinforcement-learning setting: CartPole dynamics against steps computed by hand, termination and the
//! 500-step cap, the policy-gradient loss's gradient against finite differences, and a tiny IMP run.

use crate::common::check_grad;
use ndarray::ArrayView2;
use paperlab::labs::lottery::cartpole::{dynamics, pg_loss_grad, terminal, CartPole, CartPoleTask, RlConfig, MAX_STEPS, THETA_LIMIT};
use paperlab::labs::lottery::{Imp, ImpConfig, Mode};
use paperlab::nn::prune::survivors;
use paperlab::nn::Rng;

fn close(what: &str, got: [f64; 4], want: [f64; 4], tol: f64) {
    for i in 0..4 {
        assert!((got[i] - want[i]).abs() <= tol, "{what}: component {i}: {} vs {} (all: {got:?} vs {want:?})", got[i], want[i]);
    }
}

#[test]
fn cartpole_steps_match_hand_computation() {
    // Constants: g = 9.8, m_c = 1.0, m_p = 0.1 (total 1.1), l = 0.5, m_p l = 0.05, F = 10, tau = 0.02.
    //
    // Step 1 from rest, push right (F = +10); sin 0 = 0, cos 0 = 1:
    //   temp      = (F + m_p l thd^2 sin) / 1.1 = 10 / 1.1 = 100/11
    //   theta_acc = (g sin - cos temp) / (l (4/3 - m_p cos^2 / 1.1)) = (-100/11) / (0.5 (4/3 - 1/11))
    //             = (-100/11) / (41/66) = -600/41
    //   x_acc     = temp - m_p l theta_acc cos / 1.1 = 100/11 + 30/(41 * 1.1) = 100/11 + 300/451 = 400/41
    //   Euler: x = 0 + tau 0 = 0; x_dot = tau 400/41 = 8/41; theta = 0; theta_dot = tau (-600/41) = -12/41.
    let s1 = dynamics([0.0; 4], 1);
    close("step 1", s1, [0.0, 8.0 / 41.0, 0.0, -12.0 / 41.0], 1e-15);
    // Step 2, push left (F = -10), still theta = 0: every acceleration flips sign (temp = -100/11, theta_acc = 600/41,
    // x_acc = -400/41), and the Euler step uses the old velocities for the positions:
    //   x = 0 + 0.02 * 8/41 = 4/1025; x_dot = 8/41 - 0.02 * 400/41 = 0;
    //   theta = 0 + 0.02 * (-12/41) = -6/1025; theta_dot = -12/41 + 0.02 * 600/41 = 0.
    let s2 = dynamics(s1, 0);
    close("step 2", s2, [4.0 / 1025.0, 0.0, -6.0 / 1025.0, 0.0], 1e-15);
    // Step 3, push right, now with theta = -6/1025 = -0.005853658...:
    //   sin = -0.0058536251 (theta - theta^3/6), cos = 0.9999828674 (1 - theta^2/2), temp = 100/11 = 9.0909091
    //   theta_acc = (9.8 * -0.0058536251 - 0.9999828674 * 9.0909091) / (0.5 (4/3 - 0.1 * 0.9999657349 / 1.1))
    //             = (-0.0573655 - 9.0907533) / 0.6212136787 = -9.1481188 / 0.6212136787 = -14.7262032
    //   x_acc     = 9.0909091 + 0.05 * 14.7262032 * 0.9999828674 / 1.1 = 9.0909091 + 0.6693614 = 9.7602705
    //   Euler: x = 4/1025 = 0.0039024390; x_dot = 0.02 * 9.7602705 = 0.1952054;
    //          theta = -0.0058536585; theta_dot = 0.02 * -14.7262032 = -0.2945241.
    let s3 = dynamics(s2, 1);
    close("step 3", s3, [0.003_902_439_0, 0.195_205_41, -0.005_853_658_5, -0.294_524_06], 1e-8);
}

#[test]
fn episodes_end_at_the_limits_and_the_cap() {
    assert!(!terminal([2.39, 0.0, THETA_LIMIT - 1e-9, 0.0]));
    assert!(terminal([2.41, 0.0, 0.0, 0.0]));
    assert!(terminal([-2.41, 0.0, 0.0, 0.0]));
    assert!(terminal([0.0, 0.0, 0.21, 0.0]), "12 degrees = 0.2094 rad");
    assert!(terminal([0.0, 0.0, -0.21, 0.0]));
    // The falling step still earns its reward.
    let mut e = CartPole { state: [0.0, 0.0, 0.2094, 3.0], steps: 7, done: false };
    assert_eq!(e.step(1), (1.0, true));
    assert_eq!(e.step(1), (0.0, true), "a finished episode earns nothing");
    // The cap.
    let mut e = CartPole { state: [0.0; 4], steps: MAX_STEPS - 1, done: false };
    assert_eq!(e.step(0), (1.0, true));
    assert_eq!(e.steps, 500);
    // Starts are uniform in [-0.05, 0.05]^4.
    let mut rng = Rng::new(1);
    for _ in 0..100 {
        assert!(CartPole::new(&mut rng).state.iter().all(|v| v.abs() <= 0.05));
    }
}

#[test]
fn policy_gradient_loss_matches_finite_differences() {
    let mut rng = Rng::new(5);
    let t = 9;
    let z: Vec<f32> = (0..3 * t).map(|_| rng.uniform_in(-1.5, 1.5)).collect();
    let acts: Vec<usize> = (0..t).map(|i| (i * 7 % 3 == 1) as usize).collect();
    let rets: Vec<f64> = (0..t).map(|i| 10.0 + 7.0 * i as f64).collect();
    let cfg = RlConfig { entropy_coef: 0.05, ..RlConfig::default() };
    let pg = |zz: &[f32]| pg_loss_grad(ArrayView2::from_shape((t, 3), zz).unwrap(), &acts, &rets, &cfg).unwrap();
    let (_, dz) = pg(&z);
    let dz = dz.into_raw_vec_and_offset().0;
    // The advantages depend on the value outputs, but the loss treats them as constants: check the logits' gradient
    // with the values fixed, and the values' gradient through the value term alone (the policy term then also moves,
    // so compare it with the value loss only).
    let idx: Vec<usize> = (0..t).flat_map(|i| [3 * i, 3 * i + 1]).collect();
    check_grad("policy logits", &mut |zz| pg(zz).0 as f64, &z, &dz, &idx, 1e-2, 1e-4, 1e-3, 0.0);
    let vloss = |zz: &[f32]| -> f64 {
        (0..t).map(|i| {
            let d = zz[3 * i + 2] as f64 - rets[i] / 100.0;
            0.5 * d * d
        }).sum::<f64>() / t as f64
    };
    let vidx: Vec<usize> = (0..t).map(|i| 3 * i + 2).collect();
    check_grad("value head", &mut |zz| vloss(zz), &z, &dz, &vidx, 1e-2, 1e-5, 1e-3, 0.0);
}

#[test]
fn a_tiny_cartpole_imp_run() {
    let task = CartPoleTask::new(RlConfig { episodes: 4, eval_episodes: 2, ..RlConfig::default() }, 3);
    let cfg = ImpConfig { iters: 3, eval_every: 3, target: 0.7, lr: 3e-3, seed: 3, mode: Mode::Reinit, ..Default::default() };
    let mut imp = Imp::new(task, cfg).unwrap();
    imp.run(|_| {}).unwrap();
    let rs = imp.results();
    assert_eq!(rs.len(), 5, "levels 0, 1, 2: the ticket each, the control at 1 and 2");
    for r in rs {
        assert_eq!(r.counts, vec![survivors(256, 0.2, r.level), survivors(4096, 0.2, r.level), survivors(192, 0.1, r.level)]);
        assert!(r.metric_final >= 5.0 && r.metric_final <= 500.0, "a return is between the shortest fall and the cap: {}", r.metric_final);
    }
}
