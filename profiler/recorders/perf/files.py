"""perf's files in raw/<model>/: the sched trace, the GIL probes' trace, their script, its
metadata."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PerfFiles:
    root: Path  # raw/<model>/

    @property
    def data(self) -> Path:  # sched events, the whole run
        return self.root / "perf.data"

    @property
    def gil_data(self) -> Path:  # the GIL probes, up to their budget
        return self.root / "perf_gil.data"

    @property
    def txt(self) -> Path:  # perf script of both
        return self.root / "perf.txt"

    @property
    def meta(self) -> Path:
        return self.root / "perf_meta.json"

    def all(self) -> list[Path]:
        """Every file it writes, whether or not this run wrote it."""
        return [self.data, self.gil_data, self.txt, self.meta]
