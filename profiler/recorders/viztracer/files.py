"""viztracer's files in raw/<model>/: its trace and the runner's result of its own run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class VizFiles:
    root: Path  # raw/<model>/

    @property
    def json(self) -> Path:
        return self.root / "viztracer.json"

    @property
    def run(self) -> Path:  # the runner's result of viztracer's own run
        return self.root / "viztracer_run.json"

    def all(self) -> list[Path]:
        """Every file it writes, whether or not this run wrote it."""
        return [self.json, self.run]
