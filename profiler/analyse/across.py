"""One scenario on several interpreters (PYTHON=3.13.5,3.13t): the models compared across them.

Each interpreter's profile is an ordinary run; this puts their timing runs side
by side. Two speedups per row, each with its 95% bootstrap interval
(analyse.compare): `speedup` against the same interpreter's sequential run,
and `speedup_vs_first` against the first interpreter's sequential run (its
`vs_first` says faster / slower / same / inconclusive beyond the margin). The
lines the answer reads come from these intervals only: a difference inside
the noise is said to be one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from profiler.analyse.compare import BASELINE, compare

ACROSS_COLUMNS = [
    "interpreter",
    "model",
    "free_threaded",
    "gil_enabled_after",
    "reps",
    "wall_median_s",
    "speedup",
    "speedup_ci_low",
    "speedup_ci_high",
    "vs_sequential",
    "speedup_vs_first",
    "speedup_vs_first_ci_low",
    "speedup_vs_first_ci_high",
    "vs_first",
    "vs_fastest",
    "cpu_s",
    "parallelism",
]


def across(
    labels: Sequence[str],
    timings: Mapping[str, pd.DataFrame],
    comparisons: Mapping[str, pd.DataFrame],
    margin: float,
) -> pd.DataFrame:
    """One row per (interpreter, model), interpreters in the order given (the first is the base)."""
    first = labels[0]
    keyed = []
    for label in labels:
        timing = timings[label].copy()
        base_here = (label == first) & (timing["model"] == BASELINE)
        timing["model"] = timing["model"].where(base_here, timing["model"] + "@" + label)
        keyed.append(timing)
    joint = compare(pd.concat(keyed, ignore_index=True), margin)
    joint["interpreter"] = [_label(k, first) for k in joint["model"]]
    joint["model"] = joint["model"].str.split("@").str[0]
    joint = joint.rename(
        columns={
            "speedup": "speedup_vs_first",
            "speedup_ci_low": "speedup_vs_first_ci_low",
            "speedup_ci_high": "speedup_vs_first_ci_high",
            "vs_sequential": "vs_first",
        }
    )[
        [
            "interpreter",
            "model",
            "speedup_vs_first",
            "speedup_vs_first_ci_low",
            "speedup_vs_first_ci_high",
            "vs_first",
            "vs_fastest",
        ]
    ]
    within = []
    for label in labels:
        rows = comparisons[label].assign(interpreter=label)
        timing = timings[label]
        for column in ("free_threaded", "gil_enabled_after"):
            if column in timing:
                flags = timing.groupby("model")[column].agg(lambda s: bool(s.fillna(False).any()))
                rows[column] = rows["model"].map(flags)
        within.append(rows.drop(columns=["vs_fastest"]))
    table = pd.concat(within, ignore_index=True).merge(joint, on=["interpreter", "model"])
    return table.reindex(columns=ACROSS_COLUMNS)


def _label(key: str, first: str) -> str:
    return key.split("@", 1)[1] if "@" in key else first


def _x(row: pd.Series, column: str) -> str:
    low, high = row[f"{column}_ci_low"], row[f"{column}_ci_high"]
    if low == low and high == high:
        return f"{row[column]:.2f}x [{low:.2f}–{high:.2f}]"
    return f"{row[column]:.2f}x"


def lines(table: pd.DataFrame) -> list[str]:
    """What the answer says: each model on each later interpreter against the first, and what
    the sequential run costs or gains there; only differences outside the noise are called so."""
    labels = list(dict.fromkeys(table["interpreter"]))
    first = labels[0]
    out = []
    by = table.set_index(["interpreter", "model"])
    for label in labels[1:]:
        for model in table.loc[table["interpreter"] == label, "model"]:
            if model == BASELINE or (first, model) not in by.index:
                continue
            here, there = by.loc[(label, model)], by.loc[(first, model)]
            out.append(
                f"{model} on {label}: {_x(here, 'speedup')} where {first} gives "
                f"{_x(there, 'speedup')} (each against its own sequential run)"
            )
        if (label, BASELINE) in by.index:
            seq = by.loc[(label, BASELINE)]
            ratio = float(seq["speedup_vs_first"])
            verdict = str(seq["vs_first"])
            if verdict == "slower":
                out.append(f"sequential is {(1 / ratio - 1) * 100:.0f}% slower on {label}")
            elif verdict == "faster":
                out.append(f"sequential is {(ratio - 1) * 100:.0f}% faster on {label}")
            else:
                out.append(
                    f"sequential on {label}: {_x(seq, 'speedup_vs_first')} of {first}'s "
                    f"speed ({verdict}: inside the noise or the margin)"
                )
    best = table[table["vs_fastest"] == "fastest"]
    if len(best):
        row = best.iloc[0]
        close = int((~table["vs_fastest"].isin(("fastest", "slower"))).sum())
        out.append(
            f"fastest overall: {row['model']} on {row['interpreter']} "
            f"({_x(row, 'speedup_vs_first')} against sequential on {first})"
            + (f"; {close} other(s) not clearly slower" if close else "; all others slower")
        )
    return out
