//! Native training speed of the compressive lab's recall-setting model (L = 1, d_model 64, 4 heads, FF 256, n_s = 32,
//! n_m = n_cm = 32, conv f_c, c = 4; batch 16 streams, both Adam steps), in training characters per second
//! (steps × 16 × 32 / wall-clock seconds). The same model and batch as `scripts/compressive_torch.py`.
//! `RAYON_NUM_THREADS=1 cargo run --release --features parallel --example compressive_speed -- [STEPS]` (default 200,
//! after 20 untimed warm-up steps); outside `make test`.

use std::time::Instant;

use paperlab::labs::compressive::recall::{self, shipped_configs, D_MAX, TRAIN_SEED};
use paperlab::labs::compressive::train::{TrainConfig, Trainer};
use paperlab::labs::compressive::Model;

fn main() -> paperlab::Result<()> {
    let steps: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(200);
    let cfg = shipped_configs().into_iter().find(|(id, _, _)| id == "conv-c4").map(|x| x.2).ok_or_else(|| paperlab::Error::Model("no conv-c4 config".into()))?;
    let text = recall::generate(TRAIN_SEED, 400_000, 1, D_MAX)?;
    let tokens = recall::vocab().encode(&text.text)?;
    let tc = TrainConfig { steps: steps + 20, ..TrainConfig::default() };
    let mut tr = Trainer::new(Model::new(cfg, 7)?, tokens, tc.clone())?;
    for _ in 0..20 {
        tr.step()?;
    }
    let t = Instant::now();
    let mut bpc = 0.0;
    for _ in 0..steps {
        bpc = tr.step()?.bpc;
    }
    let s = t.elapsed().as_secs_f64();
    let chars = (steps * tc.batch * 32) as f64;
    println!("paperlab compressive recall conv-c4, {} threads: {steps} steps in {s:.2} s, {:.0} training characters/s (train {bpc:.3} bits/char)", paperlab::par::threads(), chars / s);
    Ok(())
}
