"""Figures of the GIL: each thread's states (perf), its sampled share (py-spy), its timeline."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.patches import Rectangle

from profiler.analyse.blame import thread_kind
from profiler.recorders import EXACT
from profiler.render.common import STATE_COLOURS
from profiler.render.plotting import Figure, plt

RASTERIZE_ABOVE = 1000  # spans in one collection: beyond it, a bitmap inside the SVG


STATE_COLUMNS = {
    "hold": "gil_hold_pct",
    "hold_preempted": "gil_hold_preempted_pct",
    "wait": "gil_wait_pct",
    "nogil_running": "nogil_running_pct",
    # a free-threaded build's rows (no GIL): recorders.perf.lock_states
    "running": "running_pct",
    "runnable": "runnable_pct",
    "lock_wait": "lock_wait_pct",
    "blocked": "blocked_pct",
}


MAX_THREADS = 30  # per model and figure: a thread per request would make it miles high


def _busiest(frame: pd.DataFrame, columns: list[str], keys: list[str]) -> pd.DataFrame:
    """The MAX_THREADS rows (per `keys` group) most active over `columns`."""
    activity = frame.reindex(columns=columns).fillna(0.0).sum(axis=1)
    ranked = frame.assign(_activity=activity).sort_values("_activity", ascending=False)
    return ranked.groupby(keys, sort=False).head(MAX_THREADS).drop(columns="_activity")


CROWD = 8  # more threads than this of one kind in one role are drawn as one row


def crowds(rows: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Threads of one kind (their name without digits: analyse.blame.thread_kind) playing
    one role in one model, more than CROWD of them, as one row: the median of each of
    `columns`, named with their count and the range of the first column; other threads as
    they are. threads.csv keeps every thread."""
    kind = rows["thread_name"].astype(str).map(thread_kind)
    out = []
    for _, group in rows.groupby([rows["model"], rows["process_role"], kind], sort=False):
        if len(group) <= CROWD:
            out.append(group)
            continue
        first = group[columns[0]].astype(float)
        row = group.iloc[[0]].copy()
        for column in columns:
            row[column] = float(group[column].astype(float).median())
        name = thread_kind(str(group["thread_name"].iloc[0]))
        row["thread_name"] = (
            f"{name} ×{len(group)}: median, {columns[0].removesuffix('_pct')} "
            f"{first.min():.0f}–{first.max():.0f}%"
        )
        row["pid"] = group["pid"].iloc[0] if group["pid"].nunique() == 1 else "…"
        out.append(row)
    return pd.concat(out) if out else rows


def _more(total: int) -> str:
    return (
        f" (the {MAX_THREADS} busiest of {total} threads; all in threads.csv)"
        if total > MAX_THREADS
        else ""
    )


PIXEL_BINS = 2000  # a timeline row is about 1,000 pixels wide: finer spans are not seen


def dominant_states(intervals: pd.DataFrame, span_us: tuple[float, float]) -> pd.DataFrame:
    """One thread's intervals as drawn: past PIXEL_BINS of them, each bin of the span shows
    the state the thread spent most of that bin in (as timeline.html does per pixel);
    drawing 100,000 sub-pixel spans took tens of seconds and showed nothing more."""
    if len(intervals) <= PIXEL_BINS:
        return intervals
    edges = np.linspace(span_us[0], span_us[1], PIXEL_BINS + 1)
    starts = intervals["start_us"].to_numpy(float)
    ends = intervals["end_us"].to_numpy(float)
    states = list(dict.fromkeys(intervals["state"]))
    inside = np.zeros((len(states), PIXEL_BINS))
    for k, state in enumerate(states):
        mask = (intervals["state"] == state).to_numpy()
        order = np.argsort(starts[mask], kind="stable")
        s, e = starts[mask][order], ends[mask][order]
        # time in this state up to each edge: every span that started before it, the last
        # one only as far as the edge (a thread's spans do not overlap)
        whole = np.concatenate([[0.0], np.cumsum(e - s)])
        j = np.searchsorted(s, edges, side="right")  # spans started by each edge
        last = np.maximum(j - 1, 0)
        partial = np.where(j > 0, np.clip(edges - s[last], 0.0, (e - s)[last]), 0.0)
        covered = whole[last] + partial
        inside[k] = np.diff(covered)
    best = inside.argmax(axis=0)
    drawn = inside.max(axis=0) > 0
    rows = [(states[b], edges[i], edges[i + 1]) for i, b in enumerate(best) if drawn[i]]
    frame = pd.DataFrame(rows, columns=["state", "start_us", "end_us"])
    # equal neighbours as one span
    change = frame["state"].ne(frame["state"].shift()) | frame["start_us"].ne(
        frame["end_us"].shift()
    )
    group = change.cumsum()
    return frame.groupby(group).agg(
        state=("state", "first"), start_us=("start_us", "first"), end_us=("end_us", "last")
    )


