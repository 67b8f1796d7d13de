"""trace.json: one Chrome/Perfetto trace of the run (opens offline in vizviewer or Perfetto).

Per model, on one time line (models one after another, 0.5 s apart): the
GIL state of every thread as slices (category `gil`, from perf), the
functions of the separate viztracer run (category `function`), each
core's busy fraction as a counter, and an event loop's stalls (category `loop`, on its
thread) with its worst lag as a counter. Process and thread names say which run
and which recorder they come from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from profiler.analysis import RunAnalysis
from profiler.atomic import write_atomic
from profiler.layout import RunDir
from profiler.recorders import best_source
from profiler.render.common import table

GAP_US = 500_000.0
CORES_PID_BASE = 900_000_000


def _meta(pid: int, tid: int, kind: str, name: str) -> dict[str, Any]:
    return {"ph": "M", "pid": pid, "tid": tid, "name": f"{kind}_name", "args": {"name": name}}


def _slice(cat: str, name: str, pid: Any, tid: Any, ts_us: float, dur_us: float) -> dict[str, Any]:
    return {
        "ph": "X",
        "cat": cat,
        "name": name,
        "pid": int(pid),
        "tid": int(tid),
        "ts": ts_us,
        "dur": dur_us,
    }


def trace_events(models: list[str], a: RunAnalysis) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    intervals = table(a.gil_intervals, "gil_intervals")
    spans = table(a.function_spans, "function_spans")
    cores = table(a.cores_timeline, "cores_timeline")
    threads = table(a.threads, "threads")
    traced = table(a.traced_threads, "traced_threads")
    offset = 0.0
    for index, model in enumerate(models):
        end = 0.0
        named = threads[threads["model"] == model].drop_duplicates(["pid", "tid"])
        for pid, tid, name, role in zip(
            named["pid"], named["tid"], named["thread_name"], named["process_role"], strict=True
        ):
            events.append(_meta(int(pid), int(tid), "thread", str(name)))
            events.append(
                _meta(int(pid), int(pid), "process", f"{model} · {role} {pid} (perf run)")
            )
        per = intervals[intervals["model"] == model]
        for pid, tid, state, start, stop in zip(
            per["pid"], per["tid"], per["state"], per["start_us"], per["end_us"], strict=True
        ):
            events.append(
                _slice(
                    "gil", str(state), pid, tid, offset + float(start), float(stop) - float(start)
                )
            )
            end = max(end, float(stop))
        names = traced[traced["model"] == model]
        for pid, tid, kind, name in zip(
            names["pid"], names["tid"], names["kind"], names["name"], strict=True
        ):
            label = f"{model} · {name} (viztracer run)" if kind == "process" else str(name)
            events.append(_meta(int(pid), int(tid), str(kind), label))
        per = spans[spans["model"] == model]
        for pid, tid, name, start, dur in zip(
            per["pid"], per["tid"], per["name"], per["start_us"], per["dur_us"], strict=True
        ):
            events.append(
                _slice("function", str(name), pid, tid, offset + float(start), float(dur))
            )
            end = max(end, float(start) + float(dur))
        per = cores[cores["model"] == model]
        if not per.empty:
            source = best_source(per["source"])
            per = per[per["source"] == source]
            cores_pid = CORES_PID_BASE + index
            events.append(_meta(cores_pid, 0, "process", f"{model} · cores ({source})"))
            for t_s, core, frac in zip(per["t_s"], per["core"], per["busy_frac"], strict=True):
                events.append(
                    {
                        "ph": "C",
                        "pid": cores_pid,
                        "tid": 0,
                        "name": f"core {core}",
                        "ts": offset + float(t_s) * 1e6,
                        "args": {"busy": float(frac)},
                    }
                )
                end = max(end, float(t_s) * 1e6)
        end = max(end, _loop_events(events, a, model, offset))
        offset += end + GAP_US
    return events


def _loop_events(events: list[dict[str, Any]], a: RunAnalysis, model: str, offset: float) -> float:
    """An event loop's stalls as slices on its thread and its worst lag as a counter;
    returns where they end (µs)."""
    end = 0.0
    stalls = table(a.loop_stalls, "loop_stalls")
    per = stalls[stalls["model"] == model]
    for pid, tid, function, start, dur in zip(
        per["pid"], per["tid"], per["function"], per["start_us"], per["duration_us"], strict=True
    ):
        events.append(
            _slice("loop", f"stall: {function}", pid, tid, offset + float(start), float(dur))
        )
        end = max(end, float(start) + float(dur))
    lag = table(a.loop_lag, "loop_lag")
    per = lag[lag["model"] == model]
    for pid, tid, t_s, worst in zip(
        per["pid"], per["tid"], per["t_s"], per["lag_max_ms"], strict=True
    ):
        events.append(
            {
                "ph": "C",
                "pid": int(pid),
                "tid": int(tid),
                "name": "event loop lag (ms)",
                "ts": offset + float(t_s) * 1e6,
                "args": {"worst": float(worst) if worst == worst else 0.0},
            }
        )
        end = max(end, float(t_s) * 1e6)
    return end


def render_trace(run_dir: Path, models: list[str], a: RunAnalysis) -> Path:
    doc = {
        "traceEvents": trace_events(models, a),
        "displayTimeUnit": "ms",
        "otherData": {"producer": "concprof", "run": str(run_dir)},
    }
    return write_atomic(RunDir(run_dir).trace, orjson.dumps(doc))
