"""The value a sweep recommends, on two recorded runs' comparison.csv (tests/data/across_noisy:
threads at 1.23x in one and 0.97x in the other), read as two start methods or two worker
counts.

Start methods: the default is kept unless another is faster beyond the margin. Workers:
the smallest count within the margin of the best.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from profiler.analyse.scaling import recommended, scaling, sweep_lines
from profiler.spine import START_METHOD, WORKERS, Swept

DATA = Path(__file__).parent.parent / "data" / "across_noisy"
FAST = pd.read_csv(DATA / "3.13.5" / "comparison.csv")  # threads 1.23x
SLOW = pd.read_csv(DATA / "3.13t" / "comparison.csv")  # threads 0.97x


def test_the_default_start_method_is_kept_unless_another_beats_it_beyond_the_margin() -> None:
    runs = {"spawn": FAST, "fork": SLOW}
    swept = Swept(START_METHOD, ("fork", "spawn"), kept="fork")
    beaten = scaling(swept, runs, margin=0.05)  # 1.23 > 0.97 x 1.05
    assert recommended(swept, beaten) == {"threads": "spawn"}
    assert list(beaten["start_method"]) == ["fork", "spawn"]  # in the order swept
    assert (
        "use spawn (faster than the default, fork, beyond the margin)"
        in sweep_lines(swept, beaten, 2)[0]
    )
    within = scaling(swept, runs, margin=0.30)  # 0.97 >= 1.23 / 1.3
    assert recommended(swept, within) == {"threads": "fork"}
    assert "(the default; no other is faster beyond the margin)" in sweep_lines(swept, within, 2)[0]
    # a default not among those swept: the fastest
    elsewhere = Swept(START_METHOD, ("fork", "spawn"), kept="forkserver")
    assert recommended(elsewhere, scaling(elsewhere, runs, margin=0.30)) == {"threads": "spawn"}


def test_the_smallest_worker_count_within_the_margin_of_the_best_is_used() -> None:
    swept = Swept(WORKERS, (2, 4))
    assert recommended(swept, scaling(swept, {2: SLOW, 4: FAST}, margin=0.05)) == {"threads": 4}
    assert recommended(swept, scaling(swept, {2: SLOW, 4: FAST}, margin=0.30)) == {"threads": 2}
    # the baseline is never a row; a value without a comparison is left out
    table = scaling(swept, {4: FAST}, margin=0.05)
    assert list(table["model"]) == ["threads"] and list(table["workers"]) == [4]
