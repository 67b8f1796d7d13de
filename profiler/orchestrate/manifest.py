"""run.json: what a run says about itself (plan, recorders, observed runs, status, error,
answer), and the run errors the session records (typed: profiler.workload.documents.RunError)."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path
from typing import Any

import profiler
from profiler.analysis import RunAnalysis
from profiler.answer import Answer
from profiler.orchestrate.launch import RunTimeout
from profiler.recorders.base import Selection
from profiler.render.wording import advice_table, headline
from profiler.rundir import write_table
from profiler.spine import Manifest, Observed, Plan, RecordersUsed, ScenarioRef, ToolInfo
from profiler.workload.documents import RunError
from profiler.workload.models.base import printable


def manifest(
    p: Plan,
    status: str,
    started: float,
    error: RunError | None,
    chosen: Selection,
    observed: dict[str, Observed],
) -> Manifest:
    return Manifest(
        tool=ToolInfo("concprof", profiler.__version__),
        status=status,
        error=error,
        created=time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        duration_s=round(time.time() - started, 3),
        scenario=ScenarioRef(
            printable(p.scenario.name),
            printable(p.scenario.path),
            p.scenario.summary,
            p.scenario.claims,
        ),
        models=list(p.models),
        size=p.config.size,
        tasks=p.tasks,
        workers=p.workers,
        repeat=p.repeat,
        margin=p.config.margin,
        max_slowdown=p.config.max_slowdown,
        sampled_error_pct=p.config.sampled_error_pct,
        loop_stall_ms=p.config.loop_stall_ms,
        start_method=p.start_method,
        dask_scheduler=p.config.dask_scheduler,
        dask_threads=p.config.dask_threads,
        python=p.scenario.python,
        cpu_count=os.cpu_count(),
        kernel=platform.release(),
        machine=platform.machine(),
        recorders=RecordersUsed(p.config.recorders, chosen.used, chosen.not_used),
        observed=dict(observed),
    )


def timeout_error(model: str, run: str, exc: RunTimeout, scenario_path: str) -> RunError:
    where = exc.in_flight(scenario_path)
    last = [line for line in exc.stderr.strip().splitlines() if line.strip()]
    said = f"; in flight: {where}" if where else (f"; its last output: {last[-1]}" if last else "")
    return RunError(
        "timeout",
        model,
        None,
        f"the {run} run of {model} ran longer than {exc.timeout_s:g} s (--timeout) and was ended"
        + said,
    )


def advice_doc(answer: Answer | None) -> dict[str, Any] | None:
    """The answer as run.json keeps it: its data, and its headline as the report words it
    (tables/advice.csv has it in words)."""
    return None if answer is None else {"headline": headline(answer), **answer.to_json()}


def save_analysis(run_dir: Path, analysis: RunAnalysis) -> None:
    """tables/: every table, the answer in words (advice.csv) among them."""
    if analysis.answer is not None:
        analysis.advice = advice_table(analysis.answer)
    for name, frame in analysis.frames().items():
        write_table(run_dir, name, frame)


def observed_error(model: str, o: Observed) -> RunError | None:
    """A failed observed run, or a recorder that failed in it, as a run error."""
    if not o.ok:
        return RunError("observed", model, None, o.error)
    failed = {n: s for n, s in o.recorders.items() if s.failed}
    if failed:
        name, status = next(iter(failed.items()))
        return RunError("recorder", model, None, f"{name} {status.describe()}")
    return None


def failure_message(error: RunError, run_dir: Path) -> str:
    """RunFailed's one line for a run that ended with `error`."""
    if error.phase == "runner":
        return f"{error.exception}; partial results in {run_dir}"
    where = f"model {error.model}" + (
        f", task {error.task_index}" if error.task_index is not None else ""
    )
    last = (error.exception or "").strip().splitlines()
    return (
        f"{error.phase} failed ({where}): {last[-1] if last else '?'}; partial results in {run_dir}"
    )
