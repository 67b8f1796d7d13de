"""The answer a run gives, as data: the recommended model, why, the evidence per model
(figures, the recorder that measured each, its error) and the caveats (computed once by
profiler.analyse.advice, saved in run.json). The words are the renderers'
(profiler.render.wording): tables/advice.csv, the terminal and the report say the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from profiler.workload.documents import Document

NAN = float("nan")


def known(value: object) -> bool:
    """A number, not NaN."""
    return isinstance(value, int | float) and value == value


@dataclass(frozen=True)
class RoleGil(Document):
    """The GIL in one role's processes (the runner, the workers) in a model's observed run."""

    role: str = ""  # main | worker | server | ...
    processes: int = 1
    held_pct: float = NAN  # one process: its share; several: their median
    held_min_pct: float = NAN
    held_max_pct: float = NAN
    contended_pct: float | None = None  # some thread waited for it (exact sources)
    err_pct: float | None = None  # a sampled share's 95% error, in points


@dataclass(frozen=True)
class GilEvidence(Document):
    """What one recorder measured of the GIL in a model's observed run."""

    source: str = ""
    roles: list[RoleGil] = field(default_factory=list)
    unmeasured: str | None = None  # why it could not be measured
    too_short: bool = False  # shares less sure than max_err_pct: not shown
    rounds: int | None = None  # the sampler's rounds, when too short
    max_err_pct: float = NAN


@dataclass(frozen=True)
class CoresEvidence(Document):
    source: str = ""
    busy_pct: list[float] = field(default_factory=list)  # per core, busy with the workload


@dataclass(frozen=True)
class CeilingEvidence(Document):
    """The speedup the GIL allows the threads' CPU work (analyse.ceiling), beside the measured."""

    limit: float = NAN
    held_pct: float = NAN
    working: int = 0
    cores: int = 0
    blocked_ratio: float = 0.0  # blocked time / running time: what threads overlap beyond it
    measured: float | None = None  # the timing runs' speedup of threads
    source: str = ""


@dataclass(frozen=True)
class IpcEvidence(Document):
    """What a process pool paid to talk to its workers (analyse.ipc), per task on average."""

    workers: int = 0
    tasks: int = 0
    arg_bytes: float = NAN  # pickled call, as sent
    result_bytes: float = NAN  # pickled result, as sent
    ipc_s: float = NAN  # pickling, unpickling (both ways) and the result's wait
    in_workers_s: float = NAN  # of which: unpickling the call, pickling the result
    in_parent_s: float = NAN  # pickling the call, unpickling the result
    wait_s: float = NAN  # a finished result waiting for the parent to take it
    task_s: float = NAN  # the task's own work
    share_pct: float = NAN  # ipc_s of ipc_s + task_s
    worker_share_pct: float = NAN  # of the workers' time: unpickling calls, pickling results
    startup_s: float = NAN  # a worker's start, median
    source: str = "pickling events, observed run"


@dataclass(frozen=True)
class LoopEvidence(Document):
    """What blocked an asyncio run's event loop (analyse.loop), from its observed run, and
    the speedup the timing runs would have without it (analyse.evidence.loop_evidence)."""

    blocked_pct: float = NAN  # of the loop's window, inside stalls
    stalls: int = 0
    stall_ms: float = NAN  # the threshold
    lag_p95_ms: float = NAN  # from ready to run, over every callback
    lag_max_ms: float = NAN
    blocker: str = ""  # the function of the program's own that blocked it most
    blocker_file: str = ""
    blocker_stalls: int = 0
    blocker_mean_ms: float = NAN
    blocker_pct: float = NAN  # of the window, inside its stalls
    blocker_cpu_pct: float = NAN  # of its stalls, computing rather than waiting
    blocker_coroutines: str = ""
    cpu_pct: float = NAN  # of all stalls, computing
    without_waits: float | None = None  # predicted speedup with the stalls' waiting off the loop
    at_best: float | None = None  # predicted speedup with nothing blocking the loop
    source: str = "concprof's loop monitor, observed run"


