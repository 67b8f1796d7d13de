"""Concurrency models: each runs a scenario's tasks and returns a `ModelRun`.

Stdlib-only: these modules run inside the workload's interpreter.
"""

from __future__ import annotations

from profiler.workload import MODEL_NAMES, START_METHODS
from profiler.workload.models.base import ModelFn, ModelRun, TaskOutcome, WorkloadSpec


def get_model(name: str) -> ModelFn:
    """Return the run function of a model by name (imported lazily)."""
    if name == "sequential":
        from profiler.workload.models.sequential import run
    elif name == "threads":
        from profiler.workload.models.threads import run
    elif name == "processes":
        from profiler.workload.models.processes import run
    elif name == "asyncio":
        from profiler.workload.models.asyncio_model import run
    elif name == "dask":
        from profiler.workload.models.dask_model import run
    else:
        raise KeyError(name)
    return run


__all__ = [
    "MODEL_NAMES",
    "START_METHODS",
    "ModelFn",
    "ModelRun",
    "TaskOutcome",
    "WorkloadSpec",
    "get_model",
]
