"""Coverage of bayes.ShiftedBetaGeo's 90% credible intervals on simulated cohorts.

For each truth (the two segments of Fader & Hardie 2007) we simulate ``REPS`` cohorts of 1,000
customers over 7 periods from the sBG itself (churn probability theta ~ Beta(alpha, beta),
churn period ~ Geometric(theta)), fit the Bayesian sBG (2 chains x 500 draws after 500 tuning,
nutpie), and count how often the 90% equal-tailed intervals of alpha, beta and S(12) (a
five-year extrapolation) contain the truth. Target: 80-98%.

The PyMC model is built and compiled once per truth and re-sampled with new data
(``pm.Data`` + ``CompiledModel.with_data``), so the study is the model class's own code
without a compile per replication.

Run: ``python benchmarks/coverage_bayes_sbg.py [REPS]``; writes benchmarks/results/coverage_bayes_sbg.md.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from clvkit.bayes import ShiftedBetaGeo
from clvkit.bayes.shifted_beta_geo import survival
from clvkit.errors import ConvergenceWarning
from clvkit.io import atomic_write

TRUTHS = {"regular": (0.704, 1.182), "high_end": (0.668, 3.806)}
SIZE, PERIODS, LEVEL = 1000, 7, 0.9


def simulate(alpha: float, beta: float, rng: np.random.Generator) -> pd.DataFrame:
    theta = rng.beta(alpha, beta, size=SIZE)
    churn_period = rng.geometric(theta)
    alive = [(churn_period > t).sum() for t in range(PERIODS + 1)]
    return pd.DataFrame({"period": range(PERIODS + 1), "alive": alive})


def run(reps: int) -> str:
    import nutpie

    rng = np.random.default_rng(2026)
    lines = ["| truth (alpha, beta) | replications | alpha covered | beta covered | S(12) covered | "
             "fits with a convergence warning | seconds |", "|---|---|---|---|---|---|---|"]
    total_hits, total_n = 0, 0
    for name, (alpha, beta) in TRUTHS.items():
        start = time.perf_counter()
        model = ShiftedBetaGeo()
        churn, last, survivors = model._prepare(simulate(alpha, beta, rng), None, None)
        compiled = nutpie.compile_pymc_model(model._build(churn, last, survivors))
        hits = np.zeros(3, dtype=int)
        warned = 0
        truth_s12 = float(survival(alpha, beta, 12))
        for rep in range(reps):
            churn, last, survivors = model._prepare(simulate(alpha, beta, rng), None, None)
            model.idata_ = nutpie.sample(compiled.with_data(churn=churn, survivors=survivors), draws=500,
                                         tune=500, chains=2, seed=rep, save_warmup=False, progress_bar=False,
                                         low_rank_modified_mass_matrix=True)
            model.sampler_ = "nutpie"
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ConvergenceWarning)
                model._diagnose()
            warned += any(issubclass(w.category, ConvergenceWarning) for w in caught)
            table = model.summary(interval=LEVEL)
            s12 = model.predict([12], interval=LEVEL)
            for j, (low, high, true) in enumerate((
                    (table.loc["alpha", "lower"], table.loc["alpha", "upper"], alpha),
                    (table.loc["beta", "lower"], table.loc["beta", "upper"], beta),
                    (s12["survival_lower"].iloc[0], s12["survival_upper"].iloc[0], truth_s12))):
                hits[j] += low <= true <= high
        seconds = time.perf_counter() - start
        total_hits += hits.sum()
        total_n += 3 * reps
        cover = " | ".join(f"{h / reps:.0%} ({h}/{reps})" for h in hits)
        lines.append(f"| {name} ({alpha}, {beta}) | {reps} | {cover} | {warned} | {seconds:.0f} |")
        print(lines[-1], flush=True)
    lines.append("")
    lines.append(f"Overall coverage of the 90% intervals: {total_hits / total_n:.1%} "
                 f"({total_hits} of {total_n}); target 80-98%.")
    return "\n".join(lines)


if __name__ == "__main__":
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    body = run(reps)
    text = ("# Coverage of bayes.ShiftedBetaGeo's 90% credible intervals\n\n"
            f"Simulated single cohorts of {SIZE} customers observed for {PERIODS} periods; "
            "2 chains x 500 draws after 500 tuning (nutpie) per replication.\n\n" + body + "\n")
    out = Path(__file__).parent / "results" / "coverage_bayes_sbg.md"

    def write(tmp: str) -> None:
        Path(tmp).write_text(text, encoding="utf-8")

    atomic_write(out, write)
    print(text)
