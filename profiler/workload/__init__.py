"""What runs inside the measured interpreter: the runner, the models, py-spy's round counter,
and the helpers scenario files may import (loopback). Standard library only — the workload's
Python may be another interpreter without the toolkit's dependencies, and nothing but the
task may run inside a measured region (tests/unit/test_workload_stdlib.py enforces it).
"""

from __future__ import annotations

RUNNER = f"{__name__}.runner"  # `python -m` this: profiler.workload.runner
DEFAULT_MODELS: tuple[str, ...] = ("sequential", "threads", "processes", "asyncio")
# dask (a dask.distributed cluster: local by default, any by address) runs when asked for
MODEL_NAMES: tuple[str, ...] = (*DEFAULT_MODELS, "dask")
START_METHODS: tuple[str, ...] = ("fork", "spawn", "forkserver")  # for processes
