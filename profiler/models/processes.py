"""Processes: a pool of WORKERS processes with a chosen start method.

`task` is pickled by reference, as in the user's own program: each worker
imports the scenario file (pool initializer) before it unpickles a task.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from types import ModuleType

from profiler.models.base import (
    Collector,
    ModelRun,
    WorkloadSpec,
    load_scenario_module,
    process_usage,
    timed_call,
)


def run(scenario: ModuleType, spec: WorkloadSpec) -> ModelRun:
    result = ModelRun(model="processes")
    pool = ProcessPoolExecutor(
        max_workers=spec.workers,
        mp_context=multiprocessing.get_context(spec.start_method),
        initializer=load_scenario_module,
        initargs=(spec.scenario_path, spec.module_name),
    )
    try:
        Collector(result).gather(
            pool.submit(timed_call, scenario.task, i) for i in range(spec.tasks)
        )
        # CPU and peak RSS of every worker, also those that got no task, read once from
        # outside it after all tasks: O(workers), never per task (~20 us per worker).
        for pid in list(getattr(pool, "_processes", None) or {}):
            usage = process_usage(pid)
            if usage is not None:
                result.worker_usage[pid] = usage
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return result
