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

Speed and memory (docs/benchmarks.md): the file is read once into a
bytearray; the traceEvents array is decoded in chunks of about 4 MB, in
place (the comma between two events is briefly made `][`), so only one
chunk of Python objects lives at a time; names become categorical codes.
A split can only fall between two events, never inside a string: if a
chunk does not decode, the whole array is decoded at once instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from operator import attrgetter
from pathlib import Path
from typing import cast

import msgspec
import numpy as np
import pandas as pd

SPAN_COLUMNS = ["pid", "tid", "name", "start_us", "dur_us"]


CHUNK_BYTES = 4 << 20


class _Event(msgspec.Struct, gc=False):
    ph: str
    pid: int = 0
    tid: int = 0
    ts: float = 0.0
    dur: float = 0.0
    name: str = ""
    args: msgspec.Raw = msgspec.Raw(b"null")


class _Document(msgspec.Struct):
    traceEvents: msgspec.Raw


_DOCUMENT = msgspec.json.Decoder(_Document)
_EVENTS = msgspec.json.Decoder(list[_Event])
_PID, _TID, _TS, _DUR = attrgetter("pid"), attrgetter("tid"), attrgetter("ts"), attrgetter("dur")


def _chunked(buf: bytearray) -> Iterator[list[_Event]]:
    """The traceEvents array, decoded about CHUNK_BYTES at a time, in place."""
    raw = _DOCUMENT.decode(buf).traceEvents
    start = buf.index(b"[", buf.index(b'"traceEvents"'))
    end = start + len(memoryview(raw)) - 1  # the array's closing bracket
    opened: list[int] = []
    try:
        with memoryview(buf) as view:
            while True:
                cut = buf.find(b"},{", start + CHUNK_BYTES, end)
                if cut < 0:
                    yield _EVENTS.decode(view[start : end + 1])
                    return
                buf[cut + 1] = ord("]")  # close this chunk ...
                try:
                    chunk = _EVENTS.decode(view[start : cut + 2])
                finally:
                    buf[cut + 1] = ord("[")  # ... and open the next one on the same byte
                    opened.append(cut + 1)
                yield chunk
                start = cut + 1
    finally:
        for position in opened:  # the buffer is the file again (the fallback re-reads it)
            buf[position] = ord(",")


def _events(buf: bytearray) -> Iterator[list[_Event]]:
    """Chunks; if a split fell inside a string ("},{" in a name), the whole array at once.

    Chunks already yielded are not yielded again: the fallback decodes only
    from where chunking stopped.
    """
    done = 0
    try:
        for chunk in _chunked(buf):
            done += len(chunk)
            yield chunk
    except msgspec.DecodeError:
        raw = _DOCUMENT.decode(buf).traceEvents
        yield _EVENTS.decode(memoryview(raw))[done:]


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
    """(spans: pid, tid, name, start_us, dur_us from t0; names: pid, tid, kind, name)."""
    buf = bytearray(path.stat().st_size)
    with path.open("rb") as fh:
        fh.readinto(buf)
    codes: dict[str, int] = {}
    columns: dict[str, list[np.ndarray]] = {k: [] for k in ("pid", "tid", "ts", "dur", "name")}
    meta: list[_Event] = []
    for events in _events(buf):
        spans = [e for e in events if e.ph == "X"]
        if len(spans) != len(events):
            meta += [e for e in events if e.ph == "M"]
        n = len(spans)
        columns["pid"].append(np.fromiter(map(_PID, spans), np.int64, n))
        columns["tid"].append(np.fromiter(map(_TID, spans), np.int64, n))
        columns["ts"].append(np.fromiter(map(_TS, spans), np.float64, n))
        columns["dur"].append(np.fromiter(map(_DUR, spans), np.float64, n))
        columns["name"].append(
            np.fromiter((codes.setdefault(e.name, len(codes)) for e in spans), np.int32, n)
        )
    del buf
    span_frame = pd.DataFrame(
        {
            "pid": _joined(columns["pid"], np.int64),
            "tid": _joined(columns["tid"], np.int64),
            "name": pd.Categorical.from_codes(
                cast("list[int]", _joined(columns["name"], np.int32)),  # an int32 array
                categories=pd.Index(list(codes)),
            ),
            "start_us": _joined(columns["ts"], np.float64) - t0_ns / 1000.0,
            "dur_us": _joined(columns["dur"], np.float64),
        },
        columns=SPAN_COLUMNS,
    )
    thread_meta = [e for e in meta if e.name in ("thread_name", "process_name")]
    name_frame = pd.DataFrame(
        {
            "pid": [e.pid for e in thread_meta],
            "tid": [e.tid for e in thread_meta],
            "kind": [e.name.removesuffix("_name") for e in thread_meta],
            "name": [str(msgspec.json.decode(e.args).get("name", "")) for e in thread_meta],
        },
        columns=["pid", "tid", "kind", "name"],
    )
    return repair_fork_tids(span_frame, name_frame)


def _joined(parts: list[np.ndarray], dtype: type[np.generic]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.empty(0, dtype=dtype)
