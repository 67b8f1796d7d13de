"""Live processes of a kind, found by their command line (psutil)."""

from __future__ import annotations

import psutil


def spawned() -> set[int]:
    """pids of processes multiprocessing spawned (a Dask LocalCluster's nannies and workers)."""
    found = set()
    for proc in psutil.process_iter(["cmdline"]):
        try:
            line = " ".join(proc.info["cmdline"] or [])
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if "multiprocessing" in line and "spawn" in line:
            found.add(proc.pid)
    return found
