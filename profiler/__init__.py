"""concprof: which Python concurrency model fits this workload, measured here.

This package's top level stays stdlib-only, because the workload runner
(`python -m profiler.workload.runner`) imports it inside the measured interpreter,
which may be another Python without the toolkit's dependencies.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "load_run"]


def __getattr__(name: str) -> Any:
    # Lazy: importing pandas here would load it into the measured process.
    if name == "load_run":
        from profiler.load.run import load_run

        return load_run
    raise AttributeError(name)
