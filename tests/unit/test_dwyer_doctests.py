"""The examples in docs/dwyer.md and in the Dwyer / sBG docstrings run and print what they show."""

import doctest
import importlib
from pathlib import Path

import pytest

import clvkit
import clvkit.data.datasets
import clvkit.dwyer
import clvkit.models.shifted_beta_geo

DOCS = Path(__file__).resolve().parents[2] / "docs" / "dwyer.md"
MODULES = ["clvkit.models.shifted_beta_geo", "clvkit.dwyer.lost_for_good",
           "clvkit.dwyer.always_a_share", "clvkit.dwyer.cohort_table"]


@pytest.fixture(autouse=True)
def _public_names(monkeypatch):
    """The names this issue adds to ``clvkit`` (a no-op once clvkit/__init__.py exports them)."""
    extra = {
        "ShiftedBetaGeo": clvkit.models.shifted_beta_geo.ShiftedBetaGeo,
        "LostForGood": clvkit.dwyer.LostForGood,
        "AlwaysAShare": clvkit.dwyer.AlwaysAShare,
        "cohort_table": clvkit.dwyer.cohort_table,
        "datasets": clvkit.data.datasets,
    }
    for name, value in extra.items():
        if not hasattr(clvkit, name):
            monkeypatch.setattr(clvkit, name, value, raising=False)


def _failures(test: doctest.DocTest) -> int:
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    return runner.summarize(verbose=False).failed


def test_docs_dwyer_md():
    text = DOCS.read_text(encoding="utf-8")
    test = doctest.DocTestParser().get_doctest(text, {"__name__": "dwyer_md"}, "dwyer.md",
                                               str(DOCS), 0)
    assert len(test.examples) > 20
    assert _failures(test) == 0


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    tests = doctest.DocTestFinder().find(module, name, globs=vars(module).copy())
    assert sum(len(t.examples) for t in tests) > 0
    assert sum(_failures(t) for t in tests) == 0
