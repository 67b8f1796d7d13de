"""Reads one model's raw/<model>/ directory into Recordings (profiler.load.observed_run)."""

from __future__ import annotations

from pathlib import Path

from profiler.load.observed_run import Recordings
from profiler.recorders.perf.load import perf_trace
from profiler.recorders.procfs.load import load_procfs
from profiler.recorders.pyspy.load import pyspy_recording
from profiler.recorders.viztracer.load import viztracer_recording
from profiler.workload.documents import RunResult


def load_recordings(model: str, raw: Path, doc: RunResult) -> Recordings:
    """`doc`: the observed run's result (its window: start_ns..end_ns)."""
    if doc.start_ns is None or doc.end_ns is None:
        raise ValueError(f"{raw}: the observed run has no measured window")
    t0 = doc.start_ns
    return Recordings(
        model=model,
        doc=doc,
        t0_ns=t0,
        t1_ns=doc.end_ns,
        procfs=load_procfs(raw, t0),
        pyspy=pyspy_recording(raw),
        perf=perf_trace(raw),
        viztracer=viztracer_recording(raw),
    )
