"""viztracer JSON into a function-span frame and a thread-name frame.

Input grammar: {"traceEvents": [event, ...], "viztracer_metadata": {...}, ...}
where the events used are complete spans
    {"ph": "X", "pid": int, "tid": int, "ts": float_us, "dur": float_us, "name": str, "cat": str}
and metadata
    {"ph": "M", "pid": int, "tid": int, "name": "thread_name"|"process_name",
     "args": {"name": str}}.
Spans are the events that carry a `dur` (in the trace event format only
complete events do); metadata are the events without one named thread_name
or process_name. `ph` itself is not decoded: it would cost a string object
per event. `ts` is CLOCK_MONOTONIC microseconds. Forked children report their
parent's main tid for their own main thread; `repair_fork_tids` maps it to
the child's pid (its main thread's OS tid).

Speed and memory (docs/benchmarks.md): the file is read once into a
bytearray. The traceEvents array is cut between events ("},{") into
segments of about SEGMENT_BYTES; a segment is decoded in place (its two
boundary bytes are briefly made "[" and "]") and at once turned into
columns, so only one segment of Python objects lives at a time. Decoding
holds the GIL, so the segments are shared among up to PARTS processes
(forked: the buffer is shared copy-on-write; profiler.recorders.viztracer.forked), one
part per PART_MIN_BYTES of trace at least. A cut can only fall between two
events, never inside a string: if a segment does not decode, the whole
array is decoded at once instead, in this process.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from itertools import pairwise
from operator import attrgetter
from pathlib import Path

import msgspec
import numpy as np
import pandas as pd

from profiler.errors import reading
from profiler.recorders.viztracer.files import VizFiles
from profiler.recorders.viztracer.forked import run_parallel
from profiler.rundir import read_doc


@dataclass(frozen=True)
class VizRecording:
    spans: pd.DataFrame  # pid, tid, name, start_us, dur_us from that run's own start
    names: pd.DataFrame  # pid, tid, kind, name
    window_us: float  # that run's model run length


SPAN_COLUMNS = ["pid", "tid", "name", "start_us", "dur_us"]
NAME_COLUMNS = ["pid", "tid", "kind", "name"]
SEGMENT_BYTES = 4 << 20
PART_MIN_BYTES = 16 << 20  # a smaller part costs more to fork than it saves
PARTS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
METADATA_NAMES = ("thread_name", "process_name")
_BETWEEN_EVENTS = re.compile(rb"\}\s*(,)\s*\{")  # group 1: the comma, a segment's boundary
_ARRAY_END = re.compile(rb"(\])\s*,\s*\"viztracer_metadata\"")  # viztracer's layout


class _Event(msgspec.Struct, gc=False):
    pid: int = 0
    tid: int = 0
    ts: float = math.nan
    dur: float = math.nan  # only complete events ("X") have one
    name: str = ""
    args: msgspec.Raw = msgspec.Raw(b"null")


class _Document(msgspec.Struct):
    traceEvents: msgspec.Raw


@dataclass
class _Columns:
    """Events of one part as columns; `code` indexes `names`, `meta` is (pid, tid, kind, name)."""

    pid: np.ndarray
    tid: np.ndarray
    ts_us: np.ndarray
    dur_us: np.ndarray
    code: np.ndarray
    names: list[str]
    meta: list[tuple[int, int, str, str]]


_DOCUMENT = msgspec.json.Decoder(_Document)
_EVENTS = msgspec.json.Decoder(list[_Event])
_NUMERIC = (
    (attrgetter("pid"), np.int64),
    (attrgetter("tid"), np.int64),
    (attrgetter("ts"), np.float64),
    (attrgetter("dur"), np.float64),
)


def _columns(events: Sequence[_Event]) -> _Columns:
    n = len(events)
    pid, tid, ts_us, dur_us = (np.fromiter(map(get, events), dtype, n) for get, dtype in _NUMERIC)
    codes: dict[str, int] = {}
    code = np.fromiter((codes.setdefault(e.name, len(codes)) for e in events), np.int32, n)
    meta = []
    for i in np.flatnonzero(np.isnan(dur_us)).tolist():
        e = events[i]
        args = msgspec.json.decode(e.args) if e.name in METADATA_NAMES else None
        if isinstance(args, dict):
            meta.append((e.pid, e.tid, e.name.removesuffix("_name"), str(args.get("name", ""))))
    return _Columns(pid, tid, ts_us, dur_us, code, list(codes), meta)


def _joined(parts: Sequence[_Columns]) -> _Columns:
    """One _Columns of several, in order, with one name table."""
    codes: dict[str, int] = {}
    remapped = []
    for part in parts:
        table = np.fromiter(
            (codes.setdefault(name, len(codes)) for name in part.names), np.int32, len(part.names)
        )
        remapped.append(table[part.code])

    def joined(column: str) -> np.ndarray:
        return np.concatenate([getattr(part, column) for part in parts])

    return _Columns(
        pid=joined("pid"),
        tid=joined("tid"),
        ts_us=joined("ts_us"),
        dur_us=joined("dur_us"),
        code=np.concatenate(remapped),
        names=list(codes),
        meta=[row for part in parts for row in part.meta],
    )


def _decode_segments(buf: bytearray, cuts: Sequence[int]) -> list[_Columns]:
    """The segments buf[cuts[k]:cuts[k+1]+1], each decoded in place and made columns."""
    parts = []
    with memoryview(buf) as view:
        for first, last in pairwise(cuts):
            saved = buf[first], buf[last]
            buf[first], buf[last] = ord("["), ord("]")
            try:
                events = _EVENTS.decode(view[first : last + 1])
            finally:
                buf[first], buf[last] = saved
            parts.append(_columns(events))
            del events
    return parts


def _bounds(buf: bytearray) -> tuple[int, int]:
    """Positions of the traceEvents array's "[" and "]"."""
    start = buf.index(b"[", buf.index(b'"traceEvents"'))
    if found := _ARRAY_END.search(buf, start):  # (a wrong find fails to decode: see _decode)
        return start, found.start(1)
    return start, start + len(memoryview(_DOCUMENT.decode(buf).traceEvents)) - 1


