//! One module per paper. Pure Rust: no wasm-bindgen, no DOM.

pub mod verify;
