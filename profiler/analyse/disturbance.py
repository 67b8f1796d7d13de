"""Was a timing run disturbed by other load on the machine?

The runner reads the machine's busy time (/proc/stat, all cores) once before
and once after the model run, and the CPU time of its own process tree and of
its helpers (a server). What the machine did beyond that is foreign load:
another program competing for the cores, which a median would silently absorb.
/proc/stat counts whole clock ticks per core, so up to one tick per core at
each end is within the reading's resolution and never counts as disturbance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from profiler.workload.documents import RunResult

FOREIGN_LIMIT_PCT = 10.0  # other work on more than a tenth of the machine's capacity
MAX_RERUNS = 2  # re-runs of one disturbed repeat before its result is kept, flagged


@dataclass(frozen=True)
class Disturbance:
    foreign_busy_pct: float  # other work, % of all cores over the run's wall time
    disturbed: bool


def foreign_load(
    machine_busy_s: float, own_cpu_s: float, wall_s: float, cores: int, tick_s: float
) -> Disturbance:
    """Foreign busy share of the machine during one run, and whether it clearly disturbed it."""
    values = (machine_busy_s, own_cpu_s, wall_s, tick_s)
    if any(not isinstance(v, int | float) or math.isnan(v) for v in values) or wall_s <= 0:
        return Disturbance(float("nan"), False)
    capacity_s = wall_s * max(cores, 1)
    foreign_s = max(0.0, machine_busy_s - own_cpu_s)
    beyond_resolution_s = foreign_s - 2.0 * tick_s * max(cores, 1)
    return Disturbance(
        100.0 * foreign_s / capacity_s,
        beyond_resolution_s > FOREIGN_LIMIT_PCT / 100.0 * capacity_s,
    )


def of_doc(doc: RunResult) -> Disturbance:
    """The disturbance of one runner result document (NaN where it has no machine reading)."""
    nan = float("nan")
    own = (doc.user_s or 0.0) + (doc.sys_s or 0.0) + (doc.helper_cpu_s or 0.0)
    return foreign_load(
        nan if doc.machine_busy_s is None else doc.machine_busy_s,
        own,
        doc.wall_s or nan,
        doc.python.cpu_count or 1,
        nan if doc.clock_tick_s is None else doc.clock_tick_s,
    )


def mark(timing: pd.DataFrame) -> pd.DataFrame:
    """Adds foreign_busy_pct and disturbed per run, and `used`: the last attempt of a repeat."""
    if timing.empty:
        return timing.assign(foreign_busy_pct=[], disturbed=[], used=[])

    def number(column: str, missing: float = float("nan")) -> pd.Series:
        """A column as floats: a failed run has None where a number would be."""
        return pd.to_numeric(timing[column], errors="coerce").fillna(missing)

    own = number("user_s", 0.0) + number("sys_s", 0.0) + number("helper_cpu_s", 0.0)
    marks = [
        foreign_load(float(busy), float(own_s), float(wall), int(cores), float(tick))
        for busy, own_s, wall, cores, tick in zip(
            number("machine_busy_s"),
            own,
            number("wall_s"),
            number("cores", 1.0),
            number("clock_tick_s"),
            strict=True,
        )
    ]
    last = timing.groupby(["model", "rep"])["attempt"].transform("max")
    return timing.assign(
        foreign_busy_pct=[m.foreign_busy_pct for m in marks],
        disturbed=[m.disturbed for m in marks],
        used=timing["attempt"] == last,
    )
