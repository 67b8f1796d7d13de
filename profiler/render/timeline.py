"""timeline.html: a self-contained interactive timeline (canvas viewer, works offline).

Rows per model: each thread's GIL states (perf), each core's busy fraction,
function spans from the separate viztracer run, a process pool's tasks and pickling per
process, a Dask cluster's tasks per worker thread, and an event loop's stalls and lag.
Data is embedded as JSON (with `<` escaped, so no name can close the script element); the
viewer sets every name with textContent, never as markup.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
from markupsafe import Markup

from profiler.analysis import RunAnalysis
from profiler.atomic import write_atomic
from profiler.layout import RunDir
from profiler.recorders import best_source
from profiler.render.common import ENV, STATE_COLOURS, table
from profiler.render.wording import size
from profiler.schema import LOCK_STATES, TRACE_STATES

SPAN_DEPTH_LIMIT = 12
assert len(TRACE_STATES) <= 16  # timeline.html packs (pixel, state) keys in base 16
LOCK_ONLY = [s for s in LOCK_STATES if s != "blocked"]  # a free-threaded build's rows


def _who(threads: pd.DataFrame) -> dict[tuple[int, int], tuple[str, str]]:
    """(pid, tid) -> (thread name, process role)."""
    unique = threads.drop_duplicates(["pid", "tid"])
    columns = (unique["pid"], unique["tid"], unique["thread_name"], unique["process_role"])
    return {
        (int(pid), int(tid)): (str(name), str(role))
        for pid, tid, name, role in zip(*columns, strict=True)
    }


def _gil_rows(intervals: pd.DataFrame, threads: pd.DataFrame) -> list[dict[str, Any]]:
    codes = {s: i for i, s in enumerate(TRACE_STATES)}
    names = _who(threads)
    rows = []
    for key, per in intervals.groupby(["pid", "tid"], sort=True):
        pid, tid = (int(str(k)) for k in key)
        label, role = names.get((pid, tid), (f"tid {tid}", "other"))
        rows.append(
            {
                "kind": "gil",
                "label": f"{label} ({role} {pid})",
                "sub": f"{'thread' if per['state'].isin(LOCK_ONLY).any() else 'GIL'} states "
                f"(perf) · pid {pid} · tid {tid}",
                "starts": per["start_us"].round(1).tolist(),
                "ends": per["end_us"].round(1).tolist(),
                "codes": per["state"].map(codes).tolist(),
            }
        )
    return rows


def _core_rows(timeline: pd.DataFrame) -> list[dict[str, Any]]:
    source = best_source(timeline["source"])
    timeline = timeline[timeline["source"] == source]
    rows = []
    for core, per in timeline.groupby("core", sort=True):
        t_us = (per["t_s"] * 1e6).to_numpy()
        width = float(t_us[1] - t_us[0]) if len(t_us) > 1 else 10_000.0
        rows.append(
            {
                "kind": "core",
                "label": f"core {core}",
                "sub": f"busy with this workload ({source})",
                "starts": t_us.round(1).tolist(),
                "ends": (t_us + width).round(1).tolist(),
                "values": per["busy_frac"].round(3).tolist(),
            }
        )
    return rows


def _span_rows(
    spans: pd.DataFrame, names: pd.DataFrame, table: dict[str, int]
) -> list[dict[str, Any]]:
    threads = names[names["kind"] == "thread"]
    thread_names = {
        (int(pid), int(tid)): str(name)
        for pid, tid, name in zip(threads["pid"], threads["tid"], threads["name"], strict=True)
    }
    rows = []
    for key, per in spans.groupby(["pid", "tid"], sort=True):
        pid, tid = (int(str(k)) for k in key)
        per = per[per["depth"] < SPAN_DEPTH_LIMIT]
        rows.append(
            {
                "kind": "spans",
                "label": f"fn · {thread_names.get((pid, tid), f'tid {tid}')} ({pid})",
                "sub": f"functions, viztracer run · pid {pid} · tid {tid}",
                "starts": per["start_us"].round(1).tolist(),
                "ends": per["end_us"].round(1).tolist(),
                "depth": per["depth"].tolist(),
                "names": [table.setdefault(n, len(table)) for n in per["name"].astype(str)],
            }
        )
    return rows


IPC_NAMES = {
    "call_dump": "pickle call",
    "call_load": "unpickle call",
    "result_dump": "pickle result",
    "result_load": "unpickle result",
    "other_dump": "pickle",
    "other_load": "unpickle",
}


def _ipc_rows(
    ipc: pd.DataFrame, tasks: pd.DataFrame, table: dict[str, int]
) -> list[dict[str, Any]]:
    """Per process of a pool: its tasks (depth 0) and what it pickled and unpickled for the
    other processes (depth 1), on the run's clock (analyse.ipc)."""
    rows = []
    observed = tasks[tasks["rep"] == 0] if "rep" in tasks else tasks
    workers = set(observed["pid"].astype(int))  # the pids that ran tasks; the rest is the parent
    for key, per in ipc.groupby("pid", sort=True):
        pid = int(str(key))
        ran = observed[observed["pid"] == pid]
        starts = [*(ran["start_s"] * 1e6), *(per["start_s"] * 1e6)]
        ends = [*(ran["end_s"] * 1e6), *(per["end_s"] * 1e6)]
        names = [f"task {int(i)}" for i in ran["index"]] + [
            f"{IPC_NAMES.get(str(w), str(w))} ({size(float(b))})"
            for w, b in zip(per["what"], per["bytes"], strict=True)
        ]
        role = "worker" if pid in workers else "parent"
        rows.append(
            {
                "kind": "spans",
                "label": f"pickling · {role} ({pid})",
                "sub": f"tasks (top) and pickling (below), observed run · pid {pid}",
                "starts": [round(v, 1) for v in starts],
                "ends": [round(v, 1) for v in ends],
                "depth": [0] * len(ran) + [1] * len(per),
                "names": [table.setdefault(n, len(table)) for n in names],
            }
        )
    return rows


