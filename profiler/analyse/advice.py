"""The recommendation: which model to use, and the measured reasons."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class Answer:
    model: str
    speedup: float
    ci_low: float
    ci_high: float
    verdict: str
    evidence: list[str] = field(default_factory=list)


def _verdict_text(verdict: str) -> str:
    return {
        "faster": "the interval excludes 1: faster than sequential",
        "slower": "the interval is below 1: slower than sequential",
        "inconclusive": "the interval includes 1: not distinguishable from sequential",
        "baseline": "no model beat the sequential baseline",
    }.get(verdict, verdict)


def recommend(comparison: pd.DataFrame) -> Answer | None:
    """The model with the highest median speedup, and one line of evidence per model."""
    ranked = comparison.dropna(subset=["speedup"]).sort_values("speedup", ascending=False)
    if ranked.empty:
        return None
    best = ranked.iloc[0]
    evidence = [
        f"{row.model}: {row.speedup:.2f}x [{row.speedup_ci_low:.2f}, {row.speedup_ci_high:.2f}], "
        f"CPU time {row.cpu_s:.2f} s, parallelism (CPU/wall) {row.parallelism:.2f}, "
        f"peak RSS {row.peak_rss_mb:.0f} MB (timing runs, n={row.reps})"
        for row in ranked.itertuples()
    ]
    return Answer(
        model=str(best["model"]),
        speedup=float(best["speedup"]),
        ci_low=float(best["speedup_ci_low"]),
        ci_high=float(best["speedup_ci_high"]),
        verdict=_verdict_text(str(best["vs_sequential"])),
        evidence=evidence,
    )
