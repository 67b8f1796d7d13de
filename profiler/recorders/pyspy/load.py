"""py-spy raw (collapsed) output into GIL-holding sample counts per thread.

Input grammar, one line per distinct stack (recorded with --gil --threads
--subprocesses), root first, frames separated by ';', then a space and count:
    process <pid>:"<cmdline>";[process <pid>:"<cmdline>";...]thread (<tid>);<frame>;... <count>
where <frame> is `<function> (<file>:<line>)`. Nested `process` frames are
the parent chain; the last one is the process the thread belongs to. <tid>
is the OS thread id (decimal, or 0x-hex in older py-spy versions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from profiler.errors import require_whole_lines
from profiler.recorders.pyspy.files import PyspyFiles
from profiler.rundir import read_doc


@dataclass(frozen=True)
class PyspyRecording:
    samples: pd.DataFrame  # pid, tid (py-spy's ids), samples, leaf, stack
    rate_hz: float
    found_ns: dict[int, int]  # pid -> CLOCK_MONOTONIC ns py-spy began sampling it ({}: unknown)


COLUMNS = ["pid", "tid", "samples", "leaf", "stack"]
_LINE = re.compile(
    r'^(?:.*;)?process (?P<pid>\d+):"(?P<cmd>.*?)";thread \((?P<tid>0x[0-9A-Fa-f]+|\d+)\)'
    r"(?:: [^;]*)?(?P<stack>(?:;.*)?) (?P<count>\d+)$"
)


def parse_line(line: str) -> tuple[int, int, int, str, str] | None:
    match = _LINE.match(line.rstrip("\n"))
    if match is None:
        return None
    stack = match["stack"].lstrip(";")
    frames = stack.split(";") if stack else []
    return (
        int(match["pid"]),
        int(match["tid"], 0),
        int(match["count"]),
        frames[-1] if frames else "",
        stack,
    )


_OPENED = re.compile(r'process \d+:"')
_CLOSED = re.compile(r'";(?:process \d+:"|thread \()')


def records(lines: list[str]) -> list[str]:
    """The file's records: a process's command line may hold newlines (`python -c` with a
    program of several lines), which split its record over several lines; those are
    joined (with a space) until every `process N:"...` has its closing `";`."""
    joined: list[str] = []
    pending = ""
    for line in lines:
        text = f"{pending} {line}" if pending else line
        if len(_OPENED.findall(text)) > len(_CLOSED.findall(text)):
            pending = text
            continue
        joined.append(text)
        pending = ""
    return [*joined, *([pending] if pending else [])]


def load_pyspy(path: Path) -> pd.DataFrame:
    """One row per (pid, tid, stack) with its GIL-holding sample count."""
    require_whole_lines(path)
    lines = records(path.read_text().splitlines())
    rows = [row for line in lines if (row := parse_line(line))]
    # typed even without a sample (a program that ended before py-spy sampled it): an
    # empty frame of objects would turn every count it is joined with into objects
    return pd.DataFrame(rows, columns=COLUMNS).astype(
        {"pid": "int64", "tid": "int64", "samples": "int64", "leaf": str, "stack": str}
    )


# py-spy's log (RUST_LOG info, recorders.pyspy.recorder): when it began sampling each process
_STAMP = r"^\[(?P<second>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(?P<fraction>\d+)Z"
_MAPS = re.compile(_STAMP + r".*Got virtual memory maps from pid (?P<pid>\d+)")
_FOUND = re.compile(_STAMP + r".*Found interpreter at")
GIVE_UP_NS = 2_000_000_000  # a process not found this long after its maps was no Python


def _realtime_ns(match: re.Match[str]) -> int:
    second = datetime.fromisoformat(match["second"]).replace(tzinfo=UTC)
    return int(second.timestamp()) * 1_000_000_000 + int(match["fraction"].ljust(9, "0")[:9])


def sampling_starts(log: str) -> dict[int, int]:
    """pid -> CLOCK_REALTIME ns at which py-spy found its interpreter and began sampling it.

    py-spy logs "Got virtual memory maps from pid N" when it starts on a
    process, then "Found interpreter at ..." (without the pid) once it can
    sample it; the two pair up in order (a process py-spy never finds, not
    being Python, drops out after GIVE_UP_NS).
    """
    pending: list[tuple[int, int]] = []  # (pid, maps time)
    found: dict[int, int] = {}
    for line in log.splitlines():
        if (maps := _MAPS.match(line)) is not None:
            pid = int(maps["pid"])
            if pid not in found and all(pid != p for p, _ in pending):
                pending.append((pid, _realtime_ns(maps)))
        elif (hit := _FOUND.match(line)) is not None:
            now = _realtime_ns(hit)
            pending = [(p, t) for p, t in pending if now - t < GIVE_UP_NS]
            if pending:
                found[pending.pop(0)[0]] = now
    return found


def pyspy_recording(raw: Path) -> PyspyRecording | None:
    files = PyspyFiles(raw)
    path, meta = files.txt, read_doc(files.meta)
    if not path.exists() or meta is None:
        return None
    log, offset = files.log, meta.get("realtime_minus_monotonic_ns")
    found = (
        {pid: t - int(offset) for pid, t in sampling_starts(log.read_text()).items()}
        if offset is not None and log.exists()
        else {}
    )
    return PyspyRecording(load_pyspy(path), float(meta["rate_hz"]), found)
