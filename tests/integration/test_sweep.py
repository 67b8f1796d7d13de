"""A worker sweep through the real CLI: timing runs at each count, the scaling table and
figure, the count to use per model, then the observed run at the fastest model's count.

No timing is asserted: the structure (a row per model and count, exactly one count to
use per model, every count's run directory linked) and the physics (a speedup interval
contains its median; two workers on two cores never run CPU work more than 2x faster
beyond the interval's noise is left to the sweep's own figure).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import concprof

pytestmark = pytest.mark.integration


def test_a_sweep_writes_the_scaling_and_observes_at_the_count_to_use(tmp_path: Path) -> None:
    code, out, err = concprof(
        "profile", "cpu", "--size", "quick", "--models", "processes", "--workers", "1,2",
        "--repeat", "3", "--recorders", "procfs", "--out", str(tmp_path),
    )  # fmt: skip
    assert code == 0, err
    sweep = tmp_path / "cpu-sweep" / "latest"
    manifest = json.loads((sweep / "run.json").read_text())
    assert manifest["kind"] == "sweep" and manifest["workers"] == [1, 2]
    scaling = pd.read_csv(sweep / "tables" / "scaling.csv")
    assert sorted(scaling["workers"]) == [1, 2] and set(scaling["model"]) == {"processes"}
    assert scaling["recommended"].sum() == 1
    assert (scaling["speedup_ci_low"] <= scaling["speedup"]).all()
    assert (scaling["speedup"] <= scaling["speedup_ci_high"]).all()
    assert manifest["recommended"]["processes"] in (1, 2)
    # every count's run has timing runs only; the observed run is at the count to use
    for run in manifest["runs"].values():
        assert not (Path(run) / "raw" / "processes").exists()
    observed = Path(manifest["observed_run"])
    assert (observed / "raw" / "processes" / "procfs_threads.csv").exists()
    assert (
        json.loads((observed / "run.json").read_text())["workers"] == manifest["observed_workers"]
    )
    assert (sweep / "figures" / "scaling.png").stat().st_size > 0
    assert "processes: 1:" in out and "sweep:" in out
    # and `concprof report` redoes its page
    code, _, err = concprof("report", str(sweep))
    assert code == 0, err


def test_a_bad_worker_list_is_one_line_and_exit_2(tmp_path: Path) -> None:
    code, _out, err = concprof("profile", "cpu", "--workers", "1,two", "--out", str(tmp_path))
    assert code == 2 and err.strip().count("\n") == 0 and "not a whole number" in err, err
    assert not any(tmp_path.iterdir())


def test_start_methods_are_compared_and_the_default_kept_unless_beaten(tmp_path: Path) -> None:
    code, out, err = concprof(
        "profile", "cpu", "--size", "quick", "--workers", "2", "--start-method", "fork,spawn",
        "--repeat", "2", "--recorders", "none", "--out", str(tmp_path),  # the rule, not CIs
    )  # fmt: skip
    assert code == 0, err
    sweep = tmp_path / "cpu-sweep" / "latest"
    manifest = json.loads((sweep / "run.json").read_text())
    assert manifest["setting"] == "start_method" and manifest["values"] == ["fork", "spawn"]
    assert manifest["kept"] == "fork"  # Linux's default up to 3.13
    table = pd.read_csv(sweep / "tables" / "start_methods.csv")
    # processes only (the one model a start method changes), one row per method
    assert list(table["start_method"]) == ["fork", "spawn"] and set(table["model"]) == {"processes"}
    assert table["recommended"].sum() == 1
    chosen = table[table["recommended"]].iloc[0]
    fork = table[table["start_method"] == "fork"].iloc[0]
    # spawn is chosen only when faster than fork beyond the margin (5%)
    assert chosen["start_method"] == "fork" or chosen["speedup"] > fork["speedup"] * 1.05
    for method, run in manifest["runs"].items():
        assert json.loads((Path(run) / "run.json").read_text())["start_method"] == method
    assert "processes: fork:" in out and "start method spawn:" in out
    code, _, err = concprof("report", str(sweep))
    assert code == 0, err


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (["--start-method", "fork,vfork"], "unknown start method 'vfork'"),
        (["--start-method", "spawn,spawn"], "names a method twice"),
        (["--workers", "1,2", "--start-method", "fork,spawn"], "one list at a time"),
    ],
)
def test_a_bad_start_method_list_is_one_line_and_exit_2(
    tmp_path: Path, flags: list[str], says: str
) -> None:
    code, _out, err = concprof("profile", "cpu", *flags, "--out", str(tmp_path))
    assert code == 2 and err.strip().count("\n") == 0 and says in err, err
    assert not any(tmp_path.iterdir())
