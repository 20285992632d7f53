//! The compressive lab inside WebAssembly (every build): a committed model evaluated here gives the loss the native
//! build wrote into the manifest (`check_bpc`: the first 600 validation characters read as one stream), the
//! attention masses of a segment sum to one, sampling is reproducible from a seed, and a fine-tuning step runs.
#![cfg(target_arch = "wasm32")]

use paperlab::wasm::compressive::CompressiveLab;
use wasm_bindgen_test::*;

static TEXT_GZ: &[u8] = include_bytes!("../../www/data/moby-dick-200k.txt.gz");
static MODEL: &[u8] = include_bytes!("../../www/models/compressive/conv-c4.safetensors");
static MANIFEST: &str = include_str!("../../www/models/compressive/manifest.json");

#[wasm_bindgen_test]
fn committed_model_matches_the_native_loss() {
    let m: serde_json::Value = serde_json::from_str(MANIFEST).unwrap();
    let entry = m["models"].as_array().unwrap().iter().find(|e| e["id"] == "conv-c4").unwrap();
    let want = entry["check_bpc"].as_f64().unwrap();
    let chars = m["check"]["chars"].as_u64().unwrap() as usize;
    let lab = CompressiveLab::new(MODEL, TEXT_GZ).map_err(|_| "load").unwrap();
    let got = lab.val_prefix_bpc(chars).map_err(|_| "eval").unwrap();
    // f32 sums in another order (SIMD lanes, FMA in the relaxed build): agree to 1e-3 bits/char.
    assert!((got - want).abs() < 1e-3, "wasm {got} vs native {want}");
}

#[wasm_bindgen_test]
fn attention_masses_sampling_and_finetune() {
    let mut lab = CompressiveLab::new(MODEL, TEXT_GZ).map_err(|_| "load").unwrap();
    let text = "Call me Ishmael. Some years ago--never mind how long precisely--having little or no money in my purse, \
                and nothing particular to interest me on shore, I thought I would sail about a little and see the watery \
                part of the world. It is a way I have of driving off the spleen and regulating the circulation.";
    let a = lab.attention(text, 1, 0).map_err(|_| "attention").unwrap();
    crate::types::check(&a, "CompressiveAttention");
    let a: serde_json::Value = serde_wasm_bindgen::from_value(a).unwrap();
    let n = |k: &str| a[k].as_f64().unwrap();
    let (t, s, ncm, nm) = (n("t") as usize, n("s") as usize, n("cm_rows") as usize, n("m_rows") as usize);
    assert!(ncm > 0 && nm > 0, "a long text fills both memories: cm {ncm}, m {nm}");
    assert_eq!(s, ncm + nm + t);
    assert!((n("mass_cm") + n("mass_m") + n("mass_seg") - 1.0).abs() < 1e-4, "masses {a}");
    assert_eq!(lab.attention_probs().len(), t * s);
    let bits = lab.score(text).map_err(|_| "score").unwrap();
    assert_eq!(bits.len(), text.chars().count() - 1);
    assert!(lab.score("").is_err() && lab.score("x").is_err());
    assert_eq!(lab.unknown_chars("naïve €"), "ï€");
    let cfg = lab.config().map_err(|_| "config").unwrap();
    crate::types::check(&cfg, "CompressiveConfig");
    let cfg: serde_json::Value = serde_wasm_bindgen::from_value(cfg).unwrap();
    assert_eq!((cfg["func"].as_str(), cfg["rate"].as_u64(), cfg["fc_loss"].as_str()), (Some("conv"), Some(4), Some("attention")));
    let (m, cm) = (cfg["mem"].as_u64().unwrap(), cfg["cmem"].as_u64().unwrap());
    assert_eq!((cfg["temporal_range"].as_u64(), cfg["attention_size"].as_u64()), (Some(m + 4 * cm), Some(m + cm)));
    lab.sample_start("The whale", 0.8, 7).map_err(|_| "sample").unwrap();
    let s1 = lab.sample_next(80).map_err(|_| "sample").unwrap();
    lab.sample_start("The whale", 0.8, 7).map_err(|_| "sample").unwrap();
    let s2 = lab.sample_next(40).map_err(|_| "sample").unwrap() + &lab.sample_next(40).map_err(|_| "sample").unwrap();
    assert_eq!(s1, s2, "sampling in pieces = sampling at once");
    lab.finetune_start(2, 2, 1e-3, 1).map_err(|_| "ft").unwrap();
    let st = lab.finetune_step(5).map_err(|_| "ft").unwrap();
    crate::types::check(&st, "CompressiveFinetuneStep");
    let st: serde_json::Value = serde_wasm_bindgen::from_value(st).unwrap();
    assert_eq!(st["done"].as_u64(), Some(2));
    assert!(st["train_bpc"].as_f64().unwrap().is_finite());
    lab.finetune_stop(false);
}
