"""asyncio: `atask` with at most WORKERS in flight, or `task` called inside the loop.

Without an `atask`, the blocking `task` runs inside the event loop itself:
that is what happens when blocking code is put in a coroutine, and it is
measured as such (no executor offloading).
"""

from __future__ import annotations

import asyncio
from types import ModuleType

from profiler.models.base import ModelRun, TaskOutcome, WorkloadSpec, timed_acall, timed_call


async def _run_all(scenario: ModuleType, spec: WorkloadSpec) -> list[TaskOutcome]:
    atask = getattr(scenario, "atask", None)
    outcomes: list[TaskOutcome] = []
    if atask is None:
        for index in range(spec.tasks):
            outcome = timed_call(scenario.task, index)
            outcomes.append(outcome)
            if not outcome.ok:
                break
        return outcomes

    limit = asyncio.Semaphore(spec.workers)
    failed = asyncio.Event()

    async def one(index: int) -> None:
        async with limit:
            if failed.is_set():
                return
            outcome = await timed_acall(atask, index, f"atask-{index}")
            outcomes.append(outcome)
            if not outcome.ok:
                failed.set()

    tasks = [asyncio.create_task(one(i), name=f"atask-{i}") for i in range(spec.tasks)]
    await asyncio.gather(*tasks)
    return outcomes


def run(scenario: ModuleType, spec: WorkloadSpec) -> ModelRun:
    return ModelRun(model="asyncio", outcomes=asyncio.run(_run_all(scenario, spec)))
