"""The two kinds of failure the CLI turns into exit codes."""

from __future__ import annotations


class UsageError(Exception):
    """Bad usage or bad input: exit 2 with a one-line reason and the valid choices."""


class RunFailed(Exception):
    """The workload or a recorder failed: exit 1, saying what failed and where results are."""
