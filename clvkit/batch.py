"""Batch scoring: per-customer forecasts and CLV for large customer lists, in chunks with progress."""

from __future__ import annotations

import inspect
import numbers
import os
from typing import Any

import pandas as pd

from clvkit._contract import is_purchase_model, is_spend_model, renamed
from clvkit._progress import progress_bar
from clvkit.data.customer_data import CustomerData
from clvkit.errors import ConvergenceError, DataError
from clvkit.tables import read_summary, table_unit, write_table
from clvkit.value import describe, evaluate, plan_value, translate_legacy

__all__ = ["score", "score_file"]


def _score(model: Any, data: CustomerData | pd.DataFrame, horizon: float | None = None, *, spend: Any = None,
           discount_rate: float = 0.10, margin_rate: float = 1.0, interval: float | None = None,
           n_draws: int = 1000, random_seed: int | None = None, chunk_size: int = 250_000,
           progress: bool = True) -> pd.DataFrame:
    plan = plan_value(model, horizon, spend=spend, discount_rate=discount_rate, margin_rate=margin_rate,
                      interval=interval, n_draws=n_draws, random_seed=random_seed)
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, numbers.Integral) or chunk_size < 1:
        raise DataError(f"chunk_size must be a whole number >= 1, got {chunk_size!r}.")
    chunk_size = int(chunk_size)
    cd = model._data(data)
    parts = []
    starts = range(0, len(cd), chunk_size)
    for start in progress_bar(starts, desc="scoring", unit="chunk", disable=not progress or len(starts) < 2):
        chunk = cd if len(starts) == 1 else cd.with_frame(cd.frame.iloc[start:start + chunk_size])
        parts.append(evaluate(plan, chunk, p_alive=True, money=plan.has_spend))
    out = pd.concat(parts) if len(parts) > 1 else parts[0]
    out.attrs = {"clvkit": plan.settings(), "unit": model.unit_}
    return out


def score(model: Any, *args: Any, **kwargs: Any) -> pd.DataFrame:
    """Score every customer: expected purchases, P(alive), discounted purchases and CLV.

    Signature: ``score(model, data, horizon=None, *, spend=None, discount_rate=0.10,
    margin_rate=1.0, interval=None, n_draws=1000, random_seed=None, chunk_size=250_000,
    progress=True)``: the arguments of :func:`clvkit.clv` plus chunking and progress.

    Parameters
    ----------
    model
        Fitted purchase model (MLE or Bayesian).
    data
        Customer summary in the model's time unit.
    horizon
        Forecast horizon in the data's unit; ``None`` / ``inf``: no end (needs a positive
        ``discount_rate``; ``expected_purchases`` is then left out).
    spend
        A fitted spend model (GammaGamma), a constant spend per purchase, a per-customer
        Series, or ``None``: then there is **no money column** (no ``expected_spend`` and no
        ``clv``), only purchases, P(alive) and discounted purchases.
    discount_rate
        **Annual effective** discount rate.
    margin_rate
        Profit share of spend (>= 0).
    interval, n_draws, random_seed
        As in :func:`clvkit.clv`: ``<q>_lower`` / ``<q>_upper`` bounds. The draws are made
        once, so chunked scoring gives exactly the numbers of one call.
    chunk_size
        Customers per chunk; memory stays bounded by the chunk, whatever the list's length.
    progress
        Show a tqdm progress bar.

    Returns
    -------
    DataFrame indexed by customer: ``expected_purchases, p_alive, discounted_purchases`` and,
    with a spend, ``expected_spend, clv``. ``attrs["clvkit"]`` records what was used:
    ``model, horizon, unit, discount_rate, margin_rate, spend, interval, clvkit_version``.

    Notes
    -----
    Deprecated spellings, each with a ``FutureWarning``: ``spend_model=`` (now ``spend=``)
    and ``margin=`` (now ``margin_rate=``).

    Examples
    --------
    >>> import clvkit as ck
    >>> data = ck.datasets.load_cdnow_summary()
    >>> m = ck.BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    >>> scores = ck.score(m, data, 52, progress=False)
    >>> list(scores.columns)
    ['expected_purchases', 'p_alive', 'discounted_purchases']
    >>> scores.attrs["clvkit"]["value_in"]
    'purchases'
    """
    args, kwargs = translate_legacy("score", args, kwargs)
    return _score(model, *args, **kwargs)


