//! Native speed of the verify lab's bounds on a shipped model: IBP, CROWN-IBP and full CROWN verified error over the
//! test digits, one thread, wall-clock seconds. `cargo run --release --example verify_speed -- MODEL [N_CROWN]`
//! (MODEL a file name in www/models/verify/; full CROWN on the first N_CROWN digits, default all).

use std::time::Instant;

use paperlab::data::mnist::Mnist;
use paperlab::labs::verify::{verify_counts, LowerSlope, Method, Net};

fn main() -> paperlab::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let file = args.get(1).map(String::as_str).unwrap_or("cnn-crownibp-s1.safetensors");
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("www/models/verify");
    let (m, _) = Net::from_safetensors(&std::fs::read(dir.join(file))?)?;
    let data = Mnist::load_default()?;
    let n = data.test.n;
    let n_crown: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(n).min(n);
    let x = data.test.batch_f32(&(0..n).collect::<Vec<_>>());
    for (method, chunk, count) in [(Method::Ibp, 250, n), (Method::CrownIbp, 100, n), (Method::Crown, 8, n_crown)] {
        for eps in [0.1f32, 0.3] {
            let t = Instant::now();
            let c = verify_counts(&m, paperlab::nd::view("x", &x[..count * 784], (count, 784))?, &data.test.labels[..count], eps, method, 1.0, LowerSlope::Adaptive, chunk)?;
            println!("{file} {:9} eps {eps}: {count} digits in {:.2} s, verified error {:.2}%", method.name(), t.elapsed().as_secs_f64(), 100.0 * c.verified_err as f64 / count as f64);
        }
    }
    Ok(())
}
