"""viztracer's tables: the longest function calls of its separate run, and its thread names."""

from __future__ import annotations

from profiler.recorders.source_tables import SourceTables
from profiler.recorders.viztracer.load import VizRecording
from profiler.recorders.viztracer.spans import top_spans
from profiler.recorders.window import Window


def viztracer_tables(viz: VizRecording | None, rec: Window) -> SourceTables | None:
    """Function spans of the separate viztracer run, on that run's own clock origin."""
    if viz is None:
        return None
    spans = viz.spans
    window = (spans["start_us"] + spans["dur_us"] >= 0) & (spans["start_us"] <= viz.window_us)
    return SourceTables(
        "viztracer",
        extra={"function_spans": top_spans(spans[window]), "traced_threads": viz.names},
    )
