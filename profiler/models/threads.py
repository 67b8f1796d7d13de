"""Threads: a pool of WORKERS threads named worker_0, worker_1, ..."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from types import ModuleType

from profiler.models.base import Collector, ModelRun, WorkloadSpec, timed_call


def run(scenario: ModuleType, spec: WorkloadSpec) -> ModelRun:
    result = ModelRun(model="threads")
    pool = ThreadPoolExecutor(max_workers=spec.workers, thread_name_prefix="worker")
    try:
        Collector(result).gather(
            pool.submit(timed_call, scenario.task, i) for i in range(spec.tasks)
        )
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return result
