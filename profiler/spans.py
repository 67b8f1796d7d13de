"""The time a set of [start_us, end_us) spans covers, overlaps counted once (used by the
GIL trace's shares and by the ceiling the GIL puts on threads)."""

from __future__ import annotations

import pandas as pd


def merged_spans(spans: pd.DataFrame) -> list[tuple[float, float]]:
    """The union of [start_us, end_us) spans as disjoint spans, in time order."""
    out: list[tuple[float, float]] = []
    for s, e in sorted(zip(spans["start_us"], spans["end_us"], strict=True)):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], float(e)))
        else:
            out.append((float(s), float(e)))
    return out


def union_us(spans: pd.DataFrame) -> float:
    """Time covered by the union of [start_us, end_us) spans (overlaps counted once)."""
    return sum(e - s for s, e in merged_spans(spans))
