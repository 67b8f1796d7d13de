"""viztracer's tables: the longest function calls of its separate run, and its thread names."""

from __future__ import annotations

from profiler.analyse.source_tables import SourceTables
from profiler.analyse.spans import top_spans
from profiler.load.observed_run import Recordings


def viztracer_tables(rec: Recordings) -> SourceTables | None:
    """Function spans of the separate viztracer run, on that run's own clock origin."""
    if rec.viztracer is None:
        return None
    spans = rec.viztracer.spans
    window = (spans["start_us"] + spans["dur_us"] >= 0) & (
        spans["start_us"] <= rec.viztracer.window_us
    )
    return SourceTables(
        "viztracer",
        extra={"function_spans": top_spans(spans[window]), "traced_threads": rec.viztracer.names},
    )