def _dask_rows(tasks: pd.DataFrame, table: dict[str, int]) -> list[dict[str, Any]]:
    """Per worker thread of a Dask cluster: its tasks' compute spans (depth 0) and what it
    spent fetching or unpacking each (depth 1, just before), from Dask's task stream."""
    rows = []
    for key, per in tasks.groupby(["worker", "pid", "thread_name"], sort=True):
        worker, pid, thread = (str(k) for k in key)
        starts = (per["start_s"] * 1e6).round(1).tolist()
        ends = ((per["start_s"] + per["compute_s"]) * 1e6).round(1).tolist()
        names = [f"task {int(i)} ({s})" for i, s in zip(per["index"], per["status"], strict=True)]
        extra = per["transfer_s"] + per["deserialize_s"]
        fetched = per[extra > 0]
        before = extra[extra > 0]
        rows.append(
            {
                "kind": "spans",
                "label": f"dask · {worker.split('://')[-1]} ({pid})",
                "sub": f"tasks (top) and their transfer and deserialising (below), Dask's task "
                f"stream · {thread}",
                "starts": starts + ((fetched["start_s"] - before) * 1e6).round(1).tolist(),
                "ends": ends + (fetched["start_s"] * 1e6).round(1).tolist(),
                "depth": [0] * len(per) + [1] * len(fetched),
                "names": [table.setdefault(n, len(table)) for n in names]
                + [table.setdefault("transfer, deserialise", len(table))] * len(fetched),
            }
        )
    return rows


