"""EventModel: shared prediction plumbing of the purchase (event-forecast) models.

Subclasses supply the per-row maths on unique rows; this base expands results back to
customers, checks units and horizons, integrates discounted purchases, and builds
parameter-uncertainty intervals in memory-bounded chunks.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from clvkit._contract import check_interval
from clvkit.data.customer_data import Compressed, CustomerData, as_customer_data
from clvkit.data.units import continuous_discount_rate
from clvkit.errors import DataError, fail_rows
from clvkit.models._base import MLEModel
from clvkit.models._discount import discount_rule, singularity_scale

#: at most this many (draw x row) values are held at once when building intervals.
_CHUNK_CELLS = 2_000_000


def check_horizon(horizon: float | None, name: str = "horizon", *, allow_infinite: bool = False) -> float:
    """A non-negative horizon in the data's unit, or a :class:`DataError`.

    With ``allow_infinite``, ``None`` and ``inf`` both mean the infinite horizon and return
    ``numpy.inf`` (for quantities that stay finite there, such as discounted purchases).
    """
    if horizon is None and allow_infinite:
        return np.inf
    if isinstance(horizon, bool | str | bytes):
        raise DataError(f"{name} must be a number of time units, got {horizon!r} (a {type(horizon).__name__}).")
    try:
        value = float(horizon)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DataError(f"{name} must be a number of time units, got {horizon!r}.") from None
    if np.isnan(value) or value < 0 or (np.isinf(value) and not allow_infinite):
        what = "finite and >= 0" if not allow_infinite else ">= 0 (or None / inf for no end)"
        raise DataError(f"{name} must be {what} (in the data's time unit), got {horizon!r}.")
    return value


def check_level(interval: Any) -> float | None:
    """``None`` or a coverage level in (0, 1) given as a number (a string such as ``"0.9"`` is refused)."""
    if isinstance(interval, bool | str | bytes):
        raise DataError(f"interval must be a coverage level in (0, 1) such as 0.9 (a number), got {interval!r}.")
    return check_interval(interval)


def check_draws(n_draws: Any) -> int:
    """A whole number of parameter draws >= 1."""
    import numbers

    if isinstance(n_draws, bool) or not isinstance(n_draws, numbers.Integral) or n_draws < 1:
        raise DataError(f"n_draws must be a whole number >= 1, got {n_draws!r}.")
    return int(n_draws)


def check_finite_rows(values: np.ndarray, rows: np.ndarray, columns: Any, quantity: str, model_name: str,
                      converged: Any = True) -> np.ndarray:
    """``values`` if every one is finite, else a DataError naming how many rows and the first one.

    Used on unique rows, before they are expanded to customers, so that no prediction method returns
    NaN or inf.
    """
    values = np.asarray(values, dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        bad_rows = bad.reshape(len(rows), -1).any(axis=1) if values.size != len(rows) else bad.reshape(-1)
        first = rows[np.flatnonzero(bad_rows)[0]]
        example = {str(c): float(v) for c, v in zip(columns, first, strict=False)}
        cause = ("the fit did not converge (converged_ is False): refit or check the data" if converged is False
                 else "the parameters are extreme for such rows: check the model's parameters and the data")
        raise DataError(f"{model_name}: cannot evaluate {quantity} accurately for {int(bad_rows.sum())} of {len(rows)} "
                        f"distinct customer rows (rows like {example}); {cause}.")
    return values


class EventModel(MLEModel):
    """Base of the per-customer purchase models (BG/NBD, Pareto/NBD, MBG/NBD, BG/BB).

    The purchase-model protocol that :func:`clvkit.clv`, :func:`clvkit.score` and the
    evaluation tools rely on (``bayes.BetaGeo`` follows it too): ``unit_``, ``columns``,
    ``_data(data)``, the per-row maths ``_expected_purchases_rows(params, rows, t)``,
    ``_p_alive_rows(params, rows)``, ``_discounted_purchases_rows(params, rows, horizon, delta)``
    (``horizon`` may be ``inf``), ``_point_params()``, ``_parameter_draws(n_draws, random_seed)``
    and ``point_is_posterior_mean`` (False: point values use the estimate; True: the mean
    over draws).
    """

    #: point predictions plug in the estimate (a Bayesian model averages over posterior draws).
    point_is_posterior_mean: ClassVar[bool] = False

    columns: ClassVar[tuple[str, ...]] = ("frequency", "recency", "T")

    #: the model's pure-numpy maths module (``clvkit.models._math.<model>``): functions
    #: ``loglik_and_grad(params, x, t_x, T)``, ``expected_purchases(params, x, t_x, T, t)``,
    #: ``p_alive(params, x, t_x, T)``, ``expected_purchases_new(params, t)`` and
    #: ``purchase_pmf(params, n, t)``, where the third column is T (or n_periods).
    maths: ClassVar[ModuleType]

    # ------------------------------------------------------------------ maths hooks (unique rows)
    def _loglik_and_grad(self, params: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.maths.loglik_and_grad(params, rows[:, 0], rows[:, 1], rows[:, 2])

    def _expected_purchases_rows(self, params: np.ndarray, rows: np.ndarray, t: float) -> np.ndarray:
        return self.maths.expected_purchases(params, rows[:, 0], rows[:, 1], rows[:, 2], t)

    def _p_alive_rows(self, params: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return self.maths.p_alive(params, rows[:, 0], rows[:, 1], rows[:, 2])

    def _expected_purchases_new(self, params: np.ndarray, t: np.ndarray) -> np.ndarray:
        return self.maths.expected_purchases_new(params, t)

    def _purchase_pmf(self, params: np.ndarray, n: np.ndarray, t: float) -> np.ndarray:
        return self.maths.purchase_pmf(params, n, t)

    def _identification_problem(self, rows: np.ndarray, weights: np.ndarray) -> str | None:
        used = weights > 0
        if used.any() and not np.any(rows[used, 0] > 0):
            return ("no customer made a repeat purchase (every frequency is 0), so purchase rates and drop-out "
                    "cannot be told apart")
        return None

    def _check_finite(self, values: np.ndarray, rows: np.ndarray, quantity: str) -> np.ndarray:
        return check_finite_rows(values, rows, self.columns, quantity, type(self).__name__,
                                 getattr(self, "converged_", True))

    def _check_rows(self, rows: np.ndarray) -> None:
        """Continuous-time models need a positive observation time for every customer."""
        frame = pd.DataFrame(rows, columns=list(self.columns))
        fail_rows(frame, rows[:, 2] <= 0, "T", "is 0", "Every customer needs a positive observation time T.")

    def _discounted_purchases_rows(self, params: np.ndarray, rows: np.ndarray, horizon: float,
                                   delta: float) -> np.ndarray:
        """Expected purchases in (0, horizon], each discounted continuously at force ``delta``.

        ``integral_0^H exp(-delta t) dE[X(t)] = exp(-delta H) E[X(H)] + delta integral_0^H
        exp(-delta t) E[X(t)] dt`` (integration by parts), the integral by the composite
        Gauss-Legendre rule of :func:`clvkit.models._discount.discount_rule` (graded mesh, truncated
        where the rest is below 1e-13 relative), so any horizon, ``inf`` included, is accurate with
        bounded work. Models with a closed form override this.
        """
        if delta == 0.0 or horizon == 0.0 or len(rows) == 0:
            return self._expected_purchases_rows(params, rows, horizon)
        scale = singularity_scale(self.param_names, self.time_scale_params, params, rows[:, 2])
        end, end_weight, nodes, weights = discount_rule(horizon, delta, scale)
        acc = end_weight * self._expected_purchases_rows(params, rows, end)
        for node, weight in zip(nodes, weights, strict=True):
            acc += weight * self._expected_purchases_rows(params, rows, node)
        return acc

    def _point_params(self) -> np.ndarray:
        return self._p()

    def _parameter_draws(self, n_draws: int, random_seed: int | None) -> np.ndarray:
        return self.param_draws(n_draws, random_seed)

    # ------------------------------------------------------------------ data handling
    def _data(self, data: CustomerData | pd.DataFrame) -> CustomerData:
        self._check_fitted()
        cd = as_customer_data(data, unit=self.unit_)
        if cd.unit != self.unit_:
            raise DataError(
                f"{type(self).__name__} was fitted with time in unit {self.unit_!r} but this data "
                f"is in {cd.unit!r}; summarize the data again with unit={self.unit_!r}.")
        cd.require(self.columns, type(self).__name__)
        return cd

    def _unique(self, cd: CustomerData) -> Compressed:
        packed = cd.compressed(self.columns, weights=np.ones(len(cd)))
        self._check_rows(packed.rows)
        return packed

    def _per_customer(self, cd: CustomerData, fn: Any, name: str) -> pd.Series:
        packed = self._unique(cd)
        values = self._check_finite(fn(self._p(), packed.rows), packed.rows, name)
        return pd.Series(values[packed.inverse], index=cd.index, name=name)

    # ------------------------------------------------------------------ public predictions
    def expected_purchases(self, data: CustomerData | pd.DataFrame, horizon: float) -> pd.Series:
        """Expected number of purchases in the next ``horizon`` time units, per customer.

        Conditional on each customer's history (frequency, recency, T); ``horizon`` is in the
        data's unit.
        """
        t = check_horizon(horizon)
        return self._per_customer(self._data(data),
                                  lambda p, rows: self._expected_purchases_rows(p, rows, t),
                                  "expected_purchases")

    def p_alive(self, data: CustomerData | pd.DataFrame) -> pd.Series:
        """Probability that each customer is still active at the end of the calibration period."""
        return self._per_customer(self._data(data), self._p_alive_rows, "p_alive")

    def discounted_expected_purchases(self, data: CustomerData | pd.DataFrame, horizon: float,
                                      discount_rate: float) -> pd.Series:
        """Expected purchases in the next ``horizon`` units, discounted to today.

        ``discount_rate`` is an *annual effective* rate; it is converted to a continuous rate
        per the data's unit (see :func:`clvkit.data.units.continuous_discount_rate`).
        ``horizon=None`` (or ``inf``) is the infinite horizon, which needs a positive rate.
        """
        t = check_horizon(horizon, allow_infinite=True)
        delta = continuous_discount_rate(discount_rate, self.unit_)
        if np.isinf(t) and delta <= 0:
            raise DataError(f"an infinite horizon needs discount_rate > 0, got {discount_rate!r}: "
                            "undiscounted purchases over an unbounded future have no finite value.")
        return self._per_customer(self._data(data),
                                  lambda p, rows: self._discounted_purchases_rows(p, rows, t, delta),
                                  "discounted_purchases")

    def predict(self, data: CustomerData | pd.DataFrame, horizon: float | None = None, *,
                interval: float | None = None, n_draws: int = 1000,
                random_seed: int | None = None) -> pd.DataFrame:
        """Expected purchases over ``horizon`` and P(alive), one row per customer.

        Parameters
        ----------
        data
            Customer summary in the unit the model was fitted on.
        horizon
            Forecast length in the data's unit (required: expected purchases over an unbounded
            future are not finite for every model).
        interval
            If given (e.g. 0.9), add ``<quantity>_lower`` / ``<quantity>_upper`` columns:
            equal-tailed intervals over ``n_draws`` parameter draws from the MLE's asymptotic
            normal (log scale).
        random_seed
            Seed of the parameter draws; the same seed gives the same frame, ``None`` fresh
            randomness.
        """
        if horizon is None:
            raise DataError(f"{type(self).__name__}.predict needs a horizon (in the data's unit, "
                            f"{getattr(self, 'unit_', None)!r}), e.g. predict(data, horizon=52).")
        cd = self._data(data)
        t = check_horizon(horizon)
        level = check_level(interval)
        if level is not None:
            check_draws(n_draws)
        packed = self._unique(cd)
        p = self._p()
        quantities = {
            "expected_purchases": lambda q, rows: self._expected_purchases_rows(q, rows, t),
            "p_alive": self._p_alive_rows,
        }
        draws = self.param_draws(n_draws, random_seed) if level is not None else None
        out = {}
        for name, fn in quantities.items():
            point = self._check_finite(fn(p, packed.rows), packed.rows, name)
            out[name] = point[packed.inverse]
            if draws is not None:
                lower, upper = draw_interval(fn, draws, packed.rows, level)
                self._check_finite(np.stack([lower, upper], axis=1), packed.rows, f"the interval of {name}")
                # a plug-in point can sit outside a skewed draw interval by a hair: bounds enclose it
                out[f"{name}_lower"] = np.minimum(lower, point)[packed.inverse]
                out[f"{name}_upper"] = np.maximum(upper, point)[packed.inverse]
        return pd.DataFrame(out, index=cd.index)

    def expected_purchases_new(self, horizon: float | np.ndarray) -> float | np.ndarray:
        """Unconditional E[X(t)]: expected purchases in ``(0, t]`` of a just-acquired customer.

        For the continuous-time models a customer acquired at time 0 with that purchase not
        counted; ``horizon`` may be an array.
        """
        p = self._p()
        t = np.asarray(horizon, dtype=float)
        if np.any(~np.isfinite(t)) or np.any(t < 0):
            raise DataError(f"horizon must be finite and >= 0, got {horizon!r}.")
        value = np.asarray(self._expected_purchases_new(p, t), dtype=float)
        if not np.all(np.isfinite(value)):
            raise DataError(f"{type(self).__name__}: cannot evaluate expected_purchases_new accurately at horizon "
                            f"{horizon!r} with parameters {self.params_.to_dict()}.")
        return float(value) if np.ndim(value) == 0 else value

    def purchase_pmf(self, n: int | np.ndarray, horizon: float) -> float | np.ndarray:
        """P(X(t) = n): probability of exactly ``n`` purchases in ``(0, t]`` for a new customer."""
        p = self._p()
        t = check_horizon(horizon)
        counts = np.asarray(n)
        if np.any(counts < 0) or np.any(counts != np.round(counts)):
            raise DataError(f"n must be whole numbers >= 0, got {n!r}.")
        value = np.asarray(self._purchase_pmf(p, counts.astype(float), t), dtype=float)
        if not np.all(np.isfinite(value)):
            raise DataError(f"{type(self).__name__}: cannot evaluate purchase_pmf accurately for n={n!r}, "
                            f"horizon {horizon!r} with parameters {self.params_.to_dict()}.")
        return float(value) if np.ndim(value) == 0 else value


class ClosedFormDiscounting:
    """For models whose maths module has ``discounted_expected_purchases(params, x, t_x, T, horizon,
    delta)`` in closed form, valid for an infinite horizon too: Pareto/NBD's DET (Fader, Hardie & Lee
    2005, "RFM and CLV: using iso-value curves") and BG/BB's DERT (Fader, Hardie & Shang 2010)."""

    def _discounted_purchases_rows(self, params, rows, horizon, delta):
        return self.maths.discounted_expected_purchases(params, rows[:, 0], rows[:, 1], rows[:, 2],
                                                        horizon, delta)

    def discounted_expected_transactions(self, data: CustomerData | pd.DataFrame,
                                         discount_rate: float) -> pd.Series:
        """Expected future purchases over an infinite horizon, each discounted to today.

        ``discount_rate`` is an **annual effective** rate, converted to the data's unit; it must
        be positive. Pareto/NBD: DET of FHL (2005); BG/BB: DERT of FHS (2010).
        """
        self._check_fitted()
        delta = continuous_discount_rate(discount_rate, self.unit_)
        if delta <= 0:
            raise DataError(f"discount_rate must be > 0 for an infinite horizon, got {discount_rate!r}.")
        return self._per_customer(self._data(data),
                                  lambda p, rows: self._discounted_purchases_rows(p, rows, np.inf, delta),
                                  "discounted_purchases")


def draw_interval(fn: Any, draws: np.ndarray, rows: np.ndarray, level: float,
                  chunk_cells: int = _CHUNK_CELLS) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed ``level`` interval of ``fn(params, rows)`` over parameter ``draws``.

    Rows are processed in chunks so that at most ``chunk_cells`` values (draws x rows) exist
    at once: 1M customers x 1,000 draws never sits in memory.
    """
    n_draws = len(draws)
    step = max(1, chunk_cells // max(1, n_draws))
    lower = np.empty(len(rows))
    upper = np.empty(len(rows))
    tail = (1.0 - level) / 2.0
    for start in range(0, len(rows), step):
        chunk = rows[start:start + step]
        values = np.empty((n_draws, len(chunk)))
        for i, params in enumerate(draws):
            values[i] = fn(params, chunk)
        lower[start:start + step] = np.quantile(values, tail, axis=0)
        upper[start:start + step] = np.quantile(values, 1.0 - tail, axis=0)
    return lower, upper
