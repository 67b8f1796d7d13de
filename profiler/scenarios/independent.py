"""Independent pure-Python work per thread: each task builds and sums its own list.

Isolates: interpreting bytecode with no object shared between tasks: each task
allocates its own list of integers and reduces it, so nothing but the
interpreter itself is contended.
Predicts: on a GIL build, threads about 1x (one thread interprets at a time);
on a free-threaded build (PYTHON=3.13t), threads close to min(WORKERS, cores),
and sequential somewhat slower than on the GIL build (the free-threaded
interpreter's single-thread cost); processes close to min(WORKERS, cores) on both.
"""

from __future__ import annotations

TASKS = 16
MODELS = ["sequential", "threads", "processes"]
ITEMS = 200_000


def task(i: int) -> int:
    values = [(k * 7 + i) % 1013 for k in range(ITEMS)]
    return sum(v for v in values if v % 3)
