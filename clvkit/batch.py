"""Batch scoring: per-customer forecasts and CLV for large customer lists, in chunks with progress."""

from __future__ import annotations

import os
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from clvkit.data.customer_data import CustomerData, as_customer_data
from clvkit.errors import DataError
from clvkit.models._event import EventModel, check_horizon
from clvkit.models.gamma_gamma import GammaGamma
from clvkit.tables import read_table, write_table
from clvkit.value import clv


def score(
    model: EventModel,
    data: CustomerData | pd.DataFrame,
    horizon: float,
    *,
    spend_model: GammaGamma | float | None = None,
    discount_rate: float = 0.10,
    margin: float = 1.0,
    chunk_size: int = 250_000,
    progress: bool = True,
) -> pd.DataFrame:
    """Score every customer: expected purchases, P(alive) and (discounted) CLV.

    Parameters
    ----------
    model
        Fitted purchase model.
    data
        Customer summary in the model's time unit.
    horizon
        Forecast horizon in the data's unit.
    spend_model
        Fitted :class:`GammaGamma` (or a constant spend); ``None`` values purchases at 1.
    discount_rate
        Annual effective discount rate.
    margin
        Profit share of spend.
    chunk_size
        Customers per chunk; memory stays bounded by the chunk, whatever the list's length.
    progress
        Show a tqdm progress bar.

    Returns
    -------
    DataFrame indexed by customer: ``expected_purchases, p_alive, discounted_purchases,
    expected_spend, clv``.
    """
    check_horizon(horizon)
    if chunk_size < 1:
        raise DataError(f"chunk_size must be >= 1, got {chunk_size!r}.")
    cd = model._data(as_customer_data(data, unit=getattr(model, "unit_", None)))
    parts = []
    starts = range(0, len(cd), chunk_size)
    for start in tqdm(starts, desc="scoring", unit="chunk", disable=not progress or len(starts) < 2):
        chunk = cd.with_frame(cd.frame.iloc[start:start + chunk_size])
        value = clv(model, spend_model, chunk, horizon=horizon, discount_rate=discount_rate, margin=margin)
        value.insert(1, "p_alive", model.p_alive(chunk))
        parts.append(value)
    return pd.concat(parts)


def score_file(
    model_path: str | os.PathLike[str],
    summary_path: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    horizon: float,
    *,
    spend_model_path: str | os.PathLike[str] | None = None,
    customer: str = "customer_id",
    **kwargs: Any,
) -> pd.DataFrame:
    """Read a saved model and a summary file, score, and write the result atomically."""
    from clvkit.io import load

    model = load(model_path)
    if not isinstance(model, EventModel):
        raise DataError(f"{model_path} holds a {type(model).__name__}, not a purchase model.")
    spend = load(spend_model_path) if spend_model_path else None
    if spend is not None and not isinstance(spend, GammaGamma):
        raise DataError(f"{spend_model_path} holds a {type(spend).__name__}, not a GammaGamma model.")
    frame = read_table(summary_path, index_col=customer)
    data = CustomerData.from_frame(frame, unit=model.unit_)
    result = score(model, data, horizon, spend_model=spend, **kwargs)
    write_table(result, out_path)
    return result

