"""PyTorch CPU Conv2d speed on the shapes of examples/kernels_native.rs, for the conv throughput ratio (outside `make test`).

For each shape of `examples/kernels_native.rs` (same order, same labels) it times torch's conv2d forward (with bias)
and backward (input, weight and bias gradients: `aten.convolution_backward`, the call autograd makes, so the forward
is not timed again) in eager mode, f32, on 1 and on 2 intra-op threads (`torch.set_num_threads`). The counting is the
example's: 2 FLOP per multiply-add forward, 4 backward (dx and dw), MACs = N * O * OH * OW * C * KH * KW; each batch
of calls does about 0.03 GFLOP, one untimed batch first, then ROUNDS timed batches; each cell is the median
(min-max) GFLOP/s. The inputs are the example's deterministic values. With `--ours FILE` (the example's output, 1
thread) and `--ours-parallel FILE` (with `--features parallel`), it also prints ours (the auto column) / torch per
shape and pass, at 1 and at 2 threads. Timing only: nothing here is a test.

OMP_WAIT_POLICY defaults to PASSIVE here (set it in the environment to override): with libgomp's default spinning,
torch's 2-thread conv fell 3-180x below its 1-thread speed on a machine whose two cores were shared with other jobs
(a spinning thread holds a core its partner needs); sleeping waiters keep it near its 1-thread speed or above.

    python3 -m venv .venv-torch && .venv-torch/bin/pip install -r scripts/requirements-conv-torch.txt
    cargo run --release --example kernels_native | tee bench-out/kernels-native.txt
    cargo run --release --features parallel --example kernels_native | tee bench-out/kernels-native-parallel.txt
    .venv-torch/bin/python scripts/conv_torch.py --threads 1,2 \
        --ours bench-out/kernels-native.txt --ours-parallel bench-out/kernels-native-parallel.txt
"""
import argparse
import os
import re
import statistics
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads libgomp; see above
import torch  # noqa: E402

# (label, N, C, H, W, O, k, stride, pad): ConvShape::new(n, c, h, w, o, k, stride, pad) in examples/kernels_native.rs.
SHAPES = [
    ("MNIST conv 1", 64, 1, 28, 28, 16, 4, 2, 1),
    ("MNIST conv 2", 64, 16, 14, 14, 32, 4, 1, 1),
    ("1x1, 32->64", 16, 32, 28, 28, 64, 1, 1, 0),
    ("1x1, 64->64", 16, 64, 28, 28, 64, 1, 1, 0),
    ("3x3, 32->32", 16, 32, 28, 28, 32, 3, 1, 1),
    ("3x3, 64->64", 16, 64, 28, 28, 64, 3, 1, 1),
    ("3x3, 3->8 (few taps)", 64, 3, 28, 28, 8, 3, 1, 1),
    ("5x5, 1->32 (25 taps)", 64, 1, 28, 28, 32, 5, 1, 2),
]


def data(n, seed):
    """The example's inputs: ((i * 7 + seed) % 13 - 6) * 0.1."""
    i = torch.arange(n, dtype=torch.int64)
    return (((i * 7 + seed) % 13).float() - 6.0) * 0.1


def out_len(size, k, stride, pad):
    return (size + 2 * pad - k) // stride + 1


def race(f, reps, rounds):
    """Calls per second of `f` over `rounds` timed batches of `reps` calls after one untimed batch."""
    rates = []
    for r in range(rounds + 1):
        t0 = time.perf_counter()
        for _ in range(reps):
            f()
        dt = time.perf_counter() - t0
        if r > 0:
            rates.append(reps / dt)
    return rates


def cell(rates, scale):
    v = sorted(x * scale for x in rates)
    return f"{statistics.median(v):7.2f} ({v[0]:.2f}-{v[-1]:.2f})", statistics.median(v)


