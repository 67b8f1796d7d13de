"""The recommendation: which model to use, and the measured reasons."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from profiler.analyse.compare import MIN_RUNS, no_interval
from profiler.analyse.evidence import (
    gil_evidence,
    known,
    slowdown_bound,
    slowed_note,
    traced_note,
    warnings_for,
)
from profiler.answer import Answer
from profiler.spine import DEFAULT_MARGIN

SIMPLICITY = ("sequential", "asyncio", "threads", "processes")  # simpler first
CPU_FLOOR_S = 0.01  # CPU times within a clock tick of each other are equal
RSS_FLOOR_MB = 1.0


def _verdict_text(verdict: str, margin: float) -> str:
    return {
        "faster": f"the whole interval is above 1 + {margin:.0%}: faster than sequential",
        "slower": f"the whole interval is below 1 − {margin:.0%}: slower than sequential",
        "same": f"the whole interval is within ±{margin:.0%} of 1: the same as sequential",
        "inconclusive": "the interval reaches 1 ± the margin: not distinguishable from sequential",
        "baseline": "no model beat the sequential baseline",
    }.get(verdict, verdict)


def _fastest_by_wall(comparison: pd.DataFrame, observed: dict[str, str]) -> Answer | None:
    """Without a sequential baseline: the model with the lowest median wall time."""
    ranked = comparison.dropna(subset=["wall_median_s"]).sort_values("wall_median_s")
    if ranked.empty:
        return None
    best = ranked.iloc[0]
    verdict = "no sequential baseline; only one model ran"
    if len(ranked) > 1:
        second = ranked.iloc[1]
        verdict = {
            "slower": f"no sequential baseline; {second['model']} is clearly slower",
            "same": f"no sequential baseline; the same as {second['model']} within the margin",
        }.get(
            str(second.get("vs_fastest")),
            f"no sequential baseline; not distinguishable from {second['model']}"
            + ("" if best["reps"] >= MIN_RUNS else f" ({no_interval(int(best['reps']))})"),
        )
    evidence = [
        f"{row.model!s}: median wall {row.wall_median_s:.3f} s "
        + (
            f"[{row.wall_ci_low_s:.3f}, {row.wall_ci_high_s:.3f}]"
            if known(row.wall_ci_low_s)
            else "(no interval)"
        )
        + f", peak RSS {row.peak_rss_mb:.0f} MB"
        + (f"; {observed[str(row.model)]}" if str(row.model) in observed else "")
        for row in ranked.itertuples()
    ]
    return Answer(str(best["model"]), float("nan"), float("nan"), float("nan"), verdict, evidence)


def _cheaper(a: pd.Series, b: pd.Series, margin: float) -> str:
    """Why `a` is preferable to `b` ("" when it is not clearly cheaper)."""
    cpu_a, cpu_b = float(a["cpu_s"]), float(b["cpu_s"])
    if cpu_a < cpu_b - max(margin * cpu_b, CPU_FLOOR_S):
        return f"less CPU time ({cpu_a:.2f} s against {cpu_b:.2f} s)"
    if abs(cpu_a - cpu_b) <= max(margin * max(cpu_a, cpu_b), CPU_FLOOR_S):
        rss_a, rss_b = float(a["peak_rss_mb"]), float(b["peak_rss_mb"])
        if rss_a < rss_b - max(margin * rss_b, RSS_FLOOR_MB):
            return f"less memory ({rss_a:.0f} MB peak RSS against {rss_b:.0f} MB)"
    return ""


def _cheapest(rows: list[pd.Series], margin: float) -> pd.Series:
    """Least CPU time, then least memory (each within the margin of the least), then simplest."""

    def near_least(candidates: list[pd.Series], column: str, floor: float) -> list[pd.Series]:
        least = min(float(r[column]) for r in candidates)
        return [r for r in candidates if float(r[column]) <= least + max(margin * least, floor)]

    kept = near_least(rows, "cpu_s", CPU_FLOOR_S)
    kept = near_least(kept, "peak_rss_mb", RSS_FLOOR_MB)

    def simplicity(row: pd.Series) -> int:
        model = str(row["model"])
        return SIMPLICITY.index(model) if model in SIMPLICITY else len(SIMPLICITY)

    return min(kept, key=simplicity)


def recommend(
    comparison: pd.DataFrame,
    tables: dict[str, pd.DataFrame] | None = None,
    margin: float = DEFAULT_MARGIN,
) -> Answer | None:
    """The cheapest model among those not distinguishable from the fastest, with evidence.

    Ties with the fastest (same within the margin, or inconclusive) are broken by
    CPU time, then peak memory, then the simpler model. When the fastest clearly
    beats sequential, a model whose interval does not is never tied with it.
    """
    tables = tables or {}
    ranked = comparison.dropna(subset=["speedup"]).sort_values("speedup", ascending=False)
    if ranked.empty:
        by_wall = _fastest_by_wall(comparison, gil_evidence(tables))
        warnings = warnings_for(comparison, tables.get("timing"))
        return None if by_wall is None else replace(by_wall, warnings=warnings)
    fastest = ranked.iloc[0]
    observed = gil_evidence(tables)
    evidence = [
        f"{row.model!s}: {row.speedup:.2f}x "
        + (
            f"[{row.speedup_ci_low:.2f}, {row.speedup_ci_high:.2f}]"
            if known(row.speedup_ci_low)
            else "(no interval)"
        )
        + f", CPU {row.cpu_s:.2f} s, CPU/wall {row.parallelism:.2f}, "
        f"peak RSS {row.peak_rss_mb:.0f} MB (timing runs, n={row.reps})"
        + (f"; {observed[str(row.model)]}" if str(row.model) in observed else "")
        + slowed_note(row.recording_overhead, slowdown_bound(row))
        + traced_note(getattr(row, "gil_traced_pct", None))
        for row in ranked.itertuples()
    ]
    clear_win = fastest["vs_sequential"] == "faster"
    ties = [
        row
        for _, row in ranked.iloc[1:].iterrows()
        if row["vs_fastest"] in ("same", "inconclusive")
        and not (clear_win and row["vs_sequential"] != "faster")
    ]
    chosen = _cheapest([fastest, *ties], margin)
    why = ""
    baseline = ranked[ranked["model"] == "sequential"]
    if not clear_win and len(baseline) and fastest["model"] != "sequential":
        chosen = baseline.iloc[0]
        why = (
            f"no model is clearly faster than the sequential baseline (fastest by median: "
            f"{fastest['model']}, {fastest['speedup']:.2f}x, {fastest['vs_sequential']}); "
            "the simplest model wins"
        )
    elif chosen["model"] != fastest["model"]:
        relation = "as fast as" if chosen["vs_fastest"] == "same" else "not distinguishable from"
        reason = _cheaper(chosen, fastest, margin) or "the simpler model"
        why = f"{relation} {fastest['model']} ({fastest['speedup']:.2f}x), with {reason}"
    return Answer(
        model=str(chosen["model"]),
        speedup=float(chosen["speedup"]),
        ci_low=float(chosen["speedup_ci_low"]),
        ci_high=float(chosen["speedup_ci_high"]),
        verdict=_verdict_text(str(chosen["vs_sequential"]), margin)
        if chosen["model"] != "sequential"
        else "the baseline",
        evidence=evidence,
        ties=[str(r["model"]) for r in ties if r["model"] != chosen["model"]]
        + ([str(fastest["model"])] if chosen["model"] != fastest["model"] else []),
        fastest=str(fastest["model"]),
        why=why,
        warnings=warnings_for(comparison, tables.get("timing")),
    )
