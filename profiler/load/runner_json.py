"""Runner result documents (raw/timing/<model>-r<rep>.json) into tidy frames.

Input grammar: one JSON object per file, as written by `profiler.runner run`:
{model, tasks, wall_s, user_s, sys_s, max_rss_mb, tasks_ok, ok, error,
 start_ns, end_ns, pid, task_records: [{index, pid, tid, thread_name,
 start_ns, end_ns, ok, ...}], ...}. The rep number is in the file name.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
import pandas as pd

TIMING_COLUMNS = ["model", "rep", "wall_s", "user_s", "sys_s", "max_rss_mb", "tasks", "ok"]
TASK_COLUMNS = ["model", "rep", "index", "pid", "tid", "thread_name", "start_s", "end_s", "ok"]
_NAME = re.compile(r"(?P<model>[a-z_]+)-r(?P<rep>\d+)\.json$")


def timing_row(doc: dict[str, Any], rep: int) -> dict[str, Any]:
    return {
        "model": doc["model"],
        "rep": rep,
        "wall_s": doc.get("wall_s"),
        "user_s": doc.get("user_s"),
        "sys_s": doc.get("sys_s"),
        "max_rss_mb": doc.get("max_rss_mb"),
        "tasks": doc.get("tasks_ok", 0),
        "ok": bool(doc.get("ok")),
    }


def task_rows(doc: dict[str, Any], rep: int) -> list[dict[str, Any]]:
    t0 = doc.get("start_ns", 0)
    return [
        {
            "model": doc["model"],
            "rep": rep,
            "index": r["index"],
            "pid": r["pid"],
            "tid": r["tid"],
            "thread_name": r["thread_name"],
            "start_s": (r["start_ns"] - t0) / 1e9,
            "end_s": (r["end_ns"] - t0) / 1e9,
            "ok": r["ok"],
        }
        for r in doc.get("task_records", [])
    ]


def read_docs(timing_dir: Path) -> list[tuple[int, dict[str, Any]]]:
    """(rep, document) for every runner result file, in run order."""
    found = []
    for path in timing_dir.glob("*.json"):
        match = _NAME.search(path.name)
        if match:
            found.append((int(match["rep"]), orjson.loads(path.read_bytes())))
    return sorted(found, key=lambda item: (item[0], item[1].get("start_ns", 0)))


def load_timing(timing_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The timing table (one row per run) and the per-task table."""
    docs = read_docs(timing_dir)
    timing = pd.DataFrame([timing_row(d, rep) for rep, d in docs], columns=TIMING_COLUMNS)
    tasks = pd.DataFrame(
        [row for rep, d in docs for row in task_rows(d, rep)], columns=TASK_COLUMNS
    )
    return timing, tasks


IDENTITY_COLUMNS = ["pid", "tid", "process_role", "thread_name"]


def process_roles(doc: dict[str, Any]) -> dict[int, str]:
    roles = {int(doc["pid"]): "main"}
    roles.update({int(p): "worker" for p in doc.get("worker_pids", [])})
    roles.update({int(p): "server" for p in doc.get("helper_pids", [])})
    return roles


def identity(doc: dict[str, Any]) -> pd.DataFrame:
    """pid, tid, process_role, thread_name of every thread the runner named."""
    roles = process_roles(doc)
    rows = [
        (t["pid"], t["tid"], roles.get(t["pid"], "other"), t["name"])
        for t in doc.get("threads", [])
    ]
    return pd.DataFrame(rows, columns=IDENTITY_COLUMNS).drop_duplicates(["pid", "tid"])


def read_doc(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    doc: dict[str, Any] = orjson.loads(path.read_bytes())
    return doc
