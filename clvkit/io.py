"""Saving and loading fitted models as JSON (never pickle).

The file holds the model's class name, constructor arguments, parameters, covariance, units,
the provenance of the data it was fitted on, and the clvkit version that wrote it.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from clvkit.errors import DataError

FORMAT_VERSION = 1


def atomic_write(path: str | os.PathLike[str], writer: Any, *, mode: str = "w") -> None:
    """Write a file through ``writer(handle_or_path)`` into a temporary file, then rename.

    A failure leaves no half-written file at ``path``. ``writer`` receives a temporary *path*
    (str) so that it can call pandas / pyarrow writers directly.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        writer(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save_model(model: Any, path: str | os.PathLike[str]) -> None:
    """Write a fitted model to ``path`` as JSON, atomically."""
    from clvkit import __version__

    state = model.to_dict()
    state["format_version"] = FORMAT_VERSION
    state["clvkit_version"] = __version__

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(state, fh, indent=2, allow_nan=True)

    atomic_write(path, write)


#: the first bytes of a NetCDF file: HDF5-based NetCDF-4, or classic NetCDF-3.
_NETCDF_MAGIC = (b"\x89HDF\r\n\x1a\n", b"CDF\x01", b"CDF\x02")


def load(path: str | os.PathLike[str]) -> Any:
    """Read any model written by ``model.save(path)``, deciding by the file's content.

    JSON files hold maximum-likelihood and Dwyer models; NetCDF files hold Bayesian models
    with their posterior draws (needs the ``bayes`` extra). Anything else raises a
    :class:`~clvkit.DataError`. Parameters are validated on the way in.

    Returns
    -------
    The fitted model, of the class it was saved from.

    Examples
    --------
    >>> import clvkit as ck, tempfile, os
    >>> m = ck.BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    >>> path = os.path.join(tempfile.mkdtemp(), "bgnbd.json")
    >>> m.save(path)
    >>> ck.load(path).params_.tolist()
    [0.243, 4.414, 0.793, 2.426]
    """
    from clvkit._contract import MODELS
    from clvkit.models._base import MODEL_REGISTRY

    if os.path.isdir(path):
        raise DataError(f"{path} is a directory, not a clvkit model file.")
    with open(path, "rb") as fh:
        raw = fh.read()
    if raw.startswith(_NETCDF_MAGIC):
        try:
            from clvkit.bayes._base import load as load_netcdf
        except ImportError as exc:
            raise DataError(f"{path} holds posterior draws (NetCDF); reading it needs the bayes extra: "
                            f"pip install 'clvkit[bayes]' ({exc}).") from None
        return load_netcdf(path)
    try:
        state = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{path} is not a clvkit model file (neither JSON nor NetCDF: {exc}).") from None
    name = state.get("model") if isinstance(state, dict) else None
    entry = MODELS.get(name) if isinstance(name, str) else None
    cls = entry.cls if entry is not None else MODEL_REGISTRY.get(name) if isinstance(name, str) else None
    if cls is None:
        known = sorted(set(MODELS) | set(MODEL_REGISTRY))
        raise DataError(f"{path} does not hold a known clvkit model (model={name!r}; known: {known}).")
    if state.get("format_version", 0) > FORMAT_VERSION:
        raise DataError(f"{path} was written by a newer clvkit ({state.get('clvkit_version')}); upgrade.")
    if not hasattr(cls, "from_dict"):
        raise DataError(f"{path}: {name} models are not stored as JSON.")
    return cls.from_dict(state)
