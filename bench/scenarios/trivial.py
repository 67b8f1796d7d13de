"""Trivial tasks: each returns its index; all that is measured is the harness.

Isolates: the per-task cost of running and collecting a task (bench: harness fidelity).
"""

TASKS = 1_000


def task(i: int) -> int:
    return i
