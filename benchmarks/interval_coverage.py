"""Coverage of 90% intervals for BG/NBD expected purchases over simulated data sets.

Data sets are simulated from the BG/NBD with the parameters Fader, Hardie & Lee (2005) estimated
on CDNOW (r 0.243, alpha 4.414, a 0.793, b 2.426), with CDNOW-like observation times (T uniform
on 27-39 weeks, on a daily grid) and 2,357 customers. Each is fitted, and
``predict(rows, 39, interval=0.9)`` gives intervals for a fixed set of customer histories; we
record how often the expected purchases at the TRUE parameters fall inside. Target: 85-95%.
The parametric bootstrap (``clvkit.evaluate.bootstrap_params``) is run too, on fewer data sets.

Run:  python benchmarks/interval_coverage.py [--reps 200] [--boot-reps 100] [--n-boot 150]   (~10 min)
Writes benchmarks/results/interval_coverage.md atomically.
"""

from __future__ import annotations

import os

# One BLAS thread: on a small shared machine, multithreaded OpenBLAS makes each L-BFGS-B
# iteration of scipy >= 1.15 several times slower (thread spin-up for tiny vectors).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import datetime as dt
import platform
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from clvkit._version import __version__
from clvkit.evaluate.coverage import interval_coverage
from clvkit.io import atomic_write
from clvkit.models import BetaGeo
from clvkit.simulate import simulate_beta_geo

TRUE = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
ROWS = pd.DataFrame(
    [(0, 0.0, 39.0), (0, 0.0, 27.0), (1, 5.0, 39.0), (1, 30.0, 39.0), (2, 20.0, 33.0), (3, 37.0, 39.0),
     (5, 15.0, 39.0), (7, 35.0, 39.0), (12, 38.0, 39.0), (25, 38.5, 39.0)],
    columns=["frequency", "recency", "T"])
HORIZON = 39.0
RESULT = Path(__file__).resolve().parent / "results" / "interval_coverage.md"


def study(reps: int, n_customers: int, n_boot: int | None, seed: int, quiet: bool = False) -> pd.DataFrame:
    def progress(done: int, total: int) -> None:
        if not quiet and (done % 10 == 0 or done == total):
            print(f"  {done}/{total} data sets", file=sys.stderr, flush=True)

    return interval_coverage(BetaGeo, simulate_beta_geo, TRUE, ROWS, HORIZON, n_customers=n_customers,
                             T=(27.0, 39.0), resolution=1 / 7, reps=reps, level=0.9, n_boot=n_boot,
                             random_seed=seed, progress=progress)


def _table(result: pd.DataFrame) -> str:
    cols = ["frequency", "recency", "T", "truth", "mean_estimate", "mean_width", "coverage", "below", "above",
            "p_alive_coverage"]
    out = result[cols].copy()
    header = "| " + " | ".join(cols) + " |\n|" + "---|" * len(cols) + "\n"
    lines = []
    for _, row in out.iterrows():
        cells = [f"{int(row['frequency'])}", f"{row['recency']:g}", f"{row['T']:g}", f"{row['truth']:.3f}",
                 f"{row['mean_estimate']:.3f}", f"{row['mean_width']:.3f}", f"{row['coverage']:.1%}",
                 f"{row['below']:.1%}", f"{row['above']:.1%}", f"{row['p_alive_coverage']:.1%}"]
        lines.append("| " + " | ".join(cells) + " |")
    return header + "\n".join(lines) + "\n"


def _binomial_se(p: float, n: int) -> float:
    return float(np.sqrt(max(p * (1 - p), 1e-12) / n))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=200, help="data sets for the asymptotic intervals")
    parser.add_argument("--customers", type=int, default=2357, help="customers per data set")
    parser.add_argument("--boot-reps", type=int, default=100, help="data sets for the bootstrap (0: skip)")
    parser.add_argument("--n-boot", type=int, default=150, help="bootstrap refits per data set")
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args(argv)

    print(f"asymptotic: {args.reps} data sets of {args.customers} customers", file=sys.stderr)
    asym = study(args.reps, args.customers, None, args.seed)
    boot = None
    if args.boot_reps > 0:
        print(f"bootstrap: {args.boot_reps} data sets x {args.n_boot} refits", file=sys.stderr)
        boot = study(args.boot_reps, args.customers, args.n_boot, args.seed + 1)

    lines = [
        "# Coverage of 90% intervals for BG/NBD expected purchases",
        "",
        f"Written by `benchmarks/interval_coverage.py` on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC "
        f"(clvkit {__version__}, Python {platform.python_version()}, numpy {np.__version__}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs).",
        "",
        f"True parameters: {TRUE} (FHL 2005 on CDNOW). Each data set: {args.customers:,} customers, T uniform on "
        "27-39 weeks (daily grid), recency floored to days. Fit BetaGeo, then intervals for expected purchases in "
        f"the next {HORIZON:g} weeks for the {len(ROWS)} histories below; coverage = share of data sets whose "
        "interval contains the expected purchases at the TRUE parameters (target 85-95%). "
        "`below` / `above`: the truth fell under the lower / over the upper bound.",
        "",
    ]
    for name, res in [("Asymptotic normal on the log scale (`predict(..., interval=0.9)`, 1,000 draws)", asym),
                      ("Parametric bootstrap (`clvkit.evaluate.bootstrap_params`)", boot)]:
        if res is None:
            continue
        n = res.attrs["reps"] * len(res)
        lines += [
            f"## {name}",
            "",
            f"**Overall coverage: {res.attrs['overall']:.1%}** over {res.attrs['reps']} data sets x {len(res)} "
            f"histories (binomial s.e. if independent: {_binomial_se(res.attrs['overall'], n):.1%}; rows share "
            f"a data set, so the real uncertainty is larger). Method: {res.attrs['method']}. "
            f"Convergence warnings: {res.attrs['convergence_warnings']}. Time: {res.attrs['seconds']:.0f} s.",
            "",
            _table(res),
        ]
    text = "\n".join(lines)
    atomic_write(args.out, lambda tmp: Path(tmp).write_text(text))
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
