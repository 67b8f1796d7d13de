"""Every path of a run directory, named once (docs/run-directory.md).

reports/<scenario>/<stamp>/ is a RunDir; raw/<model>/ (an observed run's
recordings) a RawDir. Recorders write, loaders read and renderers link these
paths by attribute, never by a file name of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MANIFEST = "run.json"


RECORDING = "record"  # a recording's folder in raw/ and the `model` column of its table rows


@dataclass(frozen=True)
class RawDir:
    """raw/<model>/: the observed run's result and each recorder's files."""

    root: Path

    @property
    def observed(self) -> Path:  # the runner's result document of the observed run
        return self.root / "observed.json"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def exclusive_run(self, recorder: str) -> Path:
        """The runner's result of the run an exclusive recorder had to itself."""
        return self.root / f"{recorder}_run.json"


@dataclass(frozen=True)
class RunDir:
    """reports/<scenario>/<stamp>/."""

    root: Path

    @property
    def manifest(self) -> Path:
        return self.root / MANIFEST

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def timing(self) -> Path:  # raw/timing/<model>-r<rep>.json
        return self.raw / "timing"

    def model_raw(self, model: str) -> RawDir:
        return RawDir(self.raw / model)

    @property
    def recording(self) -> Path:  # a recording's program: raw/record/recording.json
        return self.raw / RECORDING / "recording.json"

    @property
    def tables(self) -> Path:
        return self.root / "tables"

    @property
    def figures(self) -> Path:
        return self.root / "figures"

    @property
    def report(self) -> Path:
        return self.root / "index.html"

    @property
    def timeline(self) -> Path:
        return self.root / "timeline.html"

    @property
    def trace(self) -> Path:
        return self.root / "trace.json"
