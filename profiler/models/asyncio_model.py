"""asyncio: `atask` with at most WORKERS in flight, or `task` called inside the loop.

Without an `atask`, the blocking `task` runs inside the event loop itself:
that is what happens when blocking code is put in a coroutine, and it is
measured as such (no executor offloading).
"""

from __future__ import annotations

import asyncio
from types import ModuleType

from profiler.models.base import ModelRun, WorkloadSpec, run_inline, this_thread, timed_acall


async def _run_all(scenario: ModuleType, spec: WorkloadSpec, result: ModelRun) -> None:
    atask = getattr(scenario, "atask", None)
    if atask is None:
        run_inline(scenario.task, spec.tasks, result)
        return
    result.task_name = "atask-{index}"
    limit = asyncio.Semaphore(spec.workers)
    failed = asyncio.Event()
    ids = this_thread()
    append = result.raw.append

    async def one(index: int) -> None:
        async with limit:
            if failed.is_set():
                return
            outcome = await timed_acall(atask, index, ids)
            append(outcome)
            if outcome[5] is not None:
                failed.set()

    tasks = [asyncio.create_task(one(i), name=f"atask-{i}") for i in range(spec.tasks)]
    await asyncio.gather(*tasks)


def run(scenario: ModuleType, spec: WorkloadSpec) -> ModelRun:
    result = ModelRun(model="asyncio")
    asyncio.run(_run_all(scenario, spec, result))
    return result
