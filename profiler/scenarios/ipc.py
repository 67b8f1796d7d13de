"""10,000 tiny tasks, each returning a 4 KB payload: the cost is moving data, not computing.

Isolates: inter-process communication. Each task does a few microseconds of work and
returns 4 KB, so under processes every task pays for pickling, a pipe round trip and
unpickling. Probes claim 7: frequent communication makes processes lose.
Predicts: processes slower than sequential; threads about as fast as sequential.
"""

from __future__ import annotations

TASKS = 10_000
WORKERS = 2
CLAIMS = [7]
PAYLOAD = bytes(range(256)) * 16  # 4 KB


def task(i: int) -> bytes:
    return i.to_bytes(4, "little") + PAYLOAD[4:]
