"""The main paths as an ordinary user: every command works without root.

GIVEN the real CLI, run by whoever runs the tests (root in the main suite; an
ordinary user in `.ci/run`'s second pass, `pytest -m unprivileged`), WHEN a
profile, a recording, an attach, a report and doctor run, THEN each completes
(exit 0) with the recorders this user may use; without root, perf is skipped
with one line naming why and what stands in for it, and nothing asks for
privileges it does not need. Attaching to another user's process is a one-line
error (exit 2).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from profiler.load.run import load_run
from tests.conftest import concprof

pytestmark = [pytest.mark.integration, pytest.mark.unprivileged]

ROOT = os.geteuid() == 0
PERF_LINE = "perf: not available to this user"


def manifest_of(run: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((run / "run.json").read_text())
    return data


def run_dir_of(out: str) -> Path:
    line = next(x for x in out.splitlines() if x.startswith("run directory:"))
    return Path(line.split(":", 1)[1].strip())


def test_profile_io_completes_and_says_what_perf_would_add(tmp_path: Path) -> None:
    # no processes model: its 16 worker processes under py-spy cost most of the time and
    # add nothing this test checks; as root (make test) threads alone, the ordinary user's
    # pass (.ci/run) adds asyncio (make test stays near 20 minutes)
    models = "sequential,threads" if ROOT else "sequential,threads,asyncio"
    code, out, err = concprof(
        "profile", "io", "--size", "quick", "--models", models, "--out", str(tmp_path)
    )
    assert code == 0, err
    run = tmp_path / "io" / "latest"
    manifest = manifest_of(run)
    assert manifest["status"] == "complete"
    recorders = manifest["recorders"]
    assert isinstance(recorders, dict)
    if not ROOT:
        assert out.count(PERF_LINE) == 1, out
        assert "GIL shares from py-spy, sampled, with their error" in out
        assert str(recorders["not_used"]["perf"]).startswith("not available to this user")
        assert "py-spy" in recorders["used"] and "procfs" in recorders["used"]
    else:
        assert PERF_LINE not in out
    threads = load_run(run)["threads"]
    held = threads[threads["gil_hold_pct"].notna()]
    assert len(held), "some source gave GIL shares"
    # shares of one process's threads never sum above 100% (plus a sampler's error)
    per_process = held.groupby(["model", "pid", "source"])["gil_hold_pct"].sum()
    assert (per_process <= 105).all(), per_process


def test_profile_cpu_threads_hold_the_gil_without_root(tmp_path: Path) -> None:
    code, _, err = concprof(
        "profile", "cpu", "--size", "quick", "--models", "threads", "--repeat", "1",
        "--out", str(tmp_path),
    )  # fmt: skip
    assert code == 0, err
    threads = load_run(tmp_path / "cpu" / "latest")["threads"]
    workers = threads[
        (threads["model"] == "threads") & threads["thread_name"].str.startswith("worker_")
    ]
    busy = workers.groupby("source")["gil_hold_pct"].sum()
    # CPU-bound threads hold the GIL nearly all of the window between them (measured
    # 90-99%); 60 leaves room for a sampler's error and a noisy machine
    assert (busy > 60).any(), workers


APP = """
import threading

def spin():
    total = 0
    for i in range(1_500_000):
        total += i

