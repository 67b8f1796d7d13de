"""Threads updating one shared dict: every task increments counters in the same object.

Isolates: contention on one object. On a GIL build the GIL serialises the
updates anyway; on a free-threaded build each update takes the dict's own lock
(a per-object PyMutex), so threads updating one dict wait for each other there
instead, and the work between updates is all that runs in parallel.
Predicts: threads about 1x on a GIL build; on a free-threaded build far less than
the `independent` scenario's threads speedup, and possibly far below 1x: the
dict's lock and the reference counts of the shared keys and values bounce between
cores (measured on 3.13.5t, 2 cores: 0.02x, docs/benchmarks.md); processes each
update a copy of their own, so they scale on both builds (counts are per process).
"""

from __future__ import annotations

TASKS = 16
MODELS = ["sequential", "threads", "processes"]
UPDATES = 50_000
KEYS = 64
SHARED: dict[int, int] = {}


def task(i: int) -> int:
    counts = SHARED
    for k in range(UPDATES):
        key = (k + i) % KEYS
        counts[key] = counts.get(key, 0) + 1
    return i
