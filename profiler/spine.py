"""The typed objects a run hands from stage to stage , and run.json (Manifest).

ProfileConfig (what was asked) -> Plan (what will run) -> Observed (how each
model's observed run went) -> RunAnalysis (profiler.analysis: tables, the answer);
Step is what a stage reports as it goes; ClaimsResult what `concprof claims` made.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import pandas as pd

from profiler.analysis import RunAnalysis
from profiler.atomic import write_json
from profiler.errors import UsageError, reading
from profiler.workload import RUNNER
from profiler.workload.documents import (
    Document,
    PythonInfo,
    RunError,
    ScenarioDescription,
    ThreadRecord,
)

DEFAULT_TIMEOUT_S = 600.0  # per model run; --timeout
DEFAULT_MARGIN = 0.05  # practical equivalence (--margin): differences inside it are "same"
DEFAULT_MAX_SLOWDOWN = 1.5  # observed / timing wall that exact probes may cause (--max-slowdown)
DEFAULT_LOOP_STALL_MS = 10.0  # an event-loop callback longer than this is a stall
DEFAULT_SAMPLED_ERROR_PCT = 5.0  # a sampled share less sure than this stays out of the answer
FULL_TRACE_PCT = 99.5  # a GIL trace that covers less of the observed run says so
SIZES: dict[str, float] = {"quick": 0.25, "default": 1.0, "large": 4.0}


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
    loop_stall_ms: float = DEFAULT_LOOP_STALL_MS  # asyncio: a callback this long is a stall
    dask_scheduler: str | None = None  # dask: an existing cluster (None: a LocalCluster)
    dask_threads: int = 1  # dask: threads per LocalCluster worker


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
    note: str = ""  # e.g. "disturbed: ... running it again" (shown with --verbose)
    brief: str = ""  # the same in a few words, shown without --verbose ("" : not shown)


ProgressFn = Callable[[Step], None]
ProfileFn = Callable[["ProfileConfig", ProgressFn], "tuple[Path, RunAnalysis]"]


@dataclass(frozen=True)
class Scenario(ScenarioDescription):
    """A scenario file's checked metadata, as its own interpreter reported it (`runner
    describe`: its fields), and what follows from it for a plan."""

    def resolve_workers(self, override: int | None) -> int:
        return override or self.workers or self.python.cpu_count or os.cpu_count() or 1

    def tasks_for(self, size: str, workers: int) -> int:
        """Task count at SIZE: quick is a quarter (at least WORKERS), large four times."""
        if size not in SIZES:
            raise UsageError(f"unknown size {size!r}; choose one of: {', '.join(SIZES)}")
        count = max(1, round(self.tasks * SIZES[size]))
        return max(count, workers) if size == "quick" else count


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

    def runner_argv(
        self,
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
            self.python,
            "-m",
            RUNNER,
            "run",
            "--scenario",
            self.scenario.path,
            "--model",
            model,
            "--tasks",
            str(self.tasks),
            "--workers",
            str(self.workers),
            "--start-method",
            self.start_method,
            "--out",
            str(out),
            *(["--gil-reference"] if gil_reference else []),
            *(["--task-times"] if task_times else []),
            *(["--passes", str(passes)] if passes > 1 else []),
            *(
                ["--loop-stall-ms", f"{self.config.loop_stall_ms:g}"]
                if task_times and model == "asyncio"
                else []
            ),
            *(["--dask-threads", str(self.config.dask_threads)] if model == "dask" else []),
            *(
                ["--dask-scheduler", self.config.dask_scheduler]
                if model == "dask" and self.config.dask_scheduler
                else []
            ),
        ]


class RecorderState(str, Enum):
    OK = "ok"
    FAILED = "failed"


@dataclass(frozen=True)
class RecorderStatus(Document):
    """How a recorder did in an observed run: its state and what a user should know."""

    state: str = RecorderState.OK.value  # a RecorderState value
    detail: str = ""  # ok: a note ("" if nothing); failed: why

    @classmethod
    def ok(cls, detail: str = "") -> RecorderStatus:
        return cls(RecorderState.OK.value, detail)

    @classmethod
    def failure(cls, detail: str) -> RecorderStatus:
        return cls(RecorderState.FAILED.value, detail)

    @property
    def failed(self) -> bool:
        return self.state == RecorderState.FAILED

    def describe(self) -> str:
        if self.failed:
            return f"failed: {self.detail}"
        return f"ok ({self.detail})" if self.detail else "ok"

    @classmethod
    def from_json(cls, doc: dict[str, Any] | str) -> RecorderStatus:
        """A run.json written before statuses were typed holds "ok", "ok (note)" or
        "failed: why" (read here once, for old runs; nothing else reads status text)."""
        if isinstance(doc, dict):
            return cls(str(doc.get("state", "ok")), str(doc.get("detail", "")))
        if doc.startswith("failed"):
            return cls.failure(doc.removeprefix("failed").lstrip(": "))
        return cls.ok(doc.removeprefix("ok").strip().removeprefix("(").removesuffix(")"))


@dataclass
class Observed(Document):
    """How the observed runs of one model went."""

    model: str = ""
    ok: bool = False
    wall_s: float | None = None
    error: str | None = None
    recorders: dict[str, RecorderStatus] = field(default_factory=dict)
    traced: dict[str, dict[str, Any]] = field(default_factory=dict)  # exclusive runs
    passes: int = 1  # model runs in the observed window
    gil_trace_stopped: bool = False  # perf's GIL probes spent their budget before the end
    slowed_first: str | None = None  # a first attempt kept aside (raw/<model>-slowed), and why
    unprobed: str | None = None  # shares from a run without perf (raw/<model>-probed), and why

    def slowdown(self, expected_wall_s: float | None) -> float | None:
        """Observed wall per pass over the timing runs' median."""
        if not self.ok or not self.wall_s or not expected_wall_s:
            return None
        return self.wall_s / self.passes / expected_wall_s


@dataclass(frozen=True)
class ScenarioRef(Document):
    name: str = ""
    path: str = ""
    summary: str = ""
    claims: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class RecordersUsed(Document):
    requested: str = "auto"
    used: list[str] = field(default_factory=list)
    not_used: dict[str, str] = field(default_factory=dict)  # name -> why not


@dataclass(frozen=True)
class ToolInfo(Document):
    name: str = "concprof"
    version: str = ""


@dataclass
class RunManifest(Document):
    """What every run.json of a run that records says (docs/run-directory.md). Every field has
    a default so a run.json written by an older concprof still loads."""

    tool: ToolInfo = field(default_factory=ToolInfo)
    kind: str = "profile"  # profile | record (a command) | attach (a running process)
    status: str = "running"  # running | complete | incomplete
    error: RunError | None = None
    created: str = ""
    duration_s: float = 0.0
    python: PythonInfo = field(default_factory=PythonInfo)
    cpu_count: int | None = None
    kernel: str = ""
    machine: str = ""
    recorders: RecordersUsed = field(default_factory=RecordersUsed)

    def save(self, path: Path) -> Path:
        """Written atomically (rundir.write_json): a reader never sees half of it."""
        return write_json(path, self.to_json())


@dataclass
class Manifest(RunManifest):
    """run.json of a profile: the scenario, the plan, how each model's observed run went."""

    scenario: ScenarioRef = field(default_factory=ScenarioRef)
    models: list[str] = field(default_factory=list)
    size: str = "default"
    tasks: int = 0
    workers: int = 0
    repeat: int = 0
    margin: float = DEFAULT_MARGIN
    max_slowdown: float = DEFAULT_MAX_SLOWDOWN
    sampled_error_pct: float = DEFAULT_SAMPLED_ERROR_PCT
    loop_stall_ms: float = DEFAULT_LOOP_STALL_MS
    start_method: str = ""
    dask_scheduler: str | None = None  # the dask model's cluster, when it was not started here
    dask_threads: int = 1
    observed: dict[str, Observed] = field(default_factory=dict)
    advice: dict[str, Any] | None = None  # the answer (tables/advice.csv has the same)

    @property
    def title(self) -> str:
        return self.scenario.name

    @classmethod
    def load(cls, path: Path) -> Manifest:
        """DamagedInput (one line naming the file) if it is cut off or not a run.json;
        UsageError if it is the run.json of another kind of run."""
        found = load_manifest(path)
        if not isinstance(found, Manifest):
            raise UsageError(f"{path}: the run.json of a {found.kind} run, not of a profile")
        return found


@dataclass
class RecordingManifest(RunManifest):
    """run.json of a recording (`concprof record` a command, `attach` to a running process)."""

    kind: str = "record"
    name: str = ""  # what the run directory is named after (<kind>-<script>)
    command: list[str] = field(default_factory=list)  # record: the command; attach: its cmdline
    pid: int | None = None  # the recorded process (attach: the one attached to)
    exit_code: int | None = None  # record: the command's exit status
    observed: Observed = field(default_factory=Observed)  # how its recorders did

    @property
    def title(self) -> str:
        return self.name


@dataclass(frozen=True)
class Recording(Document):
    """raw/record/recording.json: the recorded program as its recorders saw it: its root
    process and children, its window on CLOCK_MONOTONIC, the threads the start-up hook (or
    `py-spy dump`) named."""

    pid: int = 0
    start_ns: int = 0
    end_ns: int = 0
    threads: list[ThreadRecord] = field(default_factory=list)
    children: list[int] = field(default_factory=list)  # every other Python process seen

    @property
    def wall_s(self) -> float:
        return (self.end_ns - self.start_ns) / 1e9


@dataclass
class AcrossManifest(Document):
    """run.json of an across directory (`profile --python A,B`): the interpreters, the run
    directory of each, the answer's lines."""

    kind: str = "across"
    status: str = "complete"  # written once, after its page
    scenario: str = ""
    interpreters: list[str] = field(default_factory=list)
    runs: dict[str, str] = field(default_factory=dict)  # interpreter -> its run directory
    answer: list[str] = field(default_factory=list)
    duration_s: float = 0.0

    def save(self, path: Path) -> Path:
        return write_json(path, self.to_json())


@dataclass
class ClaimsManifest(Document):
    """run.json of a claims directory (`concprof claims`): the size, the runs, the machine."""

    kind: str = "claims"
    status: str = "complete"  # written once, after its page
    size: str = "quick"
    runs: dict[str, str] = field(default_factory=dict)  # claim run -> its run directory
    environment: dict[str, Any] = field(default_factory=dict)
    duration_s: float = 0.0

    def save(self, path: Path) -> Path:
        return write_json(path, self.to_json())


@dataclass
class CompareManifest(Document):
    """run.json of a comparison (`concprof compare BASE NEW`): the two runs, the margin, what
    was compared anyway, the warnings and the gate's outcome."""

    kind: str = "compare"
    status: str = "complete"  # written once, after its page
    base: str = ""
    new: str = ""
    of: str = "profile"  # profile, or a recording (record, attach)
    title: str = ""
    margin: float = DEFAULT_MARGIN
    mismatches: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    failing: list[str] = field(default_factory=list)
    duration_s: float = 0.0

    def save(self, path: Path) -> Path:
        return write_json(path, self.to_json())


Setting = int | str  # a worker count or a start method
WORKERS = "workers"
START_METHOD = "start_method"


@dataclass(frozen=True)
class Swept:
    """What a sweep varies: `setting` (WORKERS or START_METHOD, the ProfileConfig field and
    the table's column) over `values`; `kept` is the value a
    user has without asking (a start method: the interpreter's default), preferred among
    values within the margin of the best."""

    setting: str
    values: tuple[Setting, ...]
    kept: Setting | None = None

    @property
    def label(self) -> str:
        return self.setting.replace("_", " ")

    def at(self, config: ProfileConfig, value: Setting) -> ProfileConfig:
        """`config` with the swept setting at `value`."""
        if self.setting == WORKERS:
            return dataclasses.replace(config, workers=int(value))
        return dataclasses.replace(config, start_method=str(value))

    @property
    def table_name(self) -> str:
        """scaling.csv for workers, start_methods.csv for start methods."""
        return "scaling" if self.setting == WORKERS else f"{self.setting}s"


@dataclass
class SweepManifest(Document):
    """run.json of a sweep (`profile --workers 1,2,4`, `--start-method fork,spawn`): the
    values, each value's run directory (timing runs only), the observed run at the value to
    use, what it says."""

    kind: str = "sweep"
    status: str = "complete"  # written once, after its page
    scenario: str = ""
    setting: str = WORKERS  # what was swept: workers or start_method
    values: list[Setting] = field(default_factory=list)  # its values, in the order swept
    kept: str | None = None  # start methods: the interpreter's default
    workers: list[int] = field(default_factory=list)  # a workers sweep's values, as numbers
    runs: dict[str, str] = field(default_factory=dict)  # value -> its run directory
    observed_run: str | None = None  # the profile with recorders, at observed_value
    observed_value: Setting | None = None
    observed_workers: int | None = None  # a workers sweep's observed_value
    recommended: dict[str, Setting] = field(default_factory=dict)  # model -> the value to use
    cores: int = 1
    answer: list[str] = field(default_factory=list)
    duration_s: float = 0.0

    def save(self, path: Path) -> Path:
        return write_json(path, self.to_json())


AnyManifest = (
    Manifest | RecordingManifest | AcrossManifest | ClaimsManifest | SweepManifest | CompareManifest
)


def load_manifest(path: Path) -> AnyManifest:
    """Any run.json concprof writes, as its type (by its `kind`; a claims run.json written
    before it said so is known by its `environment`)."""
    with reading(path):
        doc = json.loads(path.read_text())
    if not isinstance(doc, dict):
        raise UsageError(f"{path}: not a run.json (a JSON object)")
    kind = doc.get("kind") or ("claims" if "environment" in doc else "profile")
    if kind == "across":
        return AcrossManifest.from_json(doc)
    if kind == "claims":
        return ClaimsManifest.from_json(doc)
    if kind in ("record", "attach"):
        return RecordingManifest.from_json(doc)
    if kind == "sweep":
        return SweepManifest.from_json(doc)
    if kind == "compare":
        return CompareManifest.from_json(doc)
    return Manifest.from_json(doc)


@dataclass
class ClaimsResult:
    out_dir: Path
    claims: pd.DataFrame
    run_dirs: dict[str, Path] = field(default_factory=dict)
    duration_s: float = 0.0
    environment: dict[str, Any] = field(default_factory=dict)  # cores, Python, kernel, date


@dataclass
class Recorded:
    """A recording that has ended (orchestrate.record / attach), before its tables."""

    run_dir: Path
    manifest: RecordingManifest
    recording: Recording  # the program: its window, processes, threads
    started: float  # time.time() when the recording began
    exit_code: int = 0  # record: the command's exit status
    interrupted: KeyboardInterrupt | None = None  # Ctrl-C / SIGTERM ended the command


@dataclass
class CompareResult:
    """Two runs side by side (orchestrate.compare_runs, analyse.diff)."""

    out_dir: Path
    base: Path
    new: Path
    kind: str  # profile, or a recording (record, attach)
    title: str
    table: pd.DataFrame  # analyse.diff.DIFF_COLUMNS
    blame: pd.DataFrame  # analyse.diff.BLAME_DIFF_COLUMNS
    margin: float
    mismatches: list[str] = field(default_factory=list)  # compared anyway (--allow-mismatch)
    warnings: list[str] = field(default_factory=list)  # other machines, disturbed runs
    failing: list[str] = field(default_factory=list)  # models significantly slower in NEW

    @property
    def exit_code(self) -> int:
        """0: no model significantly slower (or the gate is off); 1: one is."""
        return 1 if self.failing else 0


@dataclass
class SweepResult:
    """A profile at several values of one setting (orchestrate.sweep): their runs and the
    scaling."""

    out_dir: Path
    scenario: str
    swept: Swept
    runs: dict[Setting, Path]  # value -> its run directory (timing runs only)
    table: pd.DataFrame  # analyse.scaling: model, the setting, MEASURED_COLUMNS
    lines: list[str]  # what it says
    cores: int = 1
    observed_run: Path | None = None  # the profile with recorders at observed_value
    observed_value: Setting | None = None
    duration_s: float = 0.0


@dataclass
class AcrossResult:
    """A profile on several interpreters (orchestrate.across): their runs and the comparison."""

    out_dir: Path
    labels: list[str]  # PYTHON's names, the first is the base
    runs: dict[str, Path]  # label -> its run directory
    table: pd.DataFrame  # analyse.across.ACROSS_COLUMNS
    lines: list[str]  # what the answer says
    duration_s: float = 0.0
    scenario: str = ""
