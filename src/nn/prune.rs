//! Magnitude pruning masks for lottery-ticket experiments (Frankle & Carbin, ICLR 2019, sec. 2 "Identifying winning
//! tickets"; Yu, Edunov, Tian & Morcos, ICLR 2020).
//!
//! A [`Mask`] holds, for every prunable tensor of a network, which weights survive. Only weight matrices are pruned;
//! biases never are (as in both papers). Pruning removes the smallest-magnitude *survivors*, either per tensor (each
//! tensor loses its own fraction: LTH prunes its fully connected nets this way) or globally (one ranking across all
//! prunable tensors: LTH's choice for its deep convolutional nets).
//!
//! # The counting rule
//! A tensor of `n` weights pruned for `r` rounds at rate `p` keeps exactly
//!
//! ```text
//! survivors(n, p, r) = round(n * (1 - p)^r)        (round half away from zero, computed in f64)
//! ```
//!
//! weights. Each round therefore removes `p` of the current survivors up to rounding, and the rounding never drifts
//! from round to round (the count depends on `r` alone, not on the counts before it). In global mode the same rule
//! gives the total over all prunable tensors.
//!
//! # The tie rule
//! Survivors are ranked by `|w|` ascending, then by position: tensor index, then flat (row-major) index ascending.
//! The first ones in that order are pruned. The ranking is a total order, so the pruned set is unique: pruning is
//! deterministic even when many weights are equal (e.g. all zero).
//!
//! Pruning never revives a weight: to a target at or above the current count it changes nothing, so re-pruning at
//! the same target is idempotent.

use crate::error::{Error, Result};
use crate::nn::Rng;

/// `round(n * (1 - p)^r)`: how many of `n` weights survive `r` rounds at pruning rate `p` (see the module docs).
///
/// Panics if `p` is not in `[0, 1]`.
pub fn survivors(n: usize, p: f64, r: usize) -> usize {
    assert!((0.0..=1.0).contains(&p), "survivors: pruning rate {p} is not in [0, 1]");
    let keep = (1.0 - p).powi(r.min(i32::MAX as usize) as i32);
    ((n as f64) * keep).round().min(n as f64) as usize
}

/// Which weights survive in each prunable tensor: `keep[t][i]` for weight `i` (row-major) of tensor `t`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mask {
    pub keep: Vec<Vec<bool>>,
}

impl Mask {
    /// Every weight kept, for tensors of the given sizes.
    pub fn dense(sizes: &[usize]) -> Mask {
        Mask { keep: sizes.iter().map(|&n| vec![true; n]).collect() }
    }

    /// Survivors per tensor.
    pub fn counts(&self) -> Vec<usize> {
        self.keep.iter().map(|k| k.iter().filter(|&&b| b).count()).collect()
    }

    /// Survivors over all tensors.
    pub fn total(&self) -> usize {
        self.counts().iter().sum()
    }

    /// Weights over all tensors, pruned or not.
    pub fn size(&self) -> usize {
        self.keep.iter().map(Vec::len).sum()
    }

    /// Fraction of weights that survive, in `[0, 1]` (1 for an empty mask).
    pub fn fraction(&self) -> f64 {
        let n = self.size();
        if n == 0 {
            1.0
        } else {
            self.total() as f64 / n as f64
        }
    }

    fn check(&self, what: &'static str, lens: &[usize]) -> Result<()> {
        if lens.len() != self.keep.len() || lens.iter().zip(&self.keep).any(|(&l, k)| l != k.len()) {
            return Err(Error::shape(
                what,
                format!("tensors of sizes {lens:?} do not match a mask of sizes {:?}", self.keep.iter().map(Vec::len).collect::<Vec<_>>()),
            ));
        }
        Ok(())
    }

    /// Sets every pruned weight of `ws` (one slice per prunable tensor) to exactly `0.0`.
    ///
    /// # Errors
    /// [`Error::Shape`] when the tensors do not match the mask.
    pub fn apply(&self, ws: &mut [&mut [f32]]) -> Result<()> {
        self.check("Mask::apply", &ws.iter().map(|w| w.len()).collect::<Vec<_>>())?;
        for (w, k) in ws.iter_mut().zip(&self.keep) {
            for (x, &kept) in w.iter_mut().zip(k) {
                if !kept {
                    *x = 0.0;
                }
            }
        }
        Ok(())
    }

    /// A random mask keeping exactly `counts[t]` weights of tensor `t`, each subset equally likely (a partial
    /// Fisher–Yates shuffle of the positions). The control "random pruning" of LTH sec. 2.
    ///
    /// # Errors
    /// [`Error::Range`] when a count exceeds its tensor's size.
    pub fn random(sizes: &[usize], counts: &[usize], rng: &mut Rng) -> Result<Mask> {
        if sizes.len() != counts.len() {
            return Err(Error::shape("Mask::random", format!("{} sizes but {} counts", sizes.len(), counts.len())));
        }
        let mut keep = Vec::with_capacity(sizes.len());
        for (&n, &c) in sizes.iter().zip(counts) {
            if c > n {
                return Err(Error::range("survivor count", format!("{c} is more than the {n} weights of the tensor")));
            }
            keep.push(random_subset(n, c, rng));
        }
        Ok(Mask { keep })
    }

