"""Thread states on a free-threaded build from perf's parking-lot probes and sched_switch.

GIVEN 30 ms of a real perf recording of `shared` under threads on 3.13.5t (two
workers updating one dict, each update under the dict's lock; recorded with
`concprof profile shared --python 3.13t --models threads --workers 2 --recorders
perf,procfs`; tests/data/perf_free_threaded), WHEN its events become per-thread
intervals, THEN each thread's intervals tile the window without overlap, use only
the free-threaded states, and both workers spend time parked on the lock while
also running: the contention the scenario exists to show.
"""

from __future__ import annotations

import json

import pandas as pd

from profiler.recorders.perf.load import load_perf
from profiler.recorders.perf.lock_states import has_lock_events, lock_intervals, lock_shares
from profiler.schema import LOCK_STATES
from tests.conftest import DATA

RAW = DATA / "perf_free_threaded"


def recorded() -> tuple[pd.DataFrame, dict[str, int]]:
    return load_perf(RAW / "perf.txt"), json.loads((RAW / "window.json").read_text())


def test_the_trace_is_a_free_threaded_builds() -> None:
    events, _ = recorded()
    assert has_lock_events(events)
    assert {"park", "unparked", "switch"} <= set(events["kind"])


def test_intervals_tile_each_threads_window() -> None:
    events, w = recorded()
    intervals = lock_intervals(events, w["root_pid"], w["t0_ns"], w["t1_ns"])
    assert set(intervals["state"]) <= set(LOCK_STATES)
    window_us = (w["t1_ns"] - w["t0_ns"]) / 1e3
    for _, per in intervals.groupby("tid"):
        per = per.sort_values("start_us")
        assert (per["end_us"] > per["start_us"]).all()
        assert (per["start_us"].iloc[1:].to_numpy() >= per["end_us"].iloc[:-1].to_numpy()).all()
        assert per["end_us"].max() <= window_us + 1e-6
    shares = lock_shares(intervals, window_us)
    states = ["running_pct", "runnable_pct", "lock_wait_pct", "blocked_pct"]
    total = shares[states].sum(axis=1)
    assert (total <= 100.0 + 1e-6).all()  # one state at a time
    # both workers are seen all along; before a thread's first event in the cut (tens
    # of µs) its state is unknown and no interval is made
    assert (total > 99.0).all()


def test_both_workers_wait_on_the_lock_and_run() -> None:
    events, w = recorded()
    intervals = lock_intervals(events, w["root_pid"], w["t0_ns"], w["t1_ns"])
    shares = lock_shares(intervals, (w["t1_ns"] - w["t0_ns"]) / 1e3)
    workers = shares[shares["tid"] != w["root_pid"]]
    busy = workers[workers["running_pct"] > 5.0]
    assert len(busy) == 2
    assert (busy["lock_wait_pct"] > 5.0).all()
    assert (busy["on_cpu_pct"] >= busy["running_pct"]).all()
