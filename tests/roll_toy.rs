//! The roll lab's toy side: seeded data sets, and training on them — a plain net and a ROLL net reach the same data
//! fit while the ROLL net's ℓ2 margins on the training points grow (the paper's Figure 1 effect), measured with the
//! exact margins of the math module.

use paperlab::labs::roll::toy::{make, Toy, ToyConfig, ToyTrainer};
use paperlab::labs::roll::{margins, neuron_gradients, quantiles, RollConfig};

#[test]
fn data_sets_are_seeded_balanced_and_in_the_square() {
    for kind in [Toy::Spirals, Toy::Circles, Toy::Xor, Toy::Moons] {
        let (x, y) = make(kind, 101, 0.0, 4).unwrap();
        assert_eq!((x.len(), y.len()), (202, 101));
        assert_eq!(y.iter().filter(|&&v| v == 0).count(), 50, "{kind:?}: half (rounded down) are class 0");
        assert!(x.iter().all(|v| v.abs() <= 1.0), "{kind:?}: noise-free points lie in [-1, 1]^2");
        assert_eq!(make(kind, 101, 0.05, 4).unwrap().1, y);
        assert_eq!(make(kind, 101, 0.05, 4).unwrap().0, make(kind, 101, 0.05, 4).unwrap().0, "same seed, same points");
        assert_ne!(make(kind, 101, 0.05, 5).unwrap().0, make(kind, 101, 0.05, 4).unwrap().0, "another seed, other points");
    }
    // XOR's labels follow the quadrants.
    let (x, y) = make(Toy::Xor, 200, 0.0, 1).unwrap();
    for (p, &l) in x.chunks(2).zip(&y) {
        assert_eq!(u8::from(p[0] * p[1] > 0.0), l);
    }
}

fn median_l2_margin(tr: &ToyTrainer) -> f64 {
    let eps: Vec<f32> = tr.x.chunks(2).map(|p| margins(&neuron_gradients(&tr.mlp, p.into()).unwrap()).eps[1]).collect();
    quantiles(&eps).p50
}

#[test]
fn roll_training_fits_the_data_and_widens_the_margins() {
    let (x, y) = make(Toy::Circles, 200, 0.03, 2).unwrap();
    let plain_cfg = ToyConfig { hidden: vec![16, 16], ..ToyConfig::default() };
    let roll_cfg = ToyConfig { roll: RollConfig { lambda: 1.0, c: 0.1, gamma: 20.0 }, ..plain_cfg.clone() };
    let mut plain = ToyTrainer::new(plain_cfg, x.clone(), y.clone()).unwrap();
    let mut roll = ToyTrainer::new(roll_cfg, x, y).unwrap();
    let (m0p, m0r) = (median_l2_margin(&plain), median_l2_margin(&roll));
    assert_eq!(m0p, m0r, "both start from the same initialisation");
    let first = plain.evaluate().unwrap();
    let (mut lp, mut lr) = (Default::default(), Default::default());
    for _ in 0..6 {
        lp = plain.step(100).unwrap();
        lr = roll.step(100).unwrap();
    }
    assert_eq!(plain.iter, 600);
    assert!(lp.ce < first.ce, "plain training lowers the cross-entropy: {} -> {}", first.ce, lp.ce);
    let (ap, ar) = (plain.evaluate().unwrap().acc, roll.evaluate().unwrap().acc);
    assert!(ap >= 0.95 && ar >= 0.95, "both fit the circles: plain {ap}, ROLL {ar} ({lp:?}, {lr:?})");
    let (mp, mr) = (median_l2_margin(&plain), median_l2_margin(&roll));
    assert!(mr > 1.5 * mp, "ROLL's median l2 margin {mr} should clearly exceed the plain net's {mp}");
    // The hinge term itself went down while training.
    let r_first = ToyTrainer::new(roll.cfg.clone(), roll.x.clone(), roll.y.clone()).unwrap().evaluate().unwrap().roll;
    assert!(roll.evaluate().unwrap().roll < r_first, "the ROLL term falls while training");
}

#[test]
fn trainer_rejects_bad_settings_and_data() {
    let (x, y) = make(Toy::Moons, 20, 0.0, 1).unwrap();
    assert!(ToyTrainer::new(ToyConfig { hidden: vec![], ..ToyConfig::default() }, x.clone(), y.clone()).is_err());
    assert!(ToyTrainer::new(ToyConfig { hidden: vec![65], ..ToyConfig::default() }, x.clone(), y.clone()).is_err());
    assert!(ToyTrainer::new(ToyConfig::default(), x[..3].to_vec(), y.clone()).is_err());
    assert!(ToyTrainer::new(ToyConfig::default(), x.clone(), vec![2; 20]).is_err());
    let mut t = ToyTrainer::new(ToyConfig::default(), x, y).unwrap();
    t.cfg.roll.c = -1.0;
    assert!(t.step(1).is_err());
    assert!(t.set_data(vec![f32::NAN, 0.0], vec![0]).is_err());
}
