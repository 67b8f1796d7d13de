"""Matplotlib, set up once for every figure module: no display, and names drawn as plain text."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

# names come from programs ("$5 worker"): text is text, never mathtext
matplotlib.rcParams["text.parse_math"] = False

__all__ = ["Figure", "plt"]