score.__signature__ = inspect.signature(_score)  # type: ignore[attr-defined]


def score_file(
    model_path: str | os.PathLike[str],
    summary_path: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    horizon: float | None = None,
    *,
    spend: str | os.PathLike[str] | float | None = None,
    customer: str | None = None,
    unit: str | None = None,
    allow_unconverged: bool = True,
    **kwargs: Any,
) -> pd.DataFrame:
    """Read a saved model and a summary file, score, and write the result atomically.

    Parameters
    ----------
    model_path
        A purchase model written by ``model.save`` (JSON or NetCDF; read with :func:`clvkit.load`).
    summary_path
        Customer summary (CSV or Parquet). Its unit comes from the file's clvkit metadata
        (Parquet schema metadata, or the CSV's ``<file>.clvkit.json`` sidecar); ``unit`` is a
        fallback that must agree with it.
    out_path
        Where to write the scores (CSV or Parquet), with metadata recording the model file,
        horizon, unit, discount rate, margin rate and spend.
    spend
        Path of a saved spend model, a constant spend per purchase, or ``None`` (no money column).
    customer
        Customer id column of the summary (default: ``customer_id`` if present, else row numbers).
    unit
        Fallback time unit of the summary, for files without clvkit metadata.
    allow_unconverged
        Score with a model file whose fit did not converge (``converged: false``); False makes
        that a :class:`~clvkit.errors.ConvergenceError` (the CLI's default).
    kwargs
        The remaining arguments of :func:`score` (``discount_rate``, ``margin_rate``,
        ``interval``, ``n_draws``, ``random_seed``, ``chunk_size``, ``progress``).
    """
    from clvkit.io import load

    if "spend_model_path" in kwargs:
        renamed("score_file(spend_model_path=...)", "score_file(spend=...)", stacklevel=3)
        spend = kwargs.pop("spend_model_path")
    if "margin" in kwargs:
        renamed("score_file(margin=...)", "score_file(margin_rate=...)", stacklevel=3)
        kwargs["margin_rate"] = kwargs.pop("margin")
    model = load(model_path)
    _refuse_unconverged(model, model_path, allow_unconverged)
    if not is_purchase_model(model):
        raise DataError(f"{model_path} holds {describe(model)}, not a purchase model.")
    spend_value: Any = spend
    spend_file = None
    if isinstance(spend, str | os.PathLike):
        spend_file = os.fspath(spend)
        spend_value = load(spend)
        _refuse_unconverged(spend_value, spend, allow_unconverged)
        if not is_spend_model(spend_value):
            raise DataError(f"{spend} holds {describe(spend_value)}, not a spend model (GammaGamma).")
    frame = read_summary(summary_path, customer)
    data_unit = table_unit(frame, unit, summary_path, required=True)
    if data_unit != model.unit_:
        raise DataError(f"{summary_path} is in unit {data_unit!r} but the model in {model_path} was fitted in "
                        f"{model.unit_!r}; summarize the log again with --unit {model.unit_} (or refit the model).")
    frame.attrs.pop("clvkit", None)
    data = CustomerData.from_frame(frame, unit=data_unit)
    result = _score(model, data, horizon, spend=spend_value, **kwargs)
    metadata = {"kind": "scores", **result.attrs["clvkit"], "model_file": os.fspath(model_path),
                "spend_file": spend_file, "summary_file": os.fspath(summary_path)}
    result.attrs["clvkit"] = metadata
    write_table(result, out_path, metadata=metadata)
    return result


def _refuse_unconverged(model: Any, path: Any, allow: bool) -> None:
    """A :class:`~clvkit.errors.ConvergenceError` for a model file whose fit did not converge, unless ``allow``."""
    if getattr(model, "converged_", True) or allow:
        return
    raise ConvergenceError(f"{path} holds a {type(model).__name__} whose fit did not converge (converged: false); "
                           "its numbers may be meaningless. Refit on data that identify the model, or pass "
                           "--allow-unconverged (allow_unconverged=True in Python) to score with it anyway.")
