"""A scenario on two interpreters, compared (analyse.across).

GIVEN the timing and comparison tables of a real `concprof profile cpu --python
3.13.5,3.13t --models threads --workers 2 --size quick` recorded while other
load shared the cores (tests/data/across_noisy: every interval wide), WHEN the
two are put side by side, THEN every (interpreter, model) has a row with both
speedups, the first interpreter's sequential run is the base of both, and no
line of the answer calls a difference that is inside the noise a difference.
"""

from __future__ import annotations

import pandas as pd

from profiler.analyse.across import across, lines
from tests.conftest import DATA

LABELS = ["3.13.5", "3.13t"]


def table() -> pd.DataFrame:
    root = DATA / "across_noisy"
    timings = {k: pd.read_csv(root / k / "timing.csv") for k in LABELS}
    comparisons = {k: pd.read_csv(root / k / "comparison.csv") for k in LABELS}
    return across(LABELS, timings, comparisons, margin=0.05)


def test_one_row_per_interpreter_and_model_with_both_speedups() -> None:
    t = table()
    assert sorted(zip(t["interpreter"], t["model"], strict=True)) == [
        ("3.13.5", "sequential"), ("3.13.5", "threads"),
        ("3.13t", "sequential"), ("3.13t", "threads"),
    ]  # fmt: skip
    base = t[(t["interpreter"] == "3.13.5") & (t["model"] == "sequential")].iloc[0]
    assert base["speedup"] == 1.0 and base["speedup_vs_first"] == 1.0
    assert base["vs_first"] == "baseline"
    assert t.loc[t["interpreter"] == "3.13t", "free_threaded"].all()
    assert not t.loc[t["interpreter"] == "3.13.5", "free_threaded"].any()
    # within an interpreter, its own sequential run is 1.0x; against the first, it is not
    own = t[(t["interpreter"] == "3.13t") & (t["model"] == "sequential")].iloc[0]
    assert own["speedup"] == 1.0 and own["speedup_vs_first"] != 1.0


def test_differences_inside_the_noise_are_not_called_differences() -> None:
    t = table()
    said = lines(t)
    seq = t[(t["interpreter"] == "3.13t") & (t["model"] == "sequential")].iloc[0]
    assert seq["vs_first"] == "inconclusive"  # the recording is noisy: intervals overlap 1
    assert not any("slower on 3.13t" in line or "faster on 3.13t" in line for line in said)
    assert any("inside the noise" in line for line in said)
    assert any(line.startswith("threads on 3.13t: ") for line in said)
