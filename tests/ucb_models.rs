//! Re-checks the shipped ucb-lab runs (`www/models/ucb/manifest.json`, made by `paperlab train ucb`): the manifest
//! lists every method in both modes for its seeds, its ACC/BWT and summary agree with its matrices, and one run (UCB,
//! task-incremental, seed 1) re-trained here gives the same accuracy matrix and pruning number. A tolerance of one
//! percentage point per cell allows for floating-point differences between machines (kernels with and without FMA).

use std::sync::Arc;

use paperlab::data::mnist::Mnist;
use paperlab::labs::ucb::{acc_bwt, Config, Criterion, Method, Mode, Run, SplitMnist, TASKS};

fn manifest() -> serde_json::Value {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("www/models/ucb/manifest.json");
    serde_json::from_slice(&std::fs::read(p).expect("www/models/ucb/manifest.json is shipped")).expect("manifest is JSON")
}

fn matrix(v: &serde_json::Value) -> Vec<Vec<f32>> {
    v.as_array().unwrap().iter().map(|r| r.as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect()).collect()
}

/// A re-run's accuracy matrix equals the shipped one (JSON rows of fractions) within one point per entry.
fn assert_rerun_matches(got: &[Vec<f32>], shipped: &serde_json::Value, what: &str) {
    let want = matrix(shipped);
    for t in 0..TASKS {
        for i in 0..TASKS {
            let (g, w) = (got[t][i], want[t][i]);
            assert!((g - w).abs() <= 0.01, "{what}R[{t}][{i}]: re-run {:.2}% vs shipped {:.2}%", 100.0 * g, 100.0 * w);
        }
    }
}

#[test]
fn manifest_is_complete_and_consistent() {
    let m = manifest();
    assert_eq!(m["lab"], "ucb");
    let runs = m["runs"].as_array().unwrap();
    for method in Method::ALL {
        for mode in [Mode::Task, Mode::Class] {
            let sel: Vec<&serde_json::Value> = runs.iter().filter(|r| r["method"] == method.name() && r["mode"] == mode.name()).collect();
            assert!(sel.len() >= 3, "{} / {}: {} seeds shipped, want 3", method.name(), mode.name(), sel.len());
            for r in &sel {
                let mx = matrix(&r["matrix"]);
                assert_eq!(mx.len(), TASKS);
                let (acc, bwt) = acc_bwt(&mx);
                assert!((acc as f64 - r["acc"].as_f64().unwrap()).abs() < 2e-4, "ACC of {} / {}", method.name(), mode.name());
                assert!((bwt as f64 - r["bwt"].as_f64().unwrap()).abs() < 2e-4, "BWT of {} / {}", method.name(), mode.name());
                let hists = r["hists"].as_array().unwrap();
                assert_eq!(hists.len(), TASKS, "a histogram entry per task");
                let groups: Vec<usize> = hists.iter().map(|h| h.as_array().unwrap().len()).collect();
                assert_eq!(groups, vec![if method.bayes() { 3 } else { 0 }; TASKS], "two hidden layers and the heads (none without sigma)");
                let ratios = m["prune_ratios"].as_array().unwrap().len();
                assert_eq!(r["prune"]["magnitude"].as_array().unwrap().len(), ratios);
                // Nothing pruned: the same network and prediction noise as the last row of the matrix.
                let p0: Vec<f32> = r["prune"]["magnitude"][0].as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect();
                for t in 0..TASKS {
                    assert!((p0[t] - mx[TASKS - 1][t]).abs() < 1e-4, "unpruned accuracy {} vs the last row {}", p0[t], mx[TASKS - 1][t]);
                }
            }
            let s = m["summary"].as_array().unwrap().iter().find(|s| s["method"] == method.name() && s["mode"] == mode.name()).expect("summary row");
            let mean = sel.iter().map(|r| r["acc"].as_f64().unwrap()).sum::<f64>() / sel.len() as f64;
            assert!((mean - s["acc_mean"].as_f64().unwrap()).abs() < 2e-4);
        }
    }
}

#[test]
fn a_shipped_run_is_reproduced() {
    let m = manifest();
    let r = m["runs"].as_array().unwrap().iter().find(|r| r["method"] == "ucb" && r["mode"] == "task" && r["seed"] == 1).expect("UCB task seed 1 is shipped");
    let cfg: Config = serde_json::from_value(r["config"].clone()).expect("config parses");
    assert_eq!(cfg, Config::default_for(Method::Ucb, Mode::Task, 1), "the shipped run used the default configuration");
    let data = Arc::new(SplitMnist::new(&Mnist::load_default().unwrap()));
    let mut run = Run::new(cfg, data).unwrap();
    run.run_to_end(|_, _| {}).unwrap();
    assert_rerun_matches(run.matrix(), &r["matrix"], "");
    let (acc, bwt) = acc_bwt(run.matrix());
    eprintln!("re-run: ACC {:.2}% BWT {:+.2}% (shipped {:.2}% {:+.2}%)", 100.0 * acc, 100.0 * bwt, 100.0 * r["acc"].as_f64().unwrap(), 100.0 * r["bwt"].as_f64().unwrap());
    // One pruning number: half of every weight matrix removed by |mu| / sigma.
    let k = m["prune_ratios"].as_array().unwrap().iter().position(|x| (x.as_f64().unwrap() - 0.5).abs() < 1e-9).unwrap();
    let got = run.pruned_accuracy(0.5, Criterion::Snr).unwrap();
    for t in 0..TASKS {
        let w = r["prune"]["snr"][k][t].as_f64().unwrap() as f32;
        assert!((got[t] - w).abs() <= 0.01, "pruned 50% by SNR, task {t}: {:.2}% vs shipped {:.2}%", 100.0 * got[t], 100.0 * w);
    }
}

