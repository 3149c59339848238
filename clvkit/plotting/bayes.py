"""Posterior predictive plots of the Bayesian models (:mod:`clvkit.bayes`).

Every function draws on ``ax`` (a new figure when ``None``) and returns the matplotlib Axes.
The numbers drawn are the model's own outputs (``predict``, the posterior predictive alive
counts behind the deprecated ``predict_alive``, ``repeat_purchase_ppc``), so tests can compare
them. PyMC is never imported here: the
functions only call methods of an already fitted model.
Checked by tests/bayes/test_plotting_bayes.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clvkit.plotting._axes import axes_or_new

__all__ = ["plot_repeat_purchase_ppc", "plot_survival_bands"]


def plot_survival_bands(model: Any, data: pd.DataFrame, *, cohort: Any = None,
                        interval: float = 0.9, ax: Any = None) -> Any:
    """Actual alive counts of one cohort against the posterior survival curve with its band.

    Parameters
    ----------
    model
        A fitted :class:`clvkit.bayes.ShiftedBetaGeo`.
    data
        ``period, alive`` (or ``cohort, period, alive``) counts, including held-out periods.
    cohort
        Which cohort to draw (default: the first of the model).
    interval
        Coverage of the bands.

    Returns
    -------
    matplotlib Axes. Lines, in order: ``actual`` (alive counts), ``posterior mean`` (cohort size
    x posterior mean of S(t), ``model.predict(periods, cohort=...)["survival"]``); two filled
    bands: the credible band of ``size * S(t)`` and, past the last fitted period, the posterior
    predictive band of the alive count given the last fitted count (binomial renewals, as the
    deprecated ``model.predict_alive`` gives).
    """
    from clvkit.data.periods import validate_survival

    ax = axes_or_new(ax)
    label = str(cohort) if cohort is not None else model.cohorts_[0]
    table = validate_survival(data)
    if "cohort" in data.columns:
        table = table[table["cohort"] == label]
    t = table["period"].to_numpy()
    alive = table["alive"].to_numpy(dtype=float)
    size = model.size_[label]
    surv = model.predict(t, interval=interval, cohort=label)
    ax.plot(t, alive, "o", color="black", label="actual")
    ax.plot(t, size * surv["survival"].to_numpy(), "-", color="C0", label="posterior mean")
    ax.fill_between(t, size * surv["survival_lower"].to_numpy(), size * surv["survival_upper"].to_numpy(),
                    color="C0", alpha=0.25, label=f"{interval:.0%} credible band of S(t)")
    last = model.n_periods_[label]
    future = t[t > last]
    if future.size:
        pred = model._predictive_alive(future, interval, random_seed=0)
        if isinstance(pred.index, pd.MultiIndex):
            pred = pred.loc[label]
        ax.fill_between(future, pred["expected_alive_lower"].to_numpy(),
                        pred["expected_alive_upper"].to_numpy(), color="C1", alpha=0.3,
                        label=f"{interval:.0%} predictive band given period {last}")
        ax.axvline(last + 0.5, color="grey", linestyle=":", label="end of fit")
    ax.set_xlabel("periods since acquisition")
    ax.set_ylabel("customers still active")
    ax.set_title("Cohort survival: actual vs Bayesian sBG")
    ax.legend()
    return ax


def plot_repeat_purchase_ppc(model: Any, data: Any, *, max_frequency: int = 7,
                             interval: float = 0.9, random_seed: int | None = 0,
                             ax: Any = None) -> Any:
    """Customers by number of repeat purchases: observed bars against the posterior predictive.

    Parameters
    ----------
    model
        A fitted :class:`clvkit.bayes.BetaGeo`.
    data
        The calibration summary it was fitted on.
    max_frequency
        The last bar counts customers with ``max_frequency`` or more repeat purchases.

    Returns
    -------
    matplotlib Axes: one bar container (observed counts), a line of posterior predictive means
    and error bars of the ``interval`` band (``model.repeat_purchase_ppc``: ``predicted``,
    ``predicted_lower``, ``predicted_upper``).
    """
    ax = axes_or_new(ax)
    ppc = model.repeat_purchase_ppc(data, max_frequency, interval, random_seed=random_seed)
    x = np.arange(len(ppc))
    ax.bar(x, ppc["observed"].to_numpy(), color="0.7", label="observed")
    mean = ppc["predicted"].to_numpy()
    err = np.vstack([mean - ppc["predicted_lower"].to_numpy(), ppc["predicted_upper"].to_numpy() - mean])
    ax.errorbar(x, mean, yerr=err, fmt="o-", color="C0", capsize=3,
                label=f"posterior predictive ({interval:.0%})")
    labels = [str(i) for i in x[:-1]] + [f"{x[-1]}+"]
    ax.set_xticks(x, labels)
    ax.set_xlabel("repeat purchases in calibration")
    ax.set_ylabel("customers")
    ax.set_title("Repeat purchases: observed vs posterior predictive")
    ax.legend()
    return ax
