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
    expected = ck.score(model, cdnow_sample_data, 52, spend_model=spend, progress=False)
    frame = cdnow_sample_data.frame[["frequency", "recency", "T", "monetary_value"]].reset_index()
    summary = spark.createDataFrame(frame).repartition(4)
    got = score_spark(model, summary, 52, spend_model=spend).toPandas().set_index("customer_id").sort_index()
    assert len(got) == len(expected) == 2357
    pd.testing.assert_frame_equal(got, expected.sort_index()[got.columns], check_index_type=False,
                                  check_names=False, rtol=1e-12)


def test_spark_refuses_missing_columns(spark, cdnow_sample_data):
    model = ck.BetaGeo().fit(cdnow_sample_data)
    summary = spark.createDataFrame(cdnow_sample_data.frame[["frequency", "T"]].reset_index())
    with pytest.raises(ck.DataError, match=r"lacks column\(s\) \['recency'\]"):
        score_spark(model, summary, 52)
