"""What `record` and `attach` share: the program's thread names, its result document, its
manifest, and the run directory's tables and outputs once the recording has ended."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import profiler
from profiler.analyse.record_tables import build_record_tables
from profiler.atomic import write_json
from profiler.layout import RunDir
from profiler.record.base import Selection
from profiler.render import render_all
from profiler.rundir import write_table
from profiler.spine import Manifest, Observed, RecordersUsed, RunTables, ScenarioRef, ToolInfo
from profiler.workload.documents import PythonInfo, RunError, RunResult, ThreadRecord

RECORD = "record"  # the one "model" of a recording: raw/record/, the tables' model column
HOOK_DIR = Path(profiler.__file__).resolve().parent / "workload" / "hook"  # sitecustomize.py


def thread_notes(notes_dir: Path) -> list[dict[str, object]]:
    """Every line the start-up hook wrote (workload/hook/sitecustomize.py), oldest first."""
    lines: list[dict[str, object]] = []
    for path in sorted(notes_dir.glob("*.jsonl")) if notes_dir.is_dir() else []:
        for line in path.read_text().splitlines():
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line cut off by a kill: that thread keeps its tid as name
    return sorted(lines, key=lambda note: int(str(note.get("start_ns", 0))))


def threads_of(notes: list[dict[str, object]]) -> list[ThreadRecord]:
    """One record per (pid, tid), named as it started (a reused tid keeps its last name)."""
    named: dict[tuple[int, int], ThreadRecord] = {}
    for note in notes:
        pid, tid = int(str(note["pid"])), int(str(note["tid"]))
        ident = note.get("ident")
        named[(pid, tid)] = ThreadRecord(
            pid, tid, str(note["name"]), int(str(ident)) if ident is not None else None
        )
    return list(named.values())


def result_doc(
    argv: list[str],
    root_pid: int,
    window_ns: tuple[int, int],
    threads: list[ThreadRecord],
    python: PythonInfo,
    error: RunError | None,
) -> RunResult:
    """The recording as a runner result document, so the observed run's loaders read it."""
    t0, t1 = window_ns
    return RunResult(
        scenario=" ".join(argv),
        model=RECORD,
        tasks=0,
        workers=0,
        pid=root_pid,
        main_tid=root_pid,
        python=python,
        start_ns=t0,
        end_ns=t1,
        wall_s=(t1 - t0) / 1e9,
        threads=threads,
        error=error,
        ok=error is None,
        whole_process=True,
    )


def record_manifest(
    kind: str,
    name: str,
    argv: list[str],
    started: float,
    chosen: Selection,
    requested: str,
    python: PythonInfo,
) -> Manifest:
    return Manifest(
        tool=ToolInfo("concprof", profiler.__version__),
        kind=kind,
        status="running",
        created=time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        scenario=ScenarioRef(name=name, summary=" ".join(argv)),
        models=[RECORD],
        python=python,
        cpu_count=os.cpu_count(),
        kernel=platform.release(),
        machine=platform.machine(),
        recorders=RecordersUsed(requested, chosen.used, chosen.not_used),
        command=list(argv),
    )


def finish(run_dir: Path, manifest: Manifest, doc: RunResult, observed: Observed) -> RunTables:
    """Write the result document, the tables and the outputs; then mark the run complete."""
    layout = RunDir(run_dir)
    write_json(layout.model_raw(RECORD).observed, doc.to_json())
    manifest.observed = {RECORD: observed}
    manifest.save(layout.manifest)
    tables = rebuild_recording(run_dir, manifest)
    manifest.status = "complete"
    manifest.duration_s = round(time.time() - _created(manifest), 3)
    manifest.save(layout.manifest)
    return tables


def rebuild_recording(run_dir: Path, manifest: Manifest) -> RunTables:
    tables = build_record_tables(run_dir, manifest)
    for name, frame in tables.items():
        write_table(run_dir, name, frame)
    render_all(run_dir, manifest, tables)
    return tables


def _created(manifest: Manifest) -> float:
    try:
        return time.mktime(time.strptime(manifest.created, "%Y-%m-%dT%H:%M:%S%z"))
    except ValueError:
        return time.time()
