//! The ucb lab's data: Split MNIST, five two-class tasks (digits 0/1, 2/3, ...), and Permuted MNIST, five ten-class
//! tasks (all digits, one fixed pixel permutation per task).

#[allow(unused_imports)]
use super::*;

// ---------------------------------------------------------------------------------------------------------------------
// Data

/// The images of one task: `n` images of its two digits.
#[derive(Clone, Debug, Default)]
pub struct TaskData {
    /// `n * 784` pixels in `[0, 1]`, row-major images one after the other.
    pub x: Vec<f32>,
    /// The digit of each image.
    pub digits: Vec<u8>,
}

impl TaskData {
    /// Number of images.
    pub fn n(&self) -> usize {
        self.digits.len()
    }

    pub(super) fn from_split(s: &Split, t: usize) -> TaskData {
        let lo = (t * DIGITS_PER_TASK) as u8;
        let idx: Vec<usize> = (0..s.n).filter(|&i| (lo..lo + DIGITS_PER_TASK as u8).contains(&s.labels[i])).collect();
        TaskData { x: s.batch_f32(&idx), digits: s.batch_labels(&idx) }
    }
}

/// The task sequence of a run. Split MNIST ([`SplitMnist::new`]): the shipped train and test splits cut into five
/// tasks of two digits (0/1, 2/3, 4/5, 6/7, 8/9), each keeping the images' original order. Permuted MNIST
/// ([`SplitMnist::permuted`]): five tasks of all ten digits, task t's pixels permuted by `perms[t]`.
#[derive(Clone, Debug)]
pub struct SplitMnist {
    pub train: Vec<TaskData>,
    pub test: Vec<TaskData>,
    /// Permuted MNIST: `perms[t][j]` is the source pixel of pixel j in task t (a permutation of `0..784`); empty for
    /// Split MNIST.
    pub perms: Vec<Vec<u32>>,
}

/// The pixel permutation of Permuted-MNIST task `t` for data seed `seed`: the identity for task 0, otherwise a uniform
/// random permutation of `0..784` (Fisher-Yates with [`Rng`] seeded by `mix_seed(seed, 0x5045_524d, t)`), so the
/// same `(seed, t)` always gives the same permutation. `perm[j]` is the source pixel of pixel j: the permuted image
/// is `x'[j] = x[perm[j]]` ([`apply_perm`]).
pub fn task_permutation(seed: u64, t: usize) -> Vec<u32> {
    let mut p: Vec<u32> = (0..PIXELS as u32).collect();
    if t > 0 {
        let mut rng = Rng::new(mix_seed(seed, 0x5045_524d, t as u64));
        rng.shuffle(&mut p);
    }
    p
}

/// `x'[j] = x[perm[j]]` for every image of `x` (`n * 784` values, row-major images one after the other).
///
/// # Errors
/// [`Error::Shape`] when `perm` is not 784 long, holds an index >= 784, or `x` is not a whole number of images.
pub fn apply_perm(x: &[f32], perm: &[u32]) -> Result<Vec<f32>> {
    check_perm(perm)?;
    if x.len() % PIXELS != 0 {
        return Err(Error::shape("ucb::apply_perm", format!("{} values are not a whole number of {PIXELS}-pixel images", x.len())));
    }
    let mut out = Vec::with_capacity(x.len());
    for img in x.chunks_exact(PIXELS) {
        out.extend(perm.iter().map(|&j| img[j as usize]));
    }
    Ok(out)
}

/// The inverse permutation: `inv[perm[j]] = j`, so `apply_perm(apply_perm(x, perm), inv) == x`.
///
/// # Errors
/// [`Error::Shape`] when `perm` is not a permutation of `0..perm.len()`.
pub fn invert_perm(perm: &[u32]) -> Result<Vec<u32>> {
    let mut inv = vec![u32::MAX; perm.len()];
    for (j, &p) in perm.iter().enumerate() {
        let slot = inv.get_mut(p as usize).ok_or_else(|| Error::shape("ucb::invert_perm", format!("index {p} out of range 0..{}", perm.len())))?;
        if *slot != u32::MAX {
            return Err(Error::shape("ucb::invert_perm", format!("index {p} appears twice: not a permutation")));
        }
        *slot = j as u32;
    }
    Ok(inv)
}

fn check_perm(perm: &[u32]) -> Result<()> {
    if perm.len() != PIXELS {
        return Err(Error::shape("ucb permutation", format!("{} entries, want {PIXELS}", perm.len())));
    }
    invert_perm(perm).map(|_| ())
}

impl SplitMnist {
    /// Cuts `m` into the five tasks.
    pub fn new(m: &Mnist) -> SplitMnist {
        SplitMnist {
            train: (0..TASKS).map(|t| TaskData::from_split(&m.train, t)).collect(),
            test: (0..TASKS).map(|t| TaskData::from_split(&m.test, t)).collect(),
            perms: Vec::new(),
        }
    }

    /// Permuted MNIST: five tasks, each the first `n_train` training digits (all ten classes; all of them if fewer)
    /// and all test digits of `m`, under the task's pixel permutation [`task_permutation`]`(seed, t)`.
    ///
    /// # Errors
    /// [`Error::Range`] when `n_train` is 0.
    pub fn permuted(m: &Mnist, seed: u64, n_train: usize) -> Result<SplitMnist> {
        if n_train == 0 {
            return Err(Error::range("Permuted MNIST training images", "must be at least 1"));
        }
        let tr: Vec<usize> = (0..m.train.n.min(n_train)).collect();
        let te: Vec<usize> = (0..m.test.n).collect();
        let (xtr, ytr) = (m.train.batch_f32(&tr), m.train.batch_labels(&tr));
        let (xte, yte) = (m.test.batch_f32(&te), m.test.batch_labels(&te));
        let perms: Vec<Vec<u32>> = (0..TASKS).map(|t| task_permutation(seed, t)).collect();
        let mk = |x: &[f32], y: &[u8], p: &[u32]| -> Result<TaskData> { Ok(TaskData { x: apply_perm(x, p)?, digits: y.to_vec() }) };
        Ok(SplitMnist {
            train: perms.iter().map(|p| mk(&xtr, &ytr, p)).collect::<Result<_>>()?,
            test: perms.iter().map(|p| mk(&xte, &yte, p)).collect::<Result<_>>()?,
            perms,
        })
    }

    /// Whether this is Permuted MNIST.
    pub fn is_permuted(&self) -> bool {
        !self.perms.is_empty()
    }
}
