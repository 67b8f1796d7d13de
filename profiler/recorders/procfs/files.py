"""procfs's files in raw/<model>/: its polls of threads, processes and cores, its metadata."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ProcfsFiles:
    root: Path  # raw/<model>/

    @property
    def threads(self) -> Path:
        return self.root / "procfs_threads.csv"

    @property
    def processes(self) -> Path:
        return self.root / "procfs_processes.csv"

    @property
    def cores(self) -> Path:
        return self.root / "procfs_cores.csv"

    @property
    def meta(self) -> Path:
        return self.root / "procfs_meta.json"

    def all(self) -> list[Path]:
        """Every file it writes, whether or not this run wrote it."""
        return [self.threads, self.processes, self.cores, self.meta]
