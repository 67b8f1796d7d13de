"""WORKERS trivial tasks: the run is dominated by starting the workers.

Isolates: the cost of starting a worker: a thread, a process (fork, spawn or
forkserver: START_METHOD=...), an asyncio task. Each task returns at once, so
the time until a worker's first task starts is its start-up latency
(tables/tasks.csv; `make claims` summarises it per start method).
Probes claim 6: starting a process costs far more than starting a thread.
Predicts: threads and asyncio tasks start in microseconds to a millisecond;
processes in milliseconds (fork) to tens of milliseconds (spawn, forkserver).
"""

from __future__ import annotations

TASKS = 8
WORKERS = 8
CLAIMS = [6]


def task(i: int) -> int:
    return i
