"""What one recorder contributes to a model's tables (profiler.recorders.*.tables), and the
entry each recorder package gives the registry (Source): how to make it, load what it wrote,
and turn that into its part of the tables."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import pandas as pd

from profiler.recorders.base import Sampler, Wrapper
from profiler.recorders.window import Window
from profiler.workload.documents import ThreadRecord

R = TypeVar("R")  # what a recorder's loader gives: its recording, in memory


@dataclass
class SourceTables:
    source: str  # the recorder that measured these rows (the `source` column)
    threads: pd.DataFrame | None = None  # one row per thread (threads.csv's columns it has)
    processes: pd.DataFrame | None = None  # one row per process
    cores: pd.DataFrame | None = None  # one row per core
    cores_timeline: pd.DataFrame | None = None
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)  # tables only it gives
    stacks: pd.DataFrame | None = None  # GIL-holding samples per stack (GIL blame)
    commands: dict[int, str] = field(default_factory=dict)  # pid/tid -> its command, for names
    last_seen_ns: dict[int, int] = field(default_factory=dict)  # pid -> when it was last alive
    switch_rate_hz: dict[int, float] = field(default_factory=dict)  # pid -> voluntary/s
    gil_traced_pct: float | None = None  # how much of the window its GIL trace covers


@dataclass(frozen=True)
class TableContext:
    """What a recorder's tables may use beside its own recording: the machine's cores, the
    threads the runner named, and what the recorders before it in the registry gave."""

    cpu_count: int
    named: pd.DataFrame  # pid, tid, thread_name, process_role of every named thread
    earlier: tuple[SourceTables, ...] = ()

    @property
    def last_seen_ns(self) -> dict[int, int]:
        return {k: v for part in self.earlier for k, v in part.last_seen_ns.items()}

    @property
    def switch_rate_hz(self) -> dict[int, float]:
        return {k: v for part in self.earlier for k, v in part.switch_rate_hz.items()}


@dataclass(frozen=True)
class Source(Generic[R]):
    """A recorder as the registry lists it (profiler.recorders): one per package."""

    name: str
    exact: bool  # every state change as an event; its rows are preferred (the `best` column)
    load: Callable[[Path, Window], R | None]  # raw/<model>/ -> what it recorded (None: nothing)
    tables: Callable[[R | None, Window, TableContext], SourceTables | None]
    how: dict[str, str] = field(default_factory=dict)  # what it measures -> how, for reports
    prepare: Callable[[], str | None] = lambda: None  # before a run it records: what it did
    sweep: Callable[[], list[str]] = lambda: []  # before any run: what dead runs left, removed
    # the command a watchdog runs, until it exits 0, if the concprof process (its pid) dies
    teardown: Callable[[int], list[str] | None] = lambda pid: None
    checks: Callable[[], list[tuple[str, bool, str]]] = lambda: []  # `concprof doctor` rows
    names_threads: Callable[[int], list[ThreadRecord]] | None = None  # a running tree's names
    wrapper: Callable[[], Wrapper] | None = None  # it wraps the runner's command
    sampler: Callable[[], Sampler] | None = None  # it watches from concprof's side


AnySource = Source[Any]
