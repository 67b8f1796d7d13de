"""Many tiny CPU-bound tasks: about a millisecond of pure Python each.

Isolates: the cost a model adds to every task. A process pool sends each task and its
result through a pipe (tens of microseconds); a Dask cluster also schedules it, sends it
to a worker and back over TCP and keeps track of it (around a millisecond, Dask's own
documentation says): here that costs as much as the task. Probes claim 15 (with chunky):
many tiny tasks lose to a process pool on Dask.
Predicts: processes above 1x on several cores; dask below processes, and its per-task
overhead (report: Dask) close to or above a task's length.
"""

from __future__ import annotations

TASKS = 400
CLAIMS = [15]
MODELS = ["sequential", "processes", "dask"]
ITERATIONS = 10_000


def task(i: int) -> int:
    total = 0
    for k in range(ITERATIONS):
        total += (k * k + i) % 7
    return total
