"""py-spy: which thread holds the GIL, sampled, with its stacks, in every process: recording
(recorder: in front of the runner; attached: beside a running program), loading (load),
and what it gives a model's tables (tables: sampled shares with their errors, stacks)."""

from __future__ import annotations

from profiler.recorders.pyspy.attached import thread_names
from profiler.recorders.pyspy.load import PyspyRecording, pyspy_recording
from profiler.recorders.pyspy.recorder import PySpy
from profiler.recorders.pyspy.tables import pyspy_tables
from profiler.recorders.source_tables import Source

SOURCE: Source[PyspyRecording] = Source(
    "py-spy",
    exact=False,
    load=lambda raw, window: pyspy_recording(raw),
    tables=lambda recording, window, context: pyspy_tables(
        recording, window, context.named, context.last_seen_ns, context.switch_rate_hz
    ),
    names_threads=thread_names,
    wrapper=PySpy,
)
