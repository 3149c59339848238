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

from clvkit.errors import DataError, DataWarning
from clvkit.io import atomic_write

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


def sidecar_path(path: str | os.PathLike[str]) -> Path:
    """Where the metadata of a CSV file lives: ``<path>.clvkit.json``."""
    return Path(os.fspath(path) + SIDECAR_SUFFIX)


def jsonable(obj: Any) -> Any:
    """Plain JSON values: numpy scalars as Python numbers, timestamps as ISO strings, inf as "inf"."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, pd.Timestamp):
        return obj.isoformat()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None if np.isnan(obj) else ("inf" if obj > 0 else "-inf")
    if obj is None or isinstance(obj, str | int | float | bool):
        return obj
    return str(obj)


def read_table(path: str | os.PathLike[str], index_col: str | None = None) -> pd.DataFrame:
    """Read a CSV or Parquet file; optionally set ``index_col`` as the index.

    The clvkit metadata of the file (if any) is in ``frame.attrs["clvkit"]`` and its unit in
    ``frame.attrs["unit"]``.
    """
    if not Path(path).exists():
        raise DataError(f"{path}: no such file.")
    if table_format(path) == "csv":
        frame = pd.read_csv(path)
        metadata = _read_sidecar(path)
    else:
        import pyarrow.parquet as pq

        table = pq.read_table(path)
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


def read_summary(path: str | os.PathLike[str], customer: str | None = None) -> pd.DataFrame:
    """A customer summary file indexed by customer id, with its clvkit metadata in ``attrs``.

    ``customer=None`` takes the column (or Parquet index) ``customer_id`` when there is one, and
    otherwise numbers the rows (a summary without ids, such as compressed BG/BB histories with
    a ``weight`` column); a named ``customer`` column must exist.
    """
    frame = read_table(path, index_col=customer)
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
    Writing a CSV without metadata removes an old sidecar.
    """
    fmt = table_format(path)
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

    atomic_write(path, write)
    if fmt != "csv":
        return
    side = sidecar_path(path)
    if encoded is None:
        if side.exists():
            side.unlink()
        return
    content = {"format": "clvkit table metadata", "table": Path(path).name,
               "table_bytes": Path(path).stat().st_size, "metadata": json.loads(encoded)}

    def write_sidecar(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(content, fh, indent=2, sort_keys=True)

    atomic_write(side, write_sidecar)


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
