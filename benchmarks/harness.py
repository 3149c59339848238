"""A small wall-clock benchmark harness: several competitors, same data, one run, alternating.

Why alternating: on a shared machine the background load drifts over minutes. Timing all runs
of one library and then all runs of the other lets that drift land on one side only; running
them round-robin (A B C, A B C, ...) spreads it over every competitor.

What is timed: each competitor gets one warm-up call first (not timed: imports, numba
compilation, caches), then ``repeats`` timed calls in round-robin order. We report the median
(the headline number) and the minimum (the least disturbed run) of the wall times, and the
ratio ``median(competitor) / median(baseline)``: 25 means the baseline is 25 times faster.

A competitor may time itself (e.g. a library running in a worker process, which must not be
charged for the pipe) by returning :class:`Measured`; otherwise the harness times the call with
:func:`time.perf_counter`. A competitor that exceeds its own time limit raises
:class:`Stopped`; it is reported as ``> X s (stopped)`` and is not called again.

No timing is ever asserted anywhere: the numbers are for reading, not for gating CI.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import selectors
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass
class Measured:
    """A competitor's own measurement of one call: ``seconds`` and whatever it returns."""

    seconds: float
    value: Any = None


class Stopped(Exception):  # noqa: N818 (it is a state, not an error)
    """Raised by a competitor that went past its time limit; it is not called again."""

    def __init__(self, limit: float, message: str = "") -> None:
        super().__init__(message or f"stopped after {limit:g} s")
        self.limit = float(limit)


@dataclass
class Competitor:
    """One contestant.

    Parameters
    ----------
    name
        Label in the table (e.g. ``"clvkit"``, ``"lifetimes"``).
    run
        The timed work: a no-argument callable. Return a :class:`Measured` to report your own
        time; anything else is wall-clocked by the harness. The last return value is kept.
    warmup
        Called once before the timed rounds and not timed. ``None``: call ``run`` once.
    note
        Free text shown in the table (e.g. ``"MAP, flat priors"``).
    """

    name: str
    run: Callable[[], Any]
    warmup: Callable[[], Any] | None = None
    note: str = ""


@dataclass
class Timing:
    """The timed calls of one competitor in one case."""

    name: str
    seconds: list[float] = field(default_factory=list)
    stopped_after: float | None = None
    value: Any = None
    note: str = ""
    error: str | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else float("nan")

    @property
    def min(self) -> float:
        return min(self.seconds) if self.seconds else float("nan")

    @property
    def stopped(self) -> bool:
        return self.stopped_after is not None

    def label(self, which: str = "median") -> str:
        """``"1.234"`` seconds, or ``"> 600 (stopped)"``, or ``"error"``."""
        if self.stopped and not self.seconds:
            return f"> {self.stopped_after:g} (stopped)"
        if self.error is not None and not self.seconds:
            return "error"
        value = self.median if which == "median" else self.min
        return _fmt_seconds(value)


@dataclass
class CaseResult:
    """All competitors on one case (one data set, one task)."""

    case: str
    timings: dict[str, Timing]
    order: list[str]
    baseline: str
    extra: dict[str, str] = field(default_factory=dict)

    def ratio(self, name: str) -> float:
        """``median(name) / median(baseline)``; for a stopped competitor, a lower bound."""
        base = self.timings[self.baseline].median
        t = self.timings[name]
        top = t.median if t.seconds else (t.stopped_after if t.stopped else float("nan"))
        return top / base if base and base > 0 else float("nan")

    def ratio_label(self, name: str) -> str:
        if name == self.baseline:
            return "1 (baseline)"
        r = self.ratio(name)
        if r != r:  # nan
            return "n/a"
        t = self.timings[name]
        prefix = "> " if (t.stopped and not t.seconds) else ""
        return f"{prefix}{r:.1f}x" if r >= 10 else f"{prefix}{r:.2f}x"


