"""Atomic writes leave nothing behind: failures, SIGINT/SIGTERM handlers (restored afterwards), the
SIGKILL rule for stale temporary files, and a table replaced together with its sidecar."""

import errno
import os
import signal
import subprocess
import sys

import pandas as pd
import pytest

from clvkit.errors import OutputError
from clvkit.io import TEMP_MARK, _host_tag, atomic_write, remove_stale_temps, temp_prefix
from clvkit.tables import read_table, sidecar_path, write_table


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_temp_name_carries_pid_and_host(tmp_path):
    seen = []

    def write(tmp):
        seen.append(os.path.basename(tmp))
        with open(tmp, "w") as fh:
            fh.write("x")

    atomic_write(tmp_path / "out.csv", write)
    assert seen[0].startswith(f".out.csv{TEMP_MARK}{os.getpid()}.{_host_tag()}.")
    assert sorted(os.listdir(tmp_path)) == ["out.csv"]


def test_signal_handlers_are_installed_during_the_write_and_restored_after(tmp_path):
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    during = {}

    def write(tmp):
        during.update({s: signal.getsignal(s) for s in before})
        with open(tmp, "w") as fh:
            fh.write("x")

    atomic_write(tmp_path / "out.txt", write)
    assert all(during[s] is not before[s] for s in before if before[s] != signal.SIG_IGN)
    assert {s: signal.getsignal(s) for s in before} == before
    with pytest.raises(RuntimeError):
        atomic_write(tmp_path / "out.txt", lambda tmp: (_ for _ in ()).throw(RuntimeError("boom")))
    assert {s: signal.getsignal(s) for s in before} == before


def test_keyboard_interrupt_during_the_write_leaves_nothing(tmp_path):
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # a worker may ignore SIGINT
    target = tmp_path / "out.csv"
    target.write_text("old")

    def interrupted(tmp):
        with open(tmp, "w") as fh:
            fh.write("half")
        os.kill(os.getpid(), signal.SIGINT)  # Python's handler raises KeyboardInterrupt here
        raise AssertionError("not reached")

    try:
        with pytest.raises(KeyboardInterrupt):
            atomic_write(target, interrupted)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["out.csv"]


def test_os_errors_become_output_errors_naming_the_target(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")

    def full(tmp):
        with open(tmp, "w") as fh:
            fh.write("half")
        raise OSError(errno.ENOSPC, "No space left on device", tmp)

    with pytest.raises(OutputError, match=r"cannot write .*out\.csv: No space left on device") as info:
        atomic_write(target, full)
    assert info.value.errno == errno.ENOSPC and TEMP_MARK not in str(info.value)
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["out.csv"]


@pytest.mark.parametrize("where", ["directory", "under_a_file"])
def test_impossible_output_paths_are_output_errors(tmp_path, where):
    (tmp_path / "file.txt").write_text("x")
    target = tmp_path if where == "directory" else tmp_path / "file.txt" / "out.csv"
    with pytest.raises(OutputError, match="cannot write"):
        atomic_write(target, lambda tmp: None)
    assert sorted(os.listdir(tmp_path)) == ["file.txt"]


def test_stale_temps_of_dead_writers_are_removed_by_the_next_write(tmp_path):
    target = tmp_path / "out.csv"
    dead = _dead_pid()
    host = _host_tag()
    stale = tmp_path / f".out.csv{TEMP_MARK}{dead}.{host}.abc123"
    live = tmp_path / f".out.csv{TEMP_MARK}{os.getppid()}.{host}.def456"  # a running process
    other_host = tmp_path / f".out.csv{TEMP_MARK}{dead}.{'0' * 8 if host != '0' * 8 else '1' * 8}.ghi789"
    other_target = tmp_path / f".other.csv{TEMP_MARK}{dead}.{host}.jkl012"
    for path in (stale, live, other_host, other_target):
        path.write_text("left by a writer")
    assert remove_stale_temps(tmp_path / "nothing.csv") == []
    atomic_write(target, lambda tmp: open(tmp, "w").close())
    assert not stale.exists()
    assert live.exists() and other_host.exists() and other_target.exists()
    assert temp_prefix(target).startswith(f".out.csv{TEMP_MARK}{os.getpid()}.")


def test_table_and_sidecar_are_replaced_together(tmp_path, monkeypatch):
    path = tmp_path / "scores.csv"
    frame = pd.DataFrame({"x": [1.0, 2.0]}, index=pd.Index(["a", "b"], name="customer_id"))
    write_table(frame, path, metadata={"kind": "t", "unit": "W"})
    old = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    real_dump = __import__("json").dump

    def failing_dump(obj, fh, **kw):
        if isinstance(obj, dict) and obj.get("format") == "clvkit table metadata":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_dump(obj, fh, **kw)

    monkeypatch.setattr("json.dump", failing_dump)
    with pytest.raises(OutputError, match="clvkit.json"):
        write_table(frame * 2, path, metadata={"kind": "t", "unit": "D"})
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == old  # neither file changed
    monkeypatch.undo()
    assert read_table(path).attrs["unit"] == "W"
    write_table(frame, path)  # no metadata: the sidecar goes with the rename
    assert not sidecar_path(path).exists() and sorted(os.listdir(tmp_path)) == ["scores.csv"]


def test_a_scores_table_with_nan_is_refused_before_writing(tmp_path):
    from clvkit.errors import DataError

    path = tmp_path / "scores.csv"
    path.write_text("old")
    frame = pd.DataFrame({"expected_purchases": [1.0, float("nan")], "p_alive": [0.5, 0.5]},
                         index=pd.Index(["007", "7"], name="customer_id"))
    with pytest.raises(DataError, match=r"'expected_purchases' is NaN or infinite for 1 of 2 customers \(first: '7'"):
        write_table(frame, path, metadata={"kind": "scores", "unit": "W"})
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["scores.csv"]
