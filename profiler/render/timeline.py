"""timeline.html: a self-contained interactive timeline (canvas viewer, works offline).

Rows per model: each thread's GIL states (perf), each core's busy fraction,
and function spans from the separate viztracer run. Data is embedded as
JSON (with `<` escaped, so no name can close the script element); the
viewer sets every name with textContent, never as markup.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd

from profiler.analyse.gil import STATES
from profiler.render.figures import STATE_COLOURS
from profiler.rundir import write_atomic

MAX_SPANS_PER_MODEL = 100_000
SPAN_DEPTH_LIMIT = 12

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("profiler.render", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def span_depths(spans: pd.DataFrame) -> np.ndarray:
    """Nesting depth of each span within its thread (spans sorted by start)."""
    depth = np.zeros(len(spans), dtype=np.int32)
    ends: dict[tuple[int, int], list[float]] = {}
    keys = zip(spans["pid"].to_numpy(), spans["tid"].to_numpy(), strict=True)
    for i, (key, start, end) in enumerate(
        zip(keys, spans["start_us"].to_numpy(), spans["end_us"].to_numpy(), strict=True)
    ):
        stack = ends.setdefault(key, [])
        while stack and stack[-1] <= start:
            stack.pop()
        depth[i] = len(stack)
        stack.append(end)
    return depth


def top_spans(spans: pd.DataFrame, limit: int = MAX_SPANS_PER_MODEL) -> pd.DataFrame:
    """The `limit` longest spans (their callers are at least as long, so trees stay whole)."""
    if len(spans) > limit:
        keep = np.argpartition(-spans["dur_us"].to_numpy(), limit - 1)[:limit]
        spans = spans.iloc[np.sort(keep)]
    spans = spans.assign(end_us=spans["start_us"] + spans["dur_us"])
    spans = spans.sort_values(
        ["pid", "tid", "start_us", "end_us"], ascending=[True, True, True, False]
    )
    return spans.assign(depth=span_depths(spans))


def _gil_rows(intervals: pd.DataFrame, threads: pd.DataFrame) -> list[dict[str, Any]]:
    codes = {s: i for i, s in enumerate(STATES)}
    names = threads.drop_duplicates(["pid", "tid"]).set_index(["pid", "tid"])
    rows = []
    for (pid, tid), per in intervals.groupby(["pid", "tid"], sort=True):
        who = names.loc[(pid, tid)] if (pid, tid) in names.index else None
        label = str(who["thread_name"]) if who is not None else f"tid {tid}"
        role = str(who["process_role"]) if who is not None else "other"
        rows.append(
            {
                "kind": "gil",
                "label": label,
                "sub": f"{role} pid {pid} · tid {tid}",
                "starts": per["start_us"].round(1).tolist(),
                "ends": per["end_us"].round(1).tolist(),
                "codes": per["state"].map(codes).tolist(),
            }
        )
    return rows


def _core_rows(timeline: pd.DataFrame) -> list[dict[str, Any]]:
    source = "perf" if (timeline["source"] == "perf").any() else "procfs"
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
    thread_names = {
        (int(r.pid), int(r.tid)): str(r.name) for r in names[names["kind"] == "thread"].itertuples()
    }
    rows = []
    for (pid, tid), per in spans.groupby(["pid", "tid"], sort=True):
        per = per[per["depth"] < SPAN_DEPTH_LIMIT]
        rows.append(
            {
                "kind": "spans",
                "label": thread_names.get((int(pid), int(tid)), f"tid {tid}"),
                "sub": f"functions, viztracer run · pid {pid} · tid {tid}",
                "starts": per["start_us"].round(1).tolist(),
                "ends": per["end_us"].round(1).tolist(),
                "depth": per["depth"].tolist(),
                "names": [table.setdefault(n, len(table)) for n in per["name"].astype(str)],
            }
        )
    return rows


def timeline_document(
    title: str,
    models: list[str],
    tables: dict[str, pd.DataFrame],
    spans: dict[str, tuple[pd.DataFrame, pd.DataFrame]],
) -> dict[str, Any]:
    """The viewer's data: groups (one per model) of rows, and the function-name table."""
    function_names: dict[str, int] = {}
    groups = []
    intervals = tables.get("gil_intervals", pd.DataFrame(columns=["model"]))
    timeline = tables.get("cores_timeline", pd.DataFrame(columns=["model"]))
    threads = tables.get("threads", pd.DataFrame(columns=["model", "pid", "tid"]))
    for model in models:
        rows: list[dict[str, Any]] = []
        per_model = intervals[intervals["model"] == model]
        if not per_model.empty:
            rows += _gil_rows(per_model, threads[threads["model"] == model])
        per_cores = timeline[timeline["model"] == model]
        if not per_cores.empty:
            rows += _core_rows(per_cores)
        if model in spans:
            span_frame, name_frame = spans[model]
            rows += _span_rows(span_frame, name_frame, function_names)
        if rows:
            end = max((r["ends"][-1] for r in rows if r["ends"]), default=0.0)
            groups.append({"model": model, "end_us": end, "rows": rows})
    return {
        "title": title,
        "states": list(STATES),
        "colours": [STATE_COLOURS[s] for s in STATES],
        "groups": groups,
        "functions": list(function_names),
    }


def embed_json(doc: dict[str, Any]) -> str:
    """JSON safe inside <script>: no `<` (so no `</script>`), no U+2028/2029."""
    text = json.dumps(doc, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def render_timeline(run_dir: Path, doc: dict[str, Any]) -> Path:
    html = _ENV.get_template("timeline.html").render(
        title=doc["title"], data=jinja2.utils.markupsafe.Markup(embed_json(doc))
    )
    return write_atomic(run_dir / "timeline.html", html)
