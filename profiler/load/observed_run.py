"""One model's observed run as one typed object: its window and what each recorder
recorded, in memory. Filled by profiler.load.model_dir; nothing here is derived. A
recorder that did not run (or wrote nothing) is None.
"""

from __future__ import annotations

from dataclasses import dataclass

from profiler.recorders.perf.load import PerfTrace
from profiler.recorders.procfs.load import ProcfsFrames
from profiler.recorders.pyspy.load import PyspyRecording
from profiler.recorders.viztracer.load import VizRecording
from profiler.recorders.window import Window


@dataclass(frozen=True)
class Recordings(Window):
    procfs: ProcfsFrames | None = None
    pyspy: PyspyRecording | None = None
    perf: PerfTrace | None = None
    viztracer: VizRecording | None = None
