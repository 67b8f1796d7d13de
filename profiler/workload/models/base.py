"""Shared types of the models, the per-task timing wrapper and the collector (stdlib-only).

The harness measures the workload, never itself. A timing run executes what a
plain program would: each task submitted as it is, results collected in
submission order (O(1) work per task), no clock read, file read or resource
probe per task. Each worker records its start once, from the pool's
initializer. An observed run (task_times) also reads the clock before and
after each task, for the per-task timeline. CPU time and peak RSS are read
once per process, outside the tasks.
"""

from __future__ import annotations

import os
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, Future
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, NamedTuple, Protocol

from profiler.workload import ipc_watch
from profiler.workload.models.scenario_module import load_scenario_module
from profiler.workload.stacks import dump_stacks_on_signal


@dataclass(frozen=True)
class WorkloadSpec:
    """What a model needs to run a scenario: where it is and how much of it."""

    scenario_path: str
    module_name: str
    tasks: int
    workers: int
    start_method: str
    task_times: bool = False  # observed runs: two clock reads around every task
    ipc_dir: str | None = None  # observed processes runs: where workers write their pickling
    dask_scheduler: str | None = None  # dask: an existing cluster (None: a LocalCluster)
    dask_threads: int = 1  # dask: threads per worker of the LocalCluster


class TaskOutcome(NamedTuple):
    """One task's run, measured where it ran; built after the model run from a RawOutcome."""

    task_index: int
    pid: int
    tid: int
    thread_name: str
    start_ns: int
    end_ns: int
    ok: bool
    result: Any = None
    error: str | None = None


# pid, native tid, thread name, pthread ident (samplers of Python < 3.11 report the ident)
ThreadIds = tuple[int, int, str, int]
# what a task leaves behind while the model runs: a plain tuple, cheap to build and to
# pickle back from a worker: (index, thread ids, start ns, end ns, result, error or None)
RawOutcome = tuple[int, ThreadIds, int, int, Any, "str | None"]


WorkerStart = tuple[int, int, str, int, int]  # pid, native tid, name, ident, monotonic ns


@dataclass
class ModelRun:
    """What a model returns: results in task order, or timed raw outcomes (task_times)."""

    model: str
    results: list[Any] = field(default_factory=list)  # task order, up to a failure
    raw: list[RawOutcome] = field(default_factory=list)  # task_times: completion order
    failure: tuple[int, str] | None = None  # (task index, traceback) of the first failure
    worker_starts: list[WorkerStart] = field(default_factory=list)
    threads: list[tuple[int, str, int]] = field(default_factory=list)  # (tid, name, ident)
    # (user s, sys s, peak RSS kB) per worker process, read from /proc once, after its tasks
    worker_usage: dict[int, tuple[float, float, int]] = field(default_factory=dict)
    task_name: str | None = None  # e.g. "atask-{index}": names the tasks, not the thread
    ipc: list[ipc_watch.Event] = field(default_factory=list)  # the parent's pickling (ipc_dir)

    def outcomes(self) -> list[TaskOutcome]:
        """The typed timed outcomes, built after the measured run (never inside it)."""
        return [
            TaskOutcome(
                index,
                pid,
                tid,
                self.task_name.format(index=index) if self.task_name else name,
                start_ns,
                end_ns,
                error is None,
                result,
                error,
            )
            for index, (pid, tid, name, _), start_ns, end_ns, result, error in self.raw
        ]

    def ordered_results(self) -> list[Any]:
        if not self.raw:
            return self.results
        return [r[4] for r in sorted(self.raw, key=lambda r: r[0]) if r[5] is None]

    def first_failure(self) -> tuple[int, str] | None:
        timed = [(r[0], r[5]) for r in self.raw if r[5] is not None]
        return self.failure or (min(timed) if timed else None)


class ModelFn(Protocol):
    def __call__(self, scenario: ModuleType, spec: WorkloadSpec) -> ModelRun: ...


def measured_model_run(fn: ModelFn, scenario: ModuleType, spec: WorkloadSpec) -> ModelRun:
    """The model run between the runner's two clock reads.

    Named so that a sampler's stacks show which of the main thread's samples
    fall inside the measured window (MEASURED_FRAME); it adds one call per run.
    """
    return fn(scenario, spec)


MEASURED_FRAME = f"{measured_model_run.__name__} ("


# (pid, native tid, name) per thread, looked up without a system call; cleared in a
# forked child, whose main thread would otherwise inherit its parent thread's entry.
_thread_ids: dict[int, ThreadIds] = {}
os.register_at_fork(after_in_child=_thread_ids.clear)


def this_thread() -> ThreadIds:
    """This thread's (pid, native tid, name, ident), from the cache after the first call."""
    ident = threading.get_ident()
    ids = _thread_ids.get(ident)
    if ids is None:
        ids = (os.getpid(), threading.get_native_id(), threading.current_thread().name, ident)
        _thread_ids[ident] = ids
    return ids


