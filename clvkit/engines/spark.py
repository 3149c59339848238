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

from clvkit._contract import renamed
from clvkit.errors import DataError
from clvkit.value import describe, plan_value

#: every output column, in order; a call writes those that apply (see :func:`output_columns`).
OUTPUT_COLUMNS = ("expected_purchases", "p_alive", "discounted_purchases", "expected_spend", "clv")


def output_columns(finite_horizon: bool, with_spend: bool) -> tuple[str, ...]:
    """The columns :func:`clvkit.score` writes for these settings."""
    money = ("expected_spend", "clv")
    return tuple(c for c in OUTPUT_COLUMNS
                 if (finite_horizon or c != "expected_purchases") and (with_spend or c not in money))


def _rebuild(state: str) -> Any:
    """The model whose ``to_dict()`` JSON is ``state`` (as :func:`clvkit.load` rebuilds a JSON file)."""
    from clvkit._contract import MODELS
    from clvkit.models._base import MODEL_REGISTRY

    doc = json.loads(state)
    if "draws" in doc:  # a Bayesian model, shipped as its posterior draws
        from clvkit.models._posterior_draws import PosteriorDraws

        return PosteriorDraws.from_dict(doc)
    entry = MODELS.get(doc["model"])
    cls = entry.cls if entry is not None else MODEL_REGISTRY[doc["model"]]
    return cls.from_dict(doc)


def _partition_scorer(model_state: str, spend_state: str | None, spend_constant: float | None, customer: str,
                      horizon: float, discount_rate: float, margin_rate: float, columns: tuple[str, ...],
                      n_draws: int = 1000) -> Any:
    """A function for ``mapInPandas`` that closes over JSON strings and numbers only."""

    def score_partition(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        from clvkit.batch import score
        from clvkit.data.customer_data import CustomerData

        model = _rebuild(model_state)
        spend = _rebuild(spend_state) if spend_state is not None else spend_constant
        for frame in frames:
            if frame.empty:
                continue
            data = CustomerData.from_frame(frame.set_index(customer), unit=model.unit_)
            result = score(model, data, horizon, spend=spend, discount_rate=discount_rate,
                           margin_rate=margin_rate, n_draws=n_draws, progress=False)
            yield result.reset_index().rename(columns={"index": customer})[[customer, *columns]]

    return score_partition


def score_spark(model: Any, summary: Any, horizon: float | None = None, *, spend: Any = None,
                discount_rate: float = 0.10, margin_rate: float = 1.0, customer: str = "customer_id",
                n_draws: int = 1000, **deprecated: Any) -> Any:
    """Per-customer forecasts and CLV for a Spark DataFrame of customer summaries.

    Every argument is checked on the driver before any Spark job starts.

    Parameters
    ----------
    model
        A fitted purchase model: maximum-likelihood (BetaGeo, ParetoNBD, ModifiedBetaGeo,
        BetaGeoBetaBinom), shipped as its JSON state, or Bayesian (``bayes.BetaGeo``), shipped as
        ``n_draws`` evenly thinned posterior draws (executors need no pymc). Fit it on a sample or
        on the compressed summary collected to the driver: compressed rows are few even for
        hundreds of millions of customers.
    summary
        ``pyspark.sql.DataFrame`` with ``customer`` and the model's columns (and ``monetary_value``
        when ``spend`` is a spend model), in the model's time unit.
    horizon, spend, discount_rate, margin_rate
        As in :func:`clvkit.score`: ``horizon`` in the model's unit (``None`` / ``inf``: no
        end); ``spend`` a fitted GammaGamma, a constant spend per purchase, or ``None`` (no
        money column); ``discount_rate`` is annual. ``spend_model=`` and ``margin=`` are
        deprecated spellings (``FutureWarning``).

    Returns
    -------
    ``pyspark.sql.DataFrame`` with ``customer`` and the columns of :func:`clvkit.score`
    (``expected_purchases, p_alive, discounted_purchases`` and, with a spend,
    ``expected_spend, clv``); lazy: nothing runs until an action.
    """
    if "spend_model" in deprecated:
        renamed("score_spark(spend_model=...)", "score_spark(spend=...)", stacklevel=3)
        if spend is not None:
            raise TypeError("score_spark() got both spend= and its deprecated spelling spend_model=; use spend=.")
        spend = deprecated.pop("spend_model")
    if "margin" in deprecated:
        renamed("score_spark(margin=...)", "score_spark(margin_rate=...)", stacklevel=3)
        margin_rate = deprecated.pop("margin")
    if deprecated:
        raise TypeError(f"score_spark() got unexpected keyword argument(s) {sorted(deprecated)}.")
    plan = plan_value(model, horizon, spend=spend, discount_rate=discount_rate, margin_rate=margin_rate,
                      n_draws=n_draws)
    if model.point_is_posterior_mean:
        from clvkit.models._posterior_draws import PosteriorDraws

        model_state = PosteriorDraws.from_model(model, n_draws).to_dict()
    elif hasattr(model, "to_dict"):
        model_state = model.to_dict()
    else:
        raise DataError(f"score_spark ships models to the executors as JSON and cannot ship {describe(model)}.")
    if plan.spend_kind == "series":
        raise DataError("score_spark cannot take a pandas Series of spend (it lives on the driver); give a spend "
                        "model or a constant.")
    if not isinstance(customer, str):
        raise DataError(f"customer must be a column name, got {customer!r}.")
    columns_of_summary = list(getattr(summary, "columns", None) or [])
    if not columns_of_summary or not hasattr(summary, "mapInPandas"):
        raise DataError(f"summary must be a pyspark.sql.DataFrame, got {describe(summary)}.")
    spend_columns = list(spend.columns) if plan.spend_kind == "model" else []
    needed = list(dict.fromkeys([customer, *model.columns, *spend_columns]))
    missing = [c for c in needed if c not in columns_of_summary]
    if missing:
        raise DataError(f"the Spark summary lacks column(s) {missing}; it has {columns_of_summary}.")
    columns = output_columns(plan.finite, plan.has_spend)
    from pyspark.sql import types as spark_types

    id_type = summary.schema[customer].dataType
    schema = spark_types.StructType([spark_types.StructField(customer, id_type)] +
                                    [spark_types.StructField(c, spark_types.DoubleType()) for c in columns])
    scorer = _partition_scorer(json.dumps(model_state),
                               json.dumps(spend.to_dict()) if plan.spend_kind == "model" else None,
                               plan.spend if plan.spend_kind == "constant" else None,
                               customer, float(plan.horizon), plan.discount_rate, plan.margin_rate, columns,
                               n_draws)
    return summary.select(*needed).mapInPandas(scorer, schema=schema)
