"""What a profile will run: the validated request and the resolved plan."""

from __future__ import annotations

from profiler.errors import UsageError
from profiler.orchestrate.interpreters import resolve_python
from profiler.orchestrate.scenario import check_dask, load_scenario
from profiler.recorders.names import parse_recorders
from profiler.spine import SIZES, Plan, ProfileConfig
from profiler.workload import DEFAULT_MODELS, MODEL_NAMES, START_METHODS

DEFAULT_REPEAT = {"quick": 3, "default": 5, "large": 5}
MAX_WORKERS = 4096  # more threads or processes than this is a mistake, not a workload


def parse_models(text: str) -> tuple[str, ...]:
    models = tuple(m.strip() for m in text.split(",") if m.strip())
    unknown = [m for m in models if m not in MODEL_NAMES]
    if unknown or not models:
        raise UsageError(
            f"unknown model {', '.join(unknown) or '(none)'}; choose from: {', '.join(MODEL_NAMES)}"
        )
    return models


def check_workers(workers: int) -> None:
    """A worker count: at least 1, at most MAX_WORKERS (each is a thread or a process)."""
    if workers < 1:
        raise UsageError(f"workers must be a positive integer, got {workers}")
    if workers > MAX_WORKERS:
        raise UsageError(
            f"workers must be at most {MAX_WORKERS}, got {workers} "
            "(each worker is a thread or a process)"
        )


def check_loop_stall(stall_ms: float) -> None:
    """The event-loop stall threshold: 1 ms to 10 s (the monitor samples a stall every
    quarter of it, so below 1 ms it would sample most callbacks)."""
    if not 1.0 <= stall_ms <= 10_000.0:
        raise UsageError(
            f"loop-stall-ms must be from 1 to 10000 milliseconds (default 10), got {stall_ms:g}"
        )


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
    check_loop_stall(config.loop_stall_ms)
    if config.repeat is not None and config.repeat < 1:
        raise UsageError(f"repeat must be a positive integer, got {config.repeat}")
    if config.workers is not None:
        check_workers(config.workers)
    if config.models is not None:
        parse_models(",".join(config.models))
    check_dask_options(config)
    parse_recorders(config.recorders)


DASK_SCHEMES = ("tcp", "tls")
MAX_DASK_THREADS = 256


def check_dask_options(config: ProfileConfig) -> None:
    """--dask-threads 1..256; --dask-scheduler SCHEME://HOST:PORT, and only with dask."""
    if not 1 <= config.dask_threads <= MAX_DASK_THREADS:
        raise UsageError(
            f"dask-threads must be from 1 to {MAX_DASK_THREADS} (default 1), "
            f"got {config.dask_threads}"
        )
    address = config.dask_scheduler
    if address is None:
        return
    scheme, _, rest = address.partition("://")
    host, _, port = rest.rpartition(":")
    if scheme not in DASK_SCHEMES or not host or not port.isdigit():
        raise UsageError(
            f"dask-scheduler must be an address like tcp://127.0.0.1:8786 "
            f"({' or '.join(DASK_SCHEMES)}), got {address!r}"
        )
    if config.models is not None and "dask" not in config.models:
        raise UsageError("--dask-scheduler is for the dask model: add dask to --models")


def plan(config: ProfileConfig) -> Plan:
    validate(config)
    python = resolve_python(config.python)
    scenario = load_scenario(config.scenario, python)
    workers = scenario.resolve_workers(config.workers)
    models = config.models or tuple(scenario.models) or DEFAULT_MODELS
    allows_baseline = not scenario.models or "sequential" in scenario.models
    if "sequential" not in models and allows_baseline:  # speedups need the baseline
        models = ("sequential", *models)
    if "dask" in models:  # its dependency and its cluster, before anything runs
        check_dask(python, scenario.path, config.dask_scheduler)
    elif config.dask_scheduler:
        raise UsageError("--dask-scheduler is for the dask model: add dask to --models")
    return Plan(
        config=config,
        python=python,
        scenario=scenario,
        workers=workers,
        tasks=scenario.tasks_for(config.size, workers),
        repeat=config.repeat or DEFAULT_REPEAT[config.size],
        start_method=config.start_method or scenario.python.default_start_method,
        models=models,
    )
