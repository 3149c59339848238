"""Fit and scoring speed: clvkit against lifetimes and pymc-marketing, same data, one run.

Usage (from the repository root)::

    python benchmarks/bench_fit.py --sizes 10000 100000 1000000 --models bgnbd paretonbd --repeats 3
    python benchmarks/bench_fit.py --sizes 10000 --models bgnbd --repeats 1 --score-size 0   # smoke

Data are drawn from the model itself (clvkit.simulate) with CDNOW-like parameters: 39-week
calibration, customers acquired uniformly over the first 12 weeks (T uniform on 27..39 weeks),
recency and T on the daily grid (resolution 1/7 week) as summaries of dated logs are. Sizes
are prefixes of one simulated population.

Competitors per (model, size) case, run round-robin by benchmarks/harness.py:

- ``clvkit``: ``ck.BetaGeo().fit(df)`` / ``ck.ParetoNBD().fit(df)`` in this process, on the
  plain ``frequency, recency, T`` DataFrame (validation and compression included);
- ``lifetimes``: ``BetaGeoFitter().fit`` / ``ParetoNBDFitter().fit`` on the same columns, in
  a worker process that is killed after ``--max-lifetimes-seconds`` (reported "> X (stopped)");
- ``pymc-marketing``: ``BetaGeoModel / ParetoNBDModel(...).fit(method="map")`` with flat
  (``HalfFlat``) priors, so that its MAP is the maximum-likelihood estimate; model building
  and compilation are part of its fit and are timed. Up to ``--pymc-max-n`` customers.

After each case the parameters of every competitor are compared with clvkit's (max relative
difference) and the log-likelihood at each competitor's parameters is printed: a faster fit
that stops short of the optimum would show up there.

The scoring case (``--score-size``, default 1,000,000 customers) times per-customer
predictions with fixed parameters: clvkit ``expected_purchases + p_alive + ck.clv`` against
lifetimes ``conditional_expected_number_of_purchases_up_to_time + conditional_probability_alive
+ GammaGammaFitter.customer_lifetime_value`` (12 months, freq "W").
"""

from __future__ import annotations

import argparse
import inspect
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # benchmark the checkout this script lives in

from harness import (  # noqa: E402
    CaseResult,
    Competitor,
    Worker,
    machine_info,
    render_markdown,
    run_case,
    write_report,
)

import clvkit as ck  # noqa: E402

#: CDNOW-like parameters (Fader, Hardie & Lee 2005 fits on the CDNOW sample; REFERENCE.md).
BGNBD_PARAMS = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PARETO_PARAMS = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
GG_PARAMS = {"p": 6.25, "q": 3.74, "gamma": 15.44}
T_RANGE = (27.0, 39.0)      # weeks: uniform acquisition over 12 weeks, 39-week calibration
RESOLUTION = 1.0 / 7.0      # daily grid, in weeks
WEEKS_PER_MONTH = 4.345     # lifetimes' own factor for freq="W"
ANNUAL_DISCOUNT = 0.10
WARMUP_ROWS = 2000


# ---------------------------------------------------------------------- data
def simulate(model: str, n: int, seed: int) -> tuple[pd.DataFrame, str]:
    """Simulated ``frequency, recency, T`` for ``model``; the second item says where it came from."""
    from clvkit import simulate as sim

    if model == "paretonbd":
        fn = _lookup("clvkit.simulate", "simulate_pareto_nbd", "clvkit.simulate.pareto_nbd")
        if fn is not None:
            kwargs: dict[str, Any] = {"random_seed": seed}
            if "resolution" in inspect.signature(fn).parameters:
                kwargs["resolution"] = RESOLUTION
            df = fn(PARETO_PARAMS, n, T_RANGE, **kwargs)
            return _clean(df), "Pareto/NBD simulation (clvkit.simulate.simulate_pareto_nbd)"
        df = sim.simulate_beta_geo(BGNBD_PARAMS, n, T_RANGE, resolution=RESOLUTION, random_seed=seed)
        return _clean(df), ("BG/NBD-simulated data (clvkit.simulate.simulate_pareto_nbd does not exist "
                            "yet); both libraries fit Pareto/NBD to the same rows")
    df = sim.simulate_beta_geo(BGNBD_PARAMS, n, T_RANGE, resolution=RESOLUTION, random_seed=seed)
    return _clean(df), "BG/NBD simulation (clvkit.simulate.simulate_beta_geo)"


