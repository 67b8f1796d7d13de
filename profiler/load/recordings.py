"""What each recorder recorded in one observed run, in memory (filled by the load/ modules;
profiler.load.observed_run holds them together)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class ProcfsFrames:
    threads: pd.DataFrame
    processes: pd.DataFrame
    cores: pd.DataFrame
    clock_ticks_per_s: int
    interval_s: float


@dataclass(frozen=True)
class PyspyRecording:
    samples: pd.DataFrame  # pid, tid (py-spy's ids), samples, leaf, stack
    rate_hz: float
    found_ns: dict[int, int]  # pid -> CLOCK_MONOTONIC ns py-spy began sampling it ({}: unknown)


@dataclass(frozen=True)
class PerfTrace:
    events: pd.DataFrame  # profiler.load.perf's columns
    meta: dict[str, Any]  # perf_meta.json (the GIL and sched traces' budgets and stops)
    exit_commands: dict[int, str]  # tid -> its command when it exited


@dataclass(frozen=True)
class VizRecording:
    spans: pd.DataFrame  # pid, tid, name, start_us, dur_us from that run's own start
    names: pd.DataFrame  # pid, tid, kind, name
    window_us: float  # that run's model run length
