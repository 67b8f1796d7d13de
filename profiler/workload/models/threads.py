"""Threads: a pool of WORKERS threads named worker_0, worker_1, ..."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from types import ModuleType

from profiler.workload.models.base import (
    ModelRun,
    WorkloadSpec,
    collect,
    timed_call,
    worker_started,
)


def run(scenario: ModuleType, spec: WorkloadSpec) -> ModelRun:
    result = ModelRun(model="threads")
    pool = ThreadPoolExecutor(
        max_workers=spec.workers,
        thread_name_prefix="worker",
        initializer=worker_started,
        initargs=(result.worker_starts,),
    )
    task = scenario.task
    try:
        if spec.task_times:
            futures = [pool.submit(timed_call, task, i) for i in range(spec.tasks)]
        else:
            futures = [pool.submit(task, i) for i in range(spec.tasks)]
        collect(futures, result, spec.task_times)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return result
