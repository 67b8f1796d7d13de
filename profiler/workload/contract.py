"""The scenario contract: a scenario file is imported and checked here, in the workload's own
interpreter (`runner describe`), and the interpreter reports itself (PythonInfo)."""

from __future__ import annotations

import inspect
import multiprocessing
import os
import platform
import sys
import sysconfig
from pathlib import Path
from types import ModuleType

from profiler.workload.documents import PythonInfo, ScenarioDescription
from profiler.workload.gil_watch import free_threaded
from profiler.workload.models import MODEL_NAMES
from profiler.workload.models.scenario_module import load_scenario_module, module_name_for

CONTRACT = (
    "a scenario file defines TASKS = <int> and def task(i: int): ...; "
    "optional: WORKERS, setup(), teardown(), async def atask(i)"
)


class ContractError(Exception):
    """The scenario file does not follow the scenario contract."""


def python_info() -> PythonInfo:
    gil_check = getattr(sys, "_is_gil_enabled", None)
    return PythonInfo(
        version=platform.python_version(),
        implementation=platform.python_implementation(),
        executable=sys.executable,
        real_executable=os.path.realpath(sys.executable),
        libdir=sysconfig.get_config_var("LIBDIR"),
        ldlibrary=sysconfig.get_config_var("LDLIBRARY"),
        shared=bool(sysconfig.get_config_var("Py_ENABLE_SHARED")),
        build=" ".join(platform.python_build()),
        gil_enabled=True if gil_check is None else bool(gil_check()),
        free_threaded=free_threaded(),
        default_start_method=multiprocessing.get_start_method(),
        cpu_count=os.cpu_count(),
    )


def load_checked(path: str) -> ModuleType:
    """Import a scenario file and check it against the contract."""
    if not Path(path).is_file():
        raise ContractError(f"scenario file not found: {path}")
    try:
        module = load_scenario_module(path, module_name_for(path))
    except SyntaxError as exc:
        raise ContractError(f"{path}:{exc.lineno}: syntax error: {exc.msg}") from exc
    except ModuleNotFoundError as exc:
        if not exc.name:
            raise ContractError(f"{path}: importing it raised ModuleNotFoundError: {exc}") from exc
        top = exc.name.split(".")[0]
        raise ContractError(
            f"{path}: importing it raised ModuleNotFoundError: No module named {exc.name!r} "
            f"in the workload interpreter {sys.executable} (Python {platform.python_version()}); "
            f"fix: {sys.executable} -m pip install {top} (or the package that provides it), "
            "or choose an interpreter that has it with PYTHON= (--python)"
        ) from exc
    except SystemExit as exc:
        raise ContractError(f"{path}: importing it called sys.exit({exc.code!r})") from exc
    except Exception as exc:
        raise ContractError(f"{path}: importing it raised {type(exc).__name__}: {exc}") from exc
    task = getattr(module, "task", None)
    if not callable(task) or inspect.iscoroutinefunction(task):
        raise ContractError(f"{path} has no plain task(i) function; {CONTRACT}")
    tasks = getattr(module, "TASKS", None)
    if not isinstance(tasks, int) or isinstance(tasks, bool) or tasks < 1:
        raise ContractError(f"{path}: TASKS must be a positive int, got {tasks!r}; {CONTRACT}")
    workers = getattr(module, "WORKERS", None)
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise ContractError(f"{path}: WORKERS must be a positive int, got {workers!r}")
    models = getattr(module, "MODELS", None)
    if models is not None and (
        isinstance(models, str) or not set(models) <= set(MODEL_NAMES) or not models
    ):
        raise ContractError(
            f"{path}: MODELS must list some of {', '.join(MODEL_NAMES)}, got {models!r}"
        )
    atask = getattr(module, "atask", None)
    if atask is not None and not inspect.iscoroutinefunction(atask):
        raise ContractError(f"{path}: atask must be an async def function")
    for hook in ("setup", "teardown"):
        if getattr(module, hook, None) is not None and not callable(getattr(module, hook)):
            raise ContractError(f"{path}: {hook} must be a function")
    return module


def describe(path: str) -> ScenarioDescription:
    module = load_checked(path)
    doc = inspect.getdoc(module) or ""
    return ScenarioDescription(
        path=str(Path(path).resolve()),
        name=Path(path).stem,
        summary=doc.strip().splitlines()[0] if doc.strip() else "",
        doc=doc,
        tasks=module.TASKS,
        workers=getattr(module, "WORKERS", None),
        has_atask=getattr(module, "atask", None) is not None,
        has_setup=getattr(module, "setup", None) is not None,
        has_teardown=getattr(module, "teardown", None) is not None,
        claims=list(getattr(module, "CLAIMS", [])),
        models=list(getattr(module, "MODELS", None) or []),
        python=python_info(),
    )
