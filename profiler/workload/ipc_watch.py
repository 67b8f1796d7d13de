"""What processes pay to talk to each other: every object multiprocessing pickles for another
process (`ForkingPickler.dumps`) and every one it unpickles from another
(`ForkingPickler.loads`), timed on CLOCK_MONOTONIC and sized as sent. Standard library only.

Installed in the observed run of the processes model (in the parent before its pool
starts, in each worker by the pool's initializer; never in a timing run) and, through the
start-up hook, in every process of a recorded program. Cost: two clock reads, a type
name and a list append per pickle (O(1) per task; docs/benchmarks.md).

A pool's work and result items (`concurrent.futures.process._CallItem`, `_ResultItem`)
are recognised by their type and carry their `work_id` (the task's submission index);
anything else is `other`. Each process keeps its events in memory; a worker writes them to
`<dir>/ipc-<pid>.json` as it exits (multiprocessing's finalizers run then, after its last
result was sent), the parent hands its own over with `take()`.
"""

from __future__ import annotations

import io
import json
import os
import time
from multiprocessing import reduction, util
from typing import Any

# (what, work_id or -1, start_ns, end_ns, bytes); what: call_dump, call_load, result_dump,
# result_load, other_dump, other_load
Event = tuple[str, int, int, int, int]
FILE_PREFIX = "ipc-"

_events: list[Event] = []
_original: tuple[Any, Any] | None = None


_DUMPED = {"_CallItem": "call_dump", "_ResultItem": "result_dump"}
_LOADED = {"_CallItem": "call_load", "_ResultItem": "result_load"}


def install() -> None:
    """Time and size every pickle multiprocessing makes in this process (idempotent)."""
    global _original
    if _original is not None:
        return
    pickler = reduction.ForkingPickler
    dumps, loads = pickler.__dict__["dumps"].__func__, pickler.loads
    _original = (pickler.__dict__["dumps"], pickler.__dict__["loads"])
    clock, append, dumped, loaded = time.monotonic_ns, _events.append, _DUMPED.get, _LOADED.get

    def timed_dumps(cls: Any, obj: Any, protocol: int | None = None) -> Any:
        start_ns = clock()
        buf = dumps(cls, obj, protocol)
        end_ns = clock()
        what = dumped(type(obj).__name__)
        if what is None:
            append(("other_dump", -1, start_ns, end_ns, len(buf)))
        else:
            append((what, obj.work_id, start_ns, end_ns, len(buf)))
        return buf

    def timed_loads(data: Any, **kwargs: Any) -> Any:
        start_ns = clock()
        obj = loads(data, **kwargs)
        end_ns = clock()
        what = loaded(type(obj).__name__)
        if what is None:
            append(("other_load", -1, start_ns, end_ns, len(data)))
        else:
            append((what, obj.work_id, start_ns, end_ns, len(data)))
        return obj

    pickler.dumps = classmethod(timed_dumps)  # type: ignore[method-assign,assignment]
    pickler.loads = staticmethod(timed_loads)


def uninstall() -> None:
    """Put multiprocessing's pickling back as it was (the events stay until taken)."""
    global _original
    if _original is None:
        return
    pickler = reduction.ForkingPickler
    pickler.dumps, pickler.loads = _original  # type: ignore[method-assign]
    _original = None


def take() -> list[Event]:
    """This process's events so far, handed over (the list starts again empty)."""
    taken = _events[:]
    del _events[:]
    return taken


def write_at_exit(directory: str) -> None:
    """In a pool worker: write its events to `directory` as it exits (once per worker)."""
    del _events[:]  # a forked worker starts with a copy of its parent's
    util.Finalize(None, _write, args=(directory,), exitpriority=100)


def _write(directory: str) -> None:
    path = os.path.join(directory, f"{FILE_PREFIX}{os.getpid()}.json")
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(take(), fh)
    os.replace(tmp, path)


def read_written(directory: str, pids: set[int]) -> dict[int, list[Event]]:
    """The events the workers `pids` wrote (a worker killed before its exit wrote none)."""
    found: dict[int, list[Event]] = {}
    for pid in pids:
        path = os.path.join(directory, f"{FILE_PREFIX}{pid}.json")
        try:
            with open(path, encoding="utf-8") as fh:
                found[pid] = [tuple(e) for e in json.load(fh)]
        except (OSError, ValueError):
            continue
    return found


os.register_at_fork(after_in_child=lambda: _events.clear())


def frame_bytes(call_fn: Any = None, result: object = None) -> dict[str, int]:
    """What a pool's work and result items add around what a plain program would send: an
    item holding nothing of the task's own (a work id; the harness's wrapper `call_fn` and
    its per-task `result` tuple, when the tasks are wrapped; no arguments) less a pickled
    None. Taken from the bytes as sent, the rest is the task's function and argument, or
    its result, as they were pickled (to within the few bytes larger numbers take)."""
    from concurrent.futures import process

    def pickled(obj: object) -> int:
        buf = io.BytesIO()
        reduction.ForkingPickler(buf).dump(obj)  # not through dumps: not an event
        return len(buf.getvalue())

    empty = pickled(None)
    call = process._CallItem(0, call_fn, (None,) if call_fn is not None else (), {})
    result_item = process._ResultItem(0, result=result)
    return {"call": pickled(call) - empty, "result": pickled(result_item) - empty}
