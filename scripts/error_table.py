"""Write docs/errors.md: every bad input clvkit handles, run for real, with the message a user sees.

Usage: python scripts/error_table.py [--check]

Each case below is executed; its exception (or warning) text goes into the table verbatim, so the
page cannot drift from the code: ``tests/integration/test_error_table.py`` runs this script with
``--check`` and fails when the page is stale.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

import clvkit as ck
from clvkit.cli import main as cli

DOCS = Path(__file__).resolve().parents[1] / "docs" / "errors.md"
TX = pd.DataFrame({"customer_id": ["a", "a", "b"], "date": ["2020-01-01", "2020-02-01", "2020-01-15"],
                   "amount": [10.0, 20.0, 5.0]})
SUMMARY = ck.CustomerData.from_frame(ck.datasets.load_cdnow_summary(), unit="W")
BGNBD = ck.BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, unit="W")
REGULAR = ck.datasets.load_retention_example("regular")


def LFG() -> ck.LostForGood:
    return ck.LostForGood(retention="sbg", unit="Y", margin=100.0).fit(REGULAR, periods=7)


def tx(**changes) -> pd.DataFrame:
    frame = TX.copy()
    for column, values in changes.items():
        frame[column] = values
    return frame


#: files the cases write; its path is cut from the messages so that the page does not depend on it
SCRATCH = Path(tempfile.gettempdir()) / "clvkit-error-table"


def model_file(state: dict) -> str:
    SCRATCH.mkdir(exist_ok=True)
    path = SCRATCH / "model.json"
    path.write_text(json.dumps(state))
    return str(path)


def cli_case(args: list[str]) -> Callable[[], str]:
    """Run the CLI in a scratch folder with a small log and models; return 'exit N: stderr'."""

    def run() -> str:
        with tempfile.TemporaryDirectory() as tmp:
            cwd = os.getcwd()
            os.chdir(tmp)
            try:
                ck.datasets.load_cdnow(sample=True).to_csv("tx.csv", index=False)
                zero = pd.DataFrame({"customer_id": ["a", "b", "c"], "frequency": [0, 0, 0],
                                     "recency": [0.0, 0.0, 0.0], "T": [10.0, 20.0, 30.0]})
                zero.to_csv("zero.csv", index=False)
                Path("garbage.json").write_text("{not json")
                BGNBD.save("bgnbd.json")
                err = io.StringIO()
                with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()), \
                        warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    code = cli(args)
                lines = [line for line in err.getvalue().splitlines() if line.startswith("clvkit ")]
                return f"exit {code}: {lines[-1] if lines else ''}"
            finally:
                os.chdir(cwd)

    return run


#: (where, bad input, call) in the order of the page
CASES: list[tuple[str, str, Callable[[], object]]] = [
    # the data layer
    ("summarize", "a customer id missing", lambda: ck.summarize(tx(customer_id=["a", None, "b"]))),
    ("summarize", "ids of two types (1 and '1')", lambda: ck.summarize(tx(customer_id=[1, "1", "b"]))),
    ("summarize", "a date that is not a date", lambda: ck.summarize(tx(date=["2020-01-01", "soon", "2020-01-15"]))),
    ("summarize", "a placeholder date (9999-12-31)",
     lambda: ck.summarize(tx(date=["2020-01-01", "9999-12-31", "2020-01-15"]))),
    ("summarize", "two time zones in one log",
     lambda: ck.summarize(tx(date=[pd.Timestamp("2020-01-01", tz="UTC"), pd.Timestamp("2020-02-01", tz="Asia/Tokyo"),
                                   pd.Timestamp("2020-01-15", tz="UTC")]))),
    ("summarize", "a negative amount (a refund)", lambda: ck.summarize(tx(amount=[10.0, -20.0, 5.0]))),
    ("summarize", "an infinite amount", lambda: ck.summarize(tx(amount=[10.0, np.inf, 5.0]))),
    ("summarize", "calibration_end after end",
     lambda: ck.summarize(TX, calibration_end="2020-03-01", end="2020-02-01")),
    ("summarize", "end that is not a date", lambda: ck.summarize(TX, end="soon")),
    ("CustomerData.from_frame", "recency > T",
     lambda: ck.CustomerData.from_frame(pd.DataFrame({"frequency": [1], "recency": [5.0], "T": [3.0]}), unit="W")),
    ("CustomerData.from_frame", "a fractional frequency",
     lambda: ck.CustomerData.from_frame(pd.DataFrame({"frequency": [1.5], "recency": [1.0], "T": [3.0]}), unit="W")),
    ("CustomerData.from_frame", "a NaN customer id",
     lambda: ck.CustomerData.from_frame(pd.DataFrame({"frequency": [1], "recency": [1.0], "T": [3.0]},
                                                     index=[np.nan]), unit="W")),
    ("CustomerData.from_frame", "a unit clvkit does not know",
     lambda: ck.CustomerData.from_frame(SUMMARY.frame, unit="fortnight")),
    # units
    ("predict", "data in days for a model fitted in weeks",
     lambda: BGNBD.predict(ck.CustomerData.from_frame(
         SUMMARY.frame.assign(recency=SUMMARY.frame["recency"] * 7, T=SUMMARY.frame["T"] * 7), unit="D"), 39)),
    ("predict", "a plain DataFrame that does not say its unit (a warning)",
     lambda: BGNBD.predict(pd.DataFrame(SUMMARY.frame), 39)),
    # models and their files
    ("from_params", "a parameter out of the plausible range",
     lambda: ck.BetaGeo.from_params({"r": 1e300, "alpha": 4.4, "a": 0.8, "b": 2.4})),
    ("load", "a model file whose parameter is NaN",
     lambda: ck.load(model_file({"model": "BetaGeo", "unit": "W",
                                 "params": {"r": "nan", "alpha": 1, "a": 1, "b": 1}}))),
    ("load", "a model file without parameters", lambda: ck.load(model_file({"model": "BetaGeo", "unit": "W"}))),
    ("load", "a file that is not a model", lambda: ck.load(model_file({"hello": 1}))),
    ("fit", "weights with a NaN",
     lambda: ck.BetaGeo().fit(SUMMARY, weights=np.r_[np.nan, np.ones(len(SUMMARY) - 1)])),
    ("fit", "no repeat purchase at all (a warning; converged_ is False)",
     lambda: ck.BetaGeo().fit(ck.CustomerData.from_frame(
         pd.DataFrame({"frequency": [0, 0, 0], "recency": [0.0, 0.0, 0.0], "T": [10.0, 20.0, 30.0]}), unit="W"))),
    ("GammaGamma", "q <= 1 (infinite mean spend)",
     lambda: ck.GammaGamma.from_params({"p": 6.0, "q": 0.9, "gamma": 15.0}).expected_spend(SUMMARY)),
    ("GammaGamma.fit", "a repeat buyer with zero spend",
     lambda: ck.GammaGamma().fit(SUMMARY.with_frame(SUMMARY.frame.assign(
         monetary_value=np.where(SUMMARY.frame.index == 1, 0.0, SUMMARY.frame["monetary_value"]))))),
    # value
    ("clv", "a rate above 100% a year (discount_rate=2, a warning)",
     lambda: ck.clv(BGNBD, SUMMARY, 52, discount_rate=2)),
    ("clv", "a percent typed as a number (discount_rate=10)", lambda: ck.clv(BGNBD, SUMMARY, 52, discount_rate=10)),
    ("clv", "a rate as text", lambda: ck.clv(BGNBD, SUMMARY, 52, discount_rate="0.1")),
    ("clv", "an infinite horizon without discounting", lambda: ck.clv(BGNBD, SUMMARY, None, discount_rate=0.0)),
    ("clv", "a negative horizon", lambda: ck.clv(BGNBD, SUMMARY, -1)),
    ("clv", "a margin rate below 0", lambda: ck.clv(BGNBD, SUMMARY, 52, margin_rate=-0.3)),
    ("clv", "a spend Series missing customers",
     lambda: ck.clv(BGNBD, SUMMARY, 52, spend=pd.Series(10.0, index=SUMMARY.index[:10]))),
    ("clv", "a model class instead of a fitted model", lambda: ck.clv(ck.BetaGeo, SUMMARY, 52)),
    ("predict", "n_draws=0", lambda: BGNBD.predict(SUMMARY, 39, interval=0.9, n_draws=0)),
    ("predict", "interval=90 (a percent)", lambda: BGNBD.predict(SUMMARY, 39, interval=90)),
    # Dwyer
    ("LostForGood.value", "a negative discount rate with no horizon",
     lambda: LFG().value(-0.5)),
    ("LostForGood.value", "a negative margin",
     lambda: LFG().value(0.1, margin=-5)),
    ("LostForGood.fit", "a survival table in another unit",
     lambda: ck.LostForGood(retention="sbg", unit="Q", margin=1.0).fit(REGULAR)),
    ("LostForGood.value", "a rate so small that an infinite horizon cannot be valued",
     lambda: LFG().value(1e-20)),
    ("LostForGood.value", "a margin no business has (a unit mix-up)", lambda: LFG().value(0.1, margin=1e300)),
    ("LostForGood.projection", "a fractional number of customers", lambda: LFG().projection(0.1, customers=10.5)),
    ("LostForGood.fit", "alive counts that are shares, not counts",
     lambda: ck.LostForGood(retention="sbg", unit="Y", margin=1.0).fit(
         pd.DataFrame({"period": [0, 1, 2], "alive": [1.0, 0.6, 0.45]}))),
    ("AlwaysAShare.policy", "a billion-period horizon without discounting",
     lambda: ck.AlwaysAShare.from_params(p=[0.3, 0.2], margin=40, cost=2).policy(0.0, horizon=10**9)),
    ("ShiftedBetaGeo.discounted_lifetime", "a rate of 0 (DEL sums over an unbounded future)",
     lambda: ck.ShiftedBetaGeo.from_params({"alpha": 0.7, "beta": 1.2}, unit="Y").discounted_lifetime(0.0)),
    ("AlwaysAShare.from_params", "a probability above 1",
     lambda: ck.AlwaysAShare.from_params(p=[0.3, 1.2], margin=40)),
    ("cohort_table", "a table where a row was expected",
     lambda: ck.cohort_table(customers=1000, retention=0.6, orders=[[1.8, 2.6, 3.6]] * 2, order_value=100,
                             cost_rate=0.5, discount_rate=0.1)),
    ("cohort_table", "empty lists",
     lambda: ck.cohort_table(customers=1000, retention=[], orders=[], order_value=[], cost_rate=[],
                             discount_rate=0.1)),
    # the command line
    ("clvkit fit", "a summary whose unit the file does not record, without --unit",
     cli_case(["fit", "zero.csv", "--out", "m.json"])),
    ("clvkit fit", "a fit that does not converge", cli_case(["fit", "zero.csv", "--unit", "W", "--out", "m.json"])),
    ("clvkit score", "a model file that is not JSON",
     cli_case(["score", "zero.csv", "--unit", "W", "--model", "garbage.json", "--out", "s.csv"])),
    ("clvkit score", "an output path that is a folder",
     cli_case(["score", "zero.csv", "--unit", "W", "--model", "bgnbd.json", "--out", "."])),
    ("clvkit score", "a missing input file",
     cli_case(["score", "nope.csv", "--unit", "W", "--model", "bgnbd.json", "--out", "s.csv"])),
]


def message(call: Callable[[], object]) -> str:
    """The text a user sees: the error, the first warning, or what a CLI run printed."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = call()
        except ck.ClvkitError as exc:
            return f"{type(exc).__name__}: {exc}"
    if isinstance(result, str) and result.startswith("exit "):
        return result
    shown = [w for w in caught if issubclass(w.category, (ck.DataWarning, ck.ConvergenceWarning, UserWarning))]
    if shown:
        texts = dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in shown)
        return " / ".join(texts)
    raise AssertionError(f"no error, warning or exit code for {call}")


