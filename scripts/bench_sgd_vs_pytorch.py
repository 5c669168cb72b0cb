#!/usr/bin/env python3
"""Paired, load-robust timing of phaseflow's sgd epoch against PyTorch (issue 16).

One command; prints a table (and optionally JSON) per problem size:

    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch   # once; CPU use
    /tmp/torchenv/bin/python scripts/bench_sgd_vs_pytorch.py [--json out.json]

What it does
* Engines: phaseflow's sgd engine in f32 and f64 (`cargo run --release --example
  sgd_epochs`, built first), scripts/bench_pytorch.py in float32 and float64 (the same
  procedure with one (K, n, d) noise tensor per epoch), and the authors' learnGMM.py
  procedure re-expressed in scripts/bench_pytorch.py (`--layout authors`, float32).
* Each engine runs as a whole process, with 1 thread and with 2 threads, at two epoch counts
  E_lo and E_hi; per-epoch cost = (cost(E_hi) − cost(E_lo)) / (E_hi − E_lo), so start-up
  (imports, data, allocation, warm-up epochs) cancels. The runs are interleaved A B A B:
  every repeat runs every engine once before the next repeat, so slow drift of the machine
  hits all engines alike. Medians over repeats are reported.
* Figures per epoch: single-thread CPU time (user + sys of the 1-thread process: the work,
  robust to other load), two-thread wall time (what a user waits; needs an idle machine),
  ns per (sample × dimension × time step) of each, and the ratios PyTorch / phaseflow f32.
  The load average is printed before and after; on a loaded machine only the CPU-time
  columns mean anything.
* Takes about 25 minutes with the defaults on a 2-core machine (most of it PyTorch at the
  paper's d = 5000, K = 80; float64 needs a few GB of memory there).
"""
import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_timed(cmd, threads):
    """Run cmd to completion; return (CPU seconds = user + sys of the child and its threads,
    from the kernel via os.wait4; wall seconds)."""
    env = dict(os.environ)
    env.update(
        OMP_NUM_THREADS=str(threads),
        MKL_NUM_THREADS=str(threads),
        RAYON_NUM_THREADS=str(threads),
    )
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    err = p.stderr.read().decode()
    p.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"command failed ({code}): {shlex.join(cmd)}\n{err[-2000:]}")
    return ru.ru_utime + ru.ru_stime, wall


class Engine:
    """One engine: its command line for (epochs, threads) and its two epoch counts."""

    def __init__(self, name, cmd, lo, hi):
        self.name, self.cmd, self.lo, self.hi = name, cmd, lo, hi


