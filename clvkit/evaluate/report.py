"""Readable output of :func:`clvkit.evaluate.compare`: a Markdown summary and a self-contained HTML file.

The written reading is generated from ``report.metrics`` (which model has the lowest MAE, the
smallest aggregate error, the best ranking, by how much against the ``naive_rate`` baseline,
and the caveats those numbers call for), so it always says what the table says.
:meth:`ComparisonReport.to_markdown` and :meth:`ComparisonReport.to_html` call these functions.
Checked by tests/unit/test_report.py.
"""

from __future__ import annotations

import base64
import html
import io
import os
import re
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from clvkit.errors import DataError

if TYPE_CHECKING:
    from clvkit.evaluate.compare import ComparisonReport

__all__ = ["AGGREGATE_CAVEAT_PCT", "BASELINE", "figures", "metrics_table", "reading", "to_html", "to_markdown"]

#: Name of the baseline row the reading measures every winner against.
BASELINE = "naive_rate"
#: An MAE winner missing the cohort's total by more than this (in %) gets the caveat sentence.
AGGREGATE_CAVEAT_PCT = 25.0

#: (metrics column, readable name, format) of the table, in order; absent columns are skipped.
_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("family", "Family", "{}"),
    ("predicted_total", "Predicted purchases", "{:,.0f}"),
    ("aggregate_error_pct", "Aggregate error %", "{:+.1f}"),
    ("mae", "MAE", "{:.3f}"),
    ("rmse", "RMSE", "{:.3f}"),
    ("spearman", "Spearman", "{:.3f}"),
    ("top_decile_lift", "Top-decile lift", "{:.2f}"),
    ("gini", "Gini (predicted)", "{:.3f}"),
    ("brier_p_alive", "Brier P(alive)", "{:.3f}"),
    ("bic", "BIC", "{:,.1f}"),
    ("revenue_mae", "Revenue MAE", "{:,.2f}"),
    ("revenue_aggregate_error_pct", "Revenue aggregate error %", "{:+.1f}"),
)


def _cell(value: Any, fmt: str) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "n/a"
    return fmt.format(value)


def metrics_table(report: ComparisonReport) -> pd.DataFrame:
    """``report.metrics`` rounded to strings under readable column names (NaN shown as ``n/a``)."""
    m = report.metrics
    out = pd.DataFrame(index=pd.Index(m.index, name="Model"))
    for column, label, fmt in _COLUMNS:
        if column in m.columns:
            out[label] = [_cell(v, fmt) for v in m[column]]
    return out


def _markdown_table(table: pd.DataFrame) -> str:
    header = [table.index.name or "", *table.columns]
    rows = [[str(i)] + [str(v) for v in r] for i, r in zip(table.index, table.to_numpy(), strict=True)]
    align = ["---"] + ["---:" if c != "Family" else "---" for c in table.columns]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _relative(value: float, base: float, lower_is_better: bool) -> str:
    """'27.2% lower than naive_rate's 1.024'-style comparison with the baseline."""
    if not (np.isfinite(value) and np.isfinite(base)) or base == 0:
        return ""
    change = 100.0 * (value - base) / abs(base)
    word = ("lower" if change < 0 else "higher")
    better = (change < 0) == lower_is_better
    verdict = "" if better else ", worse than the baseline"
    return f", {abs(change):.1f}% {word} than {BASELINE}'s {base:.4g}{verdict}"


