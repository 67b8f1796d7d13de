"""The failures the CLI turns into exit codes (bad usage, a failed run, a signal); bad input.

Loaders refuse a raw file that is cut off or unreadable, and say which one: a
recorder killed mid-write, a full disk or a copy that stopped leaves a file
whose last line is cut off, or JSON that does not parse. Reading on would give
numbers from part of a run without a word; instead the run's rendering stops
with one line naming the file (exit 2 from `concprof report`).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class UsageError(Exception):
    """Bad usage or bad input: exit 2 with a one-line reason and the valid choices."""


class RunFailed(Exception):
    """The workload or a recorder failed: exit 1, saying what failed and where results are."""


class DamagedInput(UsageError):
    """A raw file of a run is truncated or unreadable."""


def require_whole_lines(path: Path) -> None:
    """A text recording ends with a newline; one that does not was cut off."""
    size = path.stat().st_size
    if size == 0:
        return
    with path.open("rb") as fh:
        fh.seek(size - 1)
        if fh.read(1) != b"\n":
            raise DamagedInput(
                f"{path}: truncated (its last line is cut off); record the run again"
            )


@contextmanager
def reading(path: Path) -> Iterator[None]:
    """Turn a parse error while loading `path` into one line naming it."""
    try:
        yield
    except DamagedInput:
        raise
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        detail = " ".join(str(exc).split())[:120]
        raise DamagedInput(
            f"{path}: truncated or unreadable ({type(exc).__name__}: {detail}); "
            "record the run again"
        ) from None


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: handled like Ctrl-C (the run is stopped and kept, incomplete)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def terminate(signum: int, frame: object) -> None:
    """The handler of SIGTERM and SIGHUP in the CLI."""
    raise Terminated(signum)
