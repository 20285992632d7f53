//! One module per paper. Pure Rust: no wasm-bindgen, no DOM.

pub mod compressive;
pub mod lottery;
pub mod onlstm;
pub mod ucb;
pub mod verify;
