"""GammaGamma: the spend-per-transaction model."""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from clvkit._contract import check_interval, register
from clvkit.data.customer_data import CustomerData, as_customer_data
from clvkit.errors import DataError, DataWarning, fail_rows
from clvkit.models._base import MLEModel
from clvkit.models._event import draw_interval
from clvkit.models._math import gamma_gamma as gg


@register("GammaGamma", "spend")
class GammaGamma(MLEModel):
    """Gamma-Gamma: expected value of a customer's future transactions.

    Fitted on repeat buyers only (``frequency > 0``); their ``monetary_value`` is the mean of
    their repeat transactions. Customers without a repeat purchase get the population mean.

    Parameters
    ----------
    penalizer : float
        Optional L2 penalty on the log-parameters.
    exclude_nonpositive : bool
        A repeat buyer whose mean spend is 0 (free orders) has no Gamma-Gamma likelihood. By
        default that is an error; with True such customers are left out of the fit with a
        :class:`~clvkit.DataWarning` giving their count (they are still scored).

    Attributes
    ----------
    params_ : pandas.Series
        ``p, q, gamma``. Spend per transaction is gamma(p, nu); nu ~ gamma(q, gamma), so
        ``gamma`` is in currency units and the mean spend is ``p gamma / (q - 1)``.
    unit_ : None
        Spend has no time unit.
    loglik_, covariance_, n_obs_, n_unique_, converged_, fit_info_
        See :class:`~clvkit.models._base.MLEModel`.

    Notes
    -----
    Fader & Hardie (2013), "The Gamma-Gamma model of monetary value", eqs. (5) and (8). The
    model assumes spend is independent of purchase frequency: check
    ``data.frame[["frequency", "monetary_value"]].corr()`` before relying on it.

    Examples
    --------
    >>> import clvkit as ck
    >>> data = ck.summarize(ck.datasets.load_cdnow(sample=True), calibration_end="1997-09-30",
    ...                     end="1998-06-30")
    >>> g = ck.GammaGamma().fit(data)
    >>> g.params_.round(2).tolist()
    [6.25, 3.74, 15.44]
    """

    param_names: ClassVar[tuple[str, ...]] = ("p", "q", "gamma")
    columns: ClassVar[tuple[str, ...]] = ("frequency", "monetary_value")

    def __init__(self, *, penalizer: float = 0.0, exclude_nonpositive: bool = False) -> None:
        super().__init__(penalizer=penalizer)
        self.exclude_nonpositive = exclude_nonpositive

    def _rows(self, data: Any, weights: Any) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        cd = as_customer_data(data, unit_matters=False)
        cd.require(self.columns, "GammaGamma")
        repeat = cd.frame["frequency"].to_numpy(dtype=float) > 0
        if not repeat.any():
            raise DataError("GammaGamma needs repeat buyers (frequency > 0) to fit; the data has none.")
        nonpositive = repeat & (cd.frame["monetary_value"].to_numpy(dtype=float) <= 0)
        if nonpositive.any() and self.exclude_nonpositive:
            warnings.warn(f"GammaGamma: left {int(nonpositive.sum())} of {int(repeat.sum())} repeat buyers with "
                          "monetary_value <= 0 out of the fit (exclude_nonpositive=True).", DataWarning,
                          stacklevel=4)
            repeat &= ~nonpositive
        buyers = cd.frame.loc[repeat]
        fail_rows(buyers, buyers["monetary_value"].to_numpy(dtype=float) <= 0, "monetary_value",
                  "is not positive for a repeat buyer",
                  "Gamma-Gamma models positive spend: remove returns or zero-value orders first, "
                  "or pass GammaGamma(exclude_nonpositive=True) to leave those customers out of the fit.")
        freq = buyers["frequency"].to_numpy(dtype=float)
        spend = buyers["monetary_value"].to_numpy(dtype=float)
        # a constant column has no correlation (np.corrcoef would divide by a zero spread)
        varies = len(buyers) > 2 and np.ptp(freq) > 0 and np.ptp(spend) > 0
        corr = np.corrcoef(freq, spend)[0, 1] if varies else 0.0
        if np.isfinite(corr) and abs(corr) > 0.3:
            warnings.warn(f"frequency and monetary_value correlate ({corr:.2f}) among the {len(buyers)} "
                          "repeat buyers; Gamma-Gamma assumes they are independent.", DataWarning,
                          stacklevel=4)
        packed = cd.compressed(self.columns, weights, mask=repeat)
        provenance = {**cd.provenance, "gamma_gamma_fitted_customers": int(repeat.sum()),
                      "gamma_gamma_left_out_no_repeat": int(len(cd) - (cd.frame["frequency"] > 0).sum())}
        return packed.rows, packed.weights, {"unit": None, "provenance": provenance}

    def _starts(self, rows: np.ndarray, weights: np.ndarray) -> list[np.ndarray]:
        mean_z = float(np.average(rows[:, 1], weights=weights))
        return [np.array([1.0, 1.0, 1.0]), np.array([2.0, 3.0, mean_z]), np.array([5.0, 5.0, mean_z])]

    def _loglik_and_grad(self, params, rows):
        return gg.loglik_and_grad(params, rows[:, 0], rows[:, 1])

    def _spend_rows(self, params: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Expected spend per transaction on unique ``(frequency, monetary_value)`` rows (eq. 8).

        Raises a DataError where it is infinite (q <= 1 makes the mean spend of a customer with
        few purchases infinite) or not finite.
        """
        values = gg.expected_spend(params, rows[:, 0], rows[:, 1])
        bad = ~np.isfinite(values)
        if bad.any():
            first = rows[np.flatnonzero(bad)[0]]
            q = float(params[1])
            why = (f"q = {q:g} <= 1 gives an infinite mean spend p gamma / (q - 1)" if q <= 1
                   else "the parameters are extreme for such rows")
            raise DataError(f"GammaGamma: expected spend is not finite for {int(bad.sum())} of {len(rows)} distinct "
                            f"rows (rows like frequency={first[0]:g}, monetary_value={first[1]:g}): {why}. Refit, "
                            "or check the model file.")
        return values

    def _rows_of(self, data: CustomerData | pd.DataFrame) -> tuple[CustomerData, Any]:
        self._check_fitted()
        cd = as_customer_data(data, unit_matters=False)
        cd.require(self.columns, "GammaGamma")
        return cd, cd.compressed(self.columns, weights=np.ones(len(cd)))

    def expected_spend(self, data: CustomerData | pd.DataFrame) -> pd.Series:
        """Expected spend per future transaction, per customer (Fader & Hardie 2013, eq. 8).

        A weighted average of the population mean ``p gamma / (q - 1)`` and the customer's own
        mean ``monetary_value``, the weight on the latter growing with ``frequency``.
        """
        cd, packed = self._rows_of(data)
        return pd.Series(self._spend_rows(self._p(), packed.rows)[packed.inverse], index=cd.index,
                         name="expected_spend")

    def predict(self, data: CustomerData | pd.DataFrame, horizon: float | None = None, *,
                interval: float | None = None, n_draws: int = 1000,
                random_seed: int | None = None) -> pd.DataFrame:
        """Expected spend per future transaction, per customer, as a DataFrame.

        Column ``expected_spend`` (Fader & Hardie 2013, eq. 8); with ``interval`` also
        ``expected_spend_lower, expected_spend_upper`` over ``n_draws`` parameter draws from
        the MLE's asymptotic normal. ``horizon`` is accepted for the common signature and
        ignored: spend per transaction does not depend on it. The same ``random_seed`` gives the
        same frame; ``None`` draws fresh randomness.
        """
        cd, packed = self._rows_of(data)
        out = pd.DataFrame({"expected_spend": self._spend_rows(self._p(), packed.rows)[packed.inverse]},
                           index=cd.index)
        level = check_interval(interval)
        if level is None:
            return out
        lower, upper = draw_interval(self._spend_rows, self.param_draws(n_draws, random_seed), packed.rows, level)
        out["expected_spend_lower"] = lower[packed.inverse]
        out["expected_spend_upper"] = upper[packed.inverse]
        return out

    def mean_spend(self) -> float:
        """Population mean spend per transaction, ``p gamma / (q - 1)`` (inf if q <= 1)."""
        p, q, gamma = self._p()
        return p * gamma / (q - 1.0) if q > 1 else float("inf")
