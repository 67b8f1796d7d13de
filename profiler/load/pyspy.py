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
from pathlib import Path

import pandas as pd

from profiler.errors import require_whole_lines

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


def load_pyspy(path: Path) -> pd.DataFrame:
    """One row per (pid, tid, stack) with its GIL-holding sample count."""
    require_whole_lines(path)
    rows = [row for line in path.read_text().splitlines() if (row := parse_line(line))]
    return pd.DataFrame(rows, columns=COLUMNS)
