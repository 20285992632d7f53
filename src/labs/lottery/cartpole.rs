//! Reinforcement learning setting (Yu et al. sec. 3): CartPole balanced by an MLP policy trained with REINFORCE with
//! a learned baseline (advantage actor-critic without bootstrapping), then pruned by IMP.
//!
//! The environment is the cart-pole of Barto, Sutton & Anderson (1983) with the constants and the Euler step of
//! OpenAI Gym's `CartPole-v1`: gravity 9.8, cart mass 1.0, pole mass 0.1, pole half-length 0.5, force +-10,
//! tau 0.02 s; the episode ends when |theta| > 12 degrees or |x| > 2.4 (reward 1 for every step taken, including the
//! last) or after 500 steps. Initial states are uniform in [-0.05, 0.05]^4. Dynamics in f64, observations as f32.
//!
//! Legend: B episodes run side by side, T steps collected in an update, A = 2 actions (0 pushes left, 1 right).

use super::{mix, mlp_params, mlp_prunable, Eval, Role, Task};
use crate::error::Result;
use crate::nn::flat::argmax_rows;
use crate::nn::mlp::{Mlp, MlpGrads};
use crate::nn::Rng;

/// Gravity (m/s^2).
pub const GRAVITY: f64 = 9.8;
/// Cart mass (kg).
pub const MASS_CART: f64 = 1.0;
/// Pole mass (kg).
pub const MASS_POLE: f64 = 0.1;
/// Half the pole's length (m).
pub const LENGTH: f64 = 0.5;
/// Magnitude of the push (N).
pub const FORCE: f64 = 10.0;
/// Seconds per step.
pub const TAU: f64 = 0.02;
/// The pole falls beyond this angle (12 degrees, in radians).
pub const THETA_LIMIT: f64 = 12.0 * 2.0 * std::f64::consts::PI / 360.0;
/// The cart leaves the track beyond this position (m).
pub const X_LIMIT: f64 = 2.4;
/// Steps after which an episode is cut (CartPole-v1).
pub const MAX_STEPS: usize = 500;

/// One step of the cart-pole dynamics (Euler). `s = [x, x_dot, theta, theta_dot]`, `action` 1 pushes right (+10 N),
/// anything else left.
pub fn dynamics(s: [f64; 4], action: usize) -> [f64; 4] {
    let [x, x_dot, theta, theta_dot] = s;
    let force = if action == 1 { FORCE } else { -FORCE };
    let (sin, cos) = theta.sin_cos();
    let total = MASS_CART + MASS_POLE;
    let pml = MASS_POLE * LENGTH;
    let temp = (force + pml * theta_dot * theta_dot * sin) / total;
    let theta_acc = (GRAVITY * sin - cos * temp) / (LENGTH * (4.0 / 3.0 - MASS_POLE * cos * cos / total));
    let x_acc = temp - pml * theta_acc * cos / total;
    [x + TAU * x_dot, x_dot + TAU * x_acc, theta + TAU * theta_dot, theta_dot + TAU * theta_acc]
}

/// True when the state is outside the track or the pole has fallen.
pub fn terminal(s: [f64; 4]) -> bool {
    s[0] < -X_LIMIT || s[0] > X_LIMIT || s[2] < -THETA_LIMIT || s[2] > THETA_LIMIT
}

/// A cart-pole episode.
#[derive(Clone, Debug, PartialEq)]
pub struct CartPole {
    pub state: [f64; 4],
    pub steps: usize,
    pub done: bool,
}

impl CartPole {
    /// A new episode from a uniform random state in [-0.05, 0.05]^4.
    pub fn new(rng: &mut Rng) -> Self {
        let mut u = || -0.05 + 0.1 * rng.uniform() as f64;
        CartPole { state: [u(), u(), u(), u()], steps: 0, done: false }
    }

    /// Applies `action`; returns the reward (1 per step taken) and whether the episode has ended.
    pub fn step(&mut self, action: usize) -> (f64, bool) {
        if self.done {
            return (0.0, true);
        }
        self.state = dynamics(self.state, action);
        self.steps += 1;
        self.done = terminal(self.state) || self.steps >= MAX_STEPS;
        (1.0, self.done)
    }

    /// The observation as f32.
    pub fn obs(&self) -> [f32; 4] {
        self.state.map(|v| v as f32)
    }
}

/// The policy network: 4 inputs, two hidden ReLU layers of `hidden`, 3 outputs (2 action logits and a value).
pub const POLICY_DIMS: [usize; 4] = [4, 64, 64, 3];

