"""py-spy's round counter: a process that holds its own GIL through exactly the model run.

py-spy (--gil) keeps only the samples of threads holding a GIL and does not
say how many sampling rounds it made. Its rounds are a Poisson process (random
intervals, against aliasing), so rate x window is only the expected count:
for a 1 s window at 250 Hz the real count is off by 6% (one standard
deviation), and a thread's share with it. This process blocks in read()
called through ctypes.PyDLL, which keeps the GIL, from the model run's
start to its end, so py-spy finds it holding its GIL in every round of the
window: its samples in `holding_gil_through_window` (not those of its own
start-up) are the number of rounds, the exact denominator.

It runs only in observed runs with py-spy (`runner run --gil-reference`),
never in timing runs. It uses no CPU while it waits; the tables leave it out.

    reference = GilReference()      # before setup: py-spy finds children by polling
    reference.begin()               # at the window's start (waits out LEAD_S)
    ... the model run ...
    reference.end()                 # at its end
    reference.close()               # always (finally)
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import time
from typing import Any

LEAD_S = 0.3  # py-spy looks for new child processes every 100 ms, then attaches


class GilReference:
    """The parent's handle: a pipe whose bytes start and end the GIL hold."""

    def __init__(self) -> None:
        read_fd, self._write_fd = os.pipe()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", __name__, str(read_fd)],
                pass_fds=(read_fd,),
                stdin=subprocess.DEVNULL,
            )
        finally:
            os.close(read_fd)
        self.started_s = time.monotonic()
        self.pid = self.process.pid

    def _send(self, byte: bytes) -> bool:
        try:
            return os.write(self._write_fd, byte) == 1
        except OSError:  # it died (e.g. no ctypes): py-spy's shares fall back to rate x window
            return False

    def begin(self) -> bool:
        time.sleep(max(0.0, LEAD_S - (time.monotonic() - self.started_s)))
        return self._send(b"b")

    def end(self) -> bool:
        return self._send(b"e")

    def close(self) -> None:
        if self._write_fd >= 0:
            os.close(self._write_fd)  # end of file: it returns from either read and exits
            self._write_fd = -1
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def holding_gil_through_window(read: Any, fd: int) -> None:
    """py-spy's samples of this frame are the rounds (the pipeline counts them by its name)."""
    read(fd, ctypes.create_string_buffer(1), 1)


ROUND_FRAME = f"{holding_gil_through_window.__name__} ("  # how py-spy's raw output names it


def main(argv: list[str]) -> int:
    fd = int(argv[1])
    read = ctypes.PyDLL(None).read  # this program's libc read, called keeping the GIL
    if not os.read(fd, 1):  # the window has not started: the GIL is released while waiting
        return 0
    holding_gil_through_window(read, fd)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
