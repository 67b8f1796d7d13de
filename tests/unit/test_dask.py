"""The dask model's analysis on a recorded run (tests/data/dask_tiny: 100 tasks of about a
millisecond on a LocalCluster of 2 single-threaded workers, 2 cores).

GIVEN the runner's observed document and the run's tables, WHEN analyse.dask builds the
tables and the evidence and advice.recommend the answer, THEN the tables carry every task
and worker, the per-task overhead is the stated formula (analyse/dask.py's docstring) on
the recorded numbers, and the answer names the overhead as dask's cause, with the
break-even task length and what to change.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from profiler.analyse import dask
from profiler.analyse.advice import Measured, recommend
from profiler.render.wording import cause_text, dask_text, model_line
from profiler.workload.documents import RunResult
from tests.conftest import DATA

RUN = DATA / "dask_tiny"


def recorded() -> tuple[RunResult, pd.DataFrame, pd.DataFrame]:
    doc = RunResult.from_json(json.loads((RUN / "observed.json").read_text()))
    return doc, pd.read_csv(RUN / "comparison.csv"), pd.read_csv(RUN / "tasks.csv")


def test_the_task_stream_becomes_one_row_per_task_and_per_worker() -> None:
    doc, _, _ = recorded()
    tasks = dask.tasks(doc, "dask")
    assert list(tasks.columns) == dask.DASK_TASK_COLUMNS
    assert sorted(tasks["index"]) == list(range(100)) and (tasks["runs"] == 1).all()
    assert (tasks["compute_s"] > 0).all() and (tasks["status"] == "OK").all()
    window_s = doc.wall_s or 0.0
    # every compute span lies inside the measured window (the clocks were lined up)
    assert (tasks["start_s"] >= 0).all()
    assert ((tasks["start_s"] + tasks["compute_s"]) <= window_s).all()
    workers = dask.workers(doc, "dask", tasks)
    assert list(workers.columns) == dask.DASK_WORKER_COLUMNS
    assert len(workers) == 2 and workers["tasks"].sum() == 100
    assert set(tasks["pid"]) == set(workers["pid"])
    # a worker thread computes at most the whole window
    assert (workers["busy_pct"] <= 100.0).all() and (workers["busy_pct"] > 0).all()


def test_the_overhead_is_the_stated_formula_and_named_as_the_cause() -> None:
    doc, comparison, task_rows = recorded()
    tasks = dask.tasks(doc, "dask")
    workers = dask.workers(doc, "dask", tasks)
    found = dask.evidence(tasks, workers, comparison, task_rows, cores=2)["dask"]
    wall = comparison.set_index("model")["wall_median_s"]
    t = wall["sequential"] / 100
    assert found.task_s == pytest.approx(t)
    assert found.running == 2 and found.slots == 2
    assert found.overhead_s == pytest.approx(2 * wall["dask"] / 100 - t)
    low = 2 * comparison.set_index("model")["wall_ci_low_s"]["dask"] / 100 - t
    assert found.overhead_low_s == pytest.approx(low) and low <= found.overhead_s
    assert found.break_even_s == pytest.approx(found.overhead_s / (2 - 1))
    assert found.share_pct == pytest.approx(100 * found.overhead_s / (found.overhead_s + t))
    assert found.left == 0 and found.local and found.started_here

    measured = Measured(None, None, None, None, comparison, cpu_count=2, dask_tasks=tasks,
                        dask_workers=workers, task_rows=task_rows)  # fmt: skip
    answer = recommend(comparison, None, measured)
    assert answer is not None
    (cause,) = [c for c in answer.causes if c.model == "dask"]
    assert cause.kind == "dask_overhead" and cause.dask == found
    said = cause_text(cause)
    assert f"{found.overhead_s * 1e3:.2f} ms" in said and "To change: give each task more" in said
    assert f"tasks longer than {found.break_even_s * 1e3:.2f} ms" in said
    (line,) = [model_line(e) for e in answer.evidence if e.model == "dask"]
    assert "per task beyond its" in line and "2 workers × 1 thread on this machine" in line
    assert "Dask's task stream" in dask_text(found)


def test_a_worker_that_left_is_a_warning() -> None:
    doc, comparison, task_rows = recorded()
    assert doc.dask is not None
    doc.dask.left = ["tcp://127.0.0.1:1"]
    tasks = dask.tasks(doc, "dask")
    workers = dask.workers(doc, "dask", tasks)
    assert workers["left"].sum() == 1 and len(workers) == 3
    measured = Measured(None, None, None, None, comparison, cpu_count=2, dask_tasks=tasks,
                        dask_workers=workers, task_rows=task_rows)  # fmt: skip
    answer = recommend(comparison, None, measured)
    assert answer is not None
    assert [c.count for c in answer.caveats if c.kind == "dask_left"] == [1]


def test_threads_of_one_worker_taking_turns_at_the_gil_are_the_cause() -> None:
    # GIVEN the recorded run as if each worker had run 2 threads and every task had
    # computed twice as long as alone (what a worker's threads taking turns at the GIL do
    # to pure Python)
    doc, comparison, task_rows = recorded()
    tasks = dask.tasks(doc, "dask")
    alone = float((task_rows[task_rows["model"] == "sequential"].eval("end_s - start_s")).mean())
    tasks["compute_s"] = 2.0 * alone
    workers = dask.workers(doc, "dask", tasks).assign(nthreads=2)
    measured = Measured(None, None, None, None, comparison, cpu_count=2, dask_tasks=tasks,
                        dask_workers=workers, task_rows=task_rows)  # fmt: skip
    answer = recommend(comparison, None, measured)
    assert answer is not None
    (cause,) = [c for c in answer.causes if c.model == "dask"]
    # THEN the GIL is named, not the overhead, with the stretch and the fix
    assert cause.kind == "dask_gil" and cause.dask is not None
    assert cause.dask.stretch == pytest.approx(2.0)
    assert cause.dask.slots == 4 and cause.dask.running == 2  # 4 threads, 2 cores
    said = cause_text(cause)
    assert "2.00x as long as it does alone" in said and "--dask-threads 1" in said
