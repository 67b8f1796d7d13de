"""Headless Chromium, offline, for checking our HTML outputs (browser tests, bench)."""

from __future__ import annotations

import shutil
from pathlib import Path

OFFLINE_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # no name resolves: the network is off
    "--proxy-server=http://127.0.0.1:9",
)


def chromium_binary() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def chromium_command(profile_dir: Path, url: str, *args: str) -> list[str]:
    """The command line to open `url` offline with a fresh profile directory."""
    binary = chromium_binary()
    if binary is None:
        raise FileNotFoundError("chromium is not installed (apt-get install chromium)")
    return [binary, *OFFLINE_FLAGS, f"--user-data-dir={profile_dir}", *args, url]