def describe_error(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip()


def timed_call(
    fn: Callable[[int], Any],
    index: int,
    clock: Callable[[], int] = time.monotonic_ns,
    ids: dict[int, ThreadIds] = _thread_ids,
    get_ident: Callable[[], int] = threading.get_ident,
) -> RawOutcome:
    """Run `fn(index)` between two clock reads (a pool's unit of work).

    Nothing else runs per task: a dictionary look-up names the thread, and an
    exception becomes a failed outcome. The defaults bind the helpers locally.
    """
    start_ns = clock()
    try:
        result = fn(index)
    except (Exception, SystemExit) as exc:
        end_ns = clock()
        return (
            index,
            ids.get(get_ident()) or this_thread(),
            start_ns,
            end_ns,
            None,
            describe_error(exc),
        )
    end_ns = clock()
    return (index, ids.get(get_ident()) or this_thread(), start_ns, end_ns, result, None)


async def timed_acall(
    afn: Callable[[int], Any],
    index: int,
    ids: ThreadIds,
    clock: Callable[[], int] = time.monotonic_ns,
) -> RawOutcome:
    """Await `afn(index)` between two clock reads (asyncio; the task names come later)."""
    start_ns = clock()
    try:
        result = await afn(index)
    except (Exception, SystemExit) as exc:
        return (index, ids, start_ns, clock(), None, describe_error(exc))
    return (index, ids, start_ns, clock(), result, None)


def run_inline(fn: Callable[[int], Any], spec: WorkloadSpec, run: ModelRun) -> None:
    """Every task in order on this thread (sequential, and asyncio without atask).

    Stops at the first failure. Without task_times the loop is what a plain
    program runs; with it, each task sits between two clock reads.
    """
    ids = this_thread()
    run.worker_starts.append((*ids, time.monotonic_ns()))
    if spec.task_times:
        clock = time.monotonic_ns
        append = run.raw.append
        for index in range(spec.tasks):
            start_ns = clock()
            try:
                result = fn(index)
            except (Exception, SystemExit) as exc:
                append((index, ids, start_ns, clock(), None, describe_error(exc)))
                return
            append((index, ids, start_ns, clock(), result, None))
        return
    results = run.results
    try:  # extend() keeps what map() produced before a task raised: its index is the length
        results.extend(map(fn, range(spec.tasks)))
    except (Exception, SystemExit) as exc:
        run.failure = (len(results), describe_error(exc))


def printable(text: str) -> str:
    """A path or name as text for JSON and HTML: bytes that are not UTF-8 become \\xNN."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def worker_started(
    starts: Any,
    path: str | None = None,
    module_name: str | None = None,
    ipc_dir: str | None = None,
) -> None:
    """A pool initializer: import the scenario (spawn, forkserver) and note this worker's start.

    `starts` is a list (threads) or a multiprocessing SimpleQueue (processes); it
    runs once per worker, never per task. With `ipc_dir` (an observed run) the worker's
    pickling is timed and written there as it exits (profiler.workload.ipc_watch).
    """
    if ipc_dir is not None:
        ipc_watch.install()
        ipc_watch.write_at_exit(ipc_dir)
    if path is not None and module_name is not None:
        load_scenario_module(path, module_name)
    if not isinstance(starts, list):
        dump_stacks_on_signal()  # a spawned worker does not inherit the handler
    entry = (*this_thread(), time.monotonic_ns())
    if isinstance(starts, list):
        starts.append(entry)
    else:
        starts.put(entry)


def snapshot_threads() -> list[tuple[int, str, int]]:
    """(native tid, name, ident) of this process's live threads: the program's names."""
    return [
        (t.native_id, t.name, t.ident or 0)
        for t in threading.enumerate()
        if t.native_id is not None
    ]


def collect(futures: list[Future[Any]], run: ModelRun, timed: bool) -> None:
    """Each future's result in submission order, as a plain program collects them.

    O(1) work per task. At the first failed task the futures not yet started
    are cancelled (once) and those running are awaited. An exception of the
    pool itself (a broken pool) is raised to the model.
    """
    stop = len(futures)
    for index, future in enumerate(futures):
        try:
            value = future.result()
        except BrokenExecutor:
            _cancel_rest(futures, index + 1)
            raise
        except (Exception, SystemExit) as exc:
            run.failure = (index, describe_error(exc))
            stop = index + 1
            break
        if index == 0:
            run.threads = snapshot_threads()  # while the pool's threads are alive
        if not timed:
            run.results.append(value)
        else:
            run.raw.append(value)
            if value[5] is not None:
                stop = index + 1
                break
    _cancel_rest(futures, stop)


def _cancel_rest(futures: list[Future[Any]], start: int) -> None:
    rest = futures[start:]
    for future in rest:
        future.cancel()
    for future in rest:  # the tasks already running finish first
        if not future.cancelled():
            future.exception()
