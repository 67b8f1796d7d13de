"""The recorders' names, and RECORDERS= as the user wrote it, checked."""

from __future__ import annotations

from profiler.errors import UsageError

RECORDER_NAMES: tuple[str, ...] = ("perf", "py-spy", "procfs", "viztracer")  # exact first


def parse_recorders(text: str) -> list[str] | None:
    """None for auto; [] for none; else the validated names."""
    text = text.strip()
    if text in ("", "auto"):
        return None
    if text == "none":
        return []
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in RECORDER_NAMES]
    if unknown:
        raise UsageError(
            f"unknown recorder {', '.join(unknown)}; choose auto, none, or from: "
            f"{', '.join(RECORDER_NAMES)}"
        )
    return names
