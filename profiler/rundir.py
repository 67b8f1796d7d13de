"""The run directory: reports/<scenario>/<YYYYmmdd-HHMMSS>/ (docs/run-directory.md).

Never overwritten (a suffix when the name is taken); `latest` points at the
newest. Every file is written atomically (temporary name, then rename), so
an interrupted run leaves whole files or none.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

import orjson
import pandas as pd

from profiler.atomic import write_atomic, write_with
from profiler.errors import UsageError, reading


def read_json(path: Path) -> Any:
    with reading(path):  # cut off or not JSON: one line naming the file
        return orjson.loads(path.read_bytes())


def read_doc(path: Path) -> dict[str, Any] | None:
    """A recorder's JSON document; None if absent, DamagedInput if cut off."""
    if not path.exists():
        return None
    doc: dict[str, Any] = read_json(path)
    return doc


def safe_name(name: str) -> str:
    """A scenario name as one harmless path part: no separators, no leading dots, UTF-8."""
    cleaned = re.sub(r"[^\w.+-]", "_", name.encode("utf-8", "replace").decode("utf-8"))
    cleaned = cleaned.lstrip(".") or "scenario"
    return cleaned[:100]


MIN_FREE_BYTES = 64 * 2**20  # tables, figures, report and the runners' logs
MIN_FREE_RECORDING_BYTES = 1024 * 2**20  # traces: perf's (GIL capped), viztracer's, per model


def check_free_space(reports: Path, recording: bool) -> None:
    """UsageError (one line) when the reports' file system cannot hold a run."""
    need = MIN_FREE_RECORDING_BYTES if recording else MIN_FREE_BYTES
    where = next((p for p in (reports, *reports.absolute().parents) if p.exists()), Path("/"))
    try:
        free = shutil.disk_usage(where).free
    except OSError:
        return  # not a directory we can ask about: create_run_dir will say what is wrong
    if free < need:
        raise UsageError(
            f"not enough free space for a run under {reports}: {free / 2**20:.0f} MB free, "
            f"{need / 2**20:.0f} MB needed"
            + (" with recorders (RECORDERS=none needs less)" if recording else "")
            + "; free some space or use --out elsewhere"
        )


def create_run_dir(reports: Path, scenario: str, now: float | None = None) -> Path:
    """A new directory for this run, and the scenario's `latest` link to it.

    Problems with `reports` (a file in the way, no permission) are bad input:
    UsageError with one line.
    """
    base = reports / safe_name(scenario)
    new = next((p for p in (*reversed(base.parents), base) if not p.exists()), None)
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"cannot create the run directory under {reports}: {exc.strerror or exc} "
            "(--out must be a writable directory, or a path where one can be made)"
        ) from None
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    for suffix in ["", *(f"-{n}" for n in range(2, 1000))]:
        run = base / f"{stamp}{suffix}"
        try:
            run.mkdir()
        except FileExistsError:
            continue
        except OSError as exc:
            raise UsageError(f"cannot create {run}: {exc.strerror or exc}") from None
        link_latest(run)
        CREATED.extend([new or run, base / "latest"])
        return run
    raise UsageError(f"cannot create a run directory under {base}: 999 runs this second")


CREATED: list[Path] = []  # what this process made under --out, for hand_over


def invoking_user() -> tuple[int, int] | None:
    """(uid, gid) of the user who ran concprof through sudo; None otherwise."""
    uid, gid = os.environ.get("SUDO_UID", ""), os.environ.get("SUDO_GID", "")
    if os.geteuid() != 0 or not uid.isdigit() or not gid.isdigit() or int(uid) == 0:
        return None
    return int(uid), int(gid)


def hand_over(paths: list[Path] | None = None) -> list[Path]:
    """Give what a `sudo concprof ...` wrote to the user who ran sudo (SUDO_UID/SUDO_GID):
    the run directories it created, whole, and their `latest` links; what was given."""
    owner = invoking_user()
    if owner is None:
        return []
    given = []
    for top in CREATED if paths is None else paths:
        if not top.is_symlink() and not top.exists():
            continue
        walked = [top] if top.is_symlink() or not top.is_dir() else [top, *top.rglob("*")]
        for path in walked:
            with contextlib.suppress(OSError):
                os.chown(path, *owner, follow_symlinks=False)
        given.append(top)
    return given


def link_latest(run: Path) -> None:
    latest = run.parent / "latest"
    tmp = run.parent / f".latest.tmp-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(run.name, target_is_directory=True)
    os.replace(tmp, latest)


def write_table(run: Path, name: str, frame: pd.DataFrame) -> list[Path]:
    """tables/<name>.csv and its .parquet twin."""
    tables = run / "tables"
    csv = write_atomic(tables / f"{name}.csv", frame.to_csv(index=False))
    parquet = write_with(tables / f"{name}.parquet", lambda p: frame.to_parquet(p, index=False))
    return [csv, parquet]
