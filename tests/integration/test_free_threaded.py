"""Free-threaded CPython (`make python-ft`) beside its GIL twin, through the real CLI.

Physical bounds on 2 cores: pure-Python threads that share nothing run in parallel
on the free-threaded build (speedup well above 1.3) and cannot on the GIL build
(at most 1.3); an extension module that does not declare it can run without the
GIL turns the GIL back on, and the run says which module did.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from profiler.load.run import load_run
from profiler.orchestrate.interpreters import built_versions
from tests.conftest import concprof, unavailable

pytestmark = pytest.mark.integration

# a single-phase extension module without Py_mod_gil: importing it on 3.13t turns the GIL on
EXTENSION = """
#include <Python.h>
static PyObject *ping(PyObject *self, PyObject *unused) { return PyLong_FromLong(1); }
static PyMethodDef methods[] = {{"ping", ping, METH_NOARGS, ""}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "gilful", NULL, -1, methods};
PyMODINIT_FUNC PyInit_gilful(void) { return PyModule_Create(&module); }
"""


@pytest.fixture
def builds() -> dict[str, Path]:
    found = built_versions()
    if "3.13.5t" not in found or "3.13.5" not in found:
        unavailable("no free-threaded build: make python-ft")
    return found


def speedups(tmp_path: Path, python: str, scenario: str) -> dict[str, float]:
    code, _, err = concprof(
        "profile", scenario, "--python", python, "--models", "threads", "--workers", "2",
        "--size", "quick", "--recorders", "none", "--out", str(tmp_path / python),
    )  # fmt: skip
    assert code == 0, err
    table = load_run(tmp_path / python / scenario / "latest")["comparison"]
    return {str(r["model"]): float(r["speedup"]) for r in table.to_dict("records")}


def test_pure_python_threads_run_in_parallel_only_without_the_gil(
    tmp_path: Path, builds: dict[str, Path]
) -> None:
    free = speedups(tmp_path, "3.13t", "independent")
    gil = speedups(tmp_path, "3.13.5", "independent")
    assert free["threads"] > 1.3, free
    assert gil["threads"] <= 1.3, gil


def test_a_module_that_turns_the_gil_back_on_is_named(
    tmp_path: Path, builds: dict[str, Path], scenario_file: object
) -> None:
    python = str(builds["3.13.5t"])
    paths = subprocess.run(
        [python, "-c", "import sysconfig as s; print(s.get_paths()['include']);"
         "print(s.get_config_var('EXT_SUFFIX'))"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    source = tmp_path / "gilful.c"
    source.write_text(EXTENSION)
    built = subprocess.run(
        ["gcc", "-shared", "-fPIC", f"-I{paths[0]}", str(source), "-o",
         str(tmp_path / f"gilful{paths[1]}")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    make = scenario_file  # type: ignore[assignment]
    scenario = make(  # type: ignore[operator]
        "uses_gilful",
        "import os, sys\nsys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))\n"
        "import gilful\nTASKS = 4\n\ndef task(i):\n    return gilful.ping() + i\n",
    )
    code, out, err = concprof(
        "profile", str(scenario), "--python", "3.13t", "--models", "threads",
        "--repeat", "3", "--recorders", "none", "--out", str(tmp_path / "runs"),
    )  # fmt: skip
    assert code == 0, err
    timing = load_run(tmp_path / "runs" / "uses_gilful" / "latest")["timing"]
    assert timing["free_threaded"].all() and timing["gil_enabled_after"].all()
    assert set(timing["gil_enabled_by"]) == {"gilful"}
    assert "the GIL was turned back on at run time by importing gilful" in out