def bench(threads, rounds):
    torch.set_num_threads(threads)
    out = []
    for label, n, c, h, w, o, k, s, p in SHAPES:
        oh, ow = out_len(h, k, s, p), out_len(w, k, s, p)
        x = data(n * c * h * w, 1).reshape(n, c, h, w)
        wt = data(o * c * k * k, 2).reshape(o, c, k, k)
        b = data(o, 3)
        dy = data(n * o * oh * ow, 4).reshape(n, o, oh, ow)
        macs = n * o * oh * ow * c * k * k
        flop = 2.0 * macs
        reps = max(1, int(0.03e9 / flop))
        with torch.no_grad():
            y = torch.nn.functional.conv2d(x, wt, b, stride=s, padding=p)
            assert tuple(y.shape) == (n, o, oh, ow), (label, y.shape)

            def fwd():
                torch.nn.functional.conv2d(x, wt, b, stride=s, padding=p)

            def bwd():
                torch.ops.aten.convolution_backward(dy, x, wt, [o], [s, s], [p, p], [1, 1], False, [0, 0], 1, [True, True, True])

            rf = race(fwd, reps, rounds)
            rb = race(bwd, reps, rounds)
        name = f"{label}: ({n}, {c}->{o}, {h}x{w}, {k}, {s}, {p})"
        out.append((name, cell(rf, flop / 1e9), cell(rb, 2 * flop / 1e9)))
    return out


CELL = re.compile(r"(\d+\.\d+) \((\d+\.\d+)-(\d+\.\d+)\)")


def ours(path):
    """The auto column of examples/kernels_native.rs's Conv2d table: [(fwd median, bwd median)] in shape order, threads."""
    fwd, bwd, threads = [], [], None
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            m = re.search(r"; (\d+) thread\(s\)", line)
            if m:
                threads = int(m.group(1))
            parts = line.split()
            if "fwd" in parts or "bwd" in parts:
                c = CELL.search(line[line.index(" fwd " if "fwd" in parts else " bwd "):])
                (fwd if "fwd" in parts else bwd).append(float(c.group(1)))
    if len(fwd) != len(SHAPES) or len(bwd) != len(SHAPES):
        raise SystemExit(f"{path}: {len(fwd)} fwd and {len(bwd)} bwd rows, expected {len(SHAPES)} each; is it kernels_native's output?")
    return list(zip(fwd, bwd)), threads


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", default="1,2", help="comma-separated intra-op thread counts (default 1,2)")
    ap.add_argument("--rounds", type=int, default=5, help="timed batches per cell (default 5, as the example)")
    ap.add_argument("--ours", help="examples/kernels_native.rs output, 1 thread")
    ap.add_argument("--ours-parallel", help="its output with --features parallel")
    a = ap.parse_args()
    counts = [int(t) for t in a.threads.split(",")]
    torch.set_num_interop_threads(1)
    print(f"torch {torch.__version__} CPU Conv2d, f32, eager; {torch.get_num_threads()} threads by default; OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}; GFLOP/s, median (min-max) of {a.rounds}")
    res = {t: bench(t, a.rounds) for t in counts}
    head = "".join(f" {f'torch, {t} thread(s)':>24}" for t in counts)
    print(f"{'shape (N, C->O, HxW, k, stride, pad)':>44} {'pass':>5}{head}")
    for i, (name, _, _) in enumerate(res[counts[0]]):
        for j, pas in ((1, "fwd"), (2, "bwd")):
            cells = "".join(f" {res[t][i][j][0]:>24}" for t in counts)
            print(f"{name if j == 1 else '':>44} {pas:>5}{cells}")
    pairs = []
    for path in (a.ours, a.ours_parallel):
        if path:
            o, t = ours(path)
            if t in res:
                pairs.append((t, o))
            else:
                print(f"{path}: ours ran on {t} thread(s), torch was not timed on {t}; no ratio")
    if pairs:
        print("\nours (auto) / torch, GFLOP/s medians; > 1 = ours faster")
        head = "".join(f" {f'{t} thread(s): ours':>18} {'torch':>7} {'ratio':>6}" for t, _ in pairs)
        print(f"{'shape':>44} {'pass':>5}{head}")
        for i, (name, _, _) in enumerate(res[counts[0]]):
            for j, pas in ((0, "fwd"), (1, "bwd")):
                cells = ""
                for t, o in pairs:
                    tv = res[t][i][j + 1][1]
                    cells += f" {o[i][j]:>18.2f} {tv:>7.2f} {o[i][j] / tv:>6.2f}"
                print(f"{name if j == 0 else '':>44} {pas:>5}{cells}")


if __name__ == "__main__":
    main()
