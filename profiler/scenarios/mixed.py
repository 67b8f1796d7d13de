"""Each task waits 50 ms on a loopback server, then computes about 20 ms in pure Python.

Isolates: a workload that is half I/O, half CPU. Probes claims 3 and 1 together:
threads overlap the waits but not the computing; processes overlap both.
Predicts: threads and asyncio speed up by about (50 + 20) / 20 at most, because
the pure-Python part runs one thread at a time; processes reach about the core count
times that for the CPU part, less the cost of starting workers.
"""

from __future__ import annotations

import os
import subprocess

from profiler.workload import loopback

TASKS = 32
WORKERS = 8
CLAIMS = [1, 3]
ITERATIONS = 200_000

_server: subprocess.Popen[str] | None = None


def setup() -> None:
    global _server
    _server, port = loopback.start_server(50.0)
    os.environ[loopback.PORT_ENV] = str(port)


def teardown() -> None:
    loopback.stop_server(_server)


def _compute(i: int) -> int:
    total = 0
    for k in range(ITERATIONS):
        total += (k * k + i) % 7
    return total


def task(i: int) -> tuple[bytes, int]:
    body = loopback.get(loopback.port_from_env(), f"/item/{i}")
    return body, _compute(i)


async def atask(i: int) -> tuple[bytes, int]:
    body = await loopback.aget(loopback.port_from_env(), f"/item/{i}")
    return body, _compute(i)  # runs in the event loop: it blocks the other tasks meanwhile
