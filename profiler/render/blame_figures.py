"""Icicles: the GIL blame (functions weighted by the waiting they made other threads do)
and the event loop's blockers (weighted by the time they blocked it)."""

from __future__ import annotations

import zlib

import pandas as pd

from profiler.render.plotting import Figure, plt

MAX_DEPTH = 14  # frames below this are folded into their parent's box
MIN_SHARE = 0.005  # boxes narrower than this share of the total are not drawn
PALETTE = ("#d62728", "#ff7f0e", "#e377c2", "#bcbd22", "#8c564b", "#9467bd")


def _frame_label(frame: str) -> str:
    """py-spy's `function (file:line)` as `function (file name:line)`."""
    name, _, where = frame.partition(" (")
    file = where.rstrip(")").rsplit("/", 1)[-1]
    return f"{name} ({file})" if file else name


GIL_BLAME_AXIS = (
    "share of the waiting caused ({total:.3g} s in all): exact per holder thread (perf), "
    "split over its GIL-holding stacks (py-spy samples)"
)


def icicle_figure(
    blamed: pd.DataFrame, title: str, weight: str = "waited_s", axis: str = GIL_BLAME_AXIS
) -> Figure | None:
    """Root at the top; each stack's `weight` along its frames (analyse.blame: the waiting
    caused; analyse.loop: the time a stack blocked the loop)."""
    rows = blamed[blamed[weight] > 0]
    if rows.empty:
        return None
    weights: dict[tuple[str, ...], float] = {}
    for stack, function, waited in zip(rows["stack"], rows["function"], rows[weight], strict=True):
        frames = tuple(str(stack).split(";")) if stack else (str(function),)
        for depth in range(1, min(len(frames), MAX_DEPTH) + 1):
            weights[frames[:depth]] = weights.get(frames[:depth], 0.0) + float(waited)
    total = sum(w for path, w in weights.items() if len(path) == 1)
    depth_max = max(len(path) for path, w in weights.items() if w / total >= MIN_SHARE)
    fig, ax = plt.subplots(figsize=(11, 0.9 + 0.36 * depth_max), layout="constrained")
    left: dict[tuple[str, ...], float] = {(): 0.0}
    for path in sorted(weights, key=lambda p: (len(p), p)):
        parent = path[:-1]
        x = left.get(parent, 0.0)
        width = weights[path] / total
        left[parent] = x + width  # the next sibling starts after this one
        left.setdefault(path, x)
        if width < MIN_SHARE:
            continue
        colour = PALETTE[zlib.crc32(path[-1].encode()) % len(PALETTE)]
        ax.barh(len(path) - 1, width, left=x, height=0.92, color=colour, edgecolor="white")
        label = _frame_label(path[-1])
        chars = int(width * 160)
        if chars >= 4:
            text = label if len(label) <= chars else label[: chars - 1] + "…"
            ax.text(x + 0.003, len(path) - 1, text, va="center", fontsize=7, clip_on=True)
    ax.set_ylim(depth_max - 0.5, -0.5)
    ax.set_xlim(0, 1)
    ax.set_yticks([])
    ax.set_xlabel(axis.format(total=total), fontsize=8)
    ax.set_title(title, fontsize=10, loc="left")
    return fig
