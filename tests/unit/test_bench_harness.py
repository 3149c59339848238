"""Smoke test of benchmarks/harness.py: alternation, ratio arithmetic, atomic result file.

No timing is asserted: the fake competitors report their own (made-up) seconds through
``Measured``, so every number checked here is arithmetic on known inputs.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_harness():
    spec = importlib.util.spec_from_file_location("clvkit_bench_harness", ROOT / "benchmarks" / "harness.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up while the class is built
    spec.loader.exec_module(module)
    return module


harness = _load_harness()


def _fake(name: str, seconds: list[float], calls: list[str]):
    """A competitor that logs every call and reports the next of ``seconds`` as its own time."""
    it = iter(seconds)

    def warm():
        calls.append(f"{name}:warmup")
        return "warm"

    def run():
        calls.append(name)
        return harness.Measured(next(it), value=f"{name}-result")

    return harness.Competitor(name, run, warmup=warm)


def test_round_robin_order_and_warmup_excluded():
    calls: list[str] = []
    comps = [_fake("clvkit", [1.0, 3.0, 2.0], calls), _fake("slow", [10.0, 30.0, 20.0], calls),
             _fake("other", [4.0, 4.0, 4.0], calls)]
    res = harness.run_case("case", comps, repeats=3, log=None)
    assert calls == ["clvkit:warmup", "slow:warmup", "other:warmup"] + ["clvkit", "slow", "other"] * 3
    assert res.order == ["clvkit", "slow", "other"] * 3
    # the warm-up's return value and time are not recorded; the last timed value is kept
    assert res.timings["slow"].seconds == [10.0, 30.0, 20.0]
    assert res.timings["slow"].value == "slow-result"


def test_median_min_and_ratio_arithmetic():
    calls: list[str] = []
    comps = [_fake("clvkit", [1.0, 3.0, 2.0], calls), _fake("slow", [10.0, 50.0, 20.0], calls)]
    res = harness.run_case("case", comps, repeats=3, log=None)
    assert res.timings["clvkit"].median == 2.0 and res.timings["clvkit"].min == 1.0
    assert res.timings["slow"].median == 20.0 and res.timings["slow"].min == 10.0
    assert res.ratio("slow") == pytest.approx(10.0)
    assert res.ratio("clvkit") == pytest.approx(1.0)
    assert res.ratio_label("slow") == "10.0x"


def test_wall_clock_used_when_competitor_does_not_time_itself():
    ticks = iter([0.0, 5.0, 0.0, 2.0, 100.0, 101.0, 200.0, 208.0])  # warm-ups, then two timed calls
    comps = [harness.Competitor("clvkit", lambda: 1), harness.Competitor("b", lambda: 2)]
    res = harness.run_case("case", comps, repeats=1, clock=lambda: next(ticks), log=None)
    assert res.timings["clvkit"].seconds == [1.0]
    assert res.timings["b"].seconds == [8.0]
    assert res.ratio("b") == pytest.approx(8.0)


def test_stopped_competitor_is_not_called_again_and_reported_as_lower_bound():
    calls: list[str] = []
    fast = _fake("clvkit", [2.0, 2.0, 2.0], calls)

    def too_slow():
        calls.append("lifetimes")
        raise harness.Stopped(60.0)

    comps = [fast, harness.Competitor("lifetimes", too_slow, warmup=lambda: None)]
    res = harness.run_case("case", comps, repeats=3, log=None)
    assert res.order == ["clvkit", "lifetimes", "clvkit", "clvkit"]
    assert calls.count("lifetimes") == 1
    assert res.timings["lifetimes"].label() == "> 60 (stopped)"
    assert res.ratio("lifetimes") == pytest.approx(30.0)
    assert res.ratio_label("lifetimes") == "> 30.0x"


def test_report_written_atomically(tmp_path, monkeypatch):
    calls: list[str] = []
    res = harness.run_case("BG/NBD fit, 10", [_fake("clvkit", [1.0], calls), _fake("lt", [4.0], calls)],
                           repeats=1, log=None)
    text = harness.render_markdown("title", [res], {"cpu count": "2"}, ["a note"], repeats=1)
    assert "| BG/NBD fit, 10 | lt | 4.000 | 4.000 | 1 | 4.00x |" in text
    path = harness.write_report("bench", text, directory=tmp_path)
    assert path == tmp_path / "bench.md"
    assert path.read_text(encoding="utf-8") == text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bench.md"]  # no temporary file left

    # a failure at the rename leaves the previous report intact and no temporary file behind
    renames: list[tuple[str, str]] = []

    def failing_replace(src, dst):
        renames.append((str(src), str(dst)))
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk gone"):
        harness.write_report("bench", "half-written", directory=tmp_path)
    assert len(renames) == 1
    src, dst = renames[0]
    assert Path(src).parent == tmp_path and Path(src).name != "bench.md"  # a temp file beside the target
    assert dst == str(tmp_path / "bench.md")
    assert path.read_text(encoding="utf-8") == text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bench.md"]


def test_worker_timeout_stops_and_kills(tmp_path):
    script = tmp_path / "sleepy.py"
    script.write_text(
        "import sys, time\n"
        f"sys.path.insert(0, {str(ROOT / 'benchmarks')!r})\n"
        "from harness import Measured, serve\n"
        "def nap(req):\n"
        "    time.sleep(req['seconds'])\n"
        "    return Measured(req['seconds'], 'done')\n"
        "serve({'nap': nap})\n", encoding="utf-8")
    worker = harness.Worker([sys.executable, str(script)])
    try:
        out = worker.call({"task": "nap", "seconds": 0.0}, timeout=60)
        assert out.value == "done"
        with pytest.raises(harness.Stopped):
            worker.call({"task": "nap", "seconds": 30.0}, timeout=0.5)
        assert worker.proc.poll() is not None  # killed, not left running
    finally:
        worker.close(kill=True)
