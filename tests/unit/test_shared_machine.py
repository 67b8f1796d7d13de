"""On a machine several people use: a run started with sudo belongs to whoever ran sudo,
and a run sweeps only its own user's leftovers.

GIVEN root with SUDO_UID/SUDO_GID naming another user (as `sudo concprof ...` sets
them), WHEN a run directory is created and handed over, THEN every file in it and its
`latest` link belong to that user; GIVEN a temporary directory of a dead concprof that
another user owns, WHEN the leftovers are swept, THEN it is left alone.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from profiler.orchestrate.launch import TEMP_PREFIX, remove_stale_dirs
from profiler.rundir import create_run_dir, hand_over

NOBODY = 65534


@pytest.fixture
def as_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can give files away (run as root in make test)")


@pytest.mark.usefixtures("as_root")
def test_a_run_under_sudo_belongs_to_the_user_who_ran_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUDO_UID", str(NOBODY))
    monkeypatch.setenv("SUDO_GID", str(NOBODY))
    monkeypatch.setattr("profiler.rundir.CREATED", [])
    reports = tmp_path / "reports"
    run = create_run_dir(reports, "io")
    (run / "tables").mkdir()
    (run / "tables" / "timing.csv").write_text("model\n")
    given = hand_over()
    assert given == [reports, reports / "io" / "latest"]
    for path in [reports, *reports.rglob("*")]:
        assert path.lstat().st_uid == NOBODY, path
        assert path.lstat().st_gid == NOBODY, path


def test_without_sudo_nothing_changes_hands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SUDO_UID", raising=False)
    monkeypatch.setattr("profiler.rundir.CREATED", [])
    run = create_run_dir(tmp_path / "reports", "io")
    assert hand_over() == []
    assert run.stat().st_uid == os.geteuid()


@pytest.mark.usefixtures("as_root")
def test_another_users_leftovers_are_not_swept() -> None:
    dead = 2**22 + 12345  # above pid_max's default: no such process
    theirs = Path(tempfile.gettempdir()) / f"{TEMP_PREFIX}{dead}-other"
    mine = Path(tempfile.gettempdir()) / f"{TEMP_PREFIX}{dead + 1}-mine"
    theirs.mkdir()
    mine.mkdir()
    try:
        os.chown(theirs, NOBODY, NOBODY)
        removed = remove_stale_dirs()
        assert str(mine) in removed and not mine.exists()
        assert str(theirs) not in removed and theirs.exists()
    finally:
        theirs.rmdir()
        if mine.exists():
            mine.rmdir()
