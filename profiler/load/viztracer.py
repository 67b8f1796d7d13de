"""viztracer JSON into a function-span frame and a thread-name frame.

Input grammar: {"traceEvents": [event, ...], "viztracer_metadata": {...}}
where the events used are complete spans
    {"ph": "X", "pid": int, "tid": int, "ts": float_us, "dur": float_us, "name": str, "cat": str}
and metadata
    {"ph": "M", "pid": int, "tid": int, "name": "thread_name"|"process_name",
     "args": {"name": str}}.
`ts` is CLOCK_MONOTONIC microseconds. Forked children report their
parent's main tid for their own main thread; `repair_fork_tids` maps it to
the child's pid (its main thread's OS tid).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pandas as pd

SPAN_COLUMNS = ["pid", "tid", "name", "start_us", "dur_us"]


class _Event(msgspec.Struct, gc=False):
    ph: str
    pid: int = 0
    tid: int = 0
    ts: float = 0.0
    dur: float = 0.0
    name: str = ""
    args: msgspec.Raw = msgspec.Raw(b"null")


class _Trace(msgspec.Struct, gc=False):
    traceEvents: list[_Event]


_DECODER = msgspec.json.Decoder(_Trace)


def _column(values: list[Any], dtype: type[np.generic]) -> np.ndarray:
    return np.fromiter(values, dtype, len(values))


def repair_fork_tids(spans: pd.DataFrame, names: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A tid that is another traced process's pid, seen inside a different pid, is the main
    thread of the pid it is seen in (viztracer's fork fault)."""
    pids = set(names["pid"]) | set(spans["pid"])

    def fix(frame: pd.DataFrame) -> pd.DataFrame:
        wrong = (frame["tid"] != frame["pid"]) & frame["tid"].isin(pids)
        frame = frame.copy()
        frame.loc[wrong, "tid"] = frame.loc[wrong, "pid"]
        return frame

    return fix(spans), fix(names).drop_duplicates(["pid", "tid", "kind"], keep="last")


def load_viztracer(path: Path, t0_ns: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(spans: pid, tid, name, start_us, dur_us from t0; names: pid, tid, kind, name).

    Typed decoding (msgspec) and one list pass per column: see docs/benchmarks.md.
    """
    events = _DECODER.decode(path.read_bytes()).traceEvents
    spans = [e for e in events if e.ph == "X"]
    span_frame = pd.DataFrame(
        {
            "pid": _column([e.pid for e in spans], np.int64),
            "tid": _column([e.tid for e in spans], np.int64),
            "name": pd.Series([e.name for e in spans], dtype=object),
            "start_us": _column([e.ts for e in spans], np.float64) - t0_ns / 1000.0,
            "dur_us": _column([e.dur for e in spans], np.float64),
        },
        columns=SPAN_COLUMNS,
    )
    meta = [e for e in events if e.ph == "M" and e.name in ("thread_name", "process_name")]
    name_frame = pd.DataFrame(
        {
            "pid": [e.pid for e in meta],
            "tid": [e.tid for e in meta],
            "kind": [e.name.removesuffix("_name") for e in meta],
            "name": [str(msgspec.json.decode(e.args).get("name", "")) for e in meta],
        },
        columns=["pid", "tid", "kind", "name"],
    )
    return repair_fork_tids(span_frame, name_frame)
