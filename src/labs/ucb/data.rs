//! The ucb lab's data: Split MNIST, five two-class tasks (digits 0/1, 2/3, ...).

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

/// Split MNIST: the shipped train and test splits cut into five tasks of two digits (0/1, 2/3, 4/5, 6/7, 8/9), each
/// keeping the images' original order.
#[derive(Clone, Debug)]
pub struct SplitMnist {
    pub train: Vec<TaskData>,
    pub test: Vec<TaskData>,
}

impl SplitMnist {
    /// Cuts `m` into the five tasks.
    pub fn new(m: &Mnist) -> SplitMnist {
        SplitMnist {
            train: (0..TASKS).map(|t| TaskData::from_split(&m.train, t)).collect(),
            test: (0..TASKS).map(|t| TaskData::from_split(&m.test, t)).collect(),
        }
    }
}