def _cuts(buf: bytearray, start: int, end: int) -> list[int]:
    """Segment boundaries: the array's brackets and commas between events SEGMENT_BYTES apart."""
    cuts = [start]
    while found := _BETWEEN_EVENTS.search(buf, cuts[-1] + SEGMENT_BYTES, end):
        cuts.append(found.start(1))
    return [*cuts, end]


def _parts(cuts: list[int]) -> list[list[int]]:
    """The segments in consecutive groups, one per process, sharing their boundary cuts."""
    segments = len(cuts) - 1
    count = max(1, min(PARTS, segments, (cuts[-1] - cuts[0]) // PART_MIN_BYTES))
    edges = [round(k * segments / count) for k in range(count + 1)]
    return [cuts[a : b + 1] for a, b in pairwise(edges)]


def _decode(buf: bytearray) -> list[_Columns]:
    """The events array as columns, one _Columns per segment, in order."""
    try:
        parts = _parts(_cuts(buf, *_bounds(buf)))
        decoded = run_parallel([partial(_decode_segments, buf, part) for part in parts])
        return [segment for part in decoded for segment in part]
    except msgspec.DecodeError:  # a cut inside a string: no cuts at all
        return [_columns(_EVENTS.decode(memoryview(_DOCUMENT.decode(buf).traceEvents)))]


def repair_fork_tids(spans: pd.DataFrame, names: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A tid that is another traced process's pid, seen inside a different pid, is the main
    thread of the pid it is seen in (viztracer's fork fault)."""
    pids = set(names["pid"]) | set(spans["pid"].unique())

    def fix(frame: pd.DataFrame) -> pd.DataFrame:
        wrong = (frame["tid"] != frame["pid"]) & frame["tid"].isin(pids)
        if not wrong.any():
            return frame
        frame = frame.copy()
        frame.loc[wrong, "tid"] = frame.loc[wrong, "pid"]
        return frame

    return fix(spans), fix(names).drop_duplicates(["pid", "tid", "kind"], keep="last")


def load_viztracer(path: Path, t0_ns: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(spans: pid, tid, name, start_us, dur_us from t0; names: pid, tid, kind, name)."""
    buf = bytearray(path.stat().st_size)
    with path.open("rb") as fh:
        fh.readinto(buf)
    with reading(path):
        segments = _decode(buf)
    del buf
    events = _joined(segments)
    del segments
    spans = ~np.isnan(events.dur_us)
    span_frame = pd.DataFrame(
        {
            "pid": events.pid[spans],
            "tid": events.tid[spans],
            "name": pd.Categorical.from_codes(
                events.code[spans], categories=pd.Index(events.names)
            ).remove_unused_categories(),
            "start_us": events.ts_us[spans] - t0_ns / 1000.0,
            "dur_us": events.dur_us[spans],
        },
        columns=SPAN_COLUMNS,
    )
    name_frame = pd.DataFrame(events.meta, columns=NAME_COLUMNS)
    return repair_fork_tids(span_frame, name_frame)


def viztracer_recording(raw: Path) -> VizRecording | None:
    files = VizFiles(raw)
    path, doc = files.json, read_doc(files.run)
    if not path.exists() or doc is None or "start_ns" not in doc:
        return None
    spans, names = load_viztracer(path, int(doc["start_ns"]))
    return VizRecording(spans, names, (int(doc["end_ns"]) - int(doc["start_ns"])) / 1e3)
