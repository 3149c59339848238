"""Reading and writing tables (CSV or Parquet, chosen by file extension), atomically, with their units.

What a table is and in which unit its times are measured travels with the file:

- Parquet: JSON under the key ``b"clvkit"`` of the schema metadata;
- CSV: a sidecar file ``<path>.clvkit.json`` next to the CSV (written atomically after it;
  removed when a CSV is written without metadata, so that no stale sidecar describes it).
  The sidecar records the CSV's size in bytes; a sidecar that no longer matches its CSV
  (the CSV was rewritten by another program) is ignored with a warning.

:func:`read_table` restores the metadata into ``frame.attrs["clvkit"]`` and its unit into
``frame.attrs["unit"]``.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clvkit.errors import DataError, DataWarning, InputFileError
from clvkit.io import atomic_files, check_output_path, jsonable

FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
#: key of the clvkit metadata in a Parquet schema.
PARQUET_KEY = b"clvkit"
#: suffix of the metadata sidecar of a CSV file.
SIDECAR_SUFFIX = ".clvkit.json"


def table_format(path: str | os.PathLike[str]) -> str:
    """``"csv"`` or ``"parquet"`` from the extension; a :class:`DataError` otherwise."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise DataError(f"{path}: unknown table format {suffix!r}; use .csv or .parquet.")
    return FORMATS[suffix]


def check_table_path(path: str | os.PathLike[str]) -> None:
    """Fail early for an output table path that cannot work: unknown extension (:class:`DataError`),
    a directory, a path under a file or in a read-only folder (:class:`~clvkit.errors.OutputError`)."""
    check_output_path(path)
    table_format(path)


def sidecar_path(path: str | os.PathLike[str]) -> Path:
    """Where the metadata of a CSV file lives: ``<path>.clvkit.json``."""
    return Path(os.fspath(path) + SIDECAR_SUFFIX)


def read_table(path: str | os.PathLike[str], index_col: str | None = None, *,
               ids: str | None = None) -> pd.DataFrame:
    """Read a CSV or Parquet file; optionally set ``index_col`` as the index.

    Customer ids are read as they are written: in a CSV, the column ``ids`` and the column
    ``index_col`` are read as strings, so ``007``, ``7`` and ``0007`` stay three customers (an
    empty cell stays missing). Parquet files keep the types they were written with.

    The clvkit metadata of the file (if any) is in ``frame.attrs["clvkit"]`` and its unit in
    ``frame.attrs["unit"]``. A missing file raises :class:`~clvkit.errors.InputFileError`;
    a file that cannot be parsed a :class:`DataError` naming it.
    """
    if not Path(path).exists():
        raise InputFileError(f"{path}: no such file.")
    if Path(path).is_dir():
        raise InputFileError(f"{path} is a directory, not a table file.")
    fmt = table_format(path)
    if fmt == "csv":
        as_text = {name: str for name in (ids, index_col) if name is not None}
        try:
            frame = pd.read_csv(path, dtype=as_text or None)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise DataError(f"{path} cannot be read as CSV: {_one_line(exc)}") from None
        metadata = _read_sidecar(path)
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise DataError(f"{path} cannot be read as Parquet: {_one_line(exc)}") from None
        raw = (table.schema.metadata or {}).get(PARQUET_KEY)
        metadata = _decode(raw, path) if raw is not None else None
        frame = table.to_pandas()
    if index_col is not None and frame.index.name != index_col:  # Parquet keeps the index
        if index_col not in frame.columns:
            raise DataError(f"{path}: column {index_col!r} not found; columns are {list(frame.columns)}.")
        frame = frame.set_index(index_col)
    frame.attrs = {}
    if metadata is not None:
        frame.attrs["clvkit"] = metadata
        if metadata.get("unit"):
            frame.attrs["unit"] = metadata["unit"]
    return frame


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def read_summary(path: str | os.PathLike[str], customer: str | None = None) -> pd.DataFrame:
    """A customer summary file indexed by customer id, with its clvkit metadata in ``attrs``.

    ``customer=None`` takes the column (or Parquet index) ``customer_id`` when there is one, and
    otherwise numbers the rows (a summary without ids, such as compressed BG/BB histories with
    a ``weight`` column); a named ``customer`` column must exist.
    """
    frame = read_table(path, index_col=customer, ids=customer or "customer_id")
    if customer is None and frame.index.name != "customer_id" and "customer_id" in frame.columns:
        attrs = frame.attrs
        frame = frame.set_index("customer_id")
        frame.attrs = attrs
    return frame


def _decode(raw: bytes | str, path: Any) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: its clvkit metadata is not valid JSON ({exc}).") from None
    if not isinstance(value, dict):
        raise DataError(f"{path}: its clvkit metadata is not a JSON object.")
    return value


