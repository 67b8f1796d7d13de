"""py-spy's files in raw/<model>/: its raw samples, its log, its metadata."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PyspyFiles:
    root: Path  # raw/<model>/

    @property
    def txt(self) -> Path:
        return self.root / "pyspy.txt"

    @property
    def log(self) -> Path:
        return self.root / "pyspy.log"

    @property
    def meta(self) -> Path:
        return self.root / "pyspy_meta.json"

    def all(self) -> list[Path]:
        """Every file it writes, whether or not this run wrote it."""
        return [self.txt, self.log, self.meta]
