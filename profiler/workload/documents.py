"""The runner's result documents, typed: written by the runner, read by the toolkit.

Standard library only (this module runs in the workload's interpreter too).
Each document is a dataclass with `to_json()` (plain JSON types) and
`from_json()` (tolerant of keys a document does not have yet: a run that
failed in setup has no window, an older run no passes), so the runner and
every reader share one definition of every field (docs/run-directory.md).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import Any, TypeVar

SCHEMA_VERSION = 1
T = TypeVar("T", bound="Document")


class Document:
    """to_json / from_json for the dataclasses below (nested documents and lists of them)."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = dataclasses.asdict(self)  # type: ignore[call-overload]
        return out

    @classmethod
    def from_json(cls: type[T], doc: dict[str, Any]) -> T:
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.name in doc:
                values[f.name] = _typed(hints[f.name], doc[f.name])
        return cls(**values)


def _typed(hint: Any, value: Any) -> Any:
    """A JSON value as the field's type: nested documents and lists of them are rebuilt."""
    if value is None:
        return None
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _typed(inner[0], value) if len(inner) == 1 else value
    if origin is list and args and isinstance(args[0], type) and issubclass(args[0], Document):
        return [args[0].from_json(item) for item in value]
    document = args[-1] if origin is dict and len(args) == 2 else None
    if isinstance(document, type) and issubclass(document, Document):
        return {key: document.from_json(item) for key, item in value.items()}
    if isinstance(hint, type) and issubclass(hint, Document):
        return hint.from_json(value)
    return value


@dataclass(frozen=True)
class PythonInfo(Document):
    """The workload interpreter, as it reports itself."""

    version: str = ""
    implementation: str = ""
    executable: str = ""
    real_executable: str = ""
    libdir: str | None = None
    ldlibrary: str | None = None
    shared: bool = False
    build: str = ""
    gil_enabled: bool = (
        True  # when it was asked (a free-threaded build: until a module turns it on)
    )
    free_threaded: bool = False  # built with --disable-gil (PEP 703)
    default_start_method: str = "fork"
    cpu_count: int | None = None


@dataclass(frozen=True)
class RunError(Document):
    """What failed, where: phase is setup, task, model, teardown (runner) or, from the
    toolkit, timeout, results, observed, recorder, runner, interrupted, render, killed."""

    phase: str
    model: str | None = None
    task_index: int | None = None
    exception: str | None = None


@dataclass(frozen=True)
class ThreadRecord(Document):
    pid: int
    tid: int  # the native (OS) thread id
    name: str
    ident: int | None = None  # threading's pthread ident (py-spy reports it on 3.10)


@dataclass(frozen=True)
class WorkerStart(Document):
    pid: int
    tid: int
    name: str
    start_ns: int  # CLOCK_MONOTONIC


@dataclass(frozen=True)
class TaskRecord(Document):
    index: int
    pid: int
    tid: int
    thread_name: str
    start_ns: int | None
    end_ns: int | None
    ok: bool
    error: str | None = None


@dataclass(frozen=True)
class IpcEvent(Document):
    """One pickle made for another process, or one unpickle of what another sent
    (profiler.workload.ipc_watch): in which process, of what, when, how many bytes."""

    pid: int
    what: str  # call_dump, call_load, result_dump, result_load, other_dump, other_load
    work_id: int  # a pool's task (its submission index), -1 for anything else
    start_ns: int  # CLOCK_MONOTONIC
    end_ns: int
    bytes: int


@dataclass(frozen=True)
class LoopStall(Document):
    """One callback or task step that ran longer than the stall threshold
    (profiler.workload.hook.concprof_loop): when, how long, what it stepped, and the stacks
    sampled inside it (innermost first: function, file, line, the program's own)."""

    start_ns: int  # CLOCK_MONOTONIC
    duration_ns: int
    cpu_share: float  # of the stall after its first sample, on the thread's CPU; -1 unknown
    task: str  # the task it stepped ("" for a plain callback)
    coroutine: str  # that task's coroutine
    callback: str  # the callback's own name (a task step: TaskStepMethWrapper)
    coroutine_own: bool = True  # the program's own (not a library's, not concprof's harness)
    samples: list[Any] = field(default_factory=list)  # [count, [[function, file, line, own]...]]


@dataclass(frozen=True)
class LoopReport(Document):
    """One event loop of one process: its thread, window, steps (callbacks run), the lag from
    ready to run (percentiles; its maximum per bin over time: [bin start ns, callbacks, max
    lag ns]), the most tasks alive, and its stalls."""

    pid: int
    tid: int
    stall_ns: int  # the threshold
    poll_ns: int  # how often a running callback was sampled
    first_ns: int
    last_ns: int
    steps: int
    lagged: int  # callbacks with a known lag
    lag_p50_ns: int
    lag_p95_ns: int
    lag_p99_ns: int
    lag_max_ns: int
    tasks_max: int
    lag_series: list[list[int]] = field(default_factory=list)
    stalls: list[LoopStall] = field(default_factory=list)

    @classmethod
    def of_monitor(cls, report: dict[str, Any]) -> list[LoopReport]:
        """The loops of one process's monitor report (concprof_loop.Monitor.report)."""
        common = {k: report[k] for k in ("pid", "stall_ns", "poll_ns")}
        return [cls.from_json({**loop, **common}) for loop in report.get("loops", [])]


