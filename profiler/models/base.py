"""Shared types of the models and the per-task timing wrapper (stdlib-only)."""

from __future__ import annotations

import importlib.util
import os
import re
import resource
import sys
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol


@dataclass(frozen=True)
class WorkloadSpec:
    """What a model needs to run a scenario: where it is and how much of it."""

    scenario_path: str
    module_name: str
    tasks: int
    workers: int
    start_method: str


@dataclass
class TaskOutcome:
    """One task's run, measured where it ran (picklable, sent back from workers)."""

    index: int
    pid: int
    tid: int
    thread_name: str
    start_ns: int
    end_ns: int
    ok: bool
    result: Any = None
    error: str | None = None
    # cumulative resource usage of the process that ran the task, read at its end
    proc_user_s: float = 0.0
    proc_sys_s: float = 0.0
    proc_max_rss_kb: int = 0


@dataclass
class ModelRun:
    """What a model returns: per-task outcomes in completion order."""

    model: str
    outcomes: list[TaskOutcome] = field(default_factory=list)
    worker_pids: list[int] = field(default_factory=list)
    threads: list[tuple[int, str]] = field(default_factory=list)  # (native tid, name) here
    # per worker process, read from /proc before the pool shut down (idle workers too)
    worker_usage: dict[int, tuple[float, float, int]] = field(default_factory=dict)

    @property
    def failed(self) -> TaskOutcome | None:
        return next((o for o in self.outcomes if not o.ok), None)


class ModelFn(Protocol):
    def __call__(self, scenario: ModuleType, spec: WorkloadSpec) -> ModelRun: ...


def module_name_for(path: str | Path) -> str:
    """A module name for a scenario file that cannot shadow a stdlib module (`io`)."""
    stem = re.sub(r"\W", "_", Path(path).stem)
    return f"concprof_scenario_{stem}"


def load_scenario_module(path: str, module_name: str) -> ModuleType:
    """Import a scenario file under `module_name`, so pickle finds `task` by reference.

    Idempotent: a forked worker already has the module; a spawned or
    forkserver worker imports it here, from its pool initializer.
    """
    existing = sys.modules.get(module_name)
    if existing is not None:
        return existing
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import scenario file {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module


HWM_READ_INTERVAL_NS = 5_000_000
_hwm_state = {"read_ns": 0, "kb": 0}


def peak_rss_kb() -> int:
    """This process's peak RSS (VmHWM, kB).

    Not ru_maxrss: Linux carries ru_maxrss across fork and exec, so a runner
    started by the toolkit would report the toolkit's peak. VmHWM belongs to
    the address space and starts afresh at exec.
    """
    try:
        with open("/proc/self/status", "rb") as fh:
            data = fh.read()
        start = data.index(b"VmHWM:") + 6
        return int(data[start : data.index(b"kB", start)])
    except (OSError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _usage() -> tuple[float, float, int]:
    """CPU so far and peak RSS; VmHWM is re-read at most every 5 ms (it costs ~10 us)."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    now = time.monotonic_ns()
    if now - _hwm_state["read_ns"] >= HWM_READ_INTERVAL_NS:
        _hwm_state["kb"] = peak_rss_kb()
        _hwm_state["read_ns"] = now
    return ru.ru_utime, ru.ru_stime, _hwm_state["kb"]


def _describe_error(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip()


def timed_call(fn: Callable[[int], Any], index: int) -> TaskOutcome:
    """Run `fn(index)` and time it; an exception becomes a failed outcome."""
    thread = threading.current_thread()
    start_ns = time.monotonic_ns()
    try:
        result = fn(index)
        ok, error = True, None
    except Exception as exc:
        result, ok, error = None, False, _describe_error(exc)
    end_ns = time.monotonic_ns()
    user_s, sys_s, rss_kb = _usage()
    return TaskOutcome(
        index=index,
        pid=os.getpid(),
        tid=threading.get_native_id(),
        thread_name=thread.name,
        start_ns=start_ns,
        end_ns=end_ns,
        ok=ok,
        result=result,
        error=error,
        proc_user_s=user_s,
        proc_sys_s=sys_s,
        proc_max_rss_kb=rss_kb,
    )


async def timed_acall(afn: Callable[[int], Any], index: int, task_name: str) -> TaskOutcome:
    """Await `afn(index)` and time it; the thread name is the asyncio task's name."""
    start_ns = time.monotonic_ns()
    try:
        result = await afn(index)
        ok, error = True, None
    except Exception as exc:
        result, ok, error = None, False, _describe_error(exc)
    end_ns = time.monotonic_ns()
    user_s, sys_s, rss_kb = _usage()
    return TaskOutcome(
        index=index,
        pid=os.getpid(),
        tid=threading.get_native_id(),
        thread_name=task_name,
        start_ns=start_ns,
        end_ns=end_ns,
        ok=ok,
        result=result,
        error=error,
        proc_user_s=user_s,
        proc_sys_s=sys_s,
        proc_max_rss_kb=rss_kb,
    )


def process_usage(pid: int) -> tuple[float, float, int] | None:
    """(user s, sys s, peak RSS kB) of another live process, from /proc (Linux)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        with open(f"/proc/{pid}/status", "rb") as fh:
            status = fh.read()
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    start = status.find(b"VmHWM:")
    rss_kb = int(status[start + 6 : status.index(b"kB", start)]) if start >= 0 else 0
    return int(fields[11]) / ticks, int(fields[12]) / ticks, rss_kb


def snapshot_threads() -> list[tuple[int, str]]:
    """(native tid, name) of this process's live threads: the names a program gave them."""
    return [(t.native_id, t.name) for t in threading.enumerate() if t.native_id is not None]


def collect(pending: set[Future[TaskOutcome]], result: ModelRun) -> None:
    """Gather pool futures into `result`; after the first failed task, cancel the rest.

    The thread snapshot is taken after the first completion, while the pool's
    threads (workers, queue feeders, managers) are alive.
    """
    while pending:
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        if not result.threads:
            result.threads = snapshot_threads()
        for future in done:
            if future.cancelled():
                continue
            outcome = future.result()
            result.outcomes.append(outcome)
            if not outcome.ok:
                for other in pending:
                    other.cancel()
    result.worker_pids = sorted({o.pid for o in result.outcomes})