def render() -> str:
    rows = []
    for where, what, call in CASES:
        text = message(call).replace(f"{SCRATCH}{os.sep}", "").replace("|", "\\|").replace("\n", " ")
        rows.append(f"| `{where}` | {what} | {text} |")
    return "\n".join([
        "# Bad input and the messages you see",
        "",
        "clvkit gives no silent wrong answers: bad input raises a `DataError` (a `ValueError`) that names the "
        "column or argument, the number of offending rows and one example, and says what to do; a doubtful "
        "input gets a warning that counts what it is about. Every row below was produced by running the "
        "case (`python scripts/error_table.py`; `tests/integration/test_error_table.py` fails when this "
        "page and the code disagree).",
        "",
        "The command line prints one line per error, never a traceback for a user error, and exits with "
        "one code per class of failure: 2 bad input, 3 bad model file, 4 fit not converged, 5 files and "
        "disks (missing input, output path that cannot be written), 1 an internal error (with a traceback "
        "to report), 130 interrupted. Outputs are written to a temporary file and renamed: a failure, "
        "Ctrl-C or SIGTERM leaves no file behind and an existing output untouched; after a SIGKILL the "
        "next write to the same output removes the temporary file of the dead writer (named "
        "`.NAME.clvkit-tmp.<pid>.<host>.<random>`).",
        "",
        "| where | bad input | what you see |",
        "|---|---|---|",
        *rows,
        "",
    ])


if __name__ == "__main__":
    text = render()
    if "--check" in sys.argv:
        sys.exit(0 if DOCS.read_text() == text else 1)
    DOCS.write_text(text)
    print(f"wrote {DOCS} ({len(CASES)} cases)")
