"""What every command that starts processes does before and after: remove what dead runs
left behind, and end whatever this run left running."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from profiler.orchestrate.containment import Containment, remove_stale_groups
from profiler.orchestrate.launch import remove_stale_dirs
from profiler.recorders import sweep
from profiler.spine import ProgressFn, Step


@contextlib.contextmanager
def closing_containment(contain: Containment, progress: ProgressFn) -> Iterator[None]:
    """At the end of the run, whatever it left running is ended, with a line saying so."""
    try:
        yield
    finally:
        left = contain.close()
        if left:
            note = f"ended {len(left)} processes the run left running: {left[:5]}"
            progress(Step("setup", "", 0, 0, 0, None, True, note))


def leftovers() -> list[str]:
    """Remove what concprof processes that died left behind; one line per thing removed."""
    notes = sweep()
    notes += [f"removed a temporary directory left by a dead run: {d}" for d in remove_stale_dirs()]
    notes += remove_stale_groups()
    return notes
