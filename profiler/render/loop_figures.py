"""The event loop's figures: the lag over time with the stalls beneath it, and the
blockers as an icicle (analyse.loop)."""

from __future__ import annotations

import pandas as pd

from profiler.render.blame_figures import icicle_figure
from profiler.render.plotting import Figure, plt

LOOP_AXIS = (
    "share of the time the loop was blocked ({total:.3g} s in all): every stall timed "
    "exactly, its stack sampled inside it (concprof's loop monitor)"
)


def loop_lag_figure(lag: pd.DataFrame, stalls: pd.DataFrame, stall_ms: float) -> Figure | None:
    """Per loop: the worst lag from ready to run per moment (top), and each stall as a span
    (bottom), on the run's clock."""
    if lag.empty:
        return None
    keys = list(dict.fromkeys(zip(lag["pid"], lag["tid"], strict=True)))
    fig, axes = plt.subplots(
        2 * len(keys),
        1,
        figsize=(10, 0.6 + 2.4 * len(keys)),
        squeeze=False,
        sharex=True,
        layout="constrained",
        gridspec_kw={"height_ratios": [3, 1] * len(keys)},
    )
    for n, (pid, tid) in enumerate(keys):
        ax_lag, ax_stall = axes[2 * n, 0], axes[2 * n + 1, 0]
        per = lag[(lag["pid"] == pid) & (lag["tid"] == tid)]
        ax_lag.step(per["t_s"], per["lag_max_ms"], where="post", color="#2ca02c", linewidth=1)
        ax_lag.axhline(stall_ms, color="#999", linestyle="--", linewidth=0.8)
        ax_lag.set_ylabel("worst lag, ms", fontsize=8)
        ax_lag.set_title(
            f"pid {pid}, thread {tid}: how late callbacks ran (dashed: the stall threshold)",
            fontsize=9,
            loc="left",
        )
        mine = stalls[(stalls["pid"] == pid) & (stalls["tid"] == tid)]
        spans = list(zip(mine["start_us"] / 1e6, mine["duration_us"] / 1e6, strict=True))
        ax_stall.broken_barh(spans, (0, 1), color="#d62728")
        ax_stall.set_yticks([])
        ax_stall.set_ylabel("stalls", fontsize=8)
    axes[-1, 0].set_xlabel("seconds from the run's start")
    return fig


def loop_blockers_figure(stalls: pd.DataFrame) -> Figure | None:
    """Each stall's sampled stack weighted by its length: what blocked the loop."""
    if stalls.empty:
        return None
    rows = stalls.assign(blocked_s=stalls["duration_us"] / 1e6)
    return icicle_figure(rows, "event loop blocked, by stack", "blocked_s", LOOP_AXIS)
