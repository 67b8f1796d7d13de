"""What `concprof profile` prints in a terminal 100 columns wide (a real pseudo-terminal:
rich sees a terminal and its width), and with --json.

No line is wider than the terminal: the table fits and the answer wraps; --json prints
one JSON document on stdout and nothing else (--quiet and --verbose, on a recorded run:
tests/unit/test_summary.py).
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import struct
import sys
import termios
from pathlib import Path

import pytest

from tests.conftest import REPO, concprof

pytestmark = pytest.mark.integration

ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()][0-9A-B]|\x1b[=>]")
PROFILE = ("profile", "cpu", "--size", "quick", "--models", "sequential,threads", "--repeat", "3",
           "--recorders", "none")  # fmt: skip


def in_terminal(columns: int, *args: str) -> str:
    """Run the CLI with a pseudo-terminal `columns` wide as its stdout; what it showed."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env["TERM"] = "xterm-256color"
    pid, fd = pty.fork()
    if pid == 0:  # the child: its terminal is `columns` wide before concprof starts
        fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
        os.chdir(REPO)
        os.execve(sys.executable, [sys.executable, "-m", "profiler", *args], env)
    chunks = []
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, b"".join(chunks)[-3000:]
    return ANSI.sub("", b"".join(chunks).decode(errors="replace"))


def test_the_answer_fits_a_100_column_terminal(tmp_path: Path) -> None:
    shown = in_terminal(100, *PROFILE, "--out", str(tmp_path))
    lines = [line for line in re.split(r"\r\n|\r|\n", shown) if line.strip()]
    assert max(len(line) for line in lines) <= 100, max(lines, key=len)
    assert any(line.startswith(("fastest:", "recommended:")) for line in lines), shown
    assert any(line.startswith("  threads ") for line in lines), shown  # one line per model


def test_json_is_one_document_on_stdout(tmp_path: Path) -> None:
    code, out, err = concprof(*PROFILE, "--out", str(tmp_path), "--json")
    assert code == 0, err
    doc = json.loads(out)  # stdout holds the JSON alone (progress goes to stderr)
    assert {r["model"] for r in doc["comparison"]} == {"sequential", "threads"}
    assert doc["answer"]["model"] in ("sequential", "threads")
    assert doc["said"]["headline"].startswith(("fastest:", "recommended:"))
    assert Path(doc["report"]).is_file()
