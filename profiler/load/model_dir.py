"""Reads one model's raw/<model>/ directory into Recordings (profiler.load.observed_run):
each registered recorder loads what it wrote."""

from __future__ import annotations

from pathlib import Path

from profiler.layout import RECORDING
from profiler.load.observed_run import Recordings
from profiler.recorders import SOURCES
from profiler.recorders.window import Program, Window
from profiler.spine import Recording
from profiler.workload.documents import RunResult


def load_recordings(raw: Path, window: Window) -> Recordings:
    """What every recorder wrote in `raw` (raw/<model>/), for the observed run `window`."""
    loaded = {source.name: source.load(raw, window) for source in SOURCES}
    return Recordings(window.model, window.program, window.t0_ns, window.t1_ns, by_source=loaded)


def run_window(model: str, raw: Path, doc: RunResult) -> Window:
    """A model run's window: `doc`, its observed.json (start_ns..end_ns)."""
    if doc.start_ns is None or doc.end_ns is None:
        raise ValueError(f"{raw}: the observed run has no measured window")
    return Window(model, Program.of_run(doc), doc.start_ns, doc.end_ns)


def load_model_run(model: str, raw: Path, doc: RunResult) -> Recordings:
    """A model's observed run: its window (`doc`) and what every recorder wrote in `raw`."""
    return load_recordings(raw, run_window(model, raw, doc))


def recording_window(recording: Recording) -> Window:
    """A recording's window: the program's life, its processes and named threads."""
    program = Program(
        pid=recording.pid,
        main_tid=recording.pid,
        threads=recording.threads,
        worker_pids=recording.children,
        whole_process=True,
    )
    return Window(RECORDING, program, recording.start_ns, recording.end_ns)
