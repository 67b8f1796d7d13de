"""What one recorder contributes to a model's tables (profiler.recorders.*.tables)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class SourceTables:
    source: str  # the recorder: perf, py-spy, procfs, viztracer
    threads: pd.DataFrame | None = None  # one row per thread (threads.csv's columns it has)
    processes: pd.DataFrame | None = None  # one row per process
    cores: pd.DataFrame | None = None  # one row per core
    cores_timeline: pd.DataFrame | None = None
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)  # tables only it gives
    stacks: pd.DataFrame | None = None  # py-spy: GIL-holding samples per stack (GIL blame)
    commands: dict[int, str] = field(default_factory=dict)  # pid/tid -> its command, for names
    last_seen_ns: dict[int, int] = field(default_factory=dict)  # pid -> when it was last alive
    switch_rate_hz: dict[int, float] = field(default_factory=dict)  # procfs: pid -> voluntary/s
    gil_traced_pct: float | None = None  # perf: how much of the window its GIL trace covers
