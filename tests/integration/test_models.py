"""The real models on the real scenarios, through the real CLI.

Bounds are physical, not timings: 16 concurrent 50 ms waits overlap (speedup
far above 3 even on a loaded machine); CPU-bound Python under the GIL cannot
scale with threads (< 1.3) but can with two processes on two cores (> 1.3).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from profiler.load.run import load_run
from profiler.orchestrate.interpreters import pyenv_versions
from tests.conftest import concprof

pytestmark = pytest.mark.integration


def profile(tmp_path: Path, *args: str) -> tuple[int, str, str, Path]:
    code, out, err = concprof("profile", *args, "--out", str(tmp_path))
    scenario = Path(args[0]).stem
    return code, out, err, tmp_path / scenario / "latest"


def speedups(run: Path) -> dict[str, float]:
    comparison = load_run(run)["comparison"]
    return dict(zip(comparison["model"], comparison["speedup"], strict=True))


def digests(run: Path) -> set[str]:
    return {json.loads(p.read_text())["digest"] for p in (run / "raw" / "timing").glob("*.json")}


def test_io_threads_and_asyncio_overlap_waits(tmp_path: Path) -> None:
    code, out, err, run = profile(
        tmp_path, "io", "--size", "quick", "--workers", "8", "--recorders", "none"
    )
    assert code == 0, err
    s = speedups(run)
    assert s["threads"] > 3 and s["asyncio"] > 3, s
    assert len(digests(run)) == 1, "models returned different results"
    manifest = json.loads((run / "run.json").read_text())
    assert manifest["status"] == "complete" and manifest["workers"] == 8
    assert "fastest:" in out and "index.html" in out


def test_cpu_threads_do_not_scale_processes_do(tmp_path: Path) -> None:
    # default size: 0.8 s of pure Python per worker, so start-up and noise stay small
    code, _, err, run = profile(
        tmp_path,
        "cpu",
        "--workers",
        "2",
        "--models",
        "threads,processes",
        "--repeat",
        "3",
        "--recorders",
        "none",
    )
    assert code == 0, err
    s = speedups(run)
    assert s["threads"] < 1.3, s
    # two processes on two cores run the tasks at once, GIL-bound threads one at a time:
    # processes clearly ahead of threads (a quiet machine: 1.9x against 0.95x). Against
    # threads, not against a fixed 1.3: a shared VM once gave both less (1.26x, 0.74x)
    assert s["processes"] > 1.15 and s["processes"] > 1.3 * s["threads"], s
    assert len(digests(run)) == 1


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_processes_run_under_every_start_method(tmp_path: Path, method: str) -> None:
    code, _, err, run = profile(
        tmp_path,
        "io",
        "--size",
        "quick",
        "--models",
        "processes",
        "--repeat",
        "1",
        "--workers",
        "4",
        "--start-method",
        method,
        "--recorders",
        "none",  # the start method is about the timing runs; recorders have their own tests
    )
    assert code == 0, err
    doc = json.loads((run / "raw" / "timing" / "processes-r1.json").read_text())
    assert doc["start_method"] == method and len(doc["worker_pids"]) >= 2
    assert len(digests(run)) == 1


def test_failing_task_exits_1_and_keeps_the_partial_run(tmp_path: Path) -> None:
    scenario = tmp_path / "boom.py"
    scenario.write_text(
        '"""Fails at task 5."""\nTASKS = 8\n'
        "def task(i):\n    if i == 5:\n        raise ValueError('bad input 5')\n    return i\n"
    )
    code, _, err, run = profile(tmp_path, str(scenario), "--repeat", "1")
    assert code == 1
    assert err.count("\n") == 1, err
    assert "task failed (model sequential, task 5): ValueError: bad input 5" in err
    manifest = json.loads((run / "run.json").read_text())
    assert manifest["status"] == "incomplete"
    assert manifest["error"]["task_index"] == 5
    timing = pd.read_csv(run / "tables" / "timing.csv")
    assert timing.to_dict("records")[0]["tasks"] == 5  # tasks 0..4 completed
    assert (run / "index.html").is_file()
    assert not list(run.rglob(".*tmp-*")), "half-written files left behind"


def test_a_task_that_fails_in_a_worker_process_names_it(tmp_path: Path) -> None:
    scenario = tmp_path / "wboom.py"
    scenario.write_text(
        '"""Fails at task 3 in processes only."""\nimport os\nTASKS = 6\nMAIN = os.getpid()\n'
        "def task(i):\n    if i == 3 and os.getpid() != MAIN:\n"
        "        raise KeyError('worker side')\n    return i\n"
    )
    code, _, err, _run = profile(tmp_path, str(scenario), "--repeat", "1", "--workers", "2")
    assert code == 1
    assert "(model processes, task 3): KeyError: 'worker side'" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "unknown scenario 'nope'; choose one of:"),
        (["io", "--models", "threads,fibers"], "unknown model fibers; choose from: sequential"),
        (["io", "--size", "huge"], "invalid choice: 'huge' (choose from"),
        (["io", "--workers", "0"], "workers must be a positive integer"),
        (["io", "--python", "9.9"], "no Python 9.9 found"),
        (["io", "--python", "3.8"], "Python 3.8 is too old: the runner needs 3.10 or newer"),
        (["io", "--python", "/etc/hostname"], "PYTHON=/etc/hostname"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    code, _out, err = concprof("profile", *args, "--out", str(tmp_path))
    assert code == 2
    assert message in err and err.count("\n") == 1, err
    assert not any(tmp_path.iterdir()), "bad input must not create a run directory"


def test_a_scenario_importing_a_missing_package_names_interpreter_and_fixes(
    tmp_path: Path, scenario_file: Any
) -> None:
    # GIVEN a scenario that imports a package the workload interpreter lacks
    path = scenario_file(
        "needs_pkg", "import concprof_absent_pkg.sub\nTASKS = 2\ndef task(i): return i\n"
    )
    code, _out, err = concprof("profile", str(path), "--out", str(tmp_path / "reports"))
    # THEN one line, exit 2, naming the interpreter and both fixes
    assert code == 2 and err.count("\n") == 1, err
    assert "No module named 'concprof_absent_pkg'" in err
    assert f"{sys.executable} -m pip install concprof_absent_pkg" in err
    assert "PYTHON=" in err


def test_the_margin_must_be_a_percentage_below_100(tmp_path: Path) -> None:
    code, _out, err = concprof("profile", "io", "--margin", "150", "--out", str(tmp_path))
    assert code == 2 and "margin must be a percentage from 0 to 100 (default 5), got 150" in err


def test_other_interpreter_runs_the_workload(tmp_path: Path) -> None:
    version = next((v for v in pyenv_versions() if v.startswith("3.13")), None)
    if version is None:
        pytest.skip("no pyenv Python 3.13 on this machine")
    code, _, err, run = profile(
        tmp_path,
        "cpu",
        "--size",
        "quick",
        "--models",
        "threads",
        "--repeat",
        "1",
        "--python",
        "3.13",
    )
    assert code == 0, err
    manifest = json.loads((run / "run.json").read_text())
    assert manifest["python"]["version"].startswith("3.13")
