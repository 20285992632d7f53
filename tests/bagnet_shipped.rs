//! The shipped bagnet models (www/models/bagnet/) re-evaluated against the manifest `paperlab train bagnet` wrote:
//! test accuracy and scrambled-tile accuracy of the shipped (seed 1) weights of every model on both datasets, and
//! the masking experiment of one BagNet; the manifest's statistics agree with its runs.
#![cfg(not(target_arch = "wasm32"))] // native tests; `wasm-pack test` builds every test target for wasm32 too

use paperlab::data::fashion::Fashion;
use paperlab::data::mnist::Mnist;
use paperlab::labs::bagnet::ship::{Manifest, Stat, EXPERIMENT_SEED, MASK_KS};
use paperlab::labs::bagnet::{accuracy, mask_experiment, scrambled_accuracy, Model};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/www/models/bagnet");

fn manifest() -> Manifest {
    serde_json::from_slice(&std::fs::read(format!("{DIR}/manifest.json")).unwrap()).unwrap()
}

#[test]
fn shipped_models_match_the_manifest() {
    let m = manifest();
    let (mnist, fashion) = (Mnist::load_default().unwrap(), Fashion::load_default().unwrap());
    assert_eq!(m.models.len(), 10, "4 BagNets and the CNN on each of 2 datasets");
    for e in &m.models {
        let test = if e.dataset == "mnist" { &mnist.test } else { &fashion.test };
        let (model, _) = Model::from_safetensors(&std::fs::read(format!("{DIR}/{}", e.file)).unwrap()).unwrap();
        assert_eq!(model.config(), e.config, "{}", e.id);
        assert_eq!(model.n_params(), e.params);
        let run = e.runs.iter().find(|r| r.seed == 1).expect("seed 1 is shipped");
        let acc = accuracy(&model, test, 0).unwrap();
        assert!((acc - run.test_acc).abs() < 1e-9, "{}: test accuracy now {acc}, manifest {}", e.id, run.test_acc);
        // One scrambled accuracy (the first tile size) on the same images and permutations.
        let s = scrambled_accuracy(&model, test, m.scramble_images, m.scramble_tiles[0], EXPERIMENT_SEED).unwrap();
        assert!((s - run.scrambled_acc[0]).abs() < 1e-9, "{}: scrambled accuracy now {s}, manifest {}", e.id, run.scrambled_acc[0]);
        // The statistics are those of the runs.
        let st = Stat::of(&e.runs.iter().map(|r| r.test_acc).collect::<Vec<_>>());
        assert!((st.mean - e.test_acc.mean).abs() < 1e-12 && (st.sd - e.test_acc.sd).abs() < 1e-12, "{}", e.id);
        // Trained models, far above chance (10%).
        assert!(acc > 0.3, "{}: accuracy {acc}", e.id);
    }
}

#[test]
fn masking_experiment_matches_the_manifest() {
    let m = manifest();
    let mnist = Mnist::load_default().unwrap();
    let me = m.masking.iter().find(|x| x.dataset == "mnist" && x.q == 9).expect("BagNet-9 on MNIST");
    let load = |id: &str| Model::from_safetensors(&std::fs::read(format!("{DIR}/{id}.safetensors")).unwrap()).unwrap().0;
    let (Model::BagNet(b), Model::Cnn(c)) = (load("bagnet-q9-mnist"), load("cnn-mnist")) else { panic!("wrong kinds") };
    let r = mask_experiment(&b, &c, &mnist.test, me.images, &MASK_KS, EXPERIMENT_SEED).unwrap();
    assert_eq!(r.len(), me.results.len());
    for (a, w) in r.iter().zip(&me.results) {
        assert_eq!(a.k, w.k);
        for (x, y, what) in [(a.bagnet, w.bagnet, "bagnet"), (a.cnn, w.cnn, "cnn"), (a.bagnet_random, w.bagnet_random, "bagnet random"), (a.cnn_random, w.cnn_random, "cnn random"), (a.correlation, w.correlation, "correlation")] {
            assert!((x - y).abs() < 1e-6, "k {}: {what} now {x}, manifest {y}", a.k);
        }
    }
    // Masking the one patch of most evidence hurts the BagNet more than masking a random one (at large k both masks
    // cover most of the digit and the two converge).
    assert!(r[0].bagnet < r[0].bagnet_random, "{:?}", r[0]);
}

/// The shipped models show the paper's trend (docs/labs/bagnet.md, "Results"): on both datasets the largest patch
/// beats the smallest on every seed, and on MNIST every step up in q is a rise beyond the seed spread (the worst
/// seed of each q above the best seed of the q before); even the smallest patch is far above chance (10%).
#[test]
fn accuracy_grows_with_q_beyond_the_seed_spread() {
    let m = manifest();
    for ds in ["mnist", "fashion"] {
        let mut bag: Vec<_> = m.models.iter().filter(|e| e.dataset == ds && e.q.is_some()).collect();
        bag.sort_by_key(|e| e.q);
        assert_eq!(bag.len(), 4, "{ds}");
        assert!(m.seeds.len() >= 2, "a spread needs at least 2 seeds");
        let (lo, hi) = (&bag[0].test_acc, &bag[3].test_acc);
        assert!(hi.min > lo.max, "{ds}: BagNet-{} worst seed {} vs BagNet-{} best seed {}", bag[3].q.unwrap(), hi.min, bag[0].q.unwrap(), lo.max);
        assert!(lo.min > 0.3, "{ds}: BagNet-{} worst seed {}", bag[0].q.unwrap(), lo.min);
        if ds == "mnist" {
            for w in bag.windows(2) {
                assert!(w[1].test_acc.min > w[0].test_acc.max, "mnist: q {:?} worst {} vs q {:?} best {}", w[1].q, w[1].test_acc.min, w[0].q, w[0].test_acc.max);
            }
        }
    }
}
