"""Scenario lookup and contract checks (the runner's `describe`, real interpreter)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from profiler.errors import UsageError
from profiler.orchestrate.scenario import builtin_names, find_scenario, load_scenario
from profiler.spine import Scenario
from profiler.workload.documents import PythonInfo

Make = Callable[[str, str], Path]


def test_builtin_names_include_io_and_cpu() -> None:
    assert {"io", "cpu"} <= set(builtin_names())


def test_unknown_name_lists_the_builtins() -> None:
    with pytest.raises(UsageError, match=r"unknown scenario 'nope'; choose one of: .*cpu.*io"):
        find_scenario("nope")


def test_missing_file_is_named() -> None:
    with pytest.raises(UsageError, match=r"scenario file not found: /no/such\.py"):
        find_scenario("/no/such.py")


def test_builtin_io_metadata() -> None:
    # GIVEN the built-in io scenario WHEN its interpreter describes it
    s = load_scenario("io", sys.executable)
    # THEN the contract's fields come back as the file defines them
    assert (s.name, s.tasks, s.workers, s.has_atask, s.has_setup, s.has_teardown) == (
        "io",
        64,
        16,
        True,
        True,
        True,
    )
    assert s.summary.startswith("Blocking HTTP requests over loopback")
    assert s.python.version.startswith(f"{sys.version_info.major}.{sys.version_info.minor}")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ('"""x"""\nTASKS = 4\n', r"has no plain task\(i\) function; a scenario file defines TASKS"),
        ('"""x"""\ndef task(i): return i\n', r"TASKS must be a positive int, got None"),
        ('"""x"""\nTASKS = 0\ndef task(i): return i\n', r"TASKS must be a positive int, got 0"),
        ('"""x"""\nTASKS = 4\nasync def task(i): return i\n', r"has no plain task\(i\) function"),
        (
            '"""x"""\nTASKS = 4\ndef task(i): return i\ndef atask(i): return i\n',
            r"atask must be an async def function",
        ),
        (
            '"""x"""\nTASKS = 4\nWORKERS = -1\ndef task(i): return i\n',
            r"WORKERS must be a positive int",
        ),
        ("TASKS = 4\ndef task(i) return i\n", r"bad\.py:2: syntax error"),
        ("import not_a_module_xyz\n", r"importing it raised ModuleNotFoundError"),
    ],
)
def test_contract_violations_are_usage_errors(
    scenario_file: Make, source: str, message: str
) -> None:
    path = scenario_file("bad", source)
    with pytest.raises(UsageError, match=message):
        load_scenario(str(path), sys.executable)


def _scenario(tasks: int) -> Scenario:
    return Scenario(
        path="/s.py",
        name="s",
        summary="",
        doc="",
        tasks=tasks,
        workers=None,
        has_atask=False,
        has_setup=False,
        has_teardown=False,
        python=PythonInfo(cpu_count=2),
    )


@pytest.mark.parametrize(
    ("tasks", "size", "workers", "expected"),
    [(32, "default", 16, 32), (32, "quick", 4, 8), (32, "quick", 16, 16), (32, "large", 2, 128)],
)
def test_sizes_scale_task_count(tasks: int, size: str, workers: int, expected: int) -> None:
    assert _scenario(tasks).tasks_for(size, workers) == expected


def test_unknown_size_lists_choices() -> None:
    with pytest.raises(UsageError, match="choose one of: quick, default, large"):
        _scenario(4).tasks_for("huge", 2)


def test_workers_default_to_cores_when_the_scenario_sets_none() -> None:
    assert _scenario(4).resolve_workers(None) == 2
    assert _scenario(4).resolve_workers(7) == 7
