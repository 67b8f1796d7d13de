"""What every recorder offers: whether it works here, and how it joins a run.

Two kinds: a *wrapper* puts its command in front of the runner's (perf,
py-spy: `perf record ... -- py-spy record ... -- python -m profiler.workload.runner`);
a *sampler* watches the process tree from the toolkit's side (procfs).
viztracer is a wrapper that needs a run of its own (it slows the workload
several times), so it is marked `exclusive`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Availability:
    """Whether a recorder works here; if not, why and how to enable it."""

    ok: bool
    reason: str = ""
    fix: str = ""

    def describe(self) -> str:
        return (
            self.reason
            if self.ok
            else f"{self.reason}; fix: {self.fix}"
            if self.fix
            else self.reason
        )


@dataclass(frozen=True)
class Target:
    """What recorders need to know about the observed run."""

    python: str  # workload interpreter
    model: str
    raw_dir: Path  # raw/<model>/
    probe_budget_s: float | None = None  # how much time exact probes may add to the run
    track: Callable[[int], None] | None = None  # a process a recorder started outside the run


@dataclass(frozen=True)
class Traits:
    """What the rest of concprof needs to know of a recorder, declared by the recorder
    (never guessed from its name)."""

    exact: bool  # every state change as an event (perf) rather than samples or polls
    measures: frozenset[str]  # of "gil", "stacks", "cpu", "cores", "functions", "threads"
    rate_hz: float | None = None  # a sampler's rate
    costs_the_run: bool = False  # its probes slow what it records: set aside beyond the bound
    counts_rounds: bool = False  # its shares need the runner's round counter (GIL reference)
    stop_cost_s: float = 0.0  # what stopping it costs the run (its probes still in place)
    traces: bool = False  # it reads other processes' memory (ptrace): Yama's rule applies
    follows_running: bool = False  # it can join processes already running (attach)


class Wrapper(Protocol):
    name: str
    traits: Traits
    exclusive: bool
    note: str  # after finish: what a user should know about the recording ("" if nothing)
    attaches: bool  # attach() must run before the wrapped command may start
    stopped_part_way: bool  # after finish: its trace ended before the run did (a budget)

    def attach(self, pid: int, target: Target) -> None:
        """Follow the process `pid` (started, held until this returns) and its children."""
        ...

    def available(self, python: str) -> Availability: ...

    def wrap(self, argv: list[str], target: Target) -> list[str]:
        """The command that runs `argv` under this recorder."""
        ...

    def finish(self, target: Target, stderr: str) -> list[Path]:
        """After the run: check the raw output (RecorderFailed if unusable); what was written."""
        ...

    def outputs(self, raw: Path) -> list[Path]:
        """The files it writes in raw/<model>/ (`raw`), whether or not they were written."""
        ...

    def beside(self) -> Sampler | None:
        """The same recording started beside a program that is already running (record,
        attach), when it cannot wrap it; None when it joins it as a wrapper."""
        ...


class Sampler(Protocol):
    name: str
    traits: Traits

    def available(self, python: str) -> Availability: ...

    def start(self, root_pid: int, target: Target) -> None: ...

    def stop(self) -> list[Path]: ...


class RecorderFailed(Exception):
    """A recorder could not record; the run's other results are kept."""


class FollowsRunning(Wrapper, Protocol):
    """A wrapper that can also join processes that are already running (traits.follows_running)."""

    def attach_all(self, pids: list[int], target: Target) -> None: ...

    def abandon(self) -> None:
        """Undo what wrap() set up, when joining failed part-way."""
        ...


@dataclass
class Selection:
    """The recorders that will run, and those that will not (with the reason)."""

    wrappers: list[Wrapper] = field(default_factory=list)  # share the observed run
    exclusive: list[Wrapper] = field(default_factory=list)  # each gets a run of its own
    samplers: list[Sampler] = field(default_factory=list)
    not_used: dict[str, str] = field(default_factory=dict)
    fallbacks: list[str] = field(default_factory=list)  # one line each, for the terminal

    @property
    def used(self) -> list[str]:
        return [
            *(w.name for w in self.wrappers),
            *(s.name for s in self.samplers),
            *(w.name for w in self.exclusive),
        ]


@cache
def is_free_threaded(python: str) -> bool:
    """The interpreter was built with --disable-gil (PEP 703): no GIL to hold or trace."""
    code = "import sysconfig; print(bool(sysconfig.get_config_var('Py_GIL_DISABLED')))"
    done = subprocess.run(
        [python, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    return done.stdout.strip() == "True"
