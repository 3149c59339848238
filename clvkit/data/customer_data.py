"""CustomerData: the per-customer summary every event-forecast model reads.

It carries its time unit, so that a model fitted in weeks refuses data in days, and it
compresses identical rows into one row with a weight, so that no model loops over customers.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from clvkit.data.transactions import check_id_types
from clvkit.data.units import check_unit
from clvkit.errors import DataError, DataWarning, fail_rows, plain

#: Columns with a meaning clvkit checks whenever they are present.
NON_NEGATIVE = ("frequency", "recency", "T", "n_periods", "monetary_value", "weight",
                "frequency_holdout", "monetary_value_holdout", "duration_holdout")
INTEGER = ("frequency", "n_periods", "frequency_holdout")


class Compressed(NamedTuple):
    """Unique rows of some columns, how often each occurs, and where each customer went."""

    rows: np.ndarray      # (n_unique, n_columns) float64
    weights: np.ndarray   # (n_unique,) float64: customers (or given weights) per unique row
    inverse: np.ndarray   # (n_customers,) int64: unique row of each customer


@dataclass(frozen=True, eq=False)
class CustomerData:
    """Per-customer summary (frequency, recency, T, monetary_value, ...) with its units.

    Build it with :func:`clvkit.summarize` from a transaction log, or with
    :meth:`CustomerData.from_frame` from a summary you already have.

    Attributes
    ----------
    frame : pandas.DataFrame
        Indexed by customer id. Columns follow the BTYD tradition: ``frequency`` (repeat
        purchases), ``recency`` (first to last purchase), ``T`` (first purchase to the end of
        calibration), ``monetary_value`` (mean value of the repeat purchases) and, with a
        holdout, ``frequency_holdout``, ``monetary_value_holdout``, ``duration_holdout``.
        Discrete-time data (BG/BB) has ``n_periods`` instead of ``T``. An optional ``weight``
        column counts how many customers a row stands for.
    unit : str
        The ruler for recency and T: D, W, M, Q or Y.
    grain : str or None
        Which events were merged into one purchase (e.g. ``"D"``: same-day purchases).
    end, calibration_end : pandas.Timestamp or None
        End of observation and of the calibration period.
    provenance : dict
        Counts of what was merged or left out when the summary was built.
    """

    frame: pd.DataFrame
    unit: str = "W"
    grain: str | None = None
    end: pd.Timestamp | None = None
    calibration_end: pd.Timestamp | None = None
    provenance: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "unit", check_unit(self.unit))
        validate_summary(self.frame)
        declared = self.frame.attrs.get("unit")
        if declared is not None and check_unit(declared) != self.unit:
            raise DataError(f"the frame says its times are in unit {declared!r} (frame.attrs['unit']) but "
                            f"CustomerData was given unit={self.unit!r}; pass unit={declared!r} or convert "
                            "recency and T first.")
        self.frame.attrs["unit"] = self.unit  # so that data.frame passed on its own keeps its unit

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        unit: str = "W",
        *,
        customer: str | None = None,
        columns: dict[str, str] | None = None,
    ) -> CustomerData:
        """Wrap a per-customer summary a user already has.

        Parameters
        ----------
        df
            One row per customer with some of ``frequency, recency, T, monetary_value,
            n_periods, weight`` and the holdout columns.
        unit
            The unit recency and T are measured in.
        customer
            Column holding the customer id; by default the frame's index is the id.
        columns
            Renaming from the user's names to clvkit's, e.g. ``{"x": "frequency",
            "t_x": "recency", "zbar": "monetary_value"}``.
        """
        if not isinstance(df, pd.DataFrame):
            raise DataError(f"expected a pandas DataFrame of per-customer rows, got {type(df).__name__}.")
        frame = df.rename(columns=columns) if columns else df.copy()
        duplicated = frame.columns[frame.columns.duplicated()]
        if len(duplicated):
            raise DataError(f"column(s) {sorted(map(str, set(duplicated)))} appear more than once after "
                            f"renaming with columns={columns!r}; each clvkit column must come from one column.")
        if customer is not None:
            if customer not in frame.columns:
                raise DataError(f"customer column {customer!r} not found; columns are {list(frame.columns)}.")
            frame = frame.set_index(customer)
        frame.attrs["unit"] = check_unit(unit)
        return cls(frame=frame, unit=unit, provenance={"source": "from_frame", "rows": len(frame)})

    @classmethod
    def from_lifetimes(cls, df: pd.DataFrame, unit: str, *, customer: str | None = None,
                       holdout: bool | None = None) -> CustomerData:
        """Wrap a summary made by lifetimes (``summary_data_from_transaction_data`` or
        ``calibration_and_holdout_data``).

        lifetimes names the calibration columns ``frequency_cal, recency_cal, T_cal,
        monetary_value_cal`` and the holdout ones ``frequency_holdout, monetary_value_holdout,
        duration_holdout``; plain summaries use ``frequency, recency, T, monetary_value`` as
        clvkit does. lifetimes measures time in its ``freq`` (days by default, times
        ``freq_multiplier``), which the frame does not record: say it with ``unit``
        (``"D"`` for lifetimes' default, ``"W"`` for ``freq="D", freq_multiplier=7`` or
        ``freq="W"``).

        Parameters
        ----------
        df
            The lifetimes summary, indexed by customer id (or with a ``customer`` column).
        unit
            The unit of recency and T in that frame; required, as lifetimes does not store it.
        customer
            Column holding the customer id, if the id is not the index.
        holdout
            Whether to keep the holdout columns (default: keep them when present).

        Examples
        --------
        >>> import pandas as pd
        >>> import clvkit as ck
        >>> lt = pd.DataFrame({"frequency_cal": [2.0, 0.0], "recency_cal": [30.0, 0.0], "T_cal": [38.0, 38.0],
        ...                    "monetary_value_cal": [20.0, 0.0], "frequency_holdout": [1.0, 0.0],
        ...                    "duration_holdout": [39.0, 39.0]}, index=pd.Index([7, 8], name="CustomerID"))
        >>> data = ck.CustomerData.from_lifetimes(lt, unit="W")
        >>> data.unit, data.frame.columns.tolist()[:4]
        ('W', ['frequency', 'recency', 'T', 'monetary_value'])
        """
        if not isinstance(df, pd.DataFrame):
            raise DataError(f"expected the lifetimes summary DataFrame, got {type(df).__name__}.")
        renames = {f"{name}_cal": name for name in ("frequency", "recency", "T", "monetary_value")}
        frame = df.rename(columns={k: v for k, v in renames.items() if k in df.columns})
        holdout_columns = [c for c in ("frequency_holdout", "monetary_value_holdout", "duration_holdout")
                           if c in frame.columns]
        if holdout is False:
            frame = frame.drop(columns=holdout_columns)
        elif holdout and "frequency_holdout" not in frame.columns:
            raise DataError("holdout=True but the lifetimes frame has no 'frequency_holdout' column; build it "
                            "with lifetimes.utils.calibration_and_holdout_data.")
        return cls.from_frame(frame, unit=unit, customer=customer)

    # ------------------------------------------------------------------ access
    def __len__(self) -> int:
        return len(self.frame)

    def __repr__(self) -> str:
        cols = ", ".join(map(str, self.frame.columns))
        ends = ""
        if self.calibration_end is not None:
            ends += f", calibration_end={self.calibration_end.date()}"
        if self.end is not None:
            ends += f", end={self.end.date()}"
        return f"CustomerData({len(self)} customers, unit={self.unit!r}{ends}; columns: {cols})"

    @property
    def index(self) -> pd.Index:
        """Customer ids."""
        return self.frame.index

    @property
    def has_holdout(self) -> bool:
        """Whether the frame carries holdout columns."""
        return "frequency_holdout" in self.frame.columns

    def require(self, columns: tuple[str, ...] | list[str], who: str = "this model") -> None:
        """Raise a :class:`DataError` naming the columns ``who`` needs and the frame lacks."""
        missing = [c for c in columns if c not in self.frame.columns]
        if missing:
            raise DataError(
                f"{who} needs column(s) {missing}, which the data lacks "
                f"(it has {list(self.frame.columns)}).")

    def column(self, name: str) -> np.ndarray:
        """One column as a float64 array."""
        self.require([name])
        return self.frame[name].to_numpy(dtype=np.float64)

    def weights(self) -> np.ndarray:
        """The ``weight`` column, or ones."""
        if "weight" in self.frame.columns:
            return self.frame["weight"].to_numpy(dtype=np.float64)
        return np.ones(len(self.frame))

    def compressed(self, columns: tuple[str, ...] | list[str], weights: Any = None,
                   mask: np.ndarray | None = None) -> Compressed:
        """Unique rows of ``columns`` with summed weights.

        Parameters
        ----------
        columns
            Columns that define a row (e.g. ``("frequency", "recency", "T")``).
        weights
            Per-customer weights; by default the ``weight`` column, or one per customer.
        mask
            Keep only these customers (e.g. repeat buyers for Gamma-Gamma). ``inverse`` then
            refers to the kept customers.
        """
        self.require(columns)
        values = self.frame.loc[:, list(columns)].to_numpy(dtype=np.float64)
        w = self.weights() if weights is None else np.asarray(weights, dtype=np.float64)
        if w.shape != (len(self.frame),):
            raise DataError(f"weights must have one entry per customer ({len(self.frame)}), got shape {w.shape}.")
        if mask is not None:
            values, w = values[mask], w[mask]
        return compress(values, w)

    def with_frame(self, frame: pd.DataFrame) -> CustomerData:
        """A copy with another frame and the same units and provenance."""
        return CustomerData(frame=frame, unit=self.unit, grain=self.grain, end=self.end,
                            calibration_end=self.calibration_end, provenance=dict(self.provenance))


def compress(values: np.ndarray, weights: np.ndarray) -> Compressed:
    """Group identical rows of a 2-d float array; sum their weights.

    Each column is factorised on its own, the codes are combined into one integer key column by
    column (re-factorising whenever the key space would overflow int64), and the key is factorised
    once more: linear time, about 0.2 s for a million rows.
    """
    n_rows, n_cols = values.shape
    if n_rows == 0:
        return Compressed(values.reshape(0, n_cols), np.zeros(0), np.zeros(0, dtype=np.int64))
    key = np.zeros(n_rows, dtype=np.int64)
    n_keys = 1
    for j in range(n_cols):
        codes, uniques = pd.factorize(values[:, j], sort=False)
        if n_keys * len(uniques) >= 2**62:
            key, kept = pd.factorize(key, sort=False)
            n_keys = len(kept)
        key = key * len(uniques) + codes
        n_keys *= len(uniques)
    inverse, _ = pd.factorize(key, sort=False)
    first = np.full(inverse.max() + 1, -1, dtype=np.int64)
    first[inverse[::-1]] = np.arange(n_rows - 1, -1, -1)  # first occurrence of each group
    rows = np.ascontiguousarray(values[first], dtype=np.float64)
    w = np.bincount(inverse, weights=weights, minlength=len(rows))
    return Compressed(rows, w, inverse.astype(np.int64))


def validate_summary(frame: pd.DataFrame) -> None:
    """Check a per-customer summary; raise :class:`DataError` on the first problem found.

    Checks, for whichever of the standard columns are present: numeric, no NaN or infinity,
    non-negative, integer counts, ``recency <= T`` (or ``<= n_periods``), no recency without a
    repeat purchase, and customer ids (the index) that are unique, not NaN and of one type
    (``1`` and ``"1"`` would be two customers that print alike).
    """
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(frame).__name__}.")
    if len(frame) == 0:
        raise DataError("the customer summary is empty: there is nothing to fit or score.")
    if not isinstance(frame.index, pd.MultiIndex):
        ids = pd.Series(frame.index, index=frame.index)
        fail_rows(frame, ids.isna().to_numpy(), "customer id (index)", "is NaN",
                  "Every customer needs an id; drop or fill these rows explicitly.")
        check_id_types(frame, ids, "customer id (index)")
    dup = frame.index.duplicated(keep=False)
    if dup.any():
        first = frame.index[dup][0]
        raise DataError(
            f"customer id (index) is duplicated in {int(dup.sum())} of {len(frame)} rows "
            f"(first: {plain(first)!r}); a summary has one row per customer.")
    for col in NON_NEGATIVE:
        if col not in frame.columns:
            continue
        values = pd.to_numeric(frame[col], errors="coerce")
        fail_rows(frame, values.isna() & frame[col].notna(), col, "is not numeric")
        fail_rows(frame, values.isna(), col, "is NaN", "Fill or drop these customers explicitly.")
        arr = values.to_numpy(dtype=np.float64)
        fail_rows(frame, ~np.isfinite(arr), col, "is infinite")
        fail_rows(frame, arr < 0, col, "is negative")
        if col in INTEGER:
            fail_rows(frame, arr != np.round(arr), col, "is not a whole number",
                      "It counts purchases (or periods), so it must be an integer.")
    if "recency" in frame.columns:
        for limit in ("T", "n_periods"):
            if limit in frame.columns:
                fail_rows(frame, frame["recency"].to_numpy(float) > frame[limit].to_numpy(float) + 1e-9,
                          "recency", f"exceeds {limit}",
                          f"recency counts from the first purchase, so it cannot exceed {limit}. "
                          "Rebuild the summary with clvkit.summarize() or check the observation end.")
        if "frequency" in frame.columns:
            fail_rows(frame, (frame["frequency"].to_numpy(float) == 0) & (frame["recency"].to_numpy(float) > 0),
                      "recency", "is positive for a customer with frequency 0",
                      "A customer with no repeat purchase has recency 0.")


def as_customer_data(data: CustomerData | pd.DataFrame, unit: str | None = None, *,
                     unit_matters: bool = True) -> CustomerData:
    """Accept a :class:`CustomerData` or a plain summary DataFrame.

    The unit rule for a plain DataFrame: its ``attrs["unit"]`` when set (``summarize(...).frame``,
    ``CustomerData.from_frame`` and the built-in data sets set it); otherwise ``unit`` (a fitted
    model passes its own unit; ``"W"`` when fitting), with a :class:`~clvkit.DataWarning` saying
    so, because clvkit cannot tell days from weeks by looking at numbers. Pass
    ``CustomerData.from_frame(df, unit=...)`` (or set ``df.attrs["unit"]``) to state it.
    ``unit_matters=False`` (spend models) skips the warning.
    """
    if isinstance(data, CustomerData):
        return data
    if isinstance(data, pd.DataFrame):
        declared = data.attrs.get("unit")
        if declared is not None:
            return CustomerData.from_frame(data, unit=declared)
        assumed = unit or "W"
        if unit_matters:
            warnings.warn(
                f"this DataFrame does not say in which unit recency and T are measured; taking {assumed!r}. "
                f"Wrap it as ck.CustomerData.from_frame(df, unit=...) (or set df.attrs['unit']) to say so: "
                "data in days read as weeks gives numbers off by a factor of 7.", DataWarning, stacklevel=4)
        return CustomerData.from_frame(data, unit=assumed)
    raise DataError(f"expected CustomerData or a pandas DataFrame, got {type(data).__name__}.")
