"""Run directories, tables and the runner-result loader, on recorded runner output."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
from pandas.testing import assert_frame_equal

from profiler.atomic import write_atomic
from profiler.load.run import load_run
from profiler.load.runner_json import load_timing
from profiler.rundir import create_run_dir, write_table
from tests.conftest import DATA


def test_load_timing_from_recorded_runner_output() -> None:
    # GIVEN two real runner results of io (16 tasks, 16 workers)
    timing, tasks, _workers = load_timing(DATA / "runner")
    # THEN one timing row per file, in rep then start order, with the runner's numbers
    expected = pd.DataFrame(
        {
            "model": ["sequential", "threads"],
            "rep": [1, 1],
            "attempt": [1, 1],
            "wall_s": [0.829378605, 0.063592942],
            "user_s": [0.008526999999999993, 0.007278999999999994],
            "sys_s": [0.004867, 0.009850999999999999],
            "max_rss_mb": [25.01171875, 25.6015625],
            "tasks": [16, 16],
            "ok": [True, True],
            # recorded before the runner read the machine's busy time: not known
            "machine_busy_s": [float("nan")] * 2,
            "helper_cpu_s": [0.0, 0.0],
            "cores": [2, 2],
            "clock_tick_s": [float("nan")] * 2,
            # recorded before free-threaded builds were told apart: a GIL build, GIL unknown
            "free_threaded": [False, False],
            "gil_enabled_after": [None, None],
            "gil_enabled_by": ["", ""],
        }
    )
    assert_frame_equal(timing, expected, check_dtype=False)
    # AND the task table names every worker thread and keeps times inside the run
    threads = tasks[tasks["model"] == "threads"]
    assert len(threads) == 16
    assert set(threads["thread_name"]) == {f"worker_{i}" for i in range(16)}
    assert (threads["start_s"] >= 0).all() and (threads["end_s"] <= 0.063592942).all()
    assert set(tasks.loc[tasks["model"] == "sequential", "thread_name"]) == {"MainThread"}


def test_run_dirs_are_never_overwritten_and_latest_follows(tmp_path: Path) -> None:
    first = create_run_dir(tmp_path, "io", now=0)
    second = create_run_dir(tmp_path, "io", now=0)
    assert first != second and second.name == f"{first.name}-2"
    assert os.readlink(tmp_path / "io" / "latest") == second.name


def test_tables_round_trip_through_load_run(tmp_path: Path) -> None:
    frame = pd.DataFrame({"model": ["threads"], "wall_s": [0.5]})
    written = write_table(tmp_path, "timing", frame)
    assert [p.name for p in written] == ["timing.csv", "timing.parquet"]
    assert_frame_equal(load_run(tmp_path)["timing"], frame)


def test_atomic_write_leaves_no_temporary_files(tmp_path: Path) -> None:
    write_atomic(tmp_path / "a" / "b.txt", "hello")
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["b.txt"]
