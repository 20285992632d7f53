//! One module per paper. Pure Rust: no wasm-bindgen, no DOM.

pub mod _template;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
pub mod compressive;
pub mod corruptions;
pub mod lottery;
pub mod onlstm;
pub mod ucb;
pub mod verify;