def reading(report: ComparisonReport) -> list[str]:
    """The written reading of ``report.metrics``: one sentence (Markdown) per finding.

    Generated from the numbers: the model with the lowest MAE, the smallest absolute aggregate
    error, the highest Spearman correlation and the highest top-decile lift, each compared with
    the ``naive_rate`` baseline when it is in the table; and, when a Dwyer model wins on MAE
    while missing the cohort's total by more than :data:`AGGREGATE_CAVEAT_PCT` percent, the
    caveat that explains it.
    """
    m = report.metrics
    has_base = BASELINE in m.index
    out: list[str] = []
    actual_total = float(m["actual_total"].iloc[0]) if "actual_total" in m.columns else np.nan

    def best(column: str, key: Any = None, largest: bool = False) -> str | None:
        if column not in m.columns:
            return None
        values = m[column].astype(float)
        values = key(values) if key is not None else values
        values = values.dropna()
        if values.empty:
            return None
        return str(values.idxmax() if largest else values.idxmin())

    name = best("mae")
    mae_winner = name
    if name is not None:
        text = f"Lowest MAE: **{name}** ({m.loc[name, 'mae']:.3f} holdout purchases per customer"
        if has_base and name != BASELINE:
            text += _relative(m.loc[name, "mae"], m.loc[BASELINE, "mae"], lower_is_better=True)
        elif name == BASELINE:
            text += "; no model beats the naive baseline"
        out.append(text + ").")

    name = best("aggregate_error_pct", key=np.abs)
    if name is not None:
        err = m.loc[name, "aggregate_error_pct"]
        text = (f"Smallest aggregate error: **{name}** ({err:+.1f}% of the {actual_total:,.0f} actual "
                f"holdout purchases")
        if has_base and name != BASELINE:
            text += f"; {BASELINE} misses by {m.loc[BASELINE, 'aggregate_error_pct']:+.1f}%"
        out.append(text + ").")

    for column, label, unit in (("spearman", "Best Spearman rank correlation", ""),
                                ("top_decile_lift", "Best top-decile lift", "x")):
        name = best(column, largest=True)
        if name is None:
            continue
        value = m.loc[name, column]
        text = f"{label}: **{name}** ({value:.3f}{unit}"
        if column == "top_decile_lift":
            text += f": its top 10% by forecast made {10 * value:.1f}% of the holdout purchases"
        if has_base and name != BASELINE:
            base = m.loc[BASELINE, column]
            text += f"; {BASELINE} {base:.3f}{unit}, {value - base:+.3f}"
        elif name == BASELINE:
            text += "; the naive baseline ranks customers best"
            others = m[column].drop(BASELINE).astype(float).dropna()
            if not others.empty:
                runner = str(others.idxmax())
                text += f", the best model, **{runner}**, reaches {others[runner]:.3f}{unit}"
        out.append(text + ").")

    if (mae_winner is not None and "family" in m.columns and m.loc[mae_winner, "family"] == "dwyer"
            and "aggregate_error_pct" in m.columns
            and abs(m.loc[mae_winner, "aggregate_error_pct"]) > AGGREGATE_CAVEAT_PCT):
        err = m.loc[mae_winner, "aggregate_error_pct"]
        text = (f"Caveat: **{mae_winner}** wins on MAE but misses the cohort's total by {err:+.1f}%. "
                "MAE rewards forecasts near 0 for the many customers who buy nothing in the holdout. ")
        if mae_winner.startswith("LostForGood"):
            text += ("Dwyer's lost-for-good model forecasts the activity of a cohort whose lapsed customers "
                     "are gone for good, not the repeat purchases of always-a-share customers who come back "
                     "after a silent period")
            column = f"{mae_winner}.expected_purchases"
            if column in report.predictions.columns and "frequency_holdout" in report.predictions.columns:
                pred = report.predictions
                lost = pred[column].to_numpy(dtype=float) == 0
                bought = float(pred.loc[lost, "frequency_holdout"].sum())
                text += (f": the {int(lost.sum()):,} customers it counts as lost made {bought:,.0f} of the "
                         f"{actual_total:,.0f} holdout purchases")
            text += "."
        else:
            text += "Dwyer's migration models forecast a cohort's activity, not each customer's purchases."
        out.append(text)
    return out


def to_markdown(report: ComparisonReport) -> str:
    """Markdown summary: a heading line, the :func:`metrics_table`, the :func:`reading` and the notes."""
    m = report.metrics
    data = report.data
    period = ""
    if getattr(data, "calibration_end", None) is not None and getattr(data, "end", None) is not None:
        period = f", calibration to {data.calibration_end.date()}, holdout to {data.end.date()}"
    parts = ["# Model comparison", "",
             f"{len(report.predictions):,} customers{period}; {len(m)} models.", "",
             "## Metrics", "", _markdown_table(metrics_table(report)), "",
             "## Reading", ""]
    parts += [f"- {s}" for s in reading(report)]
    if report.notes:
        parts += ["", "## Notes", ""] + [f"- {n}" for n in report.notes]
    return "\n".join(parts) + "\n"


