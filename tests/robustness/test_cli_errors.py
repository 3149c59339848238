"""The command line never prints a traceback for a user error: one line `clvkit <cmd>: error: ...` and an
exit code per class of failure (2 input, 3 model file, 4 not converged, 5 I/O, 1 internal), listed in
`clvkit --help`. Unconverged fits are refused unless --allow-unconverged, and no command writes a
result that is not finite. Customer ids from a CSV keep their leading zeros end to end."""

import errno
import json
import os

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.cli import main
from clvkit.tables import write_table

PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


@pytest.fixture
def files(tmp_path):
    summary = tmp_path / "summary.csv"
    frame = pd.DataFrame({"frequency": [0.0, 2.0, 5.0], "recency": [0.0, 10.0, 30.0], "T": [40.0, 40.0, 40.0]},
                         index=pd.Index(["a", "b", "c"], name="customer_id"))
    write_table(frame, summary, metadata={"kind": "customer_summary", "unit": "W"})
    model = tmp_path / "bg.json"
    ck.BetaGeo.from_params(PUBLISHED).save(model)
    return summary, model


def _one_error_line(capsys, command):
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if not line.startswith(("ConvergenceWarning", "RuntimeWarning"))]
    assert len(lines) == 1, err
    assert lines[0].startswith(f"clvkit {command}: error: ") and "Traceback" not in err
    return lines[0]


def _only(folder, *names):
    assert sorted(os.listdir(folder)) == sorted(names)