    /// A random mask keeping exactly `total` weights over all tensors together, every subset equally likely (the
    /// random-pruning control for global pruning).
    ///
    /// # Errors
    /// [`Error::Range`] when `total` exceeds the number of weights.
    pub fn random_global(sizes: &[usize], total: usize, rng: &mut Rng) -> Result<Mask> {
        let n: usize = sizes.iter().sum();
        if total > n {
            return Err(Error::range("survivor count", format!("{total} is more than the {n} weights of the network")));
        }
        let flat = random_subset(n, total, rng);
        let mut keep = Vec::with_capacity(sizes.len());
        let mut at = 0;
        for &s in sizes {
            keep.push(flat[at..at + s].to_vec());
            at += s;
        }
        Ok(Mask { keep })
    }
}

fn random_subset(n: usize, c: usize, rng: &mut Rng) -> Vec<bool> {
    let mut pos: Vec<usize> = (0..n).collect();
    for i in 0..c {
        let j = i + rng.below(n - i);
        pos.swap(i, j);
    }
    let mut keep = vec![false; n];
    for &p in &pos[..c] {
        keep[p] = true;
    }
    keep
}

/// Prunes the survivors of one tensor down to `target`: removes the `count - target` survivors that come first in
/// the order (`|w|` ascending, index ascending). Does nothing when `target >= count`.
///
/// # Errors
/// [`Error::Shape`] when `w` and `keep` differ in length.
pub fn prune_tensor(w: &[f32], keep: &mut [bool], target: usize) -> Result<()> {
    if w.len() != keep.len() {
        return Err(Error::shape("prune_tensor", format!("{} weights but a mask of {}", w.len(), keep.len())));
    }
    let mut alive: Vec<u32> = (0..w.len() as u32).filter(|&i| keep[i as usize]).collect();
    if target >= alive.len() {
        return Ok(());
    }
    let drop = alive.len() - target;
    alive.select_nth_unstable_by(drop - 1, |a, b| w[*a as usize].abs().total_cmp(&w[*b as usize].abs()).then(a.cmp(b)));
    for &i in &alive[..drop] {
        keep[i as usize] = false;
    }
    Ok(())
}

/// Prunes every tensor of `mask` down to its own target: tensor `t` keeps `targets[t]` survivors (by
/// [`prune_tensor`]). Layer-wise pruning.
///
/// # Errors
/// [`Error::Shape`] when the tensors or targets do not match the mask.
pub fn prune_layerwise(ws: &[&[f32]], mask: &mut Mask, targets: &[usize]) -> Result<()> {
    mask.check("prune_layerwise", &ws.iter().map(|w| w.len()).collect::<Vec<_>>())?;
    if targets.len() != ws.len() {
        return Err(Error::shape("prune_layerwise", format!("{} tensors but {} targets", ws.len(), targets.len())));
    }
    for ((w, k), &t) in ws.iter().zip(mask.keep.iter_mut()).zip(targets) {
        prune_tensor(w, k, t)?;
    }
    Ok(())
}

/// Prunes all tensors together down to `target` survivors in total: one ranking over every survivor by `|w|`, ties
/// by (tensor index, flat index). Does nothing when `target` is at or above the current total.
///
/// # Errors
/// [`Error::Shape`] when the tensors do not match the mask.
pub fn prune_global(ws: &[&[f32]], mask: &mut Mask, target: usize) -> Result<()> {
    mask.check("prune_global", &ws.iter().map(|w| w.len()).collect::<Vec<_>>())?;
    let mut alive: Vec<(u32, u32)> = Vec::new();
    for (t, k) in mask.keep.iter().enumerate() {
        alive.extend((0..k.len() as u32).filter(|&i| k[i as usize]).map(|i| (t as u32, i)));
    }
    if target >= alive.len() {
        return Ok(());
    }
    let drop = alive.len() - target;
    let mag = |p: &(u32, u32)| ws[p.0 as usize][p.1 as usize].abs();
    alive.select_nth_unstable_by(drop - 1, |a, b| mag(a).total_cmp(&mag(b)).then(a.cmp(b)));
    for &(t, i) in &alive[..drop] {
        mask.keep[t as usize][i as usize] = false;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_prune_lower_indices_first() {
        let w = [0.5, 0.0, -0.5, 0.0, 0.5, 1.0];
        let mut k = vec![true; 6];
        prune_tensor(&w, &mut k, 3).unwrap();
        // zeros at 1 and 3 go first, then the first of the three 0.5s (index 0)
        assert_eq!(k, [false, false, true, false, true, true]);
        let before = k.clone();
        prune_tensor(&w, &mut k, 3).unwrap();
        assert_eq!(k, before, "idempotent at the same target");
        prune_tensor(&w, &mut k, 5).unwrap();
        assert_eq!(k, before, "a higher target revives nothing");
    }

    #[test]
    fn global_ranks_across_tensors() {
        let a = [0.1f32, 0.9];
        let b = [0.1f32, 0.2, 0.3];
        let mut m = Mask::dense(&[2, 3]);
        prune_global(&[&a, &b], &mut m, 3).unwrap();
        // 0.1 in tensor 0 ties with 0.1 in tensor 1: tensor 0 first; then 0.1 of tensor 1.
        assert_eq!(m.keep, vec![vec![false, true], vec![false, true, true]]);
    }

    #[test]
    fn survivors_rounds_half_away_from_zero() {
        assert_eq!(survivors(10, 0.25, 1), 8); // 7.5 -> 8
        assert_eq!(survivors(100, 0.2, 2), 64);
        assert_eq!(survivors(7, 0.0, 9), 7);
        assert_eq!(survivors(7, 1.0, 1), 0);
    }
}
