"""A loopback HTTP server with a fixed latency per request, and its clients.

Stdlib-only; scenario files import it. The server runs in its own process
(`python -m profiler.workload.loopback`), never in the measured one, so its
CPU and GIL are not the workload's. It is an asyncio server, so thousands of
concurrent requests each wait the same latency. It exits by itself when its
parent dies, so a killed run leaves no server behind.

Response body for GET /item/<i>: `item <i> <16 hex digits of sha256(path)>`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import http.client
import os
import subprocess
import sys
from typing import IO

PORT_ENV = "CONCPROF_LOOPBACK_PORT"


def body_for(path: str) -> bytes:
    """The deterministic body the server sends for `path`."""
    name = path.rstrip("/").rsplit("/", 1)[-1]
    return f"item {name} {hashlib.sha256(path.encode()).hexdigest()[:16]}".encode()


async def _handle(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, latency_s: float
) -> None:
    try:
        request_line = await reader.readline()
        while (await reader.readline()) not in (b"\r\n", b"\n", b""):
            pass  # headers are not needed
        parts = request_line.decode("latin-1").split()
        path = parts[1] if len(parts) >= 2 else "/"
        await asyncio.sleep(latency_s)
        body = body_for(path)
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def _serve(latency_ms: float, out: IO[str]) -> None:
    parent = os.getppid()
    server = await asyncio.start_server(
        lambda r, w: _handle(r, w, latency_ms / 1000.0), "127.0.0.1", 0, backlog=8192
    )
    port = server.sockets[0].getsockname()[1]
    out.write(f"{port}\n")
    out.flush()
    async with server:
        while os.getppid() == parent:  # orphaned: the run that owned us is gone
            await asyncio.sleep(0.2)


def start_server(latency_ms: float = 50.0) -> tuple[subprocess.Popen[str], int]:
    """Start the server in its own process; return it and its port."""
    proc = subprocess.Popen(
        [sys.executable, "-m", __name__, "--latency-ms", str(latency_ms)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.strip().isdigit():
        stop_server(proc)
        raise RuntimeError(f"loopback server did not start (printed {line!r})")
    return proc, int(line)


def stop_server(proc: subprocess.Popen[str] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def port_from_env() -> int:
    """The port that setup() published (workers started by spawn see it too)."""
    return int(os.environ[PORT_ENV])


def get(port: int, path: str, timeout_s: float = 30.0) -> bytes:
    """Blocking GET over a new connection (http.client)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: HTTP {response.status}")
        return response.read()
    finally:
        conn.close()


async def aget(port: int, path: str) -> bytes:
    """asyncio GET over a new connection (asyncio streams)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        status = await reader.readline()
        if b" 200 " not in status:
            raise RuntimeError(f"GET {path}: {status!r}")
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        return await reader.readexactly(length)
    finally:
        writer.close()
        await writer.wait_closed()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=50.0)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.latency_ms, sys.stdout))


if __name__ == "__main__":
    main()
