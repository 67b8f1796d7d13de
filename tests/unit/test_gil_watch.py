"""Free-threaded CPython turning the GIL back on: the module is named, the answer warns."""

from __future__ import annotations

import warnings

import pandas as pd

from profiler.analyse.evidence import gil_reenabled
from profiler.render.wording import caveat_text
from profiler.workload.gil_watch import GilWatch

# CPython 3.13's words (Python/import.c, _PyImport_CheckGILForModule)
MESSAGE = (
    "The global interpreter lock (GIL) has been enabled to load module '{}', which has not "
    "declared that it can run safely without the GIL. To override this behavior and keep "
    "the GIL disabled (at your own risk), run with PYTHON_GIL=0 or -Xgil=0."
)


def test_the_module_whose_import_turned_the_gil_on_is_noted() -> None:
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        watch = GilWatch()
        try:
            warnings.warn(MESSAGE.format("fastext._speedups"), RuntimeWarning, stacklevel=1)
            warnings.warn("something else entirely", RuntimeWarning, stacklevel=1)
            warnings.warn(MESSAGE.format("fastext._speedups"), RuntimeWarning, stacklevel=1)
        finally:
            watch.close()
    # THEN the module is noted once, and every warning was still shown
    assert watch.modules == ["fastext._speedups"]
    assert len(shown) == 3


def test_runs_of_a_free_threaded_build_that_ended_with_the_gil_on_are_warned_about() -> None:
    timing = pd.DataFrame(
        {
            "model": ["sequential", "threads", "threads"],
            "free_threaded": [True, True, True],
            "gil_enabled_after": [False, True, True],
            "gil_enabled_by": ["", "fastext._speedups", "fastext._speedups"],
        }
    )
    (caveat,) = gil_reenabled(timing)
    assert caveat.models == ["threads"] and caveat.detail == "fastext._speedups"
    warning = caveat_text(caveat)
    assert "fastext._speedups" in warning and "(threads)" in warning
    # AND a GIL build, whose GIL is always on, earns no such warning
    assert gil_reenabled(timing.assign(free_threaded=False)) == []
