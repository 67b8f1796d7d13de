"""A recording's life from start to end, through the real CLI.

GIVEN programs written here, WHEN `concprof record` and `concprof attach` run them,
THEN the program reads the standard input concprof was given, an attach ends when
the process does (not at --duration), each report shows the run's final status
(never "running"), and `concprof report` rebuilds both kinds of directory.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, concprof

pytestmark = [pytest.mark.integration, pytest.mark.unprivileged]

RUNNING = "This run is running"


def run_dir_of(out: str) -> Path:
    line = next(x for x in out.splitlines() if x.startswith("run directory:"))
    return Path(line.split(":", 1)[1].strip())


def test_a_recorded_program_reads_the_input_concprof_was_given(tmp_path: Path) -> None:
    got = tmp_path / "got.txt"
    prog = tmp_path / "echo_input.py"
    prog.write_text(f"import sys\nopen({str(got)!r}, 'w').write(sys.stdin.read())\n")
    done = subprocess.run(
        [sys.executable, "-m", "profiler", "record", "--recorders", "procfs",
         "--out", str(tmp_path / "r"), "--", sys.executable, str(prog)],
        input="x\ny\n", capture_output=True, text=True, cwd=REPO, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert got.read_text() == "x\ny\n"
    run = run_dir_of(done.stdout)
    assert json.loads((run / "run.json").read_text())["status"] == "complete"
    assert RUNNING not in (run / "index.html").read_text()
    (run / "index.html").unlink()
    code, _, err = concprof("report", str(run))
    assert code == 0, err
    assert RUNNING not in (run / "index.html").read_text()


def test_attach_ends_with_the_process_not_at_the_duration(tmp_path: Path) -> None:
    # a child of this test: once it ends it is a zombie until reaped, as any process
    # whose parent has not waited for it yet
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(8)"])
    try:
        code, out, err = concprof(
            "attach", str(proc.pid), "--duration", "60", "--out", str(tmp_path)
        )
    finally:
        proc.kill()
        proc.wait()
    assert code == 0, err
    run = run_dir_of(out)
    manifest = json.loads((run / "run.json").read_text())
    assert manifest["status"] == "complete"
    # the window is the process's remaining life (under 8 s, less concprof's start-up),
    # far below the 60 s asked for; 30 leaves room for a slow start on a busy machine
    assert manifest["observed"]["wall_s"] < 30, manifest["observed"]
    assert RUNNING not in (run / "index.html").read_text()
    code, _, err = concprof("report", str(run))
    assert code == 0, err
