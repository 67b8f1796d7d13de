"""Shared fixtures: a pinned environment, and a check that no test leaks processes."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import psutil
import pytest

REPO = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI") == "true"
DATA = REPO / "tests" / "data"
SCENARIOS = REPO / "scenarios"


def unavailable(reason: str) -> NoReturn:
    """Skip a test whose tool is missing here; under CI=true fail it: CI must test it."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: .ci/run must provide it)")
    pytest.skip(reason)


@pytest.fixture
def perf_ok() -> None:
    """The test needs perf to record (root, tracefs, symbols): skip here, fail in CI."""
    from profiler.recorders import availability_of

    availability = availability_of("perf", "python3")
    if not availability.ok:
        unavailable(f"perf cannot record here: {availability.describe()}")


needs_perf = pytest.mark.usefixtures("perf_ok")


@pytest.fixture(autouse=True)
def pinned_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("COLUMNS", "80")


@pytest.fixture(autouse=True)
def no_leaked_processes() -> Iterator[None]:
    """Every child a test starts (runners, workers, servers) must be gone after it."""
    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}
    yield
    leaked = [p for p in me.children(recursive=True) if p.pid not in before]
    alive = [p for p in leaked if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    for p in alive:
        p.kill()
    assert not alive, f"leaked processes: {[(p.pid, p.cmdline()) for p in alive]}"


@pytest.fixture
def scenario_file(tmp_path: Path) -> Iterator[object]:
    """Write a small scenario file into tmp_path; returns a factory(name, source)."""

    def make(name: str, source: str) -> Path:
        path = tmp_path / f"{name}.py"
        path.write_text(source)
        return path

    yield make


def concprof(*args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    """Run the real CLI in a subprocess; (exit code, stdout, stderr)."""
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "profiler", *args],
        cwd=cwd or REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        timeout=900,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr
