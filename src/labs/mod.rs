//! One module per paper. Pure Rust: no wasm-bindgen, no DOM.

pub mod _template;
pub mod bagnet;
pub mod blindspot;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
pub mod compressive;
pub mod corruptions;
pub mod lottery;
pub mod molecules;
pub mod onlstm;
pub mod roll;
pub mod ucb;
pub mod verify;
