//! Every native integration test, as one test binary: each `tests/<name>.rs` is a module here, so `cargo test`
//! compiles and links the crate into one test program instead of one per file. Run one file's tests with
//! `cargo test --test native <name>::` (e.g. `cargo test --test native verify_conv::`).
//!
//! A new test file must be listed below (`make new-lab` adds its line); `every_test_file_is_listed` fails otherwise.
#![cfg(not(target_arch = "wasm32"))] // native tests; the browser tests are tests/wasm/ and tests/wasm_threads.rs

/// Helpers the test modules share (`crate::common::assert_close`, `check_grad`).
#[path = "common/mod.rs"]
mod common;

#[path = "bagnet_models.rs"]
mod bagnet_models;
#[path = "bagnet_shipped.rs"]
mod bagnet_shipped;
#[path = "blindspot.rs"]
mod blindspot;
#[path = "compressive_grad.rs"]
mod compressive_grad;
#[path = "compressive_memory.rs"]
mod compressive_memory;
#[path = "compressive_models.rs"]
mod compressive_models;
#[path = "compressive_recall.rs"]
mod compressive_recall;
#[path = "corruptions.rs"]
mod corruptions;
#[path = "corruptions_match.rs"]
mod corruptions_match;
#[path = "kernels.rs"]
mod kernels;
#[path = "kernels_act.rs"]
mod kernels_act;
#[path = "kernels_conv.rs"]
mod kernels_conv;
#[path = "lottery.rs"]
mod lottery;
#[path = "lottery_lm.rs"]
mod lottery_lm;
#[path = "lottery_models.rs"]
mod lottery_models;
#[path = "lottery_page.rs"]
mod lottery_page;
#[path = "lottery_rl.rs"]
mod lottery_rl;
#[path = "molecules_ga.rs"]
mod molecules_ga;
#[path = "molecules_sa.rs"]
mod molecules_sa;
#[path = "molecules_selfies.rs"]
mod molecules_selfies;
#[path = "nn_gradcheck.rs"]
mod nn_gradcheck;
#[path = "onlstm_math.rs"]
mod onlstm_math;
#[path = "onlstm_models.rs"]
mod onlstm_models;
#[path = "parsers_fuzz.rs"]
mod parsers_fuzz;
#[path = "roll_math.rs"]
mod roll_math;
#[path = "roll_models.rs"]
mod roll_models;
#[path = "roll_toy.rs"]
mod roll_toy;
#[path = "template.rs"]
mod template;
#[path = "ucb_class.rs"]
mod ucb_class;
#[path = "ucb_math.rs"]
mod ucb_math;
#[path = "ucb_models.rs"]
mod ucb_models;
#[path = "ucb_perm.rs"]
mod ucb_perm;
#[path = "verify_bounds.rs"]
mod verify_bounds;
#[path = "verify_conv.rs"]
mod verify_conv;
#[path = "verify_models.rs"]
mod verify_models;
#[path = "verify_soundness_property.rs"]
mod verify_soundness_property;

/// Each `tests/*.rs` file other than this one and the threaded browser tests is a module of this binary.
#[test]
fn every_test_file_is_listed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let me = std::fs::read_to_string(dir.join("native.rs")).expect("tests/native.rs");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("tests/") {
        let name = entry.expect("a directory entry").file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".rs") else { continue };
        if stem == "native" || stem == "wasm_threads" {
            continue;
        }
        if !me.contains(&format!("#[path = \"{name}\"]\nmod {stem};")) {
            missing.push(name);
        }
    }
    assert!(missing.is_empty(), "tests/native.rs does not list {missing:?}: add `#[path = \"<file>\"] mod <name>;` for each");
}
