//! Adam (Kingma & Ba, 2015, Algorithm 1) over a list of parameter tensors.

/// Adam state for a fixed list of parameter tensors.
#[derive(Clone, Debug)]
pub struct Adam {
    /// Step size alpha.
    pub lr: f32,
    /// Decay of the first moment (default 0.9).
    pub beta1: f32,
    /// Decay of the second moment (default 0.999).
    pub beta2: f32,
    /// Added to the root of the second moment (default 1e-8).
    pub eps: f32,
    t: i32,
    m: Vec<Vec<f32>>,
    v: Vec<Vec<f32>>,
}

impl Adam {
    /// Adam for tensors of the given lengths, with PyTorch's defaults for the betas and eps.
    pub fn new(lr: f32, sizes: &[usize]) -> Self {
        Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            t: 0,
            m: sizes.iter().map(|&n| vec![0.0; n]).collect(),
            v: sizes.iter().map(|&n| vec![0.0; n]).collect(),
        }
    }

    /// The first and second moment estimates `(m, v)` of tensor `i` (for tests, e.g. that pruned weights keep zero
    /// moments). Panics if `i` is out of range.
    pub fn moments(&self, i: usize) -> (&[f32], &[f32]) {
        (&self.m[i], &self.v[i])
    }

    /// One bias-corrected step: `p -= lr * mhat / (sqrt(vhat) + eps)` for every tensor. `params[i]` and `grads[i]`
    /// must have the length given for tensor `i` at construction (panics otherwise).
    pub fn step(&mut self, params: &mut [&mut [f32]], grads: &[&[f32]]) {
        assert_eq!(params.len(), self.m.len(), "Adam::step: expected {} tensors", self.m.len());
        self.t += 1;
        let bc1 = 1.0 - self.beta1.powi(self.t);
        let bc2 = 1.0 - self.beta2.powi(self.t);
        let step = self.lr / bc1;
        for (i, p) in params.iter_mut().enumerate() {
            let g = grads[i];
            assert_eq!(p.len(), g.len(), "Adam::step: tensor {i} and its gradient differ in length");
            let (m, v) = (&mut self.m[i], &mut self.v[i]);
            for j in 0..p.len() {
                m[j] = self.beta1 * m[j] + (1.0 - self.beta1) * g[j];
                v[j] = self.beta2 * v[j] + (1.0 - self.beta2) * g[j] * g[j];
                p[j] -= step * m[j] / ((v[j] / bc2).sqrt() + self.eps);
            }
        }
    }
}
