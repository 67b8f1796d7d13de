"""Crowds of threads in the GIL charts, on a recorded threads.csv (tests/data/crowd_threads:
`profile blocking --size quick` with procfs; threads has 16 workers `worker_0`..`worker_15`
beside MainThread and the event loop's single thread in asyncio).

More than eight threads of one kind in one role are one row (their median, the range of
the first share); fewer stay one row each; the table keeps every thread.
"""

from __future__ import annotations

import pandas as pd

from profiler.render.gil_figures import CROWD, crowds, sampled_gil_figure
from tests.conftest import DATA

THREADS = pd.read_csv(DATA / "crowd_threads" / "threads.csv")


def test_sixteen_workers_are_one_row_with_their_median_and_range() -> None:
    rows = THREADS[THREADS["model"] == "threads"]
    workers = rows[rows["thread_name"].str.startswith("worker_")]
    assert len(workers) == 16 > CROWD
    drawn = crowds(rows, ["on_cpu_pct"])
    assert len(drawn) == len(rows) - 16 + 1
    (crowd,) = drawn[drawn["thread_name"].str.startswith("worker_#")].to_dict("records")
    assert crowd["thread_name"].startswith("worker_# ×16: median")
    assert crowd["on_cpu_pct"] == workers["on_cpu_pct"].median()
    low, high = workers["on_cpu_pct"].min(), workers["on_cpu_pct"].max()
    assert f"on_cpu {low:.0f}–{high:.0f}%" in crowd["thread_name"]
    # a thread of its own kind stays as it is
    assert "MainThread" in set(drawn["thread_name"])


def test_a_few_threads_of_a_kind_are_drawn_one_row_each() -> None:
    threads = THREADS[THREADS["model"] == "threads"]
    few = threads[threads["thread_name"].isin(["MainThread", "worker_0", "worker_1"])]
    assert crowds(few, ["on_cpu_pct"]).equals(few)


def test_a_pools_worker_processes_are_a_crowd_too() -> None:
    # processes: 16 worker processes, each with its MainThread in the worker role
    pool = THREADS[(THREADS["model"] == "processes") & (THREADS["process_role"] == "worker")]
    assert len(pool) == 16
    (row,) = crowds(pool, ["on_cpu_pct"]).to_dict("records")
    assert row["thread_name"].startswith("MainThread ×16: median") and row["pid"] == "…"


def test_the_sampled_chart_draws_the_crowd_as_one_row() -> None:
    fig = sampled_gil_figure(THREADS)
    assert fig is not None
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert sum("worker_# ×16" in label for label in labels) == 1
    assert not any(label.endswith("worker_3 (main 5009)") for label in labels)
