"""Units travel through files: summarize records them, fit and score read them back (CSV sidecar and
Parquet schema metadata), contradictions and missing units stop with exit code 2, and the daily
pipeline values customers exactly as the weekly one does (BG/NBD is time-scale invariant: alpha
scales with the unit; 364 days = 52 weeks at the same annual discount rate)."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.cli import main
from clvkit.tables import read_table, sidecar_path, write_table

CAL = ["--calibration-end", "1997-09-30", "--end", "1998-06-30"]


@pytest.fixture(scope="module")
def sample_log(tmp_path_factory):
    path = tmp_path_factory.mktemp("units") / "tx.csv"
    ck.datasets.load_cdnow(sample=True)[["customer_id", "date", "amount"]].to_csv(path, index=False)
    return path


def _pipeline(tmp_path, log, unit, ext, horizon):
    summary = tmp_path / f"summary_{unit}.{ext}"
    assert main(["summarize", str(log), "--out", str(summary), "--unit", unit, *CAL]) == 0
    model, spend = tmp_path / f"bg_{unit}.json", tmp_path / f"gg_{unit}.json"
    assert main(["fit", str(summary), "--model", "bgnbd", "--out", str(model)]) == 0  # no --unit: the file says
    assert main(["fit", str(summary), "--model", "gammagamma", "--out", str(spend)]) == 0
    scores = tmp_path / f"scores_{unit}.{ext}"
    assert main(["score", str(summary), "--model", str(model), "--spend-model", str(spend), "--out", str(scores),
                 "--horizon", str(horizon), "--quiet"]) == 0
    return summary, model, read_table(scores, index_col="customer_id")


@pytest.mark.parametrize("ext", ["csv", "parquet"])
def test_daily_pipeline_values_customers_as_the_weekly_one(tmp_path, sample_log, ext, capsys):
    summary_w, model_w, weekly = _pipeline(tmp_path, sample_log, "W", ext, 52)
    summary_d, model_d, daily = _pipeline(tmp_path, sample_log, "D", ext, 364)
    assert read_table(summary_w).attrs["unit"] == "W" and read_table(summary_d).attrs["unit"] == "D"
    assert ck.load(model_d).unit_ == "D" and ck.load(model_w).unit_ == "W"
    assert ck.load(model_d).params_["alpha"] == pytest.approx(7 * ck.load(model_w).params_["alpha"], rel=1e-6)
    assert daily.attrs["clvkit"]["unit"] == "D" and daily.attrs["clvkit"]["horizon"] == 364.0
    assert daily.index.equals(weekly.index) and len(daily) == 2357
    for column in ("expected_purchases", "p_alive", "discounted_purchases", "clv"):
        np.testing.assert_allclose(daily[column], weekly[column], rtol=1e-6, err_msg=column)
    if ext == "csv":
        assert sidecar_path(summary_d).exists()
    out = capsys.readouterr().out
    assert "over 364 days" in out and "over 52 weeks" in out and "np." not in out


@pytest.mark.parametrize("ext", ["csv", "parquet"])
def test_contradicting_unit_stops_with_exit_code_2(tmp_path, sample_log, ext, capsys):
    summary = tmp_path / f"summary.{ext}"
    assert main(["summarize", str(sample_log), "--out", str(summary), "--unit", "D", *CAL]) == 0
    out = tmp_path / "bg.json"
    assert main(["fit", str(summary), "--unit", "W", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "unit 'D'" in err and "--unit W" in err
    assert not out.exists()
    assert main(["fit", str(summary), "--unit", "D", "--out", str(out)]) == 0  # agreeing is fine
    scores = tmp_path / f"scores.{ext}"
    assert main(["score", str(summary), "--model", str(out), "--unit", "W", "--out", str(scores)]) == 2
    assert not scores.exists()


def test_score_refuses_a_summary_in_another_unit_than_the_model(tmp_path, sample_log, capsys):
    weeks, days = tmp_path / "w.parquet", tmp_path / "d.parquet"
    assert main(["summarize", str(sample_log), "--out", str(weeks), "--unit", "W", *CAL]) == 0
    assert main(["summarize", str(sample_log), "--out", str(days), "--unit", "D", *CAL]) == 0
    model = tmp_path / "bg.json"
    assert main(["fit", str(weeks), "--out", str(model)]) == 0
    capsys.readouterr()
    scores = tmp_path / "scores.csv"
    assert main(["score", str(days), "--model", str(model), "--out", str(scores)]) == 2
    assert "'D'" in capsys.readouterr().err and not scores.exists()


def test_a_file_without_a_unit_needs_unit(tmp_path, sample_log, capsys):
    summary = tmp_path / "summary.csv"
    assert main(["summarize", str(sample_log), "--out", str(summary), *CAL]) == 0
    sidecar_path(summary).unlink()  # a CSV from elsewhere: nothing says its unit
    out = tmp_path / "bg.json"
    assert main(["fit", str(summary), "--out", str(out)]) == 2
    assert "--unit" in capsys.readouterr().err and not out.exists()
    assert main(["fit", str(summary), "--unit", "W", "--out", str(out)]) == 0
    scores = tmp_path / "scores.csv"
    assert main(["score", str(summary), "--model", str(out), "--out", str(scores)]) == 2
    assert "--unit" in capsys.readouterr().err and not scores.exists()
    assert main(["score", str(summary), "--model", str(out), "--unit", "W", "--out", str(scores), "--quiet"]) == 0


def test_bgbb_fits_from_a_summary_without_ids_given_its_unit(tmp_path, capsys):
    donations = tmp_path / "donations.csv"
    ck.datasets.load_donations().to_csv(donations, index=False)
    out = tmp_path / "bgbb.json"
    assert main(["fit", str(donations), "--model", "bgbb", "--out", str(out)]) == 2
    assert "--unit" in capsys.readouterr().err and not out.exists()
    assert main(["fit", str(donations), "--model", "bgbb", "--unit", "Y", "--out", str(out)]) == 0
    model = ck.load(out)
    direct = ck.BetaGeoBetaBinom().fit(ck.datasets.load_donations())
    assert model.unit_ == "Y" and model.n_obs_ == 11104
    np.testing.assert_allclose(model.params_, direct.params_, rtol=1e-8)
    assert "np." not in capsys.readouterr().out


@pytest.mark.parametrize("name", ["bgnbd", "paretonbd", "mbgnbd", "gammagamma", "BetaGeo", "ParetoNBD",
                                  "ModifiedBetaGeo", "GammaGamma"])
def test_fit_accepts_every_mle_model(tmp_path, sample_log, name):
    summary = tmp_path / "summary.parquet"
    assert main(["summarize", str(sample_log), "--out", str(summary), *CAL]) == 0
    out = tmp_path / "model.json"
    assert main(["fit", str(summary), "--model", name, "--out", str(out)]) == 0
    assert ck.load(out).qualified_name == ck.cli.ALIASES.get(name, name)


def test_fit_rejects_an_unknown_model(tmp_path, sample_log, capsys):
    with pytest.raises(SystemExit):
        main(["fit", str(sample_log), "--model", "nope", "--out", str(tmp_path / "m.json")])
    assert "unknown model 'nope'" in capsys.readouterr().err


@pytest.fixture(scope="module")
def fitted_files(tmp_path_factory, sample_log):
    root = tmp_path_factory.mktemp("fitted")
    summary = root / "summary.csv"
    assert main(["summarize", str(sample_log), "--out", str(summary), *CAL]) == 0
    assert main(["fit", str(summary), "--out", str(root / "bg.json")]) == 0
    assert main(["fit", str(summary), "--model", "gammagamma", "--out", str(root / "gg.json")]) == 0
    return summary, root / "bg.json", root / "gg.json"


def test_score_without_a_spend_model_writes_no_money_column(tmp_path, fitted_files, capsys):
    summary, model, _ = fitted_files
    capsys.readouterr()
    out = tmp_path / "scores.csv"
    assert main(["score", str(summary), "--model", str(model), "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    table = pd.read_csv(out, index_col=0)
    assert list(table.columns) == ["expected_purchases", "p_alive", "discounted_purchases"]
    assert "total CLV" not in printed and "no money column" in printed
    meta = json.loads(sidecar_path(out).read_text())["metadata"]
    assert meta["spend"] is None and meta["value_in"] == "purchases" and meta["model_file"] == str(model)


def test_score_records_its_settings_and_gives_bounds(tmp_path, fitted_files, capsys):
    summary, model, spend = fitted_files
    out = tmp_path / "scores.parquet"
    args = ["score", str(summary), "--model", str(model), "--spend-model", str(spend), "--out", str(out),
            "--horizon", "26", "--discount-rate", "0.08", "--margin-rate", "0.3", "--interval", "0.9",
            "--n-draws", "50", "--random-seed", "4", "--quiet"]
    assert main(args) == 0
    table = read_table(out, index_col="customer_id")
    meta = table.attrs["clvkit"]
    assert meta["model_file"] == str(model) and meta["spend_file"] == str(spend)
    assert (meta["horizon"], meta["unit"], meta["discount_rate"], meta["margin_rate"], meta["interval"]) == \
        (26.0, "W", 0.08, 0.3, 0.9)
    assert (table["clv_lower"] <= table["clv"] + 1e-9).all() and (table["clv"] <= table["clv_upper"] + 1e-9).all()
    data = ck.CustomerData.from_frame(read_table(summary, index_col="customer_id"), unit="W")
    direct = ck.clv(ck.load(model), data, 26, spend=ck.load(spend), discount_rate=0.08, margin_rate=0.3,
                    interval=0.9, n_draws=50, random_seed=4)
    pd.testing.assert_frame_equal(table[direct.columns], direct, check_index_type=False, rtol=1e-12)
    assert "total CLV" in capsys.readouterr().out


def test_deprecated_margin_flag_warns_and_gives_the_same_numbers(tmp_path, fitted_files):
    summary, model, spend = fitted_files
    new, old = tmp_path / "new.csv", tmp_path / "old.csv"
    base = ["score", str(summary), "--model", str(model), "--spend-model", str(spend), "--quiet"]
    assert main([*base, "--out", str(new), "--margin-rate", "0.3"]) == 0
    with pytest.warns(FutureWarning, match="--margin is deprecated.*--margin-rate"):
        assert main([*base, "--out", str(old), "--margin", "0.3"]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(old, index_col=0), pd.read_csv(new, index_col=0))


def test_horizon_inf_values_the_whole_future(tmp_path, fitted_files, capsys):
    summary, model, spend = fitted_files
    out = tmp_path / "lifetime.csv"
    assert main(["score", str(summary), "--model", str(model), "--spend-model", str(spend), "--out", str(out),
                 "--horizon", "inf", "--quiet"]) == 0
    table = pd.read_csv(out, index_col=0)
    assert "expected_purchases" not in table.columns and table["clv"].notna().all()
    assert "over the whole future" in capsys.readouterr().out
    assert main(["score", str(summary), "--model", str(model), "--out", str(out), "--horizon", "inf",
                 "--discount-rate", "0"]) == 2


def test_demo_prints_nothing_deprecated(tmp_path, capsys):
    out = tmp_path / "clv.parquet"
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        assert main(["demo", "--sample", "--out", str(out), "--quiet", "--top", "3", "--margin-rate", "0.3"]) == 0
    captured = capsys.readouterr()
    assert "margin rate 0.3" in captured.out and "deprecated" not in captured.out + captured.err
    assert "np." not in captured.out
    assert read_table(out).attrs["clvkit"]["margin_rate"] == 0.3


# ---------------------------------------------------------------------------------- tables
def test_csv_sidecar_round_trip_and_stale_sidecar_removal(tmp_path):
    frame = pd.DataFrame({"x": [1.0, 2.0]}, index=pd.Index([7, 8], name="customer_id"))
    path = tmp_path / "t.csv"
    write_table(frame, path, metadata={"kind": "customer_summary", "unit": "D", "n": np.int64(4)})
    back = read_table(path, index_col="customer_id")
    assert back.attrs == {"clvkit": {"kind": "customer_summary", "unit": "D", "n": 4}, "unit": "D"}
    write_table(frame, path)  # no metadata: the old sidecar must not describe the new file
    assert not sidecar_path(path).exists()
    assert read_table(path).attrs == {}
    write_table(frame, path, metadata={"unit": "W"})
    pd.DataFrame({"y": [1, 2, 3]}).to_csv(path)  # rewritten by another program
    with pytest.warns(ck.DataWarning, match="ignored"):
        assert "unit" not in read_table(path).attrs


def test_parquet_schema_metadata_round_trip(tmp_path):
    import pyarrow.parquet as pq

    frame = pd.DataFrame({"x": [1.0, 2.0]}, index=pd.Index(["a", "b"], name="customer_id"))
    path = tmp_path / "t.parquet"
    write_table(frame, path, metadata={"kind": "scores", "unit": "M", "horizon": float("inf")})
    assert json.loads(pq.read_schema(path).metadata[b"clvkit"])["unit"] == "M"
    back = read_table(path)
    assert back.attrs["clvkit"]["horizon"] == "inf" and back.attrs["unit"] == "M"
    pd.testing.assert_frame_equal(back, frame)


def test_readme_compare_line_runs_on_the_full_cdnow_log(tmp_path, capsys):
    tx = tmp_path / "tx.csv"
    ck.datasets.load_cdnow()[["customer_id", "date", "amount"]].to_csv(tx, index=False)
    with pytest.warns(ck.DataWarning, match=r"left 1 of \d+ repeat buyers"):
        assert main(["compare", str(tx), "--calibration-end", "1997-09-30", "--end", "1998-06-30"]) == 0
    assert "BetaGeo" in capsys.readouterr().out
    assert main(["compare", str(tx), "--calibration-end", "1997-09-30", "--end", "1998-06-30",
                 "--no-exclude-nonpositive-spend"]) == 2
    assert "monetary_value" in capsys.readouterr().err
