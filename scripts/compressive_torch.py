"""PyTorch CPU reference speed for the compressive lab's recall-setting training (outside `make test`).

The same model size and batch as `paperlab train compressive recall` (src/labs/compressive/): one pre-layer-norm
layer, d_model 64, 4 heads, FF 256, segment n_s = 32, memory n_m = 32, compressed memory n_cm = 32, conv f_c with
kernel = stride = c = 4, a learned bias per head and relative offset, 54 characters, 16 streams per step; the
language-model loss trains everything but f_c (Adam 3e-3, clip 1), the attention-reconstruction loss trains only
f_c (its own Adam 1e-3); memories are detached. Eager mode. Prints training characters/s (steps x 16 x 32 / s) for
each thread count. Timing only: the numbers are not compared with ours.

    python3 -m venv .venv && .venv/bin/pip install -r scripts/requirements-compressive.txt
    .venv/bin/python scripts/compressive_torch.py --threads 1,2 --steps 200
"""
import argparse
import random
import time

import torch
import torch.nn.functional as F

V, D, H, FF, T, NM, NCM, C, B = 54, 64, 4, 256, 32, 32, 32, 4, 16
E = D // H
R = NCM + NM + C - 1 + T


class Layer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = torch.nn.LayerNorm(D), torch.nn.LayerNorm(D)
        self.wq, self.wk, self.wv, self.wo = (torch.nn.Linear(D, D, bias=False) for _ in range(4))
        self.rel = torch.nn.Parameter(-torch.arange(R).float()[None, :] * 0.25 ** torch.arange(H).float()[:, None])
        self.w1, self.w2 = torch.nn.Linear(D, FF), torch.nn.Linear(FF, D)

    def forward(self, h, ctx_mem):
        # h: B x T x D; ctx_mem: B x P x D (compressed memory then memory, detached)
        ctx = torch.cat([ctx_mem, h], 1)
        s, p = ctx.shape[1], ctx_mem.shape[1]
        z = self.ln1(ctx)
        q = self.wq(z[:, p:]).view(B, T, H, E).transpose(1, 2)
        k = self.wk(z).view(B, s, H, E).transpose(1, 2)
        v = self.wv(z).view(B, s, H, E).transpose(1, 2)
        i = torch.arange(T)[:, None] + p
        j = torch.arange(s)[None, :]
        off = (i - j).clamp(min=0)
        scores = q @ k.transpose(-1, -2) / E ** 0.5 + self.rel[:, off]
        scores = scores.masked_fill((j > i)[None, None], float("-inf"))
        o = (scores.softmax(-1) @ v).transpose(1, 2).reshape(B, T, D)
        h1 = h + self.wo(o)
        return h1 + self.w2(F.relu(self.w1(self.ln2(h1))))

    def content_attn(self, h, x):
        q = self.wq(self.ln1(h)).view(B, -1, H, E).transpose(1, 2)
        zx = self.ln1(x)
        k = self.wk(zx).view(B, -1, H, E).transpose(1, 2)
        v = self.wv(zx).view(B, -1, H, E).transpose(1, 2)
        return ((q @ k.transpose(-1, -2) / E ** 0.5).softmax(-1) @ v).transpose(1, 2).reshape(B, -1, D)


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(V, D)
        self.layer = Layer()
        self.lnf = torch.nn.LayerNorm(D)
        self.out = torch.nn.Linear(D, V)
        self.conv = torch.nn.Conv1d(D, D, C, stride=C)  # f_c


def text(n, seed=101):
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        key = rng.randrange(26)
        d = rng.randint(1, 384)
        out += [2 + key] * 8 + [28 + rng.randrange(26) for _ in range(d - 1)] + [1, 2 + key, 0]
    return torch.tensor(out[:n])


def run(threads, steps, warm=20):
    torch.set_num_threads(threads)
    torch.manual_seed(7)
    toks = text(400_000)
    n = len(toks) // B
    model = Model()
    lm_params = [p for name, p in model.named_parameters() if not name.startswith("conv.")]
    opt = torch.optim.Adam(lm_params, lr=3e-3)
    opt_fc = torch.optim.Adam(model.conv.parameters(), lr=1e-3)
    mem = torch.zeros(B, 0, D)
    cmem = torch.zeros(B, 0, D)
    pos = 0
    t0 = None
    for step in range(warm + steps):
        if step == warm:
            t0 = time.perf_counter()
        if pos + T + 1 > n:
            pos, mem, cmem = 0, torch.zeros(B, 0, D), torch.zeros(B, 0, D)
        idx = torch.arange(B)[:, None] * n + pos + torch.arange(T + 1)[None, :]
        x, y = toks[idx[:, :-1]], toks[idx[:, 1:]]
        h0 = model.emb(x)
        h1 = model.layer(h0, torch.cat([cmem, mem], 1))
        loss = F.cross_entropy(model.out(model.lnf(h1)).reshape(-1, V), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(lm_params, 1.0)
        opt.step()
        # memory update (Algorithm 1) and the attention-reconstruction loss (Algorithm 2), f_c only
        mem = torch.cat([mem, h0.detach()], 1)
        over = mem.shape[1] - NM
        take = over // C * C
        if take > 0:
            old, mem = mem[:, :take], mem[:, take:]
            new = model.conv(old.transpose(1, 2)).transpose(1, 2)
            with torch.no_grad():
                target = model.layer.content_attn(h0.detach(), old)
            for p in lm_params:
                p.requires_grad_(False)
            rec = F.mse_loss(model.layer.content_attn(h0.detach(), new), target)
            opt_fc.zero_grad()
            rec.backward()
            opt_fc.step()
            for p in lm_params:
                p.requires_grad_(True)
            cmem = torch.cat([cmem, new.detach()], 1)[:, -NCM:]
        pos += T
    dt = time.perf_counter() - t0
    print(f"torch {torch.__version__} eager, {threads} threads: {steps} steps in {dt:.2f} s, "
          f"{steps * B * T / dt:.0f} training characters/s (last loss {loss.item() / 0.6931:.3f} bits/char)")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--steps", type=int, default=200)
    a = ap.parse_args()
    for th in [int(t) for t in a.threads.split(",")]:
        run(th, a.steps)
