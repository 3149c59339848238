"""clvkit.evaluate.report: ComparisonReport.to_markdown and to_html on the CDNOW sample."""

from __future__ import annotations

import base64
import re

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.evaluate import compare
from clvkit.evaluate.report import BASELINE, metrics_table, reading


@pytest.fixture(scope="module")
def report():
    return compare(ck.datasets.load_cdnow(sample=True), calibration_end="1997-09-30", end="1998-06-30")


def test_markdown_names_the_winners_of_the_metrics_table(report):
    m = report.metrics
    text = report.to_markdown()
    assert "| Model |" in text and "| MAE |" in text and "Top-decile lift" in text
    for name in m.index:
        assert f"| {name} |" in text
    best_mae = m["mae"].astype(float).idxmin()
    assert f"Lowest MAE: **{best_mae}**" in text
    best_agg = m["aggregate_error_pct"].astype(float).abs().idxmin()
    assert f"Smallest aggregate error: **{best_agg}**" in text
    assert f"Best Spearman rank correlation: **{m['spearman'].astype(float).idxmax()}**" in text
    assert f"Best top-decile lift: **{m['top_decile_lift'].astype(float).idxmax()}**" in text
    # the relative comparison with the baseline is computed, not typed
    change = 100 * (m.loc[best_mae, "mae"] - m.loc[BASELINE, "mae"]) / m.loc[BASELINE, "mae"]
    assert f"{abs(change):.1f}% lower than {BASELINE}'s" in text


def test_markdown_caveat_follows_the_numbers(report):
    m = report.metrics
    best_mae = m["mae"].astype(float).idxmin()
    lines = reading(report)
    caveat = [s for s in lines if s.startswith("Caveat")]
    if m.loc[best_mae, "family"] == "dwyer" and abs(m.loc[best_mae, "aggregate_error_pct"]) > 25:
        assert len(caveat) == 1 and best_mae in caveat[0]
        if best_mae.startswith("LostForGood"):
            assert "always-a-share" in caveat[0]
            pred = report.predictions
            lost = pred[f"{best_mae}.expected_purchases"] == 0
            assert f"made {pred.loc[lost, 'frequency_holdout'].sum():,.0f} of the" in caveat[0]
    else:
        assert not caveat


def test_reading_without_dwyer_has_no_caveat_and_handles_baseline_winner(report):
    sub = type(report)(metrics=report.metrics.loc[["BetaGeo", BASELINE]].copy(),
                       predictions=report.predictions, by_frequency=report.by_frequency,
                       models=report.models, data=report.data)
    sub.metrics.loc[BASELINE, "spearman"] = 0.99
    lines = reading(sub)
    assert not any(s.startswith("Caveat") for s in lines)
    spear = next(s for s in lines if s.startswith("Best Spearman"))
    assert f"**{BASELINE}**" in spear and "**BetaGeo**" in spear


def test_metrics_table_is_rounded_and_readable(report):
    table = metrics_table(report)
    assert list(table.index) == list(report.metrics.index)
    assert {"MAE", "Aggregate error %", "Spearman", "Gini (predicted)"} <= set(table.columns)
    assert table.loc[BASELINE, "BIC"] == "n/a"
    assert table.loc["BetaGeo", "MAE"] == f"{report.metrics.loc['BetaGeo', 'mae']:.3f}"


def test_html_is_self_contained_with_png_figures(report, tmp_path):
    path = tmp_path / "report.html"
    report.to_html(path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<style>" in text
    assert '<table class="metrics">' in text and "<th>MAE</th>" in text
    for name in report.metrics.index:
        assert f"<td>{name}</td>" in text
    best_mae = report.metrics["mae"].astype(float).idxmin()
    assert f"Lowest MAE: <strong>{best_mae}</strong>" in text
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert len(images) >= 2
    for data in images:
        assert base64.b64decode(data).startswith(b"\x89PNG")
    assert 'src="http' not in text and 'href="http' not in text and "<script" not in text
    assert not [p for p in tmp_path.iterdir() if p.name != "report.html"]  # no temporary file left


def test_html_replaces_an_existing_file(report, tmp_path):
    path = tmp_path / "report.html"
    path.write_text("old")
    report.to_html(str(path))
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_html_from_a_summary_has_no_tracking_figure(report, tmp_path):
    rep = compare(report.data, models=["BetaGeo"], spend=False)
    assert rep.transactions is None
    path = tmp_path / "r.html"
    rep.to_html(path)
    text = path.read_text(encoding="utf-8")
    assert len(re.findall(r"data:image/png;base64,", text)) == 2
    assert "Cumulative repeat transactions" not in text
    assert isinstance(rep.to_markdown(), str) and np.isfinite(rep.metrics["spearman"]).all()
    assert isinstance(rep.metrics, pd.DataFrame)
