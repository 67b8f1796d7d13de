"""What a process pool pays to talk to its workers, accounted per task and per worker.

GIVEN tests/data/ipc_bigresult: a real `concprof profile` (procfs only) of its
scenario.py, whose 120 tasks each compute about half a millisecond and return 128 KB,
on 2 workers, WHEN its pickling events are accounted (analyse.ipc) THEN each result's
bytes are its pickled size, each worker's parts add up to its window, and the answer
names serialisation as what holds processes back, with its numbers.
"""

from __future__ import annotations

import importlib.util
import pickle
import shutil
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from types import ModuleType

from profiler.analyse import ipc
from profiler.analyse.run_tables import build_tables
from profiler.load.runner_json import read_result
from profiler.render.wording import cause_text
from profiler.workload import ipc_watch
from profiler.workload.documents import RunResult
from tests.conftest import DATA

RUN = DATA / "ipc_bigresult"
# protocol 4 frames: a large object inside a pool's item starts one more frame (9 bytes)
FRAME_SLACK_BYTES = 16


def scenario() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bigresult", RUN / "scenario.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def observed() -> RunResult:
    doc = read_result(RUN / "raw" / "processes" / "observed.json")
    assert doc is not None and doc.ipc
    return doc


def test_each_results_bytes_are_its_pickled_size() -> None:
    doc, task = observed(), scenario().task
    tasks = ipc.per_task(doc)
    assert sorted(tasks["index"]) == list(range(doc.tasks))
    for index, got in zip(tasks["index"], tasks["result_bytes"], strict=True):
        expected = len(pickle.dumps(task(int(index)), protocol=4))
        assert abs(got - expected) <= FRAME_SLACK_BYTES, (index, got, expected)
    # the call: the task's function by reference and its index, tens of bytes
    assert tasks["arg_bytes"].between(10, 200).all()
    # every part took time, and none longer than the whole observed run
    window_s = (doc.end_ns or 0) / 1e9 - (doc.start_ns or 0) / 1e9
    for column in ("arg_pickle_s", "arg_unpickle_s", "result_pickle_s", "result_unpickle_s"):
        assert (tasks[column] > 0).all() and (tasks[column] < window_s).all(), column
    assert (tasks["result_wait_s"] >= 0).all()


def test_each_workers_parts_add_up_to_its_window() -> None:
    doc = observed()
    workers = ipc.per_worker(doc, "processes")
    assert len(workers) == 2 and workers["tasks"].sum() == doc.tasks
    parts = workers[["arg_unpickle_s", "result_pickle_s", "task_s", "idle_s"]].sum(axis=1)
    # what is left is the pool's own bookkeeping between them, microseconds per task
    assert ((parts / workers["window_s"] - 1.0).abs() < 0.05).all(), workers
    assert (workers["startup_s"] > 0).all()


def test_the_answer_names_serialisation_with_its_numbers(tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(RUN, run)
    analysis = build_tables(run)
    assert analysis.ipc is not None and len(analysis.ipc) == 2
    assert analysis.tasks is not None and analysis.tasks["result_bytes"].notna().any()
    assert analysis.answer is not None
    (cause,) = analysis.answer.causes
    assert cause.kind == "serialisation" and cause.model == "processes"
    assert cause.ipc is not None and 128 * 1024 <= cause.ipc.result_bytes <= 129 * 1024
    # the result's round trip costs more than the task's own work here
    assert cause.ipc.ipc_s > cause.ipc.task_s
    said = cause_text(cause)
    assert "returns 128.0 KB" in said and "shared memory" in said and "sequential" in said


def returns_10kb(i: int) -> bytes:
    return bytes(10 * 1024)


def start_worker(directory: str) -> None:
    ipc_watch.install()
    ipc_watch.write_at_exit(directory)


def test_a_real_pool_is_timed_and_sized_in_the_parent_and_its_workers(tmp_path: Path) -> None:
    # fork: spawn and forkserver leave multiprocessing's helper process running past the test
    method = "fork"
    ipc_watch.install()
    ipc_watch.take()
    try:
        with ProcessPoolExecutor(
            2, mp_context=get_context(method), initializer=start_worker, initargs=(str(tmp_path),)
        ) as pool:
            assert list(pool.map(returns_10kb, range(6))) == [bytes(10 * 1024)] * 6
            pids = set(pool._processes)  # type: ignore[attr-defined]
        parent = ipc_watch.take()
    finally:
        ipc_watch.uninstall()
    written = ipc_watch.read_written(str(tmp_path), pids)
    worker_events = [e for events in written.values() for e in events]
    kinds = [e[0] for e in parent]
    assert kinds.count("result_load") == 6 and kinds.count("call_dump") >= 1
    assert sum(1 for e in worker_events if e[0] == "result_dump") >= 1
    assert all(e[4] > 10 * 1024 for e in worker_events if e[0] == "result_dump")
    assert all(e[3] >= e[2] for e in parent + worker_events)
