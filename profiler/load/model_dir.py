"""Reads one model's raw/<model>/ directory into Recordings (profiler.load.recordings)."""

from __future__ import annotations

from pathlib import Path

from profiler.layout import RawDir
from profiler.load.observed_run import Recordings
from profiler.load.perf import exit_commands, load_perf
from profiler.load.procfs import load_procfs
from profiler.load.pyspy import load_pyspy, sampling_starts
from profiler.load.recordings import PerfTrace, PyspyRecording, VizRecording
from profiler.load.runner_json import read_doc
from profiler.load.viztracer import load_viztracer
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
        pyspy=_pyspy(raw),
        perf=_perf(raw),
        viztracer=_viztracer(raw),
    )


def _pyspy(raw: Path) -> PyspyRecording | None:
    files = RawDir(raw)
    path, meta = files.pyspy_txt, read_doc(files.pyspy_meta)
    if not path.exists() or meta is None:
        return None
    log, offset = files.pyspy_log, meta.get("realtime_minus_monotonic_ns")
    found = (
        {pid: t - int(offset) for pid, t in sampling_starts(log.read_text()).items()}
        if offset is not None and log.exists()
        else {}
    )
    return PyspyRecording(load_pyspy(path), float(meta["rate_hz"]), found)


def _perf(raw: Path) -> PerfTrace | None:
    files = RawDir(raw)
    path = files.perf_txt
    if not path.exists():
        return None
    return PerfTrace(load_perf(path), read_doc(files.perf_meta) or {}, exit_commands(path))


def _viztracer(raw: Path) -> VizRecording | None:
    files = RawDir(raw)
    path, doc = files.viztracer_json, read_doc(files.viztracer_run)
    if not path.exists() or doc is None or "start_ns" not in doc:
        return None
    spans, names = load_viztracer(path, int(doc["start_ns"]))
    return VizRecording(spans, names, (int(doc["end_ns"]) - int(doc["start_ns"])) / 1e3)
