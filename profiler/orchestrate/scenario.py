"""Find a scenario (built-in name or file path) and load its checked metadata.

The scenario file is imported by the workload's interpreter (runner
`describe`), never by the toolkit, so a scenario's imports and side effects
stay out of the toolkit's process.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from profiler.errors import UsageError
from profiler.orchestrate.launch import PACKAGE_DIR, RunTimeout, package_path, run_group, runner_env
from profiler.spine import Scenario
from profiler.workload import RUNNER
from profiler.workload.documents import PythonInfo, ScenarioDescription


def builtin_dir() -> Path:
    """The built-in scenarios, shipped in the package (a checkout's `scenarios/` links here)."""
    return Path(os.environ.get("CONCPROF_SCENARIOS", PACKAGE_DIR / "scenarios"))


def builtin_names() -> list[str]:
    return sorted(p.stem for p in builtin_dir().glob("*.py") if not p.name.startswith("_"))


def find_scenario(name_or_path: str) -> Path:
    """A built-in name (`io`) or a path to a .py file; UsageError lists the built-ins."""
    candidate = Path(name_or_path).expanduser()
    if name_or_path.endswith(".py") or os.sep in name_or_path:
        if candidate.is_file():
            return candidate.resolve()
        raise UsageError(
            f"scenario file not found: {name_or_path} "
            f"(built-in scenarios: {', '.join(builtin_names())})"
        )
    builtin = builtin_dir() / f"{name_or_path}.py"
    if builtin.is_file():
        return builtin.resolve()
    raise UsageError(
        f"unknown scenario {name_or_path!r}; choose one of: {', '.join(builtin_names())} "
        "or a path to a scenario file"
    )


DESCRIBE_TIMEOUT_S = float(os.environ.get("CONCPROF_IMPORT_TIMEOUT_S", "60"))


def describe_scenario(python: str, scenario_path: str) -> ScenarioDescription:
    """Ask the workload interpreter to import and check the scenario file.

    A scenario whose import hangs, prints to stdout, or exits is bad input:
    UsageError with one line.
    """
    with package_path() as path_dir:
        try:
            done = run_group(
                [python, "-m", RUNNER, "describe", scenario_path],
                runner_env(path_dir),
                timeout_s=DESCRIBE_TIMEOUT_S,
            )
        except RunTimeout:
            raise UsageError(
                f"{scenario_path}: importing it did not finish within {DESCRIBE_TIMEOUT_S:g} s "
                "(does it block or loop at import?); a scenario file must import quickly"
            ) from None
    refused(done)
    last = (done.stdout.strip().splitlines() or [""])[-1]
    try:
        return ScenarioDescription.from_json(json.loads(last))
    except (ValueError, TypeError, AttributeError):
        raise UsageError(
            f"{scenario_path}: the runner's description was not readable: "
            f"{last[:80]!r} (does the scenario write to stdout at import?)"
        ) from None


def refused(done: subprocess.CompletedProcess[str]) -> None:
    """A runner check that failed: its last line of stderr, as one line (UsageError)."""
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        reason = lines[-1] if lines else f"exit code {done.returncode}"
        raise UsageError(reason.removeprefix("concprof: "))


def load_scenario(name_or_path: str, python: str) -> Scenario:
    path = find_scenario(name_or_path)
    info = describe_scenario(python, str(path))
    return Scenario.from_json({**info.to_json(), "name": path.stem, "path": str(path)})


def python_info(python: str) -> PythonInfo:
    """The interpreter as it reports itself (workload.contract.python_info); empty if it cannot."""
    code = (
        "import json\nfrom profiler.workload.contract import python_info\n"
        "print(json.dumps(python_info().to_json()))"
    )
    with package_path() as path_dir:
        done = run_group([python, "-c", code], runner_env(path_dir), timeout_s=DESCRIBE_TIMEOUT_S)
    last = (done.stdout.strip().splitlines() or [""])[-1]
    try:
        return PythonInfo.from_json(json.loads(last))
    except (ValueError, TypeError, AttributeError):
        return PythonInfo(executable=python)


# a scheduler that has not answered by then is not there
DASK_CONNECT_TIMEOUT_S = float(os.environ.get("CONCPROF_DASK_CONNECT_TIMEOUT_S", "10"))


def check_dask(python: str, scenario_path: str, scheduler: str | None) -> list[str]:
    """Before the dask model runs (runner `dask-check`, in the workload's interpreter):
    dask.distributed importable there and, with a scheduler, the cluster answering within
    DASK_CONNECT_TIMEOUT_S and each worker importing the scenario. Its workers' addresses;
    UsageError with one line otherwise."""
    argv = [python, "-m", RUNNER, "dask-check", "--scenario", scenario_path]
    argv += ["--timeout", f"{DASK_CONNECT_TIMEOUT_S:g}"]
    argv += ["--dask-scheduler", scheduler] if scheduler else []
    with package_path() as path_dir:
        try:
            done = run_group(
                argv, runner_env(path_dir), timeout_s=DASK_CONNECT_TIMEOUT_S + DESCRIBE_TIMEOUT_S
            )
        except RunTimeout:
            raise UsageError(
                f"the Dask cluster at {scheduler} did not answer the check within "
                f"{DASK_CONNECT_TIMEOUT_S + DESCRIBE_TIMEOUT_S:g} s"
            ) from None
    refused(done)
    last = (done.stdout.strip().splitlines() or ["{}"])[-1]
    try:
        return [str(w) for w in json.loads(last).get("workers", [])]
    except (ValueError, AttributeError):
        return []
