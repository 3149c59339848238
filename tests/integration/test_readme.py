"""The README's Python quickstart runs as written."""

import re
from pathlib import Path

import numpy as np
import pytest

import clvkit as ck

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_quickstart_runs(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "the README has no Python block"
    monkeypatch.chdir(tmp_path)  # it saves a model file
    namespace: dict = {}
    # the full CDNOW log has one repeat buyer whose orders were all $0: Gamma-Gamma says so
    with pytest.warns(ck.DataWarning, match="left 1 of 9451 repeat buyers"):
        exec(compile(blocks[0], "README.md", "exec"), namespace)
    value, forecast = namespace["value"], namespace["forecast"]
    assert len(value) == 23_570 and np.isfinite(value["clv"]).all()
    assert {"expected_purchases_lower", "expected_purchases_upper"} <= set(forecast.columns)
    assert (tmp_path / "bgnbd.json").exists()
