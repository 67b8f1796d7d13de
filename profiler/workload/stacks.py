"""Where a hung run is: every thread's Python stack, written when the toolkit asks."""

from __future__ import annotations

import faulthandler
import signal

DUMP_SIGNAL = signal.SIGUSR1  # a hung run is asked for its stacks before it is ended


def dump_stacks_on_signal() -> None:
    """On DUMP_SIGNAL, write every thread's Python stack to stderr (the run's log).

    faulthandler's handler is C code: it runs even while a task blocks or spins,
    and costs nothing until the signal comes. Forked workers inherit it.
    """
    faulthandler.register(DUMP_SIGNAL, all_threads=True, chain=False)
