"""A few long CPU-bound tasks: about a third of a second of pure Python each.

Isolates: the same work as `tiny`, in 400 times fewer, larger tasks. What a model adds
per task (a pipe for a process pool; scheduling and TCP for a Dask cluster) is now a
thousandth of a task. Probes claim 15 (with tiny): on few long tasks Dask keeps up with
a process pool.
Predicts: processes and dask both close to min(WORKERS, cores) and within a fifth of
each other.
"""

from __future__ import annotations

TASKS = 8
CLAIMS = [15]
MODELS = ["sequential", "processes", "dask"]
ITERATIONS = 3_000_000


def task(i: int) -> int:
    total = 0
    for k in range(ITERATIONS):
        total += (k * k + i) % 7
    return total
