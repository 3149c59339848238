"""Where clvkit's fit spends its time: cProfile of one fit, grouped into phases.

Usage (from the repository root)::

    python benchmarks/profile_fit.py --n 1000000 --model bgnbd --repeats 2

Phases (cumulative time of the named functions; they overlap where one calls the other, so
they need not sum to the total): validation (``CustomerData.from_frame``), compression
(``compress``), L-BFGS-B (scipy ``minimize``, which contains most likelihood evaluations and
the optimiser's own work ``setulb``), Hessian (``numerical_hessian``: 2k gradient calls), and
the likelihood evaluations themselves wherever they were called from.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bench_fit import clvkit_fitter, simulate  # noqa: E402

PHASES = {
    "validation (from_frame)": ("from_frame",),
    "compression (compress)": ("compress",),
    "L-BFGS-B (scipy minimize)": ("minimize",),
    "  of which optimiser internals (setulb)": ("<built-in method scipy.optimize._lbfgsb.setulb>",),
    "Hessian (numerical_hessian)": ("numerical_hessian",),
    "likelihood + gradient evaluations": ("_weighted_loglik_and_grad", "_loglik_and_grad"),
    "final state (_set_fit)": ("_set_fit",),
}


def phase_table(stats: pstats.Stats) -> list[tuple[str, int, float]]:
    """(phase, calls, cumulative seconds) for each phase found in ``stats``."""
    rows = []
    raw = stats.stats  # type: ignore[attr-defined]
    for phase, names in PHASES.items():
        calls, cum = 0, 0.0
        for name in names:
            hits = [(nc, ct) for (_f, _l, fn), (_cc, nc, _tt, ct, _callers) in raw.items() if fn == name]
            if hits:
                # a recursive or nested call would be counted twice: keep the outermost entry
                nc, ct = max(hits, key=lambda h: h[1])
                calls, cum = nc, ct
                break
        rows.append((phase, calls, cum))
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--model", choices=["bgnbd", "paretonbd"], default="bgnbd")
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--seed", type=int, default=2005)
    p.add_argument("--top", type=int, default=0, help="also print the top N functions by own time")
    args = p.parse_args(argv)

    df, source = simulate(args.model, args.n, args.seed)
    run = clvkit_fitter(args.model, df)
    if run is None:
        print(f"clvkit has no {args.model} model yet.")
        return 1
    clvkit_fitter(args.model, df.iloc[:2000].copy())()  # warm-up: numba compilation, imports
    print(f"{args.model} fit on {args.n:,} customers ({source})")
    for rep in range(args.repeats):
        prof = cProfile.Profile()
        prof.enable()
        model = run()
        prof.disable()
        stats = pstats.Stats(prof)
        total = stats.total_tt  # type: ignore[attr-defined]
        print(f"\nrun {rep + 1}: {total:.3f} s under the profiler, {model.n_unique_:,} unique rows")
        print("| phase | calls | seconds | share |\n|---|---:|---:|---:|")
        for phase, calls, cum in phase_table(stats):
            print(f"| {phase} | {calls} | {cum:.3f} | {cum / total:.0%} |")
        if args.top:
            stats.sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
