"""The typed objects a run hands from stage to stage (DESIGN 6): standard library only.

ProfileConfig (what was asked) -> Plan (what will run) -> Observed (how each
model's observed run went) -> tables -> Answer (profiler.analyse.answer);
Step is what a stage reports as it goes; ClaimsResult what `concprof claims` made.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from profiler.analyse.compare import DEFAULT_MARGIN
from profiler.analyse.observer import DEFAULT_MAX_SLOWDOWN
from profiler.analyse.sampled import DEFAULT_SAMPLED_ERROR_PCT
from profiler.errors import UsageError
from profiler.workload import RUNNER
from profiler.workload.documents import PythonInfo

DEFAULT_TIMEOUT_S = 600.0  # per model run; --timeout
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
ProfileFn = Callable[["ProfileConfig", ProgressFn], "tuple[Path, dict[str, pd.DataFrame]]"]


@dataclass(frozen=True)
class Scenario:
    """A scenario file's checked metadata, as its own interpreter reported it."""

    name: str
    path: str
    summary: str
    doc: str
    tasks: int
    workers: int | None
    has_atask: bool
    has_setup: bool
    has_teardown: bool
    claims: list[int] = field(default_factory=list)
    python: PythonInfo = field(default_factory=PythonInfo)  # the workload's interpreter
    models: list[str] = field(default_factory=list)  # the scenario's default models; [] = all

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
        ]


@dataclass
class Observed:
    """How the observed runs of one model went."""

    model: str
    ok: bool = False
    wall_s: float | None = None
    error: str | None = None
    recorders: dict[str, str] = field(default_factory=dict)  # name -> "ok" or "failed: ..."
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


@dataclass
class ClaimsResult:
    out_dir: Path
    claims: pd.DataFrame
    run_dirs: dict[str, Path] = field(default_factory=dict)
    duration_s: float = 0.0
    environment: dict[str, Any] = field(default_factory=dict)  # cores, Python, kernel, date
