"""The first screen of a report as a PNG (1366x768, headless Chromium, offline): the
README's image. `make screenshot` profiles io at SIZE=quick and calls this.

usage: python tools/first_screen.py REPORT.html OUT.png
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--no-first-run", "--disable-component-update", "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND", "--window-size=1366,768",
    "--virtual-time-budget=5000", "--hide-scrollbars",
)  # fmt: skip


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write("usage: python tools/first_screen.py REPORT.html OUT.png\n")
        return 2
    page, out = Path(argv[0]).resolve(), Path(argv[1]).resolve()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.stderr.write("first_screen: chromium is not installed (apt-get install chromium)\n")
        return 2
    if not page.is_file():
        sys.stderr.write(f"first_screen: no report at {page}\n")
        return 2
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [chromium, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={out}", page.as_uri()],
            capture_output=True, timeout=120, check=True,
        )  # fmt: skip
    print(f"first screen: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
