"""Runner result documents (raw/timing/<model>-r<rep>.json) into tidy frames.

Input grammar: one JSON object per file, as written by `profiler.workload.runner run`:
{model, tasks, wall_s, user_s, sys_s, max_rss_mb, tasks_ok, ok, error,
 start_ns, end_ns, pid, task_records: [{index, pid, tid, thread_name,
 start_ns, end_ns, ok, ...}], machine_busy_s, helper_cpu_s, clock_tick_s, ...}. The rep number,
and the attempt of a re-run, are in the file name (<model>-r<rep>[-a<attempt>].json).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from profiler.errors import reading
from profiler.recorders.window import Program
from profiler.rundir import read_doc
from profiler.schema import ProcessRole
from profiler.workload.documents import RunResult

TIMING_COLUMNS = [
    "model",
    "rep",
    "attempt",
    "wall_s",
    "user_s",
    "sys_s",
    "max_rss_mb",
    "tasks",
    "ok",
    "machine_busy_s",
    "helper_cpu_s",
    "cores",
    "clock_tick_s",
    "free_threaded",
    "gil_enabled_after",
    "gil_enabled_by",
]
TASK_COLUMNS = ["model", "rep", "index", "pid", "tid", "thread_name", "start_s", "end_s", "ok"]
WORKER_COLUMNS = ["model", "rep", "pid", "tid", "thread_name", "start_s"]
_NAME = re.compile(r"(?P<model>[a-z_]+)-r(?P<rep>\d+)(?:-a(?P<attempt>\d+))?\.json$")


def timing_name(model: str, rep: int, attempt: int = 1) -> str:
    """raw/timing/<model>-r<rep>.json; a re-run of a disturbed repeat adds -a<attempt>."""
    return f"{model}-r{rep}.json" if attempt == 1 else f"{model}-r{rep}-a{attempt}.json"


def timing_row(doc: RunResult, rep: int, attempt: int = 1) -> dict[str, Any]:
    nan = float("nan")
    return {
        "model": doc.model,
        "rep": rep,
        "attempt": attempt,
        "wall_s": doc.wall_s,
        "user_s": doc.user_s,
        "sys_s": doc.sys_s,
        "max_rss_mb": doc.max_rss_mb,
        "tasks": doc.tasks_ok,
        "ok": doc.ok,
        "machine_busy_s": nan if doc.machine_busy_s is None else doc.machine_busy_s,
        "helper_cpu_s": doc.helper_cpu_s or 0.0,
        "cores": doc.python.cpu_count,
        "clock_tick_s": nan if doc.clock_tick_s is None else doc.clock_tick_s,
        "free_threaded": doc.python.free_threaded,
        "gil_enabled_after": doc.gil_enabled_after,
        "gil_enabled_by": ", ".join(doc.gil_enabled_by),
    }


def task_rows(doc: RunResult, rep: int) -> list[dict[str, Any]]:
    t0 = doc.start_ns or 0
    return [
        {
            "model": doc.model,
            "rep": rep,
            "index": r.index,
            "pid": r.pid,
            "tid": r.tid,
            "thread_name": r.thread_name,
            "start_s": ((r.start_ns or 0) - t0) / 1e9,
            "end_s": ((r.end_ns or 0) - t0) / 1e9,
            "ok": r.ok,
        }
        for r in doc.task_records
    ]


def worker_rows(doc: RunResult, rep: int) -> list[dict[str, Any]]:
    """When each worker (thread, process, or the main thread) started, from the run's start."""
    t0 = doc.start_ns or 0
    return [
        {
            "model": doc.model,
            "rep": rep,
            "pid": w.pid,
            "tid": w.tid,
            "thread_name": w.name,
            "start_s": (w.start_ns - t0) / 1e9,
        }
        for w in doc.worker_starts
    ]


def read_attempts(timing_dir: Path) -> list[tuple[int, int, RunResult]]:
    """(rep, attempt, document) for every runner result file, in run order."""
    found = []
    for path in timing_dir.glob("*.json"):
        match = _NAME.search(path.name)
        if match and (doc := read_result(path)) is not None:
            found.append((int(match["rep"]), int(match["attempt"] or 1), doc))
    return sorted(found, key=lambda item: (item[0], item[2].start_ns or 0))


def read_docs(timing_dir: Path) -> list[tuple[int, RunResult]]:
    """(rep, document) for every runner result file, in run order."""
    return [(rep, doc) for rep, _, doc in read_attempts(timing_dir)]


class TimingRecords(NamedTuple):
    timing: pd.DataFrame  # one row per timing run, re-runs included
    tasks: pd.DataFrame  # one row per task, where the run timed its tasks
    workers: pd.DataFrame  # one row per worker start


def load_timing(timing_dir: Path) -> TimingRecords:
    """The timing runs' tables; tasks and workers from the last attempt of each repeat."""
    docs = read_attempts(timing_dir)
    timing = pd.DataFrame(
        [timing_row(d, rep, attempt) for rep, attempt, d in docs], columns=TIMING_COLUMNS
    )
    last = {(d.model, rep): attempt for rep, attempt, d in docs}  # run order: last wins
    kept = [(rep, d) for rep, attempt, d in docs if last[(d.model, rep)] == attempt]
    tasks = pd.DataFrame([r for rep, d in kept for r in task_rows(d, rep)], columns=TASK_COLUMNS)
    workers = pd.DataFrame(
        [r for rep, d in kept for r in worker_rows(d, rep)], columns=WORKER_COLUMNS
    )
    return TimingRecords(timing, tasks, workers)


IDENTITY_COLUMNS = ["pid", "tid", "process_role", "thread_name"]


def process_roles(program: Program) -> dict[int, ProcessRole]:
    roles: dict[int, ProcessRole] = {program.pid: "main"}
    roles.update({p: "worker" for p in program.worker_pids})
    roles.update({p: "server" for p in program.helper_pids})
    return roles


def identity(program: Program) -> pd.DataFrame:
    """pid, tid, process_role, thread_name of every thread the runner (or hook) named."""
    roles = process_roles(program)
    rows = [(t.pid, t.tid, roles.get(t.pid, "other"), t.name) for t in program.threads]
    return pd.DataFrame(rows, columns=IDENTITY_COLUMNS).drop_duplicates(["pid", "tid"])


def read_result(path: Path) -> RunResult | None:
    """A runner's result document; None if absent, DamagedInput if cut off or not one."""
    doc = read_doc(path)
    if doc is None:
        return None
    with reading(path):
        return RunResult.from_json(doc)
