#!/usr/bin/env python3
"""Reference bounds for the verify lab from auto_LiRPA (Xu et al. 2020, the CROWN-IBP authors' library).

Loads shipped verify models (www/models/verify/*.safetensors, MLPs and conv nets), builds the same network in
PyTorch and computes, with auto_LiRPA, lower bounds of the margins m_j = z_y - z_j (j != y; the row j = y is zero)
over the L-infinity ball of radius eps clipped to [0, 1], for the methods IBP, CROWN-IBP and CROWN (adaptive lower
slope, auto_LiRPA's default and the paper's).

Modes:
  fixture  writes tests/fixtures/verify/lirpa-bounds.json: the first N test digits' margin lower bounds for each
           model, method and eps (checked by tests/verify_bounds.rs within 1e-4);
  time     times each method on all 2,000 test digits at eps 0.3 (1 and 2 torch threads) and prints the verified
           errors (a digit is verified when every margin lower bound is > 0).

Not part of `make test`. Setup (Python 3.11; auto_LiRPA's PyPI release 0.3 needs torch < 1.13, which has no
Python 3.11 wheel, and does not import with torch 2.x, so auto_LiRPA is installed from its source repository,
Verified-Intelligence/auto_LiRPA, release "May 2026", version 0.7.1, commit a050a3d, without its dependency list,
which pins test tools and torchvision):
  python3 -m venv venv && venv/bin/pip install -r scripts/requirements-verify-lirpa.txt
  venv/bin/pip install --no-deps PATH/TO/auto_LiRPA-checkout
  venv/bin/python scripts/verify_lirpa.py fixture
  venv/bin/python scripts/verify_lirpa.py time --models cnn-crownibp-s1,mlp-crownibp
"""
import argparse
import gzip
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
from safetensors import safe_open
from safetensors.numpy import load as st_load

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(ROOT, "www", "models", "verify")
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "verify", "lirpa-bounds.json")
METHODS = {"ibp": "IBP", "crown-ibp": "CROWN-IBP", "crown": "CROWN"}


def load_digits():
    d = st_load(gzip.open(os.path.join(ROOT, "www", "data", "mnist-test-2k.safetensors.gz")).read())
    x = d["test.images"].astype(np.float32) / np.float32(255.0)
    return torch.from_numpy(x), torch.from_numpy(d["test.labels"].astype(np.int64))


def load_model(model_id):
    """The shipped model as torch layers and its input shape per digit (784, or C x H x W for a conv net: auto_LiRPA
    does not bound torch's Unflatten, so the digits are reshaped before they go in)."""
    path = os.path.join(MODELS, model_id + ".safetensors")
    with safe_open(path, "np") as f:
        meta = f.metadata()
        t = {k: torch.from_numpy(f.get_tensor(k).astype(np.float32)) for k in f.keys()}
    if meta["arch"] == "mlp":
        n = len([k for k in t if k.endswith(".weight")])
        ops = [{"Dense": {"ni": t[f"layers.{l}.weight"].shape[1], "no": t[f"layers.{l}.weight"].shape[0]}} for l in range(n)]
    else:
        ops = json.loads(meta["ops"])
    first = ops[0]
    shape = (first["Conv"]["c"], first["Conv"]["h"], first["Conv"]["w"]) if "Conv" in first else (ops[0]["Dense"]["ni"],)
    mods = []
    for l, op in enumerate(ops):
        if l > 0:
            mods.append(nn.ReLU())
        if "Conv" in op:
            c = op["Conv"]
            m = nn.Conv2d(c["c"], c["o"], c["k"], stride=c["stride"], padding=c["pad"])
        else:
            if l > 0 and "Conv" in ops[l - 1]:
                mods.append(nn.Flatten())
            d = op["Dense"]
            m = nn.Linear(d["ni"], d["no"])
        m.weight.data.copy_(t[f"layers.{l}.weight"])
        m.bias.data.copy_(t[f"layers.{l}.bias"])
        mods.append(m)
    return nn.Sequential(*mods).eval(), shape


