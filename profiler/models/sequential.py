"""Sequential baseline: every task in order, in the main thread."""

from __future__ import annotations

from types import ModuleType

from profiler.models.base import ModelRun, WorkloadSpec, timed_call


def run(scenario: ModuleType, spec: WorkloadSpec) -> ModelRun:
    result = ModelRun(model="sequential")
    for index in range(spec.tasks):
        outcome = timed_call(scenario.task, index)
        result.outcomes.append(outcome)
        if not outcome.ok:
            break
    return result
