"""Blocking HTTP requests over loopback to a server that adds 50 ms per request.

Isolates: waiting on the network. The server runs in its own process
(started by setup), so the measured process only sends, waits and reads.
Probes claims 3 and 4: threads speed up I/O-bound work, because a thread
waiting on a socket releases the GIL; asyncio does the same in one thread.
Predicts: threads and asyncio speedup close to min(WORKERS, TASKS); every
worker thread holds the GIL a small fraction of the time.
Set CONCPROF_IO_LATENCY_MS to change the latency.
"""

from __future__ import annotations

import os
import subprocess

from profiler.workload import loopback

TASKS = 64
WORKERS = 16
CLAIMS = [3, 4]
LATENCY_MS = float(os.environ.get("CONCPROF_IO_LATENCY_MS", "50"))

_server: subprocess.Popen[str] | None = None


def setup() -> None:
    global _server
    _server, port = loopback.start_server(LATENCY_MS)
    os.environ[loopback.PORT_ENV] = str(port)


def teardown() -> None:
    loopback.stop_server(_server)


def task(i: int) -> bytes:
    return loopback.get(loopback.port_from_env(), f"/item/{i}")


async def atask(i: int) -> bytes:
    return await loopback.aget(loopback.port_from_env(), f"/item/{i}")
