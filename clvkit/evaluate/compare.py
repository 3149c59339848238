"""compare(): fit several models on a calibration period and score them on the holdout.

One call turns a transaction log into a side-by-side table of purchase models (BG/NBD,
Pareto/NBD, MBG/NBD, ...), with Gamma-Gamma spend, a naive baseline and, when the Dwyer module
is installed, Dwyer's always-a-share migration model: the protocol of Fader, Hardie & Lee
(2005), "Counting your customers the easy way", section 4, applied to every model at once.
Checked by tests/unit/test_compare.py.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from clvkit._contract import MODELS, is_purchase_model
from clvkit.data.customer_data import CustomerData
from clvkit.errors import DataError, DataWarning
from clvkit.evaluate.diagnostics import gini
from clvkit.evaluate.metrics import (
    brier_score,
    calibration_by_decile,
    fit_criteria,
    holdout_by_frequency,
    holdout_errors,
    holdout_predictions,
    spearman,
    top_decile_lift,
)
from clvkit.models._base import MODEL_REGISTRY

__all__ = ["DEFAULT_MODELS", "ComparisonReport", "compare"]

#: Purchase models compared by default, where the installed clvkit has them.
DEFAULT_MODELS: tuple[str, ...] = ("BetaGeo", "ParetoNBD", "ModifiedBetaGeo")
#: Where each purchase model lives, so that a name finds its class before it is exported.
_MODULES: dict[str, str] = {"BetaGeo": "clvkit.models.beta_geo", "ParetoNBD": "clvkit.models.pareto_nbd",
                            "ModifiedBetaGeo": "clvkit.models.modified_beta_geo",
                            "BetaGeoBetaBinom": "clvkit.models.beta_geo_beta_binom"}


def _is_purchase_class(cls: Any) -> bool:
    return isinstance(cls, type) and getattr(cls, "kind", None) == "purchase"


def _model_class(name: str) -> type | None:
    """The purchase-model class called ``name`` (a registry name such as ``"bayes.BetaGeo"``), or None."""
    if name.startswith("bayes.") and name not in MODELS:
        try:
            importlib.import_module("clvkit.bayes")  # registers the Bayesian models
        except ImportError:
            return None
    entry = MODELS.get(name)
    cls = entry.cls if entry is not None else None
    if cls is None:
        cls = getattr(importlib.import_module("clvkit.models"), name, None) or MODEL_REGISTRY.get(name)
    if cls is None and name in _MODULES:
        try:
            cls = getattr(importlib.import_module(_MODULES[name]), name, None)
        except ImportError:
            cls = None
    return cls if _is_purchase_class(cls) else None

_METRIC_COLUMNS = ("family", "loglik", "n_params", "aic", "bic", "n_customers", "actual_total",
                   "predicted_total", "mae", "rmse", "aggregate_error_pct", "spearman", "top_decile_lift",
                   "gini", "brier_p_alive")


@dataclass
class ComparisonReport:
    """What :func:`compare` returns.

    Attributes
    ----------
    metrics : pandas.DataFrame
        One row per model (index: model name): ``family`` ("event", "dwyer" or "baseline"),
        calibration fit (``loglik, n_params, aic, bic``; NaN where there is no likelihood),
        holdout purchase errors (``n_customers, actual_total, predicted_total, mae, rmse,
        aggregate_error_pct``), the ranking metrics ``spearman`` (:func:`~clvkit.evaluate.metrics.spearman`
        of actual and predicted holdout purchases), ``top_decile_lift``
        (:func:`~clvkit.evaluate.metrics.top_decile_lift`) and ``gini`` (Gini coefficient of the
        predicted holdout purchases, :func:`~clvkit.evaluate.diagnostics.gini`: how concentrated
        the model believes the value is), ``brier_p_alive`` and, with spend, ``revenue_actual_total,
        revenue_predicted_total, revenue_mae, revenue_aggregate_error_pct``.
    predictions : pandas.DataFrame
        One row per customer: the calibration summary (``frequency, recency, T``), what
        happened in the holdout (``frequency_holdout``, ``active_holdout``,
        ``revenue_holdout``) and, per model, ``"<model>.expected_purchases"``,
        ``"<model>.p_alive"`` and ``"<model>.expected_revenue"``.
    by_frequency : pandas.DataFrame
        Mean holdout purchases by calibration frequency 0..6, 7+: actual and each model
        (FHL 2005, Figure 4).
    models : dict
        The fitted models by name (``"GammaGamma"`` for spend).
    data : CustomerData
        The calibration summary with holdout columns.
    notes : list of str
        What was left out and why (e.g. the Dwyer models when ``clvkit.dwyer`` is missing).
    calibration : dict
        ``{model: calibration table}``: mean predicted and mean actual holdout purchases by
        decile of the model's forecast (:func:`~clvkit.evaluate.metrics.calibration_by_decile`).
    """

    metrics: pd.DataFrame
    predictions: pd.DataFrame
    by_frequency: pd.DataFrame
    models: dict[str, Any]
    data: CustomerData
    notes: list[str] = field(default_factory=list)
    calibration: dict[str, pd.DataFrame] = field(default_factory=dict)
    transactions: pd.DataFrame | None = field(default=None, repr=False)
    log_columns: dict[str, Any] = field(default_factory=dict, repr=False)

    def plot(self, ax: Any = None) -> Any:
        """Mean holdout purchases by calibration frequency, actual vs every model; returns the Axes."""
        from clvkit.plotting.events import plot_holdout_by_frequency

        return plot_holdout_by_frequency(self.by_frequency, ax=ax)

    def plot_tracking(self, model: str | None = None, *, incremental: bool = False, ax: Any = None) -> Any:
        """Cumulative (or per-period) repeat transactions of the cohort, actual vs one event model."""
        from clvkit.plotting.events import plot_cumulative_transactions, plot_incremental_transactions

        if self.transactions is None:
            raise DataError("tracking needs the transaction log; this report was built from a summary.")
        events = [n for n, m in self.models.items() if is_purchase_model(m)]
        name = model or (events[0] if events else None)
        if name not in events:
            raise DataError(f"model must be one of the fitted event models {events}, got {model!r}.")
        draw = plot_incremental_transactions if incremental else plot_cumulative_transactions
        return draw(self.models[name], self.transactions, self.data.calibration_end, self.data.end,
                    ax=ax, **self.log_columns)

    def to_markdown(self) -> str:
        """Markdown: the metrics table (rounded, readable names), a reading generated from the numbers, the notes.

        See :func:`clvkit.evaluate.report.to_markdown` and :func:`~clvkit.evaluate.report.reading`.
        """
        from clvkit.evaluate.report import to_markdown

        return to_markdown(self)

    def to_html(self, path: Any) -> None:
        """Write one self-contained HTML file (inline CSS, table, reading, figures as base64 PNGs) to ``path``.

        Written atomically; see :func:`clvkit.evaluate.report.to_html`.
        """
        from clvkit.evaluate.report import to_html

        to_html(self, path)

    def __repr__(self) -> str:
        cols = [c for c in ("family", "loglik", "bic", "mae", "rmse", "aggregate_error_pct", "brier_p_alive")
                if c in self.metrics.columns]
        table = self.metrics[cols].to_string(float_format=lambda v: f"{v:.4g}")
        return f"<ComparisonReport: {len(self.predictions):,} customers, {len(self.metrics)} models>\n{table}"


def _resolve_models(models: Any) -> dict[str, Any]:
    """Names, classes or instances of purchase models (MLE or Bayesian) -> {name: instance}."""
    def build(item: Any) -> tuple[str, Any]:
        if is_purchase_model(item):
            return getattr(item, "qualified_name", "") or type(item).__name__, item
        if _is_purchase_class(item):
            return getattr(item, "qualified_name", "") or item.__name__, item()
        if isinstance(item, str):
            cls = _model_class(item)
            if cls is not None:
                return item, cls()
            known = sorted(n for n, e in MODELS.items() if e.kind == "purchase")
            raise DataError(f"unknown purchase model {item!r}; known: {known}.")
        from clvkit.value import describe

        raise DataError(f"models must hold purchase-model names, classes or instances; got {describe(item)}.")

    if models is None:
        return {n: _model_class(n)() for n in DEFAULT_MODELS if _model_class(n) is not None}
    if isinstance(models, dict):
        out = {}
        for name, item in models.items():
            out[str(name)] = build(item)[1]
        return out
    if isinstance(models, str | type) or is_purchase_model(models):
        models = [models]
    out = {}
    for item in models:
        name, model = build(item)
        if name in out:
            raise DataError(f"model {name!r} is given twice; pass a dict {{name: model}} to compare variants.")
        out[name] = model
    if not out:
        raise DataError("models is empty: give at least one purchase model to compare.")
    return out


def compare(
    tx: pd.DataFrame | CustomerData,
    calibration_end: Any = None,
    end: Any = None,
    unit: str = "W",
    models: Iterable[Any] | dict[str, Any] | None = None,
    spend: bool = True,
    *,
    customer: Hashable = "customer_id",
    date: Hashable = "date",
    amount: Hashable | None = "amount",
    grain: str | None = "D",
    date_format: str | None = None,
    baseline: bool = True,
    dwyer: bool = True,
    dwyer_period: str = "Q",
    dwyer_states: int = 5,
    max_frequency: int = 7,
    exclude_nonpositive_spend: bool | None = None,
) -> ComparisonReport:
    """Fit purchase models on the calibration period and compare their holdout forecasts.

    Parameters
    ----------
    tx
        Transaction log, or a :class:`CustomerData` that already has holdout columns (then
        the Dwyer models and tracking plots, which need the log, are left out).
    calibration_end, end
        End of calibration and of observation (``end`` defaults to the last date in the log).
    unit
        Time unit of recency, T and the forecasts (``"W"``: weeks).
    models
        Purchase models to compare, MLE or Bayesian: names (``"BetaGeo"``, ``"bayes.BetaGeo"``),
        classes, instances, or a dict ``{label: model}``. Default: those of
        :data:`DEFAULT_MODELS` that exist. A Bayesian model is scored on its posterior means
        (``model.predict``) and has no ``loglik``/``aic``/``bic`` (NaN).
    spend
        Also fit Gamma-Gamma on the calibration repeat buyers and score holdout revenue
        (``expected purchases x expected spend`` against ``frequency_holdout x
        monetary_value_holdout``). Needs ``amount``.
    customer, date, amount, grain, date_format
        Passed to :func:`clvkit.summarize`.
    baseline
        Add ``"naive_rate"``: each customer keeps their calibration rate, ``frequency / T``,
        over the holdout (0 when T = 0). A floor any model should beat.
    dwyer
        Add Dwyer's always-a-share (recency-state Markov chain) and lost-for-good (empirical
        retention) models, fitted on the calibration log cut into ``dwyer_period`` s, when
        :mod:`clvkit.dwyer` is importable and ``calibration_end`` is the last day of a period
        (see ``notes`` otherwise). Both forecast active periods; times the mean purchases per
        active period they give per-customer holdout purchases.
    dwyer_period
        Calendar period of the Dwyer models (``"Q"``: quarters).
    dwyer_states
        Recency states of the always-a-share model (fewer if calibration is shorter).
    max_frequency
        Pooled class of the by-frequency table ("7+").
    exclude_nonpositive_spend
        What to do with repeat buyers whose mean spend is <= 0 (free orders; the full CDNOW log
        has one) when fitting Gamma-Gamma, which needs positive spend: ``None`` (default)
        leaves them out of the spend fit with a :class:`~clvkit.DataWarning` that counts them
        (``GammaGamma(exclude_nonpositive=True)``; they are still scored); ``True`` leaves
        them out without the warning; ``False`` raises a :class:`~clvkit.DataError`.

    Returns
    -------
    :class:`ComparisonReport`

    Examples
    --------
    >>> import clvkit as ck
    >>> from clvkit.evaluate import compare
    >>> report = compare(ck.datasets.load_cdnow(sample=True), calibration_end="1997-09-30",
    ...                  end="1998-06-30", models=["BetaGeo"], dwyer=False)
    >>> int(report.metrics.loc["BetaGeo", "actual_total"])
    1882
    """
    log: pd.DataFrame | None = None
    log_columns = {"customer": customer, "date": date, "grain": grain, "date_format": date_format}
    if isinstance(tx, CustomerData):
        data = tx
        if calibration_end is not None or end is not None:
            raise DataError("calibration_end / end apply to a transaction log; this CustomerData already has "
                            "its holdout split.")
    else:
        if calibration_end is None:
            raise DataError("compare needs calibration_end: models are fitted before it and scored after it.")
        from clvkit.data.summarize import summarize

        data = summarize(tx, customer=customer, date=date, amount=amount if spend else None, unit=unit,
                         grain=grain, end=end, calibration_end=calibration_end, date_format=date_format)
        log = tx
    data.require(["frequency", "recency", "T", "frequency_holdout", "duration_holdout"], "compare")
    frame = data.frame
    use_spend = spend and "monetary_value" in frame.columns and "monetary_value_holdout" in frame.columns
    if spend and not use_spend:
        raise DataError("spend=True needs amounts (monetary_value and monetary_value_holdout); pass amount= "
                        "or spend=False.")

    predictions = frame[["frequency", "recency", "T", "frequency_holdout"]].copy()
    active = (frame["frequency_holdout"] > 0).astype(float)
    predictions["active_holdout"] = active.astype(bool)
    actual = frame["frequency_holdout"].to_numpy(dtype=float)
    revenue = None
    if use_spend:
        revenue = actual * frame["monetary_value_holdout"].to_numpy(dtype=float)
        predictions["revenue_holdout"] = revenue

    fitted: dict[str, Any] = {}
    rows: dict[str, pd.Series] = {}
    expected_by_model: dict[str, np.ndarray] = {}
    spend_per_purchase = None
    if use_spend:
        from clvkit.models.gamma_gamma import GammaGamma

        if exclude_nonpositive_spend not in (None, True, False):
            raise DataError("exclude_nonpositive_spend must be None, True or False, got "
                            f"{exclude_nonpositive_spend!r}.")
        gg = GammaGamma(exclude_nonpositive=exclude_nonpositive_spend is not False)
        if exclude_nonpositive_spend:  # asked for explicitly: no need to warn
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="GammaGamma: left", category=DataWarning)
                gg.fit(data)
        else:
            gg.fit(data)
        fitted["GammaGamma"] = gg
        spend_per_purchase = gg.expected_spend(data).to_numpy(dtype=float)
    notes: list[str] = []
    calibration: dict[str, pd.DataFrame] = {}

    def add(name: str, family: str, expected: np.ndarray, p_alive: np.ndarray | None,
            fit: pd.Series | None) -> None:
        row = pd.Series({"family": family}, dtype=object)
        info = fit if fit is not None else pd.Series({"loglik": np.nan, "n_params": np.nan,
                                                      "aic": np.nan, "bic": np.nan})
        row = pd.concat([row, info.astype(object), holdout_errors(actual, expected).astype(object)])
        row["spearman"] = spearman(actual, expected)
        row["top_decile_lift"] = top_decile_lift(actual, expected)
        try:
            row["gini"] = gini(expected)
        except DataError:  # negative or all-zero forecasts have no Lorenz curve
            row["gini"] = np.nan
        calibration[name] = calibration_by_decile(actual, expected)
        row["brier_p_alive"] = brier_score(p_alive, active) if p_alive is not None else np.nan
        predictions[f"{name}.expected_purchases"] = expected
        if p_alive is not None:
            predictions[f"{name}.p_alive"] = p_alive
        if revenue is not None and spend_per_purchase is not None:
            rev = expected * spend_per_purchase
            predictions[f"{name}.expected_revenue"] = rev
            errs = holdout_errors(revenue, rev)
            row["revenue_actual_total"] = errs["actual_total"]
            row["revenue_predicted_total"] = errs["predicted_total"]
            row["revenue_mae"] = errs["mae"]
            row["revenue_aggregate_error_pct"] = errs["aggregate_error_pct"]
        rows[name] = row
        expected_by_model[name] = expected

    for name, model in _resolve_models(models).items():
        missing = [c for c in model.columns if c not in frame.columns]
        if missing:
            notes.append(f"{name} left out: it needs column(s) {missing} (discrete-time data), which a "
                         "calendar-time summary lacks.")
            continue
        model.fit(data)
        fitted[name] = model
        pred = holdout_predictions(model, data)
        add(name, "event", pred["expected_purchases"].to_numpy(), pred["p_alive"].to_numpy(),
            fit_criteria(model))

    if baseline:
        T = frame["T"].to_numpy(dtype=float)
        rate = np.divide(frame["frequency"].to_numpy(dtype=float), T, out=np.zeros(len(T)), where=T > 0)
        add("naive_rate", "baseline", rate * frame["duration_holdout"].to_numpy(dtype=float), None, None)

    if dwyer:
        if log is None:
            notes.append("Dwyer models left out: they need the transaction log, and a CustomerData was given.")
        else:
            dwyer_rows, dwyer_notes = _dwyer_predictions(log, data, dwyer_period, dwyer_states, log_columns)
            notes.extend(dwyer_notes)
            for name, expected in dwyer_rows.items():
                add(name, "dwyer", expected, None, None)

    if not rows:
        raise DataError("no model could be compared; see the notes: " + " ".join(notes))
    metrics = pd.DataFrame(rows).T
    metrics.index.name = "model"
    numeric = [c for c in metrics.columns if c != "family"]
    metrics[numeric] = metrics[numeric].astype(float)
    ordered = [c for c in _METRIC_COLUMNS if c in metrics.columns]
    metrics = metrics[ordered + [c for c in metrics.columns if c not in ordered]]
    by_frequency = holdout_by_frequency(frame["frequency"], actual, expected_by_model, max_frequency)
    return ComparisonReport(metrics=metrics, predictions=predictions, by_frequency=by_frequency,
                            models=fitted, data=data, notes=notes, calibration=calibration,
                            transactions=log,
                            log_columns=log_columns)


def _holdout_periods(calibration_end: pd.Timestamp, end: pd.Timestamp, unit: str) -> tuple[int, float]:
    """Whole calendar periods after ``calibration_end`` up to ``end``, and the share of one more."""
    first = (calibration_end.to_period(unit) + 1)
    n_full = 0
    period = first
    while period.end_time.normalize() <= end:
        n_full += 1
        period = period + 1
    start = period.start_time
    length = (period.end_time.normalize() - start).days + 1
    frac = max(0.0, ((end - start).days + 1) / length) if end >= start else 0.0
    return n_full, frac


def _dwyer_predictions(tx: pd.DataFrame, data: CustomerData, period: str, states: int,
                       log_columns: dict[str, Any]) -> tuple[dict[str, np.ndarray], list[str]]:
    """Per-customer holdout purchases from Dwyer's two models, fitted on the calibration log.

    Both models describe *active periods* (calendar periods with at least one purchase), fitted
    on the same-grain-merged calibration purchases cut into ``period`` s:

    - always-a-share (:class:`clvkit.dwyer.AlwaysAShare`): from the customer's recency state at
      the end of calibration, expected active periods ``sum_t e_s' P^t p`` over the holdout
      periods (Pfeifer & Carraway 2000), with P the fitted transition matrix and p the
      purchase probabilities by state;
    - lost-for-good (:class:`clvkit.dwyer.LostForGood`, empirical retention): a customer who
      missed a period since acquisition is gone; one still alive after n periods expects
      ``sum_h S(n + h) / S(n)`` active periods (Dwyer 1989).

    Each is multiplied by the mean number of purchases in an active period after the
    acquisition period (calibration data), giving expected holdout purchases. A final partial
    period counts in proportion to its days. Returns ``({name: expected}, notes)``.
    """
    try:
        dwyer = importlib.import_module("clvkit.dwyer")
    except ImportError:
        return {}, ["Dwyer models left out: clvkit.dwyer is not installed in this build."]
    from clvkit.data.periods import check_period_unit, period_panel
    from clvkit.evaluate.diagnostics import _purchases

    unit = check_period_unit(period)
    cal, end = data.calibration_end, data.end
    if cal is None or end is None:
        return {}, ["Dwyer models left out: the summary does not record calibration_end and end."]
    if cal.to_period(unit).end_time.normalize() != cal.normalize():
        return {}, [f"Dwyer models left out: calibration_end={cal.date()} is not the last day of a "
                    f"{unit} period, so the period models would see a cut period."]
    merged = _purchases(tx, log_columns["customer"], log_columns["date"], log_columns["grain"],
                        log_columns["date_format"])
    merged = merged[(merged["date"] <= cal) & merged["customer"].isin(data.index)]
    panel = period_panel(merged, "customer", "date", None, unit=unit, end=cal)
    n_periods = panel.purchases.shape[1]
    n_full, frac = _holdout_periods(cal, end, unit)
    weights = np.append(np.ones(n_full), [frac] if frac > 0 else [])
    active = panel.active
    after = np.arange(n_periods)[None, :] > panel.first_period.to_numpy()[:, None]
    n_active = (active & after).sum()
    if n_active == 0:
        return {}, [f"Dwyer models left out: no customer bought in a {unit} period after acquisition "
                    "in the calibration data."]
    per_active = float(panel.purchases.to_numpy()[active & after].sum() / n_active)
    out: dict[str, np.ndarray] = {}
    notes: list[str] = []

    n_states = min(int(states), n_periods - 1)
    if n_states < 1:
        notes.append(f"AlwaysAShare left out: calibration spans {n_periods} {unit} period(s).")
    else:
        if n_states < states:
            notes.append(f"AlwaysAShare uses {n_states} recency states (not {states}): calibration spans only "
                         f"{n_periods} {unit} periods.")
        share = dwyer.AlwaysAShare(unit=unit, states=n_states, margin=1.0).fit(panel)
        state = share.states_.reindex(data.index).to_numpy(dtype=np.int64)
        P = share.transition_matrix_.to_numpy()
        p = share.p_.to_numpy()
        dist = np.zeros((len(state), n_states))
        dist[np.arange(len(state)), state - 1] = 1.0
        expected = np.zeros(len(state))
        for w in weights:
            expected += w * (dist @ p)
            dist = dist @ P
        out[f"AlwaysAShare({unit})"] = expected * per_active

    lfg = dwyer.LostForGood(retention="empirical", unit=unit, margin=1.0).fit(panel)
    status = lfg.status_.reindex(data.index)
    tenure = status["observed"].to_numpy(dtype=np.int64)
    alive = status["alive"].to_numpy(dtype=bool)
    horizon = np.arange(1, len(weights) + 1)
    s_now = lfg.survival(np.unique(tenure)).reindex(tenure).to_numpy()
    future = np.array([lfg.survival(n + horizon).to_numpy() @ weights for n in np.unique(tenure)])
    future = pd.Series(future, index=np.unique(tenure)).reindex(tenure).to_numpy()
    ratio = np.divide(future, s_now, out=np.zeros(len(tenure)), where=s_now > 0)
    out[f"LostForGood({unit})"] = np.where(alive, ratio, 0.0) * per_active
    return out, notes
