//! The lottery lab inside WebAssembly (both builds): magnitude pruning gives the rule's exact survivor counts for
//! LeNet-300-100's shapes, and the page's facades run a short IMP run whose levels have those counts.
#![cfg(target_arch = "wasm32")]

use paperlab::nn::prune::{prune_layerwise, survivors, Mask};
use paperlab::nn::Rng;
use paperlab::labs::lottery::page::{mask_tiles_rgba, MaskPalette, RoundMasks};
use paperlab::wasm::lottery::{LotteryMasks, LotteryPlanner, LotteryRl, LotteryText, LotteryVision};
use wasm_bindgen::JsCast;
use serde::Serialize;
use wasm_bindgen_test::*;

static MNIST_GZ: &[u8] = include_bytes!("../../www/data/mnist-10k.safetensors.gz");
static TEXT_GZ: &[u8] = include_bytes!("../../www/data/moby-dick-200k.txt.gz");

/// `round(n (num/den)^k)`, round half up, in integers.
fn exact(n: u128, num: u128, den: u128, k: u32) -> usize {
    ((2 * n * num.pow(k) + den.pow(k)) / (2 * den.pow(k))) as usize
}

#[wasm_bindgen_test]
fn lenet_survivor_counts_in_wasm() {
    let sizes = [784 * 300, 300 * 100, 100 * 10];
    let mut rng = Rng::new(2);
    let mut mask = Mask::dense(&sizes);
    for k in 1..=6u32 {
        let ws: Vec<Vec<f32>> = sizes.iter().map(|&n| (0..n).map(|_| rng.normal()).collect()).collect();
        let want = vec![exact(235_200, 4, 5, k), exact(30_000, 4, 5, k), exact(1000, 9, 10, k)];
        let targets: Vec<usize> = vec![survivors(235_200, 0.2, k as usize), survivors(30_000, 0.2, k as usize), survivors(1000, 0.1, k as usize)];
        assert_eq!(targets, want);
        prune_layerwise(&ws.iter().map(Vec::as_slice).collect::<Vec<_>>(), &mut mask, &targets).unwrap();
        assert_eq!(mask.counts(), want, "round {k}");
    }
}

/// `(level, counts)` of a `results` record list.
fn counts_of(results: wasm_bindgen::JsValue) -> Vec<(u64, Vec<u64>)> {
    let v: serde_json::Value = serde_wasm_bindgen::from_value(results).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| (r["level"].as_u64().unwrap(), r["counts"].as_array().unwrap().iter().map(|c| c.as_u64().unwrap()).collect()))
        .collect()
}

/// The page's settings as the page sends them.
fn page(json: &str) -> wasm_bindgen::JsValue {
    let mut base = serde_json::json!({ "rate": 0.2, "target": 5.0, "rewind": "init", "k": 0, "global": false, "iters": 2, "seed": 4, "prune_embedding": true });
    let patch: serde_json::Value = serde_json::from_str(json).unwrap();
    for (k, v) in patch.as_object().unwrap() {
        base[k] = v.clone();
    }
    base.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).unwrap()
}

fn finished(p: wasm_bindgen::JsValue) -> bool {
    crate::types::check(&p, "LotteryProgress");
    let v: serde_json::Value = serde_wasm_bindgen::from_value(p).unwrap();
    v["finished"].as_bool().unwrap()
}

