"""Write 1 MB, then read it back, per task; every other task fsyncs before reading.

Isolates: file I/O, where the page cache decides the outcome: a write without
fsync only copies into memory; an fsync waits for the disk; a read of what was
just written comes from the cache. Both release the GIL. Probes claim 3 on disk
I/O: threads help exactly where the kernel waits on the device (fsync).
Predicts: modest thread speedups set by the fsync share; processes no better.
Files go to a temporary directory that setup() creates and teardown() removes
(CONCPROF_FILES_DIR to choose the file system).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile

TASKS = 64
WORKERS = 8
CLAIMS = [3]
SIZE_BYTES = 1024 * 1024
DIR_ENV = "CONCPROF_FILES_WORKDIR"
_CHUNK = bytes(range(256)) * (SIZE_BYTES // 256)


def setup() -> None:
    base = os.environ.get("CONCPROF_FILES_DIR") or None
    os.environ[DIR_ENV] = tempfile.mkdtemp(prefix="concprof-files-", dir=base)


def teardown() -> None:
    shutil.rmtree(os.environ.pop(DIR_ENV, ""), ignore_errors=True)


def task(i: int) -> str:
    path = os.path.join(os.environ[DIR_ENV], f"f{i}.bin")
    with open(path, "wb") as fh:
        fh.write(i.to_bytes(4, "little") + _CHUNK[4:])
        if i % 2 == 0:
            fh.flush()
            os.fsync(fh.fileno())
    with open(path, "rb") as fh:
        digest = hashlib.sha256(fh.read()).hexdigest()
    os.remove(path)
    return digest
