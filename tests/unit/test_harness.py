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
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import FrameType
from typing import Any

import pytest

from profiler.models.base import Collector, ModelRun, RawOutcome, run_inline, timed_call


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
    """Futures completed by a worker thread while the collector waits: locks taken per task."""
    futures: list[Future[RawOutcome]] = []
    for _ in range(tasks):
        future: Future[RawOutcome] = Future()
        future._condition = CountingCondition()  # type: ignore[assignment]
        futures.append(future)
    CountingCondition.count = 0
    ids = (1, 1, "worker_0")

    def complete() -> None:
        time.sleep(0.01)  # let the collector start waiting with every task pending
        for i, f in enumerate(futures):
            f.set_result((i, ids, 0, 1, i, None))
            time.sleep(0.0001)  # one completion at a time, as tasks finish in a real pool

    finisher = threading.Thread(target=complete)
    finisher.start()
    result = ModelRun("threads")
    Collector(result).gather(futures)
    finisher.join()
    assert sorted(r[0] for r in result.raw) == list(range(tasks))
    return CountingCondition.count / tasks


def test_collector_work_per_task_does_not_grow_with_pending_tasks() -> None:
    # GIVEN 100 and then 3,000 pending futures
    # WHEN each is collected as it completes
    few, many = lock_operations_per_task(100), lock_operations_per_task(1_000)
    # THEN each task costs the same few lock operations, however many are pending
    # (waiting on all pending futures per completion costs ~500 per task at 1,000)
    assert few <= 6 and many <= 6


def test_first_failure_cancels_the_tasks_not_started() -> None:
    # GIVEN a pool of one thread and 50 tasks, of which task 0 fails
    def task(i: int) -> int:
        if i == 0:
            raise ValueError("boom")
        time.sleep(0.001)
        return i

    result = ModelRun("threads")
    with ThreadPoolExecutor(max_workers=1) as pool:
        Collector(result).gather(pool.submit(timed_call, task, i) for i in range(50))
    outcomes = result.outcomes()
    # THEN the failure is kept with its traceback, and the rest did not all run
    failed = [o for o in outcomes if not o.ok]
    assert [o.task_index for o in failed] == [0] and "ValueError: boom" in str(failed[0].error)
    assert len(outcomes) < 50


def test_a_broken_pool_is_raised_to_the_model() -> None:
    # GIVEN a future that ends with an exception of the pool itself
    future: Future[RawOutcome] = Future()
    future.set_exception(RuntimeError("pool broke"))
    # WHEN collected, THEN the exception reaches the model (the runner reports it)
    with pytest.raises(RuntimeError, match="pool broke"):
        Collector(ModelRun("processes")).gather([future])


def c_calls_during(fn: Callable[[], object]) -> set[str]:
    """Names of every C function called while fn runs (sys.setprofile sees them all)."""
    seen: set[str] = set()

    def hook(frame: FrameType, event: str, arg: Any) -> None:
        if event == "c_call":
            seen.add(getattr(arg, "__qualname__", None) or repr(arg))

    sys.setprofile(hook)
    try:
        fn()
    finally:
        sys.setprofile(None)
    seen.discard("setprofile")
    return seen


# what may run per task besides the task: the clock, naming the thread from a cache
ALLOWED_PER_TASK = {"monotonic_ns", "get_ident", "dict.get", "list.append"}


def pure_task(i: int) -> int:
    return i * 2


def test_a_pool_task_runs_between_two_clock_reads_and_nothing_else() -> None:
    timed_call(pure_task, 0)  # the thread's identity is cached at its first task
    # WHEN one more task runs through the pool wrapper
    calls = c_calls_during(lambda: timed_call(pure_task, 1))
    # THEN no file read, resource probe or other system call happened
    assert calls <= ALLOWED_PER_TASK, calls - ALLOWED_PER_TASK
    assert "monotonic_ns" in calls


def test_sequential_tasks_run_between_two_clock_reads_and_nothing_else() -> None:
    run = ModelRun("sequential")
    run_inline(pure_task, 1, run)  # caches the thread's identity
    calls = c_calls_during(lambda: run_inline(pure_task, 100, ModelRun("sequential")))
    assert calls <= ALLOWED_PER_TASK | {"range"}, calls - ALLOWED_PER_TASK
    assert [o.result for o in run.outcomes()] == [0]
