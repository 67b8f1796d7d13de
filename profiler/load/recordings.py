"""One model's observed run: every recorder's raw files, loaded into one typed object.

What is read here is what the analysis needs, in memory; nothing is derived.
A recorder that did not run (or wrote nothing) is None.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from profiler.load.perf import exit_commands, load_perf
from profiler.load.procfs import ProcfsFrames, load_procfs
from profiler.load.pyspy import load_pyspy, sampling_starts
from profiler.load.runner_json import read_doc
from profiler.load.viztracer import load_viztracer


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


@dataclass(frozen=True)
class Recordings:
    model: str
    doc: dict[str, Any]  # the runner's observed.json
    t0_ns: int  # the model run's window, CLOCK_MONOTONIC
    t1_ns: int
    procfs: ProcfsFrames | None
    pyspy: PyspyRecording | None
    perf: PerfTrace | None
    viztracer: VizRecording | None

    @property
    def window_us(self) -> float:
        return (self.t1_ns - self.t0_ns) / 1e3

    @property
    def root_pid(self) -> int:
        return int(self.doc["pid"])

    @property
    def reference_pid(self) -> int:
        """py-spy's round counter (profiler.models.reference): not part of the workload."""
        return int(self.doc.get("gil_reference_pid") or -1)

    @property
    def helper_pids(self) -> set[int]:
        return {int(p) for p in self.doc.get("helper_pids", [])}


def load_recordings(model: str, raw: Path, doc: dict[str, Any]) -> Recordings:
    t0 = int(doc["start_ns"])
    return Recordings(
        model=model,
        doc=doc,
        t0_ns=t0,
        t1_ns=int(doc["end_ns"]),
        procfs=load_procfs(raw, t0),
        pyspy=_pyspy(raw),
        perf=_perf(raw),
        viztracer=_viztracer(raw),
    )


def _pyspy(raw: Path) -> PyspyRecording | None:
    path, meta = raw / "pyspy.txt", read_doc(raw / "pyspy_meta.json")
    if not path.exists() or meta is None:
        return None
    log, offset = raw / "pyspy.log", meta.get("realtime_minus_monotonic_ns")
    found = (
        {pid: t - int(offset) for pid, t in sampling_starts(log.read_text()).items()}
        if offset is not None and log.exists()
        else {}
    )
    return PyspyRecording(load_pyspy(path), float(meta["rate_hz"]), found)


def _perf(raw: Path) -> PerfTrace | None:
    path = raw / "perf.txt"
    if not path.exists():
        return None
    return PerfTrace(load_perf(path), read_doc(raw / "perf_meta.json") or {}, exit_commands(path))


def _viztracer(raw: Path) -> VizRecording | None:
    path, doc = raw / "viztracer.json", read_doc(raw / "viztracer_run.json")
    if not path.exists() or doc is None or "start_ns" not in doc:
        return None
    spans, names = load_viztracer(path, int(doc["start_ns"]))
    return VizRecording(spans, names, (int(doc["end_ns"]) - int(doc["start_ns"])) / 1e3)
