"""What the renderers share: the one template environment, state colours, empty tables."""

from __future__ import annotations

import jinja2
import pandas as pd

ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("profiler.render", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)

STATE_COLOURS = {
    "hold": "#d62728",
    "hold_preempted": "#ff9896",
    "wait": "#ffbb78",
    "nogil_running": "#2ca02c",
    "blocked": "#c7c7c7",
    "probe": "#9467bd",  # perf's own time: in the timelines, not in the shares
    # a free-threaded build (no GIL): recorders.perf.lock_states
    "running": "#1f77b4",
    "runnable": "#aec7e8",
    "parking": "#c49c94",
    "lock_wait": "#8c564b",
}

COLUMNS = {  # what a renderer needs of a table the run may not have produced
    "gil_intervals": ["model", "pid", "tid", "state", "start_us", "end_us"],
    "function_spans": ["model", "pid", "tid", "name", "start_us", "dur_us"],
    "cores_timeline": ["model", "t_s", "core", "busy_frac", "source"],
    "threads": ["model", "pid", "tid", "thread_name", "process_role"],
    "traced_threads": ["model", "pid", "tid", "kind", "name"],
    "loop_stalls": ["model", "pid", "tid", "function", "start_us", "duration_us"],
    "loop_lag": ["model", "pid", "tid", "t_s", "lag_max_ms"],
}


def table(frame: pd.DataFrame | None, name: str) -> pd.DataFrame:
    """The table `name` (RunAnalysis's attribute), or an empty one with its columns when the
    run did not produce it."""
    return frame if frame is not None else pd.DataFrame(columns=COLUMNS[name])
