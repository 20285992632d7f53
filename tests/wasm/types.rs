//! The TypeScript declarations of the facades' typed records (`src/wasm/results.d.ts`, in pkg/paperlab.d.ts) against
//! what the facades really return: `check(value, "Type")` walks a JS value and the declaration together and fails on
//! a missing or extra key, a wrong primitive, a string outside a literal union, or a wrong tuple length. The lab
//! modules call it on their real results; the tests here show the checker itself fails where it should.
//!
//! The grammar is the small subset results.d.ts uses: `export interface N { field: T; }`, `export type N = T;`,
//! and types made of `number`, `boolean`, `string`, `null`, `"literal"`, a declared name, `T[]`, `(T)[]`,
//! `[A, B, C]` and unions `A | B`.
#![cfg(target_arch = "wasm32")]

use std::collections::BTreeMap;

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

const DECLS: &str = include_str!("../../src/wasm/results.d.ts");

enum Decl {
    Interface(Vec<(String, String)>),
    Alias(String),
}

/// Comments removed, then every `export interface` / `export type` of `src`.
fn declarations(src: &str) -> BTreeMap<String, Decl> {
    let mut text = String::new();
    let mut rest = src;
    while let Some(i) = rest.find("/*") {
        text.push_str(&rest[..i]);
        rest = &rest[i + rest[i..].find("*/").expect("an unclosed comment") + 2..];
    }
    text.push_str(rest);
    let text: String = text.lines().map(|l| l.split("//").next().unwrap()).collect::<Vec<_>>().join("\n");
    let mut out = BTreeMap::new();
    let mut s = text.as_str();
    while let Some(i) = s.find("export ") {
        s = &s[i + 7..];
        if let Some(r) = s.strip_prefix("interface ") {
            let open = r.find('{').unwrap();
            let close = r.find('}').unwrap();
            let name = r[..open].trim().to_string();
            let fields = r[open + 1..close]
                .split(';')
                .filter(|f| !f.trim().is_empty())
                .map(|f| {
                    let (k, t) = f.split_once(':').unwrap_or_else(|| panic!("field without a type: {f}"));
                    (k.trim().to_string(), t.trim().to_string())
                })
                .collect();
            out.insert(name, Decl::Interface(fields));
            s = &r[close + 1..];
        } else if let Some(r) = s.strip_prefix("type ") {
            let (name, t) = r.split_once('=').unwrap();
            let end = t.find(';').unwrap();
            out.insert(name.trim().to_string(), Decl::Alias(t[..end].trim().to_string()));
            s = &t[end + 1..];
        }
    }
    out
}

