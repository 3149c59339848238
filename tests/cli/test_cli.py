"""The clvkit command: every subcommand end to end on real data, errors, atomic outputs."""

import json

import pandas as pd
import pytest

import clvkit as ck
from clvkit.cli import main


@pytest.fixture(scope="module")
def sample_log(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "tx.csv"
    ck.datasets.load_cdnow(sample=True)[["customer_id", "date", "amount"]].to_csv(path, index=False)
    return path


def test_demo_on_the_sample_prints_published_numbers_and_writes_the_table(tmp_path, capsys):
    out = tmp_path / "clv.csv"
    assert main(["demo", "--sample", "--out", str(out), "--quiet", "--top", "5"]) == 0
    printed = capsys.readouterr().out
    assert "0.2430" in printed and "-9582.43" in printed  # published column and our log-likelihood
    assert "Holdout check" in printed and "7+" in printed
    table = pd.read_csv(out, index_col=0)
    assert len(table) == 2357
    assert table["clv"].is_monotonic_decreasing
    assert {"expected_purchases", "p_alive", "expected_spend", "clv", "frequency_holdout"} <= set(table.columns)


def test_summarize_fit_score_pipeline(tmp_path, sample_log, capsys):
    summary = tmp_path / "summary.parquet"
    assert main(["summarize", str(sample_log), "--out", str(summary), "--calibration-end", "1997-09-30",
                 "--end", "1998-06-30"]) == 0
    frame = pd.read_parquet(summary)
    assert len(frame) == 2357 and frame["frequency"].sum() == 2457
    model = tmp_path / "bg.json"
    spend = tmp_path / "gg.json"
    assert main(["fit", str(summary), "--model", "bgnbd", "--out", str(model)]) == 0
    assert main(["fit", str(summary), "--model", "gammagamma", "--out", str(spend)]) == 0
    assert json.loads(model.read_text())["params"]["r"] == pytest.approx(0.2426, abs=5e-4)
    scores = tmp_path / "scores.csv"
    assert main(["score", str(summary), "--model", str(model), "--spend-model", str(spend), "--out", str(scores),
                 "--horizon", "52", "--chunk-size", "1000", "--quiet"]) == 0
    scored = pd.read_csv(scores, index_col=0, dtype={"customer_id": str})  # ids are strings from a CSV log
    # chunked scoring equals one call of the library on the whole summary
    direct = ck.clv(ck.load(model), ck.CustomerData.from_frame(frame, unit="W"), horizon=52, spend=ck.load(spend))
    pd.testing.assert_series_equal(scored["clv"], direct["clv"], check_names=False, check_index_type=False,
                                   rtol=1e-9)
    assert "Scored 2,357 customers" in capsys.readouterr().out


def test_bad_input_gives_a_message_and_exit_code_2(tmp_path, capsys):
    bad = tmp_path / "tx.csv"
    pd.DataFrame({"customer_id": [1, 1, 2], "date": ["2020-01-01", "2020-02-30", "2020-01-03"],
                  "amount": [1.0, 2.0, 3.0]}).to_csv(bad, index=False)
    out = tmp_path / "summary.csv"
    assert main(["summarize", str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "date" in err and "1 of 3" in err
    assert not out.exists()


def test_failed_score_leaves_no_output(tmp_path, sample_log):
    summary = tmp_path / "summary.csv"
    assert main(["summarize", str(sample_log), "--out", str(summary), "--calibration-end", "1997-09-30",
                 "--end", "1998-06-30"]) == 0
    model = tmp_path / "bg.json"
    assert main(["fit", str(summary), "--model", "bgnbd", "--out", str(model)]) == 0
    out = tmp_path / "scores.csv"
    assert main(["score", str(summary), "--model", str(model), "--out", str(out), "--horizon", "-3"]) == 2
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_atomic_write_cleans_up_after_a_failing_writer(tmp_path):
    from clvkit.io import atomic_write

    target = tmp_path / "out.csv"
    target.write_text("old")

    def fail(tmp):
        with open(tmp, "w") as fh:
            fh.write("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, fail)
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]


def test_unknown_table_format_is_refused(tmp_path, sample_log):
    assert main(["summarize", str(sample_log), "--out", str(tmp_path / "x.xlsx")]) == 2


def test_compare_prints_every_model_and_writes_metrics(tmp_path, sample_log, capsys):
    out = tmp_path / "metrics.csv"
    assert main(["compare", str(sample_log), "--calibration-end", "1997-09-30", "--end", "1998-06-30",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    metrics = pd.read_csv(out, index_col=0)
    for name in ("BetaGeo", "ParetoNBD", "AlwaysAShare"):
        assert any(name in str(label) for label in metrics.index), name
        assert name in printed
    bg = next(label for label in metrics.index if "BetaGeo" in str(label) and "Modified" not in str(label))
    assert metrics.loc[bg].filter(like="loglik").iloc[0] == pytest.approx(-9582.43, abs=0.01)


def test_atomic_write_gives_the_usual_permissions(tmp_path):
    import os

    from clvkit.io import atomic_write

    target = tmp_path / "out.txt"

    def write(tmp):
        with open(tmp, "w") as fh:
            fh.write("x")

    atomic_write(target, write)
    mask = os.umask(0)
    os.umask(mask)
    assert (target.stat().st_mode & 0o777) == (0o666 & ~mask)
