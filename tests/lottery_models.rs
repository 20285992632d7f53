//! Re-checks the lottery lab's shipped artifacts against `www/models/lottery/manifest.json` (a few seconds):
//! every precomputed level has the survivor counts the pruning rule gives; the shipped mask rounds nest and match
//! those counts; the shipped trained ticket is exactly as sparse as its level says, its zeros are the mask's, and it
//! reaches the test accuracy the manifest records; the pruned certified network's IBP and CROWN-IBP verified errors
//! at one level are re-measured.

use paperlab::data::mnist::Mnist;
use paperlab::labs::lottery::prune_mlp;
use paperlab::labs::verify::{verify_counts, LowerSlope, Method};
use paperlab::nn::layers::argmax_rows;
use paperlab::nn::prune::survivors;
use paperlab::nn::Mlp;
use serde_json::Value;

fn dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("www/models/lottery")
}

fn manifest() -> Value {
    serde_json::from_slice(&std::fs::read(dir().join("manifest.json")).expect("www/models/lottery/manifest.json is shipped")).expect("manifest is JSON")
}

const SIZES: [usize; 3] = [784 * 300, 300 * 100, 100 * 10];

#[test]
fn vision_levels_masks_and_ticket_match_the_manifest() {
    let m = manifest();
    let v = &m["settings"]["vision"];
    let imp = &v["config"]["imp"];
    let (p, po) = (imp["rate"].as_f64().unwrap(), imp["rate_output"].as_f64().unwrap());
    assert_eq!(v["config"]["quick"], Value::Bool(false), "the shipped curves are not a quick run");
    let ticket = v["series"]["ticket"]["points"].as_array().unwrap();
    assert!(ticket.len() >= 15, "levels down to a few percent");
    for key in ["ticket", "reinit", "late", "random"] {
        for pt in v["series"][key]["points"].as_array().unwrap() {
            let l = pt["level"].as_u64().unwrap() as usize;
            let want = [survivors(SIZES[0], p, l), survivors(SIZES[1], p, l), survivors(SIZES[2], po, l)];
            let counts: Vec<usize> = pt["counts"].as_array().unwrap().iter().map(|c| c.as_u64().unwrap() as usize).collect();
            assert_eq!(counts, want, "{key} level {l}");
            let rem = want.iter().sum::<usize>() as f64 / 266_200.0;
            assert!((pt["remaining"].as_f64().unwrap() - rem).abs() < 1e-9, "{key} level {l}");
            assert_eq!(pt["metric"]["n"].as_u64().unwrap(), v["config"]["seeds"].as_array().unwrap().len() as u64);
        }
    }

    // Mask rounds: weights with round > l survive level l.
    let gz = std::fs::read(dir().join(v["artifacts"]["masks"].as_str().unwrap())).unwrap();
    let raw = paperlab::io::gunzip(&gz, 1 << 22).unwrap();
    let f = paperlab::io::load(&raw).unwrap();
    let layers: Vec<(Vec<usize>, Vec<u8>)> = (0..3).map(|i| f.u8(&format!("layer{i}")).unwrap()).collect();
    assert_eq!(layers[0].0, vec![300, 784]);
    for pt in ticket {
        let l = pt["level"].as_u64().unwrap() as u8;
        let got: Vec<usize> = layers.iter().map(|(_, r)| r.iter().filter(|&&x| x > l).count()).collect();
        let want: Vec<usize> = pt["counts"].as_array().unwrap().iter().map(|c| c.as_u64().unwrap() as usize).collect();
        assert_eq!(got, want, "mask rounds at level {l}");
    }

    // The trained ticket.
    let t = &v["artifacts"]["ticket"];
    let (mlp, meta) = Mlp::from_safetensors(&std::fs::read(dir().join(t["file"].as_str().unwrap())).unwrap()).unwrap();
    let level = t["level"].as_u64().unwrap() as u8;
    assert_eq!(meta.get("level").map(String::as_str), Some(level.to_string().as_str()));
    for (i, (w, (shape, rounds))) in mlp.w.iter().zip(&layers).enumerate() {
        assert_eq!(shape.iter().product::<usize>(), w.len());
        // Both the file's weights and the rounds are unit-major [out, in].
        for (j, (&x, &r)) in w.iter().zip(rounds).enumerate() {
            assert_eq!(x != 0.0, r > level, "layer {i} weight {j}: a weight is nonzero exactly when its mask keeps it");
        }
    }
    let data = Mnist::load_default().unwrap();
    let x = data.test.batch_f32(&(0..data.test.n).collect::<Vec<_>>());
    let pred = argmax_rows(mlp.logits(ndarray::ArrayView2::from_shape((data.test.n, 784), &x).unwrap()).unwrap().view());
    let acc = pred.iter().zip(&data.test.labels).filter(|(p, y)| **p == **y as usize).count() as f64 / data.test.n as f64;
    let want = t["test_acc_dense_forward"].as_f64().unwrap();
    assert!((acc - want).abs() <= 0.001 + 1e-9, "ticket test accuracy {acc} vs manifest {want}");
    // The run measured the same network with its sparse-input forward pass: at most a digit or two may differ.
    let run = v["runs"].as_array().unwrap().iter().find(|r| r["seed"] == t["seed"] && r["run"] == "init").unwrap();
    let rec = run["results"].as_array().unwrap().iter().find(|r| r["level"] == t["level"] && r["kind"] == "ticket").unwrap();
    assert!((acc - rec["metric_final"].as_f64().unwrap()).abs() <= 0.001 + 1e-9);
}

