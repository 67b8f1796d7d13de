"""What a profile will run: the validated request and the resolved plan."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from profiler.analyse.compare import DEFAULT_MARGIN
from profiler.analyse.observer import DEFAULT_MAX_SLOWDOWN
from profiler.analyse.sampled import DEFAULT_SAMPLED_ERROR_PCT
from profiler.errors import UsageError
from profiler.interpreters import resolve_python
from profiler.models import MODEL_NAMES, START_METHODS
from profiler.record.names import parse_recorders
from profiler.scenario import SIZES, Scenario, load_scenario

DEFAULT_REPEAT = {"quick": 3, "default": 5, "large": 5}
DEFAULT_TIMEOUT_S = 600.0  # per model run; --timeout
MAX_WORKERS = 4096  # more threads or processes than this is a mistake, not a workload


@dataclass(frozen=True)
class ProfileConfig:
    """What `concprof profile` was asked to do (validated by `validate`)."""

    scenario: str = "io"
    models: tuple[str, ...] | None = None  # None: the scenario's MODELS, else all
    size: str = "default"
    workers: int | None = None
    repeat: int | None = None
    python: str | None = None
    start_method: str | None = None
    reports: Path = Path("reports")
    recorders: str = "auto"
    margin: float = DEFAULT_MARGIN  # practical equivalence: differences inside it are "same"
    timeout_s: float = DEFAULT_TIMEOUT_S  # one model run longer than this is ended
    max_slowdown: float = DEFAULT_MAX_SLOWDOWN  # exact probes may slow an observed run this much
    sampled_error_pct: float = DEFAULT_SAMPLED_ERROR_PCT  # 95% error a sampled share may have


@dataclass(frozen=True)
class Step:
    """One finished step, for the caller's progress display."""

    phase: str
    model: str
    rep: int
    done: int
    total: int
    wall_s: float | None
    ok: bool
    note: str = ""  # e.g. "disturbed: ... running it again"


ProgressFn = Callable[[Step], None]


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
    if not 0.0 <= config.margin < 1.0:
        raise UsageError(
            f"margin must be a percentage from 0 to 100 (default 5), got {config.margin * 100:g}"
        )
    if not config.timeout_s > 0:
        raise UsageError(f"timeout must be a positive number of seconds, got {config.timeout_s:g}")
    if not 1.0 < config.max_slowdown <= 100.0:
        raise UsageError(
            "max-slowdown must be a factor above 1 and at most 100 (default 1.5), "
            f"got {config.max_slowdown:g}"
        )
    if not 0.5 <= config.sampled_error_pct <= 50.0:
        raise UsageError(
            "sampled-error must be between 0.5 and 50 percentage points (default 5), "
            f"got {config.sampled_error_pct:g}"
        )
    for name, value in (("workers", config.workers), ("repeat", config.repeat)):
        if value is not None and value < 1:
            raise UsageError(f"{name} must be a positive integer, got {value}")
    if config.workers is not None and config.workers > MAX_WORKERS:
        raise UsageError(
            f"workers must be at most {MAX_WORKERS}, got {config.workers} "
            "(each worker is a thread or a process)"
        )
    if config.models is not None:
        parse_models(",".join(config.models))
    parse_recorders(config.recorders)


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
    models = config.models or tuple(scenario.models) or MODEL_NAMES
    allows_baseline = not scenario.models or "sequential" in scenario.models
    if "sequential" not in models and allows_baseline:  # speedups need the baseline
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


def runner_argv(
    p: Plan,
    model: str,
    out: Path,
    gil_reference: bool = False,
    task_times: bool = False,
    passes: int = 1,
) -> list[str]:
    """The runner command for one model run of this plan.

    Observed runs add task_times (per-task clock reads for the timeline) and,
    with py-spy, its round counter and as many passes as its error bound needs;
    timing runs run the tasks as they are, once.
    """
    return [
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
        *(["--gil-reference"] if gil_reference else []),
        *(["--task-times"] if task_times else []),
        *(["--passes", str(passes)] if passes > 1 else []),
    ]
