"""Free-threaded CPython: whether the GIL is on, and which module turned it back on.

On a free-threaded build, importing an extension module that has not declared it
can run without the GIL turns the GIL on for the whole process, with a
RuntimeWarning naming the module (CPython 3.13, Python/import.c). GilWatch notes
those warnings (and still shows them); nothing runs per task.
"""

from __future__ import annotations

import re
import sys
import sysconfig
import warnings
from typing import Any

_ENABLED_BY = re.compile(r"GIL\) has been enabled to load module '([^']+)'")


def free_threaded() -> bool:
    """This interpreter was built with --disable-gil (PEP 703)."""
    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def gil_enabled() -> bool:
    """The GIL is on now (always, on a build that has one)."""
    check = getattr(sys, "_is_gil_enabled", None)
    return True if check is None else bool(check())


class GilWatch:
    """Notes every module whose import turned the GIL back on, from now until close()."""

    def __init__(self) -> None:
        self.modules: list[str] = []
        self._show = warnings.showwarning
        warnings.showwarning = self._note

    def _note(self, message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
        found = _ENABLED_BY.search(str(message))
        if found and found[1] not in self.modules:
            self.modules.append(found[1])
        self._show(message, category, *args, **kwargs)

    def close(self) -> None:
        warnings.showwarning = self._show
