#!/usr/bin/env python3
"""PyTorch CPU baseline for the sgd engine (issues 2, 16).

Two layouts of the paper's reference procedure, one full-batch epoch each: fresh noise x0 for
every (time step, sample), x_t = alpha*x0 + beta*x1, f = c*x_t + u*tanh(w.x_t/sqrt(d) + b),
loss = n * mean((f - x1)^2) over all K steps, backward, Adam (lr 0.01) with L2 weight decay
on u, w; dilated schedule (kappa = 2), p = 0.8, sigma^2 = 1.

* --layout ours (default): one (K, n, d) noise tensor per epoch, broadcasting, c and b per
  step, weight decay 1e-5 on u and w (the configuration phaseflow's sgd engine maps onto:
  lambda = K*d*wd/2, see src/train/sgd.rs).
* --layout authors: the authors' public learnGMM.py procedure re-expressed (tensors of shape
  (d, n, K), einsum forward, nn.MSELoss, Adam with one parameter group each for u, w, b, c,
  their "dVP" schedule with C = 2, standard-normal initialisation; written anew here, not
  copied).

Install (a throwaway venv is fine; nothing in the crate or CI depends on it; the PyPI wheel
runs on a machine without a GPU):
    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch
    /tmp/torchenv/bin/python scripts/bench_pytorch.py --threads 2 --dtype float32
Prints seconds per epoch (warm-up excluded) and ns per (sample x dimension x time step).
scripts/bench_sgd_vs_pytorch.py runs this as a whole process with two epoch counts and
differences them instead.
"""
import argparse
import math
import time

import torch


def ours(d, n, K, dt):
    eps = 2.0 / d**0.5
    t = torch.arange(K, dtype=dt) * 2.0 / K
    tau = torch.where(t <= 1, eps * t, eps + (1 - eps) * (t - 1))
    alpha, beta = (1 - tau)[:, None, None], tau[:, None, None]
    s = torch.where(torch.rand(n) < 0.8, 1.0, -1.0).to(dt)
    x1 = s[:, None] + torch.randn(n, d, dtype=dt)
    c = torch.zeros(K, 1, 1, dtype=dt, requires_grad=True)
    b = torch.zeros(K, 1, dtype=dt, requires_grad=True)
    u = (torch.randn(K, 1, d, dtype=dt) / d**0.5).requires_grad_()
    w = (torch.randn(K, 1, d, dtype=dt) / d**0.5).requires_grad_()
    opt = torch.optim.Adam(
        [{"params": [u, w], "weight_decay": 1e-5}, {"params": [c, b], "weight_decay": 0.0}],
        lr=0.01,
    )

    def epoch():
        x0 = torch.randn(K, n, d, dtype=dt)
        xt = alpha * x0 + beta * x1[None]
        z = (xt * w).sum(-1) / d**0.5 + b
        f = c * xt + u * torch.tanh(z)[..., None]
        loss = n * ((f - x1[None]) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    return epoch


def authors(d, n, K, dt):
    # Shapes and operations of learnGMM.py's run(mode='dVP', ...): N = d, bs_tr = n,
    # num_steps = K, l_u = l_w = 1e-5.
    C = 2.0
    ts = torch.linspace(0, 2, K + 1, dtype=dt)[:-1]
    e = C / math.sqrt(d)
    a_t = (1 - e * ts) * (ts < 1) + (2 - ts) * (1 - e) * (ts >= 1)
    b_t = e * ts * (ts < 1) + (e + (1 - e) * (ts - 1)) * (ts >= 1)
    s1 = torch.sign(2.0 * (torch.rand(n) < 0.8) - 1).to(dt)
    m1 = torch.randn(d, n, dtype=dt) + torch.outer(torch.ones(d, dtype=dt), s1)
    c = torch.nn.Parameter(torch.randn(K, dtype=dt))
    u = torch.nn.Parameter(torch.randn(d, K, dtype=dt))
    w = torch.nn.Parameter(torch.randn(d, K, dtype=dt))
    b = torch.nn.Parameter(torch.randn(K, dtype=dt))
    opt = torch.optim.Adam(
        [
            {"params": [u], "weight_decay": 1e-5},
            {"params": [w], "weight_decay": 1e-5},
            {"params": [b], "weight_decay": 0.0},
            {"params": [c], "weight_decay": 0.0},
        ],
        lr=0.01,
    )
    mse = torch.nn.MSELoss()
    sqrt_d = math.sqrt(d)

    def epoch():
        z = torch.randn((d, n, K), dtype=dt)
        mt = a_t * z + b_t * m1[:, :, None]
        th = torch.tanh(b + torch.einsum("ij,ikj->kj", w, mt) / sqrt_d)
        pred = c * mt + torch.einsum("ij,kj->ikj", u, th)
        loss = n * mse(pred, m1[:, :, None])
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    return epoch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--d", type=int, default=1000)
    ap.add_argument("--n", type=int, default=128)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    ap.add_argument("--layout", choices=["ours", "authors"], default="ours")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    dt = getattr(torch, a.dtype)
    torch.manual_seed(0)
    epoch = (ours if a.layout == "ours" else authors)(a.d, a.n, a.steps, dt)
    loss = torch.zeros(())
    for _ in range(a.warmup):
        loss = epoch()
    t0 = time.perf_counter()
    for _ in range(a.epochs):
        loss = epoch()
    sec = (time.perf_counter() - t0) / max(a.epochs, 1)
    print(
        f"pytorch {torch.__version__} {a.layout} {a.dtype} threads={a.threads} d={a.d} n={a.n} "
        f"K={a.steps}: {sec * 1e3:.2f} ms/epoch, "
        f"{sec / (a.n * a.d * a.steps) * 1e9:.3f} ns per (sample x dim x step), "
        f"loss {float(loss.detach()):.4f}"
    )


if __name__ == "__main__":
    main()