#[wasm_bindgen_test]
fn facades_run_a_short_imp() {
    let mut rl = LotteryRl::new();
    rl.start(page(r#"{"target": 70}"#)).unwrap();
    let mut guard = 0;
    while !finished(rl.step(1).unwrap()) {
        guard += 1;
        assert!(guard < 100);
    }
    let results = rl.results(0).unwrap();
    crate::types::check(&results, "LotteryLevelResult[]");
    let got = counts_of(results);
    assert_eq!(got.len(), 3);
    for (l, c) in got {
        let l = l as usize;
        assert_eq!(c, vec![survivors(256, 0.2, l) as u64, survivors(4096, 0.2, l) as u64, survivors(192, 0.1, l) as u64]);
    }

    let mut v = LotteryVision::new(MNIST_GZ).unwrap();
    assert!(v.start(page(r#"{"bogus": 1}"#)).is_err(), "unknown settings are refused");
    assert!(v.start(page(r#"{"rate": 2}"#)).is_err(), "out of range settings are refused");
    crate::types::check(&v.start(page(r#"{"target": 51, "rate": 0.5, "rewind": "random"}"#)).unwrap(), "LotteryPlan");
    while !finished(v.step(10).unwrap()) {}
    let got = counts_of(v.results(0).unwrap());
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].1, vec![117_600, 15_000, 750]);
    let m = v.mask_units().unwrap();
    assert_eq!(m.len(), 300 * 784);
    assert_eq!(m.iter().filter(|&&b| b == 1).count(), 117_600);
    crate::types::check(&v.mask_summary().unwrap(), "LotteryMaskSummary");

    let mut t = LotteryText::new(TEXT_GZ).unwrap();
    t.start(page(r#"{"target": 90, "prune_embedding": false}"#)).unwrap();
    while !finished(t.step(1).unwrap()) {}
    let got = counts_of(t.results(0).unwrap());
    assert_eq!(got.len(), 2);
    // 75 characters: the embedding 75 x 32 stays dense; W_ih 256 x 32, W_hh 256 x 64 at 20%, W_out 75 x 64 at 10%.
    assert_eq!(got[1].1, vec![2400, 6554, 13107, 4320]);

    // The data-free planner gives the plan the language run had.
    let plan: serde_json::Value = serde_wasm_bindgen::from_value(LotteryPlanner::new().plan("lm", page(r#"{"target": 90, "prune_embedding": false}"#)).unwrap()).unwrap();
    assert_eq!(plan["levels"][1]["counts"], serde_json::json!([2400, 6554, 13107, 4320]));
    assert_eq!(plan["stop"], "target");
    assert!(LotteryPlanner::new().plan("chess", page("{}")).is_err());
}

#[wasm_bindgen_test]
fn mask_pictures_are_image_data_equal_to_the_native_drawing() {
    // web-sys: the engine hands the page ImageData; its bytes are the native picture's (light and dark).
    static MASKS_GZ: &[u8] = include_bytes!("../../www/models/lottery/vision-masks.safetensors.gz");
    let pal: Vec<u8> = (0..18).map(|i| (i * 13 + 7) as u8).collect();
    let pics = LotteryMasks::new(MASKS_GZ).unwrap().pictures(2, &pal).unwrap();
    let rm = RoundMasks::from_bytes(MASKS_GZ).unwrap();
    let (m, _) = rm.at(2);
    let view = ndarray::ArrayView2::from_shape((rm.units, rm.inputs), &m).unwrap();
    for (name, p) in [("light", &pal[..9]), ("dark", &pal[9..])] {
        let pic = js_sys::Reflect::get(&pics, &name.into()).unwrap();
        let tiles: web_sys::ImageData = js_sys::Reflect::get(&pic, &"tiles".into()).unwrap().dyn_into().unwrap();
        let want = mask_tiles_rgba(view, 28, 20, &MaskPalette::from_bytes(p).unwrap()).unwrap();
        assert_eq!((tiles.height() as usize, tiles.width() as usize), (want.dim().0, want.dim().1), "{name} size");
        assert!(tiles.data().0 == want.as_slice().unwrap(), "{name}: the ImageData differs from the native picture");
        let share: web_sys::ImageData = js_sys::Reflect::get(&pic, &"share".into()).unwrap().dyn_into().unwrap();
        assert_eq!((share.width(), share.height()), (28, 28));
    }
    assert!(LotteryMasks::new(MASKS_GZ).unwrap().pictures(2, &pal[..5]).is_err(), "a short palette is an error");
}
