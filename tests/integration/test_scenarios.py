"""The scenario library's designed behaviours, through the real CLI (timing runs only).

Physical bounds: hashlib releases the GIL, so two threads hash on two cores
(> 1.3); json.loads keeps it, so they cannot (< 1.3); 4 KB through a pipe per
microsecond-task costs processes far more than the work; a thread's stack and
kernel state cost more memory than an asyncio task's frame.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from profiler.load.run import load_run
from tests.conftest import concprof

pytestmark = pytest.mark.integration


def comparison(tmp_path: Path, scenario: str, *args: str) -> dict[str, dict[str, float]]:
    code, _, err = concprof(
        "profile", scenario, "--recorders", "none", *args, "--out", str(tmp_path)
    )
    assert code == 0, err
    table = load_run(tmp_path / scenario / "latest")["comparison"]
    return {str(r["model"]): dict(r) for r in table.to_dict("records")}


def test_release_scales_with_threads(tmp_path: Path) -> None:
    c = comparison(tmp_path, "release", "--models", "threads", "--workers", "2")
    assert c["threads"]["speedup"] > 1.3, c


def test_holds_does_not_scale_with_threads(tmp_path: Path) -> None:
    c = comparison(tmp_path, "holds", "--size", "quick", "--models", "threads", "--workers", "2")
    assert c["threads"]["speedup"] <= 1.3, c


def test_ipc_makes_processes_slower_than_sequential(tmp_path: Path) -> None:
    c = comparison(tmp_path, "ipc", "--size", "quick", "--models", "processes")
    assert c["processes"]["speedup"] < 1.0, c


def test_fanout_2000_waits_complete_and_asyncio_uses_less_memory(tmp_path: Path) -> None:
    c = comparison(tmp_path, "fanout", "--size", "quick")
    assert set(c) == {"threads", "asyncio"}  # the scenario's MODELS: no sequential baseline
    run = json.loads((tmp_path / "fanout" / "latest" / "run.json").read_text())
    assert run["workers"] == 2000 and run["tasks"] == 2000
    timing = load_run(tmp_path / "fanout" / "latest")["timing"]
    assert timing["ok"].all() and (timing["tasks"] == 2000).all()
    assert c["asyncio"]["peak_rss_mb"] < c["threads"]["peak_rss_mb"], c


@pytest.mark.parametrize("name", ["mixed", "spawn", "files", "gil"])
def test_every_scenario_runs_under_every_model(tmp_path: Path, name: str) -> None:
    c = comparison(
        tmp_path,
        name,
        "--size",
        "quick",
        "--repeat",
        "1",
        *(("--models", "sequential,threads") if name == "gil" else ()),
    )
    assert all(row["reps"] == 1 for row in c.values()), c


def test_list_shows_every_scenario_with_its_claims() -> None:
    code, out, err = concprof("list")
    assert code == 0, err
    for name in (
        "io",
        "cpu",
        "mixed",
        "ipc",
        "release",
        "holds",
        "spawn",
        "fanout",
        "gil",
        "files",
    ):
        assert f"│ {name} " in out, out
    assert "7" in out.split("│ ipc ")[1].splitlines()[0]  # ipc probes claim 7
