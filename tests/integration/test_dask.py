"""The dask model on real clusters, through the real CLI.

- An existing cluster: the test starts `dask scheduler` and two `dask worker` processes on
  127.0.0.1 (separate processes, as on a real cluster), profiles with --dask-scheduler,
  gets dask rows from 2 workers whose results equal sequential's, and finds the cluster
  still running afterwards (concprof did not start it, so it does not stop it).
- The default LocalCluster on many tiny tasks: the answer names Dask's per-task overhead,
  the break-even task length and what to change; its tables and figure are written; the
  cluster concprof started is gone when it returns.

Bounds: `tiny`'s tasks take about 1 ms alone, and a task on a Dask cluster costs around a
millisecond of scheduling and TCP (Dask's documentation; 2-3 ms measured here on 2 shared
cores), so its per-task overhead is well above a quarter of a task (the cause's
threshold) whatever the machine's load; it is checked only to be positive.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import REPO, concprof
from tests.support.processes import spawned

pytestmark = pytest.mark.integration
distributed = pytest.importorskip("distributed")

DASK = Path(sys.executable).with_name("dask")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[str]:
    """`dask scheduler` and two `dask worker` processes on 127.0.0.1, stopped at the end."""
    address = f"tcp://127.0.0.1:{free_port()}"
    port = address.rsplit(":", 1)[1]
    logs = (tmp_path / "cluster.log").open("w")
    scheduler = [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"]
    worker = [str(DASK), "worker", address, "--nthreads", "1", "--host", "127.0.0.1",
              "--no-dashboard", "--no-nanny"]  # fmt: skip
    procs = [
        subprocess.Popen(argv, stdout=logs, stderr=subprocess.STDOUT)
        for argv in (scheduler, worker, worker)
    ]
    try:
        with distributed.Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        logs.close()


def test_an_existing_cluster_is_used_and_left_running(cluster: str, tmp_path: Path) -> None:
    code, out, err = concprof(
        "profile", "cpu", "--size", "quick", "--models", "sequential,dask",
        "--dask-scheduler", cluster, "--repeat", "3", "--recorders", "procfs",
        "--out", str(tmp_path),
    )  # fmt: skip
    assert code == 0, out + err
    run = tmp_path / "cpu" / "latest"
    timing = pd.read_csv(run / "tables" / "timing.csv")
    assert set(timing["model"]) == {"sequential", "dask"}
    docs = [json.loads(p.read_text()) for p in (run / "raw" / "timing").glob("*.json")]
    digests = {(d["model"], d["digest"]) for d in docs}
    assert {m for m, _ in digests} == {"sequential", "dask"} and len({h for _, h in digests}) == 1
    workers = pd.read_csv(run / "tables" / "dask_workers.csv")
    present = workers[~workers["left"].astype(bool)]
    assert len(present) == 2 and (present["nthreads"] == 1).all(), workers
    assert set(present["scheduler"]) == {cluster} and not present["started_here"].any()
    tasks = pd.read_csv(run / "tables" / "dask_tasks.csv")
    assert set(tasks["pid"]) == set(present["pid"])  # the tasks ran on the cluster's workers
    assert (tasks["status"] == "OK").all() and tasks["index"].nunique() == len(tasks)
    # concprof did not start this cluster: it is still running, with both workers
    with distributed.Client(cluster, timeout=10) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        plugins = client.run_on_scheduler(
            lambda dask_scheduler: list(dask_scheduler.worker_plugins)
        )
        assert "concprof-scenario" not in plugins  # its plugin was removed after the run


def test_many_tiny_tasks_name_dasks_overhead_and_the_break_even(tmp_path: Path) -> None:
    before = spawned()
    code, out, err = concprof(
        "profile", "tiny", "--size", "quick", "--models", "sequential,dask",
        "--repeat", "3", "--recorders", "procfs", "--workers", "2", "--out", str(tmp_path),
    )  # fmt: skip
    assert code == 0, out + err
    run = tmp_path / "tiny" / "latest"
    said = " ".join(out.split())
    assert "each task costs" in said and "beyond its" in said and "To change:" in said, out
    assert "fewer, larger" in said or "more work" in said, out
    workers = pd.read_csv(run / "tables" / "dask_workers.csv")
    assert len(workers) == 2 and workers["started_here"].all() and workers["local"].all()
    tasks = pd.read_csv(run / "tables" / "dask_tasks.csv")
    assert tasks["index"].nunique() == 100  # quick: a quarter of 400
    assert (run / "figures" / "dask_break_even.png").is_file()
    assert (run / "figures" / "dask_tasks.png").is_file()
    page = (run / "index.html").read_text()
    assert "Dask: what a task costs on the cluster" in page
    # the task stream's tasks are the run's per-task records (tasks.csv, the timeline)
    observed = pd.read_csv(run / "tables" / "tasks.csv")
    mine = observed[(observed["model"] == "dask") & (observed["rep"] == 0)]
    assert set(mine["pid"]) == set(workers["pid"])
    # the LocalCluster concprof started is gone
    assert not (spawned() - before), "a LocalCluster process outlived the run"


LACKS = '''
"""Imports a module that only the machine running concprof has."""
import os
import sys

sys.path.insert(0, os.environ.get("CONCPROF_TEST_EXTRA", "/nonexistent"))
import only_here

TASKS = 4


def task(i):
    return only_here.double(i)
'''


def test_a_worker_lacking_an_import_is_one_line_naming_it(
    cluster: str, tmp_path: Path, scenario_file: Callable[[str, str], Path]
) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "only_here.py").write_text("def double(i):\n    return 2 * i\n")
    path = scenario_file("lacks", LACKS)
    done = subprocess.run(
        [sys.executable, "-m", "profiler", "profile", str(path), "--models", "sequential,dask",
         "--dask-scheduler", cluster, "--out", str(tmp_path / "out")],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "CONCPROF_TEST_EXTRA": str(extra)},
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "cannot import lacks.py" in lines[0] and "No module named 'only_here'" in lines[0]
    assert not (tmp_path / "out").exists()  # refused before any run directory
