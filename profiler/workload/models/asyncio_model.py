"""asyncio: `atask` with at most WORKERS in flight, or `task` called inside the loop.

Without an `atask`, the blocking `task` runs inside the event loop itself:
that is what happens when blocking code is put in a coroutine, and it is
measured as such (no executor offloading).
"""

from __future__ import annotations

import asyncio
import time
from types import ModuleType
from typing import Any

from profiler.workload.models.base import (
    ModelRun,
    WorkloadSpec,
    describe_error,
    run_inline,
    this_thread,
    timed_acall,
)


async def _run_all(scenario: ModuleType, spec: WorkloadSpec, result: ModelRun) -> None:
    atask = getattr(scenario, "atask", None)
    if atask is None:
        run_inline(scenario.task, spec, result)
        return
    result.task_name = "atask-{index}"
    limit = asyncio.Semaphore(spec.workers)
    ids = this_thread()
    result.worker_starts.append((*ids, time.monotonic_ns()))
    values: list[Any] = [None] * spec.tasks
    failures: list[tuple[int, str]] = []

    async def lean(index: int) -> None:
        async with limit:
            if failures:
                return
            try:
                values[index] = await atask(index)
            except (Exception, SystemExit) as exc:
                failures.append((index, describe_error(exc)))

    async def timed(index: int) -> None:
        async with limit:
            if failures:
                return
            outcome = await timed_acall(atask, index, ids)
            result.raw.append(outcome)
            if outcome[5] is not None:
                failures.append((index, outcome[5]))

    if spec.task_times:  # named, so that timelines show which task ran
        await asyncio.gather(
            *(asyncio.create_task(timed(i), name=f"atask-{i}") for i in range(spec.tasks))
        )
    else:  # as a plain program gathers them
        await asyncio.gather(*(lean(i) for i in range(spec.tasks)))
    if failures:
        result.failure = min(failures)
    if not spec.task_times:
        done = result.failure[0] if result.failure else spec.tasks
        result.results = values[:done]


def run(scenario: ModuleType, spec: WorkloadSpec) -> ModelRun:
    result = ModelRun(model="asyncio")
    asyncio.run(_run_all(scenario, spec, result))
    return result
