"""The harness measures the workload, never itself.

GIVEN/WHEN/THEN on the real models' building blocks: the collector's work per
completed task does not grow with the number of tasks in flight (counted as
lock acquisitions on the futures, not timed), and nothing but the task and
the clock reads runs per task (audited with a profiler hook that sees every
C function called).
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.thread import BrokenThreadPool
from types import FrameType
from typing import Any

import pytest

from profiler.workload.models.base import ModelRun, WorkloadSpec, collect, run_inline, timed_call


class CountingCondition:
    """A threading.Condition that counts how often it is entered or acquired."""

    count = 0

    def __init__(self) -> None:
        self._inner = threading.Condition()

    def __enter__(self) -> bool:
        CountingCondition.count += 1
        return self._inner.__enter__()

    def __exit__(self, *exc: object) -> None:
        self._inner.__exit__(*exc)

    def acquire(self, *args: Any) -> bool:
        CountingCondition.count += 1
        return self._inner.acquire(*args)

    def release(self) -> None:
        self._inner.release()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def lock_operations_per_task(tasks: int) -> float:
    """Futures completed one at a time while the collector waits: locks taken per task."""
    futures: list[Future[int]] = []
    for _ in range(tasks):
        future: Future[int] = Future()
        future._condition = CountingCondition()  # type: ignore[assignment]
        futures.append(future)
    CountingCondition.count = 0

    def complete() -> None:
        time.sleep(0.01)  # let the collector start waiting with every task pending
        for i, f in enumerate(futures):
            f.set_result(i)
            time.sleep(0.0001)  # one completion at a time, as tasks finish in a real pool

    finisher = threading.Thread(target=complete)
    finisher.start()
    result = ModelRun("threads")
    collect(futures, result, timed=False)
    finisher.join()
    assert result.results == list(range(tasks))
    return CountingCondition.count / tasks


def test_collector_work_per_task_does_not_grow_with_pending_tasks() -> None:
    # GIVEN 100 and then 1,000 pending futures
    # WHEN each is collected as it completes
    few, many = lock_operations_per_task(100), lock_operations_per_task(1_000)
    # THEN each task costs the same few lock operations, however many are pending
    # (waiting on all pending futures per completion costs ~500 per task at 1,000)
    assert few <= 6 and many <= 6


def failing_at_zero(i: int) -> int:
    if i == 0:
        raise ValueError("boom")
    time.sleep(0.001)
    return i


@pytest.mark.parametrize("timed", [False, True])
def test_first_failure_cancels_the_tasks_not_started(timed: bool) -> None:
    # GIVEN a pool of one thread and 50 tasks, of which task 0 fails
    result = ModelRun("threads")
    with ThreadPoolExecutor(max_workers=1) as pool:
        if timed:
            futures = [pool.submit(timed_call, failing_at_zero, i) for i in range(50)]
        else:
            futures = [pool.submit(failing_at_zero, i) for i in range(50)]
        collect(futures, result, timed)
        cancelled = sum(f.cancelled() for f in futures)
    # THEN the failure is kept with its traceback, and the tasks not started were cancelled
    failure = result.first_failure()
    assert failure is not None and failure[0] == 0 and "ValueError: boom" in failure[1]
    assert cancelled > 0


def test_a_broken_pool_is_raised_to_the_model() -> None:
    # GIVEN a future that ends with an exception of the pool itself
    future: Future[int] = Future()
    future.set_exception(BrokenThreadPool("pool broke"))
    # WHEN collected, THEN the exception reaches the model (the runner reports it)
    with pytest.raises(BrokenThreadPool, match="pool broke"):
        collect([future], ModelRun("threads"), timed=False)


def c_calls_during(fn: Callable[[], object]) -> Counter[str]:
    """How often each function was called while fn ran (sys.setprofile sees them all).

    C functions by name; Python functions as `py:<name>`.
    """
    seen: Counter[str] = Counter()

    def hook(frame: FrameType, event: str, arg: Any) -> None:
        if event == "c_call":
            seen[getattr(arg, "__qualname__", None) or repr(arg)] += 1
        elif event == "call":
            seen[f"py:{frame.f_code.co_name}"] += 1

    sys.setprofile(hook)
    try:
        fn()
    finally:
        sys.setprofile(None)
    del seen["setprofile"]
    return seen


def per_task_calls(run_tasks: Callable[[int], object]) -> dict[str, float]:
    """C calls per task: the calls of a 110-task run less those of a 10-task run, over 100."""
    run_tasks(1)  # caches the thread's identity, as a run's first task does
    few, many = c_calls_during(lambda: run_tasks(10)), c_calls_during(lambda: run_tasks(110))
    return {name: (many[name] - few[name]) / 100 for name in many if many[name] != few[name]}


def pure_task(i: int) -> int:
    return i * 2


def spec(tasks: int, task_times: bool) -> WorkloadSpec:
    return WorkloadSpec("x.py", "x", tasks, 1, "fork", task_times)


def test_a_timing_run_calls_nothing_per_task_but_the_task() -> None:
    # WHEN the sequential loop of a timing run runs 100 more tasks
    calls = per_task_calls(lambda n: run_inline(pure_task, spec(n, False), ModelRun("s")))
    # THEN per task only the task runs: no clock, no file read, no system call
    assert calls == {"py:pure_task": 1.0}


def test_an_observed_run_adds_two_clock_reads_per_task() -> None:
    calls = per_task_calls(lambda n: run_inline(pure_task, spec(n, True), ModelRun("s")))
    assert calls == {"py:pure_task": 1.0, "monotonic_ns": 2.0, "list.append": 1.0}


def test_the_pool_wrapper_reads_two_clocks_and_names_the_thread_from_a_cache() -> None:
    timed_call(pure_task, 0)  # the thread's identity is cached at its first task

    def many(n: int) -> None:
        for i in range(n):
            timed_call(pure_task, i)

    calls = per_task_calls(many)
    assert calls == {
        "py:timed_call": 1.0,
        "py:pure_task": 1.0,
        "monotonic_ns": 2.0,
        "get_ident": 1.0,
        "dict.get": 1.0,
    }


def test_the_built_in_scenarios_ship_inside_the_package() -> None:
    # an installed wheel has no checkout around it: the scenarios must be package data
    import tomllib

    from profiler.orchestrate.launch import PACKAGE_DIR
    from profiler.orchestrate.scenario import builtin_dir, builtin_names

    assert builtin_dir().resolve().is_relative_to(PACKAGE_DIR.resolve())
    assert {"io", "cpu", "syscalls"} <= set(builtin_names())
    project = tomllib.loads((PACKAGE_DIR.parent / "pyproject.toml").read_text())
    assert "scenarios/*.py" in project["tool"]["setuptools"]["package-data"]["profiler"]