def _thread_label(row: pd.Series) -> str:
    return f"{row['thread_name']} ({row['process_role']} {row['pid']})"


def gil_states_figure(threads: pd.DataFrame, crowded: bool = True) -> Figure | None:
    """Per model, per thread: stacked bars of the five GIL states (perf rows only); a crowd
    of threads of one kind as one row (crowded=False: every thread)."""
    every = threads[threads["source"].isin(EXACT)]
    if every.empty:
        return None
    busy = ["gil_hold_pct", "gil_hold_preempted_pct", "gil_wait_pct", "on_cpu_pct"]
    if crowded:
        every = crowds(every, [c for c in STATE_COLUMNS.values() if c in every])
    exact = _busiest(every, busy, ["model"])
    models = list(dict.fromkeys(exact["model"]))
    heights = [max(1, len(exact[exact["model"] == m])) for m in models]
    fig, axes = plt.subplots(
        len(models),
        1,
        figsize=(10, 1.0 + 0.32 * sum(heights) + 0.5 * len(models)),
        gridspec_kw={"height_ratios": heights},
        squeeze=False,
        layout="constrained",
    )
    for ax, model in zip(axes[:, 0], models, strict=True):
        rows = exact[exact["model"] == model].sort_values(["pid", "tid"])
        labels = [_thread_label(r) for _, r in rows.iterrows()]
        left = np.zeros(len(rows))
        for state, column in STATE_COLUMNS.items():
            values = rows.get(column, pd.Series(0.0, index=rows.index))
            values = values.fillna(0.0).to_numpy(dtype=float)
            if not values.any():
                continue
            ax.barh(range(len(rows)), values, left=left, color=STATE_COLOURS[state], label=state)
            left += values
        ax.set_yticks(range(len(rows)), labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        total = int((every["model"] == model).sum())
        ax.set_title(f"{model}{_more(total)}", fontsize=10, loc="left")
    axes[-1, 0].set_xlabel(
        "share of the model run, or of its traced part (gil_traced_pct)  —  source: "
        f"{', '.join(sorted(set(every['source'])))} (exact)"
    )
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, ncol=5, fontsize=8, loc="outside upper left")
    return fig


def sampled_gil_figure(threads: pd.DataFrame) -> Figure | None:
    """Without an exact GIL trace: the sampled GIL hold share (with its error bars) beside
    the on-CPU share of the recorder that measures CPU without the GIL."""
    rows = threads[~threads["source"].isin(EXACT)]
    if rows.empty or threads["source"].isin(EXACT).any():
        return None
    keys = ["model", "pid", "tid", "thread_name", "process_role"]
    gil = rows[rows["gil_hold_pct"].notna()]
    cpu = rows[rows["gil_hold_pct"].isna() & rows["on_cpu_pct"].notna()]
    wide = (
        gil[[*keys, "gil_hold_pct", "gil_hold_err_pct"]]
        .drop_duplicates(keys)
        .merge(cpu[[*keys, "on_cpu_pct"]].drop_duplicates(keys), on=keys, how="outer")
    )
    total = len(wide)
    shares = ["gil_hold_pct", "on_cpu_pct"]
    wide = _busiest(crowds(wide, shares), shares, ["model"])
    fig, ax = plt.subplots(figsize=(10, 1.0 + 0.3 * len(wide)), layout="constrained")
    y = np.arange(len(wide))
    hold = wide["gil_hold_pct"].to_numpy(float)
    err = wide["gil_hold_err_pct"].fillna(0.0).to_numpy(float)
    ax.barh(
        y - 0.2,
        hold,
        height=0.4,
        xerr=err,
        color=STATE_COLOURS["hold"],
        label=f"holds GIL ({_named(gil)}, sampled, 95% error)",
    )
    ax.barh(
        y + 0.2,
        wide["on_cpu_pct"].to_numpy(float),
        height=0.4,
        color="#1f77b4",
        label=f"on CPU ({_named(cpu)})",
    )
    ax.set_yticks(
        y,
        [f"{r.model}: {r.thread_name} ({r.process_role} {r.pid})" for r in wide.itertuples()],
        fontsize=8,
    )
    ax.invert_yaxis()
    ax.set_xlim(0, 105)
    ax.set_xlabel(f"share of the model run (%){_more(total)}")
    ax.legend(fontsize=8)
    return fig


