"""A profile, start to finish: timing runs, analysis, tables, report.

Owns the run directory. Reports progress through a callback and raises
`UsageError` / `RunFailed`; it never prints or exits.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

import profiler
from profiler.analyse.compare import compare
from profiler.errors import RunFailed, UsageError
from profiler.interpreters import resolve_python
from profiler.launch import package_path, run_group, runner_env
from profiler.load.runner_json import load_timing
from profiler.models import MODEL_NAMES, START_METHODS
from profiler.render.report import render_report
from profiler.rundir import MANIFEST, create_run_dir, read_json, write_json, write_table
from profiler.scenario import SIZES, Scenario, load_scenario

DEFAULT_REPEAT = {"quick": 3, "default": 5, "large": 5}
RUN_TIMEOUT_S = 3600.0


@dataclass(frozen=True)
class ProfileConfig:
    """What `concprof profile` was asked to do (validated by `validate`)."""

    scenario: str = "io"
    models: tuple[str, ...] = MODEL_NAMES
    size: str = "default"
    workers: int | None = None
    repeat: int | None = None
    python: str | None = None
    start_method: str | None = None
    reports: Path = Path("reports")
    recorders: str = "auto"


@dataclass(frozen=True)
class Progress:
    """One finished step, for the caller's progress display."""

    phase: str
    model: str
    rep: int
    done: int
    total: int
    wall_s: float | None
    ok: bool


ProgressFn = Callable[[Progress], None]


def parse_models(text: str) -> tuple[str, ...]:
    models = tuple(m.strip() for m in text.split(",") if m.strip())
    unknown = [m for m in models if m not in MODEL_NAMES]
    if unknown or not models:
        raise UsageError(
            f"unknown model {', '.join(unknown) or '(none)'}; choose from: {', '.join(MODEL_NAMES)}"
        )
    return models


def validate(config: ProfileConfig) -> None:
    if config.size not in SIZES:
        raise UsageError(f"unknown size {config.size!r}; choose one of: {', '.join(SIZES)}")
    if config.start_method and config.start_method not in START_METHODS:
        raise UsageError(
            f"unknown start method {config.start_method!r}; "
            f"choose one of: {', '.join(START_METHODS)}"
        )
    for name, value in (("workers", config.workers), ("repeat", config.repeat)):
        if value is not None and value < 1:
            raise UsageError(f"{name} must be a positive integer, got {value}")
    parse_models(",".join(config.models))


@dataclass
class Plan:
    """The resolved run: what exactly will be executed."""

    config: ProfileConfig
    python: str
    scenario: Scenario
    workers: int
    tasks: int
    repeat: int
    start_method: str
    models: tuple[str, ...] = field(default_factory=tuple)


def plan(config: ProfileConfig) -> Plan:
    validate(config)
    python = resolve_python(config.python)
    scenario = load_scenario(config.scenario, python)
    workers = scenario.resolve_workers(config.workers)
    models = config.models
    if "sequential" not in models:  # speedups need the baseline
        models = ("sequential", *models)
    return Plan(
        config=config,
        python=python,
        scenario=scenario,
        workers=workers,
        tasks=scenario.tasks_for(config.size, workers),
        repeat=config.repeat or DEFAULT_REPEAT[config.size],
        start_method=config.start_method or scenario.python["default_start_method"],
        models=models,
    )


def manifest(p: Plan, status: str, started: float, error: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "tool": {"name": "concprof", "version": profiler.__version__},
        "status": status,
        "error": error,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "duration_s": round(time.time() - started, 3),
        "scenario": {
            "name": p.scenario.name,
            "path": p.scenario.path,
            "summary": p.scenario.summary,
            "claims": p.scenario.claims,
        },
        "models": list(p.models),
        "size": p.config.size,
        "tasks": p.tasks,
        "workers": p.workers,
        "repeat": p.repeat,
        "start_method": p.start_method,
        "python": p.scenario.python,
        "cpu_count": os.cpu_count(),
        "kernel": platform.release(),
        "machine": platform.machine(),
        "recorders": {"requested": p.config.recorders, "used": [], "not_used": {}},
    }


