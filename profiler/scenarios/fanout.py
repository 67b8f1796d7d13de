"""2,000 concurrent waits on a loopback server that answers after 500 ms.

Isolates: many simultaneous waits. WORKERS = TASKS, so every request is in flight
at once: 2,000 threads against 2,000 asyncio tasks. Probes claim 8: asyncio handles
many concurrent waits with less memory and overhead than threads.
Predicts: both finish in about the latency plus overhead; asyncio's peak RSS is a
fraction of the threads'. Models: threads and asyncio (a sequential baseline would
take 1,000 s; 2,000 worker processes would exhaust memory).
Memory per concurrent task = peak RSS / WORKERS (tables/comparison.csv).
"""

from __future__ import annotations

import os
import resource
import subprocess

from profiler.workload import loopback

TASKS = 2_000
WORKERS = 2_000
MODELS = ("threads", "asyncio")
CLAIMS = [8]
LATENCY_MS = float(os.environ.get("CONCPROF_FANOUT_LATENCY_MS", "500"))

_server: subprocess.Popen[str] | None = None


def _raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, max(soft, 4 * TASKS + 256)) if hard != resource.RLIM_INFINITY else 65536
    if wanted > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def setup() -> None:
    global _server
    _raise_fd_limit()  # one socket per wait here, and one per wait in the server
    _server, port = loopback.start_server(LATENCY_MS)
    os.environ[loopback.PORT_ENV] = str(port)


def teardown() -> None:
    loopback.stop_server(_server)


def task(i: int) -> bytes:
    return loopback.get(loopback.port_from_env(), f"/item/{i}", timeout_s=120.0)


async def atask(i: int) -> bytes:
    return await loopback.aget(loopback.port_from_env(), f"/item/{i}")
