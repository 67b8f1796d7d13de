"""The recommendation: which model to use, and the measured reasons, as data
(profiler.answer; worded by profiler.render.wording)."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from profiler.analyse import dask
from profiler.analyse.evidence import (
    causes_for,
    caveats_for,
    ceiling_evidence,
    cores_evidence,
    dask_left,
    gil_evidence,
    ipc_evidence,
    loop_evidence,
    slowdown_bound,
    slowed_beyond,
    traced_part,
)
from profiler.answer import Answer, ModelEvidence, Why
from profiler.recorders import best_source
from profiler.spine import DEFAULT_MARGIN

SIMPLICITY = ("sequential", "asyncio", "threads", "processes", "dask")  # simpler first
CPU_FLOOR_S = 0.01  # CPU times within a clock tick of each other are equal
RSS_FLOOR_MB = 1.0


class Measured:
    """What the observed runs measured, per model, for the evidence."""

    def __init__(
        self,
        processes: pd.DataFrame | None,
        cores: pd.DataFrame | None,
        ceiling: pd.DataFrame | None,
        threads: pd.DataFrame | None,
        comparison: pd.DataFrame,
        ipc: pd.DataFrame | None = None,
        cpu_count: int = 1,
        prediction: pd.DataFrame | None = None,
        loop_stats: pd.DataFrame | None = None,
        loop_blockers: pd.DataFrame | None = None,
        dask_tasks: pd.DataFrame | None = None,
        dask_workers: pd.DataFrame | None = None,
        task_rows: pd.DataFrame | None = None,
    ) -> None:
        self.cpu_count = cpu_count
        self.dask = dask.evidence(dask_tasks, dask_workers, comparison, task_rows, cpu_count)
        self.loop = loop_evidence(loop_stats, loop_blockers, comparison, cpu_count)
        self.predicted = (
            {str(r["model"]): r for r in prediction.to_dict("records")}
            if prediction is not None
            else {}
        )
        self.ipc = ipc_evidence(ipc)
        self.gil = gil_evidence(processes, comparison)
        self.cores = cores_evidence(cores)
        exact = best_source(threads["source"]) if threads is not None else None
        self.exact = exact or ""  # the recorder whose GIL trace the ceiling rests on
        self.ceiling = ceiling_evidence(ceiling, comparison, self.exact)

    def of(self, figures: ModelEvidence) -> ModelEvidence:
        """The timing runs' figures with what the model's observed run measured."""
        model = figures.model
        guess = self.predicted.get(model)
        return replace(
            figures,
            gil=self.gil.get(model, []),
            cores=self.cores.get(model),
            ceiling=self.ceiling.get(model),
            ipc=self.ipc.get(model),
            loop=self.loop.get(model),
            dask=self.dask.get(model),
            predicted=float(guess["predicted_speedup"]) if guess else None,
            limited_by=str(guess["limited_by"]) if guess else "",
            agrees=bool(guess["agrees"]) if guess and guess["agrees"] is not None else None,
            trace_source=self.exact,
        )


def _fastest_by_wall(comparison: pd.DataFrame, measured: Measured) -> Answer | None:
    """Without a sequential baseline: the model with the lowest median wall time."""
    ranked = comparison.dropna(subset=["wall_median_s"]).sort_values("wall_median_s")
    if ranked.empty:
        return None
    best = ranked.iloc[0]
    second = ranked.iloc[1] if len(ranked) > 1 else None
    evidence = [
        measured.of(
            ModelEvidence(
                str(row["model"]),
                reps=int(row["reps"]),
                peak_rss_mb=float(row["peak_rss_mb"]),
                wall_median_s=float(row["wall_median_s"]),
                wall_ci_low_s=float(row["wall_ci_low_s"]),
                wall_ci_high_s=float(row["wall_ci_high_s"]),
            )
        )
        for row in ranked.to_dict("records")
    ]
    return Answer(
        model=str(best["model"]),
        verdict="no_baseline",
        runner_up="" if second is None else str(second["model"]),
        runner_up_vs="" if second is None else str(second.get("vs_fastest")),
        reps=int(best["reps"]),
        evidence=evidence,
    )


def _cheaper(a: pd.Series, b: pd.Series, margin: float) -> tuple[str, float, float]:
    """Why `a` is preferable to `b`: (cpu | memory, a's, b's), or ("", ...) when it is not
    clearly cheaper."""
    cpu_a, cpu_b = float(a["cpu_s"]), float(b["cpu_s"])
    if cpu_a < cpu_b - max(margin * cpu_b, CPU_FLOOR_S):
        return "cpu", cpu_a, cpu_b
    if abs(cpu_a - cpu_b) <= max(margin * max(cpu_a, cpu_b), CPU_FLOOR_S):
        rss_a, rss_b = float(a["peak_rss_mb"]), float(b["peak_rss_mb"])
        if rss_a < rss_b - max(margin * rss_b, RSS_FLOOR_MB):
            return "memory", rss_a, rss_b
    return "", float("nan"), float("nan")


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
    timing: pd.DataFrame | None = None,
    measured: Measured | None = None,
    margin: float = DEFAULT_MARGIN,
) -> Answer | None:
    """The cheapest model among those not distinguishable from the fastest, with evidence.

    Ties with the fastest (same within the margin, or inconclusive) are broken by
    CPU time, then peak memory, then the simpler model. When the fastest clearly
    beats sequential, a model whose interval does not is never tied with it.
    """
    measured = measured or Measured(None, None, None, None, comparison)
    caveats = caveats_for(comparison, timing, measured.exact)
    ranked = comparison.dropna(subset=["speedup"]).sort_values("speedup", ascending=False)
    if ranked.empty:
        by_wall = _fastest_by_wall(comparison, measured)
        if by_wall is None:
            return None
        return replace(by_wall, caveats=caveats, margin=margin)
    fastest = ranked.iloc[0]
    evidence = [
        measured.of(
            ModelEvidence(
                str(row["model"]),
                reps=int(row["reps"]),
                peak_rss_mb=float(row["peak_rss_mb"]),
                speedup=float(row["speedup"]),
                speedup_ci_low=float(row["speedup_ci_low"]),
                speedup_ci_high=float(row["speedup_ci_high"]),
                cpu_s=float(row["cpu_s"]),
                parallelism=float(row["parallelism"]),
                slowed=slowed_beyond(row.get("recording_overhead"), slowdown_bound(row)),
                bound=slowdown_bound(row),
                traced_pct=traced_part(row.get("gil_traced_pct")),
            )
        )
        for row in ranked.to_dict("records")
    ]
    clear_win = fastest["vs_sequential"] == "faster"
    ties = [
        row
        for _, row in ranked.iloc[1:].iterrows()
        if row["vs_fastest"] in ("same", "inconclusive")
        and not (clear_win and row["vs_sequential"] != "faster")
    ]
    chosen = _cheapest([fastest, *ties], margin)
    why = None
    baseline = ranked[ranked["model"] == "sequential"]
    if not clear_win and len(baseline) and fastest["model"] != "sequential":
        chosen = baseline.iloc[0]
        why = Why(
            "no_clear_win",
            fastest=str(fastest["model"]),
            fastest_speedup=float(fastest["speedup"]),
            fastest_vs=str(fastest["vs_sequential"]),
        )
    elif chosen["model"] != fastest["model"]:
        reason, mine, theirs = _cheaper(chosen, fastest, margin)
        why = Why(
            "cheaper",
            fastest=str(fastest["model"]),
            fastest_speedup=float(fastest["speedup"]),
            relation="same" if chosen["vs_fastest"] == "same" else "inconclusive",
            reason=reason or "simpler",
            mine=mine,
            theirs=theirs,
        )
    return Answer(
        model=str(chosen["model"]),
        speedup=float(chosen["speedup"]),
        ci_low=float(chosen["speedup_ci_low"]),
        ci_high=float(chosen["speedup_ci_high"]),
        verdict=str(chosen["vs_sequential"]) if chosen["model"] != "sequential" else "baseline",
        margin=margin,
        reps=int(chosen["reps"]),
        evidence=evidence,
        ties=[str(r["model"]) for r in ties if r["model"] != chosen["model"]]
        + ([str(fastest["model"])] if chosen["model"] != fastest["model"] else []),
        fastest=str(fastest["model"]),
        why=why,
        causes=causes_for(evidence, measured.cpu_count),
        caveats=caveats + dask_left(evidence),
    )
