"""Threads updating one shared dict: every task increments counters in the same object.

Isolates: contention on one object. On a GIL build the GIL serialises the
updates anyway; on a free-threaded build each update takes the dict's own lock
(a per-object PyMutex), so threads updating one dict wait for each other there
instead, and the work between updates is all that runs in parallel.
Predicts: threads about 1x on a GIL build; on a free-threaded build clearly less
than the `independent` scenario's threads speedup (waiting on the dict's lock
shows as lock waits in perf's rows); processes each update a copy of their own,
so they scale on both builds (and the counts are per process).
"""

from __future__ import annotations

TASKS = 16
MODELS = ["sequential", "threads", "processes"]
UPDATES = 200_000
KEYS = 64
SHARED: dict[int, int] = {}


def task(i: int) -> int:
    counts = SHARED
    for k in range(UPDATES):
        key = (k + i) % KEYS
        counts[key] = counts.get(key, 0) + 1
    return i
