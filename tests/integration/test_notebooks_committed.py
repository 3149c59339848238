"""The notebooks are committed executed: every code cell has run, figures are embedded, no errors or
warnings were printed (CI also re-runs them with nbmake)."""

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_with_its_outputs(path):
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    assert cells and all(c.get("execution_count") for c in cells), "run it top to bottom before committing"
    outputs = [o for c in cells for o in c.get("outputs", [])]
    assert any("image/png" in o.get("data", {}) for o in outputs), "a notebook shows at least one figure"
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert not [o for o in outputs if o.get("name") == "stderr"], "warnings printed in the committed outputs"
    assert "matplotlib.use(" not in path.read_text(), "a backend switch hides the figures in Jupyter"
