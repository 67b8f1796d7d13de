"""A scenario file imported as a module under a name that pickle can find again in workers."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType


def module_name_for(path: str | Path) -> str:
    """A module name for a scenario file that cannot shadow a stdlib module (`io`)."""
    stem = re.sub(r"\W", "_", Path(path).stem)
    return f"concprof_scenario_{stem}"


def load_scenario_module(path: str, module_name: str) -> ModuleType:
    """Import a scenario file under `module_name`, so pickle finds `task` by reference.

    Idempotent: a forked worker already has the module; a spawned or
    forkserver worker imports it here, from its pool initializer.
    """
    existing = sys.modules.get(module_name)
    if existing is not None:
        return existing
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import scenario file {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module