threads = [threading.Thread(target=spin, name=f"spinner_{n}") for n in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
"""


def test_record_a_program_as_this_user(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text(APP)
    out_dir = tmp_path / "reports"
    code, out, err = concprof("record", "--out", str(out_dir), "--", sys.executable, str(app))
    assert code == 0, err
    run = run_dir_of(out)
    assert manifest_of(run)["status"] == "complete"
    if not ROOT:
        assert out.count(PERF_LINE) == 1, out
    names = set(load_run(run)["threads"]["thread_name"])
    assert {"spinner_0", "spinner_1"} <= names, names


def test_attach_to_my_own_process_and_leave_it_running(tmp_path: Path) -> None:
    loop = "import time\nwhile True:\n    sum(range(10000)); time.sleep(0.001)\n"
    proc = subprocess.Popen([sys.executable, "-c", loop])
    try:
        time.sleep(0.5)
        code, out, err = concprof(
            "attach", str(proc.pid), "--duration", "2", "--out", str(tmp_path)
        )
        assert code == 0, err
        assert proc.poll() is None, "the attached process keeps running"
        run = run_dir_of(out)
        assert manifest_of(run)["status"] == "complete"
        threads = load_run(run)["threads"]
        assert (threads["pid"] == proc.pid).any()
    finally:
        proc.kill()
        proc.wait()


def test_report_rebuilds_a_run_as_this_user(tmp_path: Path) -> None:
    code, _, err = concprof(
        "profile", "cpu", "--size", "quick", "--models", "threads", "--repeat", "1",
        "--recorders", "procfs", "--out", str(tmp_path),
    )  # fmt: skip
    assert code == 0, err
    run = (tmp_path / "cpu" / "latest").resolve()
    before = pd.read_csv(run / "tables" / "comparison.csv")
    (run / "index.html").unlink()
    code, _, err = concprof("report", str(run))
    assert code == 0, err
    assert (run / "index.html").is_file()
    pd.testing.assert_frame_equal(pd.read_csv(run / "tables" / "comparison.csv"), before)


def test_doctor_names_the_ways_to_perf() -> None:
    code, out, err = concprof("doctor")
    assert code == 0, err
    assert "perf privileges" in out and "ptrace" in out
    if not ROOT:
        assert "sudo" in out and "setcap" in out and "tracefs" in out


def test_attach_to_another_users_process_is_one_line() -> None:
    if ROOT:
        pytest.skip("root may attach to any process: run by .ci/run as an ordinary user")
    code, _, err = concprof("attach", "1", "--duration", "1")
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert "belongs to user root, not to you" in err and "CAP_SYS_PTRACE" in err


def test_a_permission_problem_is_one_line_naming_the_path(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if ROOT:
        pytest.skip("root may write anywhere: run by .ci/run as an ordinary user")
    code, _, err = concprof(
        "profile", "io", "--size", "quick", "--recorders", "none", "--out", str(locked / "r")
    )
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert str(locked) in err


DEBIAN_PYTHON = Path("/usr/bin/python3.11")


@pytest.fixture
def unprobeable() -> str:
    """Debian's own interpreter: libpython linked in and stripped, so perf cannot probe it
    (with python3.11-dbg only LTO-renamed copies, which miss inlined GIL releases)."""
    if not DEBIAN_PYTHON.exists():
        pytest.skip("needs Debian's /usr/bin/python3.11")
    return str(DEBIAN_PYTHON)


def test_perf_asked_for_by_name_where_it_cannot_record_is_exit_2(
    tmp_path: Path, unprobeable: str
) -> None:
    code, _, err = concprof(
        "profile", "io", "--size", "quick", "--recorders", "perf",
        "--python", unprobeable, "--out", str(tmp_path),
    )  # fmt: skip
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert "perf cannot record here" in err
    if ROOT:
        assert f"{unprobeable} has no symbols for take_gil" in err
    assert not list(tmp_path.iterdir()), "nothing recorded, nothing created"


def test_the_default_recorders_name_perf_s_fallback(tmp_path: Path, unprobeable: str) -> None:
    code, out, err = concprof(
        "profile", "io", "--size", "quick", "--models", "threads", "--repeat", "1",
        "--python", unprobeable, "--out", str(tmp_path),
    )  # fmt: skip
    assert code == 0, err
    perf_lines = [line for line in out.splitlines() if line.strip().startswith("perf: ")]
    assert len(perf_lines) == 1, out
    assert "GIL shares from py-spy" in out
    reason = textwrap.shorten(perf_lines[0], 400)
    assert ("no symbols" in reason) if ROOT else ("not available to this user" in reason)
