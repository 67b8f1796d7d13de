"""Run CPU-bound calls at once in forked children, where threads would share one GIL.

`run_parallel(calls)` runs calls[0] in this process and every other call in a
child made by os.fork(). A child shares this process's memory copy-on-write
(a large buffer is not copied), streams its pickled result through a pipe and
leaves with os._exit, so it runs no exit handler and flushes no stream.
A child that fails, and every call where fork does not exist, is run here
instead: the results are the same, only later. No child outlives the call:
if this process stops waiting (an exception, Ctrl-C) the children still
running are killed and reaped.
"""

from __future__ import annotations

import os
import pickle
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass
class _Child:
    pid: int
    fd: int
    reaped: bool = False


def _start(call: Callable[[], object]) -> _Child | None:
    if not hasattr(os, "fork"):
        return None
    read_fd, write_fd = os.pipe()
    try:
        pid = os.fork()
    except OSError:  # no room for a process: the call runs here instead
        os.close(read_fd)
        os.close(write_fd)
        return None
    if pid == 0:  # the child: compute, send, leave without any cleanup of the parent's state
        code = 1
        try:
            os.close(read_fd)
            result = call()
            with os.fdopen(write_fd, "wb") as pipe:
                pickle.dump(result, pipe, protocol=pickle.HIGHEST_PROTOCOL)
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)
    return _Child(pid, read_fd)


def _collect(child: _Child | None, call: Callable[[], T]) -> T:
    if child is None:
        return call()
    fd, child.fd = child.fd, -1  # the file object below owns and closes it
    with os.fdopen(fd, "rb") as pipe:
        try:
            result: T = pickle.load(pipe)  # streamed: the pickle is never whole in memory
            received = True
        except Exception:  # it died before or while sending (a truncated pickle)
            received = False
    _, status = os.waitpid(child.pid, 0)
    child.reaped = True
    if received and os.waitstatus_to_exitcode(status) == 0:
        return result
    return call()  # the child failed: do it here, so a real error is raised here


def _reap(child: _Child | None) -> None:
    if child is None:
        return
    if child.fd >= 0:
        os.close(child.fd)
        child.fd = -1
    if not child.reaped:
        os.kill(child.pid, signal.SIGKILL)  # a zombie can still be signalled: no race
        os.waitpid(child.pid, 0)
        child.reaped = True


def run_parallel(calls: Sequence[Callable[[], T]]) -> list[T]:
    """[call() for call in calls], the calls after the first in forked children."""
    if not calls:
        return []
    children: list[_Child | None] = []
    try:
        children = [_start(call) for call in calls[1:]]
        results = [calls[0]()]
        results += [_collect(child, call) for child, call in zip(children, calls[1:], strict=True)]
        return results
    finally:
        for child in children:
            _reap(child)
