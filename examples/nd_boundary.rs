//! What the `ndarray` boundary of `nn/` costs: the same products through the ndarray API (`Mlp::logits`,
//! `Conv2d::forward`, `linear_backward`) and through the kernels called directly on flat slices, in one run, median of
//! rounds. Part of `make bench`; see README "Shapes: ndarray at module boundaries".
//!
//! `cargo run --release --example nd_boundary`

use std::time::Instant;

use ndarray::{ArrayView1, ArrayView2, ArrayView4, ArrayViewMut1, ArrayViewMut2};
use paperlab::kernels::conv::{conv2d, ConvShape};
use paperlab::kernels::gemm::{gemm, MatRef};
use paperlab::nn::conv::Conv2d;
use paperlab::nn::layers::linear_backward;
use paperlab::nn::{Mlp, Rng};

fn median_ms(rounds: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut t: Vec<f64> = (0..rounds)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[rounds / 2]
}

/// The MLP's logits with the GEMM called directly on the flat weights (what `Mlp::logits` does under its views).
fn logits_direct(m: &Mlp, x: &[f32], batch: usize) -> Vec<f32> {
    let mut a = x.to_vec();
    for l in 0..m.layers() {
        let (i, o) = (m.dims[l], m.dims[l + 1]);
        let mut y = vec![0.0; batch * o];
        for row in y.chunks_mut(o) {
            row.copy_from_slice(&m.b[l]);
        }
        gemm(1.0, MatRef::new(&a, batch, i), MatRef::new(&m.w[l], o, i).t(), 1.0, &mut y, o, 1).unwrap();
        if l + 1 < m.layers() {
            y.iter_mut().for_each(|v| *v = v.max(0.0));
        }
        a = y;
    }
    a
}

fn main() {
    let mut rng = Rng::new(1);
    let rounds = 21;
    println!("ndarray boundary vs direct kernel calls, 1 thread unless built with --features parallel; median of {rounds} rounds, ms");
    println!("{:<44} {:>10} {:>10} {:>8}", "what", "ndarray", "direct", "ratio");
    let row = |what: &str, a: f64, b: f64| println!("{what:<44} {a:>10.3} {b:>10.3} {:>7.3}x", a / b);

    for (batch, dims) in [(500usize, vec![784usize, 100, 100, 10]), (64, vec![784, 1024, 1024, 10]), (1, vec![784, 100, 100, 10])] {
        let m = Mlp::new(&dims, &mut rng).unwrap();
        let x: Vec<f32> = (0..batch * dims[0]).map(|_| rng.uniform()).collect();
        let xv = ArrayView2::from_shape((batch, dims[0]), &x).unwrap();
        assert_eq!(m.logits(xv).unwrap().as_slice().unwrap(), &logits_direct(&m, &x, batch)[..], "same numbers both ways");
        let a = median_ms(rounds, || {
            std::hint::black_box(m.logits(xv).unwrap());
        });
        let b = median_ms(rounds, || {
            std::hint::black_box(logits_direct(&m, &x, batch));
        });
        row(&format!("Mlp::logits B={batch} {dims:?}"), a, b);
    }

    {
        let (batch, i, o) = (256usize, 784usize, 256usize);
        let dy: Vec<f32> = (0..batch * o).map(|_| rng.normal()).collect();
        let x: Vec<f32> = (0..batch * i).map(|_| rng.uniform()).collect();
        let w: Vec<f32> = (0..o * i).map(|_| rng.normal()).collect();
        let (mut dw, mut db) = (vec![0.0f32; o * i], vec![0.0f32; o]);
        let a = median_ms(rounds, || {
            let r = linear_backward(
                ArrayView2::from_shape((batch, o), &dy).unwrap(),
                ArrayView2::from_shape((batch, i), &x).unwrap(),
                ArrayView2::from_shape((o, i), &w).unwrap(),
                ArrayViewMut2::from_shape((o, i), &mut dw).unwrap(),
                ArrayViewMut1::from(&mut db[..]),
                true,
            );
            std::hint::black_box(r.unwrap());
        });
        let b = median_ms(rounds, || {
            gemm(1.0, MatRef::new(&dy, batch, o).t(), MatRef::new(&x, batch, i), 1.0, &mut dw, i, 1).unwrap();
            for r in dy.chunks(o) {
                db.iter_mut().zip(r).for_each(|(d, g)| *d += g);
            }
            let mut dx = vec![0.0; batch * i];
            gemm(1.0, MatRef::new(&dy, batch, o), MatRef::new(&w, o, i), 0.0, &mut dx, i, 1).unwrap();
            std::hint::black_box(dx);
        });
        row(&format!("linear_backward B={batch} {i}->{o}"), a, b);
    }

    for (n, c, h, o, k, stride, pad) in [(64usize, 1usize, 28usize, 16usize, 4usize, 2usize, 1usize), (64, 16, 14, 32, 4, 1, 1), (16, 64, 28, 64, 3, 1, 1)] {
        let cv = Conv2d { c, h, w: h, o, kh: k, kw: k, stride, pad };
        let x: Vec<f32> = (0..n * c * h * h).map(|_| rng.uniform()).collect();
        let wt: Vec<f32> = (0..o * c * k * k).map(|_| rng.normal()).collect();
        let bias: Vec<f32> = (0..o).map(|_| rng.normal()).collect();
        let s = ConvShape { n, c, h, w: h, o, kh: k, kw: k, stride: (stride, stride), pad: (pad, pad) };
        let (xv, wv, bv) = (
            ArrayView4::from_shape((n, c, h, h), &x).unwrap(),
            ArrayView4::from_shape((o, c, k, k), &wt).unwrap(),
            ArrayView1::from(&bias[..]),
        );
        let a = median_ms(rounds, || {
            std::hint::black_box(cv.forward(xv, wv, bv).unwrap());
        });
        let b = median_ms(rounds, || {
            let mut y = vec![0.0; s.y_len()];
            conv2d(&s, &x, &wt, Some(&bias), &mut y).unwrap();
            std::hint::black_box(y);
        });
        row(&format!("Conv2d::forward N={n} {c}->{o} {h}x{h} k{k} s{stride}"), a, b);
    }
}
