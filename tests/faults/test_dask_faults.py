"""Fault cases of the dask model: a scheduler that does not answer is one line and exit 2
within the connect timeout, before anything is recorded; a worker that dies mid-run is
said (the run finishes: the scheduler runs its task again elsewhere) and nothing concprof
started outlives the run.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import REPO
from tests.support.processes import spawned

pytestmark = pytest.mark.integration
pytest.importorskip("distributed")

SLACK_S = 30.0  # the CLI's own start and the scenario's check, on a loaded machine
CONNECT_S = 3.0  # CONCPROF_DASK_CONNECT_TIMEOUT_S here (default 10)


def run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "profiler", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        timeout=600,
        check=False,
    )


def test_a_scheduler_that_does_not_answer_is_one_line_and_exit_2(tmp_path: Path) -> None:
    # GIVEN a port on loopback that accepts connections and never says a word
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        done = run(["profile", "cpu", "--models", "sequential,dask", "--dask-scheduler",
                    address, "--out", str(tmp_path)],
                   env={"CONCPROF_DASK_CONNECT_TIMEOUT_S": f"{CONNECT_S:g}"})  # fmt: skip
        took = time.monotonic() - started
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"no Dask scheduler answered at {address}" in lines[0], lines
    assert f"within {CONNECT_S:g} s" in lines[0]
    assert took < CONNECT_S + SLACK_S  # it gave up at its timeout, not at the run's
    assert not any(tmp_path.iterdir())  # refused before any run directory


DIES = '''
"""A task that kills the Dask worker running it, once per cluster."""
import os
import time

TASKS = 8
MODELS = ["sequential", "dask"]
DIE_DIR = os.environ.get("CONCPROF_TEST_DIE_DIR", "")


def task(i):
    if i == 2 and DIE_DIR:
        try:
            from distributed import get_worker

            worker = get_worker()
        except (ImportError, ValueError):  # not on a Dask worker
            worker = None
        if worker is not None:
            name = "".join(c if c.isalnum() else "_" for c in worker.scheduler.address)
            mark = os.path.join(DIE_DIR, name)
            if not os.path.exists(mark):
                open(mark, "w").close()
                os._exit(1)
    until = time.monotonic() + 0.05
    while time.monotonic() < until:
        pass
    return i * 2
'''


def test_a_worker_that_dies_mid_run_is_said_and_nothing_outlives_the_run(
    tmp_path: Path, scenario_file: Callable[[str, str], Path]
) -> None:
    path = scenario_file("dies", DIES)
    marks = tmp_path / "marks"
    marks.mkdir()
    before = spawned()
    done = run(
        ["profile", str(path), "--repeat", "1", "--recorders", "procfs", "--workers", "2",
         "--out", str(tmp_path / "out")],
        env={"CONCPROF_TEST_DIE_DIR": str(marks)},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(list(marks.iterdir())) >= 2  # a worker died in each dask run (timing, observed)
    said = " ".join(done.stdout.split())
    assert "1 Dask worker left the cluster during the observed run of dask" in said, said
    workers = pd.read_csv(tmp_path / "out" / "dies" / "latest" / "tables" / "dask_workers.csv")
    assert workers["left"].astype(bool).sum() == 1, workers
    assert not (spawned() - before), "a process of the LocalCluster outlived the run"