/// `t` split at its top-level `|` (not inside brackets or parentheses).
fn union_parts(t: &str) -> Vec<&str> {
    let (mut depth, mut start, mut parts) = (0i32, 0, Vec::new());
    for (i, c) in t.char_indices() {
        match c {
            '[' | '(' => depth += 1,
            ']' | ')' => depth -= 1,
            '|' if depth == 0 => {
                parts.push(t[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(t[start..].trim());
    parts
}

/// Why `v` is not of type `t`, or None.
fn mismatch(v: &JsValue, t: &str, decls: &BTreeMap<String, Decl>, path: &str) -> Option<String> {
    let parts = union_parts(t);
    if parts.len() > 1 {
        let why: Vec<String> = parts.iter().filter_map(|p| mismatch(v, p, decls, path)).collect();
        return if why.len() == parts.len() { Some(format!("{path}: {v:?} is none of {t} ({})", why.join("; "))) } else { None };
    }
    let t = t.trim();
    let bad = |what: &str| Some(format!("{path}: expected {what}, got {v:?}"));
    if let Some(inner) = t.strip_suffix("[]") {
        let inner = inner.strip_prefix('(').and_then(|x| x.strip_suffix(')')).unwrap_or(inner);
        if !Array::is_array(v) {
            return bad("an array");
        }
        let a: Array = v.clone().unchecked_into();
        return (0..a.length()).find_map(|i| mismatch(&a.get(i), inner, decls, &format!("{path}[{i}]")));
    }
    if let Some(inner) = t.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
        let items: Vec<&str> = inner.split(',').map(str::trim).collect();
        if !Array::is_array(v) {
            return bad("a tuple");
        }
        let a: Array = v.clone().unchecked_into();
        if a.length() as usize != items.len() {
            return bad(&format!("a tuple of {}", items.len()));
        }
        return items.iter().enumerate().find_map(|(i, it)| mismatch(&a.get(i as u32), it, decls, &format!("{path}[{i}]")));
    }
    if let Some(lit) = t.strip_prefix('"').and_then(|x| x.strip_suffix('"')) {
        return if v.as_string().as_deref() == Some(lit) { None } else { bad(t) };
    }
    match t {
        "number" => return if v.as_f64().is_some() { None } else { bad("a number") },
        "boolean" => return if v.as_bool().is_some() { None } else { bad("a boolean") },
        "string" => return if v.as_string().is_some() { None } else { bad("a string") },
        "null" => return if v.is_null() { None } else { bad("null") },
        // The one browser type a record holds (the lottery mask pictures, made with web-sys).
        "ImageData" => return if v.is_instance_of::<web_sys::ImageData>() { None } else { bad("an ImageData") },
        _ => {}
    }
    match decls.get(t) {
        Some(Decl::Alias(a)) => mismatch(v, a, decls, path),
        Some(Decl::Interface(fields)) => {
            if !v.is_object() || Array::is_array(v) {
                return bad(&format!("an object {t}"));
            }
            let keys: Vec<String> = Object::keys(v.unchecked_ref::<Object>()).iter().filter_map(|k| k.as_string()).collect();
            if let Some(extra) = keys.iter().find(|k| !fields.iter().any(|(f, _)| f == *k)) {
                return Some(format!("{path}: key `{extra}` is not declared in {t}"));
            }
            fields.iter().find_map(|(f, ft)| {
                if !keys.contains(f) {
                    return Some(format!("{path}: {t}.{f} is missing"));
                }
                mismatch(&Reflect::get(v, &JsValue::from_str(f)).unwrap(), ft, decls, &format!("{path}.{f}"))
            })
        }
        None => panic!("results.d.ts: unknown type `{t}`"),
    }
}

/// Fails the test when `v` is not of the declared type `t`.
pub fn check(v: &JsValue, t: &str) {
    if let Some(why) = mismatch(v, t, &declarations(DECLS), t) {
        panic!("the facade's result does not match results.d.ts: {why}");
    }
}

fn js(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap()
}

#[wasm_bindgen_test]
fn the_checker_accepts_a_match_and_names_each_kind_of_mismatch() {
    let d = declarations(DECLS);
    let ok = r#"{"acc": null, "bwt": -0.5, "learned": [0.99, null]}"#;
    assert_eq!(mismatch(&js(ok), "UcbMetrics", &d, "m"), None);
    let cases = [
        (r#"{"acc": null, "learned": []}"#, "UcbMetrics.bwt is missing"),
        (r#"{"acc": 1, "bwt": 1, "learned": [], "x": 1}"#, "key `x` is not declared"),
        (r#"{"acc": "1", "bwt": 1, "learned": []}"#, "m.acc"),
        (r#"{"acc": 1, "bwt": 1, "learned": [true]}"#, "m.learned[0]"),
    ];
    for (json, want) in cases {
        let why = mismatch(&js(json), "UcbMetrics", &d, "m").unwrap_or_else(|| panic!("{json} passed"));
        assert!(why.contains(want), "{json}: {why}");
    }
    // Literal unions, tuples and NaN (a number).
    assert!(mismatch(&JsValue::from_str("cap"), "LotteryStop", &d, "s").is_none());
    assert!(mismatch(&JsValue::from_str("never"), "LotteryStop", &d, "s").is_some());
    assert!(mismatch(&js("[[1, 2, 3]]"), "[number, number, number][]", &d, "e").is_none());
    assert!(mismatch(&js("[[1, 2]]"), "[number, number, number][]", &d, "e").is_some());
    assert!(mismatch(&JsValue::from_f64(f64::NAN), "number", &d, "n").is_none());
    // Every name a declaration uses is declared (names start with a capital letter; primitives do not).
    for decl in d.values() {
        let types: Vec<&String> = match decl {
            Decl::Interface(f) => f.iter().map(|(_, t)| t).collect(),
            Decl::Alias(t) => vec![t],
        };
        for t in types {
            for name in t.split(|c: char| !c.is_ascii_alphanumeric() && c != '_').filter(|w| w.starts_with(|c: char| c.is_ascii_uppercase())) {
                let builtin = name == "ImageData";
                assert!(builtin || d.contains_key(name) || t.contains(&format!("\"{name}")), "results.d.ts: `{name}` (in `{t}`) is not declared");
            }
        }
    }
}

/// The verify lab (no wasm module of its own): `model_info` of the shipped MLP and of a conv net.
#[wasm_bindgen_test]
fn verify_model_info_matches_its_declaration() {
    use paperlab::wasm::verify::VerifyLab;
    static DATA: &[u8] = include_bytes!("../../www/data/mnist-10k.safetensors.gz");
    static MLP: &[u8] = include_bytes!("../../www/models/verify/mlp-crownibp.safetensors");
    static CNN: &[u8] = include_bytes!("../../www/models/verify/cnn-natural.safetensors");
    for (bytes, arch) in [(MLP, "mlp"), (CNN, "cnn")] {
        let info = VerifyLab::new(bytes, DATA).unwrap().model_info().unwrap();
        check(&info, "VerifyModelInfo");
        let info: serde_json::Value = serde_wasm_bindgen::from_value(info).unwrap();
        assert_eq!(info["arch"], arch);
        assert_eq!(info["dims"][0], 784);
        assert_eq!(info["ops"].as_array().unwrap().is_empty(), arch == "mlp");
    }
}

/// The records of the template lab's facade and of the molecules GA (whose facade needs RDKit's chemistry to
/// step, so its generation records come from a stand-in run, serialised as the facade does).
#[wasm_bindgen_test]
fn template_and_molecules_records_match_their_declarations() {
    use paperlab::labs::molecules::ga::{run_generation, Ga, GaConfig, StandInChemistry};
    use serde::Serialize;
    let mut lab = paperlab::wasm::_template::TemplateLab::new(8).unwrap();
    lab.start(2.0, 100, 1).unwrap();
    check(&lab.step(10).unwrap(), "TemplateStep");
    let cfg = GaConfig { population: 12, generations: 2, beta: 1.0, seed: 3, ..Default::default() };
    let mut ga = Ga::new(cfg, vec!["CCO".into(), "c1ccccc1O".into()]).unwrap();
    let mut chem = StandInChemistry { reject_longer_than: Some(40) };
    let stats = run_generation(&mut ga, &mut chem).unwrap().expect("a first generation");
    check(&stats.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).unwrap(), "MoleculesGeneration");
}

#[wasm_bindgen_test]
fn lottery_mask_pictures_match_their_declaration() {
    use paperlab::wasm::lottery::LotteryMasks;
    static MASKS_GZ: &[u8] = include_bytes!("../../www/models/lottery/vision-masks.safetensors.gz");
    let pics = LotteryMasks::new(MASKS_GZ).unwrap().pictures(1, &[9u8; 18]).unwrap();
    check(&pics, "LotteryMaskPictures");
    // A plain object where an ImageData belongs is named.
    let d = declarations(DECLS);
    let fake = js(r#"{"tiles": {"width": 1}, "share": {"width": 1}}"#);
    assert!(mismatch(&fake, "LotteryMaskPicture", &d, "p").is_some_and(|w| w.contains("ImageData")));
}
