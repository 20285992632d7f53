//! Native benchmark of the convolution and row kernels: Conv2d forward and backward on the labs' shapes (ours with
//! the size rule, the direct loops, im2col + GEMM, and the seven-loop twin), GFLOP/s; softmax, log-softmax and layer
//! norm rows per second against their scalar twins. Implementations are interleaved round by round so machine
//! drift hits all alike; each cell is the median (min-max) over timed batches after a warm-up. Every result is
//! first checked against the twin.
//!
//! Run: `make bench` or `cargo run --release --example kernels_native [--features parallel]`.

#[cfg(target_arch = "wasm32")]
fn main() {} // native only; `wasm-pack test` builds examples for wasm32 too

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use paperlab::kernels::act::{layer_norm, layer_norm_naive, log_softmax, log_softmax_naive, softmax, softmax_naive};
    use paperlab::kernels::conv::{conv2d_backward_with, conv2d_naive, conv2d_with, ConvAlgo, ConvGrads, ConvShape, DIRECT_MAX_CKK};
    use paperlab::kernels::gemm::MatRef;
    use std::time::Instant;

    fn stats(mut v: Vec<f64>) -> (f64, f64, f64) {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        (v[v.len() / 2], v[0], v[v.len() - 1])
    }

    /// Times every closure `rounds` times, interleaved, each timing a batch of `reps` calls; returns calls per second.
    fn race(fs: &mut [&mut dyn FnMut()], reps: &[usize], rounds: usize) -> Vec<(f64, f64, f64)> {
        let mut t: Vec<Vec<f64>> = vec![Vec::new(); fs.len()];
        for round in 0..rounds + 1 {
            for (i, f) in fs.iter_mut().enumerate() {
                let t0 = Instant::now();
                for _ in 0..reps[i] {
                    f();
                }
                if round > 0 {
                    t[i].push(reps[i] as f64 / t0.elapsed().as_secs_f64());
                }
            }
        }
        t.into_iter().map(stats).collect()
    }

    fn cell((m, lo, hi): (f64, f64, f64), scale: f64) -> String {
        format!("{:>7.2} ({:.2}-{:.2})", m * scale, lo * scale, hi * scale)
    }

    fn data(n: usize, seed: usize) -> Vec<f32> {
        (0..n).map(|i| (((i * 7 + seed) % 13) as f32 - 6.0) * 0.1).collect()
    }

    /// `--threads`: Conv2d forward and backward (im2col + GEMM) in a rayon pool of 1 thread and of 2, interleaved
    /// round by round in one run, GFLOP/s and the 2/1 ratio; batch 1 and the labs' batches.
    #[cfg(feature = "parallel")]
    pub fn threads(rounds: usize) {
        let pools: Vec<rayon::ThreadPool> =
            [1, 2].iter().map(|&t| rayon::ThreadPoolBuilder::new().num_threads(t).build().unwrap()).collect();
        println!("Conv2d on 1 and 2 threads (rayon pools of 1 and 2 in one process, interleaved; each batch of calls inside its pool), GFLOP/s median (min-max) of {rounds} rounds");
        println!("{:>44} {:>5} {:>22} {:>22} {:>7}", "shape (N, C->O, HxW, k, stride, pad)", "pass", "1 thread", "2 threads", "2/1");
        let shapes: &[(ConvShape, &str)] = &[
            (ConvShape::new(64, 1, 28, 28, 16, 4, 2, 1), "MNIST conv 1"),
            (ConvShape::new(1, 1, 28, 28, 16, 4, 2, 1), "MNIST conv 1"),
            (ConvShape::new(64, 16, 14, 14, 32, 4, 1, 1), "MNIST conv 2"),
            (ConvShape::new(1, 16, 14, 14, 32, 4, 1, 1), "MNIST conv 2"),
            (ConvShape::new(16, 64, 28, 28, 64, 1, 1, 0), "1x1, 64->64"),
            (ConvShape::new(1, 64, 28, 28, 64, 1, 1, 0), "1x1, 64->64"),
            (ConvShape::new(16, 64, 28, 28, 64, 3, 1, 1), "3x3, 64->64"),
            (ConvShape::new(1, 64, 28, 28, 64, 3, 1, 1), "3x3, 64->64"),
            (ConvShape::new(64, 64, 28, 28, 64, 3, 1, 1), "3x3, 64->64"),
        ];
        for &(s, what) in shapes {
            let x = data(s.x_len(), 1);
            let w = data(s.w_len(), 2);
            let b = data(s.o, 3);
            let dy = data(s.y_len(), 4);
            let flop = 2.0 * s.macs() as f64;
            let reps = ((0.05e9 / flop) as usize).max(1);
            let label = format!("{what}: ({}, {}->{}, {}x{}, {}, {}, {})", s.n, s.c, s.o, s.h, s.w, s.kh, s.stride.0, s.pad.0);
            let mut ys: Vec<Vec<f32>> = vec![vec![0.0; s.y_len()]; 2];
            let mut fwd = Vec::new();
            {
                let mut fs: Vec<Box<dyn FnMut()>> = Vec::new();
                for (pool, y) in pools.iter().zip(ys.iter_mut()) {
                    let (x, w, b) = (&x, &w, &b);
                    fs.push(Box::new(move || {
                        pool.install(|| (0..reps).for_each(|_| conv2d_with(ConvAlgo::Im2col, &s, x, w, Some(b), y).unwrap()))
                    }));
                }
                let mut refs: Vec<&mut dyn FnMut()> = fs.iter_mut().map(|f| &mut **f as &mut dyn FnMut()).collect();
                fwd.extend(race(&mut refs, &[1, 1], rounds).into_iter().map(|(m, lo, hi)| (m * reps as f64, lo * reps as f64, hi * reps as f64)));
            }
            assert!(ys[0].iter().zip(&ys[1]).all(|(p, q)| p.to_bits() == q.to_bits()), "{what}: 1 and 2 threads differ");
            let g = flop / 1e9;
            println!("{label:>44} {:>5} {:>22} {:>22} {:>6.2}x", "fwd", cell(fwd[0], g), cell(fwd[1], g), fwd[1].0 / fwd[0].0);
            let mut outs: Vec<(Vec<f32>, Vec<f32>, Vec<f32>)> = vec![(vec![0.0; s.x_len()], vec![0.0; s.w_len()], vec![0.0; s.o]); 2];
            let mut bwd = Vec::new();
            {
                let mut fs: Vec<Box<dyn FnMut()>> = Vec::new();
                for (pool, (dx, dw, db)) in pools.iter().zip(outs.iter_mut()) {
                    let (x, w, dy) = (&x, &w, &dy);
                    fs.push(Box::new(move || {
                        pool.install(|| {
                            for _ in 0..reps {
                                let grads = ConvGrads { dx: Some(&mut dx[..]), dw: Some(&mut dw[..]), db: Some(&mut db[..]) };
                                conv2d_backward_with(ConvAlgo::Im2col, &s, x, w, dy, grads).unwrap()
                            }
                        })
                    }));
                }
                let mut refs: Vec<&mut dyn FnMut()> = fs.iter_mut().map(|f| &mut **f as &mut dyn FnMut()).collect();
                bwd.extend(race(&mut refs, &[1, 1], rounds).into_iter().map(|(m, lo, hi)| (m * reps as f64, lo * reps as f64, hi * reps as f64)));
            }
            assert!(outs[0] == outs[1], "{what}: backward differs on 1 and 2 threads");
            let g2 = 2.0 * g;
            println!("{:>44} {:>5} {:>22} {:>22} {:>6.2}x", "", "bwd", cell(bwd[0], g2), cell(bwd[1], g2), bwd[1].0 / bwd[0].0);
        }
    }

    pub fn main() {
        #[cfg(feature = "parallel")]
        if std::env::args().any(|a| a == "--threads") {
            threads(7);
            return;
        }
        println!(
            "native kernels, f32; {} thread(s); size rule: direct loops when C*KH*KW <= {DIRECT_MAX_CKK:?}, else im2col + GEMM",
            paperlab::par::threads()
        );
        println!("\nConv2d, GFLOP/s (2 FLOP per multiply-add; backward = input + weight gradients, 4 FLOP per MAC); median (min-max)");
        println!("{:>44} {:>5} {:>22} {:>22} {:>22} {:>18}", "shape (N, C->O, HxW, k, stride, pad)", "pass", "ours (auto)", "direct", "im2col+GEMM", "naive twin");
        let shapes: &[(ConvShape, &str)] = &[
            (ConvShape::new(64, 1, 28, 28, 16, 4, 2, 1), "MNIST conv 1"),
            (ConvShape::new(64, 16, 14, 14, 32, 4, 1, 1), "MNIST conv 2"),
            (ConvShape::new(16, 32, 28, 28, 64, 1, 1, 0), "1x1, 32->64"),
            (ConvShape::new(16, 64, 28, 28, 64, 1, 1, 0), "1x1, 64->64"),
            (ConvShape::new(16, 32, 28, 28, 32, 3, 1, 1), "3x3, 32->32"),
            (ConvShape::new(16, 64, 28, 28, 64, 3, 1, 1), "3x3, 64->64"),
            (ConvShape::new(64, 3, 28, 28, 8, 3, 1, 1), "3x3, 3->8 (few taps)"),
            (ConvShape::new(64, 1, 28, 28, 32, 5, 1, 2), "5x5, 1->32 (25 taps)"),
        ];
        for &(s, what) in shapes {
            let x = data(s.x_len(), 1);
            let w = data(s.w_len(), 2);
            let b = data(s.o, 3);
            let dy = data(s.y_len(), 4);
            // The naive twin runs on at most 2 images (its speed does not depend on the batch).
            let sn = ConvShape { n: s.n.min(2), ..s };
            let mut y = vec![0.0; s.y_len()];
            let mut yn = vec![0.0; sn.y_len()];
            conv2d_with(ConvAlgo::Auto, &s, &x, &w, Some(&b), &mut y).unwrap();
            conv2d_naive(&sn, &x[..sn.x_len()], &w, Some(&b), &mut yn).unwrap();
            let maxd = y.iter().zip(&yn).map(|(a, c)| (a - c).abs() / (1.0 + c.abs())).fold(0.0f32, f32::max);
            assert!(maxd < 1e-4, "{what}: conv2d differs from the naive twin by {maxd}");
            let flop = 2.0 * s.macs() as f64;
            let reps = ((0.03e9 / flop) as usize).max(1);
            let algo_name = format!("{:?}", s.auto_algo()).to_lowercase();
            let (mut y1, mut y2, mut y3) = (y.clone(), y.clone(), y.clone());
            let mut f0 = || conv2d_with(ConvAlgo::Auto, &s, &x, &w, Some(&b), &mut y1).unwrap();
            let mut f1 = || conv2d_with(ConvAlgo::Direct, &s, &x, &w, Some(&b), &mut y2).unwrap();
            let mut f2 = || conv2d_with(ConvAlgo::Im2col, &s, &x, &w, Some(&b), &mut y3).unwrap();
            let mut f3 = || conv2d_naive(&sn, &x[..sn.x_len()], &w, Some(&b), &mut yn).unwrap();
            let r = race(&mut [&mut f0, &mut f1, &mut f2, &mut f3], &[reps, reps, reps, 1], 5);
            let g = flop / 1e9;
            let gn = 2.0 * sn.macs() as f64 / 1e9;
            let label = format!("{what}: ({}, {}->{}, {}x{}, {}, {}, {})", s.n, s.c, s.o, s.h, s.w, s.kh, s.stride.0, s.pad.0);
            println!("{label:>44} {:>5} {:>22} {:>22} {:>22} {:>18}   auto = {algo_name}", "fwd", cell(r[0], g), cell(r[1], g), cell(r[2], g), cell(r[3], gn));
            // backward: dx and dw (and db)
            let (mut dx, mut dw, mut db) = (vec![0.0; s.x_len()], vec![0.0; s.w_len()], vec![0.0; s.o]);
            let mut bw = |algo: ConvAlgo| {
                conv2d_backward_with(algo, &s, &x, &w, &dy, ConvGrads { dx: Some(&mut dx), dw: Some(&mut dw), db: Some(&mut db) }).unwrap()
            };
            let mut times = Vec::new();
            for algo in [ConvAlgo::Auto, ConvAlgo::Direct, ConvAlgo::Im2col] {
                let mut f = || bw(algo);
                times.push(race(&mut [&mut f], &[reps], 5)[0]);
            }
            let g2 = 2.0 * g;
            println!("{:>44} {:>5} {:>22} {:>22} {:>22}", "", "bwd", cell(times[0], g2), cell(times[1], g2), cell(times[2], g2));
        }

        println!("\nRow kernels, million rows/s; median (min-max); ratio = ours / scalar twin");
        println!("{:>30} {:>24} {:>24} {:>7}", "kernel, R x N", "ours", "scalar twin", "ratio");
        for &(rows, n) in &[(4096, 64), (1024, 256), (256, 1024)] {
            let x = data(rows * n, 5);
            let mut y = vec![0.0; rows * n];
            let mut y2 = vec![0.0; rows * n];
            let reps = ((2e6 / (rows * n) as f64) as usize).max(1);
            let xm = MatRef::new(&x, rows, n);
            let mut a = || softmax(xm, &mut y, n).unwrap();
            let mut bn = || softmax_naive(xm, &mut y2, n).unwrap();
            let r = race(&mut [&mut a, &mut bn], &[reps, reps], 7);
            let m = rows as f64 / 1e6;
            println!("{:>30} {:>24} {:>24} {:>6.2}x", format!("softmax {rows} x {n}"), cell(r[0], m), cell(r[1], m), r[0].0 / r[1].0);
            let mut a = || log_softmax(xm, &mut y, n).unwrap();
            let mut bn = || log_softmax_naive(xm, &mut y2, n).unwrap();
            let r = race(&mut [&mut a, &mut bn], &[reps, reps], 7);
            println!("{:>30} {:>24} {:>24} {:>6.2}x", format!("log-softmax {rows} x {n}"), cell(r[0], m), cell(r[1], m), r[0].0 / r[1].0);
            let g = data(n, 6);
            let bb = data(n, 7);
            let (mut mu, mut rs) = (vec![0.0; rows], vec![0.0; rows]);
            let (mut mu2, mut rs2) = (vec![0.0; rows], vec![0.0; rows]);
            let mut a = || layer_norm(&x, &g, &bb, 1e-5, &mut y, &mut mu, &mut rs).unwrap();
            let mut bn = || layer_norm_naive(&x, &g, &bb, 1e-5, &mut y2, &mut mu2, &mut rs2).unwrap();
            let r = race(&mut [&mut a, &mut bn], &[reps, reps], 7);
            println!("{:>30} {:>24} {:>24} {:>6.2}x", format!("layer norm {rows} x {n}"), cell(r[0], m), cell(r[1], m), r[0].0 / r[1].0);
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::main();
}
