"""Function spans (viztracer) reduced to what a timeline can show: the longest, with depth."""

from __future__ import annotations

import numpy as np
import pandas as pd

MAX_SPANS_PER_MODEL = 50_000


def span_depths(spans: pd.DataFrame) -> np.ndarray:
    """Nesting depth of each span within its thread (spans sorted by start)."""
    depth = np.zeros(len(spans), dtype=np.int32)
    ends: dict[tuple[int, int], list[float]] = {}
    keys = zip(spans["pid"].to_numpy(), spans["tid"].to_numpy(), strict=True)
    for i, (key, start, end) in enumerate(
        zip(keys, spans["start_us"].to_numpy(), spans["end_us"].to_numpy(), strict=True)
    ):
        stack = ends.setdefault(key, [])
        while stack and stack[-1] <= start:
            stack.pop()
        depth[i] = len(stack)
        stack.append(end)
    return depth


def top_spans(spans: pd.DataFrame, limit: int = MAX_SPANS_PER_MODEL) -> pd.DataFrame:
    """The `limit` longest spans (their callers are at least as long, so trees stay whole)."""
    if len(spans) > limit:
        keep = np.argpartition(-spans["dur_us"].to_numpy(), limit - 1)[:limit]
        spans = spans.iloc[np.sort(keep)]
    spans = spans.assign(end_us=spans["start_us"] + spans["dur_us"])
    spans = spans.sort_values(
        ["pid", "tid", "start_us", "end_us"], ascending=[True, True, True, False]
    )
    return spans.assign(depth=span_depths(spans))