def engines(args, d, n, k):
    ex = os.path.join(ROOT, "target", "release", "examples", "sgd_epochs")
    py = [args.python, os.path.join(ROOT, "scripts", "bench_pytorch.py")]
    size = ["--d", str(d), "--n", str(n), "--steps", str(k)]
    elems = n * d * k
    # Epoch counts: E_hi − E_lo sized so that the difference is ~args.seconds of one core at
    # the rates measured while writing this (phaseflow ~1.5 ns, PyTorch ~25 ns per element).
    def counts(ns_per_elem, at_least):
        span = max(at_least, round(args.seconds / (ns_per_elem * 1e-9 * elems)))
        return span

    out = []
    for prec, rate in (("f32", 1.5), ("f64", 4.0)):
        lo = 2
        hi = lo + counts(rate, 4)
        out.append(
            Engine(
                f"phaseflow {prec}",
                lambda e, t, prec=prec: [ex, *size, "--epochs", str(e), "--precision", prec,
                                         "--threads", str(t)],
                lo, hi,
            )
        )
    torch_runs = [("pytorch float32", "float32", "ours", 25.0),
                  ("pytorch float64", "float64", "ours", 60.0)]
    if not args.skip_authors:
        torch_runs.append(("authors' layout float32", "float32", "authors", 25.0))
    for name, dtype, layout, rate in torch_runs:
        # One warm-up epoch in every run (cancels in the difference), then lo or hi epochs.
        lo, hi = 0, counts(rate, 2)
        out.append(
            Engine(
                name,
                lambda e, t, dtype=dtype, layout=layout: [*py, *size, "--epochs", str(e),
                                                          "--warmup", "1", "--threads", str(t),
                                                          "--dtype", dtype, "--layout", layout],
                lo, hi,
            )
        )
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000,128,40;5000,128,80",
                    help="d,n,K triples separated by ';' (default: %(default)s)")
    ap.add_argument("--repeats", type=int, default=3, help="A B A B rounds (default 3)")
    ap.add_argument("--seconds", type=float, default=1.5,
                    help="target one-core seconds of the differenced epochs per run")
    ap.add_argument("--python", default=sys.executable, help="python with torch installed")
    ap.add_argument("--skip-authors", action="store_true")
    ap.add_argument("--no-build", action="store_true", help="use the built example as is")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()

    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--quiet", "--example", "sgd_epochs"],
                       cwd=ROOT, check=True)
    probe = subprocess.run([args.python, "-c", "import torch; print(torch.__version__)"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        sys.exit(f"{args.python} cannot import torch; install it (CPU use needs no GPU):\n"
                 "  python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch\n"
                 "then run this script with /tmp/torchenv/bin/python or pass --python.")
    torch_version = probe.stdout.strip()
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load0 = os.getloadavg()
    print(f"machine: {cpu}, {os.cpu_count()} logical CPUs, {platform.python_implementation()} "
          f"{platform.python_version()}, torch {torch_version}")
    print(f"load average at start: {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}")
    results = {"machine": cpu, "torch": torch_version, "load_start": load0, "sizes": []}

    for spec in args.sizes.split(";"):
        d, n, k = (int(v) for v in spec.split(","))
        elems = n * d * k
        engs = engines(args, d, n, k)
        cpu1 = {e.name: [] for e in engs}
        wall2 = {e.name: [] for e in engs}
        for rep in range(args.repeats):
            for e in engs:
                c_lo, _ = run_timed(e.cmd(e.lo, 1), 1)
                c_hi, _ = run_timed(e.cmd(e.hi, 1), 1)
                _, w_lo = run_timed(e.cmd(e.lo, 2), 2)
                _, w_hi = run_timed(e.cmd(e.hi, 2), 2)
                span = e.hi - e.lo
                cpu1[e.name].append((c_hi - c_lo) / span)
                wall2[e.name].append((w_hi - w_lo) / span)
            print(f"  d={d} n={n} K={k}: round {rep + 1}/{args.repeats} done, load "
                  f"{os.getloadavg()[0]:.2f}", file=sys.stderr)
        ref = "phaseflow f32"
        rows = []
        print(f"\nd = {d}, n = {n}, K = {k}: per epoch, median of {args.repeats} paired rounds "
              f"(ratio = engine / phaseflow f32, per round, then median)")
        hdr = (f"{'engine':<26} {'1-thread CPU ms':>15} {'ns/elem':>8} {'ratio':>7}   "
               f"{'2-thread wall ms':>16} {'ns/elem':>8} {'ratio':>7}")
        print(hdr)
        print("-" * len(hdr))
        for e in engs:
            c = statistics.median(cpu1[e.name])
            w = statistics.median(wall2[e.name])
            rc = statistics.median(a / b for a, b in zip(cpu1[e.name], cpu1[ref]))
            rw = statistics.median(a / b for a, b in zip(wall2[e.name], wall2[ref]))
            print(f"{e.name:<26} {c * 1e3:>15.2f} {c / elems * 1e9:>8.3f} {rc:>7.2f}   "
                  f"{w * 1e3:>16.2f} {w / elems * 1e9:>8.3f} {rw:>7.2f}")
            rows.append({"engine": e.name, "epochs": [e.lo, e.hi],
                         "cpu_1thread_s": cpu1[e.name], "wall_2threads_s": wall2[e.name],
                         "cpu_1thread_median_s": c, "wall_2threads_median_s": w,
                         "ratio_cpu_vs_phaseflow_f32": rc, "ratio_wall_vs_phaseflow_f32": rw})
        results["sizes"].append({"d": d, "n": n, "K": k, "rows": rows})
    load1 = os.getloadavg()
    results["load_end"] = load1
    print(f"\nload average at end: {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}"
          " (two-thread wall times are meaningful only on an otherwise idle machine)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
