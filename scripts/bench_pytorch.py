#!/usr/bin/env python3
"""PyTorch CPU baseline for the `sgd_epoch` bench (issue 2).

The reference procedure of the paper's code, one full-batch epoch: fresh noise x0 for every
(time step, sample), x_t = alpha*x0 + beta*x1, f = c*x_t + u*tanh(w.x_t/sqrt(d) + b),
loss = n * mean((f - x1)^2) over all K steps, backward, Adam with L2 weight decay on u, w.

Usage (a throwaway venv is fine; nothing in the crate depends on it):
    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch
    /tmp/torchenv/bin/python scripts/bench_pytorch.py --threads 2 --dtype float32
Prints seconds per epoch and ns per (sample x dimension x time step).
"""
import argparse
import time

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--d", type=int, default=1000)
    ap.add_argument("--n", type=int, default=128)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    dt = getattr(torch, a.dtype)
    torch.manual_seed(0)
    d, n, K = a.d, a.n, a.steps
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

    for _ in range(3):
        epoch()
    t0 = time.perf_counter()
    for _ in range(a.epochs):
        epoch()
    sec = (time.perf_counter() - t0) / a.epochs
    print(
        f"pytorch {torch.__version__} {a.dtype} threads={a.threads} d={d} n={n} K={K}: "
        f"{sec * 1e3:.2f} ms/epoch, {sec / (n * d * K) * 1e9:.3f} ns per (sample x dim x step)"
    )


if __name__ == "__main__":
    main()