def run_case(
    case: str,
    competitors: Sequence[Competitor],
    repeats: int = 3,
    *,
    baseline: str = "clvkit",
    clock: Callable[[], float] = time.perf_counter,
    log: Callable[[str], None] | None = print,
) -> CaseResult:
    """Time ``competitors`` on one case: warm-up each once, then ``repeats`` round-robin rounds.

    The call order of the timed runs is ``[c1, c2, ..., c1, c2, ...]`` (kept in
    ``CaseResult.order``), so background load drifts over all competitors alike. A competitor
    that raises :class:`Stopped` is marked and skipped from then on; any other exception is
    recorded as an error for that competitor and it is skipped too, so one broken peer does not
    lose the whole run.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats!r}")
    names = [c.name for c in competitors]
    if len(set(names)) != len(names):
        raise ValueError(f"competitor names must be unique, got {names}")
    if baseline not in names:
        raise ValueError(f"baseline {baseline!r} is not among the competitors {names}")
    timings = {c.name: Timing(c.name, note=c.note) for c in competitors}
    order: list[str] = []

    def call(comp: Competitor, fn: Callable[[], Any], timed: bool) -> None:
        t = timings[comp.name]
        try:
            start = clock()
            value = fn()
            elapsed = clock() - start
        except Stopped as stop:
            t.stopped_after = stop.limit
            _say(log, f"  {case}: {comp.name} stopped after {stop.limit:g} s")
            return
        except Exception as exc:  # a broken peer must not lose the whole run
            t.error = f"{type(exc).__name__}: {exc}"
            _say(log, f"  {case}: {comp.name} failed: {t.error}")
            return
        if isinstance(value, Measured):
            elapsed, value = value.seconds, value.value
        t.value = value
        if timed:
            t.seconds.append(float(elapsed))
            _say(log, f"  {case}: {comp.name} {elapsed:.3f} s")

    for comp in competitors:
        call(comp, comp.warmup or comp.run, timed=False)
    for _ in range(repeats):
        for comp in competitors:
            t = timings[comp.name]
            if t.stopped or t.error is not None:
                continue
            order.append(comp.name)
            call(comp, comp.run, timed=True)
    return CaseResult(case=case, timings=timings, order=order, baseline=baseline)


# ---------------------------------------------------------------------- reporting
def machine_info() -> dict[str, str]:
    """CPU count, load, Python and library versions, date (UTC): the context of the numbers."""
    info: dict[str, str] = {
        "date (UTC)": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M"),
        "cpu count": str(os.cpu_count()),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }
    if hasattr(os, "sched_getaffinity"):
        info["cpus usable"] = str(len(os.sched_getaffinity(0)))
    if hasattr(os, "getloadavg"):
        info["load average (1, 5, 15 min)"] = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    for dist in ("clvkit", "numpy", "scipy", "pandas", "numba", "lifetimes", "pymc", "pymc-marketing"):
        try:
            info[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            info[dist] = "not installed"
    info["clvkit checkout"] = _git_state(Path(__file__).resolve().parent.parent)
    threads = [f"{k}={os.environ[k]}" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                 "MKL_NUM_THREADS", "NUMBA_NUM_THREADS") if k in os.environ]
    info["thread env"] = ", ".join(threads) or "defaults"
    return info


def render_markdown(title: str, results: Sequence[CaseResult], machine: dict[str, str] | None = None,
                    notes: Sequence[str] = (), repeats: int | None = None) -> str:
    """One markdown table over all cases, then per-case extras, notes and machine info."""
    lines = [f"# {title}", ""]
    if repeats is not None:
        lines += [f"Wall time in seconds: median and min of {repeats} timed runs per competitor, run "
                  "round-robin after one untimed warm-up each. Ratio = median(competitor) / "
                  "median(clvkit): above 1, clvkit is that many times faster.", ""]
    lines += ["| case | competitor | median s | min s | runs | ratio vs clvkit | note |",
              "|---|---|---:|---:|---:|---:|---|"]
    for res in results:
        for name, t in res.timings.items():
            note = t.note
            if t.error is not None:
                note = (note + "; " if note else "") + f"error: {t.error[:160]}"
            lines.append(f"| {res.case} | {name} | {t.label('median')} | {t.label('min')} | "
                         f"{len(t.seconds)} | {res.ratio_label(name)} | {_md(note)} |")
    extras = [(res.case, k, v) for res in results for k, v in res.extra.items()]
    if extras:
        lines += ["", "| case | check | value |", "|---|---|---|"]
        lines += [f"| {case} | {_md(k)} | {_md(v)} |" for case, k, v in extras]
    if notes:
        lines += ["", "Notes:", ""] + [f"- {n}" for n in notes]
    if machine:
        lines += ["", "Machine:", ""] + [f"- {k}: {v}" for k, v in machine.items()]
    return "\n".join(lines) + "\n"


def write_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to a temporary file beside ``path``, then rename it over ``path``.

    A reader never sees a half-written report, and a failure leaves the old file untouched
    and no temporary file behind.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a report is for everyone to read
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return target


def write_report(name: str, text: str, directory: str | os.PathLike[str] | None = None) -> Path:
    """Write ``<directory>/<name>.md`` atomically (default directory: benchmarks/results)."""
    return write_atomic(Path(directory or RESULTS_DIR) / f"{name}.md", text)


# ---------------------------------------------------------------------- worker processes
class Worker:
    """A persistent Python subprocess answering JSON requests, one per line.

    The parent sends ``{"task": ..., ...}``; the worker (see :func:`serve`) answers
    ``{"seconds": ..., "value": ...}`` or ``{"error": ...}``. :meth:`call` waits at most
    ``timeout`` seconds; past that it kills the worker (this process started it) and raises
    :class:`Stopped`. Use it for a library that may run for minutes, so that the benchmark
    reports ``> X s`` instead of hanging.
    """

    def __init__(self, argv: Sequence[str], env: dict[str, str] | None = None) -> None:
        self.argv = list(argv)
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=None, text=True, bufsize=1, env=env)

    def call(self, request: dict[str, Any], timeout: float | None = None) -> Measured:
        if self.proc.poll() is not None:
            raise RuntimeError(f"worker {self.argv} has exited with code {self.proc.returncode}")
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        try:
            ready = sel.select(timeout)
        finally:
            sel.close()
        if not ready:
            self.close(kill=True)
            raise Stopped(timeout or 0.0)
        line = self.proc.stdout.readline()
        if not line:
            code = self.proc.wait()
            raise RuntimeError(f"worker {self.argv} died (exit code {code}) on {request.get('task')!r}")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(answer["error"])
        return Measured(float(answer["seconds"]), answer.get("value"))

    def close(self, kill: bool = False) -> None:
        if self.proc.poll() is None:
            if kill:
                self.proc.kill()
            else:
                assert self.proc.stdin is not None
                self.proc.stdin.close()
                try:
                    self.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
        self.proc.wait()


def serve(handlers: dict[str, Callable[[dict[str, Any]], Measured]]) -> None:
    """The worker side of :class:`Worker`: read requests from stdin, answer on stdout.

    Anything the libraries print goes to stderr, so that stdout carries only answers.
    """
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            out = handlers[request["task"]](request)
            answer: dict[str, Any] = {"seconds": out.seconds, "value": out.value}
        except Exception as exc:  # report, keep serving
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        protocol.write(json.dumps(answer) + "\n")


# ---------------------------------------------------------------------- helpers
def _git_state(repo: Path) -> str:
    """``<commit>`` or ``<commit> + uncommitted changes in clvkit/``; ``unknown`` outside git."""
    try:
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--", "clvkit"],
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head} + uncommitted changes in clvkit/" if dirty else head


def _fmt_seconds(value: float) -> str:
    if value != value:
        return "n/a"
    return f"{value:.3f}" if value < 100 else f"{value:.1f}"


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _say(log: Callable[[str], None] | None, message: str) -> None:
    if log is not None:
        log(message)
        sys.stdout.flush()