def margin_c(y, k=10):
    """C (B x K x K): row j is e_y - e_j, zero for j = y (the lab's margin specification)."""
    c = torch.zeros(len(y), k, k)
    for b, yy in enumerate(y.tolist()):
        for j in range(k):
            if j != yy:
                c[b, j, yy] = 1.0
                c[b, j, j] = -1.0
    return c


def lower_bounds(bm, x, y, eps, method, chunk, shape):
    from auto_LiRPA import BoundedTensor, PerturbationLpNorm

    x = x.reshape(len(x), *shape)
    out = []
    for s in range(0, len(y), chunk):
        xb, yb = x[s:s + chunk], y[s:s + chunk]
        ptb = PerturbationLpNorm(norm=float("inf"), x_L=(xb - eps).clamp(0, 1), x_U=(xb + eps).clamp(0, 1))
        with torch.no_grad():
            lb, _ = bm.compute_bounds(x=(BoundedTensor(xb, ptb),), C=margin_c(yb), method=METHODS[method], bound_upper=False)
        out.append(lb.detach())
    return torch.cat(out)


def verified_err(lb, y):
    k = lb.shape[1]
    mask = torch.ones_like(lb, dtype=torch.bool)
    mask[torch.arange(len(y)), y] = False
    ok = torch.where(mask, lb > 0, torch.ones_like(mask)).all(dim=1)
    return 1.0 - ok.float().mean().item()


def main():
    from auto_LiRPA import BoundedModule
    import auto_LiRPA

    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["fixture", "time"])
    ap.add_argument("--models", default="cnn-crownibp-s1,mlp-crownibp")
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--eps", default="0.1,0.3")
    ap.add_argument("--threads", default="1,2")
    a = ap.parse_args()
    x, y = load_digits()
    eps_list = [float(e) for e in a.eps.split(",")]
    if a.mode == "fixture":
        torch.set_num_threads(1)
        out = {
            "command": "python scripts/verify_lirpa.py fixture --models " + a.models + f" --n {a.n} --eps {a.eps}",
            "auto_lirpa": auto_LiRPA.__version__, "torch": torch.__version__, "digits": a.n,
            "labels": y[:a.n].tolist(), "what": "lower bounds of z_y - z_j (B x 10, 0 for j = y), adaptive lower slope",
            "models": {},
        }
        for mid in a.models.split(","):
            model, shape = load_model(mid)
            bm = BoundedModule(model, torch.zeros(1, *shape), device="cpu")
            out["models"][mid] = {}
            for eps in eps_list:
                out["models"][mid][str(eps)] = {m: [[round(v, 7) for v in row] for row in lower_bounds(bm, x[:a.n], y[:a.n], eps, m, a.n, shape).tolist()] for m in METHODS}
            print(mid, "done", file=sys.stderr)
        os.makedirs(os.path.dirname(FIXTURE), exist_ok=True)
        with open(FIXTURE, "w") as f:
            json.dump(out, f)
            f.write("\n")
        print("wrote", FIXTURE)
        return
    print(f"auto_LiRPA {auto_LiRPA.__version__}, torch {torch.__version__}, load average {os.getloadavg()[0]:.1f}")
    for mid in a.models.split(","):
        model, shape = load_model(mid)
        bm = BoundedModule(model, torch.zeros(1, *shape), device="cpu")
        for th in [int(t) for t in a.threads.split(",")]:
            torch.set_num_threads(th)
            for m in METHODS:
                for eps in eps_list:
                    chunk = 50 if m == "crown" else 500
                    t0 = time.perf_counter()
                    lb = lower_bounds(bm, x, y, eps, m, chunk, shape)
                    dt = time.perf_counter() - t0
                    print(f"{mid} {th} thread(s) {m:9} eps {eps}: {len(y)} digits in {dt:.2f} s, verified error {100 * verified_err(lb, y):.2f}%  (load {os.getloadavg()[0]:.1f})", flush=True)


if __name__ == "__main__":
    main()
