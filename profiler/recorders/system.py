"""What the kernel says about processes, for any recorder and for the commands: a process's
descendants, and who may trace whom (Yama's ptrace scope)."""

from __future__ import annotations

import os
from pathlib import Path


def ptrace_scope() -> int:
    """Yama's rule (0: same user; 1: descendants only; 2: admin only; 3: none); 0 without Yama."""
    try:
        return int(Path("/proc/sys/kernel/yama/ptrace_scope").read_text())
    except (OSError, ValueError):
        return 0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as fh:
                found += [int(x) for x in fh.read().split()]
    except (OSError, ValueError):
        pass
    return found


def process_tree(root: int) -> list[int]:
    """root and all its descendants (following /proc/*/task/*/children)."""
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo += _children(pid)
    return tree
