"""Processes py-spy finds late: when it began sampling each, and the extrapolation over the rest."""

from __future__ import annotations

import pandas as pd
import pytest

from profiler.recorders.pyspy.load import sampling_starts
from profiler.recorders.sampling import extrapolate, late_found
from tests.conftest import DATA

MS = 1_000_000


def test_the_log_says_when_each_process_began_to_be_sampled() -> None:
    # GIVEN py-spy's log of a pool of two workers forked 0.3 s into a program (RUST_LOG info)
    log = (DATA / "pyspy_subprocess_log.txt").read_text()
    # WHEN read
    found = sampling_starts(log)
    # THEN the program and both workers are there, each found after its maps were read,
    # the workers within 150 ms of each other and about half a second after the program
    assert len(found) == 3
    root, *workers = sorted(found.values())
    assert all(0 < w - root < 2_000 * MS for w in workers)
    assert abs(workers[1] - workers[0]) < 150 * MS


def test_a_process_seen_for_part_of_its_life_is_scaled_over_all_of_it() -> None:
    # GIVEN a worker alive from 100 ms to 1000 ms of the window, found by py-spy at 200 ms,
    # and the runner, found before the window
    window = (0, 1000 * MS)
    late = late_found({7: 200 * MS, 1: -5 * MS}, {7: 100 * MS, 1: -50 * MS}, {7: 1000 * MS}, window)
    # THEN only the worker is extrapolated: 900 ms of life, 800 ms seen; 11% unseen
    assert set(late) == {7}
    factor, missed = late[7]
    assert factor == pytest.approx(900 / 800) and missed == pytest.approx(100 / 9)
    threads = pd.DataFrame({"pid": [7, 1], "gil_hold_pct": [80.0, 10.0], "gil_hold_err_pct": 2.0})
    procs = pd.DataFrame({"pid": [7, 1], "gil_busy_pct": [95.0, 10.0], "gil_busy_err_pct": 2.0})
    threads, procs = extrapolate(threads, procs, late)
    assert threads["gil_hold_pct"].tolist() == pytest.approx([90.0, 10.0])
    assert threads["gil_hold_err_pct"].tolist() == pytest.approx([2.25, 2.0])
    # AND no share goes beyond the whole window
    assert procs["gil_busy_pct"].tolist() == pytest.approx([100.0, 10.0])
    assert procs["unsampled_pct"].tolist() == pytest.approx([100 / 9, 0.0])
