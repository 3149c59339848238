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


def load(path: str | os.PathLike[str]) -> Any:
    """Read a model written by ``model.save(path)``.

    Returns
    -------
    The fitted model, of the class it was saved from.
    """
    from clvkit.models._base import MODEL_REGISTRY

    with open(path, encoding="utf-8") as fh:
        try:
            state = json.load(fh)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path} is not a clvkit model file (not JSON: {exc}).") from None
    name = state.get("model") if isinstance(state, dict) else None
    if name not in MODEL_REGISTRY:
        raise DataError(f"{path} does not hold a known clvkit model (model={name!r}; "
                        f"known: {sorted(MODEL_REGISTRY)}).")
    if state.get("format_version", 0) > FORMAT_VERSION:
        raise DataError(f"{path} was written by a newer clvkit ({state.get('clvkit_version')}); upgrade.")
    return MODEL_REGISTRY[name].from_dict(state)