/// `www/models/ucb/long.json` (`paperlab train ucb long`): every summary row agrees with its runs, the task-incremental
/// claim (the most epochs) has five seeds per method and every setting three, a run's ACC/BWT agree with its matrix, and a 4-epoch long run
/// (the shipped configuration) has the same matrix as the manifest's run of that seed.
#[test]
fn long_runs_are_consistent() {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("www/models/ucb/long.json");
    let l: serde_json::Value = serde_json::from_slice(&std::fs::read(p).expect("long.json is shipped")).unwrap();
    let runs = l["runs"].as_array().unwrap();
    for s in l["summary"].as_array().unwrap() {
        let sel: Vec<&serde_json::Value> =
            runs.iter().filter(|r| r["method"] == s["method"] && r["mode"] == s["mode"] && r["epochs"] == s["epochs"]).collect();
        assert_eq!(sel.len() as u64, s["seeds"].as_u64().unwrap());
        let most = l["summary"].as_array().unwrap().iter().filter(|x| x["mode"] == s["mode"]).filter_map(|x| x["epochs"].as_u64()).max();
        if s["mode"] == "task" && s["epochs"].as_u64() == most {
            assert!(sel.len() >= 5, "{s}: the claim (the most epochs, task-incremental) needs five seeds");
        }
        assert!(sel.len() >= 3, "{s}: at least three seeds");
        let mean = sel.iter().map(|r| r["bwt"].as_f64().unwrap()).sum::<f64>() / sel.len() as f64;
        assert!((mean - s["bwt_mean"].as_f64().unwrap()).abs() < 2e-4, "{s}");
        for r in &sel {
            let mx = matrix(&r["matrix"]);
            let (acc, bwt) = acc_bwt(&mx);
            assert!((acc as f64 - r["acc"].as_f64().unwrap()).abs() < 2e-4 && (bwt as f64 - r["bwt"].as_f64().unwrap()).abs() < 2e-4);
            assert_eq!(r["near_init"].as_array().unwrap().len(), TASKS, "a share per task (null without sigma)");
        }
    }
    let m = manifest();
    for method in Method::ALL {
        let short = runs.iter().find(|r| r["method"] == method.name() && r["mode"] == "task" && r["epochs"] == 4 && r["seed"] == 1);
        let ship = m["runs"].as_array().unwrap().iter().find(|r| r["method"] == method.name() && r["mode"] == "task" && r["seed"] == 1).unwrap();
        if let Some(short) = short {
            let (a, b) = (matrix(&short["matrix"]), matrix(&ship["matrix"]));
            for t in 0..TASKS {
                for i in 0..TASKS {
                    assert!((a[t][i] - b[t][i]).abs() <= 0.01, "{}: R[{t}][{i}] long {} vs manifest {}", method.name(), a[t][i], b[t][i]);
                }
            }
        }
    }
}

/// The Permuted-MNIST long runs (`paperlab train ucb long --modes perm`): every long method at 4 epochs with five
/// seeds, and UCB seed 1 re-trained here on `SplitMnist::permuted(seed 1, train_images)` gives the shipped matrix.
#[test]
fn permuted_runs_are_shipped_and_reproduced() {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("www/models/ucb/long.json");
    let l: serde_json::Value = serde_json::from_slice(&std::fs::read(p).expect("long.json is shipped")).unwrap();
    for m in paperlab::labs::ucb::LONG_METHODS {
        let s = l["summary"].as_array().unwrap().iter().find(|s| s["method"] == m && s["mode"] == "perm" && s["epochs"] == 4);
        assert!(s.is_some_and(|s| s["seeds"].as_u64().unwrap() >= 5), "{m}: Permuted MNIST, 4 epochs, five seeds");
    }
    let r = l["runs"].as_array().unwrap().iter().find(|r| r["method"] == "ucb" && r["mode"] == "perm" && r["epochs"] == 4 && r["seed"] == 1).unwrap();
    let n = r["train_images"].as_u64().expect("train_images of a perm run") as usize;
    let data = Arc::new(SplitMnist::permuted(&Mnist::load_default().unwrap(), 1, n).unwrap());
    let mut run = Run::new(Config::default_for(Method::Ucb, Mode::Perm, 1), data).unwrap();
    run.run_to_end(|_, _| {}).unwrap();
    assert_rerun_matches(run.matrix(), &r["matrix"], "perm ");
}
