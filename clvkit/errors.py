"""Exceptions and warnings raised by clvkit.

Every error a user can trigger with bad input is a :class:`DataError`, which is also a
``ValueError`` so that ``except ValueError`` keeps working. Messages name the column, the
number of offending rows and one example, and say what to do about it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


class ClvkitError(Exception):
    """Base class of every exception clvkit raises on purpose."""


class DataError(ClvkitError, ValueError):
    """Input data (or an argument) that the library cannot use as given."""


class ModelFileError(DataError):
    """A model file that clvkit cannot use: not JSON or NetCDF, not written by clvkit, or damaged.

    The command line exits with code 3 for it.
    """


class ConvergenceError(DataError):
    """A fit that did not converge (e.g. data that do not identify the model) was refused.

    The command line exits with code 4 for it (``clvkit fit`` and ``clvkit score`` refuse
    unconverged models unless ``--allow-unconverged``).
    """


class InputFileError(DataError, FileNotFoundError):
    """An input file (table or model) that does not exist. The command line exits with code 5."""


class OutputError(ClvkitError, OSError):
    """An output that cannot be written: the path is a directory or lies under a file, the folder
    is read-only, the disk is full. Nothing is left at the path (see :func:`clvkit.io.atomic_write`).
    The command line exits with code 5.
    """

    def __init__(self, message: str, errno: int | None = None) -> None:
        super().__init__(message)
        self.errno = errno


class NotFittedError(ClvkitError, AttributeError):
    """A fitted quantity was asked of a model that has not been fitted."""


class ConvergenceWarning(RuntimeWarning):
    """An optimiser or sampler did not reach a trustworthy answer."""


class DataWarning(UserWarning):
    """Input data was usable but something about it deserves attention."""


def plain(value: Any) -> Any:
    """A numpy scalar as the Python number it holds, so messages read ``4``, not ``np.int64(4)``."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def fail_rows(
    frame: pd.DataFrame | pd.Series,
    bad: Any,
    column: str,
    problem: str,
    advice: str = "",
) -> None:
    """Raise a :class:`DataError` if any row of ``bad`` is true.

    Parameters
    ----------
    frame
        The rows being checked (their index is used to name the first offender).
    bad
        Boolean mask aligned with ``frame``.
    column
        The column (or argument) at fault, named in the message.
    problem
        What is wrong, e.g. ``"is negative"``.
    advice
        What the user can do about it.
    """
    mask = np.asarray(bad, dtype=bool)
    if not mask.any():
        return
    n_bad = int(mask.sum())
    first = int(np.flatnonzero(mask)[0])
    if isinstance(frame, pd.DataFrame):
        example = frame.iloc[[first]].to_dict("records")[0]
        label = plain(frame.index[first])
        shown = f"index {label!r}: { {k: plain(v) for k, v in example.items()} }"
    else:
        shown = f"index {plain(frame.index[first])!r}: {plain(frame.iloc[first])!r}"
    message = f"column {column!r} {problem} in {n_bad} of {len(mask)} rows (first at {shown})."
    if advice:
        message += " " + advice
    raise DataError(message)
