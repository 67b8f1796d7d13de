"""The dask model's figures: the break-even curve (analyse.dask's overhead model) and the
cluster's task spans per worker thread."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, NullFormatter

from profiler.answer import DaskEvidence, ModelEvidence, known
from profiler.render.plotting import Figure, plt


def break_even_figure(e: ModelEvidence, others: list[ModelEvidence]) -> Figure | None:
    """Dask's speedup over one process against the task length, as its measured per-task
    overhead predicts it (running·t/(t + o), with o's interval as a band), the measured
    point at this scenario's task length, and the other models' measured speedups."""
    d: DaskEvidence | None = e.dask
    if d is None or not known(d.overhead_s) or not known(d.task_s) or d.task_s <= 0:
        return None
    lengths = np.logspace(np.log10(d.task_s / 1000), np.log10(d.task_s * 100), 200)

    def speedup(o: float) -> np.ndarray:
        return np.asarray(d.running * lengths / (lengths + max(o, 0.0)))

    fig, ax = plt.subplots(figsize=(8, 3.8), layout="constrained")
    ax.plot(lengths * 1e3, speedup(d.overhead_s), color="#9467bd", label=f"{e.model} (predicted)")
    if known(d.overhead_low_s) and known(d.overhead_high_s):
        ax.fill_between(
            lengths * 1e3,
            speedup(d.overhead_high_s),
            speedup(d.overhead_low_s),
            color="#9467bd",
            alpha=0.2,
            label="from the wall time's 95% interval",
        )
    ax.axhline(1.0, color="#555", linestyle="--", linewidth=0.8, label="one process")
    if known(d.break_even_s) and d.break_even_s > 0:
        ax.axvline(d.break_even_s * 1e3, color="#9467bd", linestyle=":", linewidth=0.8)
        ax.annotate(
            f"break-even {d.break_even_s * 1e3:.3g} ms",
            (d.break_even_s * 1e3, 1.0),
            textcoords="offset points",
            xytext=(4, 6),
            fontsize=8,
        )
    if known(e.speedup):
        ax.errorbar(
            [d.task_s * 1e3],
            [e.speedup],
            yerr=[
                [max(0.0, e.speedup - e.speedup_ci_low)],
                [max(0.0, e.speedup_ci_high - e.speedup)],
            ],
            fmt="o",
            color="#9467bd",
            label=f"{e.model} measured here",
        )
    for other in others:
        if other.model in ("sequential", e.model) or not known(other.speedup):
            continue
        ax.plot([d.task_s * 1e3], [other.speedup], marker="s", linestyle="none",
                label=f"{other.model} measured here")  # fmt: skip
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("task length alone, ms")
    ax.set_ylabel("speedup over one process")
    ax.set_title(
        f"{e.model}: per-task overhead {d.overhead_s * 1e3:.3g} ms on {d.running} worker "
        "threads (timing runs)",
        fontsize=9,
        loc="left",
    )
    ax.legend(fontsize=7, loc="upper left")
    return fig


def dask_tasks_figure(tasks: pd.DataFrame) -> Figure | None:
    """Each task's compute span on its worker thread (the observed run's task stream)."""
    if tasks.empty:
        return None
    rows = list(dict.fromkeys(zip(tasks["worker"], tasks["thread_name"], strict=True)))
    fig, ax = plt.subplots(figsize=(10, 0.8 + 0.35 * len(rows)), layout="constrained")
    for y, (worker, thread) in enumerate(rows):
        mine = tasks[(tasks["worker"] == worker) & (tasks["thread_name"] == thread)]
        spans = list(zip(mine["start_s"], mine["compute_s"], strict=True))
        ok = (mine["status"] == "OK").tolist()
        ax.broken_barh(spans, (y - 0.4, 0.8), color=["#9467bd" if k else "#d62728" for k in ok],
                       edgecolor="white", linewidth=0.5)  # fmt: skip
    ax.set_yticks(range(len(rows)), [f"{w.split('://')[-1]} · {t}" for w, t in rows], fontsize=7)
    ax.set_xlabel("seconds from the window's start (observed run)")
    ax.set_title(
        "tasks on the cluster's worker threads (Dask's task stream)", fontsize=9, loc="left"
    )
    return fig
