"""Holdout metrics for purchase models: errors, the by-frequency table, Brier score, AIC/BIC, LR tests.

The holdout protocol is the one of Fader, Hardie & Lee (2005), "Counting your customers the
easy way", Marketing Science 24(2), section 4: fit on a calibration period, predict each
customer's purchases in the holdout period conditional on the calibration history, and compare
with what happened, customer by customer and averaged by calibration frequency (their Figure 4).
Checked by tests/unit/test_metrics.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from clvkit._contract import is_purchase_model
from clvkit.data.customer_data import CustomerData, as_customer_data
from clvkit.errors import DataError, plain
from clvkit.models._base import MLEModel
from clvkit.models._event import check_horizon

__all__ = [
    "LikelihoodRatioTest",
    "brier_score",
    "calibration_by_decile",
    "holdout_by_frequency",
    "holdout_errors",
    "holdout_metrics",
    "holdout_predictions",
    "information_criteria",
    "likelihood_ratio_test",
    "spearman",
    "top_decile_lift",
]


# ---------------------------------------------------------------------------------- predictions
def check_purchase_model(model: Any) -> Any:
    """``model`` if it is a fitted purchase model of any family (MLE or Bayesian), else a DataError."""
    if not is_purchase_model(model):
        from clvkit.value import describe

        raise DataError("model must be a fitted clvkit purchase model (BetaGeo, ParetoNBD, ModifiedBetaGeo, "
                        f"BetaGeoBetaBinom or bayes.BetaGeo); got {describe(model)}.")
    model._check_fitted()
    return model


def holdout_predictions(model: Any, data: CustomerData | pd.DataFrame,
                        horizon: float | None = None) -> pd.DataFrame:
    """Each customer's predicted holdout purchases and P(alive), next to what happened.

    Parameters
    ----------
    model
        A fitted purchase model (``BetaGeo``, ``ParetoNBD``, ..., or ``bayes.BetaGeo``, whose
        predictions are posterior means): everything goes through ``model.predict``.
    data
        Calibration summary with the holdout column ``frequency_holdout`` (as made by
        ``clvkit.summarize(..., calibration_end=...)``).
    horizon
        Length of the holdout period in the data's unit. Default: the ``duration_holdout``
        column (which may differ between customers; each distinct value is predicted once).

    Returns
    -------
    DataFrame indexed by customer with ``frequency`` (calibration), ``frequency_holdout``
    (actual), ``expected_purchases`` (predicted over the holdout, FHL 2005 eq. 10 for BG/NBD)
    and ``p_alive`` (at the end of calibration).
    """
    check_purchase_model(model)
    cd = as_customer_data(data, unit=getattr(model, "unit_", None))
    cd.require(["frequency", "frequency_holdout"], "holdout metrics")
    frame = cd.frame
    if horizon is not None:
        durations = np.full(len(cd), check_horizon(horizon))
    elif "duration_holdout" in frame.columns:
        durations = frame["duration_holdout"].to_numpy(dtype=float)
    else:
        raise DataError("the data has no 'duration_holdout' column; pass horizon= (the holdout length "
                        "in the data's unit) or summarize with calibration_end=... and end=....")
    expected = np.empty(len(cd))
    p_alive = np.empty(len(cd))
    for value in np.unique(durations):
        mask = durations == value
        part = cd if mask.all() else cd.with_frame(frame.loc[mask])
        predicted = model.predict(part, float(value))
        expected[mask] = predicted["expected_purchases"].to_numpy(dtype=float)
        p_alive[mask] = predicted["p_alive"].to_numpy(dtype=float)
    return pd.DataFrame({
        "frequency": frame["frequency"].to_numpy(),
        "frequency_holdout": frame["frequency_holdout"].to_numpy(),
        "expected_purchases": expected,
        "p_alive": p_alive,
    }, index=cd.index)


# ---------------------------------------------------------------------------------- error measures
def _vector(values: Any, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float).ravel()
    bad = ~np.isfinite(arr)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise DataError(f"{name} is NaN or infinite in {int(bad.sum())} of {len(arr)} rows "
                        f"(first at position {first}: {arr[first]!r}).")
    return arr


def _pair(actual: Any, predicted: Any) -> tuple[np.ndarray, np.ndarray]:
    y = _vector(actual, "actual")
    f = _vector(predicted, "predicted")
    if y.shape != f.shape:
        raise DataError(f"actual and predicted differ in length ({len(y)} vs {len(f)}); "
                        "pass one prediction per customer.")
    if len(y) == 0:
        raise DataError("no customers to evaluate (actual is empty).")
    return y, f


def holdout_errors(actual: Any, predicted: Any, weights: Any = None) -> pd.Series:
    """Per-customer and aggregate errors of holdout purchase forecasts.

    Parameters
    ----------
    actual, predicted
        Holdout purchases per customer and their forecasts (same length).
    weights
        Optional number of customers each row stands for (compressed data).

    Returns
    -------
    Series with ``n_customers``, ``actual_total``, ``predicted_total``, ``mae``
    (mean |actual - predicted|), ``rmse`` (root mean squared error) and
    ``aggregate_error_pct`` = 100 (predicted_total - actual_total) / actual_total, the
    percentage error of the cohort's total that FHL (2005, section 4) report.
    """
    y, f = _pair(actual, predicted)
    w = np.ones_like(y) if weights is None else _vector(weights, "weights")
    if w.shape != y.shape or np.any(w < 0) or w.sum() <= 0:
        raise DataError("weights must be one non-negative number per customer with a positive sum.")
    n = float(w.sum())
    err = f - y
    actual_total = float(w @ y)
    predicted_total = float(w @ f)
    pct = 100.0 * (predicted_total - actual_total) / actual_total if actual_total > 0 else np.nan
    return pd.Series({
        "n_customers": n,
        "actual_total": actual_total,
        "predicted_total": predicted_total,
        "mae": float(w @ np.abs(err)) / n,
        "rmse": float(np.sqrt(w @ err**2 / n)),
        "aggregate_error_pct": pct,
    })


# ---------------------------------------------------------------------------------- ranking
def spearman(actual: Any, predicted: Any) -> float:
    """Spearman's rank correlation between holdout purchases and their forecasts.

    Spearman (1904), "The proof and measurement of association between two things", Am. J.
    Psychol. 15(1): the Pearson correlation of the ranks of ``actual`` and of ``predicted``,
    tied values taking the average of the ranks they span (as :func:`scipy.stats.spearmanr`).
    1 when the forecast orders customers exactly as they bought; NaN when either side is
    constant (no ranking to compare).
    """
    y, f = _pair(actual, predicted)
    ry, rf = stats.rankdata(y), stats.rankdata(f)
    ry, rf = ry - ry.mean(), rf - rf.mean()
    denom = float(np.sqrt((ry @ ry) * (rf @ rf)))
    return float(ry @ rf / denom) if denom > 0 else float("nan")


def top_decile_lift(actual: Any, predicted: Any, share: float = 0.1) -> float:
    """Actual purchases of the top ``share`` of customers by forecast, over ``share`` of all purchases.

    ``lift = sum_{i in top} actual_i / (share * sum_i actual_i)`` with "top" the
    ``share * n`` customers with the highest forecasts: 1 is no better than a random pick,
    ``1 / share`` (10 for the top decile) the most a perfect ranking can reach when the top
    buyers hold all purchases.

    Ties at the cut: customers whose forecast is strictly above the cut value count in full;
    those tied at the cut value share the remaining places equally (each counts with weight
    ``places left / number tied``), so the result does not depend on the row order and the
    top group holds exactly ``share * n`` customers (a fractional count when ``share * n`` is
    not whole). NaN when nobody bought in the holdout.
    """
    y, f = _pair(actual, predicted)
    if not 0 < share <= 1:
        raise DataError(f"share must be in (0, 1], got {share!r}.")
    total = float(y.sum())
    if total <= 0:
        return float("nan")
    places = share * len(y)
    _, inverse, counts = np.unique(f, return_inverse=True, return_counts=True)
    above = np.cumsum(counts[::-1])[::-1] - counts  # customers strictly above each value
    taken = np.clip(places - above, 0.0, counts)
    weight = (taken / counts)[inverse.ravel()]
    return float(weight @ y / (share * total))


def calibration_by_decile(actual: Any, predicted: Any) -> pd.DataFrame:
    """Mean forecast and mean actual holdout purchases by decile of the forecast.

    Customers are ranked by ``predicted`` (average ranks for ties) and customer ``i`` with
    rank ``r_i`` goes to decile ``ceil(10 r_i / n)``: decile 1 holds the lowest forecasts,
    10 the highest. Tied forecasts share their average rank and so always fall in the same
    decile; with many ties (e.g. every customer without a repeat purchase forecast at 0) some
    deciles are empty and appear with ``customers`` 0 and NaN means. A well-calibrated model
    has ``mean_predicted`` close to ``mean_actual`` in every decile.

    Returns
    -------
    DataFrame indexed by ``decile`` 1..10 with ``customers``, ``mean_predicted`` and
    ``mean_actual``.
    """
    y, f = _pair(actual, predicted)
    n = len(y)
    decile = np.clip(np.ceil(10.0 * stats.rankdata(f) / n - 1e-9), 1, 10).astype(int)
    counts = np.bincount(decile, minlength=11)[1:].astype(float)
    present = counts > 0

    def means(values: np.ndarray) -> np.ndarray:
        sums = np.bincount(decile, weights=values, minlength=11)[1:]
        out = np.full(10, np.nan)
        out[present] = sums[present] / counts[present]
        return out

    return pd.DataFrame({"customers": counts.astype(np.int64), "mean_predicted": means(f),
                         "mean_actual": means(y)}, index=pd.Index(np.arange(1, 11), name="decile"))


def brier_score(probability: Any, outcome: Any, weights: Any = None) -> float:
    """Mean squared difference between forecast probabilities and 0/1 outcomes.

    Brier (1950), "Verification of forecasts expressed in terms of probability", Monthly
    Weather Review 78(1): ``BS = sum_i w_i (p_i - o_i)^2 / sum_i w_i``; 0 is perfect, and a
    constant forecast equal to the base rate ``o_bar`` scores ``o_bar (1 - o_bar)``.

    Used here with ``probability`` = P(alive) at the end of calibration and ``outcome`` =
    whether the customer bought in the holdout. An alive customer may still not buy, so
    P(alive) is not a calibrated forecast of holdout activity: read the score as a way to rank
    models on the same data, not as a calibration check.
    """
    p = _vector(probability, "probability")
    o = _vector(outcome, "outcome")
    if p.shape != o.shape or len(p) == 0:
        raise DataError(f"probability and outcome must be non-empty and equally long ({len(p)} vs {len(o)}).")
    bad = (p < 0) | (p > 1)
    if bad.any():
        raise DataError(f"probability is outside [0, 1] in {int(bad.sum())} of {len(p)} rows "
                        f"(first: {plain(p[bad][0])!r}).")
    bad = (o != 0) & (o != 1)
    if bad.any():
        raise DataError(f"outcome must be 0 or 1 (or booleans); {int(bad.sum())} of {len(o)} rows are not "
                        f"(first: {plain(o[bad][0])!r}).")
    w = np.ones_like(p) if weights is None else _vector(weights, "weights")
    return float(w @ (p - o) ** 2 / w.sum())


def holdout_by_frequency(frequency: Any, actual: Any, predicted: dict[str, Any] | None = None,
                         max_frequency: int = 7) -> pd.DataFrame:
    """Mean holdout purchases by number of repeat purchases in calibration, actual vs models.

    The table behind Fader, Hardie & Lee (2005), Figure 4 (conditional expectations for
    CDNOW): customers are grouped by calibration frequency 0, 1, ..., ``max_frequency - 1``
    and ``max_frequency``+ (pooled).

    Parameters
    ----------
    frequency
        Calibration repeat purchases per customer.
    actual
        Holdout purchases per customer.
    predicted
        ``{model name: predicted holdout purchases per customer}``.
    max_frequency
        First pooled class (7 gives classes 0..6 and "7+").

    Returns
    -------
    DataFrame indexed by class label (``"0"``, ..., ``"7+"``) with ``n_customers``,
    ``actual`` (mean holdout purchases) and one column per model (mean prediction).
    """
    x = _vector(frequency, "frequency")
    y = _vector(actual, "actual")
    if x.shape != y.shape:
        raise DataError(f"frequency and actual differ in length ({len(x)} vs {len(y)}).")
    if int(max_frequency) != max_frequency or max_frequency < 1:
        raise DataError(f"max_frequency must be a whole number >= 1, got {max_frequency!r}.")
    k = int(max_frequency)
    cls = np.minimum(x, k).astype(int)
    labels = [str(i) for i in range(k)] + [f"{k}+"]
    counts = np.bincount(cls, minlength=k + 1).astype(float)
    present = counts > 0

    def means(values: np.ndarray) -> np.ndarray:
        sums = np.bincount(cls, weights=values, minlength=k + 1)
        out = np.full(k + 1, np.nan)
        out[present] = sums[present] / counts[present]
        return out

    table = pd.DataFrame({"n_customers": counts.astype(np.int64), "actual": means(y)},
                         index=pd.Index(labels, name="frequency"))
    for name, values in (predicted or {}).items():
        f = _vector(values, f"predicted[{name!r}]")
        if f.shape != x.shape:
            raise DataError(f"predicted[{name!r}] has {len(f)} values for {len(x)} customers.")
        table[name] = means(f)
    return table


# ---------------------------------------------------------------------------------- one model
def holdout_metrics(model: Any, data: CustomerData | pd.DataFrame,
                    horizon: float | None = None) -> pd.Series:
    """All holdout metrics of one fitted purchase model on one data set.

    Returns
    -------
    Series: ``loglik, n_params, aic, bic`` (calibration fit; NaN for a Bayesian model, which
    has no maximised likelihood), the :func:`holdout_errors`
    (``n_customers, actual_total, predicted_total, mae, rmse, aggregate_error_pct``) and
    ``brier_p_alive`` (:func:`brier_score` of P(alive) against ``frequency_holdout > 0``).
    """
    pred = holdout_predictions(model, data, horizon)
    errors = holdout_errors(pred["frequency_holdout"], pred["expected_purchases"])
    brier = brier_score(pred["p_alive"], (pred["frequency_holdout"] > 0).astype(float))
    return pd.concat([fit_criteria(model), errors, pd.Series({"brier_p_alive": brier})])


def fit_criteria(model: Any) -> pd.Series:
    """:func:`information_criteria` of an MLE model; NaNs for a model without a maximised likelihood."""
    if isinstance(model, MLEModel):
        return information_criteria(model)
    return pd.Series({"loglik": np.nan, "n_params": np.nan, "aic": np.nan, "bic": np.nan})


def information_criteria(model: MLEModel) -> pd.Series:
    """Log-likelihood, number of parameters, AIC and BIC of a fitted model.

    ``AIC = 2k - 2 LL`` (Akaike 1974) and ``BIC = k ln(n) - 2 LL`` (Schwarz 1978) with ``n``
    the number of customers the model was fitted on.
    """
    if not isinstance(model, MLEModel):
        raise DataError(f"expected a fitted clvkit model, got {type(model).__name__}.")
    return pd.Series({"loglik": model.loglik_, "n_params": float(model.n_params),
                      "aic": model.aic_, "bic": model.bic_})


# ---------------------------------------------------------------------------------- LR test
@dataclass(frozen=True)
class LikelihoodRatioTest:
    """Result of :func:`likelihood_ratio_test`.

    Attributes
    ----------
    statistic : float
        ``2 (LL_full - LL_restricted)``.
    df : int
        Number of restrictions.
    p_value : float
        Asymptotic p-value (chi-square, or the 50:50 chi-bar-square mixture on a boundary).
    """

    statistic: float
    df: int
    p_value: float

    def __repr__(self) -> str:
        return f"LikelihoodRatioTest(statistic={self.statistic:.4f}, df={self.df}, p_value={self.p_value:.4g})"


def _loglik_and_k(model: MLEModel | float, name: str) -> tuple[float, int | None]:
    if isinstance(model, MLEModel):
        model._check_fitted()
        return float(model.loglik_), model.n_params
    try:
        value = float(model)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DataError(f"{name} must be a fitted model or a log-likelihood, got {model!r}.") from None
    if not np.isfinite(value):
        raise DataError(f"{name} log-likelihood must be finite, got {value!r}.")
    return value, None


def likelihood_ratio_test(restricted: MLEModel | float, full: MLEModel | float, df: int | None = None,
                          *, boundary: bool = False) -> LikelihoodRatioTest:
    """Likelihood-ratio test of a restricted model against the model it is nested in.

    Parameters
    ----------
    restricted, full
        Fitted models (or their total log-likelihoods) on the *same* data; ``restricted`` is
        ``full`` with ``df`` parameters fixed (e.g. Pareto/NBD with s fixed, or a model fitted
        with some parameters held at given values).
    df
        Number of restrictions. Default: the difference in ``n_params`` of the two models.
    boundary
        True when the restriction puts one parameter on the edge of its space (e.g. a
        dropout rate fixed at 0): then the statistic follows the 50:50 mixture of
        chi-square(df - 1) and chi-square(df) (Self & Liang 1987, JASA 82(398), case 5),
        which halves the p-value for df = 1.

    Returns
    -------
    :class:`LikelihoodRatioTest` with ``statistic = 2 (LL_full - LL_restricted)`` and its
    p-value from Wilks (1938), "The large-sample distribution of the likelihood ratio for
    testing composite hypotheses", Ann. Math. Statist. 9(1).
    """
    ll0, k0 = _loglik_and_k(restricted, "restricted")
    ll1, k1 = _loglik_and_k(full, "full")
    if isinstance(restricted, MLEModel) and isinstance(full, MLEModel) and restricted.n_obs_ != full.n_obs_:
        raise DataError(f"the two models were fitted on different data ({restricted.n_obs_:g} vs "
                        f"{full.n_obs_:g} customers); a likelihood-ratio test needs the same data.")
    if df is None:
        if k0 is None or k1 is None:
            raise DataError("df is required when log-likelihoods are passed as numbers.")
        df = k1 - k0
    if int(df) != df or df < 1:
        raise DataError(f"df (number of restrictions) must be a whole number >= 1, got {df!r}.")
    df = int(df)
    statistic = 2.0 * (ll1 - ll0)
    if statistic < -1e-6 * max(1.0, abs(ll1)):
        raise DataError(f"the full model's log-likelihood ({ll1:.4f}) is below the restricted one's "
                        f"({ll0:.4f}): the models are not nested, or the full fit did not converge.")
    statistic = max(statistic, 0.0)
    p = float(stats.chi2.sf(statistic, df))
    if boundary:
        lower = float(stats.chi2.sf(statistic, df - 1)) if df > 1 else float(statistic <= 0.0)
        p = 0.5 * p + 0.5 * lower
    return LikelihoodRatioTest(statistic=statistic, df=df, p_value=p)
