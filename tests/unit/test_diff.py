"""Two runs side by side (analyse.diff), on recorded runs: tests/data/across_noisy (cpu's
sequential and threads on 3.13.5 and on 3.13t, 3 timing runs each, on a loaded machine)
as BASE and NEW, and the golden run's GIL blame.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from profiler.analyse.compare import compare, used_runs
from profiler.analyse.diff import diff_blame, diff_models
from profiler.analysis import RunAnalysis
from profiler.render.diff import verdict_line
from profiler.spine import CompareResult
from tests.conftest import DATA
from tests.support.recorded import hog_analysis


def run(label: str) -> RunAnalysis:
    timing = pd.read_csv(DATA / "across_noisy" / label / "timing.csv")
    return RunAnalysis(timing=timing, comparison=compare(timing))


def test_the_wall_ratio_its_interval_and_verdict() -> None:
    base, new = run("3.13.5"), run("3.13t")
    table = diff_models(base, new, margin=0.05).set_index("model")
    assert list(table.index) == ["sequential", "threads"]
    for model in table.index:
        used = [used_runs(a.timing) for a in (base, new) if a.timing is not None]
        walls = [u[u["model"] == model]["wall_s"] for u in used]
        row = table.loc[model]
        assert np.isclose(row["wall_ratio"], walls[1].median() / walls[0].median())
        assert row["wall_ratio_ci_low"] <= row["wall_ratio"] <= row["wall_ratio_ci_high"]
        # a verdict only when the whole interval is beyond the margin
        if row["verdict"] == "slower":
            assert row["wall_ratio_ci_low"] > 1.05
        elif row["verdict"] == "faster":
            assert row["wall_ratio_ci_high"] < 1 / 1.05
        assert row["in_runs"] == "both" and row["base_reps"] == row["new_reps"] == 3
    # three noisy runs each: nothing here is called a change
    assert set(table["verdict"]) <= {"inconclusive", "same"}


def test_the_same_run_against_itself_is_the_same() -> None:
    table = diff_models(run("3.13.5"), run("3.13.5"), margin=0.05)
    assert (table["wall_ratio"] == 1.0).all()
    assert set(table["verdict"]) <= {"same", "inconclusive"}


def test_a_model_in_one_run_only_is_said_so() -> None:
    base = run("3.13.5")
    timing = base.timing
    assert timing is not None
    only = timing[timing["model"] == "sequential"]
    table = diff_models(base, RunAnalysis(timing=only, comparison=compare(only)), 0.05)
    row = table.set_index("model").loc["threads"]
    assert row["in_runs"] == "base only" and pd.isna(row["verdict"])


def test_the_blame_by_function_side_by_side() -> None:
    blamed = pd.read_csv(DATA / "golden_run" / "tables" / "gil_blame_functions.csv")
    more = blamed.assign(waited_s=blamed["waited_s"] * 2)
    table = diff_blame(
        RunAnalysis(gil_blame_functions=blamed), RunAnalysis(gil_blame_functions=more)
    )
    top = table.iloc[0]
    assert top["function"] == "task (golden.py)"
    assert np.isclose(top["new_waited_s"], 2 * top["base_waited_s"])
    assert np.isclose(top["change_s"], top["base_waited_s"])


def test_two_recordings_compare_their_gil_blame(tmp_path: Path) -> None:
    base = hog_analysis(tmp_path)  # a real recording of tests/data/record_hog/hog.py
    blamed = base.gil_blame_functions
    assert blamed is not None
    # NEW: the same program with the hog's share of the blame halved
    halved = blamed.assign(
        waited_s=blamed["waited_s"].where(
            blamed["function"] != "hog (hog.py)", blamed["waited_s"] / 2
        )
    )
    table = diff_blame(base, RunAnalysis(gil_blame_functions=halved))
    top = table.iloc[0]
    assert top["function"] == "hog (hog.py)" and top["new_waited_s"] < top["base_waited_s"]
    assert np.isclose(top["change_s"], -top["base_waited_s"] / 2)
    assert diff_models(base, base, 0.05).empty  # a recording has no timing runs
    result = CompareResult(
        tmp_path,
        tmp_path,
        tmp_path,
        "record",
        "record: hog",
        diff_models(base, base, 0.05),
        table,
        0.05,
    )
    said = verdict_line(result)
    assert said.startswith(f"{len(table)} functions' GIL blame compared") and "hog (hog.py)" in said
