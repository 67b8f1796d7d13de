"""The observed run's fallback decisions, in-process, with fake recorders (no root, no perf).

GIVEN a tiny call-heavy scenario (sequential model) and a fake exact recorder that
declares that it costs the run (Traits.costs_the_run, as perf does) and really slows it (it runs the runner under cProfile, whose hook on every
call of the main thread costs several times the work here, as perf's probes slow a
GIL-cycling workload) beside a fake sampler, WHEN the model's observed run is
taken within the slowdown bound, THEN the run with "perf" is set aside in
raw/<model>-probed/, the shares come from a run without it (its status says why), and
without the slow recorder nothing is set aside.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from profiler.orchestrate.launch import Launcher, package_path
from profiler.orchestrate.observe import observe_model
from profiler.orchestrate.plan import plan
from profiler.orchestrate.within_bound import observe_within_bound
from profiler.recorders.base import Availability, Selection, Target, Traits
from profiler.spine import Plan, ProfileConfig, Step

SCENARIO = '''"""Call-heavy pure Python: a profiler hook on every call slows it several times."""
TASKS = 4
WORKERS = 2

def f(x):
    return x + 1

def task(i):
    total = 0
    for j in range(500_000):
        total = f(total)
    return total
'''


class SlowPerf:
    """Stands in for perf: an exact recorder whose cost slows the workload."""

    name = "perf"
    traits = Traits(exact=True, measures=frozenset({"gil"}), costs_the_run=True)
    exclusive = False
    note = ""
    attaches = False
    stopped_part_way = False

    def beside(self) -> None:
        return None

    def available(self, python: str) -> Availability:
        return Availability(True, "fake")

    def wrap(self, argv: list[str], target: Target) -> list[str]:
        python, dash_m, module, *rest = argv
        assert dash_m == "-m"
        return [python, "-m", "cProfile", "-o", str(target.raw_dir / "cprofile.out"),
                "-m", module, *rest]  # fmt: skip

    def attach(self, pid: int, target: Target) -> None: ...

    def finish(self, target: Target, stderr: str) -> list[Path]:
        return [target.raw_dir / "cprofile.out"]


class CountingSampler:
    """Stands in for procfs: started and stopped beside the run, records nothing."""

    name = "procfs"
    traits = Traits(exact=False, measures=frozenset({"cpu"}), rate_hz=100.0)

    def __init__(self) -> None:
        self.starts = 0

    def available(self, python: str) -> Availability:
        return Availability(True, "fake")

    def start(self, root_pid: int, target: Target) -> None:
        self.starts += 1

    def stop(self) -> list[Path]:
        return []


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Plan, Path]:
    scenario = tmp_path / "calls.py"
    scenario.write_text(SCENARIO)
    config = ProfileConfig(scenario=str(scenario), python=sys.executable, max_slowdown=1.5)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    return plan(config), run_dir


def test_a_recorder_that_slows_the_run_beyond_the_bound_is_set_aside(
    setup: tuple[Plan, Path],
) -> None:
    p, run_dir = setup
    steps: list[Step] = []
    sampler = CountingSampler()
    with package_path() as path_dir:
        launcher = Launcher(path_dir, 120.0)
        # the model's unobserved wall time, as the timing runs would give it
        plain = observe_model(p, "sequential", run_dir, Selection(samplers=[sampler]), launcher)
        assert plain.ok and plain.wall_s
        (run_dir / "raw" / "sequential").rename(run_dir / "plain")
        chosen = Selection(wrappers=[SlowPerf()], samplers=[sampler])
        o = observe_within_bound(
            p, "sequential", run_dir, chosen, launcher, plain.wall_s, steps.append, (1, 1)
        )
    assert o.ok
    assert o.unprobed is not None and "without perf" in o.unprobed
    assert (run_dir / "raw" / "sequential-probed" / "cprofile.out").exists()
    assert not (run_dir / "raw" / "sequential" / "cprofile.out").exists()
    assert not o.recorders["perf"].failed
    assert "raw/sequential-probed/" in o.recorders["perf"].detail
    assert any("observing again without perf" in s.note for s in steps)
    assert sampler.starts == 3  # the plain run, the run with "perf", the run without


def test_within_the_bound_nothing_is_set_aside(setup: tuple[Plan, Path]) -> None:
    p, run_dir = setup
    with package_path() as path_dir:
        launcher = Launcher(path_dir, 120.0)
        chosen = Selection(samplers=[CountingSampler()])
        o = observe_within_bound(
            p, "sequential", run_dir, chosen, launcher, None, lambda step: None, (1, 1)
        )
    assert o.ok and o.unprobed is None and o.slowed_first is None
    assert sorted(path.name for path in (run_dir / "raw").iterdir()) == ["sequential"]
