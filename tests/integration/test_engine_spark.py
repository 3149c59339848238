"""Spark scoring gives exactly the pandas scores (local Spark, one JVM for the module)."""

import os
import sys
import warnings

import pandas as pd
import pytest

import clvkit as ck
from clvkit.engines.spark import score_spark


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    # the Python workers must run the interpreter (and virtual environment) of the tests
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # pyspark's notice about pandas 3
        session = (SparkSession.builder.master("local[2]").appName("clvkit-tests")
                   .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
                   .config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate())
    yield session
    session.stop()


def test_spark_scores_equal_pandas_scores(spark, cdnow_sample_data):
    model = ck.BetaGeo().fit(cdnow_sample_data)
    spend = ck.GammaGamma().fit(cdnow_sample_data)
    expected = ck.score(model, cdnow_sample_data, 52, spend=spend, progress=False)
    frame = cdnow_sample_data.frame[["frequency", "recency", "T", "monetary_value"]].reset_index()
    summary = spark.createDataFrame(frame).repartition(4)
    got = score_spark(model, summary, 52, spend=spend).toPandas().set_index("customer_id").sort_index()
    assert len(got) == len(expected) == 2357
    pd.testing.assert_frame_equal(got, expected.sort_index()[got.columns], check_index_type=False,
                                  check_names=False, rtol=1e-12)


def test_spark_refuses_missing_columns(spark, cdnow_sample_data):
    model = ck.BetaGeo().fit(cdnow_sample_data)
    summary = spark.createDataFrame(cdnow_sample_data.frame[["frequency", "T"]].reset_index())
    with pytest.raises(ck.DataError, match=r"lacks column\(s\) \['recency'\]"):
        score_spark(model, summary, 52)


def test_spark_without_spend_and_infinite_horizon_and_other_models(spark, cdnow_sample_data):
    frame = cdnow_sample_data.frame[["frequency", "recency", "T", "monetary_value"]].reset_index()
    summary = spark.createDataFrame(frame).repartition(3)
    for model in (ck.ParetoNBD().fit(cdnow_sample_data), ck.ModifiedBetaGeo().fit(cdnow_sample_data)):
        expected = ck.score(model, cdnow_sample_data, None, spend=12.0, margin_rate=0.3, progress=False)
        got = score_spark(model, summary, None, spend=12.0, margin_rate=0.3).toPandas()
        got = got.set_index("customer_id").sort_index()
        assert list(got.columns) == ["p_alive", "discounted_purchases", "expected_spend", "clv"]
        pd.testing.assert_frame_equal(got, expected.sort_index()[got.columns], check_index_type=False,
                                      check_names=False, rtol=1e-12)
    plain = score_spark(ck.BetaGeo().fit(cdnow_sample_data), summary, 52)
    assert plain.columns == ["customer_id", "expected_purchases", "p_alive", "discounted_purchases"]


def test_spark_deprecated_spellings_warn_and_agree(spark, cdnow_sample_data):
    model = ck.BetaGeo().fit(cdnow_sample_data)
    spend = ck.GammaGamma().fit(cdnow_sample_data)
    frame = cdnow_sample_data.frame[["frequency", "recency", "T", "monetary_value"]].reset_index()
    summary = spark.createDataFrame(frame)
    with pytest.warns(FutureWarning) as caught:
        old = score_spark(model, summary, 52, spend_model=spend, margin=0.3)
    assert {"spend=", "margin_rate="} <= {part for w in caught for part in ("spend=", "margin_rate=")
                                          if part in str(w.message)}
    new = score_spark(model, summary, 52, spend=spend, margin_rate=0.3)
    pd.testing.assert_frame_equal(old.toPandas().sort_values("customer_id").reset_index(drop=True),
                                  new.toPandas().sort_values("customer_id").reset_index(drop=True))


def test_spark_checks_arguments_on_the_driver(spark, cdnow_sample_data):
    model = ck.BetaGeo().fit(cdnow_sample_data)
    summary = spark.createDataFrame(cdnow_sample_data.frame[["frequency", "recency", "T"]].reset_index())
    with pytest.raises(ck.DataError, match="horizon"):
        score_spark(model, summary, -1)
    with pytest.raises(ck.DataError, match="discount_rate > 0"):
        score_spark(model, summary, None, discount_rate=0.0)
    with pytest.raises(ck.DataError, match="margin_rate"):
        score_spark(model, summary, 52, spend=10.0, margin_rate=float("nan"))
    with pytest.raises(ck.DataError, match=r"GammaGamma \(a spend model\)"):
        score_spark(ck.GammaGamma().fit(cdnow_sample_data), summary, 52)
    with pytest.raises(ck.DataError, match=r"lacks column\(s\) \['monetary_value'\]"):
        score_spark(model, summary, 52, spend=ck.GammaGamma().fit(cdnow_sample_data))
    with pytest.raises(ck.DataError, match="Series"):
        score_spark(model, summary, 52, spend=pd.Series(1.0, index=cdnow_sample_data.index))


def test_engines_is_a_lazy_attribute_like_bayes():
    import clvkit.engines.spark as spark_module

    assert ck.engines.spark is spark_module
    assert callable(ck.engines.duckdb.summarize_duckdb)


def test_spark_scores_a_bayesian_model_from_its_posterior_draws(spark, cdnow_sample_data):
    """bayes.BetaGeo travels as evenly thinned posterior draws (no pymc on the executors) and gives
    exactly the scores ck.score gives with the Bayesian model itself."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ck.ConvergenceWarning)
        model = ck.bayes.BetaGeo().fit(cdnow_sample_data, draws=150, tune=150, chains=2, random_seed=5)
    spend = ck.GammaGamma().fit(cdnow_sample_data)
    expected = ck.score(model, cdnow_sample_data, 52, spend=spend, n_draws=120, progress=False)
    frame = cdnow_sample_data.frame[["frequency", "recency", "T", "monetary_value"]].reset_index()
    summary = spark.createDataFrame(frame).repartition(3)
    got = score_spark(model, summary, 52, spend=spend, n_draws=120).toPandas().set_index("customer_id").sort_index()
    assert len(got) == 2357
    pd.testing.assert_frame_equal(got, expected.sort_index()[got.columns], check_index_type=False,
                                  check_names=False, rtol=1e-12)
