"""One run's life, the same for every kind: profile, record, attach, across, claims.

    session = RunSession(reports, name, progress, recorders=select(...))  # the directory
    session.save(manifest)                    # run.json says "running"
    with session.contained():                 # tracefs, leftovers, containment
        ...                                   # the runs; nothing outlives this block
    session.finish(manifest, render)          # rendered with its final status, then saved

The recorders are chosen (and a request that cannot be met refused) before
anything is created; the free space is checked before the directory is made;
the status in run.json is written last, after everything that shows it was
rendered, so no run is marked complete that is not.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from profiler.layout import RunDir
from profiler.orchestrate.cleanup import closing_containment, leftovers
from profiler.orchestrate.containment import Containment
from profiler.recorders import prepare, teardowns
from profiler.recorders.base import Selection
from profiler.rundir import check_free_space, create_run_dir
from profiler.spine import ProgressFn, RunManifest, Step
from profiler.workload.documents import RunError

T = TypeVar("T")
M = TypeVar("M", bound=RunManifest)  # the run.json of a profile or of a recording


class RunSession:
    """A run directory and what a run does around its work (see the module's docstring)."""

    def __init__(
        self,
        reports: Path,
        name: str,
        progress: ProgressFn,
        recorders: Selection | None = None,
        started: float | None = None,
    ) -> None:
        self.started = time.time() if started is None else started
        self.progress = progress
        self.chosen = recorders if recorders is not None else Selection()
        check_free_space(reports, recording=bool(self.chosen.used))
        self.run_dir = create_run_dir(reports, name, self.started)
        self.layout = RunDir(self.run_dir)

    def note(self, text: str) -> None:
        self.progress(Step("setup", "", 0, 0, 0, None, True, text))

    def save(self, manifest: RunManifest) -> None:
        manifest.save(self.layout.manifest)

    @contextmanager
    def contained(self) -> Iterator[Containment]:
        """The run's processes contained (cgroup, watchdog) and ended at its end; tracefs
        mounted where perf records; what dead runs left removed; one line each."""
        for text in [*self.chosen.fallbacks, *leftovers(), *prepare(self.chosen)]:
            self.note(text)
        contain = Containment(self.layout.manifest, teardowns(self.chosen, os.getpid()))
        with closing_containment(contain, self.progress):
            yield contain

    def finish(self, manifest: M, render: Callable[[M], T]) -> T:
        return finish_run(self.layout, manifest, self.started, render)


def finish_run(layout: RunDir, manifest: M, started: float, render: Callable[[M], T]) -> T:
    """Render with `manifest` (its final status, so what is rendered says it), then write
    it; if rendering fails, the run is written as incomplete, with the reason."""
    final = replace(manifest, duration_s=round(time.time() - started, 3))
    try:
        out = render(final)
    except BaseException as exc:
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        error = final.error or RunError("render", None, None, reason)
        replace(final, status="incomplete", error=error).save(layout.manifest)
        raise
    final.save(layout.manifest)
    return out
