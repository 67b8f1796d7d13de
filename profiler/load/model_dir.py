"""Reads one model's raw/<model>/ directory into Recordings (profiler.load.observed_run):
each registered recorder loads what it wrote."""

from __future__ import annotations

from pathlib import Path

from profiler.load.observed_run import Recordings
from profiler.recorders import SOURCES
from profiler.recorders.window import Window
from profiler.workload.documents import RunResult


def load_recordings(model: str, raw: Path, doc: RunResult) -> Recordings:
    """`doc`: the observed run's result (its window: start_ns..end_ns)."""
    if doc.start_ns is None or doc.end_ns is None:
        raise ValueError(f"{raw}: the observed run has no measured window")
    window = Window(model=model, doc=doc, t0_ns=doc.start_ns, t1_ns=doc.end_ns)
    loaded = {source.name: source.load(raw, window) for source in SOURCES}
    return Recordings(model, doc, window.t0_ns, window.t1_ns, by_source=loaded)