/// Hyper-parameters of [`CartPoleTask`].
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RlConfig {
    /// Episodes per update.
    pub episodes: usize,
    /// Discount.
    pub gamma: f64,
    /// Weight of the value loss.
    pub value_coef: f32,
    /// Weight of the entropy bonus.
    pub entropy_coef: f32,
    /// Returns are divided by this for the value head.
    pub value_scale: f32,
    /// Greedy evaluation episodes.
    pub eval_episodes: usize,
}

impl Default for RlConfig {
    fn default() -> Self {
        RlConfig { episodes: 8, gamma: 0.99, value_coef: 0.5, entropy_coef: 0.01, value_scale: 100.0, eval_episodes: 10 }
    }
}

/// CartPole with a policy-gradient learner, as an IMP [`Task`]: one training iteration is one update from
/// `episodes` full episodes; the metric is the mean return of greedy evaluation episodes from fixed start states
/// (the selection loss is its negative).
#[derive(Clone)]
pub struct CartPoleTask {
    pub mlp: Mlp,
    pub cfg: RlConfig,
    seed: u64,
}

impl CartPoleTask {
    /// A task whose episodes are seeded by `seed`.
    pub fn new(cfg: RlConfig, seed: u64) -> Self {
        let mlp = Mlp::new(&POLICY_DIMS, &mut Rng::new(0)).expect("policy dims are valid");
        CartPoleTask { mlp, cfg, seed }
    }

    /// Sets the seed of the episodes (start states and sampled actions).
    pub fn set_seed(&mut self, seed: u64) {
        self.seed = seed;
    }

    /// Runs `n` episodes side by side with the current policy: greedy when `greedy`, else sampled. Returns, per
    /// episode, the observations, actions and rewards.
    #[allow(clippy::type_complexity)]
    pub fn rollouts(&self, n: usize, start_seed: u64, action_seed: u64, greedy: bool) -> Result<Vec<(Vec<[f32; 4]>, Vec<usize>, Vec<f64>)>> {
        let mut envs: Vec<CartPole> = (0..n).map(|e| CartPole::new(&mut Rng::new(mix(start_seed, 7, e as u64)))).collect();
        let mut arng = Rng::new(action_seed);
        let mut out: Vec<(Vec<[f32; 4]>, Vec<usize>, Vec<f64>)> = vec![(Vec::new(), Vec::new(), Vec::new()); n];
        loop {
            let live: Vec<usize> = (0..n).filter(|&e| !envs[e].done).collect();
            if live.is_empty() {
                break;
            }
            let x: Vec<f32> = live.iter().flat_map(|&e| envs[e].obs()).collect();
            let z = self.mlp.logits_flat(&x, live.len())?;
            let greedy_a = if greedy { argmax_rows(&z.chunks(3).flat_map(|r| [r[0], r[1]]).collect::<Vec<_>>(), 2) } else { Vec::new() };
            for (b, &e) in live.iter().enumerate() {
                let a = if greedy {
                    greedy_a[b]
                } else {
                    let (l0, l1) = (z[3 * b], z[3 * b + 1]);
                    // P(action 1) = sigmoid(l1 - l0)
                    let p1 = 1.0 / (1.0 + (l0 - l1).exp());
                    (arng.uniform() < p1) as usize
                };
                out[e].0.push(envs[e].obs());
                out[e].1.push(a);
                let (r, _) = envs[e].step(a);
                out[e].2.push(r);
            }
        }
        Ok(out)
    }

    /// Mean return of `eval_episodes` greedy episodes from fixed start states (the same for every evaluation).
    pub fn greedy_return(&self) -> Result<f64> {
        let eps = self.rollouts(self.cfg.eval_episodes, mix(self.seed, 8, 0), 0, true)?;
        Ok(eps.iter().map(|e| e.2.iter().sum::<f64>()).sum::<f64>() / eps.len().max(1) as f64)
    }
}