def _clean(df: pd.DataFrame) -> pd.DataFrame:
    out = df[["frequency", "recency", "T"]].astype(float).reset_index(drop=True)
    out.index.name = "customer_id"
    return out


def add_monetary(df: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Mean repeat spend from the Gamma-Gamma model (Fader & Hardie 2013): per customer
    ``nu ~ Gamma(q, rate gamma)``, and the mean of x spends ``~ Gamma(p x, rate x nu)``; 0 if x = 0."""
    rng = np.random.default_rng(seed)
    x = df["frequency"].to_numpy()
    nu = rng.gamma(GG_PARAMS["q"], 1.0 / GG_PARAMS["gamma"], size=len(df))
    repeat = x > 0
    m = np.zeros(len(df))
    m[repeat] = rng.gamma(GG_PARAMS["p"] * x[repeat], 1.0 / (x[repeat] * nu[repeat]))
    out = df.copy()
    out["monetary_value"] = m
    return out


# ---------------------------------------------------------------------- fitting
CLVKIT_MODELS = {"bgnbd": "BetaGeo", "paretonbd": "ParetoNBD"}
PARAM_NAMES = {"bgnbd": ("r", "alpha", "a", "b"), "paretonbd": ("r", "alpha", "s", "beta")}
LABEL = {"bgnbd": "BG/NBD", "paretonbd": "Pareto/NBD"}


def _lookup(package: str, name: str, module: str) -> Any:
    """``package.name``, or ``module.name`` while the export is not there yet, or None."""
    import importlib

    for where in (package, module):
        try:
            found = getattr(importlib.import_module(where), name, None)
        except ImportError:
            found = None
        if found is not None:
            return found
    return None


def clvkit_fitter(model: str, df: pd.DataFrame):
    name = CLVKIT_MODELS[model]
    cls = _lookup("clvkit", name, f"clvkit.models.{'beta_geo' if model == 'bgnbd' else 'pareto_nbd'}")
    if cls is None:
        return None

    def run() -> Any:
        return cls().fit(df)  # a ConvergenceWarning would be printed, and shows in the log

    return run


def params_of(value: Any, names: tuple[str, ...]) -> dict[str, float] | None:
    if value is None:
        return None
    if hasattr(value, "params_"):
        return {k: float(value.params_[k]) for k in names}
    return {k: float(value[k]) for k in names}


def loglik_at(model_obj: Any, params: dict[str, float], df: pd.DataFrame) -> float:
    """Total log-likelihood of ``params`` on ``df``, evaluated with clvkit's likelihood."""
    cd = ck.CustomerData.from_frame(df)
    packed = cd.compressed(type(model_obj).columns)
    p = np.array([params[k] for k in type(model_obj).param_names])
    ll, _ = model_obj._loglik_and_grad(p, packed.rows)
    return float(packed.weights @ ll)


def agreement(res: CaseResult, model: str, df: pd.DataFrame) -> None:
    """Add parameter differences and log-likelihoods at each competitor's optimum to ``res.extra``."""
    names = PARAM_NAMES[model]
    base_obj = res.timings["clvkit"].value
    base = params_of(base_obj, names)
    if base is None:
        return
    lls = {"clvkit": loglik_at(base_obj, base, df)}
    for name, t in res.timings.items():
        if name == "clvkit" or t.value is None or not t.seconds:
            continue
        other = params_of(t.value, names)
        assert other is not None
        rel = {k: abs(other[k] - base[k]) / abs(base[k]) for k in names}
        worst = max(rel, key=rel.get)
        res.extra[f"max rel. param diff, {name} vs clvkit"] = (
            f"{rel[worst]:.1e} ({worst}: {other[worst]:.5g} vs {base[worst]:.5g})")
        lls[name] = loglik_at(base_obj, other, df)
    res.extra["log-likelihood at each optimum"] = ", ".join(f"{k} {v:.3f}" for k, v in lls.items())
    res.extra["clvkit params"] = ", ".join(f"{k} {v:.4g}" for k, v in base.items())


def fit_cases(args: argparse.Namespace, tmp: Path, notes: list[str]) -> list[CaseResult]:
    results = []
    for model in args.models:
        n_max = max(args.sizes)
        full, source = simulate(model, n_max, args.seed)
        notes.append(f"{LABEL[model]} data: {source}; parameters "
                     + ", ".join(f"{k} {v}" for k, v in (PARETO_PARAMS if 'Pareto/NBD sim' in source
                                                         else BGNBD_PARAMS).items()) + ".")
        npz = tmp / f"{model}.npz"
        np.savez(npz, **{c: full[c].to_numpy() for c in ("frequency", "recency", "T")})
        workers: dict[str, Worker] = {}
        try:
            for peer in ("lifetimes", "pymc-marketing"):
                workers[peer] = Worker([sys.executable, str(HERE / "_peers.py")])
                workers[peer].call({"task": "load", "path": str(npz)}, timeout=600)
            for n in sorted(args.sizes):
                df = full.iloc[:n].copy()
                clvkit_run = clvkit_fitter(model, df)
                if clvkit_run is None:
                    notes.append(f"{LABEL[model]}: ck.{CLVKIT_MODELS[model]} does not exist yet; "
                                 "case skipped.")
                    break
                comps = [Competitor("clvkit", clvkit_run, note=f"ck.{CLVKIT_MODELS[model]}().fit")]
                fitter = "BetaGeoFitter" if model == "bgnbd" else "ParetoNBDFitter"
                comps.append(_peer(workers["lifetimes"], "lifetimes_fit", model, n,
                                   args.max_lifetimes_seconds, "lifetimes", f"{fitter}().fit"))
                pymc_cap = args.pymc_max_n if model == "bgnbd" else args.pymc_max_n_pareto
                if n <= pymc_cap and workers["pymc-marketing"].proc.poll() is None:
                    comps.append(_peer(workers["pymc-marketing"], "pymc_fit", model, n, args.max_pymc_seconds,
                                       "pymc-marketing", "fit(method='map'), HalfFlat priors"))
                case = f"{LABEL[model]} fit, {n:,}"
                print(f"{case} ({len(df.groupby(['frequency', 'recency', 'T'])):,} unique rows)")
                res = run_case(case, comps, args.repeats)
                agreement(res, model, df)
                for k, v in res.extra.items():
                    print(f"  {k}: {v}")
                results.append(res)
                if workers["pymc-marketing"].proc.poll() is not None:  # stopped: start afresh
                    workers["pymc-marketing"] = Worker([sys.executable, str(HERE / "_peers.py")])
                    workers["pymc-marketing"].call({"task": "load", "path": str(npz)}, timeout=600)
                if workers["lifetimes"].proc.poll() is not None:
                    workers["lifetimes"] = Worker([sys.executable, str(HERE / "_peers.py")])
                    workers["lifetimes"].call({"task": "load", "path": str(npz)}, timeout=600)
        finally:
            for w in workers.values():
                w.close()
    return results


def _peer(worker: Worker, task: str, model: str, n: int, limit: float, name: str, note: str) -> Competitor:
    def run() -> Any:
        return worker.call({"task": task, "model": model, "n": n}, timeout=limit)

    def warm() -> Any:
        return worker.call({"task": task, "model": model, "n": min(n, WARMUP_ROWS)}, timeout=limit)

    return Competitor(name, run, warmup=warm, note=note)


# ---------------------------------------------------------------------- scoring
def score_case(args: argparse.Namespace, tmp: Path, notes: list[str]) -> CaseResult:
    n = args.score_size
    df, _ = simulate("bgnbd", n, args.seed + 1)
    df = add_monetary(df, args.seed + 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ck.ConvergenceWarning)
        m = ck.BetaGeo().fit(df)
        g = ck.GammaGamma().fit(df)
    months = 12
    horizon = months * WEEKS_PER_MONTH
    monthly = (1.0 + ANNUAL_DISCOUNT) ** (1.0 / 12.0) - 1.0
    npz = tmp / "score.npz"
    np.savez(npz, **{c: df[c].to_numpy() for c in ("frequency", "recency", "T", "monetary_value")})
    saved = tmp / "score_lifetimes.npz"

    def clvkit_run() -> dict[str, np.ndarray]:
        ep = m.expected_purchases(df, horizon)
        pa = m.p_alive(df)
        value = ck.clv(m, df, horizon=horizon, spend=g, discount_rate=ANNUAL_DISCOUNT)
        return {"expected_purchases": ep.to_numpy(), "p_alive": pa.to_numpy(), "clv": value["clv"].to_numpy()}

    worker = Worker([sys.executable, str(HERE / "_peers.py")])
    try:
        worker.call({"task": "load", "path": str(npz)}, timeout=600)
        request = {"task": "lifetimes_score", "params": {k: float(v) for k, v in m.params_.items()},
                   "gg_params": {k: float(v) for k, v in g.params_.items()}, "horizon_weeks": horizon,
                   "months": months, "monthly_discount": monthly}

        def lt_run() -> Any:
            return worker.call({**request, "n": None, "save": str(saved)}, timeout=args.max_lifetimes_seconds)

        def lt_warm() -> Any:
            return worker.call({**request, "n": WARMUP_ROWS, "save": None},
                               timeout=args.max_lifetimes_seconds)

        case = f"BG/NBD + Gamma-Gamma scoring, {n:,}"
        print(case)
        res = run_case(case, [
            Competitor("clvkit", clvkit_run, note="expected_purchases + p_alive + ck.clv"),
            Competitor("lifetimes", lt_run, warmup=lt_warm,
                       note="conditional_expected_number_of_purchases_up_to_time + "
                            "conditional_probability_alive + customer_lifetime_value"),
        ], args.repeats)
    finally:
        worker.close()
    ours = res.timings["clvkit"].value
    if saved.exists() and ours is not None:
        with np.load(saved) as theirs:
            for key in ("expected_purchases", "p_alive"):
                rel = np.abs(ours[key] - theirs[key]) / np.maximum(np.abs(theirs[key]), 1e-300)
                res.extra[f"{key}: max rel. diff vs lifetimes"] = f"{np.max(rel):.1e}"
            rel = np.abs(ours["clv"] - theirs["clv"]) / np.maximum(np.abs(theirs["clv"]), 1e-300)
            res.extra["clv: median / max rel. diff vs lifetimes"] = (
                f"{np.median(rel):.1e} / {np.max(rel):.1e} (different discounting, see notes)")
    notes.append("Scoring: parameters fixed at clvkit's fit on the scoring data "
                 f"({m.params_.round(4).to_dict()}, "
                 f"Gamma-Gamma {g.params_.round(3).to_dict()}), handed to lifetimes unchanged. Horizon "
                 f"12 months = {horizon:.2f} weeks (lifetimes' 4.345 weeks a month). lifetimes discounts "
                 f"12 monthly increments at the month end at {monthly:.5f} a month; ck.clv discounts "
                 f"continuously at the equivalent {ANNUAL_DISCOUNT:.0%} a year, so CLVs differ by the "
                 "discounting convention only.")
    return res


# ---------------------------------------------------------------------- main
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000],
                   help="numbers of simulated customers for the fit cases")
    p.add_argument("--models", nargs="+", choices=["bgnbd", "paretonbd"], default=["bgnbd"])
    p.add_argument("--repeats", type=int, default=3, help="timed runs per competitor (after one warm-up)")
    p.add_argument("--max-lifetimes-seconds", type=float, default=600.0,
                   help="kill a lifetimes call that runs longer and report '> X (stopped)'")
    p.add_argument("--max-pymc-seconds", type=float, default=600.0)
    p.add_argument("--pymc-max-n", type=int, default=100_000,
                   help="largest size at which pymc-marketing fits BG/NBD (0: never)")
    p.add_argument("--pymc-max-n-pareto", type=int, default=10_000,
                   help="largest size at which pymc-marketing fits Pareto/NBD (0: never)")
    p.add_argument("--score-size", type=int, default=1_000_000,
                   help="customers in the scoring case (0: skip it)")
    p.add_argument("--no-fit", action="store_true", help="skip the fit cases")
    p.add_argument("--seed", type=int, default=2005)
    p.add_argument("--name", default="bench_fit", help="results go to benchmarks/results/<name>.md")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    notes: list[str] = []
    results: list[CaseResult] = []
    with tempfile.TemporaryDirectory(prefix="clvkit-bench-") as tmpdir:
        tmp = Path(tmpdir)
        if not args.no_fit:
            results += fit_cases(args, tmp, notes)
        if args.score_size > 0:
            results.append(score_case(args, tmp, notes))
    notes.append("lifetimes and pymc-marketing run in worker processes and time only their own call; "
                 "their warm-up is a fit on the first 2,000 rows (imports, caches). clvkit's warm-up is "
                 "one full call. The machine is shared: read medians, expect noise.")
    text = render_markdown(f"clvkit fit and scoring benchmark ({' '.join(sys.argv[1:]) or 'defaults'})",
                           results, machine_info(), notes, repeats=args.repeats)
    print()
    print(text)
    path = write_report(args.name, text)
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
