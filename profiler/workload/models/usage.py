"""CPU time and peak memory read from /proc (Linux), once per process or run, never per task."""

from __future__ import annotations

import os
import resource
from collections.abc import Iterable


def peak_rss_kb() -> int:
    """This process's peak RSS (VmHWM, kB).

    Not ru_maxrss: Linux carries ru_maxrss across fork and exec, so a runner
    started by the toolkit would report the toolkit's peak. VmHWM belongs to
    the address space and starts afresh at exec.
    """
    try:
        with open("/proc/self/status", "rb") as fh:
            data = fh.read()
        start = data.index(b"VmHWM:") + 6
        return int(data[start : data.index(b"kB", start)])
    except (OSError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def process_usage(pid: int) -> tuple[float, float, int] | None:
    """(user s, sys s, peak RSS kB) of another live process, from /proc (Linux)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        with open(f"/proc/{pid}/status", "rb") as fh:
            status = fh.read()
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    start = status.find(b"VmHWM:")
    rss_kb = int(status[start + 6 : status.index(b"kB", start)]) if start >= 0 else 0
    return int(fields[11]) / ticks, int(fields[12]) / ticks, rss_kb


def machine_busy_s() -> float:
    """CPU time every core of the machine has spent busy since boot (/proc/stat, Linux).

    Busy is user + nice + system + irq + softirq + steal (guest time is inside
    user); read once before and once after a model run, never per task.
    """
    try:
        with open("/proc/stat", "rb") as fh:
            fields = fh.readline().split()
    except OSError:
        return float("nan")
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def cpu_s_of(pids: Iterable[int]) -> float:
    """User + system CPU seconds of these live processes so far (0 for those gone)."""
    return sum(u + s for u, s, _ in filter(None, (process_usage(p) for p in pids)))