@dataclass(frozen=True)
class DaskTask(Document):
    """One task as Dask's task stream saw it (the dask model's observed run): the worker and
    thread that ran it, its compute span on this machine's CLOCK_MONOTONIC (the worker's
    wall clock shifted by the runner's offset: exact on this machine, as good as the
    hosts' clock sync elsewhere), and what else the worker did for it."""

    index: int
    key: str
    worker: str  # the worker's address
    pid: int
    tid: int  # native thread id (0: unknown)
    thread: str  # the thread's name on the worker
    start_ns: int  # compute, CLOCK_MONOTONIC
    end_ns: int
    transfer_s: float = 0.0  # fetching its inputs from other workers
    deserialize_s: float = 0.0  # unpacking the task on the worker
    other_s: float = 0.0  # any other action the stream names (disk reads, ...)
    nbytes: int = 0  # the result's size, as Dask estimates it
    status: str = "OK"


@dataclass(frozen=True)
class DaskWorker(Document):
    """One worker of the cluster: where it is, its threads, and the CPU it spent over the
    measured window (read once before and once after it, on the worker)."""

    address: str
    pid: int
    host: str
    nthreads: int
    user_s: float = 0.0
    sys_s: float = 0.0
    peak_rss_kb: int = 0
    local: bool = True  # on this machine: concprof's recorders can see it


@dataclass
class DaskRun(Document):
    """The dask model's cluster: which, who started it, how long its start took (outside
    the measured window), its workers, and (observed runs) every task of the first pass."""

    scheduler: str = ""
    started_here: bool = True  # a LocalCluster concprof started (and stopped)
    startup_s: float = 0.0  # the cluster up, the client connected, the scenario shipped
    threads_per_worker: int = 1
    workers: list[DaskWorker] = field(default_factory=list)
    tasks: list[DaskTask] = field(default_factory=list)
    left: list[str] = field(default_factory=list)  # workers gone during the window
    joined: list[str] = field(default_factory=list)  # workers that came during it
    version: str = ""  # distributed's


@dataclass(frozen=True)
class ScenarioDescription(Document):
    """`runner describe`: a scenario file's checked metadata."""

    path: str
    name: str
    summary: str
    doc: str
    tasks: int
    workers: int | None
    has_atask: bool
    has_setup: bool
    has_teardown: bool
    claims: list[int] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    python: PythonInfo = field(default_factory=PythonInfo)
    schema: int = SCHEMA_VERSION


@dataclass
class RunResult(Document):
    """`runner run`: one model run (timing or observed), filled in as the run goes."""

    scenario: str
    model: str
    tasks: int
    workers: int
    pid: int
    main_tid: int
    python: PythonInfo = field(default_factory=PythonInfo)
    start_method: str | None = None  # processes only
    gil_reference_pid: int | None = None  # py-spy's round counter (observed runs)
    gil_reference_ok: bool | None = None
    helper_pids: list[int] = field(default_factory=list)  # started by setup(): not measured
    start_ns: int | None = None  # the measured window, CLOCK_MONOTONIC
    end_ns: int | None = None
    wall_s: float | None = None
    passes: int = 1
    machine_busy_s: float | None = None  # the whole machine's busy CPU meanwhile
    helper_cpu_s: float | None = None
    clock_tick_s: float | None = None
    user_s: float | None = None
    sys_s: float | None = None
    max_rss_mb: float | None = None
    tasks_ok: int = 0
    digest: str | None = None  # of the ordered results
    worker_pids: list[int] = field(default_factory=list)
    threads: list[ThreadRecord] = field(default_factory=list)
    worker_starts: list[WorkerStart] = field(default_factory=list)
    task_records: list[TaskRecord] = field(default_factory=list)
    ipc: list[IpcEvent] = field(default_factory=list)  # observed processes runs: the pickling
    ipc_frame_bytes: dict[str, int] = field(default_factory=dict)  # a pool item's own bytes
    loops: list[LoopReport] = field(default_factory=list)  # observed asyncio runs: the loop
    dask: DaskRun | None = None  # the dask model: its cluster, workers and (observed) tasks
    error: RunError | None = None
    ok: bool = False
    gil_enabled_after: bool | None = None  # after the window (free-threaded: re-enabled?)
    gil_enabled_by: list[str] = field(default_factory=list)  # modules that turned it on
    schema: int = SCHEMA_VERSION
