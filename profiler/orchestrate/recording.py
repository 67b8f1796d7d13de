"""What `record` and `attach` share: the program's thread names, what was recorded
(Recording) and its manifest (orchestrate.recorded turns a recording into tables and
outputs)."""

from __future__ import annotations

import json
import os
import platform
import re
import time
from collections.abc import Sequence
from pathlib import Path

import profiler
from profiler.layout import RECORDING
from profiler.recorders.base import Sampler, Selection, Wrapper
from profiler.spine import (
    Observed,
    RecordersUsed,
    Recording,
    RecordingManifest,
    ToolInfo,
)
from profiler.workload.documents import PythonInfo, ThreadRecord

PYTHON_NAME = re.compile(r"python(\d+(\.\d+)*t?)?$")  # python3, python3.13t: a Python
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


def recording_of(
    root_pid: int, window_ns: tuple[int, int], threads: list[ThreadRecord]
) -> Recording:
    """What was recorded: the root process, its window, its threads; every other Python
    process whose threads are known is one of its children (a pool's, or any it started)."""
    t0, t1 = window_ns
    children = sorted({t.pid for t in threads} - {root_pid})
    return Recording(pid=root_pid, start_ns=t0, end_ns=t1, threads=threads, children=children)


def record_manifest(
    kind: str,
    name: str,
    argv: list[str],
    started: float,
    chosen: Selection,
    requested: str,
    python: PythonInfo,
    pid: int | None = None,
) -> RecordingManifest:
    return RecordingManifest(
        tool=ToolInfo("concprof", profiler.__version__),
        kind=kind,
        status="running",
        created=time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        name=name,
        command=list(argv),
        pid=pid,
        python=python,
        cpu_count=os.cpu_count(),
        kernel=platform.release(),
        machine=platform.machine(),
        recorders=RecordersUsed(requested, chosen.used, chosen.not_used),
        observed=Observed(model=RECORDING),
    )


def name_of(kind: str, argv: Sequence[str]) -> str:
    """<kind>-<script or module>: what the run directory is named after."""
    rest = list(argv[1:]) if PYTHON_NAME.match(Path(argv[0]).name) else list(argv)
    if len(rest) >= 2 and rest[0] == "-m":
        return f"{kind}-{rest[1]}"
    script = next((a for a in rest if not a.startswith("-")), argv[0])
    return f"{kind}-{Path(script).stem or 'command'}"


def recording_recorders(chosen: Selection) -> tuple[list[Wrapper], list[Sampler]]:
    """What a recording runs: perf around the program, py-spy beside it (`--pid`, so the
    program's exit status is its own) and procfs; an exclusive recorder (viztracer) needs a
    run of its own and a program runs once, so it is listed as not used, with that reason."""
    for wrapper in chosen.exclusive:
        chosen.not_used[wrapper.name] = "needs a run of its own; a recording runs the program once"
    chosen.exclusive = []
    wrappers: list[Wrapper] = []
    beside: list[Sampler] = []
    for wrapper in chosen.wrappers:
        sampler = wrapper.beside()
        if sampler is None:
            wrappers.append(wrapper)
        else:
            beside.append(sampler)
    return wrappers, [*beside, *chosen.samplers]