# ---------------------------------------------------------------------------------- HTML
_CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto;
       max-width: 1100px; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { padding: 4px 9px; border-bottom: 1px solid #e4e4e4; text-align: right; }
th { background: #f4f4f4; } td:first-child, th:first-child, td.family { text-align: left; }
figure { margin: 1em 0; } img { max-width: 100%; }
"""


def _inline(text: str) -> str:
    """Escape ``text`` for HTML and turn Markdown ``**bold**`` into ``<strong>``."""
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html.escape(text))


def _html_table(table: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in [table.index.name or "", *table.columns])
    rows = []
    for index, values in zip(table.index, table.to_numpy(), strict=True):
        cells = [f"<td>{html.escape(str(index))}</td>"]
        for column, value in zip(table.columns, values, strict=True):
            cls = ' class="family"' if column == "Family" else ""
            cells.append(f"<td{cls}>{html.escape(str(value))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table class="metrics">\n<thead><tr>{head}</tr></thead>\n<tbody>\n' + "\n".join(rows) + \
        "\n</tbody>\n</table>"


def _png(draw: Any, figsize: tuple[float, float] = (7.5, 4.5)) -> str:
    """Base64 PNG of a figure drawn by ``draw(ax)`` (a pyplot-free Figure, so no window opens)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=100)
    ax = fig.add_subplot()
    draw(ax)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _plot_calibration(report: ComparisonReport, ax: Any) -> None:
    top = 0.0
    for name, table in report.calibration.items():
        t = table[table["customers"] > 0]
        ax.plot(t["mean_predicted"], t["mean_actual"], marker="o", label=name)
        top = max(top, float(t[["mean_predicted", "mean_actual"]].to_numpy().max()))
    ax.plot([0, top], [0, top], color="grey", linestyle="--", linewidth=1, label="perfect calibration")
    ax.set_xlabel("mean predicted holdout purchases (decile of forecast)")
    ax.set_ylabel("mean actual holdout purchases")
    ax.set_title("Calibration by decile of the forecast")
    ax.legend(fontsize="small")


def figures(report: ComparisonReport) -> tuple[list[tuple[str, str]], list[str]]:
    """``([(caption, base64 PNG)], notes)``: holdout by frequency, calibration by decile, and the
    cumulative tracking plot when the report has the transaction log and an event model."""
    out = [("Mean holdout purchases by calibration frequency, actual vs each model",
            _png(lambda ax: report.plot(ax=ax)))]
    notes: list[str] = []
    if report.calibration:
        out.append(("Mean actual vs mean predicted holdout purchases by decile of each model's forecast",
                    _png(lambda ax: _plot_calibration(report, ax))))
    if report.transactions is not None:
        try:
            out.append(("Cumulative repeat transactions of the cohort, actual vs the first event model",
                        _png(lambda ax: report.plot_tracking(ax=ax))))
        except DataError as exc:  # e.g. no event model was fitted
            notes.append(f"Tracking figure left out: {exc}")
    return out, notes


def to_html(report: ComparisonReport, path: str | os.PathLike[str]) -> None:
    """Write one self-contained HTML file: inline CSS, metrics table, reading, notes and figures as base64 PNGs.

    Nothing is loaded from elsewhere, so the file can be mailed and opened offline. Written
    atomically (:func:`clvkit.io.atomic_write`): an existing file is replaced only once the new
    one is complete.
    """
    from clvkit.io import atomic_write

    m = report.metrics
    data = report.data
    period = ""
    if getattr(data, "calibration_end", None) is not None and getattr(data, "end", None) is not None:
        period = f", calibration to {data.calibration_end.date()}, holdout to {data.end.date()}"
    body = [f"<h1>Model comparison</h1>\n<p>{len(report.predictions):,} customers{html.escape(period)}; "
            f"{len(m)} models.</p>",
            "<h2>Metrics</h2>", _html_table(metrics_table(report)),
            "<h2>Reading</h2>", "<ul>" + "".join(f"<li>{_inline(s)}</li>" for s in reading(report)) + "</ul>"]
    pictures, figure_notes = figures(report)
    notes = [*report.notes, *figure_notes]
    if notes:
        body += ["<h2>Notes</h2>", "<ul>" + "".join(f"<li>{_inline(n)}</li>" for n in notes) + "</ul>"]
    body.append("<h2>Figures</h2>")
    for caption, png in pictures:
        body.append(f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{png}">'
                    f"<figcaption>{html.escape(caption)}</figcaption></figure>")
    document = ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                f"<title>clvkit model comparison</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
                + "\n".join(body) + "\n</body>\n</html>\n")

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(document)

    atomic_write(path, write)
