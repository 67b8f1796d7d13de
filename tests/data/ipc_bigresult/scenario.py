"""Tasks that compute a little and return 128 KB each: moving results costs more than work."""

TASKS = 120
WORKERS = 2
RESULT_BYTES = 128 * 1024


def task(i: int) -> bytes:
    total = sum(range(20_000))  # about a millisecond of work
    return (i + total).to_bytes(8, "little") * (RESULT_BYTES // 8)
