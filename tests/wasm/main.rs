//! The browser tests (wasm-bindgen-test in headless Chromium), one module per lab plus the kernels and the smoke
//! test, compiled into ONE wasm test binary: one build, one wasm-bindgen pass and one browser start per build flavour
//! (single thread, threads, relaxed SIMD) instead of one per file. The threaded pool test is its own target
//! (tests/wasm_threads.rs), since it runs in a dedicated Worker rather than on the page.
//!
//! Run with `make test-wasm` (or `scripts/wasm-test.sh [--threads|--relaxed]`); one module:
//! `scripts/wasm-test.sh -- ucb::` (a test-name filter).
#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod _template;
mod bagnet;
mod blindspot;
mod compressive;
mod corruptions;
mod kernels;
mod lottery;
mod molecules;
mod onlstm;
mod roll;
mod smoke;
mod types;
mod ucb;
