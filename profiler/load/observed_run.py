"""One model's observed run as one typed object: its window and what each recorder
recorded, in memory, by recorder name. Filled by profiler.load.model_dir; nothing here is
derived. A recorder that did not run (or wrote nothing) has None.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from profiler.recorders.window import Window


@dataclass(frozen=True)
class Recordings(Window):
    by_source: dict[str, Any] = field(default_factory=dict)  # name -> its Source's recording

    def of(self, source: str) -> Any:
        """What the recorder named `source` recorded (None: it did not run here)."""
        return self.by_source.get(source)
