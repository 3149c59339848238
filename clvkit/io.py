"""Saving and loading fitted models as JSON (never pickle).

The file holds the model's class name, constructor arguments, parameters, covariance, units,
the provenance of the data it was fitted on, and the clvkit version that wrote it.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import signal
import socket
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clvkit.errors import DataError, InputFileError, ModelFileError, OutputError

FORMAT_VERSION = 1


def jsonable(obj: Any) -> Any:
    """Plain JSON values: numpy scalars as Python numbers, timestamps as ISO strings, inf as "inf",
    NaN as None; anything else that is not a JSON type as its string. Used for every model file,
    provenance and table metadata clvkit writes."""
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

#: marks clvkit's temporary files: ``.<name>.clvkit-tmp.<pid>.<host>.<random>`` beside ``<name>``.
TEMP_MARK = ".clvkit-tmp."
#: the signals during which a write in progress removes its temporary files before the process ends.
CLEANUP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _host_tag() -> str:
    """8 hex digits naming this machine (or container), so that pids are compared on their own host."""
    return hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]


def temp_prefix(target: str | os.PathLike[str]) -> str:
    """The start of the names of this process's temporary files for ``target``.

    ``.<name>.clvkit-tmp.<pid>.<host>.``; :func:`tempfile.mkstemp` adds the random rest.
    """
    return f".{Path(target).name}{TEMP_MARK}{os.getpid()}.{_host_tag()}."


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: alive, owned by someone else
        return True
    return True


def remove_stale_temps(target: str | os.PathLike[str]) -> list[Path]:
    """Remove temporary files of ``target`` left by writers that no longer run (killed with SIGKILL,
    or by power loss), and return them.

    The rule: a file beside ``target`` named ``.<name>.clvkit-tmp.<pid>.<host>.<random>`` is removed
    when ``<host>`` is this machine's tag and no process ``<pid>`` exists. Files of live processes
    (a concurrent write), of other machines sharing the folder (their pids mean nothing here) and of
    other targets are left alone. A pid that was reused since keeps its file until a later write.
    Every :func:`atomic_write` applies this rule to its target before writing.
    """
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    pattern = re.compile(re.escape(f".{target.name}{TEMP_MARK}") + r"(\d+)\." + re.escape(_host_tag())
                         + r"\.[A-Za-z0-9_]+")
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        match = pattern.fullmatch(name)
        if match is None or _pid_alive(int(match.group(1))):
            continue
        with contextlib.suppress(FileNotFoundError):
            (folder / name).unlink()
            removed.append(folder / name)
    return removed


class _Guard:
    """Signal handlers that remove the temporary files of the writes in progress.

    While at least one write runs in the main thread, SIGTERM and SIGINT go through
    :meth:`handle`: a signal whose previous disposition was the default (terminate) removes
    every temporary file in progress, restores the default and re-sends the signal, so the
    process ends as it would have (exit status 128 + signum); a previous Python handler (for
    SIGINT, the one raising ``KeyboardInterrupt``) is called, and what it raises unwinds through
    the writes, which remove their temporary files. Signals that were ignored stay ignored.
    During the final renames a signal is held back until they are done, so that a table and its
    sidecar are replaced together. The previous handlers are restored when the last write ends.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.temps: set[str] = set()
        self.depth = 0
        self.previous: dict[int, Any] = {}
        self.committing = 0
        self.pending: list[int] = []

    def enter(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # handlers can only be set from the main thread; failures still clean up
        self.depth += 1
        if self.depth > 1:
            return
        for signum in CLEANUP_SIGNALS:
            previous = signal.getsignal(signum)
            if previous is None or previous == signal.SIG_IGN:
                continue  # set outside Python, or ignored: leave it
            self.previous[signum] = previous
            signal.signal(signum, self.handle)

    def leave(self) -> None:
        if threading.current_thread() is not threading.main_thread() or self.depth == 0:
            return
        self.depth -= 1
        if self.depth > 0:
            return
        previous, self.previous = self.previous, {}
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    def handle(self, signum: int, frame: Any) -> None:
        if self.committing:
            self.pending.append(signum)
            return
        self.dispatch(signum, frame)

    def dispatch(self, signum: int, frame: Any) -> None:
        previous = self.previous.get(signum, signal.SIG_DFL)
        if callable(previous):
            previous(signum, frame)  # e.g. KeyboardInterrupt; the writes clean up as it unwinds
            return
        self.remove_all()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    def remove_all(self) -> None:
        with self.lock:
            temps = list(self.temps)
        for tmp in temps:
            with contextlib.suppress(OSError):
                os.unlink(tmp)

    @contextlib.contextmanager
    def holding_signals(self) -> Iterator[None]:
        self.committing += 1
        try:
            yield
        finally:
            self.committing -= 1
            if not self.committing and self.pending:
                pending, self.pending = self.pending, []
                for signum in dict.fromkeys(pending):
                    self.dispatch(signum, None)


_GUARD = _Guard()


class AtomicFiles:
    """Several files written to temporary files and renamed into place together (see :func:`atomic_files`)."""

    def __init__(self) -> None:
        self._temps: list[tuple[str, Path]] = []
        self._removals: list[Path] = []

    def write(self, path: str | os.PathLike[str], writer: Callable[[str], Any]) -> str:
        """Run ``writer(tmp)`` on a fresh temporary file beside ``path``; return the temporary path."""
        target = Path(path)
        check_output_path(target)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            remove_stale_temps(target)
            with _GUARD.lock:
                fd, tmp = tempfile.mkstemp(prefix=temp_prefix(target), suffix="", dir=target.parent)
                _GUARD.temps.add(tmp)
            self._temps.append((tmp, target))
            os.close(fd)
            writer(tmp)
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual permissions
        except OSError as exc:
            if isinstance(exc, OutputError):
                raise
            raise _output_error(target, exc) from exc
        return tmp

    def remove(self, path: str | os.PathLike[str]) -> None:
        """Remove ``path`` (if it exists) when the files are renamed into place."""
        self._removals.append(Path(path))

    def _commit(self) -> None:
        with _GUARD.holding_signals():
            for tmp, target in self._temps:
                try:
                    os.replace(tmp, target)
                except OSError as exc:
                    raise _output_error(target, exc) from exc
                with _GUARD.lock:
                    _GUARD.temps.discard(tmp)
            for path in self._removals:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()

    def _discard(self) -> None:
        for tmp, _ in self._temps:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            with _GUARD.lock:
                _GUARD.temps.discard(tmp)


@contextlib.contextmanager
def atomic_files() -> Iterator[AtomicFiles]:
    """Write several files all or nothing: each ``files.write(path, writer)`` goes to a temporary
    file; when the block ends without an exception, all are renamed into place (signals held back
    meanwhile), otherwise all temporary files are removed and no target changes.

    SIGTERM and SIGINT during the block remove the temporary files too (see :func:`atomic_write`).
    """
    files = AtomicFiles()
    _GUARD.enter()
    try:
        try:
            yield files
            files._commit()
        except BaseException:
            files._discard()
            raise
    finally:
        _GUARD.leave()


def atomic_write(path: str | os.PathLike[str], writer: Any, *, mode: str = "w") -> None:
    """Write a file through ``writer(tmp_path)`` into a temporary file beside it, then rename.

    ``writer`` receives a temporary *path* (str) so that it can call pandas / pyarrow writers
    directly. What can be left behind, by cause:

    - an exception in ``writer`` or in the rename (full disk, read-only folder): nothing; the
      temporary file is removed, an existing file at ``path`` is untouched, and an ``OSError``
      is raised as :class:`~clvkit.errors.OutputError` naming ``path``;
    - SIGTERM or SIGINT (in the main thread): nothing; handlers installed for the duration of
      the write remove the temporary file, then the process ends as the signal asks (exit status
      128 + signum: 143 for SIGTERM, 130 for Ctrl-C) or the previous Python handler runs; the
      previous handlers are restored after the write;
    - SIGKILL (or power loss): the temporary file ``.<name>.clvkit-tmp.<pid>.<host>.<random>``
      stays, but the next write of ``path`` from this machine removes it once process ``<pid>``
      has ended (:func:`remove_stale_temps`). An existing file at ``path`` is untouched.
    """
    with atomic_files() as files:
        files.write(path, writer)


def check_output_path(path: str | os.PathLike[str]) -> None:
    """An :class:`~clvkit.errors.OutputError` if ``path`` surely cannot be written as a file: it is a
    directory, a folder on its way is a file, or the nearest existing folder is not writable.

    Cheap; the command line calls it before the work so that a long job does not fail at the end.
    """
    target = Path(path)
    if target.is_dir():
        raise OutputError(f"cannot write {target}: it is a directory; give a file name, e.g. "
                          f"{target / 'out.csv'}", errno.EISDIR)
    parent = target.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"cannot write {target}: {parent} is a file, not a folder", errno.ENOTDIR)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {target}: the folder {parent} is not writable", errno.EACCES)


