"""Sequential baseline: every task in order, in the main thread."""

from __future__ import annotations

from types import ModuleType

from profiler.workload.models.base import ModelRun, WorkloadSpec, run_inline


def run(scenario: ModuleType, spec: WorkloadSpec) -> ModelRun:
    result = ModelRun(model="sequential")
    run_inline(scenario.task, spec, result)
    return result