#[test]
fn pruned_certified_network_matches_the_manifest() {
    let m = manifest();
    let v = &m["verify"];
    let path = dir().join(v["model"].as_str().unwrap());
    let (model, _) = Mlp::from_safetensors(&std::fs::read(path).unwrap()).unwrap();
    let data = Mnist::load_default().unwrap();
    let n = v["test_digits"].as_u64().unwrap() as usize;
    let x = data.test.batch_f32(&(0..n).collect::<Vec<_>>());
    let y = &data.test.labels[..n];
    let xv = paperlab::nd::view("x", &x, (n, 784)).unwrap();
    let levels: Vec<u64> = v["levels"].as_array().unwrap().iter().map(|l| l.as_u64().unwrap()).collect();
    let i = levels.len() / 2;
    let e = v["eps"].as_array().unwrap().iter().position(|e| (e.as_f64().unwrap() - 0.3).abs() < 1e-6).expect("eps 0.3 is precomputed");
    let p = prune_mlp(&model, 0.2, 0.1, levels[i] as usize).unwrap();
    let ibp = verify_counts(&p, xv, y, 0.3, Method::Ibp, 1.0, LowerSlope::Adaptive, 250).unwrap();
    let cib = verify_counts(&p, xv, y, 0.3, Method::CrownIbp, 1.0, LowerSlope::Adaptive, 100).unwrap();
    let close = |what: &str, got: u32, want: &Value| {
        let want = want.as_f64().unwrap();
        assert!((got as f64 / n as f64 - want).abs() <= 0.001 + 1e-9, "{what} at level {}: {} vs manifest {want}", levels[i], got as f64 / n as f64);
    };
    close("clean error", ibp.clean_err, &v["clean_err"][i]);
    close("IBP verified error", ibp.verified_err, &v["ibp_err"][e][i]);
    close("CROWN-IBP verified error", cib.verified_err, &v["crownibp_err"][e][i]);
}

