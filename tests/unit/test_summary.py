"""What the terminal prints after a profile, by detail, on the golden run's analysis
(tests/data/golden_run: a real profile's raw files, its tables built again)."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

from rich.console import Console

from profiler.analyse.run_tables import build_tables
from profiler.analysis import RunAnalysis
from profiler.render.terminal import print_summary, summary_json
from tests.conftest import DATA


def analysed(tmp_path: Path) -> tuple[Path, RunAnalysis]:
    run = tmp_path / "golden"
    if not run.exists():
        shutil.copytree(DATA / "golden_run", run)
    return run, build_tables(run)


def printed(tmp_path: Path, detail: str) -> str:
    run, analysis = analysed(tmp_path)
    out = io.StringIO()
    print_summary(Console(file=out, width=100), run, analysis, 3, detail=detail)
    return out.getvalue()


def test_quiet_prints_the_answer_alone(tmp_path: Path) -> None:
    said = printed(tmp_path, "quiet")
    assert said.startswith(("fastest:", "recommended:")), said
    assert "run directory" not in said and "┃" not in said and "warning:" not in said


def test_normal_has_one_line_per_model_and_verbose_the_full_evidence(tmp_path: Path) -> None:
    normal, verbose = printed(tmp_path, "normal"), printed(tmp_path, "verbose")
    models = [line for line in normal.splitlines() if line.startswith("  ")]
    assert {line.split()[0] for line in models} == {"sequential", "threads"}
    assert "(timing runs, n=" in verbose and "(timing runs, n=" not in normal
    assert "run directory:" in normal and "run directory:" in verbose


def test_json_has_the_answer_and_the_comparison(tmp_path: Path) -> None:
    doc = json.loads(summary_json(*analysed(tmp_path)))
    assert doc["answer"]["model"] == doc["said"]["headline"].split()[1].rstrip(",")
    assert {r["model"] for r in doc["comparison"]} == {"sequential", "threads"}