def _output_error(target: Path, exc: OSError) -> OutputError:
    reason = exc.strerror or str(exc)
    return OutputError(f"cannot write {target}: {reason} ({type(exc).__name__}); nothing was written there",
                       exc.errno)


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
    with their posterior draws (needs the ``bayes`` extra). Anything else (another format, a
    damaged or hand-edited state, parameters out of range) raises a
    :class:`~clvkit.errors.ModelFileError` (a :class:`~clvkit.DataError`) naming the file; a
    missing file raises :class:`~clvkit.errors.InputFileError` (a ``FileNotFoundError`` too).
    Parameters are validated on the way in.

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
        raise ModelFileError(f"{path} is a directory, not a clvkit model file.")
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such model file.") from None
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read the model file ({exc.strerror or exc}).") from None
    if raw.startswith(_NETCDF_MAGIC):
        try:
            from clvkit.bayes._base import load as load_netcdf
        except ImportError as exc:
            raise ModelFileError(f"{path} holds posterior draws (NetCDF); reading it needs the bayes extra: "
                                 f"pip install 'clvkit[bayes]' ({exc}).") from None
        return _as_model_file_error(path, load_netcdf, path)
    try:
        state = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path} is not a clvkit model file (neither JSON nor NetCDF: {exc}).") from None
    name = state.get("model") if isinstance(state, dict) else None
    entry = MODELS.get(name) if isinstance(name, str) else None
    cls = entry.cls if entry is not None else MODEL_REGISTRY.get(name) if isinstance(name, str) else None
    if cls is None:
        known = sorted(set(MODELS) | set(MODEL_REGISTRY))
        raise ModelFileError(f"{path} does not hold a known clvkit model (model={name!r}; known: {known}).")
    version = state.get("format_version", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        raise ModelFileError(f"{path}: format_version must be a whole number, got {version!r}.")
    if version > FORMAT_VERSION:
        raise ModelFileError(f"{path} was written by a newer clvkit ({state.get('clvkit_version')}); upgrade.")
    if not hasattr(cls, "from_dict"):
        raise ModelFileError(f"{path}: {name} models are not stored as JSON.")
    return _as_model_file_error(path, cls.from_dict, state)


def _as_model_file_error(path: Any, read: Callable[[Any], Any], arg: Any) -> Any:
    """``read(arg)``, with what a damaged file makes it raise turned into a :class:`ModelFileError`
    that names ``path``."""
    try:
        return read(arg)
    except (ModelFileError, InputFileError):
        raise
    except DataError as exc:
        text = str(exc)
        raise ModelFileError(text if str(path) in text else f"{path}: {text}") from None
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such model file.") from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise ModelFileError(f"{path}: the model file is incomplete or damaged ({type(exc).__name__}: {exc}); "
                             "it was not written by model.save() or was edited by hand.") from None