def test_help_lists_the_exit_codes(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for code, words in [("1", "internal error"), ("2", "bad input"), ("3", "bad model file"), ("4", "not converged"),
                        ("5", "I/O")]:
        assert any(line.strip().startswith(code) and words in line for line in out.splitlines()), (code, out)


def test_output_path_that_is_a_directory_exits_5(tmp_path, files, capsys):
    summary, model = files
    (tmp_path / "out").mkdir()
    assert main(["score", str(summary), "--model", str(model), "--out", str(tmp_path / "out"), "--quiet"]) == 5
    line = _one_error_line(capsys, "score")
    assert "is a directory" in line and str(tmp_path / "out") in line


def test_output_path_under_a_file_exits_5(tmp_path, files, capsys):
    summary, model = files
    (tmp_path / "file.txt").write_text("x")
    out = tmp_path / "file.txt" / "out.csv"
    assert main(["fit", str(summary), "--out", str(out)]) == 5
    assert "file.txt is a file, not a folder" in _one_error_line(capsys, "fit")
    assert main(["summarize", str(summary), "--out", str(out)]) == 5
    assert main(["score", str(summary), "--model", str(model), "--out", str(out), "--quiet"]) == 5


def test_unwritable_output_exits_5(tmp_path, files, capsys):
    summary, model = files
    # /proc refuses new files even to root; chmod would not stop root
    assert main(["score", str(summary), "--model", str(model), "--out", "/proc/self/out.csv", "--quiet"]) == 5
    assert "cannot write /proc/self/out.csv" in _one_error_line(capsys, "score")


def test_read_only_folder_at_write_time_exits_5_and_leaves_nothing(tmp_path, files, capsys, monkeypatch):
    summary, model = files
    out = tmp_path / "scores.csv"
    out.write_text("old")

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr("tempfile.mkstemp", refuse)
    assert main(["score", str(summary), "--model", str(model), "--out", str(out), "--quiet"]) == 5
    assert "cannot write" in _one_error_line(capsys, "score") and out.read_text() == "old"


def test_full_disk_exits_5_and_leaves_the_old_output(tmp_path, files, capsys, monkeypatch):
    summary, model = files
    out = tmp_path / "scores.csv"
    out.write_text("old")
    before = sorted(os.listdir(tmp_path))

    def full(self, path, *args, **kwargs):
        with open(path, "w") as fh:
            fh.write("half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    assert main(["score", str(summary), "--model", str(model), "--out", str(out), "--quiet"]) == 5
    line = _one_error_line(capsys, "score")
    assert f"cannot write {out}: No space left on device" in line and ".clvkit-tmp." not in line
    assert out.read_text() == "old" and sorted(os.listdir(tmp_path)) == before


def test_missing_input_files_exit_5(tmp_path, files, capsys):
    summary, model = files
    out = tmp_path / "s.csv"
    assert main(["score", str(tmp_path / "nope.csv"), "--model", str(model), "--out", str(out)]) == 5
    assert "nope.csv: no such file" in _one_error_line(capsys, "score")
    assert main(["score", str(summary), "--model", str(tmp_path / "nope.json"), "--out", str(out)]) == 5
    assert "nope.json: no such model file" in _one_error_line(capsys, "score")
    assert main(["summarize", str(tmp_path / "log.csv"), "--out", str(out)]) == 5
    assert main(["fit", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "m.json")]) == 5
    assert not out.exists()


@pytest.mark.parametrize("content, words", [
    (json.dumps({"model": "BetaGeo", "unit": "W"}), "lacks ['params']"),
    (json.dumps({"model": "BetaGeo", "params": {"r": 1}, "unit": "W"}), "must give parameters"),
    ("{not json", "not a clvkit model file"),
    (b"\x89HDF\r\n\x1a\n" + b"garbage" * 20, "not a NetCDF file"),
    (b"CDF\x01garbage", "NetCDF"),
    (json.dumps({"model": "Nope"}), "not hold a known clvkit model"),
    (json.dumps([1, 2]), "not hold a known clvkit model"),
])
def test_bad_model_files_exit_3(tmp_path, files, capsys, content, words):
    summary, _ = files
    model = tmp_path / "bad.json"
    model.write_bytes(content if isinstance(content, bytes) else content.encode())
    out = tmp_path / "s.csv"
    assert main(["score", str(summary), "--model", str(model), "--out", str(out), "--quiet"]) == 3
    line = _one_error_line(capsys, "score")
    assert words in line and str(model) in line
    assert not out.exists()


def test_bad_input_exits_2(tmp_path, files, capsys):
    summary, model = files
    broken = tmp_path / "broken.csv"
    broken.write_text('customer_id,frequency\n"a,1\n')
    assert main(["fit", str(broken), "--unit", "W", "--out", str(tmp_path / "m.json")]) == 2
    assert str(broken) in _one_error_line(capsys, "fit")
    assert main(["score", str(summary), "--model", str(model), "--out", str(tmp_path / "s.xlsx")]) == 2
    assert "unknown table format" in _one_error_line(capsys, "score")
    _only(tmp_path, "summary.csv", "summary.csv.clvkit.json", "bg.json", "broken.csv")


def test_an_internal_error_exits_1_with_a_traceback_and_a_request_to_report(files, capsys, monkeypatch, tmp_path):
    summary, model = files

    def bug(*args, **kwargs):
        raise KeyError("oops")

    monkeypatch.setattr("clvkit.batch.score_file", bug)
    assert main(["score", str(summary), "--model", str(model), "--out", str(tmp_path / "s.csv")]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "internal error: KeyError" in err and "please report it" in err


def test_ctrl_c_exits_130(files, capsys, monkeypatch, tmp_path):
    summary, model = files

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("clvkit.batch.score_file", interrupted)
    assert main(["score", str(summary), "--model", str(model), "--out", str(tmp_path / "s.csv")]) == 130
    assert "interrupted" in capsys.readouterr().err


@pytest.fixture
def never_bought_again(tmp_path):
    """A summary where no customer bought twice: BG/NBD is not identified."""
    n = 200
    frame = pd.DataFrame({"frequency": np.zeros(n), "recency": np.zeros(n), "T": np.linspace(10, 50, n),
                          "monetary_value": np.zeros(n)},
                         index=pd.Index([f"c{i}" for i in range(n)], name="customer_id"))
    path = tmp_path / "zero.csv"
    write_table(frame, path, metadata={"kind": "customer_summary", "unit": "W"})
    return path


@pytest.mark.filterwarnings("ignore::clvkit.errors.ConvergenceWarning")
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_unconverged_fit_exits_4_and_nothing_writes_nan(tmp_path, never_bought_again, capsys):
    model = tmp_path / "bg.json"
    assert main(["fit", str(never_bought_again), "--out", str(model)]) == 4
    assert "did not converge" in _one_error_line(capsys, "fit") and not model.exists()
    assert main(["fit", str(never_bought_again), "--out", str(model), "--allow-unconverged"]) == 0
    assert json.loads(model.read_text())["converged"] is False
    capsys.readouterr()
    out = tmp_path / "scores.csv"
    assert main(["score", str(never_bought_again), "--model", str(model), "--out", str(out), "--quiet"]) == 4
    assert "--allow-unconverged" in _one_error_line(capsys, "score") and not out.exists()
    code = main(["score", str(never_bought_again), "--model", str(model), "--out", str(out), "--quiet",
                 "--allow-unconverged"])
    if code == 0:  # then every number must be finite
        table = pd.read_csv(out, index_col=0)
        assert np.isfinite(table.to_numpy()).all()
    else:
        assert code in (2, 4) and not out.exists()
        line = _one_error_line(capsys, "score")
        assert "converge" in line or "NaN" in line


@pytest.mark.filterwarnings("ignore::clvkit.errors.ConvergenceWarning")
def test_unconverged_spend_model_is_refused_too(tmp_path, files, capsys):
    summary, model = files
    state = json.loads(model.read_text())
    state["converged"] = False
    model.write_text(json.dumps(state))
    assert main(["score", str(summary), "--model", str(model), "--out", str(tmp_path / "s.csv")]) == 4
    assert "converged: false" in _one_error_line(capsys, "score")


@pytest.mark.parametrize("ext", ["csv", "parquet"])
def test_customer_ids_keep_their_leading_zeros_end_to_end(tmp_path, files, ext):
    _, model = files
    log = tmp_path / "log.csv"
    log.write_text("customer_id,date,amount\n007,2020-01-01,10\n7,2020-01-05,20\n0007,2020-01-09,30\n"
                   "007,2020-02-01,5\n7,2020-03-01,6\n7,2020-04-01,7\n")
    summary = tmp_path / f"summary.{ext}"
    assert main(["summarize", str(log), "--out", str(summary), "--end", "2020-06-30"]) == 0
    frame = (pd.read_csv(summary, dtype={"customer_id": str}).set_index("customer_id") if ext == "csv"
             else pd.read_parquet(summary))
    assert sorted(frame.index) == ["0007", "007", "7"]
    assert frame["frequency"].to_dict() == {"0007": 0, "007": 1, "7": 2}
    scores = tmp_path / f"scores.{ext}"
    assert main(["score", str(summary), "--model", str(model), "--out", str(scores), "--quiet"]) == 0
    table = (pd.read_csv(scores, dtype={"customer_id": str}).set_index("customer_id") if ext == "csv"
             else pd.read_parquet(scores))
    assert sorted(table.index) == ["0007", "007", "7"]
    assert np.isfinite(table.to_numpy(dtype=float)).all()
