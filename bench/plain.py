"""A plain program doing what concprof's timing run does, for the harness-fidelity bench.

`python bench/plain.py SCENARIO_FILE MODEL TASKS WORKERS` imports the scenario,
runs setup(), then times only the model run: the plain concurrent.futures /
asyncio code a user would write (submit every task, then collect each result),
and prints the wall time in seconds. Standard library only.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from types import ModuleType
from typing import Any


def load(path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location("plain_scenario", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["plain_scenario"] = module  # so `task` pickles by reference
    spec.loader.exec_module(module)
    return module


def run_sequential(m: ModuleType, tasks: int, workers: int) -> list[Any]:
    return [m.task(i) for i in range(tasks)]


def run_threads(m: ModuleType, tasks: int, workers: int) -> list[Any]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(m.task, i) for i in range(tasks)]
        return [f.result() for f in futures]


def run_processes(m: ModuleType, tasks: int, workers: int) -> list[Any]:
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(m.task, i) for i in range(tasks)]
        return [f.result() for f in futures]


def run_asyncio(m: ModuleType, tasks: int, workers: int) -> list[Any]:
    atask = getattr(m, "atask", None)

    async def main() -> list[Any]:
        if atask is None:  # as concprof does: the blocking task inside the loop
            return [m.task(i) for i in range(tasks)]
        limit = asyncio.Semaphore(workers)

        async def one(i: int) -> Any:
            async with limit:
                return await atask(i)

        return await asyncio.gather(*(one(i) for i in range(tasks)))

    return asyncio.run(main())


MODELS = {
    "sequential": run_sequential,
    "threads": run_threads,
    "processes": run_processes,
    "asyncio": run_asyncio,
}


def main() -> int:
    path, model, tasks, workers = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    module = load(path)
    if getattr(module, "setup", None):
        module.setup()
    try:
        start = time.monotonic_ns()
        results = MODELS[model](module, tasks, workers)
        wall_s = (time.monotonic_ns() - start) / 1e9
    finally:
        if getattr(module, "teardown", None):
            module.teardown()
    assert len(results) == tasks
    print(wall_s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