@dataclass(frozen=True)
class DaskEvidence(Document):
    """What a task costs on the dask model's cluster beyond its own work (analyse.dask)."""

    workers: int = 0
    threads_per_worker: int = 1
    slots: int = 0  # worker threads in all
    running: int = 0  # of which can run at once (on this machine: at most its cores)
    tasks: int = 0
    task_s: float = NAN  # a task alone: the sequential timing runs' median wall / tasks
    overhead_s: float = NAN  # per task: running x wall / tasks - task_s (timing runs)
    overhead_low_s: float = NAN  # the same at the wall interval's ends
    overhead_high_s: float = NAN
    share_pct: float = NAN  # overhead_s of overhead_s + task_s
    break_even_s: float = NAN  # the task length from which Dask beats one process
    transfer_s: float = NAN  # per task: fetching inputs from other workers
    deserialize_s: float = NAN  # per task: unpacking it on the worker
    idle_pct: float = NAN  # of the workers' threads' time in the observed window, not computing
    startup_s: float = NAN  # the cluster up and the scenario shipped (outside the timed runs)
    stretch: float = NAN  # a task's compute here / alone (sequential): threads taking turns
    reruns: int = 0  # tasks run more than once (their worker died)
    left: int = 0  # workers that left during the observed run
    local: bool = True  # every worker on this machine
    scheduler: str = ""
    started_here: bool = True  # a LocalCluster concprof started
    cores: int = 0  # this machine's
    source: str = "Dask's task stream, observed run; wall time, timing runs"


@dataclass(frozen=True)
class Cause(Document):
    """Why a model gains less than it could, with numbers, and what to change."""

    kind: str = ""  # serialisation | loop_blocked | dask_overhead | dask_gil
    model: str = ""
    speedup: float = NAN
    ipc: IpcEvidence | None = None
    loop: LoopEvidence | None = None
    dask: DaskEvidence | None = None
    instead: str = ""  # a model that does better here
    instead_speedup: float = NAN


@dataclass(frozen=True)
class ModelEvidence(Document):
    """One model's figures behind the answer: timing runs, and what its observed run measured."""

    model: str = ""
    reps: int = 0
    peak_rss_mb: float = NAN
    speedup: float = NAN  # NaN: no sequential baseline (wall times compared instead)
    speedup_ci_low: float = NAN
    speedup_ci_high: float = NAN
    cpu_s: float = NAN
    parallelism: float = NAN
    wall_median_s: float = NAN
    wall_ci_low_s: float = NAN
    wall_ci_high_s: float = NAN
    gil: list[GilEvidence] = field(default_factory=list)
    cores: CoresEvidence | None = None
    ceiling: CeilingEvidence | None = None
    ipc: IpcEvidence | None = None
    loop: LoopEvidence | None = None  # asyncio: what blocked its event loop
    dask: DaskEvidence | None = None  # dask: what a task costs on the cluster
    predicted: float | None = None  # the speedup the sequential run predicts (analyse.predict)
    limited_by: str = ""  # what bounds the prediction
    agrees: bool | None = None  # the prediction inside the measured interval (± the margin)
    slowed: float | None = None  # observed run / timing run, when beyond the bound
    bound: float = NAN
    traced_pct: float | None = None  # the GIL trace covered only this much of the run
    trace_source: str = ""  # the recorder whose GIL trace it is

    @property
    def by_wall(self) -> bool:
        return not known(self.speedup)


@dataclass(frozen=True)
class Why(Document):
    """Why the recommendation is not simply the fastest model."""

    kind: str = ""  # no_clear_win | cheaper
    fastest: str = ""
    fastest_speedup: float = NAN
    fastest_vs: str = ""  # the fastest's verdict against sequential (no_clear_win)
    relation: str = ""  # same | inconclusive: the chosen model against the fastest (cheaper)
    reason: str = ""  # cpu | memory | simpler (cheaper)
    mine: float = NAN  # the chosen model's CPU seconds or peak MB
    theirs: float = NAN  # the fastest's