/// The policy-gradient loss of one update and its gradient with respect to the network outputs. Shapes: `z` T x 3
/// (logits of actions 0 and 1, then the value), `acts` T, `rets` T (discounted returns). Returns `(loss, dz)`:
///
/// `loss = (1/T) sum_t [ -A_t log pi(a_t|s_t) + c_v (V_t - G_t / scale)^2 - c_H H(pi(.|s_t)) ]`
///
/// with `A_t = G_t - scale V_t`, normalised to mean 0 and standard deviation 1 over the T steps and treated as a
/// constant (the baseline is not differentiated through the policy term).
pub fn pg_loss_grad(z: &[f32], acts: &[usize], rets: &[f64], c: &RlConfig) -> (f32, Vec<f32>) {
    let t = acts.len();
    let adv: Vec<f64> = (0..t).map(|i| rets[i] - c.value_scale as f64 * z[3 * i + 2] as f64).collect();
    let mean = adv.iter().sum::<f64>() / t.max(1) as f64;
    let sd = (adv.iter().map(|a| (a - mean) * (a - mean)).sum::<f64>() / t.max(1) as f64).sqrt().max(1e-8);
    let mut dz = vec![0.0f32; t * 3];
    let mut loss = 0.0f64;
    let tn = t.max(1) as f32;
    for i in 0..t {
        let a_n = ((adv[i] - mean) / sd) as f32;
        let (l0, l1) = (z[3 * i], z[3 * i + 1]);
        let m = l0.max(l1);
        let lse = m + ((l0 - m).exp() + (l1 - m).exp()).ln();
        let lp = [l0 - lse, l1 - lse];
        let p = [lp[0].exp(), lp[1].exp()];
        let h = -(p[0] * lp[0] + p[1] * lp[1]);
        let act = acts[i];
        for j in 0..2 {
            let onehot = if j == act { 1.0 } else { 0.0 };
            // d(-A log p_a)/dz_j = A (p_j - 1[j = a]);  d(-H)/dz_j = p_j (log p_j + H)
            dz[3 * i + j] = a_n * (p[j] - onehot) / tn + c.entropy_coef * p[j] * (lp[j] + h) / tn;
        }
        let target = (rets[i] / c.value_scale as f64) as f32;
        let dv = z[3 * i + 2] - target;
        dz[3 * i + 2] = c.value_coef * 2.0 * dv / tn;
        loss += (-a_n * lp[act] + c.value_coef * dv * dv - c.entropy_coef * h) as f64;
    }
    ((loss / t.max(1) as f64) as f32, dz)
}

impl Task for CartPoleTask {
    fn params(&self) -> Vec<&[f32]> {
        mlp_params(&self.mlp)
    }
    fn params_mut(&mut self) -> Vec<&mut [f32]> {
        self.mlp.params_mut()
    }
    fn prunable(&self) -> Vec<(usize, Role)> {
        mlp_prunable(&self.mlp)
    }
    fn init_params(&self, seed: u64) -> Vec<Vec<f32>> {
        let m = Mlp::new(&POLICY_DIMS, &mut Rng::new(seed)).expect("policy dims are valid");
        mlp_params(&m).into_iter().map(<[f32]>::to_vec).collect()
    }

    /// Loss `-mean(A log pi(a|s)) + c_v mean((V - G / scale)^2) - c_H mean(H(pi))` over every step of the update's
    /// episodes, with the return `G_t = sum_i gamma^i r_{t+i}` and the advantage `A = G - scale V` normalised to
    /// mean 0 and standard deviation 1 over the update (not differentiated).
    fn loss_grad(&mut self, it: usize) -> Result<(f32, Vec<Vec<f32>>)> {
        let c = self.cfg.clone();
        let eps = self.rollouts(c.episodes, mix(self.seed, 9, it as u64), mix(self.seed, 10, it as u64), false)?;
        let mut x = Vec::new();
        let mut acts = Vec::new();
        let mut rets = Vec::new();
        for (obs, a, r) in &eps {
            let mut g = 0.0;
            let mut gs = vec![0.0; r.len()];
            for t in (0..r.len()).rev() {
                g = r[t] + c.gamma * g;
                gs[t] = g;
            }
            x.extend(obs.iter().flatten());
            acts.extend_from_slice(a);
            rets.extend(gs);
        }
        let t = acts.len();
        let (z, cache) = self.mlp.forward_flat(&x, t)?;
        let (loss, dz) = pg_loss_grad(&z, &acts, &rets, &c);
        let mut g = MlpGrads::zeros(&self.mlp);
        self.mlp.backward_flat(&cache, &dz, &mut g, false)?;
        Ok((loss, g.dw.into_iter().zip(g.db).flat_map(|(w, b)| [w, b]).collect()))
    }

    fn evaluate(&mut self) -> Result<Eval> {
        let r = self.greedy_return()?;
        Ok(Eval { select: -r, metric: r })
    }
}