def run_one(p: Plan, model: str, out: Path, path_dir: str) -> dict[str, Any]:
    """One runner process for one model; its result document (even on failure)."""
    argv = [
        p.python,
        "-m",
        "profiler.runner",
        "run",
        "--scenario",
        p.scenario.path,
        "--model",
        model,
        "--tasks",
        str(p.tasks),
        "--workers",
        str(p.workers),
        "--start-method",
        p.start_method,
        "--out",
        str(out),
    ]
    done = run_group(argv, runner_env(path_dir), timeout_s=RUN_TIMEOUT_S)
    if out.exists():
        doc: dict[str, Any] = json.loads(out.read_text())
        return doc
    stderr = done.stderr.strip().splitlines()
    raise RunFailed(
        f"the {model} runner exited with code {done.returncode} and wrote no result: "
        + (stderr[-1] if stderr else "no error output")
    )


def timing_runs(p: Plan, run_dir: Path, progress: ProgressFn) -> dict[str, Any] | None:
    """REPEAT rounds over the models (interleaved, so drift hits every model alike).

    Returns the first failure's error (with model and task), or None.
    """
    timing_dir = run_dir / "raw" / "timing"
    timing_dir.mkdir(parents=True, exist_ok=True)
    total = p.repeat * len(p.models)
    done = 0
    with package_path() as path_dir:
        for rep in range(1, p.repeat + 1):
            for model in p.models:
                doc = run_one(p, model, timing_dir / f"{model}-r{rep}.json", path_dir)
                done += 1
                progress(Progress("timing", model, rep, done, total, doc.get("wall_s"), doc["ok"]))
                if not doc["ok"]:
                    error: dict[str, Any] = doc["error"]
                    return error
    return None


def check_results(timing_dir: Path) -> dict[str, Any] | None:
    """All models must return the same results (same digest of the ordered results)."""
    digests: dict[str, set[str]] = {}
    for path in sorted(timing_dir.glob("*.json")):
        doc = json.loads(path.read_text())
        if doc.get("ok"):
            digests.setdefault(doc["model"], set()).add(doc["digest"])
    if len({d for ds in digests.values() for d in ds}) > 1:
        return {
            "phase": "results",
            "model": None,
            "task_index": None,
            "exception": "models returned different results: "
            + "; ".join(f"{m}: {', '.join(sorted(d))}" for m, d in digests.items()),
        }
    return None


def rebuild(run_dir: Path) -> dict[str, pd.DataFrame]:
    """From raw/ to tables/ and the report; `concprof report` runs exactly this."""
    timing, tasks = load_timing(run_dir / "raw" / "timing")
    if timing.empty:
        raise RunFailed(f"{run_dir} holds no timing results (raw/timing/ is empty)")
    tables = {"timing": timing, "tasks": tasks, "comparison": compare(timing)}
    for name, frame in tables.items():
        write_table(run_dir, name, frame)
    render_report(run_dir, read_json(run_dir / MANIFEST), tables)
    return tables


def profile(config: ProfileConfig, progress: ProgressFn) -> tuple[Path, dict[str, pd.DataFrame]]:
    """Run a whole profile; returns the run directory and its tables.

    On a failing task the partial run is kept (status "incomplete") and
    RunFailed says what failed and where the results are.
    """
    started = time.time()
    p = plan(config)
    run_dir = create_run_dir(config.reports, p.scenario.name, started)
    write_json(run_dir / MANIFEST, manifest(p, "running", started, None))
    try:
        error = timing_runs(p, run_dir, progress)
    except BaseException as exc:
        failure = {"phase": "runner", "model": None, "task_index": None, "exception": str(exc)}
        write_json(run_dir / MANIFEST, manifest(p, "incomplete", started, failure))
        raise
    error = error or check_results(run_dir / "raw" / "timing")
    status = "complete" if error is None else "incomplete"
    write_json(run_dir / MANIFEST, manifest(p, status, started, error))
    tables = rebuild(run_dir)
    if error is not None:
        where = f"model {error['model']}" + (
            f", task {error['task_index']}" if error.get("task_index") is not None else ""
        )
        last = (error.get("exception") or "").strip().splitlines()
        raise RunFailed(
            f"{error['phase']} failed ({where}): {last[-1] if last else '?'}; "
            f"partial results in {run_dir}"
        )
    return run_dir, tables


def plan_summary(p: Plan) -> dict[str, Any]:
    return {k: v for k, v in asdict(p).items() if k != "config"}
