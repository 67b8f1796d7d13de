"""Predicted speedups from the sequential run, beside the measured ones.

GIVEN the golden run (threads, perf) and the recorded processes run of
tests/data/ipc_bigresult (procfs: on-CPU time only), WHEN each model's speedup is
predicted from the sequential run's shares THEN the prediction follows its stated model
(checked against the inputs it reports), stays within what the machine allows, and is
compared with the measured interval.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pandas as pd

from profiler.analyse.predict import Shares, _threads, sequential_shares
from profiler.analyse.run_tables import build_tables
from tests.conftest import DATA


def unpacked(name: str, tmp_path: Path) -> Path:
    run = tmp_path / name
    shutil.copytree(DATA / name, run, ignore=shutil.ignore_patterns("tables"))
    for packed in run.rglob("*.gz"):
        packed.with_suffix("").write_bytes(gzip.decompress(packed.read_bytes()))
        packed.unlink()
    return run


def test_threads_are_bounded_by_the_gil_the_cores_or_the_workers() -> None:
    # a task that holds the GIL 60% of its time: two threads cannot beat 1/0.6
    assert _threads(Shares(0.6, 0.0, "perf"), workers=4, cores=4) == (1 / 0.6, "the GIL")
    # mostly blocked: the workers are the bound
    assert _threads(Shares(0.1, 0.0, "perf"), workers=2, cores=2) == (2.0, "workers")
    # running without the GIL (numpy): the cores are
    speedup, limit = _threads(Shares(0.05, 0.9, "perf"), workers=8, cores=2)
    assert limit == "the cores" and abs(speedup - 2 / 0.95) < 1e-9


def test_the_golden_runs_threads_prediction_is_set_beside_the_measurement(tmp_path: Path) -> None:
    analysis = build_tables(unpacked("golden_run", tmp_path))
    assert analysis.prediction is not None and analysis.threads is not None
    (row,) = analysis.prediction.to_dict("records")
    shares = sequential_shares(analysis.threads)
    assert shares is not None and shares.source == "perf"
    # the sequential main thread held the GIL about a third of each task and slept the rest
    assert 0.2 < row["held_share"] < 0.5 and row["nogil_share"] < 0.05
    # so two threads on two cores are bounded by the workers: 2x
    assert row["limited_by"] == "workers" and abs(row["predicted_speedup"] - 2.0) < 1e-9
    assert row["measured_over_predicted"] == row["measured_speedup"] / 2.0
    assert isinstance(row["agrees"], bool)
    assert analysis.answer is not None
    threads = next(e for e in analysis.answer.evidence if e.model == "threads")
    assert threads.predicted == row["predicted_speedup"] and threads.limited_by == "workers"


def test_a_process_pool_that_pickles_a_lot_is_predicted_to_lose(tmp_path: Path) -> None:
    analysis = build_tables(unpacked("ipc_bigresult", tmp_path))
    assert analysis.prediction is not None
    row = analysis.prediction.set_index("model").loc["processes"]
    # procfs alone: on-CPU time counts as held; the parent's pickling and the workers' are
    # those the processes run measured
    assert "procfs" in str(row["source"])
    assert row["parent_ipc_s"] > 0 and row["worker_ipc_s"] > 0 and row["startup_s"] > 0
    assert 0 < row["predicted_speedup"] <= 2.0  # never beyond the cores
    assert pd.notna(row["measured_speedup"])