def _named(rows: pd.DataFrame) -> str:
    return ", ".join(sorted(set(rows["source"].astype(str)))) or "no recorder"


def gil_timeline_figure(intervals: pd.DataFrame, threads: pd.DataFrame) -> Figure | None:
    """Beazley-style: one row per thread, one colour per state, models on a shared time axis."""
    if intervals.empty:
        return None
    models = list(dict.fromkeys(intervals["model"]))
    names = threads.drop_duplicates(["model", "pid", "tid"]).set_index(["model", "pid", "tid"])
    active = intervals[intervals["state"] != "blocked"]
    busy = (
        (active["end_us"] - active["start_us"])
        .groupby([active["model"], active["pid"], active["tid"]])
        .sum()
    )
    chosen: dict[str, list[tuple[int, int]]] = {}
    totals: dict[str, int] = {}
    for m in models:
        every = intervals.loc[intervals["model"] == m, ["pid", "tid"]].drop_duplicates()
        totals[m] = len(every)
        keys = [(int(p), int(t)) for p, t in zip(every["pid"], every["tid"], strict=True)]
        weight = [float(busy.get((m, p, t), 0.0)) for p, t in keys]
        ranked = [k for _, k in sorted(zip(weight, keys, strict=True), key=lambda x: -x[0])]
        chosen[m] = sorted(ranked[:MAX_THREADS])
    counts = [len(chosen[m]) for m in models]
    fig, axes = plt.subplots(
        len(models),
        1,
        figsize=(11, 1.2 + 0.3 * sum(counts) + 0.45 * len(models)),
        gridspec_kw={"height_ratios": [max(1, c) for c in counts]},
        sharex=True,
        squeeze=False,
        layout="constrained",
    )
    for ax, model in zip(axes[:, 0], models, strict=True):
        per = intervals[intervals["model"] == model]
        keys = chosen[model]
        labels = []
        span_us = (float(per["start_us"].min()), float(per["end_us"].max()))
        for row, (pid, tid) in enumerate(keys):
            mine = dominant_states(per[(per["pid"] == pid) & (per["tid"] == tid)], span_us)
            for state, colour in STATE_COLOURS.items():
                spans = mine[mine["state"] == state]
                if len(spans):
                    ax.broken_barh(
                        list(
                            zip(
                                spans["start_us"] / 1e3,
                                (spans["end_us"] - spans["start_us"]) / 1e3,
                                strict=True,
                            )
                        ),
                        (row - 0.4, 0.8),
                        facecolors=colour,
                        linewidth=0,
                        # thousands of spans: a bitmap inside the SVG (vector takes minutes)
                        rasterized=len(spans) > RASTERIZE_ABOVE,
                    )
            key = (model, pid, tid)
            known = key in names.index
            name = str(names.loc[key, "thread_name"]) if known else f"tid {tid}"
            role = str(names.loc[key, "process_role"]) if known else "other"
            labels.append(f"{name} ({role} {pid})")
        ax.set_yticks(range(len(keys)), labels, fontsize=8)
        ax.set_ylim(len(keys) - 0.5, -0.5)
        ax.set_title(f"{model}{_more(totals[model])}", fontsize=10, loc="left")
    axes[-1, 0].set_xlabel("ms from the model run's start — source: perf (exact)")
    handles = [Rectangle((0, 0), 1, 1, color=c) for c in STATE_COLOURS.values()]
    fig.legend(handles, list(STATE_COLOURS), ncol=6, fontsize=8, loc="outside upper left")
    return fig
