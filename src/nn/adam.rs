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
        self.step_scaled(params, grads, &[]);
    }

    /// [`Adam::step`] with a per-element multiplier of the step size:
    /// `p_j -= lr * scale_j * mhat_j / (sqrt(vhat_j) + eps)`. `scales[i]` is tensor `i`'s multipliers (its length,
    /// or empty for all 1); `scales` itself may be empty (all 1). UCB's per-weight learning rates (lr·σ, Ebrahimi et
    /// al.) are such a multiplier. Panics on lengths that do not match the construction.
    pub fn step_scaled(&mut self, params: &mut [&mut [f32]], grads: &[&[f32]], scales: &[&[f32]]) {
        assert_eq!(params.len(), self.m.len(), "Adam::step: expected {} tensors", self.m.len());
        assert!(scales.is_empty() || scales.len() == params.len(), "Adam::step_scaled: one scale slice per tensor");
        self.t += 1;
        let bc1 = 1.0 - self.beta1.powi(self.t);
        let bc2 = 1.0 - self.beta2.powi(self.t);
        let step = self.lr / bc1;
        for (i, p) in params.iter_mut().enumerate() {
            let g = grads[i];
            let scale = scales.get(i).copied().unwrap_or(&[]);
            assert_eq!(p.len(), g.len(), "Adam::step: tensor {i} and its gradient differ in length");
            assert!(scale.is_empty() || scale.len() == p.len(), "Adam::step_scaled: tensor {i}'s scale has the wrong length");
            let (m, v) = (&mut self.m[i], &mut self.v[i]);
            for j in 0..p.len() {
                m[j] = self.beta1 * m[j] + (1.0 - self.beta1) * g[j];
                v[j] = self.beta2 * v[j] + (1.0 - self.beta2) * g[j] * g[j];
                let s = if scale.is_empty() { 1.0 } else { scale[j] };
                p[j] -= step * s * m[j] / ((v[j] / bc2).sqrt() + self.eps);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Adam;

    #[test]
    fn scaled_step_matches_the_closed_form_first_step() {
        // Adam's first bias-corrected step is lr * g / (|g| + eps) ≈ lr * sign(g), times the element's scale.
        let mut a = Adam::new(0.1, &[3]);
        let mut p = [1.0f32, 1.0, 1.0];
        a.step_scaled(&mut [&mut p], &[&[2.0, -3.0, 0.5]], &[&[1.0, 0.5, 0.0]]);
        for (got, want) in p.iter().zip([0.9f32, 1.05, 1.0]) {
            assert!((got - want).abs() < 1e-6, "{p:?}");
        }
        // Unscaled steps equal scale-1 steps, bit for bit, over several steps.
        let (mut a1, mut a2) = (Adam::new(0.01, &[2]), Adam::new(0.01, &[2]));
        let (mut p1, mut p2) = ([0.3f32, -0.7], [0.3f32, -0.7]);
        for k in 0..5 {
            let g = [0.1 * k as f32 - 0.2, 0.05];
            a1.step(&mut [&mut p1], &[&g]);
            a2.step_scaled(&mut [&mut p2], &[&g], &[&[1.0, 1.0]]);
        }
        assert_eq!(p1, p2);
    }
}
