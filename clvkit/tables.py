"""Reading and writing tables (CSV or Parquet, chosen by file extension), atomically."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from clvkit.errors import DataError
from clvkit.io import atomic_write

FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def table_format(path: str | os.PathLike[str]) -> str:
    """``"csv"`` or ``"parquet"`` from the extension; a :class:`DataError` otherwise."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise DataError(f"{path}: unknown table format {suffix!r}; use .csv or .parquet.")
    return FORMATS[suffix]


def read_table(path: str | os.PathLike[str], index_col: str | None = None) -> pd.DataFrame:
    """Read a CSV or Parquet file; optionally set ``index_col`` as the index."""
    if not Path(path).exists():
        raise DataError(f"{path}: no such file.")
    frame = pd.read_csv(path) if table_format(path) == "csv" else pd.read_parquet(path)
    if index_col is not None and frame.index.name != index_col:  # Parquet keeps the index
        if index_col not in frame.columns:
            raise DataError(f"{path}: column {index_col!r} not found; columns are {list(frame.columns)}.")
        frame = frame.set_index(index_col)
    return frame


def write_table(frame: pd.DataFrame, path: str | os.PathLike[str], index: bool = True) -> None:
    """Write ``frame`` as CSV or Parquet to ``path`` via a temporary file and a rename."""
    fmt = table_format(path)

    def write(tmp: str) -> None:
        if fmt == "csv":
            frame.to_csv(tmp, index=index)
        else:
            frame.to_parquet(tmp, index=index)

    atomic_write(path, write)
