//! Thin `#[wasm_bindgen]` facades, one per lab.
