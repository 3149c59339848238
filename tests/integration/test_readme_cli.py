"""Every line of the README's command-line block runs as written, in order, on the built-in CDNOW log."""

import re
import shlex
from pathlib import Path

import pandas as pd

import clvkit as ck
from clvkit.cli import main

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_command_lines_run(tmp_path, monkeypatch):
    text = README.read_text()
    block = text[text.index("## Command line"):]
    block = block[block.index("```\n") + 4:]
    block = block[:block.index("```")]
    lines = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert [shlex.split(line)[1] for line in lines] == ["demo", "summarize", "fit", "fit", "score", "compare"]
    monkeypatch.chdir(tmp_path)
    ck.datasets.load_cdnow().to_csv("tx.csv", index=False)
    for line in lines:
        args = [a for a in shlex.split(line)[1:] if not re.fullmatch(r"\[.*\]", a)]
        args = [a.strip("[]") for a in args]
        assert main(args) == 0, line
    scores = pd.read_parquet("scores.parquet")
    assert len(scores) == 23_570 and scores["clv"].notna().all()
    assert {"clv_lower", "clv_upper"} <= set(scores.columns)
    assert (scores["clv_lower"] <= scores["clv"]).all() and (scores["clv"] <= scores["clv_upper"]).all()
    assert ck.load("bgnbd.json").unit_ == "W"


def test_fit_gammagamma_offers_the_way_out_for_zero_spend_buyers(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    ck.datasets.load_cdnow().to_csv("tx.csv", index=False)
    assert main(["summarize", "tx.csv", "--out", "s.csv", "--calibration-end", "1997-09-30",
                 "--end", "1998-06-30"]) == 0
    assert main(["fit", "s.csv", "--model", "gammagamma", "--out", "gg.json",
                 "--no-exclude-nonpositive-spend"]) == 2
    assert "monetary_value" in capsys.readouterr().err and not Path("gg.json").exists()
    assert main(["fit", "s.csv", "--model", "gammagamma", "--out", "gg.json"]) == 0
    assert ck.load("gg.json").data_provenance_["gamma_gamma_fitted_customers"] == 9450