def _read_sidecar(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    side = sidecar_path(path)
    if not side.exists():
        return None
    content = _decode(side.read_text(encoding="utf-8"), side)
    size = content.get("table_bytes")
    if size is not None and size != Path(path).stat().st_size:
        warnings.warn(f"{side} describes a CSV of {size} bytes but {path} has {Path(path).stat().st_size}: the CSV "
                      "was rewritten without its clvkit metadata, which is ignored.", DataWarning, stacklevel=3)
        return None
    metadata = content.get("metadata")
    return metadata if isinstance(metadata, dict) else None


def write_table(frame: pd.DataFrame, path: str | os.PathLike[str], metadata: dict[str, Any] | None = None,
                index: bool = True) -> None:
    """Write ``frame`` as CSV or Parquet to ``path`` via a temporary file and a rename.

    ``metadata`` (a JSON-able dict, e.g. ``{"kind": "customer_summary", "unit": "W", ...}``)
    goes into the Parquet schema metadata, or into the sidecar ``<path>.clvkit.json`` of a CSV.
    Writing a CSV without metadata removes an old sidecar. The table and its sidecar are
    replaced together (:func:`clvkit.io.atomic_files`): a failure or a signal leaves both as
    they were.

    A table of scores (``metadata["kind"] == "scores"``) with a missing or infinite value in
    a value column is refused with a :class:`DataError` before anything is written: clvkit
    never writes a wrong answer silently.
    """
    fmt = table_format(path)
    if metadata is not None and metadata.get("kind") == "scores":
        check_scores_finite(frame, path)
    encoded = None if metadata is None else json.dumps(jsonable(metadata), sort_keys=True)

    def write(tmp: str) -> None:
        if fmt == "csv":
            frame.to_csv(tmp, index=index)
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        plain = frame.copy(deep=False)
        plain.attrs = {}
        table = pa.Table.from_pandas(plain, preserve_index=index)
        if encoded is not None:
            table = table.replace_schema_metadata({**(table.schema.metadata or {}), PARQUET_KEY: encoded.encode()})
        pq.write_table(table, tmp)

    with atomic_files() as files:
        tmp = files.write(path, write)
        if fmt != "csv":
            return
        side = sidecar_path(path)
        if encoded is None:
            files.remove(side)
            return
        content = {"format": "clvkit table metadata", "table": Path(path).name,
                   "table_bytes": Path(tmp).stat().st_size, "metadata": json.loads(encoded)}

        def write_sidecar(tmp: str) -> None:
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(content, fh, indent=2, sort_keys=True)

        files.write(side, write_sidecar)


#: the value columns of a scores table (and their ``_lower`` / ``_upper`` bounds).
SCORE_COLUMNS = ("expected_purchases", "p_alive", "discounted_purchases", "expected_spend", "clv")


def check_scores_finite(frame: pd.DataFrame, path: Any) -> None:
    """A :class:`DataError` if a value column of a scores table holds NaN or infinity."""
    for column in frame.columns:
        base = str(column).removesuffix("_lower").removesuffix("_upper")
        if base not in SCORE_COLUMNS or not pd.api.types.is_numeric_dtype(frame[column]):
            continue
        values = frame[column].to_numpy(dtype=float)
        bad = ~np.isfinite(values)
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise DataError(f"refusing to write {path}: column {str(column)!r} is NaN or infinite for "
                            f"{int(bad.sum())} of {len(values)} customers (first: {frame.index[first]!r}: "
                            f"{float(values[first])}); the model's numbers are not usable (an unconverged fit or "
                            "parameters out of range?). Check `clvkit fit`'s warnings and refit.")


def table_unit(frame: pd.DataFrame, unit: str | None, path: Any, *, required: bool = True) -> str | None:
    """The time unit of a table read by :func:`read_table`: what the file says, else ``unit``.

    A :class:`DataError` when both are given and differ (the file knows best), or when neither
    is and ``required`` (clvkit never guesses between days and weeks).
    """
    from clvkit.data.units import check_unit

    declared = frame.attrs.get("unit")
    given = None if unit is None else check_unit(unit)
    if declared is not None:
        declared = check_unit(declared)
        if given is not None and given != declared:
            raise DataError(f"{path} says its times are in unit {declared!r} (clvkit metadata) but unit {given!r} "
                            f"was given (--unit {given}); drop --unit or pass --unit {declared}.")
        return declared
    if given is None and required:
        raise DataError(f"{path} does not say in which unit recency and T are measured (no clvkit metadata: "
                        f"a Parquet file written by clvkit, or a CSV with its {SIDECAR_SUFFIX} sidecar); say it with "
                        "--unit (unit= in Python): D, W, M, Q or Y, e.g. --unit W for weeks.")
    return given