@dataclass(frozen=True)
class Caveat(Document):
    """Something the reader should know before trusting the answer."""

    kind: str = (
        ""  # slowed | unprobed | partial_trace | few_runs | gil_reenabled | disturbed | reran
        # | dask_left
    )
    models: list[str] = field(default_factory=list)
    values: list[float] = field(default_factory=list)  # per model: slowdown x, traced %
    bound: float = NAN  # slowed: the --max-slowdown bound; few_runs: the runs needed
    detail: str = ""  # unprobed: why; gil_reenabled: the modules that did it; partial_trace: who
    count: int = 0  # disturbed: runs disturbed; reran: runs re-run
    total: int = 0  # disturbed: runs used
    reruns: int = 0
    worst_pct: float = NAN  # disturbed: the most foreign load seen


@dataclass(frozen=True)
class Answer(Document):
    """The recommendation and everything behind it (computed once, worded by renderers)."""

    model: str = ""  # the recommended model
    speedup: float = NAN
    ci_low: float = NAN
    ci_high: float = NAN
    verdict: str = ""  # faster | slower | same | inconclusive | baseline | no_baseline
    margin: float = NAN
    runner_up: str = ""  # no_baseline: the next model by wall time
    runner_up_vs: str = ""  # no_baseline: how it compares (slower | same | ...)
    reps: int = 0  # no_baseline: the recommended model's runs
    evidence: list[ModelEvidence] = field(default_factory=list)
    ties: list[str] = field(default_factory=list)  # not distinguishable from the fastest
    fastest: str = ""  # the lowest median wall time, when it is not the recommendation
    why: Why | None = None
    causes: list[Cause] = field(default_factory=list)  # what holds a model back, read first
    caveats: list[Caveat] = field(default_factory=list)

    @property
    def has_speedup(self) -> bool:
        return known(self.speedup)  # there was a sequential baseline

    @property
    def has_interval(self) -> bool:
        return known(self.ci_low)

    @classmethod
    def read(cls, doc: dict[str, Any] | None) -> Answer | None:
        """run.json's `advice`; None when the run gave none, or gave it in an older shape."""
        if not doc or not isinstance(doc.get("evidence", []), list):
            return None
        if any(not isinstance(e, dict) for e in doc.get("evidence", [])):
            return None  # an older run.json: evidence as sentences
        return cls.from_json(doc)


@dataclass(frozen=True)
class ThreadShare:
    """One thread's share of the recorded window, and what measured it."""

    pid: int
    name: str
    pct: float
    source: str  # perf (exact) | py-spy (sampled) | procfs
    err_pct: float | None = None  # a sampled share's 95% error, in points


@dataclass(frozen=True)
class Blamed:
    """The function whose GIL holding made the other threads wait most."""

    function: str
    waited_s: float
    share_pct: float  # of all the waiting the blame could place
    samples: int  # py-spy's samples behind it


@dataclass(frozen=True)
class Ceiling:
    """How much faster the GIL lets one process's threads run than one thread (Amdahl)."""

    pid: int
    held_pct: float  # of the threads' CPU work
    speedup: float
    threads_working: int
    cores: int
    blocked_s: float


@dataclass(frozen=True)
class Pickled:
    """What a recorded program's processes pickled for each other (the start-up hook)."""

    bytes: int
    seconds: float  # pickling and unpickling, all processes
    calls: int
    processes: int
    top_site: str  # where the most bytes were pickled or unpickled
    top_pid: int
    top_bytes: int


@dataclass(frozen=True)
class RecordingAnswer:
    """What a recording (`record`, `attach`) says first: who held the GIL, who waited for
    it, the function that made them wait, and the ceiling (analyse.recording_answer)."""

    window_s: float
    holder: ThreadShare | None = None
    waiter: ThreadShare | None = None
    blamed: Blamed | None = None
    ceiling: Ceiling | None = None
    pickled: Pickled | None = None  # what its processes pickled for each other
    loop: LoopEvidence | None = None  # what blocked its event loops
    attached: bool = False  # `attach`: the start-up hook (loop monitor, pickling) not there
