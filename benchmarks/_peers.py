"""Worker process for the peer libraries (lifetimes, pymc-marketing) in the benchmarks.

Started by ``bench_fit.py`` through :class:`harness.Worker`; one process per peer, so that a
peer running past ``--max-lifetimes-seconds`` can be killed without touching the others. Each
handler times only the library call itself (not the pipe, not the data loading) and returns
the fitted parameters, so that the parent can check that every competitor found the same
optimum.

Requests (JSON, one per line):
    {"task": "load", "path": "<npz with frequency, recency, T[, monetary_value]>"}
    {"task": "lifetimes_fit", "model": "bgnbd" | "paretonbd", "n": null | int}
    {"task": "pymc_fit", "model": "bgnbd" | "paretonbd", "n": null | int}
    {"task": "lifetimes_score", "params": {...}, "gg_params": {...}, "n": ..., "horizon_weeks": ...,
     "months": 12, "monthly_discount": ..., "save": "<npz path>" | null}
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Measured, serve

DATA: dict[str, np.ndarray] = {}


def _frame(n: int | None) -> pd.DataFrame:
    cut = slice(None) if n is None else slice(0, int(n))
    cols = {k: v[cut] for k, v in DATA.items()}
    return pd.DataFrame(cols)


def load(request: dict[str, Any]) -> Measured:
    with np.load(request["path"]) as npz:
        DATA.clear()
        DATA.update({k: npz[k] for k in npz.files})
    return Measured(0.0, {"rows": len(DATA["frequency"])})


def lifetimes_fit(request: dict[str, Any]) -> Measured:
    import lifetimes

    df = _frame(request.get("n"))
    fitter = (lifetimes.BetaGeoFitter() if request["model"] == "bgnbd" else lifetimes.ParetoNBDFitter())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # lifetimes on pandas 3: noise, not numerics
        start = time.perf_counter()
        fitter.fit(df["frequency"], df["recency"], df["T"])
        seconds = time.perf_counter() - start
    return Measured(seconds, {k: float(v) for k, v in fitter.params_.items()})


def pymc_fit(request: dict[str, Any]) -> Measured:
    from pymc_extras.prior import Prior
    from pymc_marketing.clv import BetaGeoModel, ParetoNBDModel

    df = _frame(request.get("n"))
    df.insert(0, "customer_id", np.arange(len(df)))
    if request["model"] == "bgnbd":
        cls, names = BetaGeoModel, ("r", "alpha", "a", "b")
    else:
        cls, names = ParetoNBDModel, ("r", "alpha", "s", "beta")
    # Flat priors: the MAP is then the maximum-likelihood estimate, the same target as the others.
    config = {name: Prior("HalfFlat") for name in names}
    start = time.perf_counter()
    model = cls(model_config=config)
    model.fit(data=df, method="map", progressbar=False)
    seconds = time.perf_counter() - start
    post = model.fit_result
    return Measured(seconds, {name: float(post[name].values.ravel()[0]) for name in names})


def lifetimes_score(request: dict[str, Any]) -> Measured:
    import lifetimes

    df = _frame(request.get("n"))
    bgf = lifetimes.BetaGeoFitter()
    bgf.params_ = pd.Series(request["params"])
    bgf.predict = bgf.conditional_expected_number_of_purchases_up_to_time  # what fit() would set
    ggf = lifetimes.GammaGammaFitter()
    gg = request["gg_params"]
    ggf.params_ = pd.Series({"p": gg["p"], "q": gg["q"], "v": gg["gamma"]})
    f, r, T, m = df["frequency"], df["recency"], df["T"], df["monetary_value"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        start = time.perf_counter()
        ep = bgf.conditional_expected_number_of_purchases_up_to_time(request["horizon_weeks"], f, r, T)
        pa = bgf.conditional_probability_alive(f, r, T)
        value = ggf.customer_lifetime_value(bgf, f, r, T, m, time=request["months"],
                                            discount_rate=request["monthly_discount"], freq="W")
        seconds = time.perf_counter() - start
    if request.get("save"):
        np.savez(request["save"], expected_purchases=np.asarray(ep, dtype=float),
                 p_alive=np.asarray(pa, dtype=float), clv=np.asarray(value, dtype=float))
    return Measured(seconds, None)


if __name__ == "__main__":
    serve({"load": load, "lifetimes_fit": lifetimes_fit, "pymc_fit": pymc_fit,
           "lifetimes_score": lifetimes_score})
