"""Each stage from raw files to tables, on the golden run's real recordings (tests/data).

The golden test checks the assembled tables number by number; these check what
each stage hands the next: every recorder loaded, each source's contribution
physically possible on its own, and one best row per thread.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from profiler.analyse.run_tables import model_tables
from profiler.load.model_dir import load_model_run
from profiler.load.observed_run import Recordings
from profiler.load.runner_json import identity
from profiler.recorders.perf.tables import perf_tables
from profiler.recorders.procfs.tables import procfs_tables
from profiler.recorders.pyspy.tables import pyspy_tables
from profiler.recorders.viztracer.tables import viztracer_tables
from profiler.workload.documents import RunResult
from tests.conftest import DATA


@pytest.fixture(scope="module")
def threads_run(tmp_path_factory: pytest.TempPathFactory) -> Recordings:
    raw = tmp_path_factory.mktemp("golden") / "threads"
    shutil.copytree(DATA / "golden_run" / "raw" / "threads", raw)
    for packed in raw.glob("*.gz"):
        packed.with_suffix("").write_bytes(gzip.decompress(packed.read_bytes()))
    doc = RunResult.from_json(json.loads((raw / "observed.json").read_text()))
    return load_model_run("threads", Path(raw), doc)


def test_every_recorder_of_the_run_is_loaded(threads_run: Recordings) -> None:
    rec = threads_run
    assert rec.of("procfs") is not None and rec.of("py-spy") is not None
    assert rec.of("perf") is not None and rec.of("viztracer") is not None
    assert rec.t1_ns > rec.t0_ns and rec.window_us > 0
    assert {"take", "acquired", "drop", "switch"} <= set(rec.of("perf").events["kind"])


def test_procfs_sees_the_workers_on_cpu_within_the_window(threads_run: Recordings) -> None:
    procfs = procfs_tables(threads_run.of("procfs"), threads_run, cpu_count=2)
    assert procfs is not None and procfs.threads is not None
    assert procfs.threads["on_cpu_pct"].between(0, 100).all()
    assert threads_run.root_pid in procfs.last_seen_ns


def test_pyspy_shares_of_one_process_stay_within_the_window(threads_run: Recordings) -> None:
    pyspy = pyspy_tables(threads_run.of("py-spy"), threads_run, identity(threads_run.program), {})
    assert pyspy is not None and pyspy.threads is not None and pyspy.processes is not None
    total = pyspy.threads.groupby("pid")["gil_hold_pct"].sum()
    error = pyspy.processes.set_index("pid")["gil_busy_err_pct"]
    assert (total <= 100.0 + error[total.index]).all()


def test_perf_gives_exact_states_that_pass_their_checks(threads_run: Recordings) -> None:
    perf = perf_tables(threads_run.of("perf"), threads_run, cpu_count=2)
    assert perf is not None and perf.threads is not None and perf.processes is not None
    assert bool(perf.extra["checks"]["ok"].iloc[0])
    assert perf.gil_traced_pct == pytest.approx(100.0)
    holds = perf.threads.groupby("pid")["gil_hold_pct"].sum()
    assert (holds <= 100.0 + 1e-6).all()
    assert (perf.processes["gil_busy_pct"] <= 100.0 + 1e-6).all()


def test_viztracer_spans_come_from_its_own_run(threads_run: Recordings) -> None:
    viz = viztracer_tables(threads_run.of("viztracer"), threads_run)
    assert viz is not None
    spans = viz.extra["function_spans"]
    assert len(spans) > 0 and (spans["dur_us"] >= 0).all()


def test_the_model_tables_mark_one_best_row_per_thread(threads_run: Recordings) -> None:
    tables, traced_pct = model_tables(threads_run, cpu_count=2)
    threads = tables["threads"]
    assert set(threads["source"]) == {"perf", "py-spy", "procfs"}
    best = threads[threads["best"]]
    assert not best.duplicated(["pid", "tid"]).any()
    assert (best["source"] == "perf").all()
    assert set(threads["thread_name"]) >= {"MainThread", "worker_0", "worker_1"}
    assert (tables["threads"]["model"] == "threads").all()
    assert traced_pct is not None and 99.0 <= traced_pct <= 100.0
