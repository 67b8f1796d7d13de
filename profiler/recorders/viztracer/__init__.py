"""viztracer: every Python function call per thread and process, in a run of its own
(recorder), decoded (load, forked), as function spans for the timeline (tables, spans)."""

from __future__ import annotations

from profiler.recorders.source_tables import Source
from profiler.recorders.viztracer.load import VizRecording, viztracer_recording
from profiler.recorders.viztracer.recorder import VizTracer
from profiler.recorders.viztracer.tables import viztracer_tables

SOURCE: Source[VizRecording] = Source(
    "viztracer",
    exact=True,
    load=lambda raw, window: viztracer_recording(raw),
    tables=lambda recording, window, context: viztracer_tables(recording, window),
    wrapper=VizTracer,
)
