"""What a process pool pays to talk to its workers, from the observed run's pickling events
(profiler.workload.ipc_watch): per task and per worker, the bytes and time of pickling the
call in the parent and unpickling it in the worker, of pickling the result in the worker
and unpickling it in the parent, the time a finished result waits before the parent takes
it, and each worker's start-up, idle time and time in tasks.

All times are CLOCK_MONOTONIC, the same clock in every process of the machine.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from profiler.rundir import read_doc
from profiler.workload.documents import RunResult

TASK_IPC_COLUMNS = [
    "arg_bytes",
    "result_bytes",
    "arg_pickle_s",
    "arg_unpickle_s",
    "result_pickle_s",
    "result_unpickle_s",
    "result_wait_s",
]
IPC_COLUMNS = [
    "model",
    "worker_pid",
    "tasks",
    *TASK_IPC_COLUMNS,
    "startup_s",
    "idle_s",
    "task_s",
    "window_s",
]
SPAN_COLUMNS = ["model", "pid", "what", "work_id", "start_s", "end_s", "bytes"]
EVENT_COLUMNS = ["pid", "what", "work_id", "start_ns", "end_ns", "bytes"]


def events(doc: RunResult) -> pd.DataFrame:
    """The pickling events; a pool item's bytes are what it carries (less the item's own
    frame, doc.ipc_frame_bytes), as the call or the result were pickled."""
    frame = pd.DataFrame([e.to_json() for e in doc.ipc], columns=EVENT_COLUMNS)
    frame = frame.astype({"pid": int, "work_id": int, "start_ns": int, "end_ns": int})
    kind = frame["what"].str.split("_").str[0]
    own = kind.map(doc.ipc_frame_bytes).fillna(0).astype(int)
    frame["bytes"] = (frame["bytes"] - own).clip(lower=0)
    return frame


def _one(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    """The events of one kind of pool item, one per task (the first, should a task's item
    be pickled twice), indexed by work_id."""
    rows = frame[(frame["what"] == what) & (frame["work_id"] >= 0)]
    return rows.drop_duplicates("work_id").set_index("work_id")


def per_task(doc: RunResult, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per task (`index`, its submission index): TASK_IPC_COLUMNS; empty without
    pickling events (not a processes run, or not an observed one). `frame`: events(doc),
    when the caller already has it."""
    frame = events(doc) if frame is None else frame
    if frame.empty:
        return pd.DataFrame(columns=["index", *TASK_IPC_COLUMNS])
    call_dump, call_load = _one(frame, "call_dump"), _one(frame, "call_load")
    result_dump, result_load = _one(frame, "result_dump"), _one(frame, "result_load")

    def dur(part: pd.DataFrame) -> pd.Series:
        return (part["end_ns"] - part["start_ns"]) / 1e9

    out = pd.DataFrame(
        {
            "arg_bytes": call_dump["bytes"],
            "result_bytes": result_dump["bytes"],
            "arg_pickle_s": dur(call_dump),
            "arg_unpickle_s": dur(call_load),
            "result_pickle_s": dur(result_dump),
            "result_unpickle_s": dur(result_load),
            "result_wait_s": (result_load["start_ns"] - result_dump["end_ns"]) / 1e9,
        }
    )
    return out.rename_axis("index").reset_index()


def per_worker(doc: RunResult, model: str, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per worker process (IPC_COLUMNS): its tasks' pickling (the parent's side
    counted to the worker that ran the task), start-up (from the run's start to the
    worker's note), idle (waiting for work: from its start or its last result sent to the
    next task's unpickling), time in tasks, and its window (start to its last result sent)."""
    frame = events(doc) if frame is None else frame
    if frame.empty or doc.start_ns is None:
        return pd.DataFrame(columns=IPC_COLUMNS)
    tasks = pd.DataFrame(
        [(t.index, t.pid, t.start_ns, t.end_ns) for t in doc.task_records],
        columns=["index", "pid", "start_ns", "end_ns"],
    )
    task_parts = per_task(doc, frame).merge(tasks[["index", "pid"]], on="index", how="inner")
    starts: dict[int, int] = {}
    for s in doc.worker_starts:
        starts[s.pid] = min(starts.get(s.pid, s.start_ns), s.start_ns)
    rows = []
    for key, own in frame[frame["pid"] != doc.pid].groupby("pid"):
        pid = int(str(key))
        start_ns = starts.get(pid, int(own["start_ns"].min()))
        mine = own.sort_values("start_ns")
        idle_ns, last_end = 0, start_ns
        for what, begin, end in zip(mine["what"], mine["start_ns"], mine["end_ns"], strict=True):
            if what == "call_load":
                idle_ns += max(0, int(begin) - last_end)
            if what in ("call_load", "result_dump"):
                last_end = int(end)
        parts = task_parts[task_parts["pid"] == pid]
        ran = tasks[tasks["pid"] == pid]
        row: dict[str, object] = {"model": model, "worker_pid": pid, "tasks": len(parts)}
        row.update({c: parts[c].sum() for c in TASK_IPC_COLUMNS})
        row["startup_s"] = (start_ns - doc.start_ns) / 1e9
        row["idle_s"] = idle_ns / 1e9
        row["task_s"] = float((ran["end_ns"] - ran["start_ns"]).sum()) / 1e9
        row["window_s"] = (last_end - start_ns) / 1e9
        rows.append(row)
    return pd.DataFrame(rows, columns=IPC_COLUMNS)


SITE_COLUMNS = ["pid", "what", "site", "calls", "bytes", "seconds"]


def recorded_sites(directory: Path) -> pd.DataFrame:
    """A recorded program's pickling totals per process, kind and call site (written by the
    start-up hook's concprof_ipc as each process exited): SITE_COLUMNS."""
    rows = []
    for path in sorted(directory.glob("ipc-*.json")) if directory.is_dir() else []:
        doc = read_doc(path)
        if not isinstance(doc, dict):
            continue
        pid = int(doc.get("pid", 0))
        for what, site, calls, nbytes, ns in doc.get("rows", []):
            rows.append((pid, str(what), str(site), int(calls), int(nbytes), int(ns) / 1e9))
    frame = pd.DataFrame(rows, columns=SITE_COLUMNS)
    return frame.sort_values(["bytes", "seconds"], ascending=False).reset_index(drop=True)


def spans(doc: RunResult, model: str, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every pickling event as a span from the run's start, for the timeline."""
    frame = events(doc) if frame is None else frame
    if frame.empty or doc.start_ns is None:
        return pd.DataFrame(columns=SPAN_COLUMNS)
    t0 = doc.start_ns
    return pd.DataFrame(
        {
            "model": model,
            "pid": frame["pid"],
            "what": frame["what"],
            "work_id": frame["work_id"],
            "start_s": (frame["start_ns"] - t0) / 1e9,
            "end_s": (frame["end_ns"] - t0) / 1e9,
            "bytes": frame["bytes"],
        },
        columns=SPAN_COLUMNS,
    )
