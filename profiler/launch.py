"""Start the stdlib-only runner in the workload's interpreter, and always clean up.

Each run is a child in its own session (process group); whatever happens
(failure, timeout, Ctrl-C), the whole group is ended before we return, so no
worker or helper server outlives the run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import profiler
from profiler.errors import UsageError

PACKAGE_DIR = Path(profiler.__file__).resolve().parent


TEMP_PREFIX = "concprof-path-"


@contextmanager
def package_path() -> Iterator[str]:
    """A directory holding only a link to this package, for the runner's PYTHONPATH.

    Putting the toolkit's site-packages on another interpreter's path would
    mix two Pythons' compiled modules; this exposes `profiler` alone. Its name
    carries our pid, so a later run can remove it if we die.
    """
    with tempfile.TemporaryDirectory(prefix=f"{TEMP_PREFIX}{os.getpid()}-") as tmp:
        (Path(tmp) / "profiler").symlink_to(PACKAGE_DIR, target_is_directory=True)
        yield tmp


def remove_stale_dirs() -> list[str]:
    """Remove the temporary directories of concprof processes that are gone."""
    removed = []
    for path in Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}*-*"):
        pid = path.name.removeprefix(TEMP_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(str(path))
    return removed


def runner_env(path_dir: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = path_dir
    env.pop("PYTHONHOME", None)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def kill_group(proc: subprocess.Popen[Any]) -> None:
    """End the child's whole process group (workers, servers) and reap the child."""
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def run_group(
    argv: Sequence[str],
    env: dict[str, str],
    timeout_s: float | None,
    cwd: str | None = None,
    on_start: Callable[[int], None] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run argv in a new process group; kill the group on exit, error or timeout.

    `on_start(pid)` runs right after the child starts (e.g. to attach a sampler).
    """
    proc = subprocess.Popen(
        list(argv),
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        if on_start is not None:
            on_start(proc.pid)
        out, err = proc.communicate(timeout=timeout_s)
    except BaseException:
        kill_group(proc)
        raise
    kill_group(proc)  # stragglers in the group (a worker the pool did not reap)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def describe_scenario(python: str, scenario_path: str) -> dict[str, Any]:
    """Ask the workload interpreter to import and check the scenario file."""
    with package_path() as path_dir:
        done = run_group(
            [python, "-m", "profiler.runner", "describe", scenario_path],
            runner_env(path_dir),
            timeout_s=120,
        )
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        reason = lines[-1] if lines else f"exit code {done.returncode}"
        raise UsageError(reason.removeprefix("concprof: "))
    result: dict[str, Any] = json.loads(done.stdout)
    return result
