"""A failing workload or an interrupted run: exit code, message, partial run, no leftovers.

The conftest fixture also fails any test that leaves a process behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, concprof, needs_perf

pytestmark = pytest.mark.integration


def run_failing(tmp_path: Path, source: str) -> tuple[int, str, dict[str, object]]:
    scenario = tmp_path / "failing.py"
    scenario.write_text(source)
    code, _, err = concprof(
        "profile",
        str(scenario),
        "--recorders",
        "none",
        "--repeat",
        "1",
        "--out",
        str(tmp_path / "reports"),
    )
    manifest = json.loads((tmp_path / "reports" / "failing" / "latest" / "run.json").read_text())
    assert not list((tmp_path / "reports").rglob(".*tmp-*")), "half-written files left"
    return code, err, manifest


def test_setup_failure_names_the_phase(tmp_path: Path) -> None:
    code, err, manifest = run_failing(
        tmp_path,
        '"""x"""\nTASKS = 2\ndef setup():\n    raise RuntimeError("no database")\n'
        "def task(i):\n    return i\n",
    )
    assert code == 1 and "setup failed (model sequential): RuntimeError: no database" in err
    assert manifest["status"] == "incomplete"


def test_a_worker_process_that_dies_breaks_the_pool_cleanly(tmp_path: Path) -> None:
    code, err, manifest = run_failing(
        tmp_path,
        '"""x"""\nimport os\nTASKS = 4\nMAIN = os.getpid()\n'
        "def task(i):\n    if os.getpid() != MAIN and i == 2:\n        os._exit(3)\n    return i\n",
    )
    assert code == 1 and "model failed (model processes): " in err and "BrokenProcessPool" in err
    assert manifest["status"] == "incomplete"


def test_a_crashing_runner_is_named_with_its_signal(tmp_path: Path) -> None:
    code, err, manifest = run_failing(
        tmp_path, '"""x"""\nimport ctypes\nTASKS = 2\ndef task(i):\n    ctypes.string_at(0)\n'
    )
    assert code == 1 and "the sequential runner was killed by SIGSEGV" in err
    assert err.count("\n") == 1
    assert manifest["status"] == "incomplete"


@needs_perf
def test_ctrl_c_during_the_observed_run_removes_probes_and_processes(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "profiler",
            "profile",
            "gil",
            "--models",
            "threads",
            "--repeat",
            "1",
            "--recorders",
            "perf,procfs",
            "--out",
            str(tmp_path),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "CONCPROF_GIL_DURATION_S": "1.5"},
    )
    group = f"concprof{proc.pid}"
    deadline = time.monotonic() + 240  # timing runs first: 4 roles for 3 s, on a loaded machine
    while time.monotonic() < deadline and group not in probes():
        time.sleep(0.2)
    assert group in probes(), "the observed run never started"
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted (SIGINT); every workload process was stopped" in err
    assert group not in probes(), "perf probes left behind"
    manifest = json.loads((tmp_path / "gil" / "latest" / "run.json").read_text())
    assert manifest["status"] == "incomplete" and manifest["error"]["phase"] == "interrupted"


def probes() -> str:
    return subprocess.run(
        ["perf", "probe", "-l"], capture_output=True, text=True, check=False
    ).stdout
