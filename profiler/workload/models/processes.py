"""Processes: a pool of WORKERS processes with a chosen start method.

`task` is pickled by reference, as in the user's own program: each worker
imports the scenario file (pool initializer) before it unpickles a task, and
notes its start once on a queue the runner reads after the tasks. In an observed
run, what the pool pickles is timed and sized (profiler.workload.ipc_watch).
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from types import ModuleType
from typing import Any

from profiler.workload import ipc_watch
from profiler.workload.models.base import (
    ModelRun,
    WorkloadSpec,
    collect,
    timed_call,
    worker_started,
)
from profiler.workload.models.usage import process_usage


def run(scenario: ModuleType, spec: WorkloadSpec) -> ModelRun:
    result = ModelRun(model="processes")
    context = multiprocessing.get_context(spec.start_method)
    if spec.ipc_dir is not None:  # an observed run: time and size what is pickled
        ipc_watch.install()
        ipc_watch.take()  # only this run's
    starts = context.SimpleQueue()
    pool = ProcessPoolExecutor(  # a fork pool starts every worker at once: no more than tasks
        max_workers=max(1, min(spec.workers, spec.tasks)),
        mp_context=context,
        initializer=worker_started,
        initargs=(starts, spec.scenario_path, spec.module_name, spec.ipc_dir),
    )
    task = scenario.task
    try:
        if spec.task_times:
            futures = [pool.submit(timed_call, task, i) for i in range(spec.tasks)]
        else:
            futures = [pool.submit(task, i) for i in range(spec.tasks)]
        collect(futures, result, spec.task_times)
        # CPU and peak RSS of every worker, also those that got no task, read once from
        # outside it after all tasks: O(workers), never per task (~20 us per worker).
        for pid in list(getattr(pool, "_processes", None) or {}):
            usage = process_usage(pid)
            if usage is not None:
                result.worker_usage[pid] = usage
        _drain(starts, result)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if spec.ipc_dir is not None:
            result.ipc = ipc_watch.take()
    _drain(starts, result)
    starts.close()
    return result


def _drain(starts: Any, result: ModelRun) -> None:
    """The start of each worker, as noted by its initializer (once per worker)."""
    while not starts.empty():
        result.worker_starts.append(starts.get())
