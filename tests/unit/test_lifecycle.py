"""One run lifecycle (orchestrate.lifecycle), in-process: no root, no perf, seconds.

GIVEN a RunSession in a temporary reports directory, WHEN a run is opened,
contained and finished, THEN run.json says "running" until the outputs are
rendered, what is rendered already carries the final status, a render that
fails leaves the run incomplete with the reason, a process left running is
ended when the containment closes, the recorders' fallback lines are said
once each, and a request for recorders none of which can record is refused
before anything is created.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from profiler.errors import UsageError
from profiler.orchestrate.lifecycle import RunSession
from profiler.recorders import select
from profiler.recorders.base import Selection
from profiler.spine import Manifest, Step


def status_of(session: RunSession) -> str:
    return str(json.loads(session.layout.manifest.read_text())["status"])


def test_the_status_is_written_after_the_outputs_that_show_it(tmp_path: Path) -> None:
    session = RunSession(tmp_path, "demo", lambda step: None)
    session.save(Manifest(status="running"))
    seen: list[tuple[str, str]] = []

    def render(final: Manifest) -> str:
        seen.append((final.status, status_of(session)))  # rendered / on disk meanwhile
        return "rendered"

    assert session.finish(Manifest(status="complete"), render) == "rendered"
    assert seen == [("complete", "running")]
    assert status_of(session) == "complete"
    assert json.loads(session.layout.manifest.read_text())["duration_s"] >= 0


def test_a_render_that_fails_leaves_the_run_incomplete_with_the_reason(tmp_path: Path) -> None:
    session = RunSession(tmp_path, "demo", lambda step: None)
    session.save(Manifest(status="running"))

    def render(final: Manifest) -> None:
        raise ValueError("a figure could not be drawn")

    with pytest.raises(ValueError):
        session.finish(Manifest(status="complete"), render)
    saved = json.loads(session.layout.manifest.read_text())
    assert saved["status"] == "incomplete"
    assert saved["error"]["phase"] == "render"
    assert "a figure could not be drawn" in saved["error"]["exception"]


def test_a_process_left_running_is_ended_when_the_run_ends(tmp_path: Path) -> None:
    notes: list[Step] = []
    session = RunSession(tmp_path, "demo", notes.append)
    session.save(Manifest(status="running"))
    with session.contained() as contain:
        argv = contain.wrap([sys.executable, "-c", "import time; time.sleep(60)"])
        child = subprocess.Popen(argv, start_new_session=True)
        contain.started(child.pid)
        time.sleep(0.2)
    if contain.cgroup is None:
        child.kill()
        child.wait()
        pytest.skip("no writable cgroup here: launch.run_group ends each command's group")
    deadline = time.monotonic() + 10  # the cgroup's kill, then the kernel's reaping
    while child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert child.poll() is not None


def test_the_recorders_fallback_lines_are_said_once_each(tmp_path: Path) -> None:
    notes: list[Step] = []
    chosen = Selection(fallbacks=["perf: not available to this user (...): GIL shares ..."])
    session = RunSession(tmp_path, "demo", notes.append, chosen)
    session.save(Manifest(status="running"))
    with session.contained():
        pass
    said = [n.note for n in notes if n.phase == "setup"]
    assert said.count(chosen.fallbacks[0]) == 1


def test_recorders_asked_for_by_name_that_cannot_record_are_refused_first(
    tmp_path: Path,
) -> None:
    # /bin/false stands for an interpreter that cannot import viztracer (it fails
    # whatever it is given)
    with pytest.raises(UsageError, match="viztracer cannot record here: viztracer is not"):
        select("viztracer", "/bin/false")
    assert list(tmp_path.iterdir()) == []


def test_a_recorder_status_is_typed_and_old_run_json_strings_still_load() -> None:
    from profiler.spine import Observed, RecorderStatus

    typed = Observed(
        model="threads",
        recorders={"perf": RecorderStatus.failure("probe"), "procfs": RecorderStatus.ok()},
    )
    again = Observed.from_json(json.loads(json.dumps(typed.to_json())))
    assert again.recorders == typed.recorders
    assert [n for n, s in again.recorders.items() if s.failed] == ["perf"]
    old = Observed.from_json(
        {"model": "threads", "recorders": {"perf": "ok (capped)", "py-spy": "failed: no output"}}
    )
    assert old.recorders == {
        "perf": RecorderStatus.ok("capped"),
        "py-spy": RecorderStatus.failure("no output"),
    }
