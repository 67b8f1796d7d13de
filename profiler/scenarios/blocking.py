"""asyncio with a blocking step: each task fetches a record over loopback (a server that
answers after 50 ms), then renders an invoice from it synchronously, in the coroutine.

Isolates: code that does not cooperate. The render is pure Python (about 20 ms here)
and is called without an await, so while it runs the event loop runs nothing else:
every other task's reply waits. Probes claim 14: a blocking call in a coroutine stalls
every task.
Predicts: asyncio's loop is blocked most of its run, in render_invoice, and other tasks
run late by about a render or more (loop_stalls.csv, loop_stats.csv); threads do no
better (the render holds the GIL); processes render on every core.
Set CONCPROF_BLOCKING_ROWS to change the render's length (rows per invoice).
"""

from __future__ import annotations

import os
import subprocess

from profiler.workload import loopback

TASKS = 64
WORKERS = 16
CLAIMS = [14]
LATENCY_MS = 50.0
ROWS = int(os.environ.get("CONCPROF_BLOCKING_ROWS", "12000"))

_server: subprocess.Popen[str] | None = None


def setup() -> None:
    global _server
    _server, port = loopback.start_server(LATENCY_MS)
    os.environ[loopback.PORT_ENV] = str(port)


def teardown() -> None:
    loopback.stop_server(_server)


def render_invoice(i: int, record: bytes) -> int:
    """Pure-Python text formatting: it holds the GIL and never yields."""
    lines = [f"{k:>6} {record[:8]!r} item-{i}-{k:<8} {k * 1.07:>10.2f}" for k in range(ROWS)]
    return len("\n".join(lines))


def task(i: int) -> int:
    return render_invoice(i, loopback.get(loopback.port_from_env(), f"/item/{i}"))


async def atask(i: int) -> int:
    record = await loopback.aget(loopback.port_from_env(), f"/item/{i}")
    return render_invoice(i, record)  # blocks the loop: no await until it returns