#[test]
fn shipped_cartpole_ticket_reaches_its_return() {
    use paperlab::labs::lottery::cartpole::{CartPoleTask, RlConfig};
    let m = manifest();
    let v = &m["settings"]["rl"];
    assert_eq!(v["config"]["quick"], Value::Bool(false));
    let t = &v["artifacts"]["ticket"];
    let (mlp, _) = Mlp::from_safetensors(&std::fs::read(dir().join(t["file"].as_str().unwrap())).unwrap()).unwrap();
    let level = t["level"].as_u64().unwrap() as usize;
    let sizes = [4 * 64, 64 * 64, 64 * 3];
    let rates = [0.2, 0.2, 0.1];
    for (l, w) in mlp.w.iter().enumerate() {
        assert_eq!(w.len(), sizes[l]);
        assert_eq!(w.iter().filter(|x| **x != 0.0).count(), survivors(sizes[l], rates[l], level), "layer {l} at level {level}");
    }
    for key in ["ticket", "late", "reinit", "random"] {
        for pt in v["series"][key]["points"].as_array().unwrap() {
            let l = pt["level"].as_u64().unwrap() as usize;
            let counts: Vec<usize> = pt["counts"].as_array().unwrap().iter().map(|c| c.as_u64().unwrap() as usize).collect();
            assert_eq!(counts, (0..3).map(|i| survivors(sizes[i], rates[i], l)).collect::<Vec<_>>(), "{key} level {l}");
        }
    }
    let mut task = CartPoleTask::new(RlConfig::default(), t["seed"].as_u64().unwrap());
    task.mlp = mlp;
    let got = task.greedy_return().unwrap();
    let want = t["greedy_return"].as_f64().unwrap();
    // Deterministic given the weights; a machine whose float rounding differs could flip a near-tied action, so a
    // little slack.
    assert!((got - want).abs() <= 0.05 * want + 1e-9, "greedy return {got} vs manifest {want}");
}

#[test]
fn shipped_language_ticket_reaches_its_bits_per_character() {
    use paperlab::labs::lottery::text::{LmConfig, TextTask};
    let m = manifest();
    let v = &m["settings"]["lm"];
    assert_eq!(v["config"]["quick"], Value::Bool(false));
    let gz = std::fs::read(std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("www/data/moby-dick-200k.txt.gz")).unwrap();
    let mut task = TextTask::from_gz(&gz, LmConfig::default(), 1).unwrap();
    let sizes: Vec<usize> = [0usize, 1, 2, 4].iter().map(|&i| task.p[i].len()).collect();
    assert_eq!(sizes, vec![75 * 32, 256 * 32, 256 * 64, 75 * 64]);
    let rates = [0.2, 0.2, 0.2, 0.1];
    for key in ["ticket", "late", "reinit", "random", "noemb"] {
        for pt in v["series"][key]["points"].as_array().unwrap() {
            let l = pt["level"].as_u64().unwrap() as usize;
            let counts: Vec<usize> = pt["counts"].as_array().unwrap().iter().map(|c| c.as_u64().unwrap() as usize).collect();
            let want: Vec<usize> = (0..4).map(|i| if i == 0 && key == "noemb" { sizes[0] } else { survivors(sizes[i], rates[i], l) }).collect();
            assert_eq!(counts, want, "{key} level {l}");
        }
    }
    let t = &v["artifacts"]["ticket"];
    let bytes = std::fs::read(dir().join(t["file"].as_str().unwrap())).unwrap();
    let f = paperlab::io::load(&bytes).unwrap();
    let names = ["emb", "w_ih", "w_hh", "bias", "w_out", "b_out"];
    for (i, name) in names.iter().enumerate() {
        task.p[i] = f.f32(name).unwrap().data;
    }
    let level = t["level"].as_u64().unwrap() as usize;
    for (j, &i) in [0usize, 1, 2, 4].iter().enumerate() {
        assert_eq!(task.p[i].iter().filter(|x| **x != 0.0).count(), survivors(sizes[j], rates[j], level), "tensor {i}");
    }
    let bpc = task.val_bpc().unwrap();
    let want = t["val_bpc"].as_f64().unwrap();
    assert!((bpc - want).abs() <= 1e-3, "validation bits per character {bpc} vs manifest {want}");
}
