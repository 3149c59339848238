"""Score customer summaries held in Spark (extra ``spark``).

The fitted models travel to the executors as their JSON state (the same document ``model.save``
writes), never as pickled objects; each partition rebuilds them and runs :func:`clvkit.score`
on its rows. The result is identical to scoring the whole summary in pandas
(tests/integration/test_engine_spark.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pandas as pd

from clvkit.errors import DataError
from clvkit.models._event import EventModel, check_horizon
from clvkit.models.gamma_gamma import GammaGamma

OUTPUT_COLUMNS = ("expected_purchases", "p_alive", "discounted_purchases", "expected_spend", "clv")


def _partition_scorer(model_state: str, spend_state: str | None, customer: str, horizon: float,
                      discount_rate: float, margin: float) -> Any:
    """A function for ``mapInPandas`` that closes over JSON strings only."""

    def score_partition(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        from clvkit.batch import score
        from clvkit.data.customer_data import CustomerData
        from clvkit.models._base import MODEL_REGISTRY

        state = json.loads(model_state)
        model = MODEL_REGISTRY[state["model"]].from_dict(state)
        spend = None
        if spend_state is not None:
            s_state = json.loads(spend_state)
            spend = MODEL_REGISTRY[s_state["model"]].from_dict(s_state)
        for frame in frames:
            if frame.empty:
                continue
            data = CustomerData.from_frame(frame.set_index(customer), unit=model.unit_)
            result = score(model, data, horizon, spend_model=spend, discount_rate=discount_rate,
                           margin=margin, progress=False)
            yield result.reset_index().rename(columns={"index": customer})[[customer, *OUTPUT_COLUMNS]]

    return score_partition


def score_spark(model: EventModel, summary: Any, horizon: float, *, spend_model: GammaGamma | None = None,
                discount_rate: float = 0.10, margin: float = 1.0, customer: str = "customer_id") -> Any:
    """Per-customer forecasts and CLV for a Spark DataFrame of customer summaries.

    Parameters
    ----------
    model
        A fitted purchase model (fit it on a sample or on the compressed summary collected to the
        driver: compressed rows are few even for hundreds of millions of customers).
    summary
        ``pyspark.sql.DataFrame`` with ``customer`` and the model's columns (and ``monetary_value``
        when ``spend_model`` is given), in the model's time unit.
    horizon, spend_model, discount_rate, margin
        As in :func:`clvkit.clv`; ``discount_rate`` is annual.

    Returns
    -------
    ``pyspark.sql.DataFrame`` with ``customer`` and ``expected_purchases, p_alive,
    discounted_purchases, expected_spend, clv`` (lazy: nothing runs until an action).
    """
    check_horizon(horizon)
    if not isinstance(model, EventModel):
        raise DataError(f"model must be a fitted purchase model, got {type(model).__name__}.")
    needed = [customer, *model.columns] + (["monetary_value"] if spend_model is not None else [])
    missing = [c for c in needed if c not in summary.columns]
    if missing:
        raise DataError(f"the Spark summary lacks column(s) {missing}; it has {summary.columns}.")
    from pyspark.sql import types as spark_types

    id_type = summary.schema[customer].dataType
    schema = spark_types.StructType([spark_types.StructField(customer, id_type)] +
                                    [spark_types.StructField(c, spark_types.DoubleType()) for c in OUTPUT_COLUMNS])
    scorer = _partition_scorer(json.dumps(model.to_dict()),
                               None if spend_model is None else json.dumps(spend_model.to_dict()),
                               customer, float(horizon), float(discount_rate), float(margin))
    return summary.select(*needed).mapInPandas(scorer, schema=schema)
