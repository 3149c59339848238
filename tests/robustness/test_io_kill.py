"""Kill `clvkit score` while it writes: SIGTERM and SIGINT leave no file beside the output and an
existing output byte-identical; SIGKILL leaves one temporary file, which the next write removes.

The write is made observable, not timed: the test polls for the temporary file to appear (it exists
from the start of the write to the rename, about a second for 300,000 customers) and signals then.
A run whose write finished before the signal arrived (a starved machine) is retried, at most 3 times.
"""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.cli import main
from clvkit.io import TEMP_MARK
from clvkit.tables import write_table

N_CUSTOMERS = 300_000
ATTEMPTS = 3
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    root = tmp_path_factory.mktemp("kill")
    rng = np.random.default_rng(9)
    T = rng.uniform(1, 78, N_CUSTOMERS)
    frequency = rng.poisson(1.5, N_CUSTOMERS).astype(float)
    recency = np.where(frequency > 0, T * rng.uniform(0, 1, N_CUSTOMERS), 0.0)
    frame = pd.DataFrame({"frequency": frequency, "recency": recency, "T": T},
                         index=pd.Index([f"c{i:07d}" for i in range(N_CUSTOMERS)], name="customer_id"))
    write_table(frame, root / "summary.parquet", metadata={"kind": "customer_summary", "unit": "W"})
    ck.BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}).save(root / "bg.json")
    small = frame.iloc[:50]
    write_table(small, root / "small.parquet", metadata={"kind": "customer_summary", "unit": "W"})
    return root


def _reset_signals() -> None:  # the child starts with default dispositions, whatever the runner ignores
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _start(job, out) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "clvkit.cli", "score", str(job / "summary.parquet"),
                             "--model", str(job / "bg.json"), "--out", str(out), "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_reset_signals)


def _temps(folder, name) -> list[str]:
    return [n for n in os.listdir(folder) if n.startswith(f".{name}{TEMP_MARK}")]


def _signal_during_write(job, out, signum, timeout=90.0):
    """Start a score, send ``signum`` once its temporary file exists; (returncode, stderr, temps seen)
    or None when the write finished before the signal could be sent."""
    proc = _start(job, out)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            seen = _temps(out.parent, out.name)
            if seen:
                proc.send_signal(signum)
                _, err = proc.communicate(timeout=timeout)
                return proc.returncode, err.decode(), seen
            if proc.poll() is not None:
                return None
            time.sleep(0.001)
        pytest.fail("clvkit score neither started writing nor ended in time")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _existing_output(folder):
    out = folder / "scores.csv"
    out.write_bytes(b"customer_id,clv\nold,1.0\n")
    (folder / "scores.csv.clvkit.json").write_bytes(b'{"old": true}\n')
    return out, {p.name: p.read_bytes() for p in folder.iterdir()}


@pytest.mark.parametrize("signum, codes", [(signal.SIGTERM, (-signal.SIGTERM, 128 + signal.SIGTERM)),
                                           (signal.SIGINT, (128 + signal.SIGINT, -signal.SIGINT))])
def test_a_signal_during_the_write_leaves_nothing_and_the_old_output_intact(job, tmp_path, signum, codes):
    out, before = _existing_output(tmp_path)
    for _ in range(ATTEMPTS):
        outcome = _signal_during_write(job, out, signum)
        assert _temps(tmp_path, out.name) == [] and _temps(tmp_path, out.name + ".clvkit.json") == []
        if outcome is None or outcome[0] == 0:  # the write won the race: the new output is complete
            out, before = _existing_output(tmp_path)
            continue
        code, err, _ = outcome
        assert code in codes, err
        assert "Traceback" not in err
        assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
        return
    pytest.fail(f"the write finished before the signal {ATTEMPTS} times")


def test_sigkill_leaves_one_temp_file_that_the_next_write_removes(job, tmp_path):
    out, before = _existing_output(tmp_path)
    for _ in range(ATTEMPTS):
        outcome = _signal_during_write(job, out, signal.SIGKILL)
        if outcome is not None and outcome[0] == -signal.SIGKILL:
            break
        out, before = _existing_output(tmp_path)
    else:
        pytest.fail(f"the write finished before SIGKILL {ATTEMPTS} times")
    left = _temps(tmp_path, out.name)
    assert len(left) == 1 and left == outcome[2]  # the documented rule: the dead writer's file stays...
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name not in left} == before
    # ...until the next write of the same output, which removes it (its pid is no longer alive)
    assert main(["score", str(job / "small.parquet"), "--model", str(job / "bg.json"), "--out", str(out),
                 "--quiet"]) == 0
    assert sorted(os.listdir(tmp_path)) == ["scores.csv", "scores.csv.clvkit.json"]
    assert len(pd.read_csv(out)) == 50
