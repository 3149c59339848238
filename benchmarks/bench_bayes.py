"""Benchmark of clvkit.bayes.BetaGeo: full NUTS on the CDNOW sample against pymc-marketing,
and on 1,000,000 simulated customers.

1. CDNOW sample (2,357 customers, the published calibration summary): clvkit.bayes.BetaGeo
   (nutpie on 1,016 compressed weighted rows) and pymc_marketing.clv.BetaGeoModel (its default
   PyMC NUTS on one row per customer), both 2 chains x 1,000 draws after 1,000 tuning, in the
   same process. Wall time includes model compilation for both. Reported: wall times, their
   ratio, bulk ESS per parameter, posterior means.
2. 1,000,000 customers simulated from the published BG/NBD parameters with
   ``simulate_beta_geo(..., T=(27, 39), resolution=1/7)``: wall time of the same fit, then of
   per-customer posterior means and 94% intervals of expected purchases (39 weeks) and
   P(alive) from 200 thinned draws, computed in chunks.

Run: ``python benchmarks/bench_bayes.py``; writes benchmarks/results/bayes.md atomically.
"""

from __future__ import annotations

import platform
import time
from pathlib import Path

import pandas as pd

from clvkit.bayes import BetaGeo
from clvkit.data.customer_data import CustomerData
from clvkit.data.datasets import load_cdnow_summary
from clvkit.io import atomic_write
from clvkit.simulate import simulate_beta_geo

SETTINGS = {"draws": 1000, "tune": 1000, "chains": 2}
PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
NAMES = ("r", "alpha", "a", "b")


def bench_clvkit(data: CustomerData, seed: int) -> tuple[float, BetaGeo]:
    start = time.perf_counter()
    model = BetaGeo().fit(data, random_seed=seed, **SETTINGS)
    return time.perf_counter() - start, model


def bench_pymc_marketing(frame: pd.DataFrame, seed: int) -> tuple[float, pd.DataFrame, int]:
    import arviz as az
    from pymc_marketing.clv import BetaGeoModel

    data = frame.reset_index().rename(columns={frame.index.name or "index": "customer_id"})
    data = data[["customer_id", "frequency", "recency", "T"]]
    start = time.perf_counter()
    model = BetaGeoModel(data=data)
    model.fit(random_seed=seed, cores=2, progressbar=False, **SETTINGS)
    seconds = time.perf_counter() - start
    divergences = int(model.idata.sample_stats["diverging"].sum())
    return seconds, az.summary(model.idata, var_names=list(NAMES), kind="all"), divergences


def main() -> str:
    lines = ["# Bayesian BG/NBD benchmark", "",
             f"Machine: {platform.processor() or platform.machine()}, 2 cores shared with other work; "
             f"settings: {SETTINGS['chains']} chains x {SETTINGS['draws']} draws after "
             f"{SETTINGS['tune']} tuning. Wall times include compiling the model.", ""]
    summary = CustomerData.from_frame(load_cdnow_summary(), unit="W")
    t_ck, ck_model = bench_clvkit(summary, seed=1)
    ck_table = ck_model.summary()
    t_pm, pm_table, pm_div = bench_pymc_marketing(summary.frame, seed=1)
    lines += ["## CDNOW sample (2,357 customers)", "",
              "| | clvkit.bayes.BetaGeo (nutpie) | pymc-marketing BetaGeoModel (PyMC NUTS) |",
              "|---|---|---|",
              f"| rows in the likelihood | {ck_model.n_unique_:,} | {len(summary):,} |",
              f"| wall time (s) | {t_ck:.1f} | {t_pm:.1f} |",
              f"| speed-up | {t_pm / t_ck:.2f}x | 1x |"]
    for name in NAMES:
        lines.append(f"| {name}: mean (published MLE {PUBLISHED[name]}) | {ck_table.loc[name, 'estimate']:.3f} | "
                     f"{pm_table.loc[name, 'mean']:.3f} |")
    for name in NAMES:
        lines.append(f"| {name}: bulk ESS | {ck_table.loc[name, 'ess_bulk']:.0f} | "
                     f"{pm_table.loc[name, 'ess_bulk']:.0f} |")
    lines.append(f"| min bulk ESS per second | {ck_table['ess_bulk'].min() / t_ck:.1f} | "
                 f"{pm_table['ess_bulk'].min() / t_pm:.1f} |")
    lines.append(f"| max r_hat | {ck_table['r_hat'].max():.3f} | {pm_table['r_hat'].max():.3f} |")
    lines.append(f"| divergences | {ck_model.divergences_} | {pm_div} |")
    print("\n".join(lines), flush=True)

    params = dict(PUBLISHED)
    start = time.perf_counter()
    sim = simulate_beta_geo(params, 1_000_000, T=(27, 39), resolution=1 / 7, random_seed=7)
    big = CustomerData.from_frame(sim[["frequency", "recency", "T"]], unit="W")
    t_sim = time.perf_counter() - start
    t_fit, big_model = bench_clvkit(big, seed=2)
    big_table = big_model.summary()
    start = time.perf_counter()
    pred = big_model.predict(big, 39.0, interval=0.94, n_draws=200)  # bounds: q_lower, q_upper
    t_pred = time.perf_counter() - start
    lines += ["", "## 1,000,000 simulated customers", "",
              f"Simulated from the published parameters ({t_sim:.1f} s): "
              f"{big_model.n_unique_:,} unique (frequency, recency, T) rows.", "",
              "| | value |", "|---|---|",
              f"| fit wall time (s), same settings | {t_fit:.1f} |",
              f"| under 2 minutes | {'yes' if t_fit < 120 else 'NO'} |",
              f"| predictions: expected purchases (39 weeks) + P(alive), 94% intervals, 200 draws (s) | {t_pred:.1f} |",
              f"| max r_hat | {big_table['r_hat'].max():.3f} |",
              f"| min bulk ESS | {big_table['ess_bulk'].min():.0f} |",
              f"| divergences | {big_model.divergences_} |"]
    for name in NAMES:
        row = big_table.loc[name]
        lines.append(f"| {name}: truth {params[name]}, posterior mean (95% interval) | "
                     f"{row['estimate']:.3f} ({row['lower']:.3f}, {row['upper']:.3f}) |")
    lines.append(f"| customers predicted | {len(pred):,} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    text = main()
    out = Path(__file__).parent / "results" / "bayes.md"

    def write(tmp: str) -> None:
        Path(tmp).write_text(text, encoding="utf-8")

    atomic_write(out, write)
    print(text)
