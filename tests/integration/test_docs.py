"""The examples in the user-facing pages of docs/ run and print what they show."""

import doctest
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = ["lifetimes.md", "contract.md"]


@pytest.mark.parametrize("page", PAGES)
def test_page_examples(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples may save model files
    path = DOCS / page
    test = doctest.DocTestParser().get_doctest(path.read_text(encoding="utf-8"), {"__name__": page}, page,
                                               str(path), 0)
    assert len(test.examples) >= 5
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
