"""Claims about the free-threaded build (3.13t beside its GIL twin 3.13.5), judged like the
others (analyse.claims): verdicts only when a 95% interval is clear of the threshold."""

from __future__ import annotations

import pandas as pd

from profiler.analyse.claims import Claim, Runs, _missing, _row, _speedup_claim, _speedup_text
from profiler.analyse.compare import BASELINE, compare
from profiler.spine import DEFAULT_MARGIN

FT_CPU, GIL_CPU, FT_SHARED = "cpu@3.13t", "cpu@3.13.5", "shared@3.13t"


def claim_11(runs: Runs) -> Claim:
    return _speedup_claim(
        11,
        "On the free-threaded build, threads run CPU-bound Python in parallel.",
        runs,
        FT_CPU,
        "threads",
        "above",
        1.3,
    )


def claim_12(runs: Runs) -> Claim:
    text = "The free-threaded build costs single-thread speed."
    scenario = f"{GIL_CPU}, {FT_CPU}"
    if GIL_CPU not in runs or FT_CPU not in runs:
        return _missing(12, text, scenario, "cpu on 3.13.5 and 3.13t (make python-ft)")
    # the free-threaded sequential runs as a model against the GIL build's sequential ones
    gil, free = runs[GIL_CPU].timing, runs[FT_CPU].timing
    if gil is None or free is None:
        return _missing(12, text, scenario, "cpu on 3.13.5 and 3.13t (make python-ft)")
    free = free[free["model"] == BASELINE].assign(model="free-threaded")
    joint = compare(pd.concat([gil[gil["model"] == BASELINE], free]), DEFAULT_MARGIN)
    seq = joint[joint["model"] == "free-threaded"].iloc[0]
    low, high = float(seq["speedup_ci_low"]), float(seq["speedup_ci_high"])
    cut = 1.0 / (1.0 + DEFAULT_MARGIN)
    verdict = "holds" if high < 1.0 else "refuted" if low > cut else "inconclusive"
    return Claim(
        12,
        text,
        scenario,
        "sequential on 3.13t against sequential on 3.13.5 (same source, timing runs, "
        "median wall-time ratio with its 95% bootstrap interval)",
        f"{seq['speedup']:.2f}x [{low:.2f}, {high:.2f}] of the GIL build's speed",
        f"interval below 1.0 (holds); above {cut:.2f}, a cost under 5% (refuted)",
        verdict,
    )


def claim_13(runs: Runs) -> Claim:
    text = "Shared mutable state limits free-threaded scaling."
    scenario = f"{FT_SHARED}, {FT_CPU}"
    free = _row(runs[FT_CPU], "threads") if FT_CPU in runs else None
    shared = _row(runs[FT_SHARED], "threads") if FT_SHARED in runs else None
    if free is None or shared is None:
        return _missing(13, text, scenario, "cpu and shared on 3.13t (make python-ft)")
    below = float(shared["speedup_ci_high"]) < float(free["speedup_ci_low"])
    above = float(shared["speedup_ci_low"]) >= float(free["speedup_ci_low"])
    return Claim(
        13,
        text,
        scenario,
        "threads on 3.13t updating one shared dict (shared) against threads sharing nothing "
        "(cpu), each against its own sequential run (timing runs, 95% bootstrap intervals)",
        f"shared {_speedup_text(shared)}; cpu {_speedup_text(free)}",
        "shared's interval below cpu's (holds); reaching cpu's (refuted)",
        "holds" if below else "refuted" if above else "inconclusive",
    )
