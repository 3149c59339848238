"""Evaluation of purchase models: holdout metrics, model comparison, diagnostics, bootstrap.

- :mod:`~clvkit.evaluate.metrics`: per-model holdout errors (MAE, RMSE, aggregate error %),
  the mean-holdout-purchases-by-frequency table, Brier score of P(alive), AIC/BIC and the
  likelihood-ratio test of nested models;
- :mod:`~clvkit.evaluate.compare`: :func:`compare` fits several models on a calibration
  period and scores them on the holdout in one :class:`ComparisonReport`;
- :mod:`~clvkit.evaluate.diagnostics`: the tables behind the plots of
  :mod:`clvkit.plotting.events` (period transactions, tracking, heat maps, P(alive) history,
  Lorenz curve);
- :mod:`~clvkit.evaluate.bootstrap`: parametric-bootstrap parameter draws for intervals on
  small data;
- :mod:`~clvkit.evaluate.coverage`: coverage of prediction intervals over data sets simulated
  from known parameters.
"""

from clvkit.evaluate.bootstrap import SIMULATORS, bootstrap_params, predict_interval
from clvkit.evaluate.compare import DEFAULT_MODELS, ComparisonReport, compare
from clvkit.evaluate.coverage import interval_coverage
from clvkit.evaluate.diagnostics import (
    expected_purchases_matrix,
    gini,
    lorenz_curve,
    p_alive_history,
    p_alive_matrix,
    period_transactions,
    tracking_table,
)
from clvkit.evaluate.metrics import (
    LikelihoodRatioTest,
    brier_score,
    calibration_by_decile,
    holdout_by_frequency,
    holdout_errors,
    holdout_metrics,
    holdout_predictions,
    information_criteria,
    likelihood_ratio_test,
    spearman,
    top_decile_lift,
)

__all__ = [
    "DEFAULT_MODELS",
    "SIMULATORS",
    "ComparisonReport",
    "LikelihoodRatioTest",
    "bootstrap_params",
    "brier_score",
    "calibration_by_decile",
    "compare",
    "expected_purchases_matrix",
    "gini",
    "holdout_by_frequency",
    "holdout_errors",
    "holdout_metrics",
    "holdout_predictions",
    "information_criteria",
    "interval_coverage",
    "likelihood_ratio_test",
    "lorenz_curve",
    "p_alive_history",
    "p_alive_matrix",
    "period_transactions",
    "predict_interval",
    "spearman",
    "top_decile_lift",
    "tracking_table",
]