def _loop_rows(
    stalls: pd.DataFrame, lag: pd.DataFrame, table: dict[str, int]
) -> list[dict[str, Any]]:
    """Per event loop: its stalls as spans (what blocked it, in which task) and its worst
    lag per moment as a shaded row (darker: later; analyse.loop)."""
    rows = []
    for key, per in lag.groupby(["pid", "tid"], sort=True):
        pid, tid = (int(str(k)) for k in key)
        mine = stalls[(stalls["pid"] == pid) & (stalls["tid"] == tid)]
        names = [
            f"stall {d / 1e3:.1f} ms: {f}" + (f" ({t})" if t else "")
            for d, f, t in zip(mine["duration_us"], mine["function"], mine["task"], strict=True)
        ]
        rows.append(
            {
                "kind": "spans",
                "label": f"event loop · stalls ({pid})",
                "sub": f"callbacks that blocked the loop, observed run · pid {pid} · tid {tid}",
                "starts": mine["start_us"].round(1).tolist(),
                "ends": (mine["start_us"] + mine["duration_us"]).round(1).tolist(),
                "depth": [0] * len(mine),
                "names": [table.setdefault(n, len(table)) for n in names],
            }
        )
        t_us = (per["t_s"] * 1e6).to_numpy()
        width = float(t_us[1] - t_us[0]) if len(t_us) > 1 else 1_000.0
        worst = float(per["lag_max_ms"].max()) if per["lag_max_ms"].notna().any() else 0.0
        rows.append(
            {
                "kind": "core",
                "label": f"event loop · lag ({pid})",
                "sub": f"worst wait from ready to run, darker is later (max {worst:.1f} ms)",
                "starts": t_us.round(1).tolist(),
                "ends": (t_us + width).round(1).tolist(),
                "values": (per["lag_max_ms"].fillna(0.0) / max(worst, 1e-9)).round(3).tolist(),
            }
        )
    return rows


def timeline_document(title: str, models: list[str], a: RunAnalysis) -> dict[str, Any]:
    """The viewer's data: groups (one per model) of rows, and the function-name table."""
    function_names: dict[str, int] = {}
    groups = []
    intervals = table(a.gil_intervals, "gil_intervals")
    timeline = table(a.cores_timeline, "cores_timeline")
    threads = table(a.threads, "threads")
    spans = table(a.function_spans, "function_spans")
    traced = table(a.traced_threads, "traced_threads")
    for model in models:
        rows: list[dict[str, Any]] = []
        per_model = intervals[intervals["model"] == model]
        if not per_model.empty:
            rows += _gil_rows(per_model, threads[threads["model"] == model])
        per_cores = timeline[timeline["model"] == model]
        if not per_cores.empty:
            rows += _core_rows(per_cores)
        per_spans = spans[spans["model"] == model]
        if not per_spans.empty:
            rows += _span_rows(per_spans, traced[traced["model"] == model], function_names)
        if a.ipc_spans is not None and a.tasks is not None:
            pickling = a.ipc_spans[a.ipc_spans["model"] == model]
            if not pickling.empty:
                own = a.tasks[a.tasks["model"] == model]
                rows += _ipc_rows(pickling, own, function_names)
        if a.dask_tasks is not None:
            ran = a.dask_tasks[a.dask_tasks["model"] == model]
            if not ran.empty:
                rows += _dask_rows(ran, function_names)
        if a.loop_stalls is not None and a.loop_lag is not None:
            lag = a.loop_lag[a.loop_lag["model"] == model]
            if not lag.empty:
                stalled = a.loop_stalls[a.loop_stalls["model"] == model]
                rows += _loop_rows(stalled, lag, function_names)
        if rows:
            end = max((r["ends"][-1] for r in rows if r["ends"]), default=0.0)
            groups.append({"model": model, "end_us": end, "rows": rows})
    return {
        "title": title,
        "states": list(TRACE_STATES),
        "colours": [STATE_COLOURS[s] for s in TRACE_STATES],
        "groups": groups,
        "functions": list(function_names),
    }


def embed_json(doc: dict[str, Any]) -> str:
    """JSON safe inside <script>: no `<` (so no `</script>`), no U+2028/2029."""
    text = json.dumps(doc, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def render_timeline(run_dir: Path, title: str, models: list[str], a: RunAnalysis) -> Path:
    doc = timeline_document(title, models, a)
    html = ENV.get_template("timeline.html").render(
        title=doc["title"], data=Markup(embed_json(doc))
    )
    return write_atomic(RunDir(run_dir).timeline, html)
