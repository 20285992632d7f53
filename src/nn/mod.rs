//! Layers with forward and backward side by side, a seeded RNG, initialisation, Adam, and sampling from logits.
//!
//! Dimension legend used in every file: B batch, I inputs of a layer, O outputs, K classes, C channels,
//! H/W height/width, KH/KW kernel size. Tensors cross as `ndarray` views and arrays of those shapes (see
//! [`crate::nd`]); parameters are stored flat, row-major. Each function's doc opens with its shapes.
//! Gradient arguments start with `d` (`dx`, `dw`). Every backward is checked against finite differences in
//! `tests/nn_gradcheck.rs`.

pub mod adam;
pub mod conv;
pub mod layers;
pub mod lstm;
pub mod mlp;
pub mod prune;
pub mod rng;
pub mod sample;

pub use adam::Adam;
pub use mlp::Mlp;
pub use rng::Rng;
