"""run_parallel: calls in forked children, results in order, no child left behind."""

from __future__ import annotations

import os
import time

import pytest

from profiler.recorders.viztracer.forked import run_parallel


def test_results_come_back_in_order_from_other_processes() -> None:
    # GIVEN three calls that report the process they ran in
    here = os.getpid()
    calls = [lambda k=k: (k, os.getpid()) for k in range(3)]
    # WHEN run in parallel
    results = run_parallel(calls)
    # THEN results are in call order; the first ran here, the others each in a child
    assert [k for k, _ in results] == [0, 1, 2]
    pids = [pid for _, pid in results]
    assert pids[0] == here
    assert here not in pids[1:] and len(set(pids[1:])) == 2


def test_a_child_that_dies_has_its_call_run_here() -> None:
    # GIVEN a call that kills its process unless it runs in the parent
    here = os.getpid()

    def fragile() -> str:
        if os.getpid() != here:
            os._exit(3)
        return "ran here"

    # WHEN run as a child's call
    # THEN its result still comes back, computed here
    assert run_parallel([lambda: "first", fragile]) == ["first", "ran here"]


def test_an_error_in_a_child_is_raised_here() -> None:
    def broken() -> None:
        raise ValueError("bad segment")

    with pytest.raises(ValueError, match="bad segment"):
        run_parallel([lambda: None, broken])


def test_children_are_killed_when_the_first_call_fails() -> None:
    # GIVEN children that would run for a minute, and a first call that fails at once
    def slow() -> None:
        time.sleep(60)

    def failing() -> None:
        raise KeyboardInterrupt

    # WHEN it fails, THEN the failure propagates and (conftest) no child is left running
    with pytest.raises(KeyboardInterrupt):
        run_parallel([failing, slow, slow])


def test_no_calls_no_results() -> None:
    assert run_parallel([]) == []
