"""`perf script --ns -F pid,tid,cpu,time,event,trace` output into an event frame.

Input grammar, one event per line:
    <pid>/<tid> [<cpu>] <seconds>.<ns>: <group>:<event>: <trace>
with <event> one of take_gil, take_gil_ret__return, drop_gil (uprobes; a run's
tag may follow the name: take_gil_c123, take_gil_ret_c123__return) or, on a
free-threaded build, park, park_ret__return (_PyParkingLot_Park), stw
(stop_the_world), stw_end__return (start_the_world),
sched_switch (trace: `prev_comm=.. prev_pid=N prev_prio=N prev_state=S ==>
next_comm=.. next_pid=N next_prio=N`), sched_process_fork (`comm=..
pid=N child_comm=.. child_pid=N`), sched_process_exit (`comm=.. pid=N prio=N`).
Times are CLOCK_MONOTONIC (`perf record -k mono`). The file may hold two
recordings one after the other (the GIL probes', then sched's); events are
sorted by time once loaded, and exact duplicates dropped.

Output: one row per event: t_ns, pid, tid, cpu, kind (take | acquired |
drop | park | unparked | stw_start | stw_end | switch | fork | exit), a, b,
state. For switch a=prev tid, b=next tid, state=prev_state; for fork
a=parent pid (tgid), b=child tid; exit a=tid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from profiler.errors import require_whole_lines
from profiler.recorders.perf.files import PerfFiles
from profiler.rundir import read_doc


@dataclass(frozen=True)
class PerfTrace:
    events: pd.DataFrame  # profiler.recorders.perf.load's columns
    meta: dict[str, Any]  # perf_meta.json (the GIL and sched traces' budgets and stops)
    exit_commands: dict[int, str]  # tid -> its command when it exited


COLUMNS = ["t_ns", "pid", "tid", "cpu", "kind", "a", "b", "state"]
_HEAD = re.compile(r"^\s*(\d+)/(\d+)\s+\[(\d+)\]\s+(\d+)\.(\d+):\s+(\S+):\s+(.*)$")
_SWITCH = re.compile(r"prev_pid=(\d+) .*prev_state=(\S+) ==> .*next_pid=(\d+)")
_FORK = re.compile(r"child_pid=(\d+)")
_KINDS = {
    "take_gil": "take",
    "take_gil_ret__return": "acquired",
    "drop_gil": "drop",
    "park": "park",  # a free-threaded build: _PyParkingLot_Park entered
    "park_ret__return": "unparked",
    "stw": "stw_start",  # stop_the_world entered
    "stw_end__return": "stw_end",  # start_the_world returned
    "sched:sched_switch": "switch",
    "sched:sched_process_fork": "fork",
    "sched:sched_process_exit": "exit",
}


_TAGGED = re.compile(
    r"^(take_gil_ret|take_gil|drop_gil|park_ret|park|stw_end|stw)(?:_c\d+)?(__return)?$"
)


def _kind(event: str) -> str | None:
    if event in _KINDS:
        return _KINDS[event]
    name = event.split(":", 1)[-1]
    tagged = _TAGGED.match(name)
    if tagged:
        name = tagged[1] + (tagged[2] or "")
    return _KINDS.get(name)


def parse_line(line: str) -> tuple[int, int, int, int, str, int, int, str] | None:
    head = _HEAD.match(line)
    if head is None:
        return None
    pid, tid, cpu, sec, frac, event, trace = head.groups()
    kind = _kind(event)
    if kind is None:
        return None
    t_ns = int(sec) * 1_000_000_000 + int(frac.ljust(9, "0")[:9])
    a = b = -1
    state = ""
    if kind == "switch":
        switch = _SWITCH.search(trace)
        if switch is None:
            return None
        a, state, b = int(switch[1]), switch[2], int(switch[3])
    elif kind == "fork":
        fork = _FORK.search(trace)
        if fork is None:
            return None
        a, b = int(pid), int(fork[1])
    elif kind == "exit":
        a = int(tid)
    return t_ns, int(pid), int(tid), int(cpu), kind, a, b, state


_EXIT_COMM = re.compile(r"sched:sched_process_exit:\s+comm=(.*?) pid=(\d+) ")


def exit_commands(path: Path) -> dict[int, str]:
    """tid -> the command it ran when it exited (sched_process_exit's comm), for names."""
    found: dict[int, str] = {}
    with path.open() as fh:
        for line in fh:
            if "sched_process_exit" in line and (hit := _EXIT_COMM.search(line)):
                found[int(hit[2])] = hit[1]
    return found


def load_perf(path: Path) -> pd.DataFrame:
    require_whole_lines(path)
    rows = []
    with path.open() as fh:
        for line in fh:
            row = parse_line(line)
            if row is not None:
                rows.append(row)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["t_ns"] = frame["t_ns"].astype(np.int64)
    # the same record twice (one thread, one event, the same nanosecond) is physically
    # impossible; a uretprobe occasionally reports one twice: keep one
    frame = frame.drop_duplicates(ignore_index=True)
    return frame.sort_values("t_ns", kind="stable", ignore_index=True)


def perf_trace(raw: Path) -> PerfTrace | None:
    files = PerfFiles(raw)
    path = files.txt
    if not path.exists():
        return None
    return PerfTrace(load_perf(path), read_doc(files.meta) or {}, exit_commands(path))
